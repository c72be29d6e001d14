//! Workflow commands (`::error::`, `::add-mask::`, …) with the runner's escaping.
//!
//! Inside Actions they go to stdout, where the runner reads them. Locally they are rendered as
//! plain `error: …` / `warning: …` lines on stderr, and masks are remembered and applied to what
//! this process prints through [`Commands`].

use std::io::Write;

use crate::secrets::Secrets;

/// Escapes a command's message: `%` → `%25`, `\r` → `%0D`, `\n` → `%0A`.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property: like [`escape_data`], plus `:` → `%3A` and `,` → `%2C`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Formats one workflow command line (without the trailing newline).
pub fn format_command(name: &str, properties: &[(&str, &str)], message: &str) -> String {
    let props: Vec<String> = properties
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", escape_property(v)))
        .collect();
    if props.is_empty() {
        format!("::{name}::{}", escape_data(message))
    } else {
        format!("::{name} {}::{}", props.join(","), escape_data(message))
    }
}

/// Annotation properties: where a message points and its title.
#[derive(Debug, Clone, Default)]
pub struct Annotation<'a> {
    /// Title shown above the message.
    pub title: Option<&'a str>,
    /// File (relative to the workspace).
    pub file: Option<&'a str>,
    /// 1-based line in `file`.
    pub line: Option<usize>,
}

/// Emits workflow commands, or their local equivalents; cheap to clone.
#[derive(Debug, Clone)]
pub struct Commands {
    in_actions: bool,
    secrets: Secrets,
}

impl Commands {
    /// Commands for a run inside Actions (`true`) or on a terminal (`false`).
    pub fn new(in_actions: bool) -> Self {
        Self {
            in_actions,
            secrets: Secrets::new(),
        }
    }

    /// Whether workflow commands go to the runner.
    pub fn in_actions(&self) -> bool {
        self.in_actions
    }

    fn emit(&self, line: &str) {
        let line = self.redact(line);
        if self.in_actions {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        } else {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }

    /// Replaces every masked value in `text` (in each of its forms) with `***`, as the runner
    /// does for logs.
    pub fn redact(&self, text: &str) -> String {
        self.secrets.redact(text)
    }

    /// The secrets list these commands mask; the HTTP transport shares it, so whatever a server
    /// echoes is redacted by the same layer.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Registers a secret: `::add-mask::` inside Actions (for each form it can take: itself,
    /// JSON-escaped, percent-encoded); remembered for [`Commands::redact`] always.
    pub fn add_mask(&self, secret: &str) {
        let new = self.secrets.add(secret);
        self.announce(&new);
    }

    /// Registers HTTP Basic credentials: the password and the base64 forms of `user:password`.
    pub fn add_basic_mask(&self, user: &str, password: &str) {
        let new = self.secrets.add_basic(user, password);
        self.announce(&new);
    }

    fn announce(&self, forms: &[String]) {
        if self.in_actions && !forms.is_empty() {
            // Written raw: masking the mask command itself would defeat it.
            let mut out = std::io::stdout().lock();
            for form in forms {
                let _ = writeln!(out, "{}", format_command("add-mask", &[], form));
            }
            let _ = out.flush();
        }
    }

    fn annotate(&self, level: &str, message: &str, at: &Annotation<'_>) {
        if self.in_actions {
            let line = at.line.map(|l| l.to_string()).unwrap_or_default();
            let props = [
                ("title", at.title.unwrap_or("")),
                ("file", at.file.unwrap_or("")),
                ("line", line.as_str()),
            ];
            self.emit(&format_command(level, &props, message));
        } else {
            let place = match (at.file, at.line) {
                (Some(f), Some(l)) => format!("{f}:{l}: "),
                (Some(f), None) => format!("{f}: "),
                _ => String::new(),
            };
            self.emit(&format!("{level}: {place}{message}"));
        }
    }

    /// An error annotation.
    pub fn error(&self, message: &str, at: &Annotation<'_>) {
        self.annotate("error", message, at);
    }

    /// A warning annotation.
    pub fn warning(&self, message: &str) {
        self.annotate("warning", message, &Annotation::default());
    }

    /// A notice annotation.
    pub fn notice(&self, message: &str) {
        self.annotate("notice", message, &Annotation::default());
    }

    /// Starts a collapsible log group (a header line locally).
    pub fn group(&self, title: &str) {
        if self.in_actions {
            self.emit(&format_command("group", &[], title));
        } else {
            self.emit(&format!("── {title}"));
        }
    }

    /// Ends the current log group.
    pub fn end_group(&self) {
        if self.in_actions {
            self.emit("::endgroup::");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_the_runner() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(
            format_command(
                "error",
                &[("file", "pyproject.toml"), ("line", "3"), ("title", "")],
                "bad: x\ny"
            ),
            "::error file=pyproject.toml,line=3::bad: x%0Ay"
        );
        assert_eq!(format_command("endgroup", &[], ""), "::endgroup::");
    }

    #[test]
    fn redaction_longest_first() {
        let c = Commands::new(false);
        c.add_mask("abcd");
        c.add_mask("abcdefgh");
        assert_eq!(c.redact("x abcdefgh y abcd"), "x *** y ***");
    }
}
