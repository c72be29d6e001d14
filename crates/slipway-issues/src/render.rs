//! Issue titles, bodies and comments. Everything that comes from a report or a run (test
//! names, messages, tracebacks, the context) is shown inside code spans or fenced code blocks,
//! where GitHub renders no markdown, no HTML, no mentions and no links; each fence is longer
//! than any backtick run inside it. Every text stays under GitHub's 65,536-character limit.

use slipway_github::MAX_BODY_CHARS;
use slipway_junit::{Failure, Outcome, TestResult};

use crate::marker::{Key, RunMark};
use crate::{RunContext, Settings};

/// Room left under [`MAX_BODY_CHARS`] for what is not the traceback (markers, links, notes).
const BUDGET: usize = MAX_BODY_CHARS - 2_000;
/// A failure message is shown up to this many characters (its start).
const MESSAGE_CHARS: usize = 16_000;
/// A title is cut to this many characters.
const TITLE_CHARS: usize = 200;

/// The longest run of backticks in `text`.
fn longest_backticks(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// `text` as one inline code span: line breaks and control characters become spaces, the
/// fence is longer than any backtick run inside, cut to `max` characters.
pub fn code_span(text: &str, max: usize) -> String {
    let mut flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        flat = flat.chars().take(max).collect::<String>() + "…";
    }
    if flat.trim().is_empty() {
        return "(empty)".into();
    }
    let fence = "`".repeat(longest_backticks(&flat) + 1);
    // A span that starts or ends with a backtick needs a space inside its fence.
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// `text` as a fenced code block (`text` info string), the fence longer than any backtick run.
pub fn code_block(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let fence = "`".repeat((longest_backticks(&clean) + 1).max(3));
    format!("{fence}text\n{}\n{fence}", clean.trim_end_matches('\n'))
}

/// The first `max` characters of `text`, with a note of how much was cut.
fn head(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}\n… ({} more characters cut)", n - max)
}

/// The last `max` characters of `text` (where a traceback names the failing line), with a
/// note of how much was cut.
fn tail(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_string();
    }
    let kept: String = text.chars().skip(n - max).collect();
    format!("… ({} earlier characters cut)\n{kept}", n - max)
}

/// Plain-text title: no control characters, cut to a readable length.
pub fn title(prefix: &str, id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cut: String = clean.chars().take(TITLE_CHARS).collect();
    let more = if clean.chars().count() > TITLE_CHARS {
        "…"
    } else {
        ""
    };
    format!("{prefix}{cut}{more}")
}

impl RunContext {
    /// "run 123 (attempt 2) at commit abc1234 (job `tests`)", with links where known.
    pub fn where_line(&self) -> String {
        let run = match (&self.run_url(), &self.run_id) {
            (Some(url), Some(id)) => format!("[run {id} (attempt {})]({url})", self.run_attempt),
            _ => "a local run".to_string(),
        };
        let commit = match (&self.commit_url(), &self.sha) {
            (Some(url), Some(sha)) => {
                let short: String = sha.chars().take(7).collect();
                format!(" at commit [`{short}`]({url})")
            }
            _ => String::new(),
        };
        let job = self
            .job
            .as_deref()
            .map(|j| format!(", job {}", code_span(j, 100)))
            .unwrap_or_default();
        format!("{run}{commit}{job}")
    }
}

/// The failure's message and traceback, fitted into `budget` characters.
fn failure_text(failure: &Failure, budget: usize) -> String {
    let kind = failure.kind.as_str();
    let error_type = failure
        .error_type
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(|t| format!(" {}", code_span(t, 200)))
        .unwrap_or_default();
    let message = if failure.message.trim().is_empty() {
        String::new()
    } else {
        format!("\n\n{}", code_block(&head(&failure.message, MESSAGE_CHARS)))
    };
    let intro = format!("**{kind}**{error_type}{message}");
    let room = budget.saturating_sub(intro.chars().count() + 200);
    let details = failure.details.trim_matches('\n');
    if details.trim().is_empty() || room < 200 {
        return intro;
    }
    format!(
        "{intro}\n\n<details><summary>Traceback</summary>\n\n{}\n\n</details>",
        code_block(&tail(details, room))
    )
}

fn outcome_line(test: &TestResult) -> String {
    let attempts = if test.attempts > 1 {
        format!(" ({} attempts)", test.attempts)
    } else {
        String::new()
    };
    let report = code_span(&test.file.display().to_string(), 300);
    format!("{attempts} — report {report}")
}

/// The body of a new issue for a failing (or flaky) test.
pub fn issue_body(settings: &Settings, key: &Key, test: &TestResult, mark: &RunMark) -> String {
    let what = match &test.outcome {
        Outcome::Flaky(_) => "failed, then passed on a rerun (flaky)",
        _ => "failed",
    };
    let head = format!(
        "{}\n{}\nThe test {} {what} in context {}, {}{}.\n\n",
        key.marker(),
        mark.marker(),
        code_span(&test.id.to_string(), 2_000),
        code_span(&settings.context, 300),
        settings.run.where_line(),
        outcome_line(test),
    );
    let foot = format!(
        "\n\n---\nOpened by slipway test-issues. It comments here once per run attempt while the test fails, reopens this issue if the test fails again after it was closed{}.",
        if settings.close_on_pass {
            ", and closes it when the test passes"
        } else {
            ""
        }
    );
    let budget = BUDGET.saturating_sub(head.chars().count() + foot.chars().count());
    format!("{head}{}{foot}", failures_text(&test.outcome, budget))
}

