//! The step summary: markdown appended to `$GITHUB_STEP_SUMMARY`, or printed to stderr locally.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// The runner's limit on one step's summary.
pub const MAX_SUMMARY_BYTES: usize = 1024 * 1024;

/// A markdown document built up during a run and written once at the end.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    text: String,
}

/// Escapes text for a markdown table cell (pipes and newlines).
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a heading of the given level.
    pub fn heading(&mut self, level: usize, text: &str) -> &mut Self {
        let _ = writeln!(self.text, "{} {text}\n", "#".repeat(level.clamp(1, 6)));
        self
    }

    /// Adds a paragraph.
    pub fn paragraph(&mut self, text: &str) -> &mut Self {
        let _ = writeln!(self.text, "{text}\n");
        self
    }

    /// Adds `**title:**` and one bullet per item; nothing when there are no items.
    pub fn list<T: std::fmt::Display>(&mut self, title: &str, items: &[T]) -> &mut Self {
        if items.is_empty() {
            return self;
        }
        let _ = writeln!(self.text, "**{title}:**");
        for item in items {
            let _ = writeln!(self.text, "- {item}");
        }
        self.text.push('\n');
        self
    }

    /// Adds the requests that were retried (`**Retried (n):**` and a bullet each), if any.
    pub fn retried<T: std::fmt::Display>(&mut self, retries: &[T]) -> &mut Self {
        self.list(&format!("Retried ({})", retries.len()), retries)
    }

    /// Adds a table; cells are escaped.
    pub fn table<R: AsRef<[String]>>(&mut self, header: &[&str], rows: &[R]) -> &mut Self {
        let _ = writeln!(self.text, "| {} |", header.join(" | "));
        let _ = writeln!(self.text, "|{}", "---|".repeat(header.len()));
        for row in rows {
            let cells: Vec<String> = row.as_ref().iter().map(|c| cell(c)).collect();
            let _ = writeln!(self.text, "| {} |", cells.join(" | "));
        }
        self.text.push('\n');
        self
    }

    /// Adds a fenced code block.
    pub fn code(&mut self, lang: &str, text: &str) -> &mut Self {
        let _ = writeln!(self.text, "```{lang}\n{}\n```\n", text.trim_end());
        self
    }

    /// The markdown so far.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Appends the summary to `file`, or prints it to stderr when `None`. A summary over the
    /// runner's 1 MiB limit is cut at a line boundary with a note.
    pub fn write(&self, file: Option<&PathBuf>) -> std::io::Result<()> {
        let mut text = self.text.clone();
        if text.len() > MAX_SUMMARY_BYTES {
            let note = "\n_(summary cut at the runner's 1 MiB limit)_\n";
            let mut cut = MAX_SUMMARY_BYTES - note.len();
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let cut = text[..cut].rfind('\n').unwrap_or(cut);
            text.truncate(cut);
            text.push_str(note);
        }
        match file {
            Some(path) => {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                f.write_all(text.as_bytes())
            }
            None => std::io::stderr().lock().write_all(text.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_escapes_cells() {
        let mut s = Summary::new();
        s.table(&["a", "b"], &[vec!["x|y".to_string(), "1\n2".to_string()]]);
        assert_eq!(s.as_str(), "| a | b |\n|---|---|\n| x\\|y | 1<br>2 |\n\n");
    }

    #[test]
    fn oversized_summary_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let mut s = Summary::new();
        for _ in 0..30_000 {
            s.paragraph(&"é".repeat(20));
        }
        s.write(Some(&path)).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.len() <= MAX_SUMMARY_BYTES && written.ends_with("limit)_\n"));
    }
}
