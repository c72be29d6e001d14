//! Trusted publishing against a fake GitHub OIDC token endpoint and a fake index implementing
//! `/_/oidc/audience` and `/_/oidc/mint-token`: the success path and every error path.

mod common;

use std::sync::OnceLock;

use base64::Engine as _;
use common::fake::{self, Reply};
use common::{Outcome, run};

const REQUEST_TOKEN: &str = "ghs_requesttokenABCDEF123456";
const MINTED: &str = "pypi-mintedTOKEN-0123456789abcdef";

fn jwt(job_workflow_ref: &str) -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let claims = serde_json::json!({
        "sub": "repo:octo/pkg:environment:pypi",
        "repository": "octo/pkg",
        "workflow_ref": "octo/pkg/.github/workflows/release.yml@refs/tags/v1.0",
        "job_workflow_ref": job_workflow_ref,
        "ref": "refs/tags/v1.0",
        "environment": "pypi",
    });
    format!(
        "{}.{}.c2lnbmF0dXJl",
        enc(br#"{"alg":"RS256"}"#),
        enc(claims.to_string().as_bytes())
    )
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
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

fn oidc_index(setup: Setup) -> fake::Fake {
    let token = jwt(setup.job_workflow_ref);
    let minted_basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("__token__:{MINTED}"))
    );
    fake::index(move |r, _| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/_/oidc/audience") => Some(Reply::new(
            setup.audience_status,
            "application/json",
            r#"{"audience": "testpypi"}"#,
        )),
        ("GET", p) if p.starts_with("/oidc-token") => {
            let ok = r.header("authorization") == Some(&format!("Bearer {REQUEST_TOKEN}"))
                && p.contains("audience=testpypi");
            Some(if ok {
                Reply::new(
                    200,
                    "application/json",
                    serde_json::json!({"value": token}).to_string(),
                )
            } else {
                Reply::new(401, "text/plain", "bad request token")
            })
        }
        ("POST", "/_/oidc/mint-token") => {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body["token"], token, "the GitHub token is exchanged");
            Some(if setup.mint_ok {
                Reply::new(
                    200,
                    "application/json",
                    // PyPI says when the token expires: 15 minutes, no renewal for two files.
                    serde_json::json!({"success": true, "token": MINTED, "expires": now() + 900})
                        .to_string(),
                )
            } else {
                Reply::new(
                    422,
                    "application/json",
                    r#"{"message": "Token request failed", "errors": [{"code": "invalid-publisher", "description": "valid token, but no corresponding publisher (Publisher with matching claims was not found)"}]}"#,
                )
            })
        }
        ("POST", "/legacy/") if r.header("authorization") != Some(minted_basic.as_str()) => {
            Some(Reply::new(403, "text/plain", "wrong credentials"))
        }
        _ => None,
    })
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

fn publish(index: &fake::Fake, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Outcome {
    let upload = format!("{}/legacy/", index.base);
    let simple = format!("{}/simple/", index.base);
    let token_url = format!("{}/oidc-token?api-version=2.0", index.base);
    let mut all = vec![
        ("packages-dir", dists().to_str().unwrap()),
        ("repository-url", upload.as_str()),
        ("index-url", simple.as_str()),
    ];
    all.extend_from_slice(inputs);
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
    let index = oidc_index(Setup::default());
    let out = publish(&index, &[], &[]);
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
    let mints = index
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
    let index = oidc_index(Setup::default());
    let out = publish(
        &index,
        &[],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", ""),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ""),
        ],
    );
    out.assert_failed_with(&["ACTIONS_ID_TOKEN_REQUEST_URL", "id-token: write"]);
    assert!(index.uploads().is_empty());
}

#[test]
fn pull_requests_from_forks_are_explained() {
    let index = oidc_index(Setup::default());
    let tmp = tempfile::tempdir().unwrap();
    let event = tmp.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"pull_request": {"base": {"sha": "a", "repo": {"full_name": "octo/pkg"}}, "head": {"sha": "b", "repo": {"full_name": "fork/pkg", "fork": true}}}}"#,
    )
    .unwrap();
    let out = publish(
        &index,
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
    let index = oidc_index(Setup {
        audience_status: 403,
        ..Setup::default()
    });
    let out = publish(&index, &[], &[]);
    out.assert_failed_with(&["does not offer trusted publishing", "403", "API token"]);
    assert!(index.uploads().is_empty());
}

#[test]
fn an_unknown_publisher_shows_the_error_and_the_claims() {
    let index = oidc_index(Setup {
        mint_ok: false,
        ..Setup::default()
    });
    let out = publish(&index, &[], &[]);
    out.assert_failed_with(&[
        "refused to mint an upload token (422 Unprocessable Entity): Token request failed",
        "`invalid-publisher`: valid token, but no corresponding publisher",
        "repository: `octo/pkg`",
        "workflow_ref: `octo/pkg/.github/workflows/release.yml@refs/tags/v1.0`",
        "ref: `refs/tags/v1.0`",
        "environment: `pypi`",
        "hint: register a trusted publisher",
    ]);
    assert!(index.uploads().is_empty());
}

#[test]
fn a_reusable_workflow_is_warned_about() {
    let reusable = "shared/workflows/.github/workflows/publish.yml@refs/heads/main";
    let index = oidc_index(Setup {
        mint_ok: false,
        job_workflow_ref: reusable,
        ..Setup::default()
    });
    let out = publish(&index, &[], &[]);
    out.assert_failed_with(&["publish from a top-level workflow", reusable]);
    assert!(
        out.stdout.contains("::warning::") && out.stdout.contains("reusable workflow"),
        "{}",
        out.stdout
    );
}

#[test]
fn never_without_a_password_is_an_error() {
    let index = oidc_index(Setup::default());
    publish(&index, &[("trusted-publishing", "never")], &[])
        .assert_failed_with(&["no `password` given and `trusted-publishing` is `never`"]);
    publish(&index, &[("trusted-publishing", "sometimes")], &[]).assert_failed_with(&[
        "`trusted-publishing`",
        "sometimes",
        "always",
    ]);
    assert!(index.requests().is_empty());
}
