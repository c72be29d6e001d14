//! Step outputs: appended to `$GITHUB_OUTPUT` in the runner's heredoc form, or printed locally.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

/// One declared output of an action.
#[derive(Debug, Clone, Copy)]
pub struct OutputSpec {
    /// Output name.
    pub name: &'static str,
    /// One-line description (action.yml and README).
    pub description: &'static str,
}

impl OutputSpec {
    /// Declares an output.
    pub const fn new(name: &'static str, description: &'static str) -> Self {
        Self { name, description }
    }
}

/// The runner's limit on a job's outputs.
pub const MAX_OUTPUTS_BYTES: usize = 1024 * 1024;

/// Where outputs go.
#[derive(Debug)]
pub struct Outputs {
    specs: &'static [OutputSpec],
    file: Option<PathBuf>,
    written: usize,
}

/// A random delimiter that occurs in neither the name nor the value.
fn delimiter(name: &str, value: &str) -> String {
    loop {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            // No entropy source: fall back on the clock, still checked against the content below.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            bytes = nanos.to_le_bytes();
        }
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let delim = format!("ghadelimiter_{hex}");
        if !name.contains(&delim) && !value.contains(&delim) {
            return delim;
        }
    }
}

/// Formats one output in the heredoc form the runner parses: `name<<DELIM\nvalue\nDELIM\n`.
pub fn format_output(name: &str, value: &str) -> String {
    let delim = delimiter(name, value);
    format!("{name}<<{delim}\n{value}\n{delim}\n")
}

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output file could not be appended to.
    #[error("cannot write the output `{name}` to `{path}`: {source}")]
    Io {
        /// Output name.
        name: String,
        /// The GITHUB_OUTPUT path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The outputs would exceed the runner's 1 MB limit.
    #[error(
        "the output `{name}` would take this step's outputs over the runner's 1 MB limit ({size} bytes)"
    )]
    TooLarge {
        /// Output name.
        name: String,
        /// Bytes that would have been written in all.
        size: usize,
    },
}

impl Outputs {
    /// Outputs written to `file` (`GITHUB_OUTPUT`), or to stdout when `None`.
    pub fn new(specs: &'static [OutputSpec], file: Option<PathBuf>) -> Self {
        Self {
            specs,
            file,
            written: 0,
        }
    }

    /// The declared outputs.
    pub fn specs(&self) -> &'static [OutputSpec] {
        self.specs
    }

    /// Sets an output. Panics if `name` is not declared (a programming error caught by tests).
    pub fn set(&mut self, name: &str, value: impl AsRef<str>) -> Result<(), OutputError> {
        assert!(
            self.specs.iter().any(|s| s.name == name),
            "output `{name}` is set but not declared in the tool's OUTPUTS"
        );
        let value = value.as_ref();
        match &self.file {
            Some(path) => {
                let text = format_output(name, value);
                if self.written + text.len() > MAX_OUTPUTS_BYTES {
                    return Err(OutputError::TooLarge {
                        name: name.to_string(),
                        size: self.written + text.len(),
                    });
                }
                let io = |source| OutputError::Io {
                    name: name.to_string(),
                    path: path.clone(),
                    source,
                };
                let mut f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(io)?;
                f.write_all(text.as_bytes()).map_err(io)?;
                self.written += text.len();
            }
            None => {
                let mut out = std::io::stdout().lock();
                let text = if value.contains('\n') {
                    format_output(name, value)
                } else {
                    format!("{name}={value}\n")
                };
                let _ = out.write_all(text.as_bytes());
            }
        }
        Ok(())
    }
}

/// Parses an output file by the runner's rules (`name=value` lines and `name<<DELIM` blocks).
/// Used by tests and by the local pipeline to read what a step wrote.
pub fn parse_output_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() && lines.peek().is_none() {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let heredoc = line.find("<<");
        let equals = line.find('=');
        match (heredoc, equals) {
            (Some(h), e) if e.is_none_or(|e| h < e) => {
                let (name, delim) = (&line[..h], &line[h + 2..]);
                if name.is_empty() || delim.is_empty() {
                    return Err(format!("invalid heredoc header `{line}`"));
                }
                let mut value: Vec<&str> = Vec::new();
                loop {
                    match lines.next() {
                        Some(l) if l == delim => break,
                        Some(l) => value.push(l),
                        None => return Err(format!("no closing delimiter for `{name}`")),
                    }
                }
                out.push((name.to_string(), value.join("\n")));
            }
            (_, Some(e)) => out.push((line[..e].to_string(), line[e + 1..].to_string())),
            _ => return Err(format!("invalid output line `{line}`")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPECS: &[OutputSpec] = &[OutputSpec::new("a", ""), OutputSpec::new("b", "")];

    #[test]
    fn round_trip_through_the_runner_rules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut o = Outputs::new(SPECS, Some(path.clone()));
        o.set("a", "line1\nline2\n\nghadelimiter_x").unwrap();
        o.set("b", "1.0").unwrap();
        let parsed = parse_output_file(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            parsed,
            [
                ("a".into(), "line1\nline2\n\nghadelimiter_x".into()),
                ("b".into(), "1.0".into())
            ]
        );
    }

    #[test]
    fn size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = Outputs::new(SPECS, Some(dir.path().join("out")));
        let err = o
            .set("a", "x".repeat(MAX_OUTPUTS_BYTES))
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 MB"), "{err}");
    }

    #[test]
    #[should_panic(expected = "not declared")]
    fn undeclared_output_panics() {
        Outputs::new(SPECS, None).set("zzz", "1").unwrap();
    }
}
