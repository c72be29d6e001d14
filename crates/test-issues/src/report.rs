//! What a run did, as outputs and a step summary: one row per failing (or flaky, or newly
//! passing) test with its issue.

use slipway_issues::Done;
use slipway_issues::render::code_span;
use slipway_runner::Action;

use crate::Request;

/// Rows shown in the step summary at most (the runner keeps 1 MiB of it).
const MAX_ROWS: usize = 500;

fn numbers(list: &[u64]) -> anyhow::Result<String> {
    Ok(serde_json::to_string(list)?)
}

/// Writes the outputs and the step summary.
pub fn write(done: &Done, request: &Request, action: &mut Action) -> anyhow::Result<()> {
    action.output("failed", done.failed.to_string())?;
    action.output("passed", done.passed.to_string())?;
    action.output("opened", numbers(&done.opened)?)?;
    action.output("reopened", numbers(&done.reopened)?)?;
    action.output("commented", numbers(&done.commented)?)?;
    action.output("closed", numbers(&done.closed)?)?;
    let settings = &request.settings;
    let prefix = if done.dry_run { "(dry run) " } else { "" };
    let s = &mut action.summary;
    s.heading(
        3,
        &format!(
            "{prefix}test-issues: {} failed, {} passed ({} flaky) in {}",
            done.failed,
            done.passed,
            done.flaky,
            code_span(&settings.context, 200)
        ),
    );
    let files: Vec<String> = request
        .files
        .iter()
        .map(|f| code_span(&f.display().to_string(), 300))
        .collect();
    s.paragraph(&format!(
        "**Reports ({}):** {}",
        files.len(),
        if files.is_empty() {
            "none found".to_string()
        } else {
            files.join(", ")
        }
    ));
    let rows: Vec<Vec<String>> = done
        .rows
        .iter()
        .take(MAX_ROWS)
        .map(|r| {
            let issue = match &r.issue {
                Some((n, url)) if !url.is_empty() => format!("[#{n}]({url})"),
                Some((n, _)) => format!("#{n}"),
                None => "—".into(),
            };
            vec![
                code_span(&r.test, 300),
                r.outcome.to_string(),
                issue,
                r.action.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        s.paragraph(
            "No failing or flaky test, and no open issue of a passing test: nothing to do.",
        );
    } else {
        s.table(&["test", "outcome", "issue", "action"], &rows);
    }
    if done.rows.len() > MAX_ROWS {
        s.paragraph(&format!(
            "… and {} more rows (see the issues labelled {}).",
            done.rows.len() - MAX_ROWS,
            code_span(&settings.label, 100)
        ));
    }
    let counts = format!(
        "**Issues:** {} opened, {} reopened, {} commented, {} closed (label {}).",
        done.opened.len(),
        done.reopened.len(),
        done.commented.len(),
        done.closed.len(),
        code_span(&settings.label, 100)
    );
    s.paragraph(&counts);
    s.list("Notes", &done.notes)
        .retried(&request.github.retries())
        .list("Warnings", &request.warnings);
    tracing::info!(
        "{prefix}{} failed, {} passed ({} flaky); issues: {} opened, {} reopened, {} commented, {} closed",
        done.failed,
        done.passed,
        done.flaky,
        done.opened.len(),
        done.reopened.len(),
        done.commented.len(),
        done.closed.len()
    );
    Ok(())
}
