//! One problem found in a dist before anything is sent: which rule, what is wrong, how to fix it.

use std::fmt;

/// How bad a finding is: an error stops the publish before any request, a warning is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The index would refuse the file (or the file is broken): nothing is uploaded.
    Error,
    /// Worth saying, not worth stopping for.
    Warning,
}

/// A problem with one dist, found locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// A short rule name, shown in brackets (`sdist-name`, `classifier`…).
    pub rule: &'static str,
    /// What is wrong, with values in backticks.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Finding {
    /// An error finding.
    pub fn error(rule: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            rule,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// A warning finding.
    pub fn warning(
        rule: &'static str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(rule, message, hint)
        }
    }

    /// True for an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Finding {
    /// `[rule] message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.message)
    }
}
