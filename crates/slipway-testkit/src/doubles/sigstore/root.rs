//! The trusted root a verifier needs for the doubles (Sigstore's `TrustedRoot`, protobuf JSON,
//! media type v0.1): the CA root, the log's key as the transparency log, the CT log's key.

use p256::ecdsa::VerifyingKey;

use super::cert::{CA_COMMON_NAME, CA_ORGANIZATION};
use super::keys::{self, b64};
use crate::github::rfc3339;

/// The media type sigstore-python's `TrustedRoot` reads (it refuses v0.2).
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

/// A transparency or CT log's entry: its URL, its key and its id.
fn log(base_url: &str, key: &VerifyingKey, start: &str) -> serde_json::Value {
    serde_json::json!({
        "baseUrl": base_url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": b64(keys::spki_der(key)),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": { "start": start },
        },
        "logId": { "keyId": b64(keys::key_id(key)) },
    })
}

/// What goes into the trusted root.
pub(crate) struct Parts<'a> {
    pub(crate) fulcio_url: &'a str,
    pub(crate) rekor_url: &'a str,
    pub(crate) ca_der: &'a [u8],
    pub(crate) rekor_key: &'a VerifyingKey,
    pub(crate) ct_key: &'a VerifyingKey,
    /// Unix time from which everything is valid.
    pub(crate) start: u64,
}

/// The trusted root for `parts`.
pub(crate) fn trusted_root(parts: &Parts<'_>) -> serde_json::Value {
    let start = rfc3339(parts.start);
    serde_json::json!({
        "mediaType": MEDIA_TYPE,
        "tlogs": [log(parts.rekor_url, parts.rekor_key, &start)],
        "certificateAuthorities": [{
            "subject": { "organization": CA_ORGANIZATION, "commonName": CA_COMMON_NAME },
            "uri": parts.fulcio_url,
            "certChain": { "certificates": [{ "rawBytes": b64(parts.ca_der) }] },
            "validFor": { "start": start },
        }],
        // The CT log is a key only: the doubles serve no CT API.
        "ctlogs": [log(parts.fulcio_url, parts.ct_key, &start)],
        "timestampAuthorities": [],
    })
}
