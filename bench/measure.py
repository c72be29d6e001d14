"""Running one client process and measuring it: wall time, CPU time and peak RSS.

Every measured process is started through the small `rusage` launcher (bench/rusage.c), which
forks it, waits for it with wait4 and writes one JSON line. A child forked straight from this
Python process would report Python's own RSS as its floor (Linux keeps the high-water mark across
exec); from the launcher the floor is about 1 MiB, recorded as `baseline_rss_kib`.
"""

import json
import os
import statistics
import subprocess
import tempfile
from dataclasses import dataclass


class CommandFailed(Exception):
    """A measured command exited with a non-zero status; carries its log tail."""


@dataclass
class Sample:
    """One measured run of a client process."""

    wall_s: float
    cpu_s: float
    maxrss_kib: int


class Runner:
    """Starts commands through the `rusage` launcher, with a clean environment."""

    def __init__(self, launcher, log_dir):
        self.launcher = launcher
        self.log_dir = log_dir
        self.base_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
        }

    def run(self, label, argv, env=None, cwd=None, check=True):
        """Runs `argv` once and returns its Sample; raises CommandFailed on a non-zero exit."""
        full_env = dict(self.base_env)
        full_env.update(env or {})
        fd, result = tempfile.mkstemp(prefix="rusage-", suffix=".json", dir=self.log_dir)
        os.close(fd)
        log = os.path.join(self.log_dir, f"{label}.log")
        with open(log, "wb") as out:
            proc = subprocess.run(
                [self.launcher, result, *argv],
                env=full_env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        try:
            with open(result, encoding="utf-8") as f:
                data = json.loads(f.read() or "{}")
        finally:
            os.unlink(result)
        if check and (proc.returncode != 0 or data.get("exit", 1) != 0):
            with open(log, encoding="utf-8", errors="replace") as f:
                tail = f.read()[-3000:]
            raise CommandFailed(f"`{label}` exited with {proc.returncode}:\n{tail}")
        return Sample(data["wall_s"], data["cpu_s"], data["maxrss_kib"])


def median_of(samples):
    """The median wall time, CPU time and peak RSS of several runs, plus each run's figures."""
    return {
        "runs": len(samples),
        "wall_s": statistics.median(s.wall_s for s in samples),
        "cpu_s": statistics.median(s.cpu_s for s in samples),
        "peak_rss_mib": statistics.median(s.maxrss_kib for s in samples) / 1024,
        "max_peak_rss_mib": max(s.maxrss_kib for s in samples) / 1024,
        "each_wall_s": [round(s.wall_s, 4) for s in samples],
        # (slowest - fastest) / median: how far one run can be from the figure kept.
        "spread": (max(s.wall_s for s in samples) - min(s.wall_s for s in samples))
        / statistics.median(s.wall_s for s in samples),
    }
