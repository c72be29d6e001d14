//! One consistent error report: an `::error` annotation, the message with its causes, the `hint:`
//! lines last, and a non-zero exit.
//!
//! Hints travel inside error messages as lines starting with `hint: ` (library errors write them
//! in their `Display`; binaries add them with [`HintExt::hint`]). The report gathers them from the
//! whole chain and prints them after the causes, once each.

use std::fmt;

use crate::commands::{Annotation, Commands};

/// An error with a hint attached; displays as the error followed by a `hint:` line.
#[derive(Debug)]
pub struct Hinted {
    inner: anyhow::Error,
    hint: String,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\nhint: {}", self.inner, self.hint)
    }
}

impl std::error::Error for Hinted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

/// Attaches a `hint:` (how to fix it) to an error.
pub trait HintExt<T> {
    /// Wraps the error so the report ends with `hint: <hint>`.
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> HintExt<T> for Result<T, E> {
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| {
            Hinted {
                inner: e.into(),
                hint: hint.into(),
            }
            .into()
        })
    }
}

/// The rendered parts of an error: the first line, the causes, the hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The top-level message (may span lines, hints removed).
    pub message: String,
    /// Each cause below it, outermost first, without repeats.
    pub causes: Vec<String>,
    /// The hints, in order, without repeats.
    pub hints: Vec<String>,
}

impl Rendered {
    /// Renders an error chain.
    pub fn of(err: &anyhow::Error) -> Self {
        let mut parts: Vec<String> = Vec::new();
        let mut hints: Vec<String> = Vec::new();
        for cause in err.chain() {
            let full = cause.to_string();
            let mut text = Vec::new();
            for line in full.lines() {
                match line.trim_start().strip_prefix("hint: ") {
                    Some(h) => {
                        if !hints.iter().any(|x| x == h) {
                            hints.push(h.to_string());
                        }
                    }
                    None => text.push(line),
                }
            }
            let text = text.join("\n");
            // A wrapper whose Display includes its source's text is not repeated.
            if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
                parts.push(text);
            }
        }
        let message = if parts.is_empty() {
            "failed".to_string()
        } else {
            parts.remove(0)
        };
        Self {
            message,
            causes: parts,
            hints,
        }
    }

    /// The report as printed: `error: …`, `  caused by: …`, `hint: …`.
    pub fn to_text(&self) -> String {
        let mut out = format!("error: {}", self.message);
        for c in &self.causes {
            out.push_str(&format!("\n  caused by: {c}"));
        }
        for h in &self.hints {
            out.push_str(&format!("\nhint: {h}"));
        }
        out
    }
}

/// Prints the report for `err` (annotation in Actions, plain text locally), redacting secrets,
/// then cutting any line longer than [`crate::quote::MAX_LINE_BYTES`] (after redaction, so a
/// cut can never leave half a secret unmasked).
#[allow(
    clippy::print_stderr,
    reason = "the error report is the runner's log output"
)]
pub fn report(tool: &str, err: &anyhow::Error, commands: &Commands) {
    let rendered = Rendered::of(err);
    let text = commands
        .redact(&rendered.to_text())
        .lines()
        .map(crate::quote::clip_line)
        .collect::<Vec<_>>()
        .join("\n");
    if commands.in_actions() {
        // The annotation carries the whole report; the log line repeats it readably.
        let body = text.strip_prefix("error: ").unwrap_or(&text);
        commands.error(
            body,
            &Annotation {
                title: Some(tool),
                ..Default::default()
            },
        );
    }
    eprintln!("{text}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[derive(Debug, thiserror::Error)]
    #[error("bad version `x`\nhint: use PEP 440")]
    struct Lib;

    #[test]
    fn hints_collected_last_and_once() {
        let err: anyhow::Result<()> = Err(Lib.into());
        let err = err
            .context("reading pyproject.toml")
            .hint("use PEP 440")
            .unwrap_err();
        let r = Rendered::of(&err);
        assert_eq!(r.message, "reading pyproject.toml");
        assert_eq!(r.causes, ["bad version `x`"]);
        assert_eq!(r.hints, ["use PEP 440"]);
        assert_eq!(
            r.to_text(),
            "error: reading pyproject.toml\n  caused by: bad version `x`\nhint: use PEP 440"
        );
    }
}
