//! The gate check (`require-protected-environment`) against the fake GitHub and the OIDC
//! double: the job's environment comes from its OIDC token's `environment` claim and its
//! protection rules from the environments API. Reviewers or a wait timer pass; none is a
//! warning (an error when required, before anything is uploaded); no token, no OIDC token, no
//! environment claim or an unknown environment each say so.

mod common;

use common::fake::{self, Fake};
use common::{Outcome, run};
use slipway_testkit::doubles::oidc::{self, GitHubOidc, TokenIssuer};
use slipway_testkit::github::{EnvironmentRule, FakeGitHub};
use slipway_testkit::hostile::{Behaviour, EchoFormat, HostileServer, Rule};

const REPO: &str = "octo/pkg";
const REQUEST_TOKEN: &str = "ghs_gateREQUESTtoken0123456789";
const AUDIENCE: &str = "https://github.com/octo";

/// GitHub's token endpoint, handing out a token with `environment` (none when `None`).
fn oidc_endpoint(environment: Option<&str>) -> GitHubOidc {
    let mut claims = oidc::github_claims(REPO, "release.yml", "refs/tags/v1.0", &"a".repeat(40));
    if let Some(name) = environment {
        oidc::set_environment(&mut claims, name);
    }
    GitHubOidc::start(TokenIssuer::github(REQUEST_TOKEN, &claims, &[AUDIENCE]))
}

struct World {
    github: FakeGitHub,
    index: Fake,
    dir: tempfile::TempDir,
}

fn world() -> World {
    let github = FakeGitHub::with_repo(REPO);
    github.add_environment(
        None,
        "pypi",
        &[
            EnvironmentRule::Reviewers(vec!["release-manager".into()]),
            EnvironmentRule::Branches { protected: false },
        ],
    );
    github.add_environment(
        None,
        "open",
        &[EnvironmentRule::Branches { protected: true }],
    );
    let dir = tempfile::tempdir().unwrap();
    common::hostile::wheel(dir.path(), "gated", 1024);
    World {
        github,
        index: fake::index(|_, _| None),
        dir,
    }
}

