//! Secrets against hostile servers (issue 10, findings 2–5): the index password never reaches
//! another host, the OIDC token is never re-sent by a redirect, error pages that echo the
//! request never print the credential in any form, and credentials written into a URL input
//! are masked, never shown, and used only for their own origin.

mod common;

use common::hostile::{
    FAST, HUNG, REQUEST_TOKEN, TOKEN, assert_failed_in_bound, assert_no_leak, audience,
    basic_forms, basic64, file_name, github_oidc, html_page, json_page, jwt, ok_upload, one_wheel,
    posts, publish, sha256_of, trusted,
};
use common::{free_port, run_within};
use slipway_testkit::hostile::{Behaviour, EchoFormat, HostileServer, Rule};

fn not_found() -> Behaviour {
    Behaviour::respond(404, "text/plain", "not found")
}

/// Finding 2: a simple page (JSON, then HTML) lists the file, without a hash, at a URL on
/// another host. That host is asked for the file without the index password; the other bytes
/// it serves are reported as a clash, and nothing is uploaded.
#[test]
fn the_index_password_never_reaches_a_file_host_the_page_names() {
    for html in [false, true] {
        let (dir, whl) = one_wheel("leaky");
        let name = file_name(&whl);
        let evil = HostileServer::start().with(Rule::any(Behaviour::respond(
            200,
            "application/octet-stream",
            "other bytes",
        )));
        let file_url = format!("{}/files/{name}", evil.url());
        let page = if html {
            html_page(&[(&name, &file_url)])
        } else {
            json_page(&[(&name, &file_url, None)])
        };
        let index = HostileServer::start()
            .with(Rule::exact("/simple/leaky/", page).method("GET"))
            .with(ok_upload());
        let (out, took) = publish(index.url(), dir.path(), &[], &[]);

        let basic = format!("Basic {}", basic64("__token__", TOKEN));
        assert_eq!(
            index.requests()[0].authorization(),
            Some(basic.as_str()),
            "the index's own page gets the credential"
        );
        let seen = evil.requests();
        assert_eq!(seen.len(), 1, "the file is fetched once to hash it");
        assert_eq!(seen[0].path(), format!("/files/{name}"));
        assert_eq!(
            seen[0].authorization(),
            None,
            "no credential to another host"
        );
        for form in basic_forms("__token__", TOKEN) {
            assert!(!evil.saw(&form), "`{form}` reached the file host");
        }
        let theirs = common::fake::sha256(b"other bytes");
        assert_failed_in_bound(
            &out,
            took,
            &[
                "already on the index with other content",
                &theirs,
                &sha256_of(&whl),
            ],
        );
        assert!(posts(&index).is_empty(), "nothing uploaded over a clash");
        assert_no_leak(&out, &basic_forms("__token__", TOKEN));
    }
}

/// Finding 3: the mint endpoint answers 307, 308 or 302 to another host. The OIDC token is not
/// sent there (the other host sees nothing at all), the exchange is not retried, and the error
/// says the exchange was redirected, with a hint.
#[test]
fn a_redirected_token_exchange_never_resends_the_oidc_token() {
    let (dir, _) = one_wheel("tpredirect");
    let github = github_oidc();
    for status in [307, 308, 302] {
        let evil = HostileServer::start().with(Rule::any(Behaviour::json(
            200,
            &serde_json::json!({ "token": "pypi-evil" }),
        )));
        let to = format!("{}/_/oidc/mint-token", evil.url());
        let index = HostileServer::start()
            .with(audience())
            .with(
                Rule::exact("/_/oidc/mint-token", Behaviour::redirect(status, &to)).method("POST"),
            )
            .with(ok_upload());
        let (out, took) = trusted(&index, &github.request_url(), dir.path());
        assert!(
            evil.requests().is_empty(),
            "{status}: {:?}",
            evil.requests()
        );
        let mints: Vec<_> = index
            .requests()
            .into_iter()
            .filter(|r| r.path() == "/_/oidc/mint-token")
            .collect();
        assert_eq!(mints.len(), 1, "{status}: a redirect is not retried");
        assert!(mints[0].contains(&jwt()), "the index itself got the token");
        assert_failed_in_bound(
            &out,
            took,
            &[
                "token exchange",
                "redirected",
                &status.to_string(),
                "repository-url",
            ],
        );
        assert!(!out.stderr.contains("pypi-evil"));
        assert!(posts(&index).is_empty());
    }
}

