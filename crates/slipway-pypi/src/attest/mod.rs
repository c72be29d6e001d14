//! PEP 740 publish attestations, made with the workflow's own identity: for each dist an in-toto
//! statement (file name + sha256, PyPI's publish predicate) signed by an ephemeral P-256 key
//! ([`dsse`]), the key certified by Fulcio from the job's OIDC token ([`fulcio`]), the signature
//! logged in Rekor ([`rekor`]), all written beside the dist as PyPI's attestation object
//! ([`file`](mod@file)) and sent with the upload.
//!
//! Everything is signed before anything is uploaded. An attestation file already beside a dist
//! that is for the same bytes and the same workflow is reused (a re-run, a second index); one for
//! other bytes is an error naming both digests.

pub mod dsse;
pub mod file;
pub mod fulcio;
pub mod rekor;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use slipway_http::Transport;
use slipway_runner::Commands;
use url::Url;

use crate::dists::LocalDist;
use crate::oidc::{OidcEnv, TrustedPublishingError, id_token};
use dsse::{EphemeralKey, SignedStatement, pem};
pub use file::Attestation;

/// The public-good Fulcio.
pub const PUBLIC_FULCIO: &str = "https://fulcio.sigstore.dev";
/// The public-good Rekor.
pub const PUBLIC_REKOR: &str = "https://rekor.sigstore.dev";
/// The audience Fulcio accepts GitHub's tokens for.
pub const SIGSTORE_AUDIENCE: &str = "sigstore";
/// Fulcio's certificates live 10 minutes; a new one is asked for when this one is older than
/// this, so every entry is logged while its certificate is valid.
const CERTIFICATE_REFRESH: Duration = Duration::from_secs(8 * 60);

/// When to make attestations (the `attestations` input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttestMode {
    /// Never; attestation files beside the dists are not sent either.
    Off,
    /// With trusted publishing (PyPI accepts attestations only then); existing files are sent.
    #[default]
    On,
    /// Always: publishing without trusted publishing is an error.
    Always,
}

impl std::str::FromStr for AttestMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Self::On),
            "false" => Ok(Self::Off),
            "always" => Ok(Self::Always),
            _ => Err("expected `true`, `false` or `always`\nhint: `true` (the default) signs every dist when publishing with trusted publishing; `always` also fails a publish that cannot sign".to_string()),
        }
    }
}

/// The Sigstore instance to sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigstoreUrls {
    /// Fulcio's base URL.
    pub fulcio: Url,
    /// Rekor's base URL.
    pub rekor: Url,
}

impl Default for SigstoreUrls {
    fn default() -> Self {
        Self {
            fulcio: Url::parse(PUBLIC_FULCIO).expect("a valid URL"),
            rekor: Url::parse(PUBLIC_REKOR).expect("a valid URL"),
        }
    }
}

impl SigstoreUrls {
    /// Where a person sees the log entry at `index`: the public search UI for the public-good
    /// log, the entry's API URL for another instance.
    pub fn entry_link(&self, index: u64) -> String {
        if self.rekor.as_str().trim_end_matches('/') == PUBLIC_REKOR {
            format!("https://search.sigstore.dev/?logIndex={index}")
        } else {
            format!(
                "{}?logIndex={index}",
                endpoint(&self.rekor, "api/v1/log/entries")
            )
        }
    }
}

/// The GitHub workflow identity an attestation is bound to (what PyPI checks it against).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `owner/name`.
    pub repository: String,
    /// The workflow file, e.g. `.github/workflows/release.yml`.
    pub workflow: String,
    /// The ref the workflow ran at.
    pub git_ref: String,
}

impl Identity {
    /// From `workflow_ref` (`owner/name/.github/workflows/x.yml@refs/tags/v1`) and `repository`.
    pub fn from_claims(repository: &str, workflow_ref: &str) -> Option<Self> {
        let (path, git_ref) = workflow_ref.split_once('@')?;
        let workflow = path.strip_prefix(repository)?.strip_prefix('/')?;
        Some(Self {
            repository: repository.to_string(),
            workflow: workflow.to_string(),
            git_ref: git_ref.to_string(),
        })
    }

