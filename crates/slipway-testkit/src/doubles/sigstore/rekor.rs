//! The fake Rekor (v1 API, one active shard): `dsse` 0.0.1 entries checked and canonicalized
//! as Rekor does, kept in an RFC 6962 Merkle tree, answered with an inclusion proof, a signed
//! checkpoint and a signed entry timestamp.
//!
//! - `POST /api/v1/log/entries`: 201 with `{uuid: entry}` (`Location`, `ETag`); 409 for an
//!   entry already logged; 400 `{"code", "message"}` for another kind, a malformed proposal or
//!   a signature no verifier verifies.
//! - `GET /api/v1/log/entries?logIndex=N` and `GET /api/v1/log/entries/{uuid}`: the entry, its
//!   proof against the tree as it is now.
//! - `GET /api/v1/log` (tree size, root, signed checkpoint) and `GET /api/v1/log/publicKey`.
//!
//! As on the real log, the top-level `logIndex` counts the entries of earlier (inactive)
//! shards, [`ACTIVE_SHARD_START`] of them, while `inclusionProof.logIndex` is the place in
//! the active shard's tree: the signed entry timestamp covers the first, the proof the second.

use std::sync::{Mutex, MutexGuard, PoisonError};

use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::DecodePublicKey as _;
use sha2::{Digest as _, Sha256};
use x509_cert::Certificate;
use x509_cert::der::{Decode as _, Encode as _};

use super::keys::{self, b64, unb64};
use super::merkle::{self, Hash};
use crate::serve::{Reply, Request};

/// The path entries are created and read at.
pub const ENTRIES_PATH: &str = "/api/v1/log/entries";
/// The number of entries in the log's earlier shards: the first entry logged here has the
/// top-level `logIndex` `ACTIVE_SHARD_START` and `inclusionProof.logIndex` 0.
pub const ACTIVE_SHARD_START: u64 = 1000;
/// The log's name in its checkpoints (the origin line and the signature line).
pub const ORIGIN: &str = "rekor.slipway.test";

/// One entry of the fake Rekor's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The entry's UUID: the tree id (16 hex digits) and the leaf hash (64).
    pub uuid: String,
    /// The top-level `logIndex` (counting the earlier shards).
    pub log_index: u64,
    /// The place in the active shard's tree (`inclusionProof.logIndex`).
    pub tree_index: u64,
    /// When it was logged (Unix seconds).
    pub integrated_time: u64,
    /// The canonical body Rekor keeps (JSON text; `body` in the answers is its base64).
    pub body: String,
    /// The DSSE envelope as proposed (a JSON text).
    pub envelope: String,
    /// The signed entry timestamp, base64.
    pub signed_entry_timestamp: String,
}

#[derive(Debug, Default)]
struct Log {
    leaves: Vec<Hash>,
    entries: Vec<LogEntry>,
}

/// The log: its key, its tree id, its entries.
#[derive(Debug)]
pub(crate) struct Rekor {
    pub(crate) key: SigningKey,
    tree_id: u64,
    log: Mutex<Log>,
}

fn error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        &serde_json::json!({ "code": status, "message": message }),
    )
}

/// JSON in RFC 8785 form for the values logs sign (objects with sorted keys, no whitespace;
/// strings and integers only).
fn canonical_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let members: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(k.as_str()),
                        canonical_json(&map[k])
                    )
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// DSSE's pre-authentication encoding of a payload.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A verifier as proposed (base64 of a PEM certificate or public key): its key and the
/// canonical PEM Rekor keeps.
fn verifier(proposed: &str) -> Result<(VerifyingKey, String), String> {
    let pem = unb64(proposed).ok_or("a verifier is not base64")?;
    let (label, der) = x509_cert::der::pem::decode_vec(&pem)
        .map_err(|e| format!("could not parse public key as x509: {e}"))?;
    let (key, der) = match label {
        "CERTIFICATE" => {
            let cert = Certificate::from_der(&der)
                .map_err(|e| format!("could not parse certificate: {e}"))?;
            let spki = cert
                .tbs_certificate
                .subject_public_key_info
                .to_der()
                .map_err(|e| e.to_string())?;
            let key = VerifyingKey::from_public_key_der(&spki)
                .map_err(|_| "the certificate's key is not a P-256 key".to_string())?;
            (key, cert.to_der().map_err(|e| e.to_string())?)
        }
        "PUBLIC KEY" => (
            VerifyingKey::from_public_key_der(&der)
                .map_err(|_| "the public key is not a P-256 key".to_string())?,
            der,
        ),
        other => return Err(format!("could not parse public key as x509: a PEM {other}")),
    };
    let canonical =
        x509_cert::der::pem::encode_string(label, x509_cert::der::pem::LineEnding::LF, &der)
            .map_err(|e| e.to_string())?;
    Ok((key, canonical))
}

