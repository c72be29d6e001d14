//! The whole publish: local checks, credentials (token or trusted publishing), then each file in
//! order — skipped when the index has the same bytes, refused when it has other bytes under the
//! name, otherwise streamed, retried on 5xx and connection errors after re-checking the index.

use std::collections::BTreeMap;
use std::path::PathBuf;

use secrecy::SecretString;
use slipway_runner::Commands;
use url::Url;

use slipway_http::{Credential, HttpError, Request, Transport};

use crate::attest::{AttestError, AttestMode, Attested, SigstoreUrls, attest_all};
use crate::dists::{LocalDist, LocalError, LocalOptions, common_version, scan};
use crate::http::{Credentials, Patience};
use crate::index::{IndexError, IndexFile, RemoteHash, download_sha256, project_files};
pub use crate::oidc::TrustedPublishing;
use crate::oidc::{OidcEnv, TrustedPublishingError, mint_token};
use crate::promote::{PromoteError, PromoteFrom, Proof};
pub use crate::upload::UploadError;
use crate::upload::{Answer, UploadForm, send};
use crate::urls::{project_url, same_origin};
use crate::verify::{self, Expected, Verified, VerifyError, VerifyWait};

/// Everything one publish needs, validated by the caller.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    /// The directory holding the dists.
    pub packages_dir: PathBuf,
    /// The legacy upload URL (already checked by [`crate::urls::parse_secure_url`]).
    pub repository_url: Url,
    /// The simple index for the existing-file check, if known.
    pub index_url: Option<Url>,
    /// Credentials for the index's own origin (written into `index-url`); without them the
    /// upload credentials are used for the index when it shares the upload URL's origin.
    pub index_auth: Option<Credentials>,
    /// The upload user (`__token__`).
    pub user: String,
    /// The password or API token; `None` for trusted publishing.
    pub password: Option<SecretString>,
    /// When to use trusted publishing.
    pub trusted_publishing: TrustedPublishing,
    /// The local checks.
    pub local: LocalOptions,
    /// Skip files the index has with the same bytes (else such a file is an error).
    pub skip_existing: bool,
    /// Do everything but upload.
    pub dry_run: bool,
    /// The OIDC environment for trusted publishing.
    pub oidc: OidcEnv,
    /// When to sign attestations.
    pub attestations: AttestMode,
    /// The Sigstore instance to sign with.
    pub sigstore: SigstoreUrls,
    /// The retry policy and time bounds of every request.
    pub patience: Patience,
    /// How many files upload at once (after the first file of each release, which goes alone).
    pub max_parallel: usize,
    /// Upload only dists this staging index has with the same sha256.
    pub promote_from: Option<PromoteFrom>,
    /// Read every file back from `index_url` after the uploads, waiting this long at most.
    pub verify: Option<VerifyWait>,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    /// Sent and accepted.
    Uploaded,
    /// Already on the index with the same sha256.
    Skipped,
    /// Dry run: would have been uploaded.
    WouldUpload,
}

impl FileStatus {
    /// The word used in logs and the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Skipped => "skipped",
            Self::WouldUpload => "would upload",
        }
    }
}

/// One file's line in the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileReport {
    /// The file name.
    pub filename: String,
    /// Project name (metadata).
    pub name: String,
    /// Version (metadata).
    pub version: String,
    /// Size in bytes.
    pub size: u64,
    /// sha256, hex.
    pub sha256: String,
    /// blake2b-256, hex.
    pub blake2_256: String,
    /// What happened.
    pub status: FileStatus,
    /// Where a person sees the release.
    pub project_url: String,
}

/// The outcome of a publish.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Every file handled, in order.
    pub files: Vec<FileReport>,
    /// The dists' version (distinct versions comma-separated).
    pub version: String,
    /// The index used for the existing-file check.
    pub index_url: Option<Url>,
    /// The attestation of each dist, made or reused by this run (empty when none were).
    pub attestations: Vec<Attested>,
    /// With `promote_from`: each dist's proof that staging has the same bytes.
    pub promoted: Vec<Proof>,
    /// With `verify`: each file as the index serves it after the uploads.
    pub verified: Vec<Verified>,
}