    /// From the certificate's Source Repository URI (`https://github.com/owner/name`) and Build
    /// Config URI (`https://github.com/owner/name/.github/workflows/x.yml@refs/…`).
    pub(crate) fn from_uris(
        repository_uri: &str,
        build_config: &str,
        _issuer: &str,
    ) -> Option<Self> {
        let strip_host = |uri: &str| -> Option<String> {
            let rest = uri.split_once("://")?.1;
            Some(rest.split_once('/')?.1.to_string())
        };
        let repository = strip_host(repository_uri)?;
        Self::from_claims(&repository, &strip_host(build_config)?)
    }

    /// True when an attestation signed by `other` is valid for this identity: the same
    /// repository and workflow file (PyPI's trusted publisher), whatever the ref.
    pub fn same_publisher(&self, other: &Identity) -> bool {
        self.repository.eq_ignore_ascii_case(&other.repository) && self.workflow == other.workflow
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} @ {}",
            self.repository, self.workflow, self.git_ref
        )
    }
}

/// Which Sigstore service a failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The certificate authority.
    Fulcio,
    /// The transparency log.
    Rekor,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fulcio => "Fulcio (Sigstore's certificate authority)",
            Self::Rekor => "Rekor (Sigstore's transparency log)",
        })
    }
}

/// The hint every signing failure ends with: nothing was uploaded, and how to publish anyway.
const NOTHING_UPLOADED: &str = "nothing was uploaded; re-run the job when the service answers, or publish without attestations with `attestations: false`";

/// Why the dists could not be attested.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// The OIDC token for Sigstore could not be had.
    #[error("attestations need the job's OIDC token for Sigstore: {0}")]
    Token(#[source] Box<TrustedPublishingError>),
    /// A service could not be reached (after the retries).
    #[error("cannot reach {service} at `{url}`: {reason}\nhint: {NOTHING_UPLOADED}")]
    Unreachable {
        /// Which service.
        service: Service,
        /// Its URL.
        url: String,
        /// The transport's error.
        reason: String,
    },
    /// A service answered with an error.
    #[error(
        "{service} at `{url}` refused the request ({status}): {message}\nhint: {NOTHING_UPLOADED}"
    )]
    Refused {
        /// Which service.
        service: Service,
        /// Its URL.
        url: String,
        /// The status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// A service answered something that is not what it should.
    #[error(
        "{service} at `{url}` answered something unusable: {reason}\nhint: check `fulcio-url`/`rekor-url` point at a Sigstore instance; {NOTHING_UPLOADED}"
    )]
    Malformed {
        /// Which service.
        service: Service,
        /// Its URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// An attestation beside a dist is for other bytes.
    #[error(
        "the attestation `{}` is for other bytes than `{filename}`: it attests sha256 `{attested}` (file name `{attested_name}`), the file has sha256 `{actual}`\nhint: the dist was rebuilt after it was attested; delete the attestation file to sign the file as it is, or restore the attested dist",
        path.display()
    )]
    Mismatch {
        /// The attestation file.
        path: PathBuf,
        /// The dist.
        filename: String,
        /// The file name the statement names.
        attested_name: String,
        /// The digest it attests.
        attested: String,
        /// The file's digest.
        actual: String,
    },
    /// An attestation file that cannot be used.
    #[error(
        "the attestation `{}` cannot be used: {reason}\nhint: delete it, and slipway signs the dist again",
        path.display()
    )]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Writing an attestation failed.
    #[error(
        "cannot write the attestation `{}`: {source}\nhint: the packages directory must be writable; nothing was uploaded",
        path.display()
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl AttestError {
    fn unreachable(
        service: Service,
        transport: &Transport,
        url: &Url,
        e: &slipway_http::HttpError,
    ) -> Self {
        Self::Unreachable {
            service,
            url: transport.show(url),
            reason: e.to_string(),
        }
    }

    fn refused(
        service: Service,
        transport: &Transport,
        url: &Url,
        answer: &slipway_http::Answer,
    ) -> Self {
        #[derive(serde::Deserialize)]
        struct Message {
            message: String,
        }
        let message = serde_json::from_slice::<Message>(&answer.body)
            .map(|m| m.message)
            .unwrap_or_else(|_| answer.text());
        Self::Refused {
            service,
            url: transport.show(url),
            status: answer.status.as_u16(),
            message: slipway_runner::quote::cut(&transport.redact(&message), 400),
        }
    }
}

