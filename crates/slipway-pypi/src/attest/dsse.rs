//! What is signed: an in-toto v1 Statement naming one dist by file name and sha256, with PyPI's
//! publish predicate, signed as a DSSE envelope (ECDSA P-256, SHA-256, DER) by an ephemeral key.

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;

/// The statement's `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// PyPI's publish attestation predicate (PEP 740; `pypi_attestations.AttestationType`).
pub const PUBLISH_PREDICATE: &str = "https://docs.pypi.org/attestations/publish/v1";
/// The DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Standard base64 with padding, as every Sigstore and PyPI field uses.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The statement's bytes: compact JSON, one subject (PyPI refuses more), an empty predicate.
pub fn statement(filename: &str, sha256: &str) -> Vec<u8> {
    serde_json::json!({
        "_type": STATEMENT_TYPE,
        "subject": [{ "name": filename, "digest": { "sha256": sha256 } }],
        "predicateType": PUBLISH_PREDICATE,
        "predicate": {},
    })
    .to_string()
    .into_bytes()
}

/// DSSE's pre-authentication encoding: what the signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// An ephemeral P-256 key: made for one publish, never written anywhere.
pub struct EphemeralKey(SigningKey);

impl std::fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EphemeralKey([REDACTED])")
    }
}

impl EphemeralKey {
    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Self {
        Self(SigningKey::random(
            &mut p256::elliptic_curve::rand_core::OsRng,
        ))
    }

    /// The public key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as Fulcio takes it.
    pub fn public_pem(&self) -> String {
        let der = self
            .0
            .verifying_key()
            .to_public_key_der()
            .expect("a P-256 public key always encodes");
        pem("PUBLIC KEY", der.as_bytes())
    }

    /// The public key's SubjectPublicKeyInfo, DER.
    pub fn public_der(&self) -> Vec<u8> {
        self.0
            .verifying_key()
            .to_public_key_der()
            .expect("a P-256 public key always encodes")
            .into_vec()
    }

    /// ECDSA P-256 over SHA-256 of `message`, DER-encoded.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.0.sign(message);
        signature.to_der().as_bytes().to_vec()
    }
}

/// A signed statement: the statement's bytes, the signature over their PAE, and the envelope
/// as Rekor takes it (a JSON string).
#[derive(Debug, Clone)]
pub struct SignedStatement {
    /// The statement, exactly as signed.
    pub statement: Vec<u8>,
    /// The DER signature over `pae(PAYLOAD_TYPE, statement)`.
    pub signature: Vec<u8>,
}

impl SignedStatement {
    /// Signs the statement for one dist.
    pub fn sign(key: &EphemeralKey, filename: &str, sha256: &str) -> Self {
        let statement = statement(filename, sha256);
        let signature = key.sign(&pae(PAYLOAD_TYPE, &statement));
        Self {
            statement,
            signature,
        }
    }

    /// The DSSE envelope as JSON text.
    pub fn envelope(&self) -> String {
        serde_json::json!({
            "payload": b64(&self.statement),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{ "sig": b64(&self.signature) }],
        })
        .to_string()
    }
}

/// `bytes` as PEM with the given label (64-column base64 lines, LF endings).
pub fn pem(label: &str, bytes: &[u8]) -> String {
    let text = b64(bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER inside the first PEM block labelled `label`; `None` when there is none.
pub fn pem_der(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier as _;
    use p256::pkcs8::DecodePublicKey as _;

    #[test]
    fn pae_is_dsse_v1() {
        assert_eq!(
            pae("application/vnd.in-toto+json", b"{}"),
            b"DSSEv1 28 application/vnd.in-toto+json 2 {}".to_vec()
        );
    }

    #[test]
    fn the_statement_names_one_file_by_its_sha256() {
        let s: serde_json::Value =
            serde_json::from_slice(&statement("demo-1.0-py3-none-any.whl", "ab")).unwrap();
        assert_eq!(s["_type"], STATEMENT_TYPE);
        assert_eq!(s["predicateType"], PUBLISH_PREDICATE);
        assert_eq!(s["subject"][0]["name"], "demo-1.0-py3-none-any.whl");
        assert_eq!(s["subject"][0]["digest"]["sha256"], "ab");
        assert_eq!(s["subject"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn the_signature_verifies_over_the_pae_with_the_public_key() {
        let key = EphemeralKey::generate();
        let signed = SignedStatement::sign(&key, "x-1.0.tar.gz", "00");
        let public = VerifyingKey::from_public_key_der(&key.public_der()).unwrap();
        let sig = Signature::from_der(&signed.signature).unwrap();
        public
            .verify(&pae(PAYLOAD_TYPE, &signed.statement), &sig)
            .unwrap();
        assert!(public.verify(&signed.statement, &sig).is_err());
        let envelope: serde_json::Value = serde_json::from_str(&signed.envelope()).unwrap();
        assert_eq!(envelope["payloadType"], PAYLOAD_TYPE);
        assert_eq!(envelope["signatures"][0]["sig"], b64(&signed.signature));
        assert_eq!(
            pem_der(&key.public_pem(), "PUBLIC KEY").unwrap(),
            key.public_der()
        );
        assert!(!format!("{key:?}").contains(&b64(key.public_der())));
    }
}
