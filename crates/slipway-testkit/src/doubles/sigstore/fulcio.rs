//! The fake Fulcio: `POST /api/v2/signingCert`, as Fulcio's v2 REST gateway answers it.
//!
//! The OIDC token comes from `credentials.oidcIdentityToken`, else from the `Authorization:
//! Bearer` header; it must be GitHub Actions' (`iss`), for the audience `sigstore`, and not
//! expired (its signature is not checked: the test doubles' tokens are unsigned, see
//! [`oidc::jwt`](crate::doubles::oidc::jwt)). The key is a `publicKeyRequest`: a P-256 public key
//! (PEM, or DER) and the proof of possession, its DER ECDSA-SHA256 signature over the token's
//! `sub`. The answer is the leaf and the root, PEM, the leaf carrying one embedded SCT.
//! Refusals are gRPC-gateway errors, `{"code": 3, "message": …, "details": []}` with a 400 and
//! Fulcio's own messages; the reason in detail is in the `x-slipway-reason` header.

use std::sync::Mutex;

use p256::ecdsa::{SigningKey, VerifyingKey};

use super::cert::{Ca, LeafProfile, pem};
use super::{keys, now};
use crate::doubles::oidc::{GITHUB_ISSUER, claims_of};
use crate::serve::{Reply, Request};

/// The path of Fulcio's v2 signing-certificate call.
pub const SIGNING_CERT_PATH: &str = "/api/v2/signingCert";
/// The audience Fulcio takes GitHub tokens for (its client id).
pub const AUDIENCE: &str = "sigstore";

const INVALID_IDENTITY_TOKEN: &str = "There was an error processing the identity token";
const INVALID_PUBLIC_KEY: &str = "The public key supplied in the request could not be parsed";
const INVALID_SIGNATURE: &str = "The signature supplied in the request could not be verified";
const INVALID_CSR: &str = "The certificate signing request could not be parsed";

/// The CA side: the root, the CT log's key, and whom certificates name.
#[derive(Debug)]
pub(crate) struct Fulcio {
    pub(crate) ca: Ca,
    pub(crate) ct_key: SigningKey,
    /// `Some(claims)`: certify this identity instead of the token's.
    pub(crate) impostor: Mutex<Option<serde_json::Value>>,
}

/// A refusal: gRPC code `InvalidArgument`, Fulcio's message, and the reason in detail.
fn refuse(message: &str, reason: &str) -> Reply {
    let body = serde_json::json!({ "code": 3, "message": message, "details": [] });
    Reply::json(400, &body).with_header("x-slipway-reason", &reason.replace(['\r', '\n'], " "))
}

impl Fulcio {
    /// Answers `POST /api/v2/signingCert`; `None` for other requests.
    pub(crate) fn answer(&self, req: &Request) -> Option<Reply> {
        (req.method == "POST" && req.path.split('?').next() == Some(SIGNING_CERT_PATH))
            .then(|| self.signing_cert(req))
    }

