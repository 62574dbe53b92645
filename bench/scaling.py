#!/usr/bin/env python3
"""Renders bench/scaling's raw results as SVG plots and a Markdown table file.

Usage: python3 bench/scaling.py RAW_DIR OUT_DIR [--smoke]

Reads RAW_DIR/{records,callers,plugins}-<pairing>-<x>.json (go-interop/cmd/dispatcher-bench or
bench/benches/dispatcher.rs) and RAW_DIR/meta.txt; writes OUT_DIR/*.svg and OUT_DIR/tables.md.
The SVG is written directly (no plotting package): log axes with decade ticks where apt.
"""
import glob
import json
import math
import os
import re
import sys

PAIRINGS = [("rr", "Rust host ↔ Rust plugin", "#d62728"),
            ("gg-gmp1", "Go ↔ Go, GOMAXPROCS=1", "#1f77b4"),
            ("gg-gmpdef", "Go ↔ Go, GOMAXPROCS default", "#17becf")]


def load(raw, kind):
    """{pairing: {x: result}}"""
    out = {}
    for p in glob.glob(os.path.join(raw, f"{kind}-*.json")):
        m = re.match(rf"{kind}-(.+)-(\d+)\.json$", os.path.basename(p))
        if not m:
            continue
        try:
            with open(p) as f:
                r = json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError) as e:
            r = {"ok": False, "error": str(e)}
        out.setdefault(m.group(1), {})[int(m.group(2))] = r
    return out


