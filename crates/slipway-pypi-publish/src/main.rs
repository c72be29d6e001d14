//! The `pypi-publish` binary: inputs → [`slipway_pypi::publish`] → outputs and step summary.

use std::process::ExitCode;

use slipway_pypi::PublishError;
use slipway_pypi_publish::{TOOL, log_files, request_from, summary, write_outputs};

fn main() -> ExitCode {
    slipway_runner::run(&TOOL, async |action| {
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
    })
}
