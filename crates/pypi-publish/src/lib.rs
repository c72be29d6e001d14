//! `pypi-publish`: puts the dists of a directory on PyPI, TestPyPI or any index, with an API
//! token or trusted publishing, idempotent by hash.
//!
//! The same three steps as every slipway action: [`request`] turns the inputs into a typed
//! request, the work is [`slipway_pypi::publish()`], and [`report`] writes the outputs, the step
//! summary and the log lines (on a failed upload too: what is already on the index).

pub mod report;
pub mod request;

use slipway_pypi::PublishError;
use slipway_runner::{Action, InputSpec, OutputSpec, Tool};

pub use request::Request;

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
        .default(slipway_dist::DIST_DIR)
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
        InputSpec::string(
            "attestations",
            "With trusted publishing, sign each dist (PEP 740: Sigstore, the workflow's identity), write `<dist>.publish.attestation` beside it and upload it; an existing one for the same bytes and workflow is reused. `false`: neither sign nor send attestation files; `always`: also fail a publish that cannot sign (an API token).",
        )
        .default("true"),
        InputSpec::string(
            "fulcio-url",
            "The Sigstore certificate authority (Fulcio) that certifies the signing key.",
        )
        .default(slipway_pypi::attest::PUBLIC_FULCIO),
        InputSpec::string(
            "rekor-url",
            "The Sigstore transparency log (Rekor) the signatures are logged in.",
        )
        .default(slipway_pypi::attest::PUBLIC_REKOR),
        slipway_runner::max_parallel_input(
            "How many files upload at once (1 to 64). The first file of each release goes alone: it creates the release on the index and proves the credentials; a failure lets the running uploads finish and starts no new one.",
        ),
        InputSpec::string(
            "promote-from",
            "Promote from a staging index: its simple API (e.g. https://test.pypi.org/simple/). Before anything is uploaded, every dist must be there with the same sha256; otherwise nothing is uploaded.",
        ),
        InputSpec::string(
            "verify-uploaded",
            "After uploading (or skipping), read every file back from `index-url` and check its sha256, waiting up to SLIPWAY_VERIFY_WAIT seconds (default 120) for the index's pages to show it. auto: on for PyPI and TestPyPI; true: on for any index; false: off.",
        )
        .default("auto"),
        InputSpec::bool(
            "require-protected-environment",
            false,
            "Fail unless the job's deployment environment (the OIDC token's `environment` claim) has required reviewers, a wait timer or a custom protection rule; false only warns. Needs `id-token: write` and `token`.",
        ),
        slipway_github::token_input(
            "GitHub token for the gate check of the job's environment (`actions: read` on private repositories); empty skips the check.",
        ),
        slipway_github::REPOSITORY_INPUT,
        slipway_github::API_URL_INPUT,
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
            "attestations",
            "JSON list of the attestations sent: file, attestation (its path), log-index (Rekor), reused.",
        ),
        OutputSpec::new(
            "verified",
            "JSON list of the files read back from the index after publishing: file, sha256, url (empty when verify-uploaded is off).",
        ),
        OutputSpec::new(
            "version",
            "The version of the dists (comma-separated if they differ).",
        ),
    ],
};

/// The whole tool: inputs → the gate check → [`slipway_pypi::publish()`] → outputs and step
/// summary; on a failed upload the summary still lists what is already on the index, and on a
/// failed read-back what was uploaded.
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let Request {
        publish: request,
        print_hash,
        gate,
    } = Request::from_action(action)?;
    let gate_line = slipway_pypi::gate::check(&gate, &request, &action.commands).await?;
    let result = slipway_pypi::publish(&request, &action.commands).await;
    let (report, error) = match result {
        Ok(report) => (report, None),
        Err(PublishError::Verify { report, error }) => (*report, Some(error)),
        Err(PublishError::Upload {
            filename,
            done,
            source,
        }) => {
            report::log_files(&done, print_hash);
            report::summary(
                &mut action.summary,
                &done,
                print_hash,
                request.dry_run,
                Some(&filename),
            );
            return Err(PublishError::Upload {
                filename,
                done,
                source,
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    report::log_files(&report.files, print_hash);
    report::summary(
        &mut action.summary,
        &report.files,
        print_hash,
        request.dry_run,
        None,
    );
    report::promotion(
        &mut action.summary,
        request.promote_from.as_ref(),
        &report.promoted,
    );
    report::verified(&mut action.summary, &report.verified, error.as_ref());
    report::gate(&mut action.summary, gate_line.as_deref());
    report::attestations(&mut action.summary, &report.attestations);
    report::write_outputs(action, &report)?;
    match error {
        Some(e) => Err(e.into()),
        None => Ok(()),
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