def val(r, key):
    if not r or r.get("ok", True) is False:
        return None
    v = r.get(key)
    return v if isinstance(v, (int, float)) and v > 0 else None


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice(v):
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def svg_plot(path, title, xlabel, ylabel, series, logx=True, logy=True, note=""):
    """series: [(label, color, [(x, y), ...])]; points with y None are skipped; note: a red
    line under the title (the smoke label)."""
    W, H, L, R, T, B = 720, 440, 80, 230, 52, 55
    pts = [(x, y) for _, _, s in series for x, y in s if y is not None]
    if not pts:
        pts = [(1, 1), (10, 10)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]

    def rng(vals, log):
        lo, hi = min(vals), max(vals)
        if log:
            lo, hi = 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))
            if lo == hi:
                hi = lo * 10
        else:
            lo = 0
            hi = hi * 1.1 if hi > 0 else 1
        return lo, hi

    x0, x1 = rng(xs, logx)
    y0, y1 = rng(ys, logy)

    def sx(x):
        f = (math.log10(x) - math.log10(x0)) / (math.log10(x1) - math.log10(x0)) if logx else (x - x0) / (x1 - x0)
        return L + f * (W - L - R)

    def sy(y):
        f = (math.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)) if logy else (y - y0) / (y1 - y0)
        return H - B - f * (H - T - B)

    def ticks(lo, hi, log):
        if log:
            return [10 ** e for e in range(round(math.log10(lo)), round(math.log10(hi)) + 1)]
        step = 10 ** math.floor(math.log10(hi / 5)) if hi > 0 else 1
        for m in (1, 2, 5, 10):
            if hi / (step * m) <= 6:
                step *= m
                break
        return [i * step for i in range(int(hi / step) + 1)]

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{L}" y="20" font-size="14" font-weight="bold">{esc(title)}</text>']
    if note:
        o.append(f'<text x="{L}" y="38" font-size="12" fill="#c00">{esc(note)}</text>')
    for t in ticks(x0, x1, logx):
        if x0 <= t <= x1:
            X = sx(t)
            o.append(f'<line x1="{X:.1f}" y1="{T}" x2="{X:.1f}" y2="{H - B}" stroke="#ddd"/>')
            o.append(f'<text x="{X:.1f}" y="{H - B + 16}" text-anchor="middle">{nice(t)}</text>')
    for t in ticks(y0, y1, logy):
        if y0 <= t <= y1:
            Y = sy(t)
            o.append(f'<line x1="{L}" y1="{Y:.1f}" x2="{W - R}" y2="{Y:.1f}" stroke="#ddd"/>')
            o.append(f'<text x="{L - 6}" y="{Y + 4:.1f}" text-anchor="end">{nice(t)}</text>')
    o.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#333"/>')
    o.append(f'<text x="{(L + W - R) / 2:.0f}" y="{H - 12}" text-anchor="middle">{esc(xlabel)}'
             f'{" (log)" if logx else ""}</text>')
    o.append(f'<text transform="translate(16,{(T + H - B) / 2:.0f}) rotate(-90)" text-anchor="middle">'
             f'{esc(ylabel)}{" (log)" if logy else ""}</text>')
    for i, (label, color, s) in enumerate(series):
        good = [(x, y) for x, y in s if y is not None]
        if len(good) > 1:
            d = " ".join(f"{'M' if j == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for j, (x, y) in enumerate(good))
            o.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in good:
            o.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{color}"/>')
        ly = T + 10 + i * 20
        o.append(f'<line x1="{W - R + 12}" y1="{ly}" x2="{W - R + 36}" y2="{ly}" stroke="{color}" stroke-width="2"/>')
        o.append(f'<text x="{W - R + 42}" y="{ly + 4}">{esc(label)}</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def fmt(v, digits=1):
    if v is None:
        return "–"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.{digits}f}"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])


def errors(*datasets):
    out = []
    for name, data in datasets:
        for pairing, pts in sorted(data.items()):
            for x, r in sorted(pts.items()):
                if r.get("ok", True) is False:
                    out.append(f"- {name} {pairing} at {x:,}: {r.get('error', '?')[:200]}")
    return out


def growth(data, key, min_x=100):
    """Cost per unit at the largest x divided by cost per unit at the smallest x ≥ min_x
    (for records, below 100 fixed per-call costs dominate): ≤ ~1 means no worse than linear."""
    pts = sorted((x, val(r, key)) for x, r in data.items() if val(r, key) is not None and x >= min_x)
    if len(pts) < 2:
        return None
    (xa, ya), (xb, yb) = pts[0], pts[-1]
    return (yb / xb) / (ya / xa)


def main():
    raw, out = sys.argv[1], sys.argv[2]
    smoke = "--smoke" in sys.argv[3:]
    note = "SMOKE figures (bench/scaling --quick on a shared machine): not results" if smoke else ""
    os.makedirs(out, exist_ok=True)
    rec, cal, plu = load(raw, "records"), load(raw, "callers"), load(raw, "plugins")

    def series(data, key, scale=1.0):
        return [(label, color, [(x, (val(r, key) or 0) * scale or None)
                                for x, r in sorted(data.get(pid, {}).items())])
                for pid, label, color in PAIRINGS]

    svg_plot(os.path.join(out, "records-entity.svg"), "Entity reply of N records, sequential p50",
             "records in the reply", "µs per call", series(rec, "seq_p50_us"), note=note)
    svg_plot(os.path.join(out, "records-submit.svg"), "Submit of N records (median)",
             "records submitted", "ms per call", series(rec, "bulk_ms_median"), note=note)
    svg_plot(os.path.join(out, "records-rss.svg"), "Plugin peak RSS after the Submits (keeps all)",
             "records per Submit", "MiB", series(rec, "plugin_rss_peak_kb", 1 / 1024), note=note)
    svg_plot(os.path.join(out, "callers.svg"), "Entity (10 records) calls/s by concurrent callers",
             "callers on one plugin", "calls/s", series(cal, "conc_calls_per_sec"), logy=False, note=note)
    svg_plot(os.path.join(out, "plugins-launch.svg"), "Launch N plugins concurrently (to first reply)",
             "plugins per host", "ms to launch all", series(plu, "launch_all_ms"), note=note)
    svg_plot(os.path.join(out, "plugins-calls.svg"), "Entity calls/s across N plugins (one caller each)",
             "plugins per host", "calls/s", series(plu, "plugins_calls_per_sec"), logy=False, note=note)
    svg_plot(os.path.join(out, "plugins-rss.svg"), "Total RSS (host + plugins) per plugin",
             "plugins per host", "MiB per plugin", series(plu, "total_rss_per_plugin_kb", 1 / 1024), note=note)

    lines = []
    try:
        with open(os.path.join(raw, "meta.txt")) as f:
            lines += [f.read().rstrip(), ""]
    except OSError:
        pass
    if smoke:
        lines += ["**SMOKE FIGURES** (`bash bench/scaling --quick` on a shared, loaded machine): they show the "
                  "command works, not how fast anything is.", ""]
    errs = errors(("records", rec), ("callers", cal), ("plugins", plu))
    if errs:
        lines += ["Errors (points left out):", ""] + errs + [""]
    names = {pid: label for pid, label, _ in PAIRINGS}

    lines += ["### Records per call (plugins keep every record)", ""]
    rows = []
    for pid, label, _ in PAIRINGS:
        for x, r in sorted(rec.get(pid, {}).items()):
            rows.append([label, f"{x:,}", fmt(val(r, "entity_reply_bytes") and val(r, "entity_reply_bytes") / 1e3),
                         fmt(val(r, "seq_p50_us")), fmt(val(r, "seq_cpu_us_per_call_host")),
                         fmt(val(r, "seq_cpu_us_per_call_plugin")), fmt(val(r, "bulk_ms_median"), 2),
                         fmt(val(r, "bulk_mb_per_sec")), fmt((val(r, "plugin_rss_peak_kb") or 0) / 1024 or None)])
    lines += [table(["pairing", "records", "reply kB (Go host only)", "Entity p50 µs", "CPU µs/call host",
                     "CPU µs/call plugin", "Submit ms", "Submit MB/s", "plugin peak RSS MiB"], rows), ""]
    lines += ["### Concurrent callers on one plugin (Entity, 10 records)", ""]
    rows = []
    for pid, label, _ in PAIRINGS:
        for x, r in sorted(cal.get(pid, {}).items()):
            rows.append([label, f"{x:,}", fmt(val(r, "conc_calls_per_sec"), 0), fmt(val(r, "conc_p50_us")),
                         fmt(val(r, "conc_p99_us")), fmt(val(r, "conc_cpu_us_per_call_host")),
                         fmt(val(r, "conc_cpu_us_per_call_plugin"))])
    lines += [table(["pairing", "callers", "calls/s", "p50 µs", "p99 µs", "CPU µs/call host",
                     "CPU µs/call plugin"], rows), ""]
    lines += ["### Plugins per host (launched concurrently, one caller each, then killed)", ""]
    rows = []
    for pid, label, _ in PAIRINGS:
        for x, r in sorted(plu.get(pid, {}).items()):
            rows.append([label, f"{x:,}", fmt(val(r, "launch_all_ms")), fmt(val(r, "plugins_calls_per_sec"), 0),
                         fmt((val(r, "host_rss_kb") or 0) / 1024 or None),
                         fmt((val(r, "plugin_rss_total_kb") or 0) / 1024 or None),
                         fmt((val(r, "total_rss_per_plugin_kb") or 0) / 1024 or None), fmt(val(r, "kill_all_ms"))])
    lines += [table(["pairing", "plugins", "launch all ms", "calls/s across all", "host RSS MiB",
                     "plugins' RSS MiB (sum)", "total RSS MiB per plugin", "kill all ms"], rows), ""]

    lines += ["### Growth checks (issue 18: no worse than linear; calls/s must not fall past saturation)", ""]
    rows = []
    for pid, label, _ in PAIRINGS:
        e = growth(rec.get(pid, {}), "seq_p50_us")
        s = growth(rec.get(pid, {}), "bulk_ms_median")
        pl = growth(plu.get(pid, {}), "launch_all_ms", 1)
        cs = [(x, val(r, "conc_calls_per_sec")) for x, r in sorted(cal.get(pid, {}).items())]
        cs = [(x, v) for x, v in cs if v is not None]
        fall = None
        if cs:
            peak = max(v for _, v in cs)
            fall = cs[-1][1] / peak
        rows.append([label, fmt(e, 2) + "×", fmt(s, 2) + "×", fmt(pl, 2) + "×",
                     fmt(fall, 2) + "×" if fall is not None else "–"])
    lines += [table(["pairing", "Entity µs per record, largest vs 100 records", "Submit ms per record, largest vs 100",
                     "launch ms per plugin, most vs 1 plugin",
                     "calls/s at the most callers vs the peak"], rows), "",
              "A per-unit ratio ≤ about 1× is linear or better; above it cost grows faster than the work. "
              "The callers column is ≥ about 0.9× when throughput holds past saturation.", ""]
    with open(os.path.join(out, "tables.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