    fn signing_cert(&self, req: &Request) -> Reply {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
            return refuse(
                "invalid character in the request body",
                "the body is not JSON",
            );
        };
        let token = body["credentials"]["oidcIdentityToken"]
            .as_str()
            .filter(|t| !t.is_empty())
            .or_else(|| {
                req.header("authorization")
                    .and_then(|a| a.strip_prefix("Bearer ").or(a.strip_prefix("bearer ")))
            });
        let Some(token) = token else {
            return refuse(
                INVALID_IDENTITY_TOKEN,
                "no token, in the body or the header",
            );
        };
        let claims = match check_token(token) {
            Ok(claims) => claims,
            Err(reason) => return refuse(INVALID_IDENTITY_TOKEN, &reason),
        };
        if body["certificateSigningRequest"].is_string() {
            return refuse(INVALID_CSR, "this double takes a publicKeyRequest only");
        }
        let request = &body["publicKeyRequest"];
        let content = request["publicKey"]["content"].as_str().unwrap_or_default();
        let Some(key) = keys::public_key(content.as_bytes()) else {
            return refuse(
                INVALID_PUBLIC_KEY,
                "publicKey.content is not a P-256 public key (PEM or DER)",
            );
        };
        let sub = claims["sub"].as_str().unwrap_or_default();
        let proof = request["proofOfPossession"]
            .as_str()
            .and_then(keys::unb64)
            .unwrap_or_default();
        if !keys::verifies(&key, sub.as_bytes(), &proof) {
            return refuse(
                INVALID_SIGNATURE,
                &format!("proofOfPossession is not the key's signature of the token's sub `{sub}`"),
            );
        }
        let impostor = self
            .impostor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let Some(profile) = github_profile(impostor.as_ref().unwrap_or(&claims), key) else {
            return refuse(INVALID_IDENTITY_TOKEN, "the token has no job_workflow_ref");
        };
        let leaf = self.ca.issue(&profile, &self.ct_key, now());
        let chain = [pem(&leaf), self.ca.pem()];
        Reply::json(
            200,
            &serde_json::json!({
                "signedCertificateEmbeddedSct": { "chain": { "certificates": chain } }
            }),
        )
    }
}

/// The token's claims, if Fulcio takes it: GitHub's issuer, the `sigstore` audience, not
/// expired, a `sub`; else why not.
fn check_token(token: &str) -> Result<serde_json::Value, String> {
    let claims = claims_of(token).ok_or("the token is not a JWT with JSON claims")?;
    if claims["iss"] != GITHUB_ISSUER {
        return Err(format!("iss is {}, not {GITHUB_ISSUER}", claims["iss"]));
    }
    let aud = &claims["aud"];
    let for_us = aud == AUDIENCE
        || aud
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == AUDIENCE));
    if !for_us {
        return Err(format!("aud is {aud}, not \"{AUDIENCE}\""));
    }
    if claims["exp"].as_u64().is_some_and(|exp| exp <= now()) {
        return Err("the token has expired".into());
    }
    if claims["sub"].as_str().is_none_or(str::is_empty) {
        return Err("the token has no sub".into());
    }
    Ok(claims)
}

/// What Fulcio certifies for a GitHub Actions token (its `github-workflow` issuer type): the
/// SAN `https://github.com/{job_workflow_ref}`, the legacy extensions 1–6 and 8–22 from the
/// claims (one left out when its claim is missing or empty). `None` without a
/// `job_workflow_ref`.
fn github_profile(claims: &serde_json::Value, key: VerifyingKey) -> Option<LeafProfile> {
    let claim = |name: &str| claims[name].as_str().unwrap_or_default().to_string();
    let on_github = |name: &str| {
        let value = claim(name);
        if value.is_empty() {
            value
        } else {
            format!("https://github.com/{value}")
        }
    };
    let job_workflow_ref = claim("job_workflow_ref");
    if job_workflow_ref.is_empty() {
        return None;
    }
    let san_uri = format!("https://github.com/{job_workflow_ref}");
    let (run_id, attempt) = (claim("run_id"), claim("run_attempt"));
    let run = if run_id.is_empty() {
        String::new()
    } else {
        format!(
            "https://github.com/{}/actions/runs/{run_id}/attempts/{attempt}",
            claim("repository")
        )
    };
    let extensions = [
        (1, claim("iss")),
        (2, claim("event_name")),
        (3, claim("sha")),
        (4, claim("workflow")),
        (5, claim("repository")),
        (6, claim("ref")),
        (8, claim("iss")),
        (9, san_uri.clone()),
        (10, claim("job_workflow_sha")),
        (11, claim("runner_environment")),
        (12, on_github("repository")),
        (13, claim("sha")),
        (14, claim("ref")),
        (15, claim("repository_id")),
        (16, on_github("repository_owner")),
        (17, claim("repository_owner_id")),
        (18, on_github("workflow_ref")),
        (19, claim("workflow_sha")),
        (20, claim("event_name")),
        (21, run),
        (22, claim("repository_visibility")),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .collect();
    Some(LeafProfile {
        key,
        san_uri,
        extensions,
    })
}