/// Finding 3: the OIDC token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`) redirects to another
/// host: the request token (a bearer) is not sent there, nor anything else.
#[test]
fn a_redirected_oidc_token_request_sends_no_bearer_elsewhere() {
    let (dir, _) = one_wheel("tpoidcredirect");
    for status in [307, 302] {
        let evil = HostileServer::start().with(Rule::any(Behaviour::json(
            200,
            &serde_json::json!({ "value": jwt() }),
        )));
        let github = HostileServer::start().with(Rule::prefix(
            "/oidc-token",
            Behaviour::redirect(
                status,
                &format!("{}/oidc-token?audience=testpypi", evil.url()),
            ),
        ));
        let index = HostileServer::start().with(audience()).with(ok_upload());
        let token_url = format!("{}/oidc-token?api-version=2.0", github.url());
        let (out, took) = trusted(&index, &token_url, dir.path());
        assert!(evil.requests().is_empty(), "{:?}", evil.requests());
        assert!(
            github.saw(REQUEST_TOKEN),
            "GitHub's own endpoint got the bearer"
        );
        assert_failed_in_bound(
            &out,
            took,
            &[
                "OIDC token request",
                "redirected",
                "ACTIONS_ID_TOKEN_REQUEST_URL",
            ],
        );
        assert!(
            !index.requests().iter().any(|r| r.method == "POST"),
            "no exchange and no upload"
        );
    }
}

/// A password with a quote and a backslash: its JSON-escaped form differs from it.
const QUOTED: &str = r#"pw-"quoted"-\back\-s3cret"#;
const USER: &str = "uploader";

