//! Time, size and retry bounds against hostile servers (issue 10, findings 7, 8, 10 and 19, the
//! one retry policy, and trusted-publishing tokens renewed over long uploads): every run ends
//! within its shortened bounds naming the bound, a file is never sent again once the index has
//! it, and an index's redirect to another host is not taken as the index's answer.

mod common;

use std::io::Read as _;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::hostile::{
    BOUND, MINTED, TOKEN, assert_failed_in_bound, assert_no_leak, audience, basic_forms, basic64,
    file_name, github_oidc, json_page, ok_upload, one_wheel, posts, publish, sha256_of, trusted,
    wheel,
};
use slipway_testkit::hostile::{Behaviour, EndlessFraming, HostileServer, Rule, SeenRequest};

fn not_found() -> Behaviour {
    Behaviour::respond(404, "text/plain", "not found")
}

fn page_gets(server: &HostileServer) -> Vec<SeenRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path().starts_with("/simple/"))
        .collect()
}

/// Findings 7 and 8: an index page that never answers, answers its head a byte at a time, or
/// drips its body ends the run within the bounds, naming the bound, with a hint; nothing is
/// uploaded.
#[test]
fn a_stalled_or_dripping_index_page_ends_within_its_bound() {
    let page = r#"{"meta": {"api-version": "1.1"}, "files": []}"#.repeat(20);
    let cases = [
        ("black hole", Behaviour::BlackHole, "SLIPWAY_SILENT_TIMEOUT"),
        (
            "dripped head",
            Behaviour::drip_head(Duration::from_millis(100)),
            "SLIPWAY_SILENT_TIMEOUT",
        ),
        (
            "dripped body",
            Behaviour::Drip {
                status: 200,
                headers: vec![(
                    "content-type".into(),
                    "application/vnd.pypi.simple.v1+json".into(),
                )],
                body: page.into(),
                interval: Duration::from_millis(50),
            },
            "SLIPWAY_LOW_SPEED_LIMIT",
        ),
    ];
    for (label, behaviour, bound) in cases {
        let (dir, _) = one_wheel("stalled");
        let index = HostileServer::start()
            .with(Rule::prefix("/simple/", behaviour))
            .with(ok_upload());
        let (out, took) = publish(index.url(), dir.path(), &[], &[]);
        assert_failed_in_bound(
            &out,
            took,
            &[
                "cannot check what the index already has",
                "3 attempt(s)",
                bound,
            ],
        );
        assert_eq!(page_gets(&index).len(), 3, "{label}: attempts");
        assert!(posts(&index).is_empty(), "{label}: nothing uploaded");
    }
}

/// Findings 7 and 8: the upload endpoint reads the whole body, then sends a 200 head and
/// stalls, or sends nothing at all. A 200 is the index's word that it took the file: the run
/// succeeds without sending it again. With no answer at all, the file is sent again only after
/// the index shows it is not there; once the index lists it, it is never sent again.
#[test]
fn an_upload_that_stalls_after_its_body_is_never_sent_twice() {
    // A 200 head, then silence.
    let (dir, whl) = one_wheel("stallok");
    let index = HostileServer::start()
        .with(Rule::prefix("/simple/", not_found()))
        .with(Rule::exact("/legacy/", Behaviour::stall_after_headers(2)).method("POST"));
    let (out, took) = publish(index.url(), dir.path(), &[], &[]);
    out.assert_ok();
    assert!(took < BOUND, "{took:?}");
    assert_eq!(out.list("uploaded"), [file_name(&whl)]);
    assert_eq!(posts(&index).len(), 1, "a 200 is not sent again");
    assert!(
        out.stderr
            .contains("answered 200 OK, but its body did not arrive")
            && out.stderr.contains("SLIPWAY_SILENT_TIMEOUT"),
        "the lost body is logged, naming the bound:\n{}",
        out.stderr
    );

    // No usable answer; the file lands on the index all the same (it lists it afterwards).
    let silent_502 = Behaviour::StallAfterHeaders {
        status: 502,
        headers: vec![("content-length".into(), "10".into())],
    };
    for stall in [Behaviour::BlackHole, silent_502] {
        let (dir, whl) = one_wheel("stalllands");
        let sha = sha256_of(&whl);
        let name = file_name(&whl);
        let listed = json_page(&[(&name, &format!("/files/{name}"), Some(&sha))]);
        let index = HostileServer::start()
            .with(Rule::prefix("/simple/", not_found()).times(1))
            .with(Rule::prefix("/simple/", listed))
            .with(Rule::exact("/legacy/", stall).method("POST"));
        let (out, took) = publish(index.url(), dir.path(), &[], &[]);
        out.assert_ok();
        assert!(took < BOUND, "{took:?}");
        assert_eq!(out.list("uploaded"), std::slice::from_ref(&name));
        assert_eq!(posts(&index).len(), 1, "the index has it: not sent again");
        assert!(
            out.stdout.contains("::warning::") && out.stdout.contains("SLIPWAY_SILENT_TIMEOUT"),
            "{}",
            out.stdout
        );
    }

    // No answer and the index never lists it: each new attempt follows a look at the index.
    let (dir, _) = one_wheel("stallnever");
    let index = HostileServer::start()
        .with(Rule::prefix("/simple/", not_found()))
        .with(Rule::exact("/legacy/", Behaviour::BlackHole).method("POST"));
    let (out, took) = publish(index.url(), dir.path(), &[], &[]);
    assert_failed_in_bound(&out, took, &["failed 3 times", "SLIPWAY_SILENT_TIMEOUT"]);
    let log: Vec<String> = index.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(log, ["GET", "POST", "GET", "POST", "GET", "POST", "GET"]);
}

