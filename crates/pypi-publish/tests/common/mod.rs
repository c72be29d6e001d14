//! Shared test helpers: running the binary the way the runner does, the Python tools in the
//! workspace venv, fixture projects built by real backends, and real/fake index servers.
#![allow(dead_code)]

pub(crate) mod handmade;
pub(crate) mod hostile;

/// The fake index (`slipway_testkit::doubles::index`), and publishing to it.
pub(crate) mod fake {
    pub(crate) use slipway_testkit::doubles::index::*;

    /// The API token the fake-index tests publish with.
    pub(crate) const TOKEN: &str = "pypi-AgEIcHlwaS5vcmcfaketoken0123456789";

    /// Runs pypi-publish against `index` with the dists in `dir`, the token as password and
    /// `extra` inputs (replacing defaults of the same name); asserts the token leaked nowhere.
    pub(crate) fn publish(
        index: &Fake,
        dir: &std::path::Path,
        extra: &[(&str, &str)],
    ) -> super::Outcome {
        let upload = format!("{}/legacy/", index.base);
        let simple = format!("{}/simple/", index.base);
        let mut inputs = vec![
            ("packages-dir", dir.to_str().unwrap()),
            ("repository-url", upload.as_str()),
            ("index-url", simple.as_str()),
            ("password", TOKEN),
        ];
        for (k, v) in extra {
            inputs.retain(|(name, _)| name != k);
            inputs.push((k, v));
        }
        let out = super::run(&inputs, &[]);
        assert!(!out.leaks(TOKEN), "token leaked:\n{}", out.all_text());
        out
    }
}

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// Each test binary uses some of these (as with dead code, unused ones are expected here).
#[allow(unused_imports)]
pub(crate) use slipway_testkit::real::{
    BACKENDS, PASSWORD, Server, USER, build_dists, devpi, free_port, http, pip_install_and_import,
    pypiserver, start_pypiserver, tool, venv, workspace_root,
};

/// What one run of the binary produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Exit code.
    pub code: i32,
    /// stdout (workflow commands).
    pub stdout: String,
    /// stderr (logs, error report).
    pub stderr: String,
    /// Outputs parsed by the runner's rules.
    pub outputs: BTreeMap<String, String>,
    /// The step summary.
    pub summary: String,
}

impl Outcome {
    /// Everything the run printed or wrote.
    pub(crate) fn all_text(&self) -> String {
        format!(
            "{}\n{}\n{:?}\n{}",
            self.stdout, self.stderr, self.outputs, self.summary
        )
    }

    /// The messages of the `::error` annotations, unescaped.
    pub(crate) fn errors(&self) -> Vec<String> {
        slipway_testkit::harness::annotations(&self.stdout, "error")
    }

    /// The messages of the `::warning` annotations, unescaped.
    pub(crate) fn warnings(&self) -> Vec<String> {
        slipway_testkit::harness::annotations(&self.stdout, "warning")
    }

    /// True when `secret` appears anywhere except in the `::add-mask::` command that hides it.
    pub(crate) fn leaks(&self, secret: &str) -> bool {
        self.all_text()
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .any(|l| l.contains(secret))
    }

    /// A JSON list output.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        serde_json::from_str(self.outputs.get(name).map(String::as_str).unwrap_or("null"))
            .unwrap_or_default()
    }

    /// Panics with the logs unless the run succeeded.
    pub(crate) fn assert_ok(&self) -> &Self {
        assert_eq!(self.code, 0, "run failed:\n{}", self.all_text());
        self
    }

    /// Panics unless the run failed with every needle in its error output.
    pub(crate) fn assert_failed_with(&self, needles: &[&str]) -> &Self {
        assert_eq!(self.code, 1, "run should have failed:\n{}", self.all_text());
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "`{n}` not in the error output:\n{}",
                self.stderr
            );
        }
        self
    }
}

/// Runs `pypi-publish` with `INPUT_*` variables (hyphens kept) and extra environment, inside a
/// fresh GITHUB_OUTPUT/GITHUB_STEP_SUMMARY, as in a workflow.
pub(crate) fn run(inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Outcome {
    run_measured(inputs, env).0
}

/// Like [`run`], also returning the process's peak resident memory in KiB (VmHWM from /proc,
/// polled until it exits).
pub(crate) fn run_measured(inputs: &[(&str, &str)], env: &[(&str, &str)]) -> (Outcome, u64) {
    run_limited(inputs, env, None)
}

/// Like [`run`], but the process is killed once it has run for `limit` (its exit code is then
/// `-1`): a binary that hangs fails the test instead of stalling the suite.
pub(crate) fn run_within(
    inputs: &[(&str, &str)],
    env: &[(&str, &str)],
    limit: Duration,
) -> Outcome {
    run_limited(inputs, env, Some(limit)).0
}

fn run_limited(
    inputs: &[(&str, &str)],
    env: &[(&str, &str)],
    limit: Option<Duration>,
) -> (Outcome, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let output = tmp.path().join("output");
    let summary = tmp.path().join("summary");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pypi-publish"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_WORKSPACE", tmp.path())
        .current_dir(tmp.path());
    for (name, value) in inputs {
        cmd.env(format!("INPUT_{}", name.to_uppercase()), value);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let status_file = format!("/proc/{pid}/status");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0u64;
            let started = Instant::now();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if limit.is_some_and(|l| started.elapsed() > l) {
                    let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
                    break;
                }
                if let Ok(text) = std::fs::read_to_string(&status_file) {
                    let hwm = text
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                        .unwrap_or(0);
                    peak = peak.max(hwm);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let peak = watcher.join().unwrap();
    let outputs = std::fs::read_to_string(&output).unwrap_or_default();
    let outputs = slipway_runner::outputs::parse_output_file(&outputs)
        .unwrap()
        .into_iter()
        .collect();
    let outcome = Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    };
    (outcome, peak)
}