impl PublishReport {
    /// File names with the given status.
    pub fn names(&self, status: FileStatus) -> Vec<String> {
        self.files
            .iter()
            .filter(|f| f.status == status)
            .map(|f| f.filename.clone())
            .collect()
    }
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The local files are not publishable (nothing was sent).
    #[error(transparent)]
    Local(#[from] LocalError),
    /// A password together with `trusted-publishing: always`.
    #[error(
        "`password` is set but `trusted-publishing` is `always`\nhint: remove `password` to publish with trusted publishing, or set `trusted-publishing: auto`"
    )]
    PasswordWithTrustedPublishing,
    /// No password and trusted publishing disabled.
    #[error(
        "no `password` given and `trusted-publishing` is `never`\nhint: pass an API token as `password` (from a secret), or allow trusted publishing"
    )]
    NoCredentials,
    /// Trusted publishing failed.
    #[error(transparent)]
    TrustedPublishing(#[from] TrustedPublishingError),
    /// `attestations: always` without trusted publishing.
    #[error(
        "`attestations` is `always`, but this publish uses an API token: PyPI accepts attestations only from trusted publishing\nhint: remove `password` and register this workflow as a trusted publisher, or set `attestations: true` to publish without them"
    )]
    AttestationsNeedTrustedPublishing,
    /// Signing failed (nothing was uploaded).
    #[error(transparent)]
    Attest(#[from] AttestError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Client(#[from] HttpError),
    /// `promote_from` does not have the same bytes (nothing was uploaded).
    #[error(transparent)]
    Promote(#[from] PromoteError),
    /// Every file was handled, but the index does not serve them as uploaded.
    #[error("{error}")]
    Verify {
        /// What was handled (uploaded or skipped).
        report: Box<PublishReport>,
        /// What the read-back found.
        error: VerifyError,
    },
    /// A file failed; `done` lists what is on the index already.
    #[error("publishing stopped at `{filename}`; {}", done_text(done))]
    Upload {
        /// The file that failed.
        filename: String,
        /// Files handled before it.
        done: Vec<FileReport>,
        /// Why.
        #[source]
        source: UploadError,
    },
}

fn done_text(done: &[FileReport]) -> String {
    if done.is_empty() {
        "nothing was uploaded".to_string()
    } else {
        let list: Vec<String> = done
            .iter()
            .map(|f| format!("`{}` ({})", f.filename, f.status.as_str()))
            .collect();
        format!("already on the index: {}", list.join(", "))
    }
}

/// A minted token is renewed when it has less than this left (seconds): a file that starts
/// uploading then still finishes well inside the token's life.
pub const TOKEN_RENEW_MARGIN: u64 = 5 * 60;

/// The upload credentials and, for a minted token, when it expires (epoch seconds).
struct Auth {
    credentials: Option<Credentials>,
    expires: Option<u64>,
}

/// One publish, shared by the uploads running side by side.
struct Session<'a> {
    req: &'a PublishRequest,
    transport: Transport,
    /// Locked across a renewal, so files that find the token old wait for one fresh token.
    auth: tokio::sync::Mutex<Auth>,
    commands: &'a Commands,
    /// Each project's index page, read once (again only to settle one file's fate).
    pages: std::sync::Mutex<BTreeMap<String, Vec<IndexFile>>>,
}

