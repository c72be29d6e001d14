"""The demo's promotion path: the released files go to a staging index, are installed from it
into a fresh virtualenv (pinned to their hashes) and imported, then are promoted to a production
index by pypi-publish's `promote-from` (every file proven identical on staging first, every file
read back after), and a rebuilt wheel with other bytes under the same name is refused.

Two pypiservers of their own, with their own tokens: .slipway/demo/promotion/{staging,production}.
Run by pipeline.py after the release path (it needs the fetched release files).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys

import servers  # scripts/servers.py (pipeline.py puts scripts/ on the path)


class Promotion:
    def __init__(self, demo, step_failed, header, sha256):
        self.demo = demo
        self.StepFailed = step_failed
        self.header = header
        self.sha256_of = sha256
        self.dir = demo.state / "promotion"
        self.results = {}
        self.tokens = {
            "staging": "pypi-staging-" + secrets.token_urlsafe(18),
            "production": "pypi-production-" + secrets.token_urlsafe(18),
        }
        self.urls = {}

    def start(self, name):
        """Starts the `name` index (staging or production) on a free port; returns its URL."""
        packages = self.dir / name / "packages"
        packages.mkdir(parents=True, exist_ok=True)
        htpasswd = self.dir / name / "htpasswd"
        servers.write_htpasswd(sys.executable, htpasswd, "__token__", self.tokens[name])
        port = servers.free_port()
        url = f"http://127.0.0.1:{port}"
        log_path, popen = self.demo.server_io(f"pypiserver-{name}")
        with open(log_path, "wb") as log:
            proc = servers.start_pypiserver(
                str(self.demo.venv_bin.parent),
                packages,
                htpasswd,
                port,
                stdout=log,
                stderr=log,
                **popen,
            )
        self.demo.servers.append((f"pypiserver-{name}", proc, log_path))
        try:
            servers.wait_http(f"{url}/simple/", proc, f"the {name} pypiserver", timeout=60)
        except RuntimeError:
            raise self.StepFailed(f"start the {name} index", "it did not start") from None
        print(f"{name}: {url}/ (packages: {self.demo.rel(packages)})")
        self.urls[name] = url
        return url

    def publish(self, n, name, packages_dir, extra=None, allow_failure=False):
        url = self.urls[name]
        inputs = {
            "packages-dir": packages_dir,
            "repository-url": f"{url}/",
            "index-url": f"{url}/simple/",
            "user": "__token__",
            "password": self.tokens[name],
            "verify-uploaded": "true",
        } | (extra or {})
        return self.demo.action(n, "pypi-publish", inputs, allow_failure=allow_failure)

    def run(self, fetched):
        self.header("[P1/5] start a staging and a production index")
        self.repeat = any((self.dir / "production" / "packages").glob("*"))
        self.start("staging")
        self.start("production")
        version = fetched.get("version", "")
        self.results["staging"] = self.publish(
            "P2/5", "staging", fetched["dir"], {"expected-version": version}
        )

        self.header("[P3/5] smoke test: install the exact files from staging, then import")
        files = [self.demo.state / f for f in json.loads(fetched["files"])]
        hashes = " ".join(f"--hash=sha256:{self.demo.fetched[f.name]}" for f in files)
        requirements = self.dir / "staged.txt"
        requirements.write_text(f"{self.demo.dist_name}=={version} {hashes}\n")
        venv = self.dir / "smoke-venv"
        shutil.rmtree(venv, ignore_errors=True)
        self.demo.run_cmd("smoke", [sys.executable, "-m", "venv", str(venv)], self.dir)
        py = str(venv / "bin" / "python")
        pip = [py, "-m", "pip", "install", "--isolated", "--disable-pip-version-check"]
        pip += ["--no-cache-dir", "--progress-bar", "off", "--no-deps", "--require-hashes"]
        pip += ["--index-url", f"{self.urls['staging']}/simple/", "-r", str(requirements)]
        self.demo.run_cmd("smoke", pip, self.dir)
        module = self.demo.module
        run = subprocess.run(
            [py, "-c", f"import {module}; print({module}.__version__)"],
            capture_output=True,
            text=True,
            cwd="/",
        )
        if run.returncode != 0:
            sys.stderr.write(run.stderr)
            raise self.StepFailed("smoke", f"importing `{module}` from staging failed")
        self.smoke = run.stdout.strip()
        print(f"{self.smoke} (installed from staging with --no-deps --require-hashes)")

        self.results["promote"] = self.publish(
            "P4/5",
            "production",
            fetched["dir"],
            {"promote-from": f"{self.urls['staging']}/simple/", "expected-version": version},
        )

        self.header("[P5/5] a rebuilt wheel (other bytes, same name) is refused")
        rebuilt = self.dir / "rebuilt"
        shutil.rmtree(rebuilt, ignore_errors=True)
        rebuilt.mkdir(parents=True)
        work = self.dir / "rebuild-project"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(self.demo.project, work, ignore=shutil.ignore_patterns("dist"))
        env = dict(os.environ, SOURCE_DATE_EPOCH="1700000999")
        argv = [str(self.demo.venv_bin / "python"), "-m", "build", "--no-isolation", "--wheel"]
        self.demo.run_cmd("rebuild", argv, work, env)
        wheel = next((work / "dist").glob("*.whl"))
        shutil.copy(wheel, rebuilt / wheel.name)
        self.rebuilt = (wheel.name, self.sha256_of(rebuilt / wheel.name))
        refused = self.publish(
            "P5/5",
            "production",
            str(rebuilt.relative_to(self.demo.state)),
            {"promote-from": f"{self.urls['staging']}/simple/"},
            allow_failure=True,
        )
        self.results["refused"] = refused

    def summarize(self):
        staged, promoted = self.results["staging"], self.results["promote"]
        print(
            f"promotion      staging: uploaded {staged['uploaded']}, skipped {staged['skipped']}; "
            f"smoke import {self.smoke}"
        )
        print(
            f"               production: uploaded {promoted['uploaded']}, skipped "
            f"{promoted['skipped']}; read back {len(json.loads(promoted['verified']))} file(s)"
        )
        refused = self.results["refused"]
        print(
            f"               rebuilt {self.rebuilt[0]}: "
            + ("refused" if refused["code"] != 0 else "NOT refused")
        )

    def verify(self, expect, dists):
        staged, promoted = self.results["staging"], self.results["promote"]
        verified = sorted(v["file"] for v in json.loads(promoted["verified"]))
        expect(verified == dists, f"production read back {verified}")
        expect(self.smoke == self.demo.version, f"smoke import {self.smoke!r}")
        key = "skipped" if self.repeat else "uploaded"
        for name, out in (("staging", staged), ("production", promoted)):
            got = sorted(json.loads(out[key]))
            expect(got == dists, f"{name}: {key} {got}, expected {dists}")
        refused = self.results["refused"]
        expect(refused["code"] == 1, f"the rebuilt wheel's promotion exited {refused['code']}")
        text = refused["summary"]
        staging_sha = self.demo.fetched.get(self.rebuilt[0], "?")
        for needle in (self.rebuilt[0], staging_sha, self.rebuilt[1], "nothing was uploaded"):
            expect(needle in text, f"the refusal does not name `{needle}`")