/// POSTs a JSON `body` that may carry a token to a Sigstore service: no redirect is followed,
/// the answer is read to `cap`; a failure to reach it names the service.
pub(crate) async fn post_json(
    transport: &Transport,
    service: Service,
    url: &Url,
    body: String,
    cap: u64,
) -> Result<slipway_http::Answer, AttestError> {
    transport
        .fetch(
            &slipway_http::Request::post(url.clone())
                .redirects(slipway_http::Redirects::None)
                .bytes("application/json", body)
                .cap(cap),
        )
        .await
        .map_err(|e| AttestError::unreachable(service, transport, url, &e))
}

/// `path` below `base`'s path (a base may carry a path prefix, e.g. a private instance's).
pub(crate) fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{prefix}/{path}"));
    url.set_query(None);
    url
}

/// What happened to one dist's attestation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attested {
    /// The dist's file name.
    pub filename: String,
    /// The attestation file.
    pub path: PathBuf,
    /// The Rekor entry's index.
    pub log_index: Option<u64>,
    /// Where a person sees the entry.
    pub link: Option<String>,
    /// Who signed it.
    pub identity: String,
    /// True when an existing file was reused rather than signed now.
    pub reused: bool,
}

/// What to do with one dist.
enum Plan {
    Reuse(Attestation),
    Sign,
}

/// Makes (or reuses) an attestation for every dist, before anything is uploaded, and points each
/// dist at its file so the upload sends it.
pub async fn attest_all(
    transport: &Transport,
    urls: &SigstoreUrls,
    env: &OidcEnv,
    dists: &mut [LocalDist],
    commands: &Commands,
) -> Result<Vec<Attested>, AttestError> {
    let token = || async {
        id_token(transport, env, SIGSTORE_AUDIENCE, commands)
            .await
            .map_err(|e| AttestError::Token(Box::new(e)))
    };
    let (mut jwt, claims) = token().await?;
    let identity = Identity::from_claims(
        claims.repository.as_deref().unwrap_or_default(),
        claims.workflow_ref.as_deref().unwrap_or_default(),
    );
    let mut plans = Vec::new();
    for dist in dists.iter() {
        plans.push(plan(dist, identity.as_ref(), commands)?);
    }
    let mut signer: Option<(EphemeralKey, Vec<u8>, Instant)> = None;
    let mut done = Vec::new();
    for (dist, plan) in dists.iter_mut().zip(plans) {
        let path = file::path_for(&dist.file.path);
        let (attestation, reused) = match plan {
            Plan::Reuse(attestation) => (attestation, true),
            Plan::Sign => {
                if signer
                    .as_ref()
                    .is_none_or(|(_, _, at)| at.elapsed() > CERTIFICATE_REFRESH)
                {
                    if signer.is_some() {
                        jwt = token().await?.0;
                    }
                    let key = EphemeralKey::generate();
                    let sub = claims.sub.clone().unwrap_or_default();
                    let leaf = fulcio::certify(transport, &urls.fulcio, &jwt, &sub, &key).await?;
                    signer = Some((key, leaf, Instant::now()));
                }
                let (key, leaf, _) = signer.as_ref().expect("certified above");
                let signed = SignedStatement::sign(key, &dist.file.filename, &dist.hashes.sha256);
                let logged =
                    rekor::log(transport, &urls.rekor, &signed, &pem("CERTIFICATE", leaf)).await?;
                let attestation = Attestation::new(leaf, &signed, &logged);
                file::write(&path, &attestation)?;
                (attestation, false)
            }
        };
        let log_index = attestation.log_index();
        done.push(Attested {
            filename: dist.file.filename.clone(),
            path: path.clone(),
            log_index,
            link: log_index.map(|i| urls.entry_link(i)),
            identity: attestation
                .identity()
                .map(|i| i.to_string())
                .unwrap_or_default(),
            reused,
        });
        dist.attestation = Some(path);
    }
    Ok(done)
}