/// Findings 7 and 8: an upload endpoint that accepts the connection and never reads: the body
/// stops moving, the attempt ends at a bound, and the run ends naming it.
#[test]
fn an_upload_endpoint_that_never_reads_ends_within_its_bound() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let upload = format!("http://{}/legacy/", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let held = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            held.lock().unwrap().push(stream);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    // More than the largest socket buffers of both ends (tcp_rmem + tcp_wmem maxima) can hold.
    wheel(dir.path(), "neverread", 64 * 1024 * 1024);
    let index = HostileServer::start().with(Rule::prefix("/simple/", not_found()));
    let (out, took) = publish(index.url(), dir.path(), &[("repository-url", &upload)], &[]);
    assert_failed_in_bound(&out, took, &["failed 3 times", "SLIPWAY_"]);
    assert_eq!(
        accepted.lock().unwrap().len(),
        3,
        "one connection per attempt"
    );
    assert_eq!(
        page_gets(&index).len(),
        4,
        "the index is checked before each new attempt"
    );
    let mut first = accepted.lock().unwrap().remove(0);
    first.set_nonblocking(true).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    assert!(
        first.read(&mut buf).is_ok_and(|n| n > 0),
        "the request is there, unread"
    );
}

/// Finding 10: a hash-less file on the index that never ends is read for at most the local
/// file's size and reported as other bytes under the same name, fast.
#[test]
fn an_endless_index_file_is_read_no_further_than_the_local_size() {
    for framing in [EndlessFraming::Chunked, EndlessFraming::UntilClose] {
        let (dir, whl) = one_wheel("endless");
        let name = file_name(&whl);
        let page = json_page(&[(&name, &format!("/files/{name}"), None)]);
        let index = HostileServer::start()
            .with(Rule::prefix("/simple/", page).method("GET"))
            .with(Rule::prefix("/files/", Behaviour::endless_body(framing)))
            .with(ok_upload());
        let (out, took) = publish(index.url(), dir.path(), &[], &[]);
        assert!(took < Duration::from_secs(10), "{framing:?}: {took:?}");
        assert_failed_in_bound(
            &out,
            took,
            &[
                "already on the index with other content",
                "longer than the local file",
            ],
        );
        let files = index
            .requests()
            .iter()
            .filter(|r| r.path().starts_with("/files/"))
            .count();
        assert_eq!(files, 1, "{framing:?}: read once, not retried");
        assert!(posts(&index).is_empty());
    }
}

