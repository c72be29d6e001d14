//! The doubles' keys: ECDSA P-256, signatures SHA-256 over the message, DER-encoded, as
//! Sigstore's services sign; keys named by `SHA256(SubjectPublicKeyInfo DER)`.

use base64::Engine as _;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey as _, EncodePublicKey as _, LineEnding};
use sha2::{Digest as _, Sha256};

/// Standard base64 with padding, as the services' JSON carries bytes.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64 (or base64url, as protobuf JSON also accepts), padded or not.
pub(crate) fn unb64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let trimmed = text.trim().trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .or_else(|_| STANDARD.decode(text.trim()))
        .ok()
}

/// A fresh random key (the operating system's random bytes).
pub(crate) fn random_key() -> SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("random bytes from the operating system");
        // Out of range (zero, or past the group order) one time in 2^32: draw again.
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// `n` random bytes.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("random bytes from the operating system");
    bytes
}

/// The DER SubjectPublicKeyInfo of a key.
pub(crate) fn spki_der(key: &VerifyingKey) -> Vec<u8> {
    key.to_public_key_der()
        .expect("a P-256 key encodes")
        .into_vec()
}

/// The PEM (`PUBLIC KEY`, LF line ends) of a key.
pub(crate) fn spki_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF)
        .expect("a P-256 key encodes")
}

/// A key's id as the trust root and the logs name it: `SHA256(SPKI DER)`.
pub(crate) fn key_id(key: &VerifyingKey) -> [u8; 32] {
    Sha256::digest(spki_der(key)).into()
}

/// ECDSA P-256 with SHA-256 over `message`, DER-encoded.
pub(crate) fn sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: DerSignature = key.sign(message);
    signature.as_bytes().to_vec()
}

/// Whether `der_signature` is `key`'s ECDSA P-256 SHA-256 signature of `message`.
pub(crate) fn verifies(key: &VerifyingKey, message: &[u8], der_signature: &[u8]) -> bool {
    Signature::from_der(der_signature).is_ok_and(|sig| key.verify(message, &sig).is_ok())
}

/// A P-256 public key from a PEM `PUBLIC KEY` or DER SubjectPublicKeyInfo.
pub(crate) fn public_key(pem_or_der: &[u8]) -> Option<VerifyingKey> {
    std::str::from_utf8(pem_or_der)
        .ok()
        .and_then(|pem| VerifyingKey::from_public_key_pem(pem.trim()).ok())
        .or_else(|| VerifyingKey::from_public_key_der(pem_or_der).ok())
}
