//! X.509 as Fulcio issues it: a self-signed CA root, and short-lived leaf certificates with
//! the OIDC identity in Fulcio's extensions and one embedded SCT from the CT log's key.

use std::str::FromStr as _;
use std::time::Duration;

use p256::ecdsa::{SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};
use x509_cert::der::Encode;
use x509_cert::der::asn1::{BitString, Ia5String, OctetString, UtcTime, Utf8StringRef};
use x509_cert::der::oid::AssociatedOid as _;
use x509_cert::der::pem::LineEnding;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, certificate::Version};

use super::keys;

/// `ecdsa-with-SHA256`.
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// The extended key usage `codeSigning`.
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// RFC 6962's embedded SCT list extension.
const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// Fulcio's extension arc; `FULCIO_ARC.N` is extension `N`.
const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";
/// How long a leaf is valid, as Fulcio issues them.
pub(crate) const LEAF_LIFETIME: Duration = Duration::from_secs(600);

/// The CA root's subject.
pub(crate) const CA_ORGANIZATION: &str = "slipway-test";
/// The CA root's common name.
pub(crate) const CA_COMMON_NAME: &str = "fake-fulcio";

/// What a leaf says: its key, its SAN URI, and Fulcio's extensions in order (`(N, value)`:
/// `N` ≤ 6, the legacy ones, carry the raw UTF-8 bytes; from 8 on a DER UTF8String).
#[derive(Debug, Clone)]
pub(crate) struct LeafProfile {
    /// The certified key.
    pub(crate) key: VerifyingKey,
    /// The Subject Alternative Name URI (for GitHub: the job's workflow URI).
    pub(crate) san_uri: String,
    /// Fulcio's extensions `1.3.6.1.4.1.57264.1.N`, in order.
    pub(crate) extensions: Vec<(u32, String)>,
}

/// The CA: a P-256 root that signs with SHA-256.
pub(crate) struct Ca {
    key: SigningKey,
    name: Name,
    ski: Vec<u8>,
    /// The root certificate, DER.
    pub(crate) der: Vec<u8>,
    /// The root certificate's first second of validity (Unix time).
    pub(crate) not_before: u64,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("name", &self.name.to_string())
            .finish()
    }
}

fn ext(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().expect("an extension encodes"))
            .expect("an extension fits"),
    }
}

fn utc(unix: u64) -> Time {
    Time::UtcTime(
        UtcTime::from_unix_duration(Duration::from_secs(unix)).expect("a time before 2050"),
    )
}

/// A random positive serial number of 16 bytes.
fn serial() -> SerialNumber {
    let mut bytes: [u8; 16] = keys::random_bytes();
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::new(&bytes).expect("16 bytes make a serial")
}

fn spki(key: &VerifyingKey) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned::try_from(keys::spki_der(key).as_slice()).expect("a P-256 SPKI")
}

/// A key identifier (RFC 7093 method 1: the leftmost 160 bits of SHA-256 of the key bits).
fn key_identifier(key: &VerifyingKey) -> Vec<u8> {
    let info = spki(key);
    Sha256::digest(info.subject_public_key.raw_bytes())[..20].to_vec()
}

fn algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_SHA256,
        parameters: None,
    }
}

