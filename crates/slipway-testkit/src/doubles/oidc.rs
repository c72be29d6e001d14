//! Trusted publishing's two sides, as a job sees them:
//! - GitHub's OIDC token endpoint ([`TokenIssuer`], served alone by [`GitHubOidc`]): the job's
//!   `ACTIONS_ID_TOKEN_REQUEST_URL`, answering `{"value": <jwt>}` to the job's bearer, one token
//!   for each audience it knows (the index's, and `sigstore` for signing);
//! - an index's endpoints ([`Minting`], a handler to put in an index's hook, see
//!   [`index`](super::index::index)): `/_/oidc/audience`, and `/_/oidc/mint-token`, which trades
//!   that JWT for an upload token.
//!
//! [`github_claims`] makes the claims a GitHub Actions job's token carries (the ones Fulcio
//! copies into a certificate and PyPI matches a trusted publisher against).
//!
//! ```no_run
//! use slipway_testkit::doubles::{index, oidc};
//! let jwt = oidc::jwt(&serde_json::json!({ "repository": "octo/pkg" }));
//! let github = oidc::GitHubOidc::start(oidc::TokenIssuer::new("ghs_request", "testpypi", &jwt));
//! let minting = oidc::Minting::new("testpypi", &jwt, "pypi-minted");
//! let pypi = index::index(move |req, _| minting.answer(req));
//! // … run pypi-publish with ACTIONS_ID_TOKEN_REQUEST_URL = github.request_url() …
//! assert_eq!(github.requests().len(), 1);
//!
//! // A job of octo/pkg's release.yml, with tokens for the index and for Sigstore:
//! let claims = oidc::github_claims("octo/pkg", "release.yml", "refs/tags/v1.0.0", &"a".repeat(40));
//! let issuer = oidc::TokenIssuer::github("ghs_request", &claims, &["testpypi", "sigstore"]);
//! let minting = oidc::Minting::new("testpypi", issuer.jwt_for("testpypi").unwrap(), "pypi-minted");
//! ```

use base64::Engine as _;
use sha2::Digest as _;

use crate::serve::{Reply, Request, Server};

/// An unsigned JWT (`header.claims.signature`) carrying `claims`, shaped like GitHub's OIDC
/// tokens (nothing here checks the signature).
pub fn jwt(claims: &serde_json::Value) -> String {
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.c2lnbmF0dXJl",
        enc(br#"{"alg":"RS256"}"#),
        enc(claims.to_string().as_bytes())
    )
}

/// GitHub Actions' OIDC issuer, the tokens' `iss`.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The claims of a GitHub Actions job's OIDC token, as GitHub issues them for a run of
/// `workflow_file` (`release.yml`, or a path such as `.github/workflows/release.yml`) in
/// `repository` (`owner/name`) at `git_ref` (`refs/tags/v1.0.0`, `refs/heads/main`) and commit
/// `sha`: `iss`, `sub` (`repo:owner/name:ref:<git_ref>`), `aud` (GitHub's default,
/// `https://github.com/<owner>`; [`TokenIssuer::github`] sets one a token), the repository's and
/// owner's names and ids, `workflow`, `workflow_ref`/`job_workflow_ref`
/// (`owner/name/.github/workflows/release.yml@<git_ref>`), `workflow_sha`/`job_workflow_sha`,
/// `sha`, `ref`, `ref_type`, `event_name` (`release` for a tag, else `push`), `run_id`,
/// `run_number`, `run_attempt`, `runner_environment` (`github-hosted`),
/// `repository_visibility` (`public`), `jti`, `iat`, `nbf` and `exp` (an hour from now: GitHub
/// gives five minutes; slow test machines get more). Ids are stable numbers made from the names.
/// [`set_environment`] adds a deployment environment.
pub fn github_claims(
    repository: &str,
    workflow_file: &str,
    git_ref: &str,
    sha: &str,
) -> serde_json::Value {
    let owner = repository.split('/').next().unwrap_or(repository);
    let workflow_path = if workflow_file.contains('/') {
        workflow_file.to_string()
    } else {
        format!(".github/workflows/{workflow_file}")
    };
    let workflow_name = workflow_path
        .rsplit('/')
        .next()
        .and_then(|f| f.split('.').next())
        .unwrap_or("release");
    let workflow_ref = format!("{repository}/{workflow_path}@{git_ref}");
    let tag = git_ref.starts_with("refs/tags/");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    serde_json::json!({
        "jti": hex::encode(&sha2::Sha256::digest(format!("{repository}{sha}{now}"))[..16]),
        "sub": format!("repo:{repository}:ref:{git_ref}"),
        "aud": format!("https://github.com/{owner}"),
        "ref": git_ref,
        "ref_type": if tag { "tag" } else { "branch" },
        "ref_protected": "false",
        "sha": sha,
        "repository": repository,
        "repository_id": stable_id(repository),
        "repository_owner": owner,
        "repository_owner_id": stable_id(owner),
        "repository_visibility": "public",
        "actor": owner,
        "actor_id": stable_id(owner),
        "run_id": stable_id(&format!("{repository}@{sha}")),
        "run_number": "1",
        "run_attempt": "1",
        "workflow": workflow_name,
        "workflow_ref": workflow_ref,
        "workflow_sha": sha,
        "job_workflow_ref": workflow_ref,
        "job_workflow_sha": sha,
        "event_name": if tag { "release" } else { "push" },
        "head_ref": "",
        "base_ref": "",
        "runner_environment": "github-hosted",
        "iss": GITHUB_ISSUER,
        "iat": now,
        "nbf": now.saturating_sub(600),
        "exp": now + 3600,
    })
}

