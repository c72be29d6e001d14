//! `pypi-publish`: puts the dists of a directory on PyPI, TestPyPI or any index, with an API
//! token or trusted publishing, idempotent by hash.
//!
//! The binary reads the inputs into a [`slipway_pypi::PublishRequest`] ([`request_from`]),
//! calls [`slipway_pypi::publish()`], and writes the report as outputs and a step summary
//! ([`write_outputs`], [`summary`]).

use std::path::PathBuf;

use anyhow::Context as _;
use secrecy::SecretString;
use slipway_pypi::{
    Credentials, FileReport, FileStatus, LocalOptions, OidcEnv, Patience, PublishError,
    PublishReport, PublishRequest, RetryPolicy, TimeBounds, TrustedPublishing,
};
use slipway_runner::progress::human_bytes;
use slipway_runner::summary::cell;
use slipway_runner::{Action, HintExt, InputSpec, OutputSpec, Summary, Tool, env};
use url::Url;

/// The tool's declaration: action.yml, `--help` and the README are generated from it.
pub static TOOL: Tool = Tool {
    name: "pypi-publish",
    icon: "upload-cloud",
    title: "slipway pypi-publish",
    description: "Upload a directory of sdists and wheels to PyPI, TestPyPI or any package index, with trusted publishing or an API token; files already there with the same bytes are skipped, files there with other bytes fail the step.",
    inputs: &[
        InputSpec::string(
            "packages-dir",
            "Directory holding the dists to upload (relative to the workspace).",
        )
        .default("dist")
        .alias("packages_dir"),
        InputSpec::string(
            "repository-url",
            "The index's legacy upload URL (TestPyPI: https://test.pypi.org/legacy/).",
        )
        .default(slipway_pypi::PYPI_UPLOAD_URL)
        .alias("repository_url"),
        InputSpec::string(
            "index-url",
            "The index's simple API, used to find files that are already there; derived for PyPI and TestPyPI (e.g. https://pypi.org/simple/).",
        ),
        InputSpec::string("user", "User for the upload; API tokens use __token__.")
            .default(slipway_pypi::TOKEN_USER),
        InputSpec::secret(
            "password",
            "API token (or password). Leave empty to use trusted publishing.",
        ),
        InputSpec::string(
            "trusted-publishing",
            "auto (when no password is given), always, or never.",
        )
        .default("auto"),
        InputSpec::string(
            "expected-version",
            "Fail before uploading anything unless every dist has this version (e.g. the release's version).",
        ),
        InputSpec::bool(
            "skip-existing",
            true,
            "Skip files the index already has with the same sha256 (a file there with other bytes always fails).",
        )
        .alias("skip_existing"),
        InputSpec::bool(
            "verify-metadata",
            true,
            "Before anything is sent, refuse every dist PyPI would refuse (file names, archive layout, metadata); false sends such dists anyway, with a warning (private indexes with other rules).",
        )
        .alias("verify_metadata"),
        InputSpec::bool(
            "print-hash",
            true,
            "Show each file's sha256 and blake2_256 in the log and the step summary.",
        )
        .alias("print_hash"),
        InputSpec::bool(
            "attestations",
            true,
            "Upload the <dist>.publish.attestation file found beside a dist, if any.",
        ),
        InputSpec::bool(
            "verbose",
            false,
            "Log every request to the index and the upload forms at debug level (no secret is ever logged).",
        ),
        InputSpec::bool(
            "dry-run",
            false,
            "Do everything but upload: read, verify and check the index, and say what would be uploaded.",
        ),
    ],
    outputs: &[
        OutputSpec::new(
            "uploaded",
            "JSON list of the file names uploaded by this run.",
        ),
        OutputSpec::new(
            "skipped",
            "JSON list of the file names skipped because the index already had them with the same sha256.",
        ),
        OutputSpec::new(
            "version",
            "The version of the dists (comma-separated if they differ).",
        ),
    ],
};