impl Ca {
    /// A new root with a fresh key, valid from `not_before` for ten years.
    pub(crate) fn new(not_before: u64) -> Self {
        let key = keys::random_key();
        let name = Name::from_str(&format!("CN={CA_COMMON_NAME},O={CA_ORGANIZATION}"))
            .expect("a distinguished name");
        let ski = key_identifier(key.verifying_key());
        let mut ca = Self {
            key,
            name: name.clone(),
            ski: ski.clone(),
            der: Vec::new(),
            not_before,
        };
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: serial(),
            signature: algorithm(),
            issuer: name.clone(),
            validity: Validity {
                not_before: utc(not_before),
                not_after: utc(not_before + 10 * 365 * 86_400),
            },
            subject: name,
            subject_public_key_info: spki(ca.key.verifying_key()),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(vec![
                ext(
                    KeyUsage::OID,
                    true,
                    &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
                ),
                ext(
                    BasicConstraints::OID,
                    true,
                    &BasicConstraints {
                        ca: true,
                        path_len_constraint: Some(1),
                    },
                ),
                ext(
                    SubjectKeyIdentifier::OID,
                    false,
                    &SubjectKeyIdentifier(OctetString::new(ski).expect("20 bytes")),
                ),
            ]),
        };
        ca.der = ca.sign(tbs).to_der().expect("a certificate encodes");
        ca
    }

    /// The root's public key.
    pub(crate) fn public_key(&self) -> &VerifyingKey {
        self.key.verifying_key()
    }

    /// The root certificate, PEM.
    pub(crate) fn pem(&self) -> String {
        pem(&self.der)
    }

    fn sign(&self, tbs: TbsCertificate) -> Certificate {
        let der = tbs.to_der().expect("a TBS certificate encodes");
        let signature = keys::sign(&self.key, &der);
        Certificate {
            tbs_certificate: tbs,
            signature_algorithm: algorithm(),
            signature: BitString::from_bytes(&signature).expect("a signature fits"),
        }
    }

    /// Issues a leaf for `profile`, valid from `now` for [`LEAF_LIFETIME`], with one SCT signed
    /// by `ct_key` at `now`, as Fulcio's precertificate flow produces it: the SCT signs the
    /// TBS certificate without the SCT list extension; the final certificate appends it.
    /// Returns the leaf, DER.
    pub(crate) fn issue(&self, profile: &LeafProfile, ct_key: &SigningKey, now: u64) -> Vec<u8> {
        let mut extensions = vec![
            ext(
                KeyUsage::OID,
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            ),
            ext(
                ExtendedKeyUsage::OID,
                false,
                &ExtendedKeyUsage(vec![CODE_SIGNING]),
            ),
            ext(
                SubjectKeyIdentifier::OID,
                false,
                &SubjectKeyIdentifier(
                    OctetString::new(key_identifier(&profile.key)).expect("20 bytes"),
                ),
            ),
            ext(
                AuthorityKeyIdentifier::OID,
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(self.ski.clone()).expect("20 bytes")),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            ),
            // The subject is empty, so the SAN is critical (RFC 5280 §4.2.1.6).
            ext(
                SubjectAltName::OID,
                true,
                &SubjectAltName(vec![GeneralName::UniformResourceIdentifier(
                    Ia5String::new(&profile.san_uri).expect("an ASCII URI"),
                )]),
            ),
        ];
        for (n, value) in &profile.extensions {
            let oid = ObjectIdentifier::from_str(&format!("{FULCIO_ARC}.{n}"))
                .expect("a Fulcio extension OID");
            extensions.push(if *n <= 6 {
                Extension {
                    extn_id: oid,
                    critical: false,
                    extn_value: OctetString::new(value.as_bytes()).expect("a value fits"),
                }
            } else {
                ext(
                    oid,
                    false,
                    &Utf8StringRef::new(value).expect("a UTF8String fits"),
                )
            });
        }
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: serial(),
            signature: algorithm(),
            issuer: self.name.clone(),
            validity: Validity {
                not_before: utc(now),
                not_after: utc(now + LEAF_LIFETIME.as_secs()),
            },
            subject: Name::default(),
            subject_public_key_info: spki(&profile.key),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        let precert_tbs = tbs.to_der().expect("a TBS certificate encodes");
        let sct_list = sct_list(ct_key, self.public_key(), &precert_tbs, now * 1000);
        let sct_ext = ext(
            SCT_LIST,
            false,
            &OctetString::new(sct_list).expect("an SCT list fits"),
        );
        tbs.extensions.get_or_insert_with(Vec::new).push(sct_ext);
        self.sign(tbs).to_der().expect("a certificate encodes")
    }
}

/// A certificate's PEM: `CERTIFICATE`, 64-column base64, LF line ends (as Go and Python write
/// it, and as Rekor canonicalizes it).
pub(crate) fn pem(der: &[u8]) -> String {
    x509_cert::der::pem::encode_string("CERTIFICATE", LineEnding::LF, der)
        .expect("a certificate encodes")
}

/// A one-SCT `SignedCertificateTimestampList` (RFC 6962 §3.3) for the precertificate
/// `precert_tbs` issued by `issuer`, logged at `timestamp_ms` by the CT log holding `ct_key`.
fn sct_list(
    ct_key: &SigningKey,
    issuer: &VerifyingKey,
    precert_tbs: &[u8],
    timestamp_ms: u64,
) -> Vec<u8> {
    let tbs_len = u32::try_from(precert_tbs.len()).expect("a TBS under 16 MiB");
    // digitally-signed struct (RFC 6962 §3.2): v1, certificate_timestamp, the time,
    // precert_entry, SHA256(issuer SPKI), the TBS (u24 length), no extensions.
    let mut signed = vec![0u8, 0u8];
    signed.extend_from_slice(&timestamp_ms.to_be_bytes());
    signed.extend_from_slice(&1u16.to_be_bytes());
    signed.extend_from_slice(&Sha256::digest(keys::spki_der(issuer)));
    signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
    signed.extend_from_slice(precert_tbs);
    signed.extend_from_slice(&0u16.to_be_bytes());
    let signature = keys::sign(ct_key, &signed);
    let signature_len = u16::try_from(signature.len()).expect("a DER ECDSA signature");

    // The SCT: v1, log id, the time, no extensions, sha256 + ecdsa, the signature.
    let mut sct = vec![0u8];
    sct.extend_from_slice(&keys::key_id(ct_key.verifying_key()));
    sct.extend_from_slice(&timestamp_ms.to_be_bytes());
    sct.extend_from_slice(&0u16.to_be_bytes());
    sct.extend_from_slice(&[4, 3]);
    sct.extend_from_slice(&signature_len.to_be_bytes());
    sct.extend_from_slice(&signature);
    let sct_len = u16::try_from(sct.len()).expect("one SCT");

    let mut list = (sct_len + 2).to_be_bytes().to_vec();
    list.extend_from_slice(&sct_len.to_be_bytes());
    list.extend_from_slice(&sct);
    list
}