/// Publishes with an API token; `token` is the GitHub token (`None`: not given), `oidc` the
/// token endpoint (`None`: the job has no `id-token: write`).
fn publish(
    w: &World,
    token: Option<&str>,
    oidc: Option<&GitHubOidc>,
    extra: &[(&str, &str)],
) -> Outcome {
    let upload = format!("{}/legacy/", w.index.base);
    let simple = format!("{}/simple/", w.index.base);
    let gh_token = w.github.token();
    let mut inputs = vec![
        ("packages-dir", w.dir.path().to_str().unwrap()),
        ("repository-url", upload.as_str()),
        ("index-url", simple.as_str()),
        ("password", fake::TOKEN),
        ("repository", REPO),
        ("api-url", w.github.api_url()),
    ];
    if let Some(t) = token {
        inputs.push(("token", t));
    }
    inputs.extend_from_slice(extra);
    let request_url = oidc.map(GitHubOidc::request_url);
    let mut env = common::hostile::FAST.to_vec();
    if let Some(url) = &request_url {
        env.push(("ACTIONS_ID_TOKEN_REQUEST_URL", url.as_str()));
        env.push(("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN));
    }
    let out = run(&inputs, &env);
    for secret in [gh_token.as_str(), fake::TOKEN, REQUEST_TOKEN] {
        assert!(!out.leaks(secret), "`{secret}` leaked:\n{}", out.all_text());
    }
    out
}

fn notices(out: &Outcome) -> Vec<String> {
    slipway_testkit::harness::annotations(&out.stdout, "notice")
}

#[test]
fn an_environment_with_required_reviewers_passes() {
    let w = world();
    let token = w.github.token();
    let endpoint = oidc_endpoint(Some("pypi"));
    let out = publish(
        &w,
        Some(&token),
        Some(&endpoint),
        &[("require-protected-environment", "true")],
    );
    out.assert_ok();
    assert!(
        out.summary
            .contains("**Deployment environment:** `pypi`: protected by 1 required reviewer(s)"),
        "{}",
        out.summary
    );
    assert!(out.warnings().is_empty(), "{:?}", out.warnings());
    assert_eq!(w.index.uploads().len(), 1);
    assert!(w.github.unexpected_requests().is_empty());
}

#[test]
fn an_environment_without_protection_rules_warns_or_fails_when_required() {
    let w = world();
    let token = w.github.token();
    let endpoint = oidc_endpoint(Some("open"));
    let out = publish(&w, Some(&token), Some(&endpoint), &[]);
    out.assert_ok();
    let warnings = out.warnings();
    assert!(
        warnings.iter().any(|m| m.contains("`open` has no required reviewers, wait timer or custom rule (only a branch policy: protected branches only)")),
        "{warnings:?}"
    );
    assert!(
        out.summary.contains("`open`: **not protected**"),
        "{}",
        out.summary
    );
    assert_eq!(w.index.uploads().len(), 1);

    let required = publish(
        &w,
        Some(&token),
        Some(&endpoint),
        &[("require-protected-environment", "true")],
    );
    required.assert_failed_with(&["the deployment environment `open`", "hint: "]);
    assert_eq!(w.index.uploads().len(), 1, "nothing more was uploaded");
}

#[test]
fn an_unknown_environment_warns_or_fails_when_required() {
    let w = world();
    let token = w.github.token();
    let endpoint = oidc_endpoint(Some("staging"));
    let out = publish(&w, Some(&token), Some(&endpoint), &[]);
    out.assert_ok();
    assert!(
        out.warnings()
            .iter()
            .any(|m| m.contains("`staging` was not found in `octo/pkg`")),
        "{:?}",
        out.warnings()
    );
    let required = publish(
        &w,
        Some(&token),
        Some(&endpoint),
        &[("require-protected-environment", "true")],
    );
    required.assert_failed_with(&["`staging` was not found"]);
}

#[test]
fn no_token_no_oidc_or_no_environment_claim_is_a_notice_or_an_error_when_required() {
    let w = world();
    let token = w.github.token();
    let with_env = oidc_endpoint(Some("pypi"));
    let no_env = oidc_endpoint(None);
    let cases: [(&str, Option<&str>, Option<&GitHubOidc>, &str); 3] = [
        (
            "no token",
            None,
            Some(&with_env),
            "no GitHub `token` was given",
        ),
        ("no OIDC", Some(&token), None, "the job has no OIDC token"),
        (
            "no claim",
            Some(&token),
            Some(&no_env),
            "the job runs in no deployment environment",
        ),
    ];
    for (label, token, endpoint, needle) in cases {
        let out = publish(&w, token, endpoint, &[]);
        if endpoint.is_some() {
            out.assert_ok();
            assert!(
                notices(&out).iter().any(|m| m.contains(needle)),
                "{label}: {:?}",
                notices(&out)
            );
        } else {
            // Without `id-token: write` and not required, there is nothing to check or say.
            out.assert_ok();
            assert!(
                !out.stdout.contains("gate check"),
                "{label}: {}",
                out.stdout
            );
        }
        let uploads = w.index.uploads().len();
        let required = publish(
            &w,
            token,
            endpoint,
            &[("require-protected-environment", "true")],
        );
        required.assert_failed_with(&["`require-protected-environment` is true", needle, "hint: "]);
        assert_eq!(
            w.index.uploads().len(),
            uploads,
            "{label}: nothing uploaded"
        );
    }
}

#[test]
fn a_github_api_that_echoes_the_token_or_never_answers_is_bounded_and_leaks_nothing() {
    let w = world();
    let token = w.github.token();
    let endpoint = oidc_endpoint(Some("pypi"));
    let echoing = slipway_testkit::hostile::echoing_api(&w.github, 500, EchoFormat::Json);
    let silent = HostileServer::proxy(w.github.api_url())
        .with(Rule::prefix("/repos/", Behaviour::BlackHole));
    for (label, api) in [("echo", echoing.url()), ("black hole", silent.url())] {
        let started = std::time::Instant::now();
        let out = publish(&w, Some(&token), Some(&endpoint), &[("api-url", api)]);
        out.assert_ok();
        assert!(
            started.elapsed() < common::hostile::BOUND,
            "{label}: took {:?}",
            started.elapsed()
        );
        assert!(
            notices(&out)
                .iter()
                .any(|m| m.contains("the environment `pypi` could not be read")),
            "{label}: {:?}",
            notices(&out)
        );
        let required = publish(
            &w,
            Some(&token),
            Some(&endpoint),
            &[("api-url", api), ("require-protected-environment", "true")],
        );
        required.assert_failed_with(&["could not be read", "hint: grant the job `actions: read`"]);
    }
    assert!(
        echoing.saw(&token),
        "the echoing API got the token it should echo"
    );
}