/// A URL input, parsed and checked. Credentials written into it (`https://user:pw@host/`) are
/// masked as soon as the value is read (before any error could quote it) and taken out of the
/// URL: they come back as [`Credentials`] for that URL's origin alone, and the URL is shown and
/// used without them.
fn url_input(action: &Action, name: &str) -> anyhow::Result<Option<(Url, Option<Credentials>)>> {
    let inputs = &action.inputs;
    let Some(raw) = inputs.string(name) else {
        return Ok(None);
    };
    let credentials = slipway_pypi::userinfo(&raw).map(|(user, password)| Credentials {
        user,
        password: SecretString::from(password),
    });
    if let Some(credentials) = &credentials {
        credentials.register(&action.commands);
    }
    if let Some((user, password)) = slipway_pypi::typed_userinfo(&raw) {
        // As typed too (percent-encoded or not); a user alone is a token.
        action
            .commands
            .add_mask(if password.is_empty() { user } else { password });
    }
    let url = slipway_pypi::parse_secure_url(&raw)
        .map_err(|e| inputs.invalid(name, &slipway_pypi::display_input_url(&raw), e.to_string()))?;
    Ok(Some((slipway_pypi::without_userinfo(&url), credentials)))
}

/// Reads and validates every input and the OIDC environment; errors name the input and value.
pub fn request_from(action: &Action) -> anyhow::Result<PublishRequest> {
    let i = &action.inputs;
    let workspace = action
        .env
        .path(env::GITHUB_WORKSPACE)
        .unwrap_or_else(|| PathBuf::from("."));
    let packages_dir = workspace.join(i.or_default("packages-dir"));
    let (repository_url, upload_auth) = match url_input(action, "repository-url")? {
        Some(given) => given,
        None => (
            slipway_pypi::parse_secure_url(slipway_pypi::PYPI_UPLOAD_URL)?,
            None,
        ),
    };
    let (index_url, index_auth) = match url_input(action, "index-url")? {
        Some((url, auth)) => (Some(url), auth),
        None => (slipway_pypi::derive_index_url(&repository_url), None),
    };
    let pypi = slipway_pypi::urls::KnownIndex::of(&repository_url).is_some();
    let trusted_publishing = i
        .parsed("trusted-publishing", |v| {
            v.parse::<TrustedPublishing>().map_err(|e| {
                format!("{e}\nhint: `auto` (the default) uses trusted publishing when `password` is empty; `always` requires it; `never` requires `password`")
            })
        })?
        .unwrap_or_default();
    let expected_version = i.string("expected-version");
    if let Some(v) = &expected_version
        && let Err(e) = v.parse::<pep440_rs::Version>()
    {
        return Err(i
                .invalid(
                    "expected-version",
                    v,
                    format!("it is not a PEP 440 version: {e}\nhint: write it as `1.2.3` (a leading `v` is accepted), e.g. the `version` output of fetch-assets"),
                )
                .into());
    }
    let mut password = i.secret("password", &action.commands);
    let mut user = i.or_default("user");
    if let Some(auth) = upload_auth {
        let instead = if password.is_some() {
            Some("`password` is set")
        } else if trusted_publishing == TrustedPublishing::Always {
            Some("`trusted-publishing` is `always`")
        } else {
            None
        };
        match instead {
            Some(why) => action.commands.warning(&format!(
                "`repository-url` carries credentials, but {why}: the credentials in the URL are not used"
            )),
            None => {
                user = auth.user;
                password = Some(auth.password);
            }
        }
    }
    // Read by the runner to turn on debug logging; checked here so a typo is an error.
    i.bool("verbose")?;
    let request_token = action
        .env
        .get(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN)
        .map(|t| {
            action.commands.add_mask(t);
            secrecy::SecretString::from(t.to_string())
        });
    let event = action
        .event()
        .context("reading the event payload")
        .hint("GITHUB_EVENT_PATH must name the event's JSON file")?;
    Ok(PublishRequest {
        packages_dir,
        repository_url,
        index_url,
        index_auth,
        user,
        password,
        trusted_publishing,
        local: LocalOptions {
            verify_metadata: i.bool("verify-metadata")?,
            pypi,
            expected_version,
            attestations: i.bool("attestations")?,
        },
        skip_existing: i.bool("skip-existing")?,
        dry_run: i.bool("dry-run")?,
        oidc: OidcEnv {
            request_url: action
                .env
                .get(env::ACTIONS_ID_TOKEN_REQUEST_URL)
                .map(str::to_string),
            request_token,
            event_name: action.context.event_name.clone(),
            event,
        },
        patience: Patience {
            retry: RetryPolicy::from_env(action.inputs.env()),
            bounds: TimeBounds::from_env(action.inputs.env()).map_err(anyhow::Error::msg)?,
        },
    })
}

