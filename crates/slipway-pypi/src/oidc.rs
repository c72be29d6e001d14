//! Trusted publishing: the index's OIDC audience, GitHub's ID token for it, and the short-lived
//! upload token minted from it. Every failure says what to fix; the token's claims are shown
//! when the index does not match them to a publisher.

use std::fmt;

use base64::Engine as _;
use http::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use slipway_http::{Credential, Redirects, Request, Transport};
use slipway_runner::{Commands, Event};
use url::Url;

/// When to use trusted publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustedPublishing {
    /// When no password is given.
    #[default]
    Auto,
    /// Always; a password is an error.
    Always,
    /// Never; a password is required.
    Never,
}

impl std::str::FromStr for TrustedPublishing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(Self::Auto),
            "always" | "true" => Ok(Self::Always),
            "never" | "false" => Ok(Self::Never),
            _ => Err("expected `auto`, `always` or `never`".to_string()),
        }
    }
}

/// What the job's environment offers for trusted publishing.
#[derive(Debug, Clone, Default)]
pub struct OidcEnv {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` (set only with `id-token: write`).
    pub request_url: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub request_token: Option<SecretString>,
    /// `GITHUB_EVENT_NAME`.
    pub event_name: Option<String>,
    /// The event payload, to recognise pull requests from forks.
    pub event: Option<Event>,
}

impl OidcEnv {
    /// The token endpoint and the job's bearer for it; else an error saying what is missing
    /// (the `id-token: write` permission, or a pull request from a fork, which never gets one).
    fn request(&self) -> Result<(&String, &SecretString), Box<TrustedPublishingError>> {
        match (&self.request_url, &self.request_token) {
            (Some(url), Some(token)) => Ok((url, token)),
            _ if self.is_fork_pull_request() => {
                Err(Box::new(TrustedPublishingError::ForkPullRequest))
            }
            _ => Err(Box::new(TrustedPublishingError::MissingPermission)),
        }
    }

    /// True when the run is a pull request whose head lives in another repository.
    pub fn is_fork_pull_request(&self) -> bool {
        let pr_event = self
            .event_name
            .as_deref()
            .is_some_and(|e| e.starts_with("pull_request"));
        let Some(pr) = self.event.as_ref().and_then(|e| e.pull_request.as_ref()) else {
            return false;
        };
        let head = pr.head.repo.as_ref();
        let base = pr.base.repo.as_ref();
        pr_event
            && (head.is_some_and(|h| h.fork)
                || head.and_then(|h| h.full_name.as_ref())
                    != base.and_then(|b| b.full_name.as_ref()))
    }
}

/// The claims of a GitHub ID token that a trusted publisher is matched on.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Claims {
    /// `sub`.
    #[serde(default)]
    pub sub: Option<String>,
    /// `repository` (`owner/name`).
    #[serde(default)]
    pub repository: Option<String>,
    /// `workflow_ref`: the workflow the run started from.
    #[serde(default)]
    pub workflow_ref: Option<String>,
    /// `job_workflow_ref`: the workflow file the job is defined in (what PyPI matches).
    #[serde(default)]
    pub job_workflow_ref: Option<String>,
    /// `ref`.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
    /// `environment`.
    #[serde(default)]
    pub environment: Option<String>,
}

impl Claims {
    /// Reads the (unverified) payload of a JWT; `None` when it is not a JWT.
    pub fn from_jwt(jwt: &str) -> Option<Self> {
        let payload = jwt.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// True when the job's workflow is not the run's workflow (a reusable workflow).
    pub fn is_reusable_workflow(&self) -> bool {
        matches!((&self.workflow_ref, &self.job_workflow_ref), (Some(w), Some(j)) if w != j)
    }
}

impl fmt::Display for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not set)".to_string());
        write!(
            f,
            "  sub: `{}`\n  repository: `{}`\n  workflow_ref: `{}`\n  job_workflow_ref: `{}`\n  ref: `{}`\n  environment: `{}`",
            show(&self.sub),
            show(&self.repository),
            show(&self.workflow_ref),
            show(&self.job_workflow_ref),
            show(&self.git_ref),
            show(&self.environment)
        )
    }
}

/// One error the mint endpoint reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct MintErrorItem {
    /// The code (`invalid-publisher`, `invalid-payload`, …).
    pub code: String,
    /// The index's description.
    #[serde(default)]
    pub description: String,
}

fn render_items(items: &[MintErrorItem]) -> String {
    items
        .iter()
        .map(|i| format!("  - `{}`: {}", i.code, i.description))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Why trusted publishing failed, with what to fix.
#[derive(Debug, thiserror::Error)]
pub enum TrustedPublishingError {
    /// The job may not request an ID token.
    #[error(
        "trusted publishing needs an OIDC token, but `ACTIONS_ID_TOKEN_REQUEST_URL` is not set\nhint: give the publishing job `permissions: id-token: write` (trusted publishing and attestations both need it), or pass an API token as `password`"
    )]
    MissingPermission,
    /// A pull request from a fork never gets an ID token.
    #[error(
        "trusted publishing is not available to pull requests from forks: GitHub gives them no OIDC token\nhint: publish from a workflow triggered by `release` or `push` in the repository itself"
    )]
    ForkPullRequest,
    /// The index does not offer trusted publishing.
    #[error(
        "the index at `{url}` does not offer trusted publishing (it answered {status} for its OIDC audience)\nhint: use an API token as `password`, or check `repository-url` points at PyPI or TestPyPI"
    )]
    Disabled {
        /// The audience URL.
        url: String,
        /// The answer.
        status: StatusCode,
    },
    /// A request failed before any answer.
    #[error("trusted publishing: cannot reach `{url}`: {reason}")]
    Unreachable {
        /// The URL (never the ID-token URL's query, which is not secret but noisy).
        url: String,
        /// The transport error.
        reason: String,
    },
    /// GitHub refused the ID token.
    #[error(
        "GitHub refused the OIDC token request ({status}): {reason}\nhint: check the job has `permissions: id-token: write`"
    )]
    TokenRequest {
        /// The answer.
        status: StatusCode,
        /// Its body's text.
        reason: String,
    },
    /// The OIDC token endpoint answered with a redirect: the request token is not sent on.
    #[error(
        "the OIDC token request to `{url}` was redirected ({status}) to `{to}`; the request token is not sent there\nhint: `ACTIONS_ID_TOKEN_REQUEST_URL` must be the token endpoint the runner sets; do not override it in the job's environment"
    )]
    TokenRedirect {
        /// The token endpoint (without its query).
        url: String,
        /// The redirect status.
        status: StatusCode,
        /// Where it pointed.
        to: String,
    },
    /// The mint endpoint answered with a redirect: the OIDC token is not sent anywhere else.
    #[error(
        "the token exchange at `{url}` was redirected ({status}) to `{to}`; the OIDC token is not sent to another address\nhint: `repository-url` must be the index's own upload URL (PyPI: `https://upload.pypi.org/legacy/`), with no proxy redirecting it"
    )]
    MintRedirect {
        /// The mint URL.
        url: String,
        /// The redirect status.
        status: StatusCode,
        /// Where it pointed.
        to: String,
    },
    /// An answer that is not the expected JSON.
    #[error("trusted publishing: unexpected answer from `{url}`: {reason}")]
    Malformed {
        /// The URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The index refused to mint a token.
    #[error(
        "the index refused to mint an upload token ({status}): {message}\n{}\nThe OIDC token's claims:\n{claims}\nhint: {hint}",
        render_items(items)
    )]
    Mint {
        /// The answer.
        status: StatusCode,
        /// The index's message.
        message: String,
        /// The error codes with their descriptions.
        items: Vec<MintErrorItem>,
        /// The claims the index matched against.
        claims: Claims,
        /// What to fix.
        hint: String,
    },
}