/// Publishes the dists of `req.packages_dir` and returns what happened to each file.
pub async fn publish(
    req: &PublishRequest,
    commands: &Commands,
) -> Result<PublishReport, PublishError> {
    if req.password.is_some() && req.trusted_publishing == TrustedPublishing::Always {
        return Err(PublishError::PasswordWithTrustedPublishing);
    }
    if req.password.is_none() && req.trusted_publishing == TrustedPublishing::Never {
        return Err(PublishError::NoCredentials);
    }
    if req.password.is_some() && req.attestations == AttestMode::Always {
        return Err(PublishError::AttestationsNeedTrustedPublishing);
    }
    let mut dists = scan(&req.packages_dir, &req.local, commands)?;
    let transport = req.patience.transport(commands.secrets())?;
    // Before any token is minted or anything signed: nothing happens unless staging agrees.
    let promoted = match &req.promote_from {
        Some(from) => crate::promote::check(&transport, from, &dists, commands).await?,
        None => Vec::new(),
    };
    let mut expires = None;
    let auth = match &req.password {
        Some(password) => {
            let c = Credentials {
                user: req.user.clone(),
                password: password.clone(),
            };
            c.register(commands);
            Some(c)
        }
        None if req.dry_run => {
            commands.notice("dry run: trusted publishing skipped (no upload token is minted)");
            None
        }
        None => {
            let minted = mint_token(&transport, &req.repository_url, &req.oidc, commands).await?;
            tracing::info!("trusted publishing: minted a short-lived upload token");
            expires = Some(minted.expires);
            let c = Credentials {
                user: crate::TOKEN_USER.to_string(),
                password: minted.token,
            };
            c.register(commands);
            Some(c)
        }
    };
    let attestations = match req.attestations {
        AttestMode::Off => Vec::new(),
        _ if req.password.is_some() => {
            let why = "attestations: none made, because PyPI accepts them only from trusted publishing and this job publishes with an API token";
            // An annotation where it matters (PyPI, TestPyPI); a log line for other indexes.
            if req.local.pypi {
                commands.notice(why);
            } else {
                tracing::info!("{why}");
            }
            Vec::new()
        }
        _ if req.dry_run => {
            commands.notice(
                "dry run: no attestation is signed (signing writes to the public transparency log)",
            );
            Vec::new()
        }
        _ => {
            // Everything is signed before the first upload: a signing failure uploads nothing.
            let made =
                attest_all(&transport, &req.sigstore, &req.oidc, &mut dists, commands).await?;
            let signed = made.iter().filter(|a| !a.reused).count();
            tracing::info!(
                "attestations: {signed} signed, {} reused",
                made.len() - signed
            );
            made
        }
    };
    if let Some(index_auth) = &req.index_auth {
        index_auth.register(commands);
    }
    if req.index_url.is_none() {
        commands.notice(
            "no `index-url` for this repository: files already on the index cannot be compared by hash before uploading",
        );
    }
    let session = Session {
        req,
        transport,
        auth: tokio::sync::Mutex::new(Auth {
            credentials: auth,
            expires,
        }),
        commands,
        pages: std::sync::Mutex::new(BTreeMap::new()),
    };
    let mut report = PublishReport {
        files: Vec::new(),
        version: common_version(&dists),
        index_url: req.index_url.clone(),
        attestations,
        promoted,
        verified: Vec::new(),
    };
    let (firsts, rest) = first_of_each_release(&dists);
    let mut ended: Vec<(usize, Result<FileStatus, UploadError>)> = Vec::new();
    // The first file of each release goes alone: it creates the release on the index, its
    // answer says whether the credentials and metadata are right, and it reads the project's
    // page once for every file after it. The rest go `max_parallel` at a time.
    for (batch, limit) in [(firsts, 1), (rest, req.max_parallel)] {
        if ended.iter().any(|(_, r)| r.is_err()) {
            break;
        }
        let ran = slipway_http::parallel::bounded(
            batch.clone(),
            limit,
            |_, i| {
                let (session, dist) = (&session, &dists[i]);
                async move { session.handle(dist).await }
            },
            |k| {
                tracing::warn!(
                    "`{}` failed: no further upload starts, the ones running finish",
                    dists[batch[k]].file.filename
                );
            },
        )
        .await;
        ended.extend(
            batch
                .iter()
                .zip(ran)
                .filter_map(|(i, ran)| Some((*i, ran.started()?))),
        );
    }
    ended.sort_by_key(|(i, _)| *i);
    let mut failed = None;
    for (i, result) in ended {
        let dist = &dists[i];
        match result {
            Ok(status) => report.files.push(FileReport {
                filename: dist.file.filename.clone(),
                name: dist.name().to_string(),
                version: dist.version().to_string(),
                size: dist.hashes.size,
                sha256: dist.hashes.sha256.clone(),
                blake2_256: dist.hashes.blake2_256.clone(),
                status,
                project_url: project_url(
                    &req.repository_url,
                    req.index_url.as_ref(),
                    dist.name(),
                    dist.version(),
                ),
            }),
            // The first failure (in the files' order) is the run's error; another one that
            // ended beside it is logged.
            Err(source) if failed.is_none() => failed = Some((dist, source)),
            Err(other) => tracing::error!("`{}`: {other}", dist.file.filename),
        }
    }
    match failed {
        None if req.verify.is_some() => read_back(&session, report).await,
        None => Ok(report),
        Some((dist, source)) => Err(PublishError::Upload {
            filename: dist.file.filename.clone(),
            done: report.files,
            source,
        }),
    }
}

