//! Trusted publishing's two sides, as a job sees them:
//! - GitHub's OIDC token endpoint ([`TokenIssuer`], served alone by [`GitHubOidc`]): the job's
//!   `ACTIONS_ID_TOKEN_REQUEST_URL`, answering `{"value": <jwt>}` to the job's bearer;
//! - an index's endpoints ([`Minting`], a handler to put in an index's hook, see
//!   [`index`](super::index::index)): `/_/oidc/audience`, and `/_/oidc/mint-token`, which trades
//!   that JWT for an upload token.
//!
//! ```no_run
//! use slipway_testkit::doubles::{index, oidc};
//! let jwt = oidc::jwt(&serde_json::json!({ "repository": "octo/pkg" }));
//! let github = oidc::GitHubOidc::start(oidc::TokenIssuer::new("ghs_request", "testpypi", &jwt));
//! let minting = oidc::Minting::new("testpypi", &jwt, "pypi-minted");
//! let pypi = index::index(move |req, _| minting.answer(req));
//! // … run pypi-publish with ACTIONS_ID_TOKEN_REQUEST_URL = github.request_url() …
//! assert_eq!(github.requests().len(), 1);
//! ```

use base64::Engine as _;

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
}

impl TokenIssuer {
    /// An issuer of `jwt` for `audience` to a job holding `request_token`.
    pub fn new(request_token: &str, audience: &str, jwt: &str) -> Self {
        Self {
            request_token: request_token.to_string(),
            audience: audience.to_string(),
            jwt: jwt.to_string(),
        }
    }

    /// `GET /oidc-token?…&audience=<audience>` with `Authorization: Bearer <request_token>`
    /// gets `{"value": <jwt>}`, another bearer or audience a 401; `None` for other requests.
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
        let ok = req.header("authorization") == Some(bearer.as_str())
            && audience.as_deref() == Some(self.audience.as_str());
        Some(if ok {
            Reply::json(200, &serde_json::json!({ "value": self.jwt }))
        } else {
            Reply::new(401, "text/plain", "bad request token")
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
