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
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace root (two levels above this crate).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// The venv with the Python tools: `$SLIPWAY_VENV` or `<root>/.venv`. Fails (never skips) when a
/// tool is missing.
pub(crate) fn venv() -> PathBuf {
    let dir = std::env::var_os("SLIPWAY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"));
    for tool in ["python", "pypi-server", "devpi-server", "devpi-init"] {
        assert!(
            dir.join("bin").join(tool).exists(),
            "`{}` is missing: run scripts/setup-tools",
            dir.join("bin").join(tool).display()
        );
    }
    dir
}

/// A tool in the venv.
pub(crate) fn tool(name: &str) -> PathBuf {
    venv().join("bin").join(name)
}

/// A free loopback port.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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

/// The build backends the fixtures are built with.
pub(crate) const BACKENDS: &[&str] = &[
    "setuptools",
    "hatchling",
    "flit-core",
    "poetry-core",
    "pdm-backend",
];

fn build_system(backend: &str) -> &'static str {
    match backend {
        "setuptools" => {
            "requires = [\"setuptools>=70\"]\nbuild-backend = \"setuptools.build_meta\""
        }
        "hatchling" => "requires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"",
        "flit-core" => "requires = [\"flit_core>=3.9\"]\nbuild-backend = \"flit_core.buildapi\"",
        "poetry-core" => {
            "requires = [\"poetry-core>=1.9\"]\nbuild-backend = \"poetry.core.masonry.api\""
        }
        "pdm-backend" => "requires = [\"pdm-backend\"]\nbuild-backend = \"pdm.backend\"",
        other => panic!("unknown backend {other}"),
    }
}

/// Writes a tiny project (`<name>` importing as `<module>`, with rich metadata) built by
/// `backend`, builds its sdist and wheel with `python -m build --no-isolation`, and returns the
/// directory holding both.
pub(crate) fn build_dists(backend: &str, name: &str, version: &str, out: &Path) -> PathBuf {
    let module = name.replace('-', "_");
    let project = out.join(format!("src-{name}"));
    let pkg = project.join(&module);
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("__init__.py"),
        format!("\"\"\"Fixture.\"\"\"\n__version__ = \"{version}\"\nVALUE = 42\n"),
    )
    .unwrap();
    std::fs::write(
        project.join("README.md"),
        format!("# {name}\n\nA fixture with ünïcode.\n"),
    )
    .unwrap();
    std::fs::write(project.join("LICENSE"), "MIT License\n").unwrap();
    let pyproject = format!(
        r#"[build-system]
{build}

[project]
name = "{name}"
version = "{version}"
description = "Fixture built by {backend}"
readme = "README.md"
requires-python = ">=3.8"
authors = [{{ name = "Ada Lovelace", email = "ada@example.org" }}]
keywords = ["fixture", "slipway"]
classifiers = ["Programming Language :: Python :: 3", "Topic :: Software Development"]
dependencies = []

[project.optional-dependencies]
extra = ["packaging>=20"]

[project.urls]
Homepage = "https://example.org/{name}"
Source = "https://example.org/{name}/src"
"#,
        build = build_system(backend)
    );
    std::fs::write(project.join("pyproject.toml"), pyproject).unwrap();
    let dist = out.join(format!("dist-{name}"));
    let status = Command::new(tool("python"))
        .args(["-m", "build", "--no-isolation", "--outdir"])
        .arg(&dist)
        .arg(&project)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "building {name} with {backend} failed:\n{}",
        String::from_utf8_lossy(&status.stderr)
    );
    dist
}

/// A server shared by the tests of one binary. Statics are never dropped, so the server runs
/// under a small shell guard that stops it and removes its directory when the test process
/// exits (its stdin, a pipe held by this struct, then closes).
pub(crate) struct Server {
    /// The base URL.
    pub url: String,
    child: Child,
}

/// Starts `program args…` under the guard; `dir` is removed when the server stops.
fn guarded(program: &Path, args: &[&std::ffi::OsStr], dir: tempfile::TempDir) -> Child {
    let dir = dir.keep();
    Command::new("sh")
        .arg("-c")
        .arg(r#"dir=$1; shift; "$@" >/dev/null 2>&1 </dev/null & pid=$!; cat >/dev/null; kill $pid; wait $pid; rm -rf "$dir""#)
        .arg("guard")
        .arg(&dir)
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_for(url: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(&addr).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server for {url} exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("server {url} did not start");
}

/// Credentials of the real servers.
pub(crate) const USER: &str = "uploader";
/// The password (tests grep for it in every output).
pub(crate) const PASSWORD: &str = "s3cret-pw-for-tests";

/// pypiserver with an htpasswd file (made with passlib), uploads need auth; one per test binary.
/// It keeps pypiserver's default fallback: a project it does not have redirects to pypi.org.
pub(crate) fn pypiserver() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start_pypiserver(&[]))
}

