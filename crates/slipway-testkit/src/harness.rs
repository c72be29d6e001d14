//! Runs a built binary the way the GitHub runner runs a container action, and reads back what
//! it wrote: outputs (parsed by the runner's rules), the step summary, annotations.
//!
//! ```no_run
//! use slipway_testkit::harness::Harness;
//! let h = Harness::new("target/debug/version-bump")
//!     .input("dry-run", "true")
//!     .event("push", serde_json::json!({ "before": "0".repeat(40) }));
//! h.write_file("pyproject.toml", "[project]\nname = \"demo\"\nversion = \"1.0\"\n");
//! let run = h.run().assert_success();
//! assert_eq!(run.output("version"), "1.0");
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use slipway_runner::env::{self as vars, input_var};

use crate::github::FakeGitHub;

/// The commit the harness reports as `GITHUB_SHA` unless told otherwise.
pub const DEFAULT_SHA: &str = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c";

/// A binary plus the environment and workspace of one action step; see the [module docs](self).
#[derive(Debug)]
pub struct Harness {
    bin: PathBuf,
    args: Vec<OsString>,
    env: BTreeMap<String, String>,
    unset: Vec<String>,
    root: tempfile::TempDir,
    /// The workspace of an earlier step of the same job, when this step shares it.
    workspace: Option<PathBuf>,
    timeout: Duration,
}

