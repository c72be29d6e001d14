"""The markdown table and the targets of issues 7 and 17, judged from one run's figures."""

RSS_LIMIT_MIB = 64
GROWTH_LIMIT = 1.10
STARTUP_LIMIT_MS = 10
BINARY_LIMIT_BYTES = 10 * 1000 * 1000


def _target(name, value, limit, ok, judged, unit=""):
    return {
        "target": name,
        "value": round(value, 4),
        "limit": limit,
        "unit": unit,
        "met": bool(ok) if judged else None,
    }


def judge(r, judged):
    """Each target of issue 7 with its figure and whether it holds (None when not judged)."""
    t = []
    p = r.get("publishing")
    if p:
        t.append(_target("publishing wall time / twine", p["ratio_wall_slipway_twine"], 0.5,
                         p["ratio_wall_slipway_twine"] <= 0.5, judged, "x"))
        t.append(_target("publishing wall time / uv publish", p["ratio_wall_slipway_uv"], 1.0,
                         p["ratio_wall_slipway_uv"] <= 1.0, judged, "x"))
        rss = p["slipway"]["max_peak_rss_mib"]
        t.append(_target("publishing peak RSS", rss, RSS_LIMIT_MIB, rss <= RSS_LIMIT_MIB, judged, "MiB"))
    a = r.get("assets")
    if a:
        for way in ["upload", "download"]:
            ratio = a[way]["ratio_throughput_slipway_curl"]
            t.append(_target(f"asset {way} throughput / curl", ratio, 0.7, ratio >= 0.7, judged, "x"))
            rss = a[way]["slipway"]["max_peak_rss_mib"]
            t.append(_target(f"asset {way} peak RSS", rss, RSS_LIMIT_MIB, rss <= RSS_LIMIT_MIB,
                             judged, "MiB"))
    w = r.get("wan")
    if w:
        p = w["publishing"]
        for peer, limit in [("twine", 0.4), ("uv", 0.5)]:
            ratio = p[f"ratio_wall_slipway_{peer}"]
            t.append(_target(f"WAN publishing wall time / {peer}", ratio, limit, ratio <= limit,
                             judged, "x"))
        for way, tool in [("upload", "draft-release"), ("download", "fetch-assets")]:
            ratio = w["assets"][way]["ratio_wall_slipway_curl"]
            t.append(_target(f"WAN {tool} wall time / sequential curl", ratio, 0.5, ratio <= 0.5,
                             judged, "x"))
        for what, m in [("publishing", p["slipway"]), ("upload", w["assets"]["upload"]["slipway"]),
                        ("download", w["assets"]["download"]["slipway"])]:
            rss = m["max_peak_rss_mib"]
            t.append(_target(f"WAN {what} peak RSS", rss, RSS_LIMIT_MIB, rss <= RSS_LIMIT_MIB,
                             judged, "MiB"))
    g = r.get("growth")
    if g:
        for way in ["publish", "upload", "download"]:
            ratio = g[f"ratio_rss_{way}_4x_1x"]
            t.append(_target(f"{way} peak RSS, 4x file / 1x file", ratio, GROWTH_LIMIT,
                             ratio <= GROWTH_LIMIT, judged, "x"))
            rss = g["4x"][way]["max_peak_rss_mib"]
            t.append(_target(f"{way} peak RSS, 4x file", rss, RSS_LIMIT_MIB, rss <= RSS_LIMIT_MIB,
                             judged, "MiB"))
    s = r.get("startup")
    if s:
        for name, m in s["commands"].items():
            if name.startswith("baseline"):
                continue
            ms = m["wall_s"] * 1000
            t.append(_target(f"start-up `{name}`", ms, STARTUP_LIMIT_MS, ms <= STARTUP_LIMIT_MS,
                             judged, "ms"))
        for name, b in s["binaries"].items():
            size = b["stripped_bytes"]
            t.append(_target(f"stripped size `{name}`", size / 1e6, BINARY_LIMIT_BYTES / 1e6,
                             size <= BINARY_LIMIT_BYTES, judged, "MB"))
    return t


def _f(x, digits=2):
    return f"{x:.{digits}f}"


def _client_rows(rows, what, data, clients, extra=None):
    for c in clients:
        m = data[c]
        spread = f" ±{m['spread'] * 50:.0f}%" if m.get("spread") else ""
        cells = [what, c, _f(m["wall_s"], 3) + spread, _f(m["cpu_s"], 3), _f(m["peak_rss_mib"], 1)]
        cells.append(_f(m["mb_per_s"], 0) if "mb_per_s" in m else "")
        cells.append(extra(c) if extra else "")
        rows.append("| " + " | ".join(cells) + " |")