/// Finding 4: error pages that quote the request's headers (the Basic credential), or the
/// password itself JSON-escaped, or the credential right where a message is cut: nothing of it
/// is printed, whatever the status (403, 400, 500 after retries) and whichever request (upload
/// or index page) got it.
#[test]
fn error_pages_echoing_the_credential_print_none_of_it() {
    let basic = basic64(USER, QUOTED);
    let escaped = serde_json::to_string(QUOTED).unwrap();
    let filler = "x".repeat(372);
    let cases: Vec<(&str, Rule, Vec<&str>)> = vec![
        (
            "upload 403 html",
            Rule::exact("/legacy/", Behaviour::echo_headers(403, EchoFormat::Html)),
            vec!["refused the credentials (403)"],
        ),
        (
            "upload 400 json",
            Rule::exact("/legacy/", Behaviour::echo_headers(400, EchoFormat::Json)),
            vec!["rejected", "(400)"],
        ),
        (
            "upload 500 html after retries",
            Rule::exact("/legacy/", Behaviour::echo_headers(500, EchoFormat::Html)),
            vec!["failed 3 times"],
        ),
        (
            "index page 500 json after retries",
            Rule::prefix("/simple/", Behaviour::echo_headers(500, EchoFormat::Json)),
            vec!["cannot check what the index already has", "500"],
        ),
        (
            "index page 403 html",
            Rule::prefix("/simple/", Behaviour::echo_headers(403, EchoFormat::Html)),
            vec!["403"],
        ),
        (
            "upload 403 quoting the password json-escaped",
            Rule::exact(
                "/legacy/",
                Behaviour::respond(
                    403,
                    "application/json",
                    format!(r#"{{"detail": "invalid password {escaped}"}}"#),
                ),
            ),
            vec!["refused the credentials (403)"],
        ),
        (
            "upload 403 with the credential across the cut",
            Rule::exact(
                "/legacy/",
                Behaviour::html(
                    403,
                    &format!("<p>{filler} Basic {basic} is not allowed</p>"),
                ),
            ),
            vec!["refused the credentials (403)"],
        ),
    ];
    for (label, rule, needles) in cases {
        let (dir, _) = one_wheel("echoed");
        let index = HostileServer::start()
            .with(rule)
            .with(Rule::prefix("/simple/", not_found()));
        let (out, took) = publish(
            index.url(),
            dir.path(),
            &[("user", USER), ("password", QUOTED)],
            &[],
        );
        assert!(index.saw(&basic), "{label}: the index got the credential");
        assert_failed_in_bound(&out, took, &needles);
        assert_no_leak(&out, &basic_forms(USER, QUOTED));
        // Not even a part of the base64 longer than the user's own part (`uploader:` is 12).
        assert!(!out.leaks(&basic[..16]), "{label}: {}", out.all_text());
    }
}

/// Finding 5: credentials written into `repository-url` never show, whether the host refuses
/// the connection, is not HTTPS, or is not even a URL.
#[test]
fn credentials_in_a_url_input_are_never_printed() {
    let (dir, _) = one_wheel("inurl");
    let port = free_port();
    let inputs = [
        format!("http://someone:url-s3cret@127.0.0.1:{port}/legacy/"),
        "http://someone:url-s3cret@pypi.internal/legacy/".to_string(),
        "https://someone:url-s3cret@[pypi.internal/legacy/".to_string(),
    ];
    for url in &inputs {
        for input in ["repository-url", "index-url"] {
            let mut all = vec![
                ("packages-dir", dir.path().to_str().unwrap()),
                ("repository-url", "http://127.0.0.1:9/legacy/"),
                ("password", TOKEN),
            ];
            all.retain(|(k, _)| *k != input);
            all.push((input, url.as_str()));
            let started = std::time::Instant::now();
            let out = run_within(&all, FAST, HUNG);
            assert_failed_in_bound(&out, started.elapsed(), &[]);
            assert_no_leak(&out, &basic_forms("someone", "url-s3cret"));
            assert!(
                out.stdout.contains("::add-mask::url-s3cret"),
                "{input} `{url}`: masked as soon as it is read:\n{}",
                out.stdout
            );
        }
    }

    // A token given as the user alone (`https://TOKEN@host/`), echoed back by the index.
    let echo =
        HostileServer::start().with(Rule::any(Behaviour::echo_headers(403, EchoFormat::Html)));
    let url = format!("http://tokonly-s3cret@{}/simple/", &echo.url()[7..]);
    let started = std::time::Instant::now();
    let out = run_within(
        &[
            ("packages-dir", dir.path().to_str().unwrap()),
            ("repository-url", "http://127.0.0.1:9/legacy/"),
            ("index-url", &url),
            ("password", TOKEN),
        ],
        FAST,
        HUNG,
    );
    let basic = basic64("tokonly-s3cret", "");
    assert!(echo.saw(&basic), "the index got the token as its user");
    assert_failed_in_bound(&out, started.elapsed(), &["403"]);
    for form in ["tokonly-s3cret", &basic, basic.trim_end_matches('=')] {
        assert!(!out.leaks(form), "`{form}` leaked:\n{}", out.all_text());
    }
}

/// Finding 5: the credentials of `repository-url` and `index-url` are each used for their own
/// origin only (the upload host never gets the index's, the index never gets the upload's),
/// and error pages echoing them print neither.
#[test]
fn credentials_in_url_inputs_go_only_to_their_own_origin() {
    let (dir, whl) = one_wheel("urlcreds");
    let index = HostileServer::start().with(Rule::prefix(
        "/simple/",
        Behaviour::echo_headers(403, EchoFormat::Html),
    ));
    let upload = HostileServer::start().with(Rule::exact(
        "/legacy/",
        Behaviour::echo_headers(403, EchoFormat::Json),
    ));
    let upload_url = format!("http://someone:up-s3cret@{}/legacy/", &upload.url()[7..]);
    let index_url = format!("http://reader:idx-s3cret@{}/simple/", &index.url()[7..]);
    let (out, took) = publish(
        index.url(),
        dir.path(),
        &[
            ("repository-url", &upload_url),
            ("index-url", &index_url),
            ("password", ""),
        ],
        &[],
    );
    let up = format!("Basic {}", basic64("someone", "up-s3cret"));
    let idx = format!("Basic {}", basic64("reader", "idx-s3cret"));
    assert_eq!(index.requests()[0].authorization(), Some(idx.as_str()));
    assert!(!index.saw(&basic64("someone", "up-s3cret")) && !index.saw("up-s3cret"));
    assert_failed_in_bound(&out, took, &["403"]);
    assert!(posts(&upload).is_empty(), "the index check failed first");
    assert_no_leak(&out, &basic_forms("reader", "idx-s3cret"));

    // Now the index lets the check through: the upload host gets its own credential only.
    index.clear_rules();
    index.add(Rule::prefix("/simple/", not_found()));
    let (out, took) = publish(
        index.url(),
        dir.path(),
        &[
            ("repository-url", &upload_url),
            ("index-url", &index_url),
            ("password", ""),
        ],
        &[],
    );
    let sent = posts(&upload);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].authorization(), Some(up.as_str()));
    assert!(!upload.saw(&basic64("reader", "idx-s3cret")) && !upload.saw("idx-s3cret"));
    assert_failed_in_bound(&out, took, &["refused the credentials (403)"]);
    for (user, password) in [("someone", "up-s3cret"), ("reader", "idx-s3cret")] {
        assert_no_leak(&out, &basic_forms(user, password));
    }
    assert!(out.stderr.contains(&file_name(&whl)));
}

