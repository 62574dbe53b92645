#!/usr/bin/env python3
"""Prints the table of bench/run from its raw results directory.

Usage: python3 bench/report.py RESULTS_DIR

Files read (written by bench/run; N is the run): disp-<row>-N.json (go-interop/cmd/dispatcher-bench
or bench/benches/dispatcher.rs), rfloor-<row>-N.json (bench/benches/floor.rs, run right before
that row), gofloor-gmp1-N.json / gofloor-gmpdef-N.json (go-interop/cmd/sockfloor -echo-process),
crates-N.jsonl (bench/benches/crates.rs), netrpc-N.jsonl and gob-N.jsonl when present, meta.txt.
The AutoMTLS rows are disp-tls-<row>-N.json (bench/run without --no-mtls); with --only-mtls
they are the only dispatcher rows and the plaintext tables are left out.

Method (BENCHMARKS.md): a figure is the median over runs; a ratio is computed in every run
against the faster Go↔Go of that run (GOMAXPROCS=1 or default, whichever is better for that
measure; for the AutoMTLS rows the faster Go↔Go with AutoMTLS), then reported as the median of
the per-run ratios with their range [min–max].
"""
import glob
import json
import os
import re
import statistics
import sys

ROWS = {
    "gg-gmp1": "Go host ↔ Go plugin, GOMAXPROCS=1",
    "gg-gmpdef": "Go host ↔ Go plugin, GOMAXPROCS default",
    "rg-gmp1": "Rust host → Go plugin, GOMAXPROCS=1",
    "rg-gmpdef": "Rust host → Go plugin, GOMAXPROCS default",
    "gr-gmp1": "Go host → Rust plugin, GOMAXPROCS=1",
    "gr-gmpdef": "Go host → Rust plugin, GOMAXPROCS default",
    "rr": "Rust host ↔ Rust plugin",
}
GO_BASE = ("gg-gmp1", "gg-gmpdef")
# The AutoMTLS rows (bench/run --no-mtls leaves them out): the same pairings, each host started
# with -automtls=true; their ratios are against the faster Go↔Go *with* AutoMTLS.
TLS_ROWS = {f"tls-{i}": name + ", AutoMTLS" for i, name in ROWS.items()}
TLS_GO_BASE = ("tls-gg-gmp1", "tls-gg-gmpdef")
GOB_GO, GOB_OURS = "Go encoding/gob", "tilores-gob (typed)"


