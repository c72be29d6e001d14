"""The servers the clients talk to, for the local pipeline (`scripts/demo`) and the benchmark
(`bench/run`): pypiserver and slipway's fake GitHub, started, awaited and stopped.

The functions start one process each and leave its lifetime to the caller (the demo keeps its
state across runs); the classes are the benchmark's: a fresh server in a temporary directory,
removed on `close()`.
"""

import json
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

USER = "bench"
PASSWORD = "bench-password"
TOKEN = "bench-token"
REPO = "octo/bench"


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, what, timeout=30):
    """Waits until `url` answers (any HTTP status); raises RuntimeError if `proc` exits first or
    `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer `{url}` within {timeout} s")


def stop(*procs, on_kill=None):
    """Stops the processes: SIGTERM to all (last started first), then waits; one that does not
    stop within 10 s is killed (`on_kill(proc)` is called first, to say so)."""
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            if on_kill is not None:
                on_kill(proc)
            proc.kill()
            proc.wait()


def write_htpasswd(python, path, user, password):
    """Writes an htpasswd file with one user (by `python`, which has passlib), readable by its
    owner only."""
    subprocess.run(
        [
            python,
            "-c",
            "import sys; from passlib.apache import HtpasswdFile as H; "
            "h = H(sys.argv[1], new=True); h.set_password(sys.argv[2], sys.argv[3]); h.save()",
            str(path),
            user,
            password,
        ],
        check=True,
    )
    os.chmod(path, 0o600)


def start_pypiserver(venv, packages, htpasswd, port, extra=(), **popen):
    """Starts pypiserver on 127.0.0.1:`port` serving `packages`, uploads authenticated by
    `htpasswd`; `popen` goes to subprocess.Popen (stdout, stderr, ...). Returns the process."""
    return subprocess.Popen(
        [
            os.path.join(venv, "bin", "pypi-server"),
            "run",
            "-i", "127.0.0.1",
            "-p", str(port),
            "-a", "update",
            "-P", str(htpasswd),
            "--hash-algo", "sha256",
            *extra,
            str(packages),
        ],
        stdin=subprocess.DEVNULL,
        **popen,
    )


def start_fake_github(binary, repo, token, state_dir, timeout=30, extra=(), **popen):
    """Starts the fake GitHub with its state in `state_dir` (`extra`: more flags); `popen` goes
    to subprocess.Popen (stderr, ...). Returns the process and the URLs it announced (`api_url`,
    `uploads_url`, `storage_url`, `bound_urls`); raises RuntimeError (the process stopped) if it
    announces none within `timeout` seconds."""
    proc = subprocess.Popen(
        [binary, "--repo", repo, "--token", token, "--port", "0", "--state-dir", str(state_dir),
         *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        **popen,
    )
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    line = b""
    deadline = time.monotonic() + timeout
    while not line.endswith(b"\n") and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if sel.select(timeout=0.2):
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
    sel.close()
    try:
        return proc, json.loads(line.decode())
    except ValueError:
        stop(proc)
        raise RuntimeError("the fake GitHub exited before it printed its URLs") from None


class _Process:
    """A server process with a log file and a temporary directory (`proc`, `log`, `dir`), stopped
    and cleaned up by `close()` or on leaving a `with` block."""

    def close(self):
        """Stops the server and removes its directory."""
        stop(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class PyPIServer(_Process):
    """pypiserver on a new packages directory, uploads authenticated with an htpasswd user."""

    def __init__(self, venv, work):
        self.dir = tempfile.mkdtemp(prefix="pypiserver-", dir=work)
        htpasswd = os.path.join(self.dir, "htpasswd")
        write_htpasswd(os.path.join(venv, "bin", "python"), htpasswd, USER, PASSWORD)
        self.packages = os.path.join(self.dir, "packages")
        os.mkdir(self.packages)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self.simple = f"{self.url}simple/"
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = start_pypiserver(
            venv,
            self.packages,
            htpasswd,
            port,
            # A project it does not have would otherwise redirect to pypi.org: keep it local.
            extra=["--disable-fallback"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_http(self.simple, self.proc, "pypiserver")

    def files(self):
        """The file names the server holds."""
        return sorted(os.listdir(self.packages))


class FakeGitHub(_Process):
    """The slipway fake GitHub (release build), its assets in a temporary directory. With
    `public_urls` (API, uploads, storage base URLs of a proxy in front of it) its answers point
    there; `bound` is where it really listens."""

    def __init__(self, binary, work, public_urls=None):
        self.dir = tempfile.mkdtemp(prefix="fake-github-", dir=work)
        self.log = open(os.path.join(self.dir, "..", "fake-github.log"), "ab")
        extra = ["--public-urls", ",".join(public_urls)] if public_urls else []
        self.proc, urls = start_fake_github(
            binary, REPO, TOKEN, os.path.join(self.dir, "state"), extra=extra, stderr=self.log
        )
        self.api = urls["api_url"].rstrip("/")
        self.uploads = urls["uploads_url"].rstrip("/")
        self.bound = urls["bound_urls"]

    def call(self, method, path, body=None):
        """One JSON API call with the token; returns the decoded answer."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.api}{path}", data=data, method=method)
        req.add_header("Authorization", f"Bearer {TOKEN}")
        req.add_header("Accept", "application/vnd.github+json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def create_draft(self, tag):
        """Creates a draft release for `tag` and returns its id."""
        return self.call("POST", f"/repos/{REPO}/releases", {"tag_name": tag, "draft": True})["id"]

    def release_by_tag(self, tag):
        """The id of the release (draft or not) whose tag is `tag`."""
        page = 1
        while True:
            releases = self.call("GET", f"/repos/{REPO}/releases?per_page=100&page={page}")
            for r in releases:
                if r["tag_name"] == tag:
                    return r["id"]
            if not releases:
                raise RuntimeError(f"no release with tag `{tag}` on the fake")
            page += 1

    def assets(self, release_id):
        """The (id, name, size) of each asset of a release."""
        out, page = [], 1
        while True:
            got = self.call("GET", f"/repos/{REPO}/releases/{release_id}/assets?per_page=100&page={page}")
            out += [(a["id"], a["name"], a["size"]) for a in got]
            if len(got) < 100:
                return out
            page += 1

    def upload_url(self, release_id, name):
        """Where a file is POSTed to become asset `name` of the release."""
        return f"{self.uploads}/repos/{REPO}/releases/{release_id}/assets?name={name}"

    def asset_url(self, asset_id):
        """The API URL of an asset (302 to the storage host with Accept: octet-stream)."""
        return f"{self.api}/repos/{REPO}/releases/assets/{asset_id}"