/// Where a redirect answer points, as messages show it.
fn location(transport: &Transport, answer: &slipway_http::Answer) -> String {
    answer
        .headers
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| answer.url.join(l).ok())
        .map(|u| transport.show(&u))
        .unwrap_or_else(|| "(no `Location`)".to_string())
}

fn origin_url(upload: &Url, path: &str) -> Url {
    let mut url = upload.clone();
    url.set_path(path);
    url.set_query(None);
    url.set_fragment(None);
    url
}

#[derive(serde::Deserialize)]
struct Audience {
    audience: String,
}

#[derive(serde::Deserialize)]
struct IdToken {
    value: String,
}

#[derive(serde::Deserialize)]
struct MintAnswer {
    token: String,
    /// When the token expires (epoch seconds); PyPI sends it.
    #[serde(default)]
    expires: Option<u64>,
}

#[derive(serde::Deserialize, Default)]
struct MintFailure {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<MintErrorItem>,
}

/// A short-lived upload token from trusted publishing.
#[derive(Debug, Clone)]
pub struct MintedToken {
    /// The token (masked as soon as it arrived).
    pub token: SecretString,
    /// When it expires, in epoch seconds: the index's word, else 15 minutes after minting.
    pub expires: u64,
}

/// How long a minted token lives when the index does not say (PyPI: 15 minutes).
pub const TOKEN_LIFETIME: u64 = 15 * 60;

