//! PyPI's attestation object (PEP 740, version 1) and the `<dist>.publish.attestation` file that
//! holds it beside its dist, so the same signed statement can be uploaded again.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use super::dsse::{SignedStatement, b64};
use super::fulcio::identity_of;
use super::rekor::LogEntry;
use super::{AttestError, Identity};

/// The file name suffix PyPI tools (twine, the pypa action, slipway) look for beside a dist.
pub const SUFFIX: &str = ".publish.attestation";

/// PyPI's attestation object: what the upload form's `attestations` list holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Attestation {
    /// Always 1.
    pub version: u32,
    /// The certificate and the transparency log entries.
    pub verification_material: VerificationMaterial,
    /// The statement and its signature.
    pub envelope: Envelope,
}

/// How the signature is verified.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VerificationMaterial {
    /// The Fulcio leaf certificate, DER, base64.
    pub certificate: String,
    /// The Rekor entries (bundle `TransparencyLogEntry` form), passed through as JSON.
    pub transparency_entries: Vec<serde_json::Value>,
}

/// The signed statement.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    /// The statement's bytes, base64.
    pub statement: String,
    /// The DSSE signature, DER, base64.
    pub signature: String,
}

/// The subject of a statement: which file, which bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The file name.
    pub name: String,
    /// Its sha256, lowercase hex.
    pub sha256: String,
}

impl Attestation {
    /// Assembles the object from the certificate, the signed statement and its log entry.
    pub fn new(certificate_der: &[u8], signed: &SignedStatement, logged: &LogEntry) -> Self {
        Self {
            version: 1,
            verification_material: VerificationMaterial {
                certificate: b64(certificate_der),
                transparency_entries: vec![logged.entry.clone()],
            },
            envelope: Envelope {
                statement: b64(&signed.statement),
                signature: b64(&signed.signature),
            },
        }
    }

    /// The statement's (single) subject; `None` when the statement does not parse.
    pub fn subject(&self) -> Option<Subject> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.envelope.statement)
            .ok()?;
        let statement: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        let subject = statement["subject"].as_array()?.first()?;
        Some(Subject {
            name: subject["name"].as_str()?.to_string(),
            sha256: subject["digest"]["sha256"].as_str()?.to_ascii_lowercase(),
        })
    }

    /// Who signed it, from the certificate's Fulcio extensions.
    pub fn identity(&self) -> Option<Identity> {
        let der = base64::engine::general_purpose::STANDARD
            .decode(&self.verification_material.certificate)
            .ok()?;
        identity_of(&der)
    }

    /// The first transparency log entry's index.
    pub fn log_index(&self) -> Option<u64> {
        self.verification_material
            .transparency_entries
            .first()?
            .get("logIndex")?
            .as_str()?
            .parse()
            .ok()
    }
}

/// Where the attestation of the dist at `dist` lives.
pub fn path_for(dist: &Path) -> PathBuf {
    let mut name = dist.as_os_str().to_os_string();
    name.push(SUFFIX);
    PathBuf::from(name)
}

/// Reads an attestation file; an error names the file and says what is wrong with it.
pub(crate) fn read(path: &Path) -> Result<Attestation, AttestError> {
    let unusable = |reason: String| AttestError::Unusable {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read(path).map_err(|e| unusable(format!("cannot read it: {e}")))?;
    let attestation: Attestation = serde_json::from_slice(&text)
        .map_err(|e| unusable(format!("it is not a PyPI attestation object: {e}")))?;
    if attestation.version != 1 {
        return Err(unusable(format!(
            "its version is {}, and PyPI knows version 1",
            attestation.version
        )));
    }
    Ok(attestation)
}

/// Writes `attestation` to `path` through a temporary file in the same directory, so a crash
/// never leaves half a file under the final name.
pub(crate) fn write(path: &Path, attestation: &Attestation) -> Result<(), AttestError> {
    let failed = |e: std::io::Error| AttestError::Write {
        path: path.to_path_buf(),
        source: e,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let text = serde_json::to_vec(attestation).expect("an attestation serializes");
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut temp, &text).map_err(failed)?;
    temp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}