def load_json(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        return {"ok": False, "error": f"{os.path.basename(path)}: {e}"}


def load_jsonl(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def by_run(d, pattern):
    """{run: result} for files matching pattern with the run number as its last '-N'."""
    out = {}
    for p in glob.glob(os.path.join(d, pattern)):
        m = re.search(r"-(\d+)\.jsonl?$", p)
        if m:
            out[int(m.group(1))] = load_json(p)
    return out


def num(r, key):
    if not r or r.get("ok", True) is False:
        return None
    v = r.get(key)
    return v if isinstance(v, (int, float)) else None


def med(runs, key):
    vals = [v for v in (num(r, key) for r in runs.values()) if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits=1):
    if v is None:
        return "–"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)


class Ratio:
    """Median of per-run ratios with their range."""

    def __init__(self, values):
        self.values = sorted(v for v in values if v is not None)

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    def __str__(self):
        if not self.values:
            return "–"
        if len(self.values) == 1:
            return f"{self.values[0]:.2f}×"
        return f"{self.median:.2f}× [{self.values[0]:.2f}–{self.values[-1]:.2f}]"


def per_run(a, b, key_a, key_b=None, invert=False):
    """Ratio a/b (b/a with invert) in every run where both exist; a, b: {run: result}."""
    key_b = key_b or key_a
    vals = []
    for n, ra in a.items():
        x, y = num(ra, key_a), num(b.get(n), key_b)
        if x is None or y in (None, 0) or (invert and x == 0):
            continue
        vals.append(y / x if invert else x / y)
    return Ratio(vals)


def best_go(disp, key, higher_better, ids=GO_BASE):
    """{run: {key: the better of the Go variants in that run}}."""
    out = {}
    runs = set().union(*(disp.get(i, {}).keys() for i in ids))
    for n in runs:
        vals = [num(disp.get(i, {}).get(n), key) for i in ids]
        vals = [v for v in vals if v is not None]
        if vals:
            out[n] = {key: max(vals) if higher_better else min(vals)}
    return out


def main():
    d = sys.argv[1]
    disp = {i: by_run(d, f"disp-{i}-*.json") for i in list(ROWS) + list(TLS_ROWS) + [
        "keepgo-gmp1", "keepgo-gmpdef", "keeprust-gmpdef"]}
    # bench/run --only-mtls runs no plaintext row, --no-mtls no AutoMTLS row.
    plain = any(disp[i] for i in ROWS)
    tls = any(disp[i] for i in TLS_ROWS)
    rfloor = {i: by_run(d, f"rfloor-{i}-*.json") for i in disp}
    gofloor = {g: by_run(d, f"gofloor-{g}-*.json") for g in ("gmp1", "gmpdef")}
    crates = {}
    for p in glob.glob(os.path.join(d, "crates-*.jsonl")):
        n = int(re.search(r"-(\d+)\.jsonl$", p).group(1))
        for r in load_jsonl(p):
            crates.setdefault(r.get("row", "?"), {})[n] = r
    netrpc = {}
    for p in glob.glob(os.path.join(d, "netrpc-*.jsonl")):
        n = int(re.search(r"-(\d+)\.jsonl$", p).group(1))
        for r in load_jsonl(p):
            netrpc.setdefault(r.get("row", "?"), {})[n] = r
    gobb = {}
    for p in glob.glob(os.path.join(d, "gob-*.jsonl")):
        n = int(re.search(r"-(\d+)\.jsonl$", p).group(1))
        for r in load_jsonl(p):
            gobb.setdefault(r.get("row", "?"), {})[n] = r

    try:
        with open(os.path.join(d, "meta.txt")) as f:
            print(f.read().rstrip())
    except OSError:
        pass
    print()
    errs = sorted({f"{i}: {r.get('error', '?')}"[:200] for i, rs in list(disp.items()) + list(rfloor.items())
                   for r in rs.values() if r.get("ok", True) is False})
    if errs:
        print("**Errors** (these runs are left out):")
        print()
        for e in errs:
            print(f"- {e}")
        print()

    if plain:
        seq_base = best_go(disp, "seq_p50_us", False)
        c64_base = best_go(disp, "conc_calls_per_sec", True)

        print("### Dispatcher `Plugin.Entity`, entity of 10 records (medians over runs)")
        print()
        rows = []
        for i, name in ROWS.items():
            rs = disp[i]
            floor_ratio = per_run(rs, rfloor[i], "seq_p50_us", "p50_us")
            rows.append([name, fmt(med(rs, "seq_p50_us")), fmt(med(rs, "seq_p99_us")),
                         fmt(med(rs, "seq_calls_per_sec"), 0), fmt(med(rs, "conc_calls_per_sec"), 0),
                         fmt(med(rs, "conc_p50_us"), 0),
                         f"{fmt(med(rs, 'seq_cpu_us_per_call_host'))} / {fmt(med(rs, 'seq_cpu_us_per_call_plugin'))}",
                         f"{fmt(med(rs, 'conc_cpu_us_per_call_host'))} / {fmt(med(rs, 'conc_cpu_us_per_call_plugin'))}",
                         str(per_run(rs, seq_base, "seq_p50_us")), str(per_run(rs, c64_base, "conc_calls_per_sec")),
                         fmt(med(rfloor[i], "p50_us")), str(floor_ratio)])
        print(table(["pairing", "seq p50 µs", "seq p99 µs", "calls/s @1", "calls/s @64", "p50 µs @64",
                     "CPU µs/call @1 host / plugin", "CPU µs/call @64 host / plugin",
                     "seq p50 vs faster Go↔Go", "calls/s @64 vs faster Go↔Go",
                     "blocking floor p50 µs (same run, just before)", "seq p50 vs that floor"], rows))
        print()

        bulk_base = best_go(disp, "bulk_ms_median", False)
        print("### Bulk `Plugin.Submit` of 10,000 records (fake dispatchers; medians)")
        print()
        rows = []
        for i, name in ROWS.items():
            rs = disp[i]
            size = med(rs, "bulk_payload_bytes")
            rows.append([name, fmt(None if size is None else size / 1e6, 2), fmt(med(rs, "bulk_encode_ms")),
                         fmt(med(rs, "bulk_ms_median")), fmt(med(rs, "bulk_mb_per_sec")),
                         str(per_run(rs, bulk_base, "bulk_ms_median", invert=True))])
        print(table(["pairing", "payload MB", "host encode ms (diagnostic)", "call ms", "MB/s",
                     "speed (1/ms) vs faster Go↔Go"], rows))
        print()

        start_go = best_go(disp, "startup_ms_median", False)
        start_rust = best_go(disp, "startup_ms_median", False, ("gr-gmp1", "gr-gmpdef"))
        print("### Start-up (spawn → handshake → dispense → first Entity reply; medians)")
        print()
        rows = []
        for i, name in ROWS.items():
            rs = disp[i]
            rows.append([name, fmt(med(rs, "startup_ms_median"), 2), fmt(med(rs, "kill_ms_median"), 2)])
        print(table(["pairing", "start-up ms", "kill ms (not in start-up)"], rows))
        print()

        keep = {"keepgo-gmp1": "Go keepall-dispatcher, GOMAXPROCS=1",
                "keepgo-gmpdef": "Go keepall-dispatcher, GOMAXPROCS default",
                "keeprust-gmpdef": "Rust keepall-dispatcher"}
        rss_idle_go = best_go(disp, "plugin_rss_pre_bulk_kb", False, ("keepgo-gmp1", "keepgo-gmpdef"))
        rss_bulk_go = best_go(disp, "plugin_rss_peak_kb", False, ("keepgo-gmp1", "keepgo-gmpdef"))
        print("### Plugin memory: peak RSS (VmHWM), Go host, 10,000-record Submits × bulk runs (medians)")
        print()
        rows = []
        for i, name in keep.items():
            rs = disp[i]
            pre, peak = med(rs, "plugin_rss_pre_bulk_kb"), med(rs, "plugin_rss_peak_kb")
            rows.append([name + " (keeps every record)", fmt(None if pre is None else pre / 1024),
                         fmt(None if peak is None else peak / 1024),
                         str(per_run(rs, rss_idle_go, "plugin_rss_pre_bulk_kb")),
                         str(per_run(rs, rss_bulk_go, "plugin_rss_peak_kb"))])
        stream_go = best_go(disp, "plugin_rss_peak_kb", False)
        for i, name in (("gg-gmp1", "Go fake v0.5.2 (ring of 10, decodes the whole Submit), GOMAXPROCS=1"),
                        ("gg-gmpdef", "Go fake v0.5.2 (ring of 10, decodes the whole Submit), GOMAXPROCS default"),
                        ("gr-gmpdef", "Rust fake (ring of 10, **streams** the Submit)")):
            rs = disp[i]
            pre, peak = med(rs, "plugin_rss_pre_bulk_kb"), med(rs, "plugin_rss_peak_kb")
            rows.append([name + " — after 64 callers", fmt(None if pre is None else pre / 1024),
                         fmt(None if peak is None else peak / 1024), "–",
                         str(per_run(rs, stream_go, "plugin_rss_peak_kb"))])
        print(table(["plugin", "RSS MiB before the bulk", "peak RSS MiB after the bulk",
                     "before vs lower Go", "after vs lower Go"], rows))
        print()

        print("### Idle CPU: connected host and plugin, no calls (CPU µs per second idle; medians, max)")
        print()
        rows = []
        for i, name in ROWS.items():
            rs = disp[i]
            rows.append([name, f"{fmt(med(rs, 'idle_cpu_us_per_s_host'))} (max {fmt(maxv(rs, 'idle_cpu_us_per_s_host'))})",
                         f"{fmt(med(rs, 'idle_cpu_us_per_s_plugin'))} (max {fmt(maxv(rs, 'idle_cpu_us_per_s_plugin'))})"])
        print(table(["pairing", "host µs/s", "plugin µs/s"], rows))
        print()

        print("### Floors: unix-socket ping-pong, 64 bytes, two processes (medians)")
        print()
        allr = {}
        for i, rs in rfloor.items():
            for n, r in rs.items():
                allr[f"{i}-{n}"] = r
        rows = [["blocking, no runtime (bench/benches/floor.rs), before every row", fmt(med(allr, "p50_us")),
                 fmt(med(allr, "p99_us")), fmt(med(allr, "roundtrips_per_sec"), 0),
                 f"{fmt(med(allr, 'cpu_us_per_roundtrip_pinger'))} / {fmt(med(allr, 'cpu_us_per_roundtrip_echo'))}"]]
        for g, label in (("gmp1", "GOMAXPROCS=1"), ("gmpdef", "GOMAXPROCS default")):
            rs = gofloor[g]
            rows.append([f"Go (go-interop/cmd/sockfloor -echo-process), {label}", fmt(med(rs, "p50_us")),
                         fmt(med(rs, "p99_us")), fmt(med(rs, "roundtrips_per_sec"), 0), "–"])
        print(table(["floor", "p50 µs", "p99 µs", "round trips/s", "CPU µs/round trip each side"], rows))
        print()

        print("### Generic echo `Plugin.Echo` (small struct), Rust ↔ Rust, two processes (medians)")
        print()
        labels = {"ours-plugin": "tilores-plugin: PluginClient/plugin::serve, yamux over unix socket",
                  "goplugin-plugin": "goplugin 0.1 (+ go-netrpc, gobwire): same, its own yamux",
                  "ours-rpc-socket": "tilores-plugin rpc only, raw unix socket",
                  "go-netrpc-socket": "go-netrpc 0.1 only, raw unix socket"}
        gp = crates.get("goplugin-plugin", {})
        rows = []
        for row, label in labels.items():
            rs = crates.get(row, {})
            rows.append([label, fmt(med(rs, "seq_p50_us")), fmt(med(rs, "seq_calls_per_sec"), 0),
                         fmt(med(rs, "conc_calls_per_sec"), 0), str(per_run(rs, gp, "conc_calls_per_sec"))])
        print(table(["stack", "seq p50 µs", "calls/s @1", "calls/s @64", "calls/s @64 vs goplugin"], rows))
        print()

        if netrpc:
            print("### net/rpc echo over yamux (benches in bench/benches/netrpc.rs; medians)")
            print()
            nb_seq = best_go(netrpc, "p50_us_seq", False, ("go-go-gmp1", "go-go-gmpdef"))
            nb_c64 = best_go(netrpc, "calls_per_sec_c64", True, ("go-go-gmp1", "go-go-gmpdef"))
            rows = []
            order = ["go-go-gmp1", "go-go-gmpdef", "rust-go-gmp1", "rust-go-gmpdef", "go-rust-gmp1",
                     "go-rust-gmpdef", "rust-rust"]
            for row, rs in sorted(netrpc.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99):
                rows.append([row, fmt(med(rs, "p50_us_seq")), fmt(med(rs, "calls_per_sec_c64"), 0),
                             f"{fmt(med(rs, 'cpu_us_per_call_client_seq'))} / {fmt(med(rs, 'cpu_us_per_call_server_seq'))}",
                             str(per_run(rs, nb_seq, "p50_us_seq")), str(per_run(rs, nb_c64, "calls_per_sec_c64"))])
            print(table(["pairing", "seq p50 µs", "calls/s @64", "CPU µs/call @1 client / server",
                         "seq p50 vs faster Go↔Go", "calls/s @64 vs faster Go↔Go"], rows))
            print()
        if gobb:
            print("### gob payload (EntityOutput of 100 records; bench/benches/payload.rs; medians)")
            print()
            g = gobb.get(GOB_GO, {})
            rows = [[row, fmt(med(rs, "encode_us")), fmt(med(rs, "decode_us")),
                     str(per_run(g, rs, "encode_us")), str(per_run(g, rs, "decode_us"))]
                    for row, rs in sorted(gobb.items())]
            print(table(["codec", "encode µs", "decode µs", "encode speed vs Go", "decode speed vs Go"], rows))
            print()


    # AutoMTLS rows (issue 15): the same workload with go-plugin's AutoMTLS on every pairing.
    tls_seq_base = best_go(disp, "seq_calls_per_sec", True, TLS_GO_BASE)
    tls_c64_base = best_go(disp, "conc_calls_per_sec", True, TLS_GO_BASE)
    tls_bulk_base = best_go(disp, "bulk_ms_median", False, TLS_GO_BASE)
    tls_start_go = best_go(disp, "startup_ms_median", False, TLS_GO_BASE)
    tls_start_rust = best_go(disp, "startup_ms_median", False, ("tls-gr-gmp1", "tls-gr-gmpdef"))
    if tls:
        print("### AutoMTLS: every pairing with go-plugin's AutoMTLS (medians; ratios: median of per-run ratios [range])")
        print()
        rows = []
        for i, name in TLS_ROWS.items():
            rs, plain_rs = disp[i], disp[i[len("tls-"):]]
            rows.append([name, fmt(med(rs, "seq_calls_per_sec"), 0), fmt(med(rs, "conc_calls_per_sec"), 0),
                         fmt(med(rs, "bulk_ms_median")), fmt(med(rs, "startup_ms_median"), 2),
                         str(per_run(rs, tls_seq_base, "seq_calls_per_sec")),
                         str(per_run(rs, tls_c64_base, "conc_calls_per_sec")),
                         str(per_run(rs, tls_bulk_base, "bulk_ms_median", invert=True)),
                         str(per_run(rs, tls_start_go, "startup_ms_median")),
                         str(per_run(rs, plain_rs, "conc_calls_per_sec")),
                         str(per_run(rs, plain_rs, "bulk_ms_median", invert=True)),
                         str(per_run(rs, plain_rs, "startup_ms_median"))])
        print(table(["pairing", "calls/s @1", "calls/s @64", "10,000-record Submit ms", "start-up ms",
                     "calls/s @1 vs faster Go↔Go AutoMTLS", "calls/s @64 vs faster Go↔Go AutoMTLS",
                     "bulk speed (1/ms) vs faster Go↔Go AutoMTLS", "start-up vs faster Go↔Go AutoMTLS",
                     "calls/s @64 vs same pairing plaintext", "bulk speed vs plaintext",
                     "start-up vs plaintext"], rows))
        print()

    print("### Targets (issue 18; issue 15 for AutoMTLS; ratios: median of per-run ratios [range] against the faster Go)")
    print()
    targets = []

    def check(name, r, goal, ge):
        m = r.median if isinstance(r, Ratio) else r
        if m is None:
            targets.append([name, "–", "no data"])
            return
        ok = m >= goal if ge else m <= goal
        targets.append([name, str(r), ("PASS" if ok else "MISS") + f" (goal {'≥' if ge else '≤'} {goal:g}×)"])

    def worse(*rs):
        """The worse of two variants' ratios (higher-is-better measures)."""
        rs = [r for r in rs if r.median is not None]
        return min(rs, key=lambda r: r.median) if rs else Ratio([])

    def worse_low(*rs):
        rs = [r for r in rs if r.median is not None]
        return max(rs, key=lambda r: r.median) if rs else Ratio([])

    if plain:
        rr = disp["rr"]
        check("Rust↔Rust Entity calls/s @64 vs Go↔Go", per_run(rr, c64_base, "conc_calls_per_sec"), 5, True)
        check("Rust↔Rust Entity sequential p50 vs Go↔Go", per_run(rr, seq_base, "seq_p50_us"), 0.4, False)
        check("Rust↔Rust Entity sequential p50 vs the blocking floor", per_run(rr, rfloor["rr"], "seq_p50_us", "p50_us"), 3, False)
        for side in ("host", "plugin"):
            v = med(rr, f"seq_cpu_us_per_call_{side}")
            targets.append([f"Rust↔Rust Entity CPU µs per sequential call, {side}", fmt(v) + " µs",
                            "no data" if v is None else ("PASS" if v <= 10 else "MISS") + " (goal ≤ 10 µs)"])
        if netrpc:
            rrn = netrpc.get("rust-rust", {})
            check("net/rpc echo Rust↔Rust calls/s @64 vs Go↔Go", per_run(rrn, nb_c64, "calls_per_sec_c64"), 5, True)
            check("net/rpc echo Rust↔Rust sequential p50 vs Go↔Go", per_run(rrn, nb_seq, "p50_us_seq"), 0.4, False)
        else:
            targets.append(["net/rpc echo Rust↔Rust vs Go↔Go", "–", "not run (bench/run --no-netrpc)"])
        check("bulk Submit of 10,000 records, Rust↔Rust speed vs Go↔Go", per_run(rr, bulk_base, "bulk_ms_median", invert=True), 3, True)
        check("Rust host → Go plugin calls/s @64 vs Go↔Go (worse GOMAXPROCS)",
              worse(per_run(disp["rg-gmp1"], c64_base, "conc_calls_per_sec"), per_run(disp["rg-gmpdef"], c64_base, "conc_calls_per_sec")), 1.5, True)
        check("Go host → Rust plugin calls/s @64 vs Go↔Go (worse GOMAXPROCS)",
              worse(per_run(disp["gr-gmp1"], c64_base, "conc_calls_per_sec"), per_run(disp["gr-gmpdef"], c64_base, "conc_calls_per_sec")), 1.5, True)
        check("Rust host → Go plugin bulk speed vs Go↔Go (worse GOMAXPROCS)",
              worse(per_run(disp["rg-gmp1"], bulk_base, "bulk_ms_median", invert=True), per_run(disp["rg-gmpdef"], bulk_base, "bulk_ms_median", invert=True)), 1.5, True)
        check("Go host → Rust plugin bulk speed vs Go↔Go (worse GOMAXPROCS)",
              worse(per_run(disp["gr-gmp1"], bulk_base, "bulk_ms_median", invert=True), per_run(disp["gr-gmpdef"], bulk_base, "bulk_ms_median", invert=True)), 1.5, True)
        if gobb:
            check("gob decode of the payload, tilores-gob (typed) vs Go", per_run(gobb.get(GOB_GO, {}), gobb.get(GOB_OURS, {}), "decode_us"), 5, True)
            check("gob encode of the payload, tilores-gob (typed) vs Go", per_run(gobb.get(GOB_GO, {}), gobb.get(GOB_OURS, {}), "encode_us"), 8, True)
        else:
            targets.append(["gob decode / encode vs Go", "–", "not run (bench/run --no-gob)"])
        check("Rust plugin start-up vs Go plugin (Go host, faster GOMAXPROCS each)", per_run(start_rust, start_go, "startup_ms_median"), 0.3, False)
        check("Rust plugin idle RSS vs Go (keep-all plugins)", per_run(disp["keeprust-gmpdef"], rss_idle_go, "plugin_rss_pre_bulk_kb"), 0.2, False)
        check("Rust plugin RSS after the bulk, all records kept, vs Go", per_run(disp["keeprust-gmpdef"], rss_bulk_go, "plugin_rss_peak_kb"), 0.3, False)
        check("echo calls/s @64: tilores-plugin vs goplugin crate", per_run(crates.get("ours-plugin", {}), gp, "conc_calls_per_sec"), 3, True)
        # The rows whose host (rr, rg-*: Rust host → …) or plugin (rr, gr-*: … → Rust plugin)
        # is ours.
        for side, rows_ours in (("host", ("rr", "rg-gmp1", "rg-gmpdef")),
                                ("plugin", ("rr", "gr-gmp1", "gr-gmpdef"))):
            vals = [v for v in (maxv(disp[i], f"idle_cpu_us_per_s_{side}") for i in rows_ours if i in disp)
                    if v is not None]
            v = max(vals) if vals else None  # no idle data is no verdict, not a pass
            targets.append([f"no busy-waiting: idle Rust {side} CPU (max over runs)", fmt(v) + " µs/s",
                            "no data" if v is None else
                            ("PASS" if v < 10_000 else "MISS") + " (goal < 1 % of a core: 10,000 µs/s)"])
    else:
        targets.append(["issue 18 targets", "–", "not run (bench/run --only-mtls)"])
    if tls:
        trr = disp["tls-rr"]
        check("AutoMTLS Rust↔Rust Entity calls/s @1 vs Go↔Go AutoMTLS (issue 15)",
              per_run(trr, tls_seq_base, "seq_calls_per_sec"), 3, True)
        check("AutoMTLS Rust↔Rust Entity calls/s @64 vs Go↔Go AutoMTLS (issue 15)",
              per_run(trr, tls_c64_base, "conc_calls_per_sec"), 3, True)
        check("AutoMTLS Rust↔Rust bulk Submit of 10,000 records, speed vs Go↔Go AutoMTLS (issue 15)",
              per_run(trr, tls_bulk_base, "bulk_ms_median", invert=True), 2, True)
        check("AutoMTLS Rust↔Rust start-up vs Go↔Go AutoMTLS (issue 15)",
              per_run(trr, tls_start_go, "startup_ms_median"), 0.5, False)
        check("AutoMTLS Rust plugin start-up vs Go plugin, Go host, faster GOMAXPROCS each (issue 18's basis)",
              per_run(tls_start_rust, tls_start_go, "startup_ms_median"), 0.5, False)
    else:
        targets.append(["AutoMTLS rows (issue 15)", "–", "not run (bench/run --no-mtls)"])
    print(table(["target", "measured", "verdict"], targets))


def maxv(runs, key):
    vals = [v for v in (num(r, key) for r in runs.values()) if v is not None]
    return max(vals) if vals else None


if __name__ == "__main__":
    main()