/// Finding 19: the index redirects the project page to another host that lists the same file
/// with the same hash. That is not this index: the file is uploaded, the other host sees no
/// request, and a notice says why.
#[test]
fn a_project_page_redirected_to_another_host_means_not_on_this_index() {
    for status in [302, 303, 307] {
        let (dir, whl) = one_wheel("elsewhere");
        let name = file_name(&whl);
        let sha = sha256_of(&whl);
        let evil = HostileServer::start().with(Rule::any(json_page(&[(
            &name,
            &format!("/files/{name}"),
            Some(&sha),
        )])));
        let index = HostileServer::start()
            .with(Rule::prefix(
                "/simple/",
                Behaviour::redirect(status, &format!("{}/simple/elsewhere/", evil.url())),
            ))
            .with(ok_upload());
        let (out, took) = publish(index.url(), dir.path(), &[], &[]);
        out.assert_ok();
        assert!(took < BOUND);
        assert_eq!(
            out.list("uploaded"),
            std::slice::from_ref(&name),
            "{status}"
        );
        assert!(
            evil.requests().is_empty(),
            "{status}: {:?}",
            evil.requests()
        );
        assert_eq!(posts(&index).len(), 1);
        assert!(
            out.stdout.contains("::notice::") && out.stdout.contains("not on this index"),
            "{}",
            out.stdout
        );
    }
}

/// Finding 19 with a real pypiserver keeping its fallback (to a hostile server here instead of
/// pypi.org): an unknown project's page redirects there; the file is uploaded to pypiserver,
/// the fallback host sees nothing, and a re-run skips the file pypiserver now has.
#[test]
fn pypiservers_fallback_is_not_taken_for_the_index() {
    let (dir, whl) = one_wheel("fallbackdemo");
    let name = file_name(&whl);
    let sha = sha256_of(&whl);
    let evil = HostileServer::start().with(Rule::any(json_page(&[(
        &name,
        &format!("/files/{name}"),
        Some(&sha),
    )])));
    let fallback = format!("{}/simple/", evil.url());
    let server = common::start_pypiserver(&["--fallback-url", &fallback]);
    let base = server.url.trim_end_matches('/');
    let run = || {
        let (out, took) = publish(
            base,
            dir.path(),
            &[
                ("repository-url", &server.url),
                ("user", common::USER),
                ("password", common::PASSWORD),
            ],
            &[],
        );
        assert!(took < BOUND, "{took:?}");
        assert_no_leak(&out, &basic_forms(common::USER, common::PASSWORD));
        out
    };
    let first = run();
    first.assert_ok();
    assert_eq!(first.list("uploaded"), std::slice::from_ref(&name));
    assert!(
        first.stdout.contains("not on this index"),
        "{}",
        first.stdout
    );
    let again = run();
    again.assert_ok();
    assert_eq!(again.list("skipped"), [name]);
    assert!(evil.requests().is_empty(), "{:?}", evil.requests());
}

/// The one retry policy, as the index sees it: a 429 on the project page or the upload is
/// retried after its `retry-after`; a 501 is never retried, on either.
#[test]
fn a_429_is_retried_after_its_wait_and_a_501_is_not() {
    let limited = Behaviour::Respond {
        status: 429,
        headers: vec![
            ("retry-after".into(), "1".into()),
            ("content-type".into(), "text/plain".into()),
        ],
        body: "slow down".into(),
    };
    for (path, method) in [("/simple/", "GET"), ("/legacy/", "POST")] {
        let (dir, whl) = one_wheel("limited");
        let index = HostileServer::start()
            .with(Rule::prefix(path, limited.clone()).method(method).times(1))
            .with(Rule::prefix("/simple/", not_found()))
            .with(ok_upload());
        let (out, took) = publish(index.url(), dir.path(), &[], &[]);
        out.assert_ok();
        assert!(took < BOUND);
        assert_eq!(out.list("uploaded"), [file_name(&whl)], "{method}");
        let asked: Vec<_> = index
            .requests()
            .into_iter()
            .filter(|r| r.method == method && r.path().starts_with(path))
            .collect();
        assert_eq!(asked.len(), 2, "{method}: retried once");
        let waited = asked[1].at - asked[0].at;
        assert!(
            waited >= Duration::from_millis(900),
            "{method}: retry-after honoured: {waited:?}"
        );
        let accepted = posts(&index).len() - usize::from(method == "POST");
        assert_eq!(accepted, 1, "{method}: uploaded once");
    }
    for (path, method, needle) in [
        ("/simple/", "GET", "cannot check what the index already has"),
        ("/legacy/", "POST", "rejected"),
    ] {
        let (dir, _) = one_wheel("unimplemented");
        let index = HostileServer::start()
            .with(Rule::prefix(path, Behaviour::respond(501, "text/plain", "no")).method(method))
            .with(Rule::prefix("/simple/", not_found()))
            .with(ok_upload());
        let (out, took) = publish(index.url(), dir.path(), &[], &[]);
        assert_failed_in_bound(&out, took, &[needle, "501"]);
        let asked = index
            .requests()
            .iter()
            .filter(|r| r.method == method && r.path().starts_with(path))
            .count();
        assert_eq!(asked, 1, "{method}: a 501 is not retried");
    }
}

