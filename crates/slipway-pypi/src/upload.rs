//! One upload attempt: the multipart/form-data body (metadata fields, then `content` streamed
//! from disk with an exact Content-Length), progress lines, what the answer means, and why a file
//! could not be put on the index ([`UploadError`]).

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use http::{HeaderMap, StatusCode};
use slipway_http::retry::{self, Verdict};
use slipway_http::{ByteStream, Credential, HttpError, Request, Source, Transport};
use slipway_runner::progress::Progress;

use crate::dists::LocalError;
use crate::index::IndexError;
use crate::oidc::TrustedPublishingError;
use tokio::io::AsyncReadExt as _;
use url::Url;

/// Everything sent for one file: the form fields in order, and the file as `content`.
#[derive(Debug, Clone)]
pub struct UploadForm {
    /// `(name, value)` pairs, sent in this order before `content`.
    pub fields: Vec<(String, String)>,
    /// The file to stream.
    pub path: PathBuf,
    /// Its name as sent in the `content` part.
    pub filename: String,
    /// Its size in bytes (the Content-Length is computed from it).
    pub size: u64,
    /// A boundary that occurs nowhere in the form (derived from the file's sha256).
    pub boundary: String,
    /// Progress as workflow-log lines (`true`) or a live bar on a terminal (`false`).
    pub in_actions: bool,
}

impl UploadForm {
    /// The bytes before the file: every field part, then the `content` part's header.
    pub fn head(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, value) in &self.fields {
            out.extend_from_slice(
                format!(
                    "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n",
                    self.boundary
                )
                .as_bytes(),
            );
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                self.boundary,
                self.filename.replace('"', "%22")
            )
            .as_bytes(),
        );
        out
    }

    /// The bytes after the file: the closing boundary.
    pub fn tail(&self) -> Vec<u8> {
        format!("\r\n--{}--\r\n", self.boundary).into_bytes()
    }

    /// The `Content-Type` header value.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The exact body length: head + file + tail.
    pub fn content_length(&self) -> u64 {
        self.head().len() as u64 + self.size + self.tail().len() as u64
    }
}

impl Source for UploadForm {
    fn len(&self) -> u64 {
        self.content_length()
    }

    /// The form's head, the file streamed from disk (with progress lines), and its tail.
    fn open(&self) -> BoxFuture<'_, std::io::Result<ByteStream>> {
        Box::pin(async move {
            let file = tokio::fs::File::open(&self.path).await?;
            let head: std::io::Result<Bytes> = Ok(Bytes::from(self.head()));
            let tail: std::io::Result<Bytes> = Ok(Bytes::from(self.tail()));
            let total = self.size;
            let mut progress = Progress::new(
                format!("uploading {}", self.filename),
                self.size,
                self.in_actions,
            );
            let file = tokio_util::io::ReaderStream::with_capacity(file.take(total), 256 * 1024)
                .map(move |chunk: std::io::Result<Bytes>| {
                    if let Ok(c) = &chunk {
                        progress.advance(c.len() as u64);
                        if progress.done() >= total {
                            progress.finish();
                        }
                    }
                    chunk
                });
            let stream = futures_util::stream::iter([head])
                .chain(file)
                .chain(futures_util::stream::iter([tail]));
            Ok(Box::pin(stream) as ByteStream)
        })
    }
}

/// What one attempt's answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 2xx: the index took the file.
    Accepted,
    /// The index says the file exists (PyPI 400 "File already exists", pypiserver 409/400,
    /// devpi 409); whether with the same bytes is for the caller to find out.
    Duplicate {
        /// The status.
        status: u16,
        /// The index's reason.
        reason: String,
    },
    /// A redirect to `location`.
    Redirect {
        /// The status (301, 302, 307, 308).
        status: u16,
        /// The absolute target.
        location: Url,
    },
    /// 5xx or no answer: worth retrying after checking the index.
    Transient {
        /// What happened.
        reason: String,
    },
    /// Any other 4xx: final.
    Rejected {
        /// The status.
        status: u16,
        /// The index's reason.
        reason: String,
    },
}