/// The files' indices split into the first file of each release (project and version), in
/// order, and all the others.
fn first_of_each_release(dists: &[LocalDist]) -> (Vec<usize>, Vec<usize>) {
    let mut seen = std::collections::BTreeSet::new();
    (0..dists.len()).partition(|&i| {
        let d = &dists[i];
        seen.insert((
            crate::metadata::normalize_name(d.name()),
            d.version().to_string(),
        ))
    })
}

/// Reads back every file uploaded or skipped (see [`crate::verify`]); the report with what the
/// index serves, or the report and why it does not.
async fn read_back(
    session: &Session<'_>,
    mut report: PublishReport,
) -> Result<PublishReport, PublishError> {
    let (Some(wait), Some(index)) = (session.req.verify, &session.req.index_url) else {
        return Ok(report);
    };
    let expected = Expected::of(&report.files);
    let credential = session.index_credential().await;
    match verify::read_back(&session.transport, index, credential, &expected, wait).await {
        Ok(verified) => report.verified = verified,
        Err(error) => {
            let report = Box::new(report);
            return Err(PublishError::Verify { report, error });
        }
    }
    Ok(report)
}

/// What an answer was, for the debug log (never the body, which may echo credentials).
fn answer_kind(answer: &Answer) -> String {
    match answer {
        Answer::Accepted => "accepted".into(),
        Answer::Duplicate { status, .. } => format!("{status}, already there"),
        Answer::Redirect { status, location } => {
            format!(
                "{status}, redirect to {}",
                slipway_http::text::display_url(location, None)
            )
        }
        Answer::Transient { .. } => "failed (transient)".into(),
        Answer::Rejected { status, .. } => format!("{status}, rejected"),
    }
}

/// What the index says about one file.
enum OnIndex {
    Absent,
    Same,
    Other(String),
    /// A hash-less file longer than the local one.
    Longer,
}