/// The bytes read of the small JSON answers of trusted publishing.
const ANSWER_CAP: u64 = 1024 * 1024;

/// Exchanges the job's OIDC token for a short-lived upload token: `GET /_/oidc/audience` on the
/// upload host, the OIDC token for that audience from GitHub, `POST /_/oidc/mint-token`. Every
/// step goes through the transport (retried like any call); the mint POST carries the OIDC
/// token in its body and so follows no redirect; both tokens are masked.
pub async fn mint_token(
    transport: &Transport,
    upload: &Url,
    env: &OidcEnv,
    commands: &Commands,
) -> Result<MintedToken, TrustedPublishingError> {
    // Without `id-token: write` nothing is asked of the index either.
    let (_, request_token) = env.request().map_err(|e| *e)?;
    commands.add_mask(request_token.expose_secret());
    let unreachable = |url: &Url, e: slipway_http::HttpError| TrustedPublishingError::Unreachable {
        url: transport.show(url),
        reason: e.to_string(),
    };

    let audience_url = origin_url(upload, "/_/oidc/audience");
    let answer = transport
        .fetch(
            &Request::get(audience_url.clone())
                .redirects(Redirects::SameOrigin)
                .cap(ANSWER_CAP),
        )
        .await
        .map_err(|e| unreachable(&audience_url, e))?;
    if !answer.status.is_success() {
        return Err(TrustedPublishingError::Disabled {
            url: transport.show(&audience_url),
            status: answer.status,
        });
    }
    let audience: Audience =
        serde_json::from_slice(&answer.body).map_err(|e| TrustedPublishingError::Malformed {
            url: transport.show(&audience_url),
            reason: e.to_string(),
        })?;

    let (jwt, claims) = id_token(transport, env, &audience.audience, commands).await?;
    if claims.is_reusable_workflow() {
        commands.warning(&format!(
            "this job runs in a reusable workflow (`job_workflow_ref` `{}` differs from `workflow_ref` `{}`); PyPI matches a trusted publisher on `job_workflow_ref`, and does not support publishers for workflows in another repository. Publish from a top-level workflow in your repository.",
            claims.job_workflow_ref.as_deref().unwrap_or_default(),
            claims.workflow_ref.as_deref().unwrap_or_default()
        ));
    }

    let mint_url = origin_url(upload, "/_/oidc/mint-token");
    let body = serde_json::json!({ "token": jwt.expose_secret() }).to_string();
    let answer = transport
        .fetch(
            &Request::post(mint_url.clone())
                .redirects(Redirects::None)
                .bytes("application/json", body)
                .cap(ANSWER_CAP),
        )
        .await
        .map_err(|e| unreachable(&mint_url, e))?;
    let status = answer.status;
    if status.is_success() {
        let minted: MintAnswer = serde_json::from_slice(&answer.body).map_err(|e| {
            TrustedPublishingError::Malformed {
                url: transport.show(&mint_url),
                reason: e.to_string(),
            }
        })?;
        commands.add_mask(&minted.token);
        let now = slipway_http::retry::now_epoch();
        return Ok(MintedToken {
            token: SecretString::from(minted.token),
            expires: minted.expires.unwrap_or(now + TOKEN_LIFETIME),
        });
    }
    if status.is_redirection() {
        return Err(TrustedPublishingError::MintRedirect {
            url: transport.show(&mint_url),
            status,
            to: location(transport, &answer),
        });
    }
    let failure: MintFailure =
        serde_json::from_slice(&answer.body).unwrap_or_else(|_| MintFailure {
            message: answer.text(),
            errors: Vec::new(),
        });
    let hint = if failure.errors.iter().any(|e| e.code == "invalid-publisher") {
        if claims.is_reusable_workflow() {
            "the publisher must match `job_workflow_ref`; publish from a top-level workflow in this repository and register that workflow file (and environment) as the trusted publisher".to_string()
        } else {
            "register a trusted publisher on the index whose repository, workflow file and environment match the claims above exactly".to_string()
        }
    } else {
        "see the index's description above; the claims show what the job presented".to_string()
    };
    Err(TrustedPublishingError::Mint {
        status,
        message: if failure.message.is_empty() {
            "no message".into()
        } else {
            slipway_runner::quote::cut(&transport.redact(&failure.message), 400)
        },
        items: failure.errors,
        claims,
        hint,
    })
}