impl Harness {
    /// A step running `bin` in a fresh temporary workspace, with the runner's variables set
    /// (`GITHUB_ACTIONS=true`, `GITHUB_OUTPUT`, `GITHUB_WORKSPACE`, `GITHUB_SHA`, …).
    pub fn new(bin: impl AsRef<Path>) -> Self {
        let root = tempfile::Builder::new()
            .prefix("slipway-harness-")
            .tempdir()
            .expect("create the harness directory");
        for d in ["workspace", "runner_temp", "file_commands", "workflow"] {
            std::fs::create_dir_all(root.path().join(d)).expect("create harness directories");
        }
        let p = |d: &str| root.path().join(d).display().to_string();
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("GITHUB_ACTIONS", "true".to_string()),
            ("CI", "true".to_string()),
            (vars::GITHUB_OUTPUT, p("file_commands/output")),
            (vars::GITHUB_STEP_SUMMARY, p("file_commands/step_summary")),
            (vars::GITHUB_WORKSPACE, p("workspace")),
            (vars::RUNNER_TEMP, p("runner_temp")),
            (vars::GITHUB_SHA, DEFAULT_SHA.to_string()),
            (vars::GITHUB_REF, "refs/heads/main".to_string()),
            (vars::GITHUB_REF_NAME, "main".to_string()),
            (vars::GITHUB_RUN_ID, "1000001".to_string()),
            (vars::GITHUB_RUN_ATTEMPT, "1".to_string()),
            (vars::GITHUB_REPOSITORY, "octo/widgets".to_string()),
            (vars::GITHUB_SERVER_URL, "https://github.com".to_string()),
            (vars::GITHUB_API_URL, "https://api.github.com".to_string()),
            ("RUNNER_OS", "Linux".to_string()),
        ] {
            env.insert(k.to_string(), v);
        }
        Self {
            bin: bin.as_ref().to_path_buf(),
            args: Vec::new(),
            env,
            unset: Vec::new(),
            root,
            workspace: None,
            timeout: Duration::from_secs(300),
        }
    }

    /// The next step of the same job: it works in `earlier`'s workspace (as the steps of one
    /// job share `GITHUB_WORKSPACE`), with its own output, summary and event files.
    pub fn in_workspace_of(mut self, earlier: &Harness) -> Self {
        let dir = earlier.workspace();
        self.workspace = Some(dir.clone());
        self.env(vars::GITHUB_WORKSPACE, dir.display().to_string())
    }

    /// Adds a command-line argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds command-line arguments.
    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an action input as the runner does: `dry-run` → `INPUT_DRY-RUN`.
    pub fn input(self, name: &str, value: impl Into<String>) -> Self {
        self.env(&input_var(name), value)
    }

    /// Sets an environment variable (overrides the runner's defaults).
    pub fn env(mut self, name: &str, value: impl Into<String>) -> Self {
        self.unset.retain(|u| u != name);
        self.env.insert(name.to_string(), value.into());
        self
    }

    /// Leaves a variable unset (e.g. `GITHUB_OUTPUT`, to run as on a laptop).
    pub fn unset(mut self, name: &str) -> Self {
        self.env.remove(name);
        self.unset.push(name.to_string());
        self
    }

    /// Writes the event payload to `workflow/event.json` and sets `GITHUB_EVENT_NAME` and
    /// `GITHUB_EVENT_PATH`.
    pub fn event(self, name: &str, payload: serde_json::Value) -> Self {
        let path = self.root.path().join("workflow/event.json");
        let text = serde_json::to_string_pretty(&payload).expect("serialize the event");
        std::fs::write(&path, text).expect("write event.json");
        self.env(vars::GITHUB_EVENT_NAME, name)
            .env(vars::GITHUB_EVENT_PATH, path.display().to_string())
    }

    /// Points the step at a fake GitHub: `GITHUB_API_URL`, `GITHUB_SERVER_URL`,
    /// `GITHUB_REPOSITORY` (its default repository) and the `token` input.
    pub fn github(self, fake: &FakeGitHub) -> Self {
        self.env(vars::GITHUB_API_URL, fake.api_url())
            .env(vars::GITHUB_SERVER_URL, fake.server_url())
            .env(vars::GITHUB_REPOSITORY, fake.default_repo())
            .input("token", fake.token())
    }

    /// Sets the kill timeout (default 300 s); a binary that hangs fails the test.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Shortens the time bounds and retries for a test against a hostile server, so a hang
    /// ends in a few seconds: connect 2 s, silent peer 2 s, low speed 100 bytes/s over 1 s, a
    /// deadline of 8 s per call, 2 attempts, a 5 ms retry unit; and the kill timeout becomes
    /// 60 s (a binary that still hangs fails the test instead of holding it for minutes).
    pub fn short_bounds(self) -> Self {
        self.env(vars::SLIPWAY_CONNECT_TIMEOUT, "2")
            .env(vars::SLIPWAY_SILENT_TIMEOUT, "2")
            .env(vars::SLIPWAY_LOW_SPEED_LIMIT, "100")
            .env(vars::SLIPWAY_LOW_SPEED_TIME, "1")
            .env(vars::SLIPWAY_DEADLINE, "8")
            .env(vars::SLIPWAY_RETRY_ATTEMPTS, "2")
            .env(vars::SLIPWAY_RETRY_UNIT_MS, "5")
            .timeout(Duration::from_secs(60))
    }

    /// The workspace directory (`GITHUB_WORKSPACE`, and the process's working directory).
    pub fn workspace(&self) -> PathBuf {
        self.workspace
            .clone()
            .unwrap_or_else(|| self.root.path().join("workspace"))
    }

    /// `RUNNER_TEMP`.
    pub fn runner_temp(&self) -> PathBuf {
        self.root.path().join("runner_temp")
    }

    /// Writes a fixture file at `rel` inside the workspace (creating directories) and returns
    /// its absolute path.
    pub fn write_file(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.workspace().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create fixture directories");
        }
        std::fs::write(&path, contents).expect("write a fixture file");
        path
    }

    /// The environment the process gets, apart from `PATH` and `HOME` (for assertions).
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// Runs the binary once, with fresh output and summary files, and collects what it wrote.
    /// Panics if it cannot start, outlives the timeout, or writes an unparsable output file.
    pub fn run(&self) -> RunResult {
        let output_file = self.env.get(vars::GITHUB_OUTPUT).map(PathBuf::from);
        let summary_file = self.env.get(vars::GITHUB_STEP_SUMMARY).map(PathBuf::from);
        for f in output_file.iter().chain(summary_file.iter()) {
            std::fs::write(f, "").expect("reset a file-command file");
        }
        let mut cmd = Command::new(&self.bin);
        cmd.args(&self.args)
            .env_clear()
            .envs(&self.env)
            .current_dir(self.workspace())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for keep in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(keep)
                && !self.unset.iter().any(|u| u == keep)
                && !self.env.contains_key(keep)
            {
                cmd.env(keep, v);
            }
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", self.bin.display()));
        let out = Captured::spawn(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        let err = Captured::spawn(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait().expect("wait for the binary") {
                Some(status) => break status,
                None if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    // A grandchild may still hold the pipes: report what arrived so far.
                    panic!(
                        "`{}` did not finish within {:?}; stdout so far:\n{}\nstderr so far:\n{}",
                        self.bin.display(),
                        self.timeout,
                        out.snapshot(),
                        err.snapshot()
                    );
                }
                None => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        let stdout = out.finish();
        let stderr = err.finish();
        let read = |f: &Option<PathBuf>| {
            f.as_ref()
                .map(|f| std::fs::read_to_string(f).unwrap_or_default())
                .unwrap_or_default()
        };
        let raw_outputs = read(&output_file);
        let outputs = slipway_runner::outputs::parse_output_file(&raw_outputs)
            .unwrap_or_else(|e| {
                panic!("the output file does not follow the runner's rules: {e}\n---\n{raw_outputs}---\nstderr:\n{stderr}")
            })
            .into_iter()
            .collect();
        RunResult {
            status,
            stdout,
            stderr,
            outputs,
            summary: read(&summary_file),
        }
    }
}

/// Percent-encodes all but RFC 3986's unreserved characters (as URLs and forms carry a value).
const UNRESERVED_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A child's pipe, read on a thread into a buffer that can be looked at before it ends.
struct Captured {
    buf: Arc<Mutex<Vec<u8>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Captured {
    fn spawn(reader: Option<Box<dyn Read + Send>>) -> Self {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let thread = std::thread::spawn(move || {
            let Some(mut reader) = reader else { return };
            let mut chunk = [0u8; 8192];
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(&chunk[..n]);
            }
        });
        Self { buf, thread }
    }

    fn snapshot(&self) -> String {
        String::from_utf8_lossy(
            &self
                .buf
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }

    fn finish(self) -> String {
        let Self { buf, thread } = self;
        let _ = thread.join();
        String::from_utf8_lossy(
            &buf.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

/// The longest line a rejected input may print, in bytes: a huge value is quoted cut.
pub const SHORT_LINE: usize = 1500;

/// Asserts the output of a run is one short rejection: exactly one `::error` (in `errors`)
/// containing `expected`, with a `hint:` line of substance, and no line of `stdout`/`stderr`
/// over [`SHORT_LINE`] bytes. `case` names the case in the panic message.
pub fn assert_one_rejection(
    case: &str,
    errors: &[String],
    stdout: &str,
    stderr: &str,
    expected: &str,
) {
    assert_eq!(errors.len(), 1, "{case}: {errors:?}");
    let err = &errors[0];
    assert!(
        err.contains(expected),
        "{case}: `{expected}` not in:\n{err}"
    );
    let hints: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("hint: "))
        .collect();
    assert!(
        !hints.is_empty() && hints.iter().all(|h| h.len() > 10),
        "{case}: no hint in:\n{err}"
    );
    for line in stdout.lines().chain(stderr.lines()) {
        assert!(
            line.len() < SHORT_LINE,
            "{case}: a {} byte line: {}…",
            line.len(),
            line.chars().take(200).collect::<String>()
        );
    }
}

/// What one run wrote; the `assert_*` methods print everything on failure.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output (workflow commands go here).
    pub stdout: String,
    /// Standard error (logs).
    pub stderr: String,
    /// Outputs from `GITHUB_OUTPUT`; a name set twice keeps its last value, as in the runner.
    pub outputs: BTreeMap<String, String>,
    /// The step summary markdown.
    pub summary: String,
}

impl RunResult {
    /// Panics unless the run failed with one short input rejection containing `expected` and a
    /// hint (see [`assert_one_rejection`]).
    pub fn assert_rejected(&self, case: &str, expected: &str) {
        assert!(!self.status.success(), "{case}: accepted\n{}", self.stderr);
        assert_one_rejection(
            case,
            &self.error_annotations(),
            &self.stdout,
            &self.stderr,
            expected,
        );
    }

    /// Panics unless the process exited 0; returns `self` for chaining.
    pub fn assert_success(self) -> Self {
        assert!(
            self.status.success(),
            "expected success, got {}\n{}",
            self.status,
            self.dump()
        );
        self
    }

    /// Panics unless the process exited non-zero; returns `self` for chaining.
    pub fn assert_failure(self) -> Self {
        assert!(
            !self.status.success(),
            "expected failure, but it succeeded\n{}",
            self.dump()
        );
        self
    }

    /// The exit code (`None` when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// An output's value; panics listing the outputs that were set when it is missing.
    pub fn output(&self, name: &str) -> &str {
        match self.outputs.get(name) {
            Some(v) => v,
            None => panic!(
                "no output `{name}`; outputs set: {:?}\n{}",
                self.outputs.keys().collect::<Vec<_>>(),
                self.dump()
            ),
        }
    }

    /// An output parsed as JSON; panics when missing or not JSON.
    pub fn output_json(&self, name: &str) -> serde_json::Value {
        let text = self.output(name);
        serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("output `{name}` is not JSON ({e}): {text}"))
    }

    /// The messages of `::error …::` commands on stdout, unescaped (`%0A` → newline).
    pub fn error_annotations(&self) -> Vec<String> {
        annotations(&self.stdout, "error")
    }

    /// The messages of `::warning …::` commands on stdout, unescaped.
    pub fn warning_annotations(&self) -> Vec<String> {
        annotations(&self.stdout, "warning")
    }

    /// Everything a person or a later step can see — stdout, stderr, summary and outputs — so a
    /// test can assert a secret appears nowhere. `::add-mask::` lines are left out: the runner
    /// consumes them and never shows them (see [`RunResult::masks`]).
    pub fn all_text(&self) -> String {
        let stdout: Vec<&str> = self
            .stdout
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .collect();
        let mut s = format!("{}\n{}\n{}\n", stdout.join("\n"), self.stderr, self.summary);
        for (k, v) in &self.outputs {
            s.push_str(&format!("{k}={v}\n"));
        }
        s
    }

    /// The forms of `secret` that show in [`RunResult::all_text`], as `form: text`: the secret
    /// itself, JSON-escaped (a server quoting a JSON body), percent-encoded (a URL), HTML-escaped
    /// (a quoting web page) and base64 (a Basic credential); empty when none does.
    pub fn leaks(&self, secret: &str) -> Vec<String> {
        use base64::Engine as _;
        let json = serde_json::to_string(secret).expect("a string serializes");
        let forms = [
            ("raw", secret.to_string()),
            ("JSON-escaped", json[1..json.len() - 1].to_string()),
            (
                "percent-encoded",
                percent_encoding::utf8_percent_encode(secret, UNRESERVED_KEPT).to_string(),
            ),
            (
                "HTML-escaped",
                secret
                    .replace('&', "&amp;")
                    .replace('"', "&quot;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            ),
            (
                "base64",
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(secret),
            ),
        ];
        let text = self.all_text();
        let mut found: Vec<String> = forms
            .iter()
            .filter(|(_, form)| text.contains(form.as_str()))
            .map(|(name, form)| format!("{name}: {form}"))
            .collect();
        found.dedup();
        found
    }

    /// The values the step asked the runner to mask (`::add-mask::` lines), unescaped.
    pub fn masks(&self) -> Vec<String> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("::add-mask::"))
            .map(unescape)
            .collect()
    }

    fn dump(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}\n--- outputs ---\n{:#?}\n--- summary ---\n{}",
            self.stdout, self.stderr, self.outputs, self.summary
        )
    }
}

/// The messages of the `::{kind} …::` workflow commands (`error`, `warning`, `notice`) in a
/// step's `stdout`, unescaped (`%0A` → newline).
pub fn annotations(stdout: &str, kind: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("::")?.strip_prefix(kind)?;
            if !(rest.starts_with("::") || rest.starts_with(' ')) {
                return None;
            }
            let (_, message) = rest.split_once("::")?;
            Some(unescape(message))
        })
        .collect()
}

/// Reverses the runner's data escaping (`%0D`, `%0A`, then `%25`).
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_reverses_escape_data() {
        let original = "50% done\r\nnext %0A line";
        let escaped = slipway_runner::commands::escape_data(original);
        assert_eq!(unescape(&escaped), original);
    }
}