/// The canonical body of a proposed `dsse` 0.0.1 entry, after verifying every signature of its
/// envelope with one of its verifiers; else why not.
fn canonical_body(proposal: &serde_json::Value) -> Result<(String, String), String> {
    let content = &proposal["spec"]["proposedContent"];
    let envelope_text = content["envelope"].as_str().ok_or(
        "either proposedContent or envelopeHash, payloadHash, and signatures must be present",
    )?;
    let envelope: serde_json::Value =
        serde_json::from_str(envelope_text).map_err(|e| format!("the envelope: {e}"))?;
    let payload_type = envelope["payloadType"].as_str().unwrap_or_default();
    let payload = envelope["payload"]
        .as_str()
        .and_then(unb64)
        .ok_or("the envelope's payload is not base64")?;
    let verifiers = content["verifiers"]
        .as_array()
        .filter(|v| !v.is_empty())
        .ok_or("proposedContent.verifiers: at least one is required")?
        .iter()
        .map(|v| verifier(v.as_str().unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()?;
    let signatures: Vec<&str> = envelope["signatures"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["sig"].as_str()).collect())
        .unwrap_or_default();
    if signatures.is_empty() {
        return Err("could not verify envelope: no signatures found".into());
    }
    let message = pae(payload_type, &payload);
    let mut signed: Vec<serde_json::Value> = Vec::new();
    for (key, canonical) in &verifiers {
        let accepted: Vec<&str> = signatures
            .iter()
            .copied()
            .filter(|sig| unb64(sig).is_some_and(|der| keys::verifies(key, &message, &der)))
            .collect();
        if accepted.is_empty() {
            return Err("could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1".into());
        }
        for sig in accepted {
            signed.retain(|s| s["signature"] != sig);
            signed.push(serde_json::json!({ "signature": sig, "verifier": b64(canonical) }));
        }
    }
    if signed.len() < signatures.len() {
        return Err("all signatures must have a key that verifies it".into());
    }
    signed.sort_by(|a, b| a["signature"].as_str().cmp(&b["signature"].as_str()));
    let body = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": { "algorithm": "sha256", "value": hex::encode(Sha256::digest(envelope_text)) },
            "payloadHash": { "algorithm": "sha256", "value": hex::encode(Sha256::digest(&payload)) },
            "signatures": signed,
        },
    });
    Ok((canonical_json(&body), envelope_text.to_string()))
}