/// Puts `claims` (from [`github_claims`]) in the deployment environment `name`, as a job with
/// `environment: name` gets them: the `environment` claim, and `sub` becomes
/// `repo:owner/name:environment:<name>`.
pub fn set_environment(claims: &mut serde_json::Value, name: &str) {
    let repository = claims["repository"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    claims["environment"] = name.into();
    claims["sub"] = format!("repo:{repository}:environment:{name}").into();
}

/// A stable decimal id for a name (GitHub's ids are numbers, sent as strings).
fn stable_id(name: &str) -> String {
    let digest = sha2::Sha256::digest(name.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]).to_string()
}

/// The claims of an unsigned JWT made by [`jwt`] (or any JWT: the signature is not checked);
/// `None` when it is not `header.claims.signature` with base64url JSON claims.
pub fn claims_of(jwt: &str) -> Option<serde_json::Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(serde_json::Value::is_object)
}

/// The path [`GitHubOidc`] serves the token at.
pub const TOKEN_PATH: &str = "/oidc-token";

/// GitHub's OIDC token endpoint: what it hands a job.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    /// The job's `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: the only bearer answered.
    pub request_token: String,
    /// The only audience answered (the query's `audience=`, as the index names it).
    pub audience: String,
    /// The OIDC token handed out.
    pub jwt: String,
    /// Further audiences answered, each with its own token (`(audience, jwt)`).
    pub more: Vec<(String, String)>,
}

impl TokenIssuer {
    /// An issuer of `jwt` for `audience` to a job holding `request_token`.
    pub fn new(request_token: &str, audience: &str, jwt: &str) -> Self {
        Self {
            request_token: request_token.to_string(),
            audience: audience.to_string(),
            jwt: jwt.to_string(),
            more: Vec::new(),
        }
    }

    /// An issuer that answers each of `audiences` (at least one) with a token carrying `claims`
    /// (see [`github_claims`]) and that audience as `aud`, as GitHub does.
    pub fn github(request_token: &str, claims: &serde_json::Value, audiences: &[&str]) -> Self {
        let token = |audience: &str| {
            let mut claims = claims.clone();
            claims["aud"] = audience.into();
            jwt(&claims)
        };
        let (first, rest) = audiences
            .split_first()
            .expect("TokenIssuer::github needs an audience");
        let mut issuer = Self::new(request_token, first, &token(first));
        for audience in rest {
            issuer = issuer.with_audience(audience, &token(audience));
        }
        issuer
    }

    /// Also answers `audience`, with `jwt`.
    #[must_use]
    pub fn with_audience(mut self, audience: &str, jwt: &str) -> Self {
        self.more.push((audience.to_string(), jwt.to_string()));
        self
    }

    /// The token handed out for `audience`, if it is answered.
    pub fn jwt_for(&self, audience: &str) -> Option<&str> {
        std::iter::once((&self.audience, &self.jwt))
            .chain(self.more.iter().map(|(a, j)| (a, j)))
            .find(|(a, _)| *a == audience)
            .map(|(_, j)| j.as_str())
    }