/// Reuse the attestation beside `dist` when it is for these bytes and this workflow; sign
/// otherwise. Other bytes are an error; another workflow's attestation is replaced (PyPI
/// would refuse it), with a warning.
fn plan(
    dist: &LocalDist,
    identity: Option<&Identity>,
    commands: &Commands,
) -> Result<Plan, AttestError> {
    let path = file::path_for(&dist.file.path);
    if !path.exists() {
        return Ok(Plan::Sign);
    }
    let existing = file::read(&path)?;
    let Some(subject) = existing.subject() else {
        return Err(AttestError::Unusable {
            path,
            reason: "its statement does not name a file and its sha256".into(),
        });
    };
    if subject.sha256 != dist.hashes.sha256 || subject.name != dist.file.filename {
        return Err(AttestError::Mismatch {
            path,
            filename: dist.file.filename.clone(),
            attested_name: subject.name,
            attested: subject.sha256,
            actual: dist.hashes.sha256.clone(),
        });
    }
    match (existing.identity(), identity) {
        (Some(signer), Some(current)) if signer.same_publisher(current) => {
            tracing::info!(
                "`{}`: reusing its attestation (signed by {signer})",
                dist.file.filename
            );
            Ok(Plan::Reuse(existing))
        }
        (signer, current) => {
            commands.warning(&format!(
                "`{}` was attested by {}, not by this workflow ({}): PyPI would refuse it, so it is signed again and the file replaced",
                path.display(),
                signer.map_or_else(|| "an unknown identity".to_string(), |s| s.to_string()),
                current.map_or_else(|| "unknown".to_string(), ToString::to_string)
            ));
            Ok(Plan::Sign)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_comes_from_the_claims_and_from_the_certificate_alike() {
        let claims = Identity::from_claims(
            "octo/demo",
            "octo/demo/.github/workflows/release.yml@refs/tags/v1.0",
        )
        .unwrap();
        let cert = Identity::from_uris(
            "https://github.com/octo/demo",
            "https://github.com/octo/demo/.github/workflows/release.yml@refs/heads/main",
            "https://token.actions.githubusercontent.com",
        )
        .unwrap();
        assert_eq!(claims.workflow, ".github/workflows/release.yml");
        assert_eq!(claims.git_ref, "refs/tags/v1.0");
        assert!(claims.same_publisher(&cert), "another ref, same publisher");
        let other = Identity::from_claims(
            "octo/demo",
            "octo/demo/.github/workflows/nightly.yml@refs/tags/v1.0",
        )
        .unwrap();
        assert!(!claims.same_publisher(&other));
        assert_eq!(
            claims.to_string(),
            "octo/demo .github/workflows/release.yml @ refs/tags/v1.0"
        );
        // A workflow of another repository (a reusable workflow's ref) is not this repository's.
        assert_eq!(
            Identity::from_claims("octo/demo", "other/x/.github/workflows/r.yml@v1"),
            None
        );
    }

    #[test]
    fn endpoints_keep_a_base_path_and_links_follow_the_instance() {
        let base = Url::parse("https://sigstore.example.com/rekor/").unwrap();
        assert_eq!(
            endpoint(&base, "api/v1/log/entries").as_str(),
            "https://sigstore.example.com/rekor/api/v1/log/entries"
        );
        let public = SigstoreUrls::default();
        assert_eq!(
            public.entry_link(7),
            "https://search.sigstore.dev/?logIndex=7"
        );
        let private = SigstoreUrls {
            rekor: base,
            ..SigstoreUrls::default()
        };
        assert_eq!(
            private.entry_link(7),
            "https://sigstore.example.com/rekor/api/v1/log/entries?logIndex=7"
        );
    }

    #[test]
    fn modes() {
        assert_eq!("true".parse(), Ok(AttestMode::On));
        assert_eq!("False".parse(), Ok(AttestMode::Off));
        assert_eq!("ALWAYS".parse(), Ok(AttestMode::Always));
        assert!("on".parse::<AttestMode>().unwrap_err().contains("hint:"));
    }
}
