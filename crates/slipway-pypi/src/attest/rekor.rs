//! Rekor: the signature logged as a `dsse` entry, and the answer turned into the transparency
//! log entry a Sigstore bundle (and so a PyPI attestation) carries.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use slipway_http::{Redirects, Request, Transport};
use url::Url;

use super::dsse::{SignedStatement, b64};
use super::{AttestError, Service, endpoint, post_json};

/// The bytes read of Rekor's answer.
const ANSWER_CAP: u64 = 4 * 1024 * 1024;

/// One logged entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// Its index in the log (what the search UI and `logIndex` queries take).
    pub log_index: u64,
    /// The entry in the bundle's `TransparencyLogEntry` form (protobuf JSON: camelCase, 64-bit
    /// integers as strings, bytes as base64).
    pub entry: serde_json::Value,
}

/// Logs `signed` with the leaf certificate (`cert_pem`) as its verifier. A 409 (the same entry
/// is in the log already: a retried request whose first answer was lost) reads the existing
/// entry from the `Location` Rekor names.
pub(crate) async fn log(
    transport: &Transport,
    rekor: &Url,
    signed: &SignedStatement,
    cert_pem: &str,
) -> Result<LogEntry, AttestError> {
    let url = endpoint(rekor, "api/v1/log/entries");
    let body = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": { "proposedContent": {
            "envelope": signed.envelope(),
            "verifiers": [b64(cert_pem)],
        }},
    })
    .to_string();
    let unreachable =
        |e: slipway_http::HttpError| AttestError::unreachable(Service::Rekor, transport, &url, &e);
    let mut answer = post_json(transport, Service::Rekor, &url, body, ANSWER_CAP).await?;
    if answer.status.as_u16() == 409 {
        let existing = answer
            .headers
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| url.join(l).ok())
            .filter(|l| l.origin() == url.origin());
        let Some(existing) = existing else {
            return Err(AttestError::refused(
                Service::Rekor,
                transport,
                &url,
                &answer,
            ));
        };
        answer = transport
            .fetch(
                &Request::get(existing)
                    .redirects(Redirects::None)
                    .cap(ANSWER_CAP),
            )
            .await
            .map_err(unreachable)?;
    }
    if !answer.status.is_success() {
        return Err(AttestError::refused(
            Service::Rekor,
            transport,
            &url,
            &answer,
        ));
    }
    let malformed = |reason: String| AttestError::Malformed {
        service: Service::Rekor,
        url: transport.show(&url),
        reason,
    };
    let entries: std::collections::BTreeMap<String, Entry> =
        serde_json::from_slice(&answer.body)
            .map_err(|e| malformed(format!("not a log entry: {e}")))?;
    let Some((_, entry)) = entries.into_iter().next() else {
        return Err(malformed("no entry in the answer".into()));
    };
    entry
        .into_bundle_entry(&signed.statement)
        .map_err(malformed)
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    body: String,
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    log_index: u64,
    verification: Option<Verification>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verification {
    inclusion_proof: Option<InclusionProof>,
    signed_entry_timestamp: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionProof {
    checkpoint: String,
    hashes: Vec<String>,
    log_index: u64,
    root_hash: String,
    tree_size: u64,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    api_version: String,
    kind: String,
    spec: BodySpec,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BodySpec {
    payload_hash: Option<Hash>,
}

#[derive(serde::Deserialize)]
struct Hash {
    value: String,
}

/// Lowercase hex → standard base64 (Rekor answers in hex, bundles carry base64).
fn hex_to_b64(hex_text: &str) -> Result<String, String> {
    hex::decode(hex_text)
        .map(b64)
        .map_err(|e| format!("`{}` is not hex: {e}", slipway_runner::excerpt(hex_text)))
}

impl Entry {
    /// Checks that the log holds this statement, and converts to the bundle's form. PyPI needs
    /// the inclusion proof (with its checkpoint) and the signed entry timestamp.
    fn into_bundle_entry(self, statement: &[u8]) -> Result<LogEntry, String> {
        let body_bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.body)
            .map_err(|e| format!("its body is not base64: {e}"))?;
        let body: Body = serde_json::from_slice(&body_bytes)
            .map_err(|e| format!("its body is not a dsse entry: {e}"))?;
        let expected = hex::encode(Sha256::digest(statement));
        let logged = body.spec.payload_hash.map(|h| h.value).unwrap_or_default();
        if body.kind != "dsse" || logged != expected {
            return Err(format!(
                "it logged another entry (kind `{}`, payload sha256 `{}`) than the statement sent (sha256 `{expected}`)",
                slipway_runner::excerpt(&body.kind),
                slipway_runner::excerpt(&logged)
            ));
        }
        let verification = self
            .verification
            .ok_or("it has no `verification` (inclusion proof and signed entry timestamp)")?;
        let proof = verification
            .inclusion_proof
            .ok_or("it has no inclusion proof")?;
        let set = verification
            .signed_entry_timestamp
            .ok_or("it has no signed entry timestamp")?;
        let hashes = proof
            .hashes
            .iter()
            .map(|h| hex_to_b64(h))
            .collect::<Result<Vec<_>, _>>()?;
        let entry = serde_json::json!({
            "logIndex": self.log_index.to_string(),
            "logId": { "keyId": hex_to_b64(&self.log_id)? },
            "kindVersion": { "kind": body.kind, "version": body.api_version },
            "integratedTime": self.integrated_time.to_string(),
            "inclusionPromise": { "signedEntryTimestamp": set },
            "inclusionProof": {
                "logIndex": proof.log_index.to_string(),
                "rootHash": hex_to_b64(&proof.root_hash)?,
                "treeSize": proof.tree_size.to_string(),
                "hashes": hashes,
                "checkpoint": { "envelope": proof.checkpoint },
            },
            "canonicalizedBody": self.body,
        });
        Ok(LogEntry {
            log_index: self.log_index,
            entry,
        })
    }
}