fn failures_text(outcome: &Outcome, budget: usize) -> String {
    match outcome {
        Outcome::Failed(f) => failure_text(f, budget),
        Outcome::Flaky(fs) if fs.is_empty() => {
            "The report does not keep the failed attempts' messages (pytest-rerunfailures leaves them empty).".into()
        }
        Outcome::Flaky(fs) => {
            let each = budget / fs.len().min(3);
            fs.iter()
                .take(3)
                .map(|f| failure_text(f, each))
                .collect::<Vec<_>>()
                .join("\n\n")
        }
        Outcome::Passed | Outcome::Skipped => String::new(),
    }
}

/// A comment for a test that fails again (`reopened`: after its issue was closed).
pub fn failed_comment(
    settings: &Settings,
    test: &TestResult,
    mark: &RunMark,
    reopened: bool,
) -> String {
    let verb = if reopened {
        "Failing again (reopened)"
    } else {
        "Still failing"
    };
    let head = format!(
        "{}\n{verb} in {}{}.\n\n",
        mark.marker(),
        settings.run.where_line(),
        outcome_line(test)
    );
    let budget = BUDGET.saturating_sub(head.chars().count());
    format!("{head}{}", failures_text(&test.outcome, budget))
}

/// A comment for a test that failed, then passed on a rerun.
pub fn flaky_comment(settings: &Settings, test: &TestResult, mark: &RunMark) -> String {
    let head = format!(
        "{}\nFlaky in {}: failed, then passed on a rerun{}. Labelled {}.\n\n",
        mark.marker(),
        settings.run.where_line(),
        outcome_line(test),
        code_span(&settings.flaky_label, 100)
    );
    let budget = BUDGET.saturating_sub(head.chars().count());
    format!("{head}{}", failures_text(&test.outcome, budget))
}

/// A comment for a test that passes now.
pub fn passed_comment(settings: &Settings, mark: &RunMark) -> String {
    let close = if settings.close_on_pass {
        " Closing."
    } else {
        " (`close-on-pass: false`: left open.)"
    };
    format!(
        "{}\nPassed in {}.{close}",
        mark.marker(),
        settings.run.where_line()
    )
}

/// A comment on an issue closed as a duplicate of `original`.
pub fn duplicate_comment(mark: &RunMark, original: u64) -> String {
    format!(
        "{}\nDuplicate of #{original} (two runs opened an issue for this test at once); closing this one.",
        mark.marker()
    )
}

/// The summary issue's body: every failing test of the run, as many as fit.
/// `mark`: the run mark of the run that opens it (an update is marked by its comment).
pub fn summary_body(
    settings: &Settings,
    key: &Key,
    failing: &[&TestResult],
    mark: Option<&RunMark>,
) -> String {
    let mark = mark
        .map(|m| format!("{}\n", m.marker()))
        .unwrap_or_default();
    let head = format!(
        "{}\n{mark}{} tests failed in context {}, {}: more than `max-issues` ({}), so they are listed here instead of one issue each. This issue is updated by the next run with that many failures{}.\n\n",
        key.marker(),
        failing.len(),
        code_span(&settings.context, 300),
        settings.run.where_line(),
        settings.max_issues,
        if settings.close_on_pass {
            ", and closed when a run has fewer"
        } else {
            ""
        },
    );
    let mut body = head;
    for (i, t) in failing.iter().enumerate() {
        let message = match &t.outcome {
            Outcome::Failed(f) => {
                let first = f
                    .message
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .or_else(|| f.details.lines().find(|l| !l.trim().is_empty()))
                    .unwrap_or("");
                if first.is_empty() {
                    String::new()
                } else {
                    format!(": {}", code_span(first, 300))
                }
            }
            _ => String::new(),
        };
        let line = format!("- {}{message}\n", code_span(&t.id.to_string(), 500));
        if body.chars().count() + line.chars().count() > BUDGET {
            body.push_str(&format!(
                "\n… and {} more (see the run's test report).\n",
                failing.len() - i
            ));
            break;
        }
        body.push_str(&line);
    }
    body
}

/// A comment on the summary issue for this run.
pub fn summary_comment(settings: &Settings, mark: &RunMark, failing: usize) -> String {
    format!(
        "{}\n{failing} tests failed in {} (more than `max-issues`, {}); the list above is this run's.",
        mark.marker(),
        settings.run.where_line(),
        settings.max_issues
    )
}

/// A comment closing the summary issue: the run had `failing` failures, at most the cap.
pub fn summary_over_comment(settings: &Settings, mark: &RunMark, failing: usize) -> String {
    format!(
        "{}\n{failing} tests failed in {} (at most `max-issues`, {}): each has its own issue now.",
        mark.marker(),
        settings.run.where_line(),
        settings.max_issues
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_blocks_cannot_be_broken_out_of() {
        assert_eq!(code_span("a`b", 10), "``a`b``");
        assert_eq!(code_span("`x`", 10), "`` `x` ``");
        assert_eq!(code_span("a\nb", 10), "`a b`");
        assert_eq!(code_span("", 10), "(empty)");
        let block = code_block("x\n````\ny");
        assert!(block.starts_with("`````text\n") && block.ends_with("\n`````"));
        assert!(code_block("plain").starts_with("```text\n"));
    }

    #[test]
    fn cuts_say_how_much() {
        assert_eq!(head("abcdef", 3), "abc\n… (3 more characters cut)");
        assert_eq!(tail("abcdef", 2), "… (4 earlier characters cut)\nef");
        assert_eq!(title("T: ", "a\nb"), "T: a b");
    }
}