impl Rekor {
    /// A new, empty log with a fresh key and tree id.
    pub(crate) fn new() -> Self {
        let id: [u8; 8] = keys::random_bytes();
        Self {
            key: keys::random_key(),
            tree_id: u64::from_be_bytes(id) >> 1,
            log: Mutex::default(),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The log id: `SHA256(SPKI)` of its key.
    pub(crate) fn log_id(&self) -> [u8; 32] {
        keys::key_id(self.key.verifying_key())
    }

    /// Every entry logged so far.
    pub(crate) fn entries(&self) -> Vec<LogEntry> {
        self.log().entries.clone()
    }

    /// Answers the log's API; `None` for other requests.
    pub(crate) fn answer(&self, req: &Request) -> Option<Reply> {
        let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
        let by_index = || {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "logIndex")
                .map(|(_, v)| v.into_owned())
        };
        Some(match (req.method.as_str(), path) {
            ("POST", ENTRIES_PATH) => self.create(req),
            ("GET", ENTRIES_PATH) => match by_index() {
                Some(index) => self.get(|e| index.parse() == Ok(e.log_index)),
                None => error(400, "logIndex is required"),
            },
            ("GET", "/api/v1/log") => self.info(),
            ("GET", "/api/v1/log/publicKey") => Reply::new(
                200,
                "application/x-pem-file",
                keys::spki_pem(self.key.verifying_key()),
            ),
            ("GET", p) => {
                let id = p
                    .strip_prefix(ENTRIES_PATH)?
                    .strip_prefix('/')?
                    .to_ascii_lowercase();
                self.get(|e| e.uuid == id || e.uuid[16..] == id)
            }
            _ => return None,
        })
    }

    fn create(&self, req: &Request) -> Reply {
        let Ok(proposal) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
            return error(400, "the body is not a JSON proposed entry");
        };
        let (kind, version) = (&proposal["kind"], &proposal["apiVersion"]);
        if kind != "dsse" || version != "0.0.1" {
            return error(
                400,
                &format!(
                    "error processing entry: kind {kind} version {version} is not supported here (dsse 0.0.1 is)"
                ),
            );
        }
        let (body, envelope) = match canonical_body(&proposal) {
            Ok(done) => done,
            Err(reason) => return error(400, &format!("error processing entry: {reason}")),
        };
        let leaf = merkle::leaf_hash(body.as_bytes());
        let mut log = self.log();
        if let Some(existing) = log.leaves.iter().position(|l| *l == leaf) {
            let uuid = log.entries[existing].uuid.clone();
            return error(
                409,
                &format!(
                    "an equivalent entry already exists in the transparency log with UUID {uuid}"
                ),
            )
            .with_header("location", &format!("{ENTRIES_PATH}/{uuid}"));
        }
        let tree_index = log.leaves.len() as u64;
        let log_index = ACTIVE_SHARD_START + tree_index;
        let integrated_time = super::now();
        let timestamped = serde_json::json!({
            "body": b64(&body),
            "integratedTime": integrated_time,
            "logID": hex::encode(self.log_id()),
            "logIndex": log_index,
        });
        let signed_entry_timestamp = b64(keys::sign(
            &self.key,
            canonical_json(&timestamped).as_bytes(),
        ));
        let uuid = format!("{:016x}{}", self.tree_id, hex::encode(leaf));
        log.leaves.push(leaf);
        log.entries.push(LogEntry {
            uuid: uuid.clone(),
            log_index,
            tree_index,
            integrated_time,
            body,
            envelope,
            signed_entry_timestamp,
        });
        Reply::json(201, &self.entry_json(&log, log.entries.len() - 1))
            .with_header("location", &format!("{ENTRIES_PATH}/{uuid}"))
            .with_header("etag", &uuid)
    }

    fn get(&self, matches: impl Fn(&LogEntry) -> bool) -> Reply {
        let log = self.log();
        match log.entries.iter().position(matches) {
            Some(i) => Reply::json(200, &self.entry_json(&log, i)),
            None => error(404, "no such entry"),
        }
    }

    /// The signed note for the tree of `size` leaves with root `root`.
    fn checkpoint(&self, size: usize, root: &Hash) -> String {
        let note = format!("{ORIGIN} - {}\n{size}\n{}\n", self.tree_id, b64(root));
        let mut signature = self.log_id()[..4].to_vec();
        signature.extend(keys::sign(&self.key, note.as_bytes()));
        format!("{note}\n\u{2014} {ORIGIN} {}\n", b64(signature))
    }

    fn info(&self) -> Reply {
        let log = self.log();
        let root = merkle::root(&log.leaves);
        Reply::json(
            200,
            &serde_json::json!({
                "rootHash": hex::encode(root),
                "treeSize": log.leaves.len(),
                "signedTreeHead": self.checkpoint(log.leaves.len(), &root),
                "treeID": self.tree_id.to_string(),
            }),
        )
    }

    /// Entry `i` as the API answers it, proven against the tree as it is now.
    fn entry_json(&self, log: &Log, i: usize) -> serde_json::Value {
        let entry = &log.entries[i];
        let root = merkle::root(&log.leaves);
        let hashes: Vec<String> = merkle::inclusion_proof(i, &log.leaves)
            .iter()
            .map(hex::encode)
            .collect();
        let mut answer = serde_json::Map::new();
        answer.insert(
            entry.uuid.clone(),
            serde_json::json!({
                "body": b64(&entry.body),
                "integratedTime": entry.integrated_time,
                "logID": hex::encode(self.log_id()),
                "logIndex": entry.log_index,
                "verification": {
                    "inclusionProof": {
                        "checkpoint": self.checkpoint(log.leaves.len(), &root),
                        "hashes": hashes,
                        "logIndex": entry.tree_index,
                        "rootHash": hex::encode(root),
                        "treeSize": log.leaves.len(),
                    },
                    "signedEntryTimestamp": entry.signed_entry_timestamp,
                },
            }),
        );
        serde_json::Value::Object(answer)
    }
}