def table(r):
    """The results as markdown: one row per client and case, then the targets."""
    mib = 1024 * 1024
    lines = [f"## slipway benchmark ({r['mode']} mode, {r['machine']['cpus']} CPUs; "
             f"medians; launcher RSS floor {r['baseline_rss_kib'] / 1024:.1f} MiB)", ""]
    lines += ["| case | client | wall s (± half the spread) | CPU s | peak RSS MiB | MB/s | ratio |",
              "|---|---|---|---|---|---|---|"]
    p = r.get("publishing")
    if p:
        what = f"publish {p['files']} wheels, {p['bytes'] / 1e6:.0f} MB ({p['slipway']['runs']} runs)"
        ratios = {"slipway": f"{p['ratio_wall_slipway_twine']:.2f}x twine, "
                             f"{p['ratio_wall_slipway_uv']:.2f}x uv"}
        ratios["curl"] = "floor: bare multipart, nothing checked"
        clients = [c for c in ["slipway", "twine", "uv", "curl"] if c in p]
        _client_rows(lines, what, p, clients, lambda c: ratios.get(c, ""))
    a = r.get("assets")
    if a:
        for way in ["upload", "download"]:
            d = a[way]
            what = f"asset {way} {a['files']} files, {a['bytes'] / 1e6:.0f} MB ({d['slipway']['runs']} runs)"
            ratio = f"{d['ratio_throughput_slipway_curl']:.2f}x curl"
            _client_rows(lines, what, d, ["slipway", "curl"],
                         lambda c, ratio=ratio: ratio if c == "slipway" else "")
    w = r.get("wan")
    if w:
        link = f"{w['link']['mb_per_s_per_connection']:.0f} MB/s, {w['link']['rtt_ms']:.0f} ms"
        p = w["publishing"]
        what = (f"WAN ({link}): publish {p['files']} wheels, {p['bytes'] / 1e6:.0f} MB "
                f"({p['slipway']['runs']} runs)")
        ratios = {"slipway": f"{p['ratio_wall_slipway_twine']:.2f}x twine, "
                             f"{p['ratio_wall_slipway_uv']:.2f}x uv, "
                             f"{p['ratio_wall_slipway_curl']:.2f}x curl, "
                             f"{p['ratio_wall_slipway_curl-4']:.2f}x curl-4"}
        ratios["curl"] = "one file after another"
        ratios["curl-4"] = "4 at once: the server's parallel floor"
        _client_rows(lines, what, p, ["slipway", "twine", "uv", "curl", "curl-4"],
                     lambda c: ratios.get(c, ""))
        for way in ["upload", "download"]:
            d = w["assets"][way]
            what = (f"WAN ({link}): asset {way} {w['assets']['files']} files, "
                    f"{w['assets']['bytes'] / 1e6:.0f} MB ({d['slipway']['runs']} runs)")
            ratio = f"{d['ratio_wall_slipway_curl']:.2f}x curl's time"
            _client_rows(lines, what, d, ["slipway", "curl"],
                         lambda c, ratio=ratio: ratio if c == "slipway" else "")
    g = r.get("growth")
    if g:
        for label in ["1x", "4x"]:
            size = f"{g[label]['bytes'] / mib:.0f} MiB" if g[label]["bytes"] >= mib else \
                f"{g[label]['bytes'] / 1e6:.1f} MB"
            for way, peer in [("publish", None), ("upload", "curl_upload"), ("download", "curl_download")]:
                data = {"slipway": g[label][way]}
                if peer:
                    data["curl"] = g[label][peer]
                for m in data.values():
                    m["mb_per_s"] = g[label]["bytes"] / 1e6 / m["wall_s"]
                extra = None
                if label == "4x":
                    ratio = f"RSS {g[f'ratio_rss_{way}_4x_1x']:.2f}x the 1x file"
                    extra = lambda c, ratio=ratio: ratio if c == "slipway" else ""  # noqa: E731
                _client_rows(lines, f"one {size} file, {way}", data, list(data), extra)
    s = r.get("startup")
    if s:
        lines += ["", f"Start-up (median of {s['runs']} runs) and binary sizes:", "",
                  "| command | wall ms | peak RSS MiB |", "|---|---|---|"]
        for name, m in s["commands"].items():
            lines.append(f"| `{name}` | {m['wall_s'] * 1000:.2f} | {m['peak_rss_mib']:.1f} |")
        lines += ["", "| binary | size MB | stripped MB |", "|---|---|---|"]
        for name, b in s["binaries"].items():
            lines.append(f"| `{name}` | {b['bytes'] / 1e6:.2f} | {b['stripped_bytes'] / 1e6:.2f} |")
    lines += ["", "Targets (issues 7 and 17):", "", "| target | value | limit | met |", "|---|---|---|---|"]
    for t in r["targets"]:
        met = {True: "yes", False: "**no**", None: "not judged (tiny)"}[t["met"]]
        lines.append(f"| {t['target']} | {t['value']} {t['unit']} | {t['limit']} {t['unit']} | {met} |")
    return "\n".join(lines)
