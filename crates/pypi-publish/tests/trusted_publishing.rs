//! Trusted publishing against a fake GitHub OIDC token endpoint and a fake index implementing
//! `/_/oidc/audience` and `/_/oidc/mint-token`: the success path and every error path.

mod common;

use std::sync::OnceLock;

use common::fake::{self, Reply};
use common::{Outcome, run};
use slipway_testkit::doubles::oidc::{self, GitHubOidc, Minting, TokenIssuer};

const REQUEST_TOKEN: &str = "ghs_requesttokenABCDEF123456";
const MINTED: &str = "pypi-mintedTOKEN-0123456789abcdef";

fn jwt(job_workflow_ref: &str) -> String {
    oidc::jwt(&serde_json::json!({
        "sub": "repo:octo/pkg:environment:pypi",
        "repository": "octo/pkg",
        "workflow_ref": "octo/pkg/.github/workflows/release.yml@refs/tags/v1.0",
        "job_workflow_ref": job_workflow_ref,
        "ref": "refs/tags/v1.0",
        "environment": "pypi",
    }))
}

const OWN_WORKFLOW: &str = "octo/pkg/.github/workflows/release.yml@refs/tags/v1.0";

struct Setup {
    audience_status: u16,
    mint_ok: bool,
    job_workflow_ref: &'static str,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            audience_status: 200,
            mint_ok: true,
            job_workflow_ref: OWN_WORKFLOW,
        }
    }
}

/// Both sides of trusted publishing: GitHub's token endpoint (the bearer `REQUEST_TOKEN`, the
/// audience `testpypi`) and an index that trades the JWT for `MINTED` (PyPI says it expires in
/// 15 minutes: no renewal for two files) and takes uploads only with it.
struct Trusted {
    github: GitHubOidc,
    index: fake::Fake,
}

fn oidc_index(setup: Setup) -> Trusted {
    let token = jwt(setup.job_workflow_ref);
    let github = GitHubOidc::start(TokenIssuer::new(REQUEST_TOKEN, "testpypi", &token));
    let mut minting = Minting::new("testpypi", &token, MINTED);
    let minted_basic = minting.upload_authorization().unwrap();
    minting.audience_status = setup.audience_status;
    if !setup.mint_ok {
        minting.minted = None;
    }
    let index = fake::index(move |r, _| {
        minting.answer(r).or_else(|| {
            (r.method == "POST"
                && r.path == "/legacy/"
                && r.header("authorization") != Some(minted_basic.as_str()))
            .then(|| Reply::new(403, "text/plain", "wrong credentials"))
        })
    });
    Trusted { github, index }
}

fn dists() -> &'static std::path::Path {
    static DISTS: OnceLock<(tempfile::TempDir, std::path::PathBuf)> = OnceLock::new();
    let (_, dir) = DISTS.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = common::build_dists("flit-core", "tp-demo", "1.0", tmp.path());
        (tmp, dir)
    });
    dir
}