impl Session<'_> {
    /// The upload credentials as they are now (a renewal may replace them).
    async fn credentials(&self) -> Option<Credentials> {
        self.auth.lock().await.credentials.clone()
    }

    /// The credential for index reads: the upload credential, sent only when the index is on
    /// the upload URL's origin (the transport keeps it off every other origin, file URLs
    /// included); the index's own credentials when `index-url` carries them.
    async fn index_credential(&self) -> Option<Credential> {
        let index = self.req.index_url.as_ref()?;
        if let Some(own) = &self.req.index_auth {
            return Some(own.for_origin(index));
        }
        if same_origin(index, &self.req.repository_url) {
            self.credentials()
                .await
                .map(|c| c.for_origin(&self.req.repository_url))
        } else {
            None
        }
    }

    /// Renews a trusted-publishing token that is close to expiry (before each file, so a long
    /// release never outlives its token; files that find it old together get one new token).
    async fn renew_token(&self) -> Result<(), UploadError> {
        let mut auth = self.auth.lock().await;
        let Some(expires) = auth.expires else {
            return Ok(());
        };
        let now = slipway_http::retry::now_epoch();
        if expires.saturating_sub(now) > TOKEN_RENEW_MARGIN {
            return Ok(());
        }
        self.commands.notice(&format!(
            "trusted publishing: the upload token expires in {} s; minting a fresh one",
            expires.saturating_sub(now)
        ));
        let minted = mint_token(
            &self.transport,
            &self.req.repository_url,
            &self.req.oidc,
            self.commands,
        )
        .await
        .map_err(|e| UploadError::Renew(Box::new(e)))?;
        let c = Credentials {
            user: crate::TOKEN_USER.to_string(),
            password: minted.token,
        };
        c.register(self.commands);
        auth.credentials = Some(c);
        auth.expires = Some(minted.expires);
        Ok(())
    }

    /// Reads (or re-reads, with `fresh`) the project's page, retrying transient errors.
    async fn lookup(&self, dist: &LocalDist, fresh: bool) -> Result<OnIndex, IndexError> {
        let Some(index) = self.req.index_url.clone() else {
            return Ok(OnIndex::Absent);
        };
        let key = crate::metadata::normalize_name(dist.name());
        let known = self.pages().get(&key).map(|files| {
            files
                .iter()
                .find(|f| f.filename == dist.file.filename)
                .cloned()
        });
        let file = match known {
            Some(file) if !fresh => file,
            _ => {
                tracing::debug!(
                    "GET the index page of `{}` under {}",
                    dist.name(),
                    self.transport.show(&index)
                );
                let page = project_files(
                    &self.transport,
                    &index,
                    dist.name(),
                    self.index_credential().await,
                )
                .await?;
                if let Some(to) = &page.redirected_to {
                    self.commands.notice(&format!(
                        "the index redirects `{}` to another host (`{to}`): taken as not on this index",
                        dist.name()
                    ));
                }
                let file = page
                    .files
                    .iter()
                    .find(|f| f.filename == dist.file.filename)
                    .cloned();
                self.pages().insert(key, page.files);
                file
            }
        };
        let Some(file) = file else {
            return Ok(OnIndex::Absent);
        };
        let sha256 = match file.sha256 {
            Some(sha) => sha,
            None => {
                // The credential goes only to the index's own origin, never to a file URL the
                // page names on another host.
                let credential = self.index_credential().await;
                match download_sha256(&self.transport, &file.url, credential, dist.hashes.size)
                    .await?
                {
                    RemoteHash::Sha256(sha) => sha,
                    RemoteHash::Longer => return Ok(OnIndex::Longer),
                }
            }
        };
        Ok(if sha256 == dist.hashes.sha256 {
            OnIndex::Same
        } else {
            OnIndex::Other(sha256)
        })
    }

    fn pages(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<IndexFile>>> {
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn longer(dist: &LocalDist) -> UploadError {
        UploadError::LongerOnIndex {
            filename: dist.file.filename.clone(),
            local_size: dist.hashes.size,
        }
    }

    fn mismatch(dist: &LocalDist, index_sha256: String) -> UploadError {
        UploadError::HashMismatch {
            filename: dist.file.filename.clone(),
            index_sha256,
            local_sha256: dist.hashes.sha256.clone(),
        }
    }

    fn existing(&self, dist: &LocalDist) -> Result<FileStatus, UploadError> {
        if self.req.skip_existing {
            Ok(FileStatus::Skipped)
        } else {
            Err(UploadError::AlreadyExists {
                filename: dist.file.filename.clone(),
                reason: "same sha256 as the local file".into(),
                hint: "set `skip-existing: true` to treat identical files as done".into(),
            })
        }
    }

    async fn handle(&self, dist: &LocalDist) -> Result<FileStatus, UploadError> {
        match self.lookup(dist, false).await? {
            OnIndex::Same => return self.existing(dist),
            OnIndex::Other(sha) => return Err(Self::mismatch(dist, sha)),
            OnIndex::Longer => return Err(Self::longer(dist)),
            OnIndex::Absent => {}
        }
        let crate::dists::FormFields {
            fields,
            omitted_newer: omitted,
        } = dist.form_fields()?;
        if !omitted.is_empty() {
            self.commands.notice(&format!(
                "`{}` declares Metadata-Version {}; left out of the upload form because the index would reject them: {}",
                dist.file.filename,
                dist.metadata.metadata_version(),
                omitted.join(", ")
            ));
        }
        if self.req.dry_run {
            return Ok(FileStatus::WouldUpload);
        }
        self.renew_token().await?;
        let form = UploadForm {
            fields,
            path: dist.file.path.clone(),
            filename: dist.file.filename.clone(),
            size: dist.hashes.size,
            in_actions: self.commands.in_actions(),
            boundary: format!(
                "slipway-{}",
                &dist.hashes.sha256[..32.min(dist.hashes.sha256.len())]
            ),
        };
        self.upload(dist, &form).await
    }

    async fn upload(&self, dist: &LocalDist, form: &UploadForm) -> Result<FileStatus, UploadError> {
        let mut url = self.req.repository_url.clone();
        let mut attempt = 1;
        let mut redirects = 0;
        loop {
            tracing::debug!(
                "POST {} `{}` ({} bytes): {}",
                self.transport.show(&url),
                form.filename,
                form.size,
                crate::dists::describe_form(&form.fields)
            );
            let credential = self.credentials().await.map(|a| a.for_origin(&url));
            let (answer, outcome) = send(&self.transport, &url, form, credential)
                .await
                .map_err(|source| UploadError::Io {
                    path: dist.file.path.clone(),
                    source,
                })?;
            tracing::debug!(
                "POST {}: {}",
                self.transport.show(&url),
                answer_kind(&answer)
            );
            match answer {
                Answer::Accepted => return Ok(FileStatus::Uploaded),
                Answer::Duplicate { status, reason } => {
                    return match self.lookup(dist, true).await {
                        Ok(OnIndex::Same) => self.existing(dist),
                        Ok(OnIndex::Other(sha)) => Err(Self::mismatch(dist, sha)),
                        Ok(OnIndex::Longer) => Err(Self::longer(dist)),
                        _ => Err(UploadError::AlreadyExists {
                            filename: dist.file.filename.clone(),
                            reason: format!("{status}: {reason}"),
                            hint: if self.req.index_url.is_some() {
                                "the index refuses the file but its simple page does not list it; check `index-url` belongs to this repository".into()
                            } else {
                                "set `index-url` to the repository's simple index so slipway can compare hashes".into()
                            },
                        }),
                    };
                }
                Answer::Redirect { status, location } => {
                    if !same_origin(&url, &location) || redirects >= 5 {
                        return Err(UploadError::Redirect {
                            from: self.transport.show(&url),
                            to: self.transport.show(&location),
                        });
                    }
                    self.commands.warning(&format!(
                        "the upload URL `{}` answered {status}, redirecting to `{}`; set `repository-url` to it",
                        self.transport.show(&url),
                        self.transport.show(&location)
                    ));
                    url = location;
                    redirects += 1;
                }
                Answer::Transient { reason } => {
                    // The warning is one line; the hint comes with the final error, if any.
                    let first = reason.lines().next().unwrap_or_default();
                    self.commands.warning(&format!(
                        "uploading `{}` failed ({first}); retrying once the index shows the file is not there",
                        dist.file.filename
                    ));
                    // The failed attempt may have landed: look before sending it again.
                    match self.lookup(dist, true).await {
                        Ok(OnIndex::Same) => return Ok(FileStatus::Uploaded),
                        Ok(OnIndex::Other(sha)) => return Err(Self::mismatch(dist, sha)),
                        Ok(OnIndex::Longer) => return Err(Self::longer(dist)),
                        Ok(OnIndex::Absent) => {}
                        Err(e) => tracing::warn!("re-checking the index failed: {e}"),
                    }
                    let req = Request::post(url.clone());
                    if !self
                        .transport
                        .pause_before_retry(&req, attempt, &outcome)
                        .await
                    {
                        return Err(UploadError::GaveUp {
                            filename: dist.file.filename.clone(),
                            attempts: attempt,
                            reason,
                        });
                    }
                    attempt += 1;
                }
                Answer::Rejected { status, reason } => {
                    return Err(match status {
                        401 | 403 => UploadError::Auth { status, reason },
                        405 => UploadError::WrongUrl {
                            url: self.transport.show(&url),
                        },
                        _ => UploadError::Rejected {
                            filename: dist.file.filename.clone(),
                            status,
                            reason,
                        },
                    });
                }
            }
        }
    }
}
