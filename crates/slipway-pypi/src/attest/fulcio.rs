//! Fulcio: a short-lived certificate for the ephemeral key, binding it to the workflow's identity
//! (the GitHub OIDC token, audience `sigstore`). The signing identity is read back from the
//! certificate's Fulcio extensions.

use secrecy::{ExposeSecret, SecretString};
use slipway_http::Transport;
use url::Url;
use x509_cert::Certificate;
use x509_cert::der::Decode as _;
use x509_cert::der::asn1::{ObjectIdentifier, Utf8StringRef};

use super::dsse::{EphemeralKey, b64, pem_der};
use super::{AttestError, Identity, Service, endpoint, post_json};

/// Fulcio's OIDC issuer extension (v2, DER UTF8String).
const OID_ISSUER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// Source Repository URI: `https://github.com/{repository}`.
const OID_SOURCE_REPOSITORY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.12");
/// Build Config URI: `https://github.com/{workflow_ref}`, what PyPI checks the workflow on.
const OID_BUILD_CONFIG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.18");

/// The bytes read of Fulcio's answer (a three-certificate chain is a few KB).
const ANSWER_CAP: u64 = 1024 * 1024;

/// Asks Fulcio to certify `key` for the identity in `jwt`. The proof of possession is the
/// key's signature over the token's `sub`; the token travels in the body, so the request
/// follows no redirect. Returns the leaf certificate, DER.
pub(crate) async fn certify(
    transport: &Transport,
    fulcio: &Url,
    jwt: &SecretString,
    sub: &str,
    key: &EphemeralKey,
) -> Result<Vec<u8>, AttestError> {
    let url = endpoint(fulcio, "api/v2/signingCert");
    let body = serde_json::json!({
        "credentials": { "oidcIdentityToken": jwt.expose_secret() },
        "publicKeyRequest": {
            "publicKey": { "algorithm": "ECDSA", "content": key.public_pem() },
            "proofOfPossession": b64(key.sign(sub.as_bytes())),
        },
    })
    .to_string();
    let answer = post_json(transport, Service::Fulcio, &url, body, ANSWER_CAP).await?;
    if !answer.status.is_success() {
        return Err(AttestError::refused(
            Service::Fulcio,
            transport,
            &url,
            &answer,
        ));
    }
    let chain: Answer =
        serde_json::from_slice(&answer.body).map_err(|e| AttestError::Malformed {
            service: Service::Fulcio,
            url: transport.show(&url),
            reason: format!("not a certificate chain: {e}"),
        })?;
    let Some(embedded) = chain.signed_certificate_embedded_sct else {
        return Err(AttestError::Malformed {
            service: Service::Fulcio,
            url: transport.show(&url),
            reason: "the certificate has no embedded SCT (no certificate transparency log entry), which PyPI requires".into(),
        });
    };
    let leaf = embedded
        .chain
        .certificates
        .first()
        .and_then(|pem| pem_der(pem, "CERTIFICATE"))
        .ok_or_else(|| AttestError::Malformed {
            service: Service::Fulcio,
            url: transport.show(&url),
            reason: "the chain holds no PEM certificate".into(),
        })?;
    let identity = identity_of(&leaf).ok_or_else(|| AttestError::Malformed {
        service: Service::Fulcio,
        url: transport.show(&url),
        reason:
            "the certificate carries no GitHub workflow identity (Fulcio extensions 1.12 and 1.18)"
                .into(),
    })?;
    tracing::debug!("Fulcio certified the key for {identity}");
    Ok(leaf)
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    signed_certificate_embedded_sct: Option<Embedded>,
}

#[derive(serde::Deserialize)]
struct Embedded {
    chain: Chain,
}

#[derive(serde::Deserialize)]
struct Chain {
    certificates: Vec<String>,
}

/// The workflow identity a Fulcio certificate was issued to; `None` when the certificate does
/// not parse or lacks the extensions.
pub(crate) fn identity_of(der: &[u8]) -> Option<Identity> {
    let cert = Certificate::from_der(der).ok()?;
    let extensions = cert
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default();
    let text = |oid: ObjectIdentifier| {
        let ext = extensions.iter().find(|e| e.extn_id == oid)?;
        let value = ext.extn_value.as_bytes();
        Utf8StringRef::from_der(value)
            .map(|s| s.as_str().to_string())
            .ok()
            .or_else(|| String::from_utf8(value.to_vec()).ok())
    };
    let repository_uri = text(OID_SOURCE_REPOSITORY)?;
    let build_config = text(OID_BUILD_CONFIG)?;
    let issuer = text(OID_ISSUER).unwrap_or_default();
    Identity::from_uris(&repository_uri, &build_config, &issuer)
}