fn publish(trusted: &Trusted, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Outcome {
    let upload = format!("{}/legacy/", trusted.index.base);
    let simple = format!("{}/simple/", trusted.index.base);
    let token_url = trusted.github.request_url();
    let mut all = vec![
        ("packages-dir", dists().to_str().unwrap()),
        ("repository-url", upload.as_str()),
        ("index-url", simple.as_str()),
        // Attestations have their own tests (tests/attestations.rs) against Sigstore doubles.
        ("attestations", "false"),
    ];
    for (k, v) in inputs {
        all.retain(|(name, _)| name != k);
        all.push((k, v));
    }
    let mut environment = vec![
        ("ACTIONS_ID_TOKEN_REQUEST_URL", token_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN),
    ];
    for (k, v) in env {
        environment.retain(|(name, _)| name != k);
        environment.push((k, v));
    }
    let out = run(&all, &environment);
    let token = jwt(OWN_WORKFLOW);
    for secret in [MINTED, REQUEST_TOKEN, token.as_str()] {
        assert!(!out.leaks(secret), "`{secret}` leaked:\n{}", out.all_text());
    }
    out
}

#[test]
fn trusted_publishing_mints_a_token_and_uploads_with_it() {
    let trusted = oidc_index(Setup::default());
    let out = publish(&trusted, &[], &[]);
    out.assert_ok();
    assert_eq!(out.list("uploaded").len(), 2, "{}", out.all_text());
    assert!(
        out.stdout.contains(&format!("::add-mask::{MINTED}")),
        "the minted token is masked"
    );
    assert!(!out.stdout.contains("::warning::"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("minting a fresh one"),
        "{}",
        out.stdout
    );
    let mints = trusted
        .index
        .requests()
        .iter()
        .filter(|r| r.path == "/_/oidc/mint-token")
        .count();
    assert_eq!(mints, 1, "a token good for 15 minutes is not renewed");
    let always = oidc_index(Setup::default());
    publish(&always, &[("trusted-publishing", "always")], &[]).assert_ok();
}

#[test]
fn missing_id_token_permission_says_so() {
    let trusted = oidc_index(Setup::default());
    let out = publish(
        &trusted,
        &[],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", ""),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ""),
        ],
    );
    out.assert_failed_with(&["ACTIONS_ID_TOKEN_REQUEST_URL", "id-token: write"]);
    assert!(trusted.index.uploads().is_empty());
}

#[test]
fn pull_requests_from_forks_are_explained() {
    let trusted = oidc_index(Setup::default());
    let tmp = tempfile::tempdir().unwrap();
    let event = tmp.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"pull_request": {"base": {"sha": "a", "repo": {"full_name": "octo/pkg"}}, "head": {"sha": "b", "repo": {"full_name": "fork/pkg", "fork": true}}}}"#,
    )
    .unwrap();
    let out = publish(
        &trusted,
        &[],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", ""),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ""),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ],
    );
    out.assert_failed_with(&["pull requests from forks"]);
}

#[test]
fn an_index_without_trusted_publishing_says_so() {
    let trusted = oidc_index(Setup {
        audience_status: 403,
        ..Setup::default()
    });
    let out = publish(&trusted, &[], &[]);
    out.assert_failed_with(&["does not offer trusted publishing", "403", "API token"]);
    assert!(trusted.index.uploads().is_empty());
}

#[test]
fn an_unknown_publisher_shows_the_error_and_the_claims() {
    let trusted = oidc_index(Setup {
        mint_ok: false,
        ..Setup::default()
    });
    let out = publish(&trusted, &[], &[]);
    out.assert_failed_with(&[
        "refused to mint an upload token (422 Unprocessable Entity): Token request failed",
        "`invalid-publisher`: valid token, but no corresponding publisher",
        "repository: `octo/pkg`",
        "workflow_ref: `octo/pkg/.github/workflows/release.yml@refs/tags/v1.0`",
        "ref: `refs/tags/v1.0`",
        "environment: `pypi`",
        "hint: register a trusted publisher",
    ]);
    assert!(trusted.index.uploads().is_empty());
}

#[test]
fn a_reusable_workflow_is_warned_about() {
    let reusable = "shared/workflows/.github/workflows/publish.yml@refs/heads/main";
    let trusted = oidc_index(Setup {
        mint_ok: false,
        job_workflow_ref: reusable,
        ..Setup::default()
    });
    let out = publish(&trusted, &[], &[]);
    out.assert_failed_with(&["publish from a top-level workflow", reusable]);
    assert!(
        out.stdout.contains("::warning::") && out.stdout.contains("reusable workflow"),
        "{}",
        out.stdout
    );
}

#[test]
fn never_without_a_password_is_an_error() {
    let trusted = oidc_index(Setup::default());
    publish(&trusted, &[("trusted-publishing", "never")], &[])
        .assert_failed_with(&["no `password` given and `trusted-publishing` is `never`"]);
    publish(&trusted, &[("trusted-publishing", "sometimes")], &[]).assert_failed_with(&[
        "`trusted-publishing`",
        "sometimes",
        "always",
    ]);
    assert!(trusted.index.requests().is_empty());
    assert!(trusted.github.requests().is_empty());
}
