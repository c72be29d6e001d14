"""The measurements: publishing, release assets, start-up and memory growth.

Each repeat runs every client of a case back to back (the order rotating from one repeat to the
next), each against a server in the same state, so a slow moment of the machine hits all of
them; the figures kept are the medians over the repeats.
"""

import os
import shutil
import subprocess
import tempfile

from measure import median_of
from servers import PASSWORD, REPO, TOKEN, USER, FakeGitHub, PyPIServer
from wheels import asset_files, release_wheels, total_size, write_wheel


def asset_medians(runs, files):
    """The asset rounds' medians: per way (upload, download) and client (slipway, curl), with
    MB/s."""
    total = total_size(files)
    out = {"files": len(files), "bytes": total}
    for way in ["upload", "download"]:
        out[way] = {}
        for who in ["slipway", "curl"]:
            m = median_of([r[(way, who)] for r in runs])
            m["mb_per_s"] = total / 1e6 / m["wall_s"]
            out[way][who] = m
    return out


def fast_scratch(work, prefix):
    """A new directory in tmpfs (/dev/shm) when there is one, else under `work`: downloads
    measured there do not depend on how much of the disk's page cache is free."""
    shm = "/dev/shm"
    base = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else work
    return tempfile.mkdtemp(prefix=f"slipway-bench-{prefix}", dir=base)


def rotate(items, i):
    k = i % len(items)
    return items[k:] + items[:k]


