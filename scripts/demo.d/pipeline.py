"""slipway's local pipeline, run by scripts/demo (which builds the binaries and the tools first).

Starts the fake GitHub and a local pypiserver, builds a sample project, and runs the four
actions as a workflow would (inputs as INPUT_* variables, outputs read back from GITHUB_OUTPUT),
then installs the package from the local index. Then the promotion path (promotion.py): the
released files to a staging index, a hash-pinned smoke install from it, the promotion to a
production index with `promote-from`, and a rebuilt wheel refused. Then the nightly path: the dev version written
into a copy of the project, built, archived by `nightly` as a dated pre-release with a static
pip index, served on loopback, and `pip install --pre` from it. Everything it keeps lives in .slipway/demo/.
"""

import argparse
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

# The servers module is shared with the benchmark (bench/run).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import servers  # noqa: E402
from promotion import Promotion  # noqa: E402

REPO = "demo-org/slipway-demo"
DIST_NAME = "slipway-demo"
MODULE = "slipway_demo"
VERSION = "0.1.0"
DOWNLOAD_ROUTES = {"DownloadAsset", "StorageDownload", "BrowserDownload"}
SECRET_INPUTS = {"token", "password"}


class StepFailed(Exception):
    """A step of the pipeline failed; the message says why."""

    def __init__(self, step, message):
        super().__init__(message)
        self.step = step


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived (Ctrl-C raises KeyboardInterrupt)."""


def on_signal(signum, _frame):
    raise Stopped(signal.Signals(signum).name)


BOLD, PLAIN = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")


def header(text):
    Demo.step = text
    print(f"\n{BOLD}── {text} {'─' * max(3, 74 - len(text))}{PLAIN}", flush=True)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def parse_github_output(text):
    """Reads a GITHUB_OUTPUT file by the runner's rules: name=value or name<<DELIM … DELIM."""
    out, lines, i = {}, text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            out[line[:eq]] = line[eq + 1 :]
            continue
        if heredoc < 0:
            raise ValueError(f"malformed GITHUB_OUTPUT line `{line}`")
        name, delim, value = line[:heredoc], line[heredoc + 2 :], []
        while i < len(lines) and lines[i] != delim:
            value.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"GITHUB_OUTPUT value of `{name}` has no closing `{delim}`")
        i += 1
        out[name] = "\n".join(value)
    return out