/// The one retry policy covers the token exchange: a 502 from the mint endpoint is retried.
#[test]
fn the_token_exchange_is_retried_on_a_502() {
    let (dir, whl) = one_wheel("mintretry");
    let github = github_oidc();
    let minted = Behaviour::json(200, &serde_json::json!({ "token": MINTED }));
    let bad_gateway = Behaviour::respond(502, "text/html", "<h1>502 Bad Gateway</h1>");
    let index = HostileServer::start()
        .with(audience())
        .with(Rule::exact("/_/oidc/mint-token", bad_gateway).times(1))
        .with(Rule::exact("/_/oidc/mint-token", minted))
        .with(Rule::prefix("/simple/", not_found()))
        .with(ok_upload());
    let (out, _) = trusted(&index, &github.request_url(), dir.path());
    out.assert_ok();
    assert_eq!(out.list("uploaded"), [file_name(&whl)]);
    let mints = index
        .requests()
        .iter()
        .filter(|r| r.path() == "/_/oidc/mint-token")
        .count();
    assert_eq!(mints, 2, "retried once");
    let basic = format!("Basic {}", basic64("__token__", MINTED));
    assert_eq!(posts(&index)[0].authorization(), Some(basic.as_str()));
}

/// Trusted publishing over a long release: the index says each minted token expires in a
/// minute, so a fresh one is minted before the later files, with a notice; every upload
/// carries the token minted last before it, and no two uploads the same.
#[test]
fn a_token_close_to_expiry_is_renewed_between_files() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["alpha", "beta", "gamma"] {
        wheel(dir.path(), name, 1024);
    }
    let github = github_oidc();
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 60;
    let tokens: Vec<String> = (0..6)
        .map(|i| format!("pypi-renewed{i}-0123456789"))
        .collect();
    let mut index = HostileServer::start().with(audience());
    for token in &tokens {
        let answer = serde_json::json!({ "success": true, "token": token, "expires": expires });
        let rule = Rule::exact("/_/oidc/mint-token", Behaviour::json(200, &answer)).times(1);
        index = index.with(rule);
    }
    let index = index
        .with(Rule::prefix("/simple/", not_found()))
        .with(ok_upload());
    let started = Instant::now();
    let (out, _) = trusted(&index, &github.request_url(), dir.path());
    out.assert_ok();
    assert!(started.elapsed() < BOUND);
    assert_eq!(out.list("uploaded").len(), 3);
    // The n-th exchange got `tokens[n]`.
    let (mut mints, mut used) = (0, Vec::new());
    for r in index.requests() {
        if r.path() == "/_/oidc/mint-token" {
            mints += 1;
        } else if r.method == "POST" {
            let latest = format!("Basic {}", basic64("__token__", &tokens[mints - 1]));
            assert_eq!(
                r.authorization(),
                Some(latest.as_str()),
                "the freshest token"
            );
            assert!(!used.contains(&latest), "a token used twice");
            used.push(latest);
        }
    }
    assert_eq!(used.len(), 3);
    assert!(
        out.stdout.matches("minting a fresh one").count() >= 2,
        "{}",
        out.stdout
    );
    for token in &tokens {
        assert_no_leak(&out, &basic_forms("__token__", token));
    }
    assert!(!out.leaks(TOKEN));
}
