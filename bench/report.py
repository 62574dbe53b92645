#!/usr/bin/env python3
"""Prints the table of bench/run from its raw results directory (medians over runs, ratios).

Usage: python3 bench/report.py RESULTS_DIR

Files read (written by bench/run): disp-<host>-<plugin>-<run>.json (go-interop/cmd/dispatcher-bench
or bench/benches/dispatcher.rs), disp-mtls-<host>-<plugin>-<run>.json (the same with AutoMTLS), crates-<run>.jsonl (bench/benches/crates.rs),
floor-<run>-<a,b,c>.json (go-interop/cmd/sockfloor -echo-process, three per run; the floor is
their median), workfloor-<run>.json (the same with -work 25us: a diagnostic), meta.txt,
rust_fake_dispatcher.
"""
import glob
import json
import os
import statistics
import sys

PENDING = "pending: Rust fake dispatcher"


def load_json(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        return {"ok": False, "error": f"{os.path.basename(path)}: {e}"}


def med(results, key):
    vals = [r[key] for r in results if r.get("ok", True) and isinstance(r.get(key), (int, float))]
    return statistics.median(vals) if vals else None


def errors(results):
    return [r.get("error", "?") for r in results if r.get("ok", True) is False]


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}×"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def main():
    d = sys.argv[1]
    rust_fake = ""
    try:
        with open(os.path.join(d, "rust_fake_dispatcher")) as f:
            rust_fake = f.read().strip()
    except OSError:
        pass

    disp = {}
    for host in ("go", "rust"):
        for plugin in ("go", "rust"):
            files = sorted(glob.glob(os.path.join(d, f"disp-{host}-{plugin}-*.json")))
            disp[(host, plugin)] = [load_json(p) for p in files]
    mtls = {}
    for host in ("go", "rust"):
        for plugin in ("go", "rust"):
            files = sorted(glob.glob(os.path.join(d, f"disp-mtls-{host}-{plugin}-*.json")))
            mtls[(host, plugin)] = [load_json(p) for p in files]
    crates = {}
    for p in sorted(glob.glob(os.path.join(d, "crates-*.jsonl"))):
        with open(p) as f:
            for line in f:
                line = line.strip()
                if line:
                    r = json.loads(line)
                    crates.setdefault(r.get("row", "?"), []).append(r)
    floor = [load_json(p) for p in sorted(glob.glob(os.path.join(d, "floor-*.json")))]
    floor_p50 = med(floor, "p50_us")
    workfloor = [load_json(p) for p in sorted(glob.glob(os.path.join(d, "workfloor-*.json")))]
    workfloor_p50 = med(workfloor, "p50_us")

    try:
        with open(os.path.join(d, "meta.txt")) as f:
            print(f.read().rstrip())
    except OSError:
        pass
    print()

    names = {("go", "go"): "Go host ↔ Go plugin", ("rust", "go"): "Rust host → Go plugin",
             ("go", "rust"): "Go host → Rust plugin", ("rust", "rust"): "Rust host ↔ Rust plugin"}
    gg = disp[("go", "go")]
    gg_p50, gg_c64, gg_bulk = med(gg, "seq_p50_us"), med(gg, "conc_calls_per_sec"), med(gg, "bulk_mb_per_sec")
    gg_bulk_ms = med(gg, "bulk_ms_median")

    def pending(key):
        return key[1] == "rust" and not rust_fake

    print("### Dispatcher `Plugin.Entity`, entity of 10 records (medians)")
    print()
    rows = []
    for key, name in names.items():
        rs = disp[key]
        if pending(key):
            rows.append([name, PENDING] + [""] * 7)
            continue
        if not any(r.get("ok") for r in rs):
            rows.append([name, "error: " + "; ".join(errors(rs))[:120]] + [""] * 7)
            continue
        p50, c64 = med(rs, "seq_p50_us"), med(rs, "conc_calls_per_sec")
        rows.append([name, fmt(p50), fmt(med(rs, "seq_p99_us")), fmt(med(rs, "seq_calls_per_sec"), 0),
                     fmt(c64, 0), fmt(med(rs, "conc_p50_us"), 0),
                     fmt_ratio(ratio(p50, gg_p50)), fmt_ratio(ratio(c64, gg_c64)),
                     fmt_ratio(ratio(p50, floor_p50))])
    print(table(["pairing", "seq p50 µs", "seq p99 µs", "calls/s @1", "calls/s @64", "p50 µs @64",
                 "p50 vs Go↔Go", "calls/s @64 vs Go↔Go", "seq p50 vs floor"], rows))
    print()

    print("### Bulk `Plugin.Submit` of 10,000 records (medians)")
    print()
    rows = []
    for key, name in names.items():
        rs = disp[key]
        if pending(key):
            rows.append([name, PENDING, "", "", "", "", ""])
            continue
        mbs = med(rs, "bulk_mb_per_sec")
        size = med(rs, "bulk_payload_bytes")
        bms = med(rs, "bulk_ms_median")
        rows.append([name, fmt(None if size is None else size / 1e6, 2), fmt(med(rs, "bulk_encode_ms")),
                     fmt(bms), fmt(mbs), fmt_ratio(ratio(mbs, gg_bulk)), fmt_ratio(ratio(gg_bulk_ms, bms))])
    print(table(["pairing", "payload MB (sender's gob)", "host encode ms (diagnostic)", "call ms", "MB/s",
                 "MB/s vs Go↔Go", "speed (1/ms) vs Go↔Go"], rows))
    print()

    print("### Start-up (spawn → handshake → dispense → first Entity reply) and plugin peak RSS (medians)")
    print()
    rows = []
    go_plugin = {h: disp[(h, "go")] for h in ("go", "rust")}
    base_start = med(go_plugin["go"], "startup_ms_median")
    base_rss = med(go_plugin["go"], "plugin_rss_peak_kb")
    base_pre = med(go_plugin["go"], "plugin_rss_pre_bulk_kb")
    for plugin, name in (("go", "Go fake dispatcher v0.5.2"), ("rust", "Rust fake dispatcher")):
        if plugin == "rust" and not rust_fake:
            rows.append([name, PENDING, "", "", "", "", "", "", ""])
            continue
        by_go, by_rust = disp[("go", plugin)], disp[("rust", plugin)]
        st = med(by_go, "startup_ms_median")
        rss = med(by_go, "plugin_rss_peak_kb")
        pre = med(by_go, "plugin_rss_pre_bulk_kb")
        rows.append([name, fmt(st, 2), fmt(med(by_rust, "startup_ms_median"), 2),
                     fmt(med(by_go, "kill_ms_median"), 2) + " / " + fmt(med(by_rust, "kill_ms_median"), 2),
                     fmt(None if pre is None else pre / 1024), fmt(None if rss is None else rss / 1024),
                     fmt_ratio(ratio(st, base_start)), fmt_ratio(ratio(pre, base_pre)),
                     fmt_ratio(ratio(rss, base_rss))])
    print(table(["plugin", "start-up ms (Go host)", "start-up ms (Rust host)",
                 "kill ms (Go / Rust host, not in start-up)",
                 "peak RSS MiB before bulk (start-up, Entity, 64 callers)",
                 "peak RSS MiB after the 10,000-record bulk", "start-up vs Go",
                 "RSS before bulk vs Go", "RSS after bulk vs Go"], rows))
    slow = [r.get("kill_over_limit", 0) for r in disp[("rust", "go")] + disp[("rust", "rust")] if r.get("ok")]
    if any(slow):
        print()
        print(f"Rust host: {sum(slow)} start-up kills exceeded 500 ms (PluginClient::kill waits for relay tasks; see BENCHMARKS.md).")
    print()

    if any(mtls.values()):
        print("### AutoMTLS: every pairing with go-plugin's AutoMTLS (medians; ratios vs Go↔Go with AutoMTLS)")
        print()
        mg = mtls[("go", "go")]
        mg_c1, mg_c64 = med(mg, "seq_calls_per_sec"), med(mg, "conc_calls_per_sec")
        mg_bulk_ms, mg_start = med(mg, "bulk_ms_median"), med(mg, "startup_ms_median")
        rows = []
        for key, name in names.items():
            rs = mtls[key]
            if pending(key):
                rows.append([name, PENDING] + [""] * 9)
                continue
            if not any(r.get("ok") for r in rs):
                rows.append([name, "error: " + "; ".join(errors(rs))[:120]] + [""] * 9)
                continue
            c1, c64 = med(rs, "seq_calls_per_sec"), med(rs, "conc_calls_per_sec")
            bms, st = med(rs, "bulk_ms_median"), med(rs, "startup_ms_median")
            rows.append([name, fmt(c1, 0), fmt(c64, 0), fmt(bms), fmt(st, 2),
                         fmt_ratio(ratio(c1, mg_c1)), fmt_ratio(ratio(c64, mg_c64)),
                         fmt_ratio(ratio(mg_bulk_ms, bms)), fmt_ratio(ratio(st, mg_start)),
                         fmt_ratio(ratio(c64, med(disp[key], "conc_calls_per_sec"))),
                         fmt_ratio(ratio(st, med(disp[key], "startup_ms_median")))])
        print(table(["pairing", "calls/s @1", "calls/s @64", "10,000-record Submit ms", "start-up ms",
                     "@1 vs Go↔Go", "@64 vs Go↔Go", "bulk speed vs Go↔Go", "start-up vs Go↔Go",
                     "@64 vs same pairing plaintext", "start-up vs plaintext"], rows))
        print()

    print("### Generic echo `Plugin.Echo` (small struct), Rust ↔ Rust, separate processes (medians)")
    print()
    rows = []
    gp = crates.get("goplugin-plugin", [])
    gp_c64 = med(gp, "conc_calls_per_sec")
    labels = {"ours-plugin": "tilores-plugin: PluginClient/plugin::serve, yamux over unix socket",
              "goplugin-plugin": "goplugin 0.1 (+ go-netrpc, gobwire): same, its own yamux",
              "ours-rpc-socket": "tilores-plugin rpc only, raw unix socket",
              "go-netrpc-socket": "go-netrpc 0.1 only, raw unix socket"}
    for row, label in labels.items():
        rs = crates.get(row, [])
        if not any(r.get("ok", True) for r in rs):
            rows.append([label, "error: " + "; ".join(errors(rs))[:120] if rs else "no result"] + [""] * 6)
            continue
        p50, c64 = med(rs, "seq_p50_us"), med(rs, "conc_calls_per_sec")
        rows.append([label, fmt(p50), fmt(med(rs, "seq_p99_us")), fmt(med(rs, "seq_calls_per_sec"), 0),
                     fmt(c64, 0), fmt(med(rs, "conc_p50_us"), 0), fmt_ratio(ratio(c64, gp_c64)),
                     fmt_ratio(ratio(p50, floor_p50))])
    print(table(["stack", "seq p50 µs", "seq p99 µs", "calls/s @1", "calls/s @64", "p50 µs @64",
                 "calls/s @64 vs goplugin", "seq p50 vs floor"], rows))
    print()
    oc, gc = med(crates.get("ours-codec", []), "codec_ns_per_call"), med(crates.get("gobwire-codec", []), "codec_ns_per_call")
    print(table(["gob codec only (encode Request + Echo, decode both; one stream)", "ns per call", "vs gobwire"],
                [["tilores-gob", fmt(oc), fmt_ratio(ratio(oc, gc))], ["gobwire 0.1", fmt(gc), "1.00×"]]))
    print()

    print("### Floor: raw unix-socket ping-pong, 64 bytes, two processes (go-interop/cmd/sockfloor -echo-process)")
    print()
    print(table(["p50 µs", "p99 µs", "round trips/s"],
                [[fmt(floor_p50), fmt(med(floor, "p99_us")), fmt(med(floor, "roundtrips_per_sec"), 0)]]))
    print()
    if workfloor:
        print("Diagnostic, the same ping-pong with 25 µs of CPU work on each side per message (`-work 25us`):")
        print()
        print(table(["p50 µs", "p99 µs", "round trips/s", "Rust↔Rust Entity seq p50 vs it"],
                    [[fmt(workfloor_p50), fmt(med(workfloor, "p99_us")),
                      fmt(med(workfloor, "roundtrips_per_sec"), 0),
                      fmt_ratio(ratio(med(disp[("rust", "rust")], "seq_p50_us"), workfloor_p50))]]))
        print()

    print("### Targets")
    print()
    rr, rg, gr = disp[("rust", "rust")], disp[("rust", "go")], disp[("go", "rust")]
    targets = []

    def check(name, value, goal, ok_if_ge, needs_rust=False):
        if needs_rust and not rust_fake:
            targets.append([name, "", PENDING])
            return
        if value is None:
            targets.append([name, "–", "no data"])
            return
        ok = value >= goal if ok_if_ge else value <= goal
        targets.append([name, fmt_ratio(value), ("PASS" if ok else "FAIL") + f" (goal {'≥' if ok_if_ge else '≤'} {goal:g}×)"])

    check("Rust↔Rust calls/s @64 vs Go↔Go", ratio(med(rr, "conc_calls_per_sec"), gg_c64), 3, True, True)
    check("Rust↔Rust seq p50 vs Go↔Go", ratio(med(rr, "seq_p50_us"), gg_p50), 0.5, False, True)
    check("Rust↔Rust bulk MB/s vs Go↔Go", ratio(med(rr, "bulk_mb_per_sec"), gg_bulk), 2, True, True)
    check("Rust↔Rust bulk speed (time) vs Go↔Go", ratio(gg_bulk_ms, med(rr, "bulk_ms_median")), 2, True, True)
    check("Rust host → Go plugin calls/s @64 vs Go↔Go", ratio(med(rg, "conc_calls_per_sec"), gg_c64), 1, True)
    check("Rust host → Go plugin seq p50 vs Go↔Go", ratio(med(rg, "seq_p50_us"), gg_p50), 1, False)
    check("Rust host → Go plugin bulk MB/s vs Go↔Go", ratio(med(rg, "bulk_mb_per_sec"), gg_bulk), 1, True)
    check("Rust host → Go plugin bulk speed (time) vs Go↔Go", ratio(gg_bulk_ms, med(rg, "bulk_ms_median")), 1, True)
    check("Go host → Rust plugin calls/s @64 vs Go↔Go", ratio(med(gr, "conc_calls_per_sec"), gg_c64), 1, True, True)
    check("Go host → Rust plugin seq p50 vs Go↔Go", ratio(med(gr, "seq_p50_us"), gg_p50), 1, False, True)
    check("Go host → Rust plugin bulk MB/s vs Go↔Go", ratio(med(gr, "bulk_mb_per_sec"), gg_bulk), 1, True, True)
    check("Rust plugin start-up vs Go plugin (Go host)", ratio(med(gr, "startup_ms_median"), base_start), 0.5, False, True)
    check("Rust plugin peak RSS vs Go plugin (before bulk)",
          ratio(med(gr, "plugin_rss_pre_bulk_kb"), base_pre), 0.3, False, True)
    check("Rust plugin peak RSS vs Go plugin (after the bulk)",
          ratio(med(gr, "plugin_rss_peak_kb"), base_rss), 0.3, False, True)
    check("echo calls/s @64: tilores-plugin vs goplugin crate", ratio(med(crates.get("ours-plugin", []), "conc_calls_per_sec"), gp_c64), 1.5, True)
    check("sequential echo p50 vs floor p50", ratio(med(crates.get("ours-plugin", []), "seq_p50_us"), floor_p50), 3, False)
    check("Rust↔Rust sequential Entity p50 vs floor p50", ratio(med(rr, "seq_p50_us"), floor_p50), 3, False, True)
    print(table(["target", "measured", "result"], targets))


if __name__ == "__main__":
    main()