/// Writes the `uploaded`, `skipped` and `version` outputs.
pub fn write_outputs(action: &mut Action, report: &PublishReport) -> anyhow::Result<()> {
    let uploaded = serde_json::to_string(&report.names(FileStatus::Uploaded))?;
    let skipped = serde_json::to_string(&report.names(FileStatus::Skipped))?;
    action.output("uploaded", uploaded)?;
    action.output("skipped", skipped)?;
    action.output("version", &report.version)?;
    Ok(())
}

/// Adds the report's table to the step summary: file, size, hashes (with `print-hash`),
/// status and project link. `failed` names a file that stopped the run.
pub fn summary(
    summary: &mut Summary,
    files: &[FileReport],
    print_hash: bool,
    dry_run: bool,
    failed: Option<&str>,
) {
    let title = if dry_run {
        "pypi-publish (dry run)"
    } else {
        "pypi-publish"
    };
    summary.heading(2, title);
    if files.is_empty() && failed.is_none() {
        summary.paragraph("No files were handled.");
        return;
    }
    let mut header = vec!["File", "Size"];
    if print_hash {
        header.extend(["sha256", "blake2_256"]);
    }
    header.extend(["Status", "Project"]);
    let mut rows: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            let mut row = vec![format!("`{}`", f.filename), human_bytes(f.size)];
            if print_hash {
                row.push(format!("`{}`", f.sha256));
                row.push(format!("`{}`", f.blake2_256));
            }
            row.push(f.status.as_str().to_string());
            row.push(format!(
                "[{} {}]({})",
                cell(&f.name),
                cell(&f.version),
                f.project_url
            ));
            row
        })
        .collect();
    if let Some(name) = failed {
        let mut row = vec![format!("`{name}`"), String::new()];
        if print_hash {
            row.extend([String::new(), String::new()]);
        }
        row.extend(["**failed**".to_string(), String::new()]);
        rows.push(row);
    }
    summary.table(&header, &rows);
}

/// Logs one line per file (with hashes when asked), for the job log.
pub fn log_files(files: &[FileReport], print_hash: bool) {
    for f in files {
        if print_hash {
            tracing::info!(
                "{} {} ({}): sha256 {} blake2_256 {}",
                f.status.as_str(),
                f.filename,
                human_bytes(f.size),
                f.sha256,
                f.blake2_256
            );
        } else {
            tracing::info!(
                "{} {} ({})",
                f.status.as_str(),
                f.filename,
                human_bytes(f.size)
            );
        }
    }
}

/// The whole tool: inputs → [`slipway_pypi::publish()`] → outputs and step summary; on a failed
/// upload the summary still lists what is already on the index.
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = request_from(action)?;
    let print_hash = action.inputs.bool("print-hash")?;
    match slipway_pypi::publish(&request, &action.commands).await {
        Ok(report) => {
            log_files(&report.files, print_hash);
            summary(
                &mut action.summary,
                &report.files,
                print_hash,
                request.dry_run,
                None,
            );
            write_outputs(action, &report)
        }
        Err(PublishError::Upload {
            filename,
            done,
            source,
        }) => {
            log_files(&done, print_hash);
            summary(
                &mut action.summary,
                &done,
                print_hash,
                request.dry_run,
                Some(&filename),
            );
            Err(PublishError::Upload {
                filename,
                done,
                source,
            }
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::TOOL;

    /// Every input `pypa/gh-action-pypi-publish` documents (its action.yml, deprecated spellings
    /// included), so a workflow switching to this action gets no "unexpected input" warning.
    const PYPA_INPUTS: &[&str] = &[
        "user",
        "password",
        "repository-url",
        "repository_url",
        "packages-dir",
        "packages_dir",
        "verify-metadata",
        "verify_metadata",
        "skip-existing",
        "skip_existing",
        "verbose",
        "print-hash",
        "print_hash",
        "attestations",
    ];

    #[test]
    fn every_input_of_the_pypa_action_is_declared() {
        for name in PYPA_INPUTS {
            assert!(
                TOOL.inputs
                    .iter()
                    .any(|i| i.name == *name || i.alias == Some(name)),
                "`{name}` is not declared"
            );
            let runs = slipway_runner::docs::Runs {
                image: "docker://x".into(),
                entrypoint: "/x".into(),
                args: vec![],
                env: vec![],
            };
            assert!(
                TOOL.action_yml(&runs).contains(&format!("\n  {name}:\n")),
                "`{name}` is not in action.yml"
            );
        }
    }
}