class Bench:
    """What every case needs: the launcher, the binaries, the venv and a scratch directory."""

    def __init__(self, runner, bindir, fake_bin, venv, work, log):
        self.runner = runner
        self.bindir = bindir
        self.fake_bin = fake_bin
        self.venv = venv
        self.work = work
        self.log = log

    def tools(self):
        """The tools, from the one list (`slipway --tools`)."""
        out = subprocess.run([self.bin("slipway"), "--tools"], check=True,
                             capture_output=True, text=True).stdout
        return out.split()

    def bin(self, name):
        """The path of a slipway release binary."""
        return os.path.join(self.bindir, name)

    def scratch(self, prefix):
        """A new empty directory under the work directory."""
        return tempfile.mkdtemp(prefix=prefix, dir=self.work)

    # ---- publishing ----------------------------------------------------------------------

    def _publish_argv(self, client, server, dist_dir, files):
        if client == "slipway":
            return [
                self.bin("pypi-publish"),
                "--packages-dir", dist_dir,
                "--repository-url", server.url,
                "--index-url", server.simple,
                "--user", USER,
                "--password", PASSWORD,
            ], {}
        if client == "twine":
            return [
                os.path.join(self.venv, "bin", "twine"), "upload",
                "--repository-url", server.url,
                "--username", USER,
                "--password", PASSWORD,
                "--non-interactive", "--disable-progress-bar",
                *files,
            ], {}
        if client == "curl":
            # The floor: the same multipart uploads with no hashing, checks or index lookups.
            argv = ["curl"]
            for n, path in enumerate(files):
                if n:
                    argv.append("--next")
                argv += [
                    "-sS", "--fail", "-o", "/dev/null", "-H", "Expect:",
                    "-u", f"{USER}:{PASSWORD}",
                    "-F", ":action=file_upload", "-F", "protocol_version=1",
                    "-F", "name=slipway-bench", "-F", "version=1.0.0",
                    "-F", "filetype=bdist_wheel", "-F", "pyversion=py3",
                    "-F", f"content=@{path};type=application/octet-stream",
                    server.url,
                ]
            return argv, {}
        return [
            os.path.join(self.venv, "bin", "uv"), "publish",
            "--publish-url", server.url,
            "--username", USER,
            "--password", PASSWORD,
            "--no-progress",
            *files,
        ], {"UV_NO_CACHE": "1", "UV_KEYRING_PROVIDER": "disabled"}

    def publish_once(self, client, dist_dir, files, label):
        """One upload of every file in `dist_dir` by `client` to a fresh pypiserver."""
        with PyPIServer(self.venv, self.work) as server:
            argv, env = self._publish_argv(client, server, dist_dir, files)
            sample = self.runner.run(label, argv, env=env, cwd=self.work)
            want = sorted(os.path.basename(f) for f in files)
            if server.files() != want:
                raise RuntimeError(f"{client} left {server.files()} on the index, expected {want}")
        return sample

    def publishing(self, sizes, repeats):
        """Case 1: the release's wheels uploaded by pypi-publish, twine and uv publish; curl's
        bare multipart uploads of the same files show what the server allows at best."""
        dist = self.scratch("dist-")
        files = release_wheels(dist, sizes["wheel_small"], sizes["wheel_count"], sizes["wheel_big"])
        clients = ["slipway", "twine", "uv", "curl"]
        samples = {c: [] for c in clients}
        for i in range(repeats):
            for c in rotate(clients, i):
                self.log(f"publishing: {c}, run {i + 1}/{repeats}")
                samples[c].append(self.publish_once(c, dist, files, f"publish-{c}-{i}"))
        out = {"files": len(files), "bytes": total_size(files)}
        shutil.rmtree(dist, ignore_errors=True)
        for c in clients:
            out[c] = median_of(samples[c])
        out["ratio_wall_slipway_twine"] = out["slipway"]["wall_s"] / out["twine"]["wall_s"]
        out["ratio_wall_slipway_uv"] = out["slipway"]["wall_s"] / out["uv"]["wall_s"]
        return out

    # ---- release assets ------------------------------------------------------------------

    def _draft_release(self, fake, tag, files_glob, label):
        return self.runner.run(
            label,
            [
                self.bin("draft-release"),
                "--version", tag.lstrip("v"),
                "--tag", tag,
                "--files", files_glob,
                "--generate-notes", "false",
                "--target", "main",
                "--repository", REPO,
                "--token", TOKEN,
                "--api-url", fake.api,
            ],
            cwd=self.work,
        )

    def _fetch_assets(self, fake, tag, out_dir, label):
        return self.runner.run(
            label,
            [
                self.bin("fetch-assets"),
                "--tag", tag,
                "--dir", out_dir,
                "--repository", REPO,
                "--token", TOKEN,
                "--api-url", fake.api,
            ],
            cwd=self.work,
        )

    def _curl_upload(self, fake, tag, files, label):
        release = fake.create_draft(tag)
        argv = ["curl"]
        for n, path in enumerate(files):
            if n:
                argv.append("--next")
            argv += [
                "-sS", "--fail", "-o", "/dev/null",
                "-X", "POST",
                "-H", f"Authorization: Bearer {TOKEN}",
                "-H", "Content-Type: application/octet-stream",
                "-H", "Expect:",
                "-T", path,
                fake.upload_url(release, os.path.basename(path)),
            ]
        return self.runner.run(label, argv, cwd=self.work)

    def _curl_download(self, fake, tag, out_dir, label):
        release = fake.release_by_tag(tag)
        argv = ["curl"]
        for n, (asset_id, name, _) in enumerate(fake.assets(release)):
            if n:
                argv.append("--next")
            argv += [
                "-sS", "--fail", "-L",
                "-H", f"Authorization: Bearer {TOKEN}",
                "-H", "Accept: application/octet-stream",
                "-o", os.path.join(out_dir, name),
                fake.asset_url(asset_id),
            ]
        return self.runner.run(label, argv, cwd=self.work)

    def _check_download(self, files, out_dir, who):
        for path in files:
            got = os.path.join(out_dir, os.path.basename(path))
            if not os.path.isfile(got) or os.path.getsize(got) != os.path.getsize(path):
                raise RuntimeError(f"{who} did not download `{os.path.basename(path)}` whole")

    def assets_round(self, files, src_dir, i, label):
        """One repeat on a fresh fake: upload by draft-release and curl, download by fetch-assets and curl."""
        with FakeGitHub(self.fake_bin, self.work) as fake:
            return self.assets_on(fake, files, src_dir, i, label)

    def assets_on(self, fake, files, src_dir, i, label):
        """Upload by draft-release and curl, then download by fetch-assets and curl (into
        tmpfs), on `fake`; returns the samples by (way, who)."""
        samples = {}
        glob = os.path.join(src_dir, "*")
        uploads = {
            "slipway": lambda: self._draft_release(fake, "v1.0.0", glob, f"{label}-up-slipway-{i}"),
            "curl": lambda: self._curl_upload(fake, "v9.0.0", files, f"{label}-up-curl-{i}"),
        }
        for who in rotate(["slipway", "curl"], i):
            self.log(f"{label}: upload by {who}, run {i + 1}")
            samples[("upload", who)] = uploads[who]()
        for who in rotate(["slipway", "curl"], i):
            self.log(f"{label}: download by {who}, run {i + 1}")
            out_dir = fast_scratch(self.work, "download-")
            if who == "slipway":
                s = self._fetch_assets(fake, "v1.0.0", out_dir, f"{label}-down-slipway-{i}")
            else:
                s = self._curl_download(fake, "v9.0.0", out_dir, f"{label}-down-curl-{i}")
            self._check_download(files, out_dir, who)
            shutil.rmtree(out_dir, ignore_errors=True)
            samples[("download", who)] = s
        return samples

    def assets(self, sizes, repeats):
        """Case 2: release assets uploaded and downloaded by slipway and by curl."""
        src = self.scratch("assets-")
        files = asset_files(src, sizes["asset_small"], sizes["asset_count"], sizes["asset_big"])
        runs = [self.assets_round(files, src, i, "assets") for i in range(repeats)]
        out = asset_medians(runs, files)
        shutil.rmtree(src, ignore_errors=True)
        for way in ["upload", "download"]:
            row = out[way]
            row["ratio_throughput_slipway_curl"] = row["slipway"]["mb_per_s"] / row["curl"]["mb_per_s"]
        return out

    # ---- start-up ------------------------------------------------------------------------

    def startup(self, runs):
        """Case 3: wall time of no-op runs and the stripped size of each binary."""
        project = self.scratch("tiny-project-")
        with open(os.path.join(project, "pyproject.toml"), "w", encoding="utf-8") as f:
            f.write('[project]\nname = "tiny"\nversion = "1.2.3"\n')
        cases = [(b, [self.bin(b), "--help"]) for b in self.tools()]
        cases.append(("version-bump --compare-to none",
                      [self.bin("version-bump"), "--path", project, "--compare-to", "none"]))
        cases.append(("baseline: /bin/true", ["/bin/true"]))
        out = {"runs": runs, "commands": {}, "binaries": {}}
        for name, argv in cases:
            samples = [self.runner.run("startup", argv, cwd=project) for _ in range(runs)]
            out["commands"][name] = median_of(samples)
            out["commands"][name].pop("each_wall_s")
        for b in self.tools():
            stripped = os.path.join(self.work, f"{b}.stripped")
            shutil.copyfile(self.bin(b), stripped)
            subprocess.run(["strip", stripped], check=True)
            out["binaries"][b] = {
                "bytes": os.path.getsize(self.bin(b)),
                "stripped_bytes": os.path.getsize(stripped),
            }
            os.unlink(stripped)
        shutil.rmtree(project, ignore_errors=True)
        return out

    # ---- memory growth -------------------------------------------------------------------

    def growth(self, sizes, repeats):
        """Case 4: peak RSS with one file of size N and one of 4 N (publishing, upload, download)."""
        out = {}
        for label, size in [("1x", sizes["growth"]), ("4x", 4 * sizes["growth"])]:
            dist = self.scratch("growth-dist-")
            wheel = write_wheel(dist, "slipway-growth", "py3-none-any", size)
            pub = [self.publish_once("slipway", dist, [wheel], f"growth-publish-{label}-{i}")
                   for i in range(repeats)]
            shutil.rmtree(dist, ignore_errors=True)
            src = self.scratch("growth-assets-")
            files = asset_files(src, 0, 0, size)
            runs = [self.assets_round(files, src, i, f"growth-{label}") for i in range(repeats)]
            shutil.rmtree(src, ignore_errors=True)
            out[label] = {
                "bytes": size,
                "publish": median_of(pub),
                "upload": median_of([r[("upload", "slipway")] for r in runs]),
                "download": median_of([r[("download", "slipway")] for r in runs]),
                "curl_upload": median_of([r[("upload", "curl")] for r in runs]),
                "curl_download": median_of([r[("download", "curl")] for r in runs]),
            }
            self.log(f"growth {label}: done")
        for way in ["publish", "upload", "download"]:
            out[f"ratio_rss_{way}_4x_1x"] = (
                out["4x"][way]["peak_rss_mib"] / out["1x"][way]["peak_rss_mib"]
            )
        return out
