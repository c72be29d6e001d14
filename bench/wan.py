"""The WAN case: many files over a throttled network, where users actually wait.

Every client talks to its server through `throttle.Throttle` (a bandwidth cap and a round-trip
delay per TCP connection, on loopback). Publishing: `count` wheels of `size` bytes by pypi-publish,
twine, uv publish, curl (one file after another, the sequential floor) and four curls at once
(the server's parallel floor) to a fresh pypiserver.
Release assets: the same number of files uploaded by draft-release and curl, and downloaded by
fetch-assets and curl, against the fake GitHub whose answers point at the proxy (so uploads,
API calls and the storage redirect all cross it). Downloads land in tmpfs so the disk's page
cache does not decide the figure. Same rotating-order repeats as the other cases.
"""

import os
import shlex
import shutil

from cases import asset_medians, rotate
from measure import median_of
from servers import PyPIServer, FakeGitHub
from throttle import Throttle
from wheels import asset_files, many_wheels, total_size


class _Behind:
    """pypiserver as its clients see it through the proxy."""

    def __init__(self, server, port):
        self.url = f"http://127.0.0.1:{port}/"
        self.simple = f"{self.url}simple/"
        self.server = server


def _port(url):
    return int(url.rstrip("/").rsplit(":", 1)[1].split("/")[0])


def _parallel_curl(bench, server, dist, files, n):
    """The parallel floor: `n` curl processes at once, each uploading its share of the files
    one after another (bare multipart POSTs, nothing checked), under one shell the launcher
    measures."""
    shares = [files[k::n] for k in range(n)]
    commands = []
    for share in shares:
        argv, _ = bench._publish_argv("curl", server, dist, share)
        commands.append(" ".join(shlex.quote(a) for a in argv) + ' & pids="$pids $!"')
    script = "\n".join(commands) + '\nfor p in $pids; do wait "$p" || exit 1; done\n'
    return ["/bin/sh", "-c", script]


class Wan:
    """The WAN case on top of a `cases.Bench` (its runner, binaries and argv builders)."""

    def __init__(self, bench, rate, rtt):
        self.bench = bench
        self.rate = rate
        self.rtt = rtt

    def _publish_once(self, client, dist, files, label):
        b = self.bench
        with Throttle(self.rate, self.rtt) as proxy, PyPIServer(b.venv, b.work) as server:
            port = proxy.listen()
            proxy.forward(port, _port(server.url))
            behind = _Behind(server, port)
            if client == "curl-4":
                argv, env = _parallel_curl(b, behind, dist, files, 4), {}
            else:
                argv, env = b._publish_argv(client, behind, dist, files)
            sample = b.runner.run(label, argv, env=env, cwd=b.work)
            want = sorted(os.path.basename(f) for f in files)
            if server.files() != want:
                raise RuntimeError(f"{client} left {server.files()} on the index, expected {want}")
            sample.connections = proxy.connections
        return sample

    def publishing(self, sizes, repeats):
        """`wan_count` wheels of `wan_size` published by each client through the proxy."""
        b = self.bench
        dist = b.scratch("wan-dist-")
        files = many_wheels(dist, sizes["wan_count"], sizes["wan_size"])
        clients = ["slipway", "twine", "uv", "curl", "curl-4"]
        samples = {c: [] for c in clients}
        connections = {}
        for i in range(repeats):
            for c in rotate(clients, i):
                b.log(f"wan publishing: {c}, run {i + 1}/{repeats}")
                s = self._publish_once(c, dist, files, f"wan-publish-{c}-{i}")
                samples[c].append(s)
                connections[c] = s.connections
        out = {"files": len(files), "bytes": total_size(files)}
        shutil.rmtree(dist, ignore_errors=True)
        for c in clients:
            out[c] = median_of(samples[c])
            out[c]["connections"] = connections[c]
            out[c]["mb_per_s"] = out["bytes"] / 1e6 / out[c]["wall_s"]
        for peer in ["twine", "uv", "curl", "curl-4"]:
            out[f"ratio_wall_slipway_{peer}"] = out["slipway"]["wall_s"] / out[peer]["wall_s"]
        return out

    def _assets_round(self, files, src_dir, i):
        b = self.bench
        with Throttle(self.rate, self.rtt) as proxy:
            ports = [proxy.listen() for _ in range(3)]
            public = [f"http://127.0.0.1:{p}" for p in ports]
            with FakeGitHub(b.fake_bin, b.work, public_urls=public) as fake:
                for port, bound in zip(ports, fake.bound):
                    proxy.forward(port, _port(bound))
                return b.assets_on(fake, files, src_dir, i, "wan-assets")

    def assets(self, sizes, repeats):
        """`wan_count` files of `wan_size` uploaded and downloaded through the proxy."""
        b = self.bench
        src = b.scratch("wan-assets-")
        files = asset_files(src, sizes["wan_size"], sizes["wan_count"] - 1, sizes["wan_size"])
        runs = [self._assets_round(files, src, i) for i in range(repeats)]
        out = asset_medians(runs, files)
        shutil.rmtree(src, ignore_errors=True)
        for way in ["upload", "download"]:
            row = out[way]
            row["ratio_wall_slipway_curl"] = row["slipway"]["wall_s"] / row["curl"]["wall_s"]
        return out

    def run(self, sizes, repeats):
        """Both WAN cases, with the link they ran over."""
        return {
            "link": {"mb_per_s_per_connection": self.rate / 1e6, "rtt_ms": self.rtt * 1000},
            "publishing": self.publishing(sizes, repeats),
            "assets": self.assets(sizes, repeats),
        }