fn is_duplicate(status: StatusCode, reason: &str) -> bool {
    let lower = reason.to_ascii_lowercase();
    status == StatusCode::CONFLICT
        || (status == StatusCode::BAD_REQUEST
            && (lower.contains("already exist") || lower.contains("file exists")))
}

/// Classifies a response's status, headers and body text. What the one retry policy retries
/// (5xx but 501, 408, 429, a rate limit) is [`Answer::Transient`]; any other 4xx or 5xx is final.
pub fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    location: Option<Url>,
    reason: String,
) -> Answer {
    if status.is_success() {
        Answer::Accepted
    } else if status.is_redirection() {
        match location {
            Some(location) => Answer::Redirect {
                status: status.as_u16(),
                location,
            },
            None => Answer::Rejected {
                status: status.as_u16(),
                reason: format!("redirect without a Location header: {reason}"),
            },
        }
    } else if is_duplicate(status, &reason) {
        Answer::Duplicate {
            status: status.as_u16(),
            reason,
        }
    } else if retry::classify(status.as_u16(), headers, &reason) != Verdict::Fatal {
        Answer::Transient {
            reason: format!("{status}: {reason}"),
        }
    } else {
        Answer::Rejected {
            status: status.as_u16(),
            reason,
        }
    }
}

/// Sends the form once to `url` (no redirect followed, no retry: the caller looks at the index
/// between attempts) and classifies the answer. No usable answer (connection refused, reset, a
/// broken time bound) is [`Answer::Transient`]; a success status whose body never comes is the
/// index's word that it took the file; reading the local file failing is an `Err`.
pub async fn send(
    transport: &Transport,
    url: &Url,
    form: &UploadForm,
    credential: Option<Credential>,
) -> Result<(Answer, Result<slipway_http::Answer, HttpError>), std::io::Error> {
    let req = Request::post(url.clone())
        .credential(credential)
        .source(&form.content_type(), Arc::new(form.clone()))
        .once()
        .body_optional();
    let outcome = transport.fetch(&req).await;
    let answer = match &outcome {
        Ok(a) => {
            let location = a
                .headers
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok());
            classify(a.status, &a.headers, location, a.message())
        }
        Err(HttpError::Source(e)) => return Err(std::io::Error::new(e.kind(), e.to_string())),
        Err(e) => Answer::Transient {
            reason: e.to_string(),
        },
    };
    Ok((answer, outcome))
}