/// The job's GitHub OIDC token for `audience` (the index's for trusted publishing, `sigstore`
/// for signing), with its unverified claims; the token is masked as soon as it arrives. Needs
/// `permissions: id-token: write` (which sets `ACTIONS_ID_TOKEN_REQUEST_URL`).
pub async fn id_token(
    transport: &Transport,
    env: &OidcEnv,
    audience: &str,
    commands: &Commands,
) -> Result<(SecretString, Claims), TrustedPublishingError> {
    let (request_url, request_token) = env.request().map_err(|e| *e)?;
    commands.add_mask(request_token.expose_secret());
    let unreachable = |url: &Url, e: slipway_http::HttpError| TrustedPublishingError::Unreachable {
        url: transport.show(url),
        reason: e.to_string(),
    };
    let mut token_url = Url::parse(request_url).map_err(|e| TrustedPublishingError::Malformed {
        url: slipway_runner::env::ACTIONS_ID_TOKEN_REQUEST_URL.into(),
        reason: e.to_string(),
    })?;
    token_url
        .query_pairs_mut()
        .append_pair("audience", audience);
    let bearer =
        Credential::bearer(request_token.expose_secret(), &token_url).map_err(|reason| {
            TrustedPublishingError::Malformed {
                url: slipway_runner::env::ACTIONS_ID_TOKEN_REQUEST_TOKEN.into(),
                reason,
            }
        })?;
    let answer = transport
        .fetch(
            &Request::get(token_url.clone())
                .credential(Some(bearer))
                .redirects(Redirects::None)
                .cap(ANSWER_CAP),
        )
        .await
        .map_err(|e| unreachable(&token_url, e))?;
    if answer.status.is_redirection() {
        return Err(TrustedPublishingError::TokenRedirect {
            url: transport.show(&token_url),
            status: answer.status,
            to: location(transport, &answer),
        });
    }
    if !answer.status.is_success() {
        return Err(TrustedPublishingError::TokenRequest {
            status: answer.status,
            reason: answer.text(),
        });
    }
    let jwt = serde_json::from_slice::<IdToken>(&answer.body)
        .map_err(|e| TrustedPublishingError::Malformed {
            url: "the OIDC token endpoint".into(),
            reason: e.to_string(),
        })?
        .value;
    commands.add_mask(&jwt);
    let jwt = SecretString::from(jwt);
    let claims = Claims::from_jwt(jwt.expose_secret()).unwrap_or_default();
    Ok((jwt, claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.sig", enc(b"{}"), enc(claims.to_string().as_bytes()))
    }

    #[test]
    fn claims_and_reusable_workflows() {
        let c = Claims::from_jwt(&jwt(serde_json::json!({
            "repository": "o/r",
            "workflow_ref": "o/r/.github/workflows/release.yml@refs/tags/v1",
            "job_workflow_ref": "x/y/.github/workflows/publish.yml@refs/heads/main",
            "ref": "refs/tags/v1"
        })))
        .unwrap();
        assert!(c.is_reusable_workflow());
        let text = c.to_string();
        assert!(text.contains("repository: `o/r`") && text.contains("environment: `(not set)`"));
        assert_eq!(Claims::from_jwt("nope"), None);
    }
}