def die_with_parent():
    """In a child: get SIGTERM if the demo itself dies without cleaning up (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Demo:
    step = "prepare"  # the step running now, named in a failure report

    def __init__(self, root, fresh, check):
        self.root = Path(root)
        self.check = check
        self.fresh = fresh
        self.state = self.root / ".slipway" / "demo"
        self.project = self.state / "project"
        self.github_dir = self.state / "github"
        self.pypi_dir = self.state / "pypi"
        self.logs = self.state / "logs"
        self.outputs_dir = self.state / "step-outputs"
        self.bin = self.root / "target" / "debug"
        self.venv_bin = self.root / ".venv" / "bin"
        self.servers = []  # (name, Popen, log path)
        self.current = None  # the step process running now
        self.failures = []  # --check findings
        self.results = {}
        self.github_token = "ghs_demo" + secrets.token_hex(16)
        self.dist_name, self.module = DIST_NAME, MODULE
        self.promotion = Promotion(self, StepFailed, header, sha256_of)
        self.pypi_token = "pypi-demo-" + secrets.token_urlsafe(24)

    # ── servers ──────────────────────────────────────────────────────────────────────────────

    def server_io(self, name):
        """The log file of a server and the Popen arguments every server of the demo gets."""
        log_path = self.logs / f"{name}.log"
        return log_path, dict(
            start_new_session=True,  # Ctrl-C reaches the demo, which stops servers in order
            preexec_fn=die_with_parent,
        )

    def start_fake_github(self):
        header("start the fake GitHub")
        log_path, popen = self.server_io("fake-github")
        with open(log_path, "wb") as log:
            try:
                proc, urls = servers.start_fake_github(
                    str(self.bin / "slipway-fake-github"),
                    REPO,
                    self.github_token,
                    self.github_dir,
                    stderr=log,
                    **popen,
                )
            except RuntimeError:
                self.servers.append(("fake-github", None, log_path))
                raise StepFailed("start the fake GitHub", "it did not announce its URLs") from None
        self.servers.append(("fake-github", proc, log_path))
        self.api_url = urls["api_url"]
        print(f"fake GitHub for {REPO}: {self.api_url} (state: {self.rel(self.github_dir)})")

    def start_pypiserver(self):
        header("start the local pypiserver")
        packages = self.pypi_dir / "packages"
        packages.mkdir(parents=True, exist_ok=True)
        htpasswd = self.pypi_dir / "htpasswd"
        servers.write_htpasswd(sys.executable, htpasswd, "__token__", self.pypi_token)
        port = servers.free_port()
        self.index = f"http://127.0.0.1:{port}"
        log_path, popen = self.server_io("pypiserver")
        with open(log_path, "wb") as log:
            proc = servers.start_pypiserver(
                str(self.venv_bin.parent), packages, htpasswd, port, stdout=log, stderr=log, **popen
            )
        self.servers.append(("pypiserver", proc, log_path))
        try:
            servers.wait_http(f"{self.index}/simple/", proc, "pypiserver", timeout=60)
        except RuntimeError:
            raise StepFailed("start the local pypiserver", "it did not start") from None
        print(f"pypiserver: {self.index}/ (user __token__, a fresh demo token as password)")
        print(f"packages: {self.rel(packages)}")

    def stop_servers(self):
        names = {id(proc): name for name, proc, _log in self.servers if proc is not None}

        def say(proc):
            print(f"demo: {names[id(proc)]} did not stop on SIGTERM; killing it", file=sys.stderr)

        servers.stop(*(proc for _n, proc, _l in self.servers if proc is not None), on_kill=say)
        self.servers.clear()

    def show_server_logs(self):
        for name, _proc, log_path in self.servers:
            text = log_path.read_text(errors="replace").strip().splitlines()[-15:]
            if text:
                print(f"--- last lines of {self.rel(log_path)}", file=sys.stderr)
                print("\n".join(text), file=sys.stderr)

    # ── helpers ──────────────────────────────────────────────────────────────────────────────

    def rel(self, path):
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def github(self, method, path):
        req = urllib.request.Request(
            self.api_url + path,
            method=method,
            headers={
                "Authorization": f"Bearer {self.github_token}",
                "Accept": "application/vnd.github+json",
            },
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)

    def github_requests(self):
        return self.github("GET", "/_fake/requests")

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)

    def run_cmd(self, step, argv, cwd, env=None):
        print(f"$ {' '.join(argv)}", flush=True)
        self.current = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL)
        code = self.current.wait()
        self.current = None
        if code != 0:
            raise StepFailed(step, f"`{argv[0]}` exited with {code}")

    def action(self, n, tool, inputs, event=None, allow_failure=False):
        """Runs a slipway binary as the runner runs a container action; returns its outputs.
        `event`, when given, is the push event's payload (written to GITHUB_EVENT_PATH). With
        `allow_failure`, a failed run returns its exit `code` and step `summary` instead."""
        header(f"[{n}] {tool}")
        out_file = self.outputs_dir / f"{tool}.out"
        summary = self.outputs_dir / f"{tool}.summary.md"
        for f in (out_file, summary):
            f.write_text("")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "INPUT_", "ACTIONS_", "RUNNER_"))
        }
        env.update(
            GITHUB_REPOSITORY=REPO,
            GITHUB_API_URL=self.api_url,
            GITHUB_SERVER_URL=self.api_url,
            GITHUB_WORKSPACE=str(self.state),
            GITHUB_OUTPUT=str(out_file),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_SHA=self.commit,
            GITHUB_REF="refs/heads/main",
            GITHUB_REF_NAME="main",
            GITHUB_EVENT_NAME="push",
            RUNNER_TEMP=str(self.state / "tmp"),
        )
        if event is not None:
            event_file = self.outputs_dir / f"{tool}.event.json"
            event_file.write_text(json.dumps(event))
            env["GITHUB_EVENT_PATH"] = str(event_file)
        inputs = {"token": self.github_token, "repository": REPO, "api-url": self.api_url} | inputs
        shown = []
        for name, value in inputs.items():
            if value is None:
                continue
            env["INPUT_" + name.upper().replace(" ", "_")] = value
            if name not in ("token", "repository", "api-url"):
                shown.append(f"{name}: {'***' if name in SECRET_INPUTS else value!r}")
        print("with:  " + "\n       ".join(shown), flush=True)
        (self.state / "tmp").mkdir(exist_ok=True)
        argv = [str(self.bin / tool)]
        self.current = subprocess.Popen(argv, cwd=self.state, env=env, stdin=subprocess.DEVNULL)
        code = self.current.wait()
        self.current = None
        if code != 0 and allow_failure:
            print(f"{tool} exited with {code}, as expected")
            return {"code": code, "summary": summary.read_text()}
        if code != 0:
            raise StepFailed(tool, f"`{tool}` exited with {code}")
        outputs = parse_github_output(out_file.read_text())
        print("outputs:")
        for name, value in outputs.items():
            print(f"  {name:<17} {value}")
        return outputs

    # ── the pipeline ─────────────────────────────────────────────────────────────────────────

    def prepare(self):
        if self.fresh and self.state.exists():
            print(f"demo: --fresh: removing {self.rel(self.state)}")
            shutil.rmtree(self.state)
        for d in (self.state, self.logs, self.outputs_dir, self.github_dir, self.pypi_dir):
            d.mkdir(parents=True, exist_ok=True)
        had_github = (self.github_dir / "state.json").exists()
        had_pypi = any((self.pypi_dir / "packages").glob("*"))
        self.repeat = had_github and had_pypi
        if self.check and had_github != had_pypi:
            raise StepFailed("check", "the demo state is partial; start over with --fresh --check")
        print(f"demo state: {self.rel(self.state)} ({'a repeat run' if self.repeat else 'empty'})")

    def make_project(self):
        header("sample project")
        pkg = self.project / "src" / MODULE
        if not (self.project / "pyproject.toml").exists():
            pkg.mkdir(parents=True, exist_ok=True)
            (self.project / "pyproject.toml").write_text(
                "[build-system]\n"
                'requires = ["hatchling"]\n'
                'build-backend = "hatchling.build"\n\n'
                "[project]\n"
                f'name = "{DIST_NAME}"\n'
                'dynamic = ["version"]\n'
                'description = "A tiny package that slipway\'s local pipeline releases."\n'
                'readme = "README.md"\n'
                'requires-python = ">=3.8"\n\n'
                "[tool.hatch.version]\n"
                f'path = "src/{MODULE}/__init__.py"\n\n'
                "[tool.hatch.build.targets.wheel]\n"
                f'packages = ["src/{MODULE}"]\n'
            )
            (self.project / "README.md").write_text(
                f"# {DIST_NAME}\n\nReleased to a local index by slipway's `scripts/demo`.\n"
            )
            (pkg / "__init__.py").write_text(
                f'"""A tiny package released by slipway\'s local pipeline."""\n\n'
                f'__version__ = "{VERSION}"\n\n\n'
                "def greet(name: str) -> str:\n"
                '    """Says hello."""\n'
                '    return f"hello, {name}, from {__name__} {__version__}"\n'
            )
            print(f"created {self.rel(self.project)} ({DIST_NAME} {VERSION}, hatchling)")
        else:
            print(f"reusing {self.rel(self.project)} (edit __version__ there to see a bump)")
        digest = hashlib.sha1()
        for f in sorted(self.project.rglob("*")):
            if f.is_file() and "dist" not in f.relative_to(self.project).parts:
                digest.update(f.read_bytes())
        self.commit = digest.hexdigest()

    def build(self):
        header("build sdist + wheel")
        dist = self.project / "dist"
        shutil.rmtree(dist, ignore_errors=True)
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        argv = [str(self.venv_bin / "python"), "-m", "build", "--no-isolation"]
        self.run_cmd("build", argv, self.project, env)
        self.built = {p.name: sha256_of(p) for p in sorted(dist.iterdir())}
        if not self.built:
            raise StepFailed("build", "no dists were built")

    def pipeline(self):
        bump = self.action(
            "1/6", "version-bump", {"path": "project", "compare-to": "latest-release"}
        )
        self.results["bump"] = bump
        version, tag = bump.get("version", ""), bump.get("tag", "")
        self.version = version

        if bump.get("bumped") == "true":
            draft = self.action(
                "2/6",
                "draft-release",
                {"version": version, "files": "project/dist/*", "body": "Built by scripts/demo."},
            )
            self.results["draft"] = draft
            header("[3/6] a maintainer publishes the draft")
            rid = draft["release-id"]
            release = self.github("POST", f"/_fake/releases/{rid}/publish")
            print(f"published release {rid}: {release['html_url']} (tag {release['tag_name']})")
        else:
            header("[2/6] draft-release — skipped")
            print("if: steps.version.outputs.bumped == 'true' → false: nothing new to release")
            header("[3/6] a maintainer publishes the draft — skipped (no new draft)")

        fetched = self.action(
            "4/6",
            "fetch-assets",
            {"tag": tag, "dir": f"release-assets/{tag}", "patterns": "*.whl, *.tar.gz"},
        )
        self.results["fetch"] = fetched
        self.fetched = {
            Path(f).name: sha256_of(self.state / f) for f in json.loads(fetched["files"])
        }
        for name, digest in self.fetched.items():
            same = self.built.get(name) == digest
            print(f"  {name}: {'same bytes as the build' if same else 'DIFFERS from the build'}")
            if not same:
                raise StepFailed("fetch-assets", f"`{name}` is not the file that was built")

        published = self.action(
            "5/6",
            "pypi-publish",
            {
                "packages-dir": fetched["dir"],
                "repository-url": f"{self.index}/",
                "index-url": f"{self.index}/simple/",
                "user": "__token__",
                "password": self.pypi_token,
                "expected-version": fetched.get("version", ""),
            },
        )
        self.results["publish"] = published

        header("[6/6] pip install from the local index, then import")
        venv = self.state / "install-venv"
        shutil.rmtree(venv, ignore_errors=True)
        self.run_cmd("pip install", [sys.executable, "-m", "venv", str(venv)], self.state)
        py = str(venv / "bin" / "python")
        pip = [py, "-m", "pip", "install", "--isolated", "--disable-pip-version-check"]
        pip += ["--no-cache-dir"]
        pip += ["--progress-bar", "off", "--index-url", f"{self.index}/simple/"]
        self.run_cmd("pip install", pip + [f"{DIST_NAME}=={version}"], self.state)
        code = f"import {MODULE}; print({MODULE}.__version__)"
        print(f"$ {py} -c '{code}'", flush=True)
        run = subprocess.run([py, "-c", code], capture_output=True, text=True, cwd="/")
        if run.returncode != 0:
            sys.stderr.write(run.stderr)
            raise StepFailed("import", f"importing `{MODULE}` failed")
        self.installed = run.stdout.strip()
        print(self.installed)

    def nightly_path(self):
        """A dev build of the same commit: version written, built, archived, installed with --pre."""
        work = self.state / "nightly-project"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(self.project, work, ignore=shutil.ignore_patterns("dist"))
        # The push event's commit time makes the dev number: the same project, the same number.
        sources = [
            f
            for f in self.project.rglob("*")
            if f.is_file() and not {"dist", "__pycache__"} & set(f.relative_to(self.project).parts)
        ]
        newest = max(f.stat().st_mtime for f in sources)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(newest))
        event = {"after": self.commit, "head_commit": {"id": self.commit, "timestamp": stamp}}
        dev = self.action(
            "N1/4",
            "version-bump",
            {"path": "nightly-project", "compare-to": "none", "write-version": "dev"},
            event=event,
        )
        self.results["dev"] = dev
        version = dev["version"]
        header("[N2/4] build the dev version")
        dist = work / "dist"
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
        argv = [str(self.venv_bin / "python"), "-m", "build", "--no-isolation"]
        self.run_cmd("build", argv, work, env)
        self.nightly_built = {p.name: sha256_of(p) for p in sorted(dist.iterdir())}
        site = self.state / "nightly-site"
        night = self.action(
            "N3/4",
            "nightly",
            {
                "version": version,
                "files": "nightly-project/dist/*",
                "index-dir": "nightly-site/nightly",
                "keep-builds": "30",
                "keep-days": "30",
            },
        )
        self.results["nightly"] = night

        header("[N4/4] pip install --pre from the nightly index (served on loopback)")
        port = servers.free_port()
        log_path, popen = self.server_io("nightly-index")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                cwd=site,
                stdout=log,
                stderr=log,
                **popen,
            )
        self.servers.append(("nightly-index", proc, log_path))
        simple = f"http://127.0.0.1:{port}/nightly/simple/"
        servers.wait_http(simple, proc, "the nightly index")
        venv = self.state / "nightly-venv"
        shutil.rmtree(venv, ignore_errors=True)
        self.run_cmd("pip install --pre", [sys.executable, "-m", "venv", str(venv)], self.state)
        py = str(venv / "bin" / "python")
        pip = [py, "-m", "pip", "install", "--isolated", "--disable-pip-version-check"]
        pip += ["--no-cache-dir", "--progress-bar", "off", "--pre", "--index-url", simple]
        self.run_cmd("pip install --pre", pip + [f"{DIST_NAME}=={version}"], self.state)
        run = subprocess.run(
            [py, "-c", f"import {MODULE}; print({MODULE}.__version__)"],
            capture_output=True,
            text=True,
            cwd="/",
        )
        if run.returncode != 0:
            sys.stderr.write(run.stderr)
            raise StepFailed("import", f"importing the nightly `{MODULE}` failed")
        self.nightly_installed = run.stdout.strip()
        print(f"{self.nightly_installed} (from {simple})")

    def summarize(self):
        header("summary")
        bump, fetched = self.results["bump"], self.results["fetch"]
        published = self.results["publish"]
        previous = bump.get("previous-version") or "(none)"
        print(f"version-bump   {bump['version']} vs {previous}: bumped={bump['bumped']}")
        draft = self.results.get("draft")
        print(
            "draft-release  "
            + (
                f"{'created' if draft['created'] == 'true' else 'reused'} the draft"
                if draft
                else "skipped (not bumped)"
            )
        )
        release = self.github("GET", f"/repos/{REPO}/releases/{fetched['release-id']}")
        state = "draft" if release["draft"] else "published"
        print(f"release        {release['tag_name']} ({state}) {release['html_url']}")
        for asset in release["assets"]:
            digest = (asset.get("digest") or "").removeprefix("sha256:")
            print(f"  asset        {asset['name']:<40} {asset['size']:>7} B  sha256 {digest}")
        log = self.github_requests()
        names = {str(a["id"]): a["name"] for a in release["assets"]}
        got = [  # responses that carried an asset's bytes, by asset name
            names.get(seg, urllib.parse.unquote(seg))
            for r in log
            if r["route"] in DOWNLOAD_ROUTES and r["status"] == 200
            for seg in [r["path"].rsplit("/", 1)[-1]]
        ]
        self.downloads = sum(1 for n in got if n in self.fetched)
        self.uploads = sum(1 for r in log if r["route"] == "UploadAsset")
        print(
            f"fetch-assets   {fetched['count']} files in {self.rel(self.state / fetched['dir'])}: "
            f"{self.downloads} downloaded, {int(fetched['count']) - self.downloads} already "
            f"in place; {len(got) - self.downloads} other download(s) (the checksums manifest)"
        )
        print(f"GitHub         {len(log)} API requests this run, {self.uploads} uploads")
        print(f"pypi-publish   uploaded {published['uploaded']}, skipped {published['skipped']}")
        print(f"installed      {DIST_NAME} {self.installed} from {self.index}/simple/")
        self.promotion.summarize()
        night = self.results["nightly"]
        print(
            f"nightly        {night['tag']} ({'created' if night['created'] == 'true' else 'reused'}); "
            f"kept {len(json.loads(night['kept']))}, pruned {len(json.loads(night['pruned']))}; "
            f"installed {self.nightly_installed} with pip --pre"
        )
        print(f"state          {self.rel(self.state)} (scripts/demo --fresh starts over)")

    def verify(self):
        header(f"check ({'repeat run: everything skips' if self.repeat else 'first run'})")
        bump, fetched = self.results["bump"], self.results["fetch"]
        uploaded = json.loads(self.results["publish"]["uploaded"])
        skipped = json.loads(self.results["publish"]["skipped"])
        dists = sorted(self.built)
        self.expect(sorted(self.fetched) == dists, f"fetched {sorted(self.fetched)} != {dists}")
        self.expect(fetched["count"] == str(len(dists)), f"count {fetched['count']}")
        self.expect(self.installed == bump["version"], f"installed {self.installed!r}")
        if self.repeat:
            self.expect(bump["bumped"] == "false", "version-bump should say not bumped")
            self.expect("draft" not in self.results, "draft-release should be skipped")
            self.expect(self.downloads == 0, f"{self.downloads} downloads, expected none")
            self.expect(self.uploads == 0, f"{self.uploads} uploads to GitHub, expected none")
            self.expect(uploaded == [], f"pypi-publish uploaded {uploaded}")
            self.expect(sorted(skipped) == dists, f"pypi-publish skipped {skipped}")
        else:
            self.expect(bump["bumped"] == "true", "version-bump should say bumped")
            draft = self.results.get("draft") or {}
            self.expect(draft.get("created") == "true", "draft-release should create the draft")
            self.expect(self.downloads == len(dists), f"{self.downloads} downloads")
            self.expect(sorted(uploaded) == dists, f"pypi-publish uploaded {uploaded}")
            self.expect(skipped == [], f"pypi-publish skipped {skipped}")
        self.promotion.verify(self.expect, dists)
        night, dev = self.results["nightly"], self.results["dev"]
        self.expect(".dev" in dev["version"], f"dev version {dev['version']!r}")
        self.expect(self.nightly_installed == dev["version"], f"nightly {self.nightly_installed!r}")
        self.expect(night["tag"] in json.loads(night["kept"]), "the new build is kept")
        self.expect(
            night["created"] == ("false" if self.repeat else "true"),
            f"nightly created={night['created']}",
        )
        for f in self.failures:
            print(f"check FAILED: {f}")
        if self.failures:
            raise StepFailed("check", f"{len(self.failures)} expectation(s) not met")
        print("check: ok")

    def run(self):
        self.prepare()
        self.make_project()
        self.build()
        self.start_fake_github()
        self.start_pypiserver()
        self.pipeline()
        self.promotion.run(self.results["fetch"])
        self.nightly_path()
        self.summarize()
        if self.check:
            self.verify()


def main():
    parser = argparse.ArgumentParser(prog="scripts/demo")
    parser.add_argument("--root", required=True)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    # Also when started in the background, where SIGINT arrives ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    demo = Demo(args.root, args.fresh, args.check)
    started = time.monotonic()
    code = 0
    try:
        demo.run()
        print(f"\ndemo: done in {time.monotonic() - started:.0f}s")
    except StepFailed as e:
        print(f"\ndemo: FAILED at step `{e.step}`: {e}", file=sys.stderr)
        if e.step != "check":
            demo.show_server_logs()
        code = 1
    except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
        print(f"\ndemo: FAILED at step `{Demo.step}`: {type(e).__name__}: {e}", file=sys.stderr)
        demo.show_server_logs()
        code = 1
    except (KeyboardInterrupt, Stopped) as e:
        print(f"\ndemo: interrupted ({str(e) or 'SIGINT'}); stopping", file=sys.stderr)
        code = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if demo.current is not None and demo.current.poll() is None:
            demo.current.terminate()
            demo.current.wait()
        demo.stop_servers()
    return code


if __name__ == "__main__":
    sys.exit(main())