/// Finding 5: a successful run with the credentials in `repository-url` (and the index derived
/// from it) shows the URLs without them in the log, the outputs and the summary's links.
#[test]
fn a_url_with_credentials_uploads_and_shows_no_credentials() {
    let (dir, _) = one_wheel("urlok");
    let index = HostileServer::start()
        .with(Rule::prefix("/simple/", not_found()))
        .with(ok_upload());
    let upload_url = format!("http://someone:ok-s3cret@{}/legacy/", &index.url()[7..]);
    let (out, _) = publish(
        index.url(),
        dir.path(),
        &[
            ("repository-url", &upload_url),
            ("index-url", ""),
            ("password", ""),
        ],
        &[],
    );
    out.assert_ok();
    let basic = format!("Basic {}", basic64("someone", "ok-s3cret"));
    assert!(
        index
            .requests()
            .iter()
            .all(|r| r.authorization() == Some(basic.as_str()))
    );
    assert_eq!(out.list("uploaded").len(), 1);
    assert!(out.summary.contains(index.url()), "{}", out.summary);
    assert_no_leak(&out, &basic_forms("someone", "ok-s3cret"));
    assert!(!out.all_text().contains("someone:"), "{}", out.all_text());

    // With `password` set as well, the input wins: the URL's credentials are never sent.
    index.clear_requests();
    let (dir, _) = one_wheel("urlpw");
    let (out, _) = publish(
        index.url(),
        dir.path(),
        &[("repository-url", &upload_url), ("index-url", "")],
        &[],
    );
    out.assert_ok();
    let token = format!("Basic {}", basic64("__token__", TOKEN));
    let sent = index.requests();
    assert!(
        sent.iter()
            .all(|r| r.authorization() == Some(token.as_str()))
    );
    assert!(!sent.iter().any(|r| r.contains("ok-s3cret")));
    assert!(
        out.stdout.contains("::warning::") && out.stdout.contains("not used"),
        "{}",
        out.stdout
    );
    assert_no_leak(&out, &basic_forms("someone", "ok-s3cret"));
}
