"""slipway's benchmark: publishing vs twine and uv, release assets vs curl, start-up, memory,
and the same over a throttled network (the WAN case: bench/wan.py).

Started by `bench/run`, which builds what it needs first. Prints a markdown table and writes the
figures as JSON. With --tiny the sizes are divided by about 100 and runs are fewer: the command
is exercised, the figures are recorded, and no target is judged.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The servers module is shared with the local pipeline (scripts/demo).
sys.path.insert(1, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))

from cases import Bench  # noqa: E402
from wan import Wan  # noqa: E402
from measure import Runner  # noqa: E402
from report import judge, table  # noqa: E402

MB = 1_000_000
MIB = 1024 * 1024

FULL = {
    "wheel_small": 2 * MB, "wheel_count": 20, "wheel_big": 256 * MB,
    "asset_small": 8 * MB, "asset_count": 30, "asset_big": 512 * MB,
    # 4 x 240 MiB stays under waitress's 1 GiB request limit (pypiserver's HTTP server).
    "growth": 240 * MIB,
    "repeats": 5, "big_repeats": 3, "asset_repeats": 7, "startup_runs": 50,
    # The WAN case: 40 wheels/assets of 10 MB over 25 MB/s and 40 ms per connection.
    "wan_count": 40, "wan_size": 10 * MB, "wan_rate": 25 * MB, "wan_rtt": 0.040, "wan_repeats": 3,
}
TINY = {
    "wheel_small": 20_000, "wheel_count": 20, "wheel_big": 2_560_000,
    "asset_small": 80_000, "asset_count": 30, "asset_big": 5_120_000,
    "growth": 2_560_000,
    "repeats": 1, "big_repeats": 1, "asset_repeats": 1, "startup_runs": 5,
    "wan_count": 8, "wan_size": 100_000, "wan_rate": 25 * MB, "wan_rtt": 0.040, "wan_repeats": 1,
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    p.add_argument("--tiny", action="store_true", help="sizes divided by ~100, fewer runs, nothing judged")
    p.add_argument("--out", default=None, help="where the JSON goes (default: bench/results.json)")
    p.add_argument("--only", default="publishing,assets,startup,growth,wan",
                   help="comma-separated cases to run (default: all)")
    p.add_argument("--repeats", type=int, default=None, help="runs per client for the small-file cases")
    p.add_argument("--bindir", required=True, help="directory of the static release binaries")
    p.add_argument("--fake", required=True, help="the slipway-fake-github binary")
    p.add_argument("--launcher", required=True, help="the rusage launcher")
    p.add_argument("--venv", required=True, help="the virtualenv holding pypiserver, twine and uv")
    p.add_argument("--work", required=True, help="scratch directory (emptied first)")
    return p.parse_args(argv)


def machine():
    """What the figures were measured on."""
    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def main(argv):
    args = parse_args(argv)
    sizes = dict(TINY if args.tiny else FULL)
    if args.repeats:
        sizes["repeats"] = args.repeats
    only = set(args.only.split(","))
    out_path = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    logs = tempfile.mkdtemp(prefix="logs-", dir=args.work)
    started = time.monotonic()

    def log(message):
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    runner = Runner(args.launcher, logs)
    bench = Bench(runner, args.bindir, args.fake, args.venv, args.work, log)
    results = {
        "mode": "tiny" if args.tiny else "full",
        "machine": machine(),
        "sizes": sizes,
        "baseline_rss_kib": runner.run("baseline", ["/bin/true"]).maxrss_kib,
    }

    def save():
        results["targets"] = judge(results, judged=not args.tiny)
        results["elapsed_s"] = time.monotonic() - started
        os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
        with open(out_path, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")

    cases = [
        ("startup", lambda: bench.startup(sizes["startup_runs"])),
        ("publishing", lambda: bench.publishing(sizes, sizes["repeats"])),
        ("assets", lambda: bench.assets(sizes, sizes["asset_repeats"])),
        ("growth", lambda: bench.growth(sizes, sizes["big_repeats"])),
        ("wan", lambda: Wan(bench, sizes["wan_rate"], sizes["wan_rtt"]).run(sizes, sizes["wan_repeats"])),
    ]
    for name, case in cases:
        if name in only:
            log(name)
            results[name] = case()
            save()  # a case that fails later leaves the earlier figures on disk
    save()
    print(table(results))
    log(f"wrote {out_path}")
    shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