/// Starts a pypiserver of its own with `extra` flags (e.g. `--fallback-url URL`); it stops
/// when the returned [`Server`] is dropped.
pub(crate) fn start_pypiserver(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    let status = Command::new(tool("python"))
        .arg("-c")
        .arg(format!(
            "from passlib.apache import HtpasswdFile as H; h=H(r'{}', new=True); h.set_password('{USER}', '{PASSWORD}'); h.save()",
            htpasswd.display()
        ))
        .status()
        .unwrap();
    assert!(status.success(), "passlib failed: run scripts/setup-tools");
    let packages = dir.path().join("packages");
    std::fs::create_dir_all(&packages).unwrap();
    let port = free_port().to_string();
    let flags = [
        "run",
        "-i",
        "127.0.0.1",
        "-p",
        &port,
        "-a",
        "update",
        "--hash-algo",
        "sha256",
    ];
    let args: Vec<&std::ffi::OsStr> = flags
        .iter()
        .chain(extra)
        .map(std::ffi::OsStr::new)
        .chain([
            std::ffi::OsStr::new("-P"),
            htpasswd.as_os_str(),
            packages.as_os_str(),
        ])
        .collect();
    let mut child = guarded(&tool("pypi-server"), &args, dir);
    let url = format!("http://127.0.0.1:{port}/");
    wait_for(&url, &mut child);
    Server { url, child }
}

/// devpi-server initialised into a temp dir, with user `uploader` and index `uploader/dev`
/// created over its REST API; one per test binary. `url` is the index (upload) URL.
pub(crate) fn devpi() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let serverdir = dir.path().join("server");
        let status = Command::new(tool("devpi-init"))
            .arg("--serverdir")
            .arg(&serverdir)
            .arg("--no-root-pypi")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "devpi-init failed");
        let port = free_port();
        let port_text = port.to_string();
        let args: Vec<&std::ffi::OsStr> =
            [std::ffi::OsStr::new("--serverdir"), serverdir.as_os_str()]
                .into_iter()
                .chain(["--host", "127.0.0.1", "--port", &port_text].map(std::ffi::OsStr::new))
                .collect();
        let mut child = guarded(&tool("devpi-server"), &args, dir);
        let base = format!("http://127.0.0.1:{port}");
        wait_for(&base, &mut child);
        let user = format!(r#"{{"password": "{PASSWORD}"}}"#);
        http(
            "PUT",
            &format!("{base}/{USER}"),
            None,
            &user,
            Duration::from_secs(30),
        )
        .expect("creating the devpi user");
        let index = r#"{"type": "stage", "bases": [], "volatile": false}"#;
        let (status, body) = http(
            "PUT",
            &format!("{base}/{USER}/dev"),
            Some((USER, PASSWORD)),
            index,
            Duration::from_secs(30),
        )
        .expect("creating the devpi index");
        assert!(status < 300, "devpi index: {status} {body}");
        Server {
            url: format!("{base}/{USER}/dev/"),
            child,
        }
    })
}

/// A blocking request with an optional Basic auth (setup of real servers); returns status and body.
pub(crate) fn http(
    method: &str,
    url: &str,
    auth: Option<(&str, &str)>,
    body: &str,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    use base64::Engine as _;
    use std::io::{Read as _, Write as _};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(timeout))?;
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-type: application/json\r\naccept: application/json\r\ncontent-length: {}\r\n",
        if path.is_empty() { "/" } else { path },
        body.len()
    );
    if let Some((u, p)) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        head.push_str(&format!("authorization: Basic {token}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, response))
}

/// Installs `name==version` from `index` into a fresh venv and imports it; returns `VALUE`.
pub(crate) fn pip_install_and_import(
    index: &str,
    name: &str,
    version: &str,
    extra: &[&str],
) -> String {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("venv");
    let status = Command::new(tool("python"))
        .args(["-m", "venv", "--without-pip"])
        .arg(&target)
        .status()
        .unwrap();
    assert!(status.success());
    let python = target.join("bin").join("python");
    let out = Command::new(tool("python"))
        .args(["-m", "pip", "--python"])
        .arg(&python)
        .args([
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--index-url",
            index,
        ])
        .args(extra)
        .arg(format!("{name}=={version}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip install {name}=={version} from {index} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let module = name.replace('-', "_");
    let out = Command::new(&python)
        .args(["-c", &format!("import {module}; print({module}.VALUE)")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