/// Why one file could not be put on the index.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The index has other bytes under this file name.
    #[error(
        "`{filename}` is already on the index with other content: the index has sha256 `{index_sha256}`, the local file has sha256 `{local_sha256}`\nhint: a published file can never be replaced; release a new version (or a new build tag) instead of rebuilding the same one"
    )]
    HashMismatch {
        /// The file.
        filename: String,
        /// What the index has.
        index_sha256: String,
        /// What we have.
        local_sha256: String,
    },
    /// The index serves a file under this name that is longer than the local one.
    #[error(
        "`{filename}` is already on the index with other content: the index's file is longer than the local file ({local_size} bytes; not read further)\nhint: a published file can never be replaced; release a new version (or a new build tag) instead of rebuilding the same one"
    )]
    LongerOnIndex {
        /// The file.
        filename: String,
        /// The local file's size.
        local_size: u64,
    },
    /// The file exists and skipping is off, or its bytes cannot be compared.
    #[error("`{filename}` already exists on the index ({reason})\nhint: {hint}")]
    AlreadyExists {
        /// The file.
        filename: String,
        /// The index's answer.
        reason: String,
        /// What to do.
        hint: String,
    },
    /// 401/403.
    #[error(
        "the index refused the credentials ({status}): {reason}\nhint: check `password` is a valid API token for this project (PyPI tokens start with `pypi-`, user `__token__`), or use trusted publishing"
    )]
    Auth {
        /// The status.
        status: u16,
        /// The index's reason.
        reason: String,
    },
    /// 405.
    #[error(
        "the index answered 405 Method Not Allowed at `{url}`: this is probably not an upload URL\nhint: `repository-url` must be the upload endpoint (PyPI: `https://upload.pypi.org/legacy/`), not the simple index (`…/simple/`)"
    )]
    WrongUrl {
        /// The URL.
        url: String,
    },
    /// Another 4xx, or a 5xx that is not retried (501).
    #[error(
        "the index rejected `{filename}` ({status}): {reason}\nhint: the index's reason above says what is wrong; this answer is final, so fix it and re-run (files already uploaded are skipped)"
    )]
    Rejected {
        /// The file.
        filename: String,
        /// The status.
        status: u16,
        /// The index's reason.
        reason: String,
    },
    /// A redirect that would carry the credentials elsewhere, or too many.
    #[error(
        "the upload URL `{from}` redirects to `{to}`, which is not the same host; credentials are not sent there\nhint: set `repository-url` to the final upload URL"
    )]
    Redirect {
        /// The URL posted to.
        from: String,
        /// The redirect target.
        to: String,
    },
    /// Still failing after every retry.
    #[error(
        "uploading `{filename}` failed {attempts} times; last error: {reason}\nhint: the index may be down; re-run the job later (files already uploaded are skipped)"
    )]
    GaveUp {
        /// The file.
        filename: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        reason: String,
    },
    /// Renewing the trusted-publishing token failed.
    #[error("the upload token was about to expire and a fresh one could not be minted: {0}")]
    Renew(Box<TrustedPublishingError>),
    /// The existing-file check failed.
    #[error(
        "cannot check what the index already has: {0}\nhint: check `index-url` (the simple index, e.g. `https://pypi.org/simple/`)"
    )]
    Index(#[from] IndexError),
    /// A local file beside the dist (its attestation) could not be used.
    #[error(transparent)]
    Local(#[from] LocalError),
    /// Reading the local file failed mid-upload.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_of_each_server_map_to_one_answer() {
        let answer = |s: u16, r: &str| {
            classify(
                StatusCode::from_u16(s).unwrap(),
                &HeaderMap::new(),
                None,
                r.into(),
            )
        };
        let dup = |s: u16, r: &str| matches!(answer(s, r), Answer::Duplicate { .. });
        assert!(dup(
            400,
            "400 File already exists ('x', with blake2_256 hash 'y')"
        ));
        assert!(dup(409, "Conflict"));
        assert!(!dup(400, "Invalid value for classifiers"));
        assert!(matches!(answer(503, ""), Answer::Transient { .. }));
        assert!(matches!(answer(429, ""), Answer::Transient { .. }));
        assert!(matches!(
            answer(501, ""),
            Answer::Rejected { status: 501, .. }
        ));
        assert!(matches!(
            answer(403, ""),
            Answer::Rejected { status: 403, .. }
        ));
    }

    #[test]
    fn form_layout_and_length() {
        let dir = std::env::temp_dir().join(format!("slipway-form-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.whl");
        std::fs::write(&path, b"0123456789").unwrap();
        let form = UploadForm {
            fields: vec![
                ("name".into(), "demo".into()),
                ("classifiers".into(), "A".into()),
            ],
            path,
            filename: "a.whl".into(),
            size: 10,
            boundary: "B".into(),
            in_actions: true,
        };
        let head = String::from_utf8(form.head()).unwrap();
        assert!(
            head.starts_with(
                "--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\ndemo\r\n"
            )
        );
        assert!(
            head.ends_with("filename=\"a.whl\"\r\nContent-Type: application/octet-stream\r\n\r\n")
        );
        assert_eq!(form.content_length(), head.len() as u64 + 10 + 9);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
