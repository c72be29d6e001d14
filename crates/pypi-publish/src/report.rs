//! What a run did, as outputs, a step summary and one log line per file.

use slipway_pypi::VerifyError;
use slipway_pypi::attest::Attested;
use slipway_pypi::{FileReport, FileStatus, PromoteFrom, Proof, PublishReport, Verified};
use slipway_runner::progress::human_bytes;
use slipway_runner::summary::cell;
use slipway_runner::{Action, Summary};

/// Writes the `uploaded`, `skipped`, `verified`, `attestations` and `version` outputs.
pub fn write_outputs(action: &mut Action, report: &PublishReport) -> anyhow::Result<()> {
    let uploaded = serde_json::to_string(&report.names(FileStatus::Uploaded))?;
    let skipped = serde_json::to_string(&report.names(FileStatus::Skipped))?;
    action.output("uploaded", uploaded)?;
    action.output("skipped", skipped)?;
    action.output("version", &report.version)?;
    let verified: Vec<serde_json::Value> = report
        .verified
        .iter()
        .map(|v| serde_json::json!({ "file": v.filename, "sha256": v.sha256, "url": v.url }))
        .collect();
    action.output("verified", serde_json::Value::from(verified).to_string())?;
    let attestations: Vec<serde_json::Value> = report
        .attestations
        .iter()
        .map(|a| {
            serde_json::json!({
                "file": a.filename,
                "attestation": a.path.display().to_string(),
                "log-index": a.log_index,
                "reused": a.reused,
            })
        })
        .collect();
    action.output(
        "attestations",
        serde_json::Value::from(attestations).to_string(),
    )?;
    Ok(())
}

/// Adds the attestations to the step summary: per file, the Rekor entry (linked), the signing
/// identity, and whether it was signed now or reused.
pub fn attestations(summary: &mut Summary, attested: &[Attested]) {
    if attested.is_empty() {
        return;
    }
    summary.heading(3, "Attestations (PEP 740)");
    let rows: Vec<Vec<String>> = attested
        .iter()
        .map(|a| {
            let entry = match (a.log_index, &a.link) {
                (Some(i), Some(link)) => format!("[{i}]({link})"),
                (Some(i), None) => i.to_string(),
                _ => "—".to_string(),
            };
            vec![
                format!("`{}`", a.filename),
                entry,
                cell(&a.identity),
                if a.reused { "reused" } else { "signed" }.to_string(),
            ]
        })
        .collect();
    summary.table(
        &["File", "Rekor log index", "Signed by", "Attestation"],
        &rows,
    );
}

/// Adds the promotion's proof to the step summary: each file, its sha256 and where the staging
/// index serves it.
pub fn promotion(summary: &mut Summary, from: Option<&PromoteFrom>, proofs: &[Proof]) {
    let Some(from) = from else { return };
    summary.heading(3, "Promotion");
    summary.paragraph(&format!(
        "Every file is on the staging index `{}` with the same sha256:",
        cell(&slipway_pypi::display_input_url(from.index.as_str()))
    ));
    let rows: Vec<Vec<String>> = proofs
        .iter()
        .map(|p| {
            vec![
                format!("`{}`", p.filename),
                format!("`{}`", p.sha256),
                cell(&p.found_at),
            ]
        })
        .collect();
    summary.table(&["File", "sha256", "Found on staging"], &rows);
}

/// Adds the read-back to the step summary: each file as the index serves it, or the failure.
pub fn verified(summary: &mut Summary, verified: &[Verified], failed: Option<&VerifyError>) {
    if verified.is_empty() && failed.is_none() {
        return;
    }
    summary.heading(3, "Read back from the index");
    if !verified.is_empty() {
        let rows: Vec<Vec<String>> = verified
            .iter()
            .map(|v| {
                vec![
                    format!("`{}`", v.filename),
                    format!("`{}`", v.sha256),
                    cell(&v.url),
                ]
            })
            .collect();
        summary.table(&["File", "sha256", "Served at"], &rows);
    }
    if let Some(e) = failed {
        let first = e.to_string();
        summary.paragraph(&format!(
            "**Read-back failed:** {}",
            cell(first.lines().next().unwrap_or_default())
        ));
    }
}

/// Adds the gate check's verdict on the job's deployment environment.
pub fn gate(summary: &mut Summary, line: Option<&str>) {
    if let Some(line) = line {
        summary.paragraph(&format!("**Deployment environment:** {line}"));
    }
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