    /// `GET /oidc-token?…&audience=<audience>` with `Authorization: Bearer <request_token>`
    /// gets `{"value": <jwt>}` (that audience's token), another bearer or an audience not
    /// answered a 401; `None` for other requests.
    pub fn answer(&self, req: &Request) -> Option<Reply> {
        if req.method != "GET" || !req.path.starts_with(TOKEN_PATH) {
            return None;
        }
        let bearer = format!("Bearer {}", self.request_token);
        let audience = req
            .path
            .split_once('?')
            .map(|(_, q)| url::form_urlencoded::parse(q.as_bytes()))
            .and_then(|mut q| q.find(|(k, _)| k == "audience"))
            .map(|(_, v)| v.into_owned());
        let token = audience.as_deref().and_then(|a| self.jwt_for(a));
        Some(match token {
            Some(jwt) if req.header("authorization") == Some(bearer.as_str()) => {
                Reply::json(200, &serde_json::json!({ "value": jwt }))
            }
            _ => Reply::new(401, "text/plain", "bad request token"),
        })
    }
}

/// A running GitHub OIDC token endpoint ([`TokenIssuer`]; anything else gets a 404); stops
/// when dropped.
#[derive(Debug)]
pub struct GitHubOidc {
    server: Server,
}

impl GitHubOidc {
    /// Starts the endpoint on a free loopback port.
    pub fn start(issuer: TokenIssuer) -> Self {
        let server = Server::start(move |req| {
            issuer
                .answer(req)
                .unwrap_or_else(|| Reply::new(404, "text/plain", "not found"))
        });
        Self { server }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The job's `ACTIONS_ID_TOKEN_REQUEST_URL` (the job appends `&audience=…`).
    pub fn request_url(&self) -> String {
        format!("{}{TOKEN_PATH}?api-version=2.0", self.url())
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }
}

/// An index's trusted-publishing endpoints, as PyPI answers them.
#[derive(Debug, Clone)]
pub struct Minting {
    /// The audience `GET /_/oidc/audience` names.
    pub audience: String,
    /// Its status (not 200: the index does not offer trusted publishing).
    pub audience_status: u16,
    /// The OIDC token `POST /_/oidc/mint-token` accepts (another gets 422 `invalid-token`).
    pub jwt: String,
    /// The upload token it mints; `None`: it refuses as PyPI does when no trusted publisher
    /// matches the claims (422 `invalid-publisher`).
    pub minted: Option<String>,
    /// Seconds from the exchange to the minted token's `expires`.
    pub lifetime: u64,
}

impl Minting {
    /// Endpoints naming `audience` that trade `jwt` for `minted`, good for 15 minutes.
    pub fn new(audience: &str, jwt: &str, minted: &str) -> Self {
        Self {
            audience: audience.to_string(),
            audience_status: 200,
            jwt: jwt.to_string(),
            minted: Some(minted.to_string()),
            lifetime: 900,
        }
    }

    /// The `Authorization` an upload with the minted token carries.
    pub fn upload_authorization(&self) -> Option<String> {
        let minted = self.minted.as_ref()?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("__token__:{minted}"));
        Some(format!("Basic {basic}"))
    }

    /// Answers `GET /_/oidc/audience` and `POST /_/oidc/mint-token`; `None` for other requests.
    pub fn answer(&self, req: &Request) -> Option<Reply> {
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/_/oidc/audience") => Some(Reply::json(
                self.audience_status,
                &serde_json::json!({ "audience": self.audience }),
            )),
            ("POST", "/_/oidc/mint-token") => Some(self.mint(req)),
            _ => None,
        }
    }

    fn mint(&self, req: &Request) -> Reply {
        let refusal = |code: &str, description: &str| {
            let errors = serde_json::json!([{ "code": code, "description": description }]);
            Reply::json(
                422,
                &serde_json::json!({ "message": "Token request failed", "errors": errors }),
            )
        };
        if req.json()["token"] != self.jwt.as_str() {
            return refusal("invalid-token", "not the OIDC token GitHub issued");
        }
        let Some(minted) = &self.minted else {
            return refusal(
                "invalid-publisher",
                "valid token, but no corresponding publisher (Publisher with matching claims was not found)",
            );
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Reply::json(
            200,
            &serde_json::json!({ "success": true, "token": minted, "expires": now + self.lifetime }),
        )
    }
}
