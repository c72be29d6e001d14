//! The real parts the tests run against: the Python tools in the workspace venv (installed by
//! `scripts/setup-tools`), fixture projects built by real build backends, real index servers
//! (pypiserver, devpi-server) started on loopback, and pip installing from them.
#![allow(clippy::print_stderr, reason = "test set-up reports what it waits for")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace root (two levels above the testkit crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// The venv with the Python tools: `$SLIPWAY_VENV` or `<root>/.venv`. Fails (never skips) when a
/// tool is missing.
pub fn venv() -> PathBuf {
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
pub fn tool(name: &str) -> PathBuf {
    venv().join("bin").join(name)
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The build backends the fixtures are built with.
pub const BACKENDS: &[&str] = &[
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
pub fn build_dists(backend: &str, name: &str, version: &str, out: &Path) -> PathBuf {
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
pub struct Server {
    /// The base URL.
    pub url: String,
    /// The guard process: its stdin closes when this is dropped, and it stops the server.
    #[allow(dead_code, reason = "held, never read: dropping it stops the server")]
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
pub const USER: &str = "uploader";
/// The password (tests grep for it in every output).
pub const PASSWORD: &str = "s3cret-pw-for-tests";

/// pypiserver with an htpasswd file (made with passlib), uploads need auth; one per test binary.
/// It keeps pypiserver's default fallback: a project it does not have redirects to pypi.org.
pub fn pypiserver() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start_pypiserver(&[]))
}

/// Starts a pypiserver of its own with `extra` flags (e.g. `--fallback-url URL`); it stops
/// when the returned [`Server`] is dropped.
pub fn start_pypiserver(extra: &[&str]) -> Server {
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
pub fn devpi() -> &'static Server {
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
pub fn http(
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
pub fn pip_install_and_import(index: &str, name: &str, version: &str, extra: &[&str]) -> String {
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
