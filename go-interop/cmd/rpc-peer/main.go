// Command rpc-peer is the Go net/rpc (gob) peer that the Rust interop tests and
// benchmarks launch. It is a plain Go standard-library net/rpc program, optionally
// multiplexed with hashicorp/yamux at the commit go-plugin v1.4.3 uses
// (v0.0.0-20211028200310-0bc27b27de87), exactly as HashiCorp go-plugin does.
//
// # Usage
//
//	rpc-peer serve -socket PATH [-mux] [-exit-after-calls N] [-exit-on-stdin-eof=true]
//	rpc-peer call  -socket PATH [-mux] -scenario overlap|errors|big|pending|random [-seed N] [-timeout 60s]
//	rpc-peer bench -socket PATH [-mux] [-callers 1] [-duration 3s] [-warmup 500ms]
//	rpc-peer gogo  [-mux] [-callers 1] [-duration 3s] [-warmup 500ms]
//
// The mode is the first argument; its flags follow it.
//
// # Transport (all modes)
//
//	-socket PATH  unix socket path (serve: listen on it, a stale socket file is
//	              removed first and the file is removed again on exit; call/bench:
//	              dial it, retrying for up to 5 s while it does not exist / refuses).
//	-mux          hashicorp/yamux with yamux.DefaultConfig() (keep-alive 30 s,
//	              256 KiB windows, logs to stderr).
//	              Server side: yamux.Server on every accepted connection; every
//	              accepted stream is served with rpc.Server.ServeConn in its own goroutine.
//	              Client side: yamux.Client on the dialed connection and ONE stream
//	              opened for the single rpc.Client.
//	              Without -mux the raw unix connection carries net/rpc (gob).
//
// # Types and services (the Rust side mirrors these exactly)
//
//	type EchoArgs struct { ID int64; Name string; Tags []string; Data []byte; Score float64; Meta map[string]string }
//
// Registered with rpc.RegisterName("Echo", ...) on a fresh rpc.Server:
//
//	Echo.Echo(args EchoArgs, reply *EchoArgs) error  *reply = args
//	Echo.Bytes(args []byte, reply *[]byte) error     *reply = args (used with 64 MiB)
//	Echo.Fail(msg string, reply *string) error       errors.New(msg)
//	Echo.Sleep(ms int, reply *int) error             sleeps ms milliseconds, *reply = ms
//	Echo.Hang(x int, reply *int) error               blocks until the process exits
//	Echo.Len(args []byte, reply *int) error          *reply = len(args)
//
// # serve
//
// Listens, prints the line "READY" on stdout once listening (stdout is unbuffered)
// and serves until killed (SIGINT/SIGTERM: socket file removed, exit 0) or until
// stdin reaches EOF (exit 0), so a test can stop it by closing stdin.
//
//	-exit-after-calls N     when N method calls (any method, counted on entry) have
//	                        STARTED, remove the socket file and os.Exit(0) at once,
//	                        with those calls still pending (0 = never; default 0).
//	-exit-on-stdin-eof      default true; -exit-on-stdin-eof=false keeps serving
//	                        after stdin EOF (handy when run with </dev/null).
//
// Nothing else is printed on stdout; yamux and fatal errors go to stderr
// (listen failure: exit 2).
//
// # call
//
// A Go rpc.Client (one connection, with -mux one yamux stream) runs a scenario
// against a server that implements the services above. It prints exactly ONE JSON
// line on stdout and exits 0 if every expectation held, else 1 with
// {"ok":false,"scenario":NAME,"error":TEXT,...}. Progress notes go to stderr.
// -timeout (default 60s) bounds the whole scenario (then ok:false, exit 1).
// Usage errors: exit 2.
//
//	overlap  1000 concurrent Echo.Echo calls (one goroutine each, one rpc.Client), each
//	         with distinct ID/Name/Tags/Data/Score/Meta (index 0 is the all-zero
//	         EchoArgs; others include int64 min/max, ±Inf, tiny floats, empty strings in
//	         Tags and Meta, Data up to 1199 bytes, UTF-8 names); every reply must equal
//	         its request (nil and empty slices/maps count as equal, as gob cannot tell
//	         them apart). Concurrently 100 Echo.Sleep calls (client.Go, one shared done
//	         channel) with ms from math/rand seed 1 in 0..20; each reply must equal its
//	         ms and the replies must arrive out of issue order (sleep_out_of_order > 0,
//	         i.e. the server runs calls of one stream concurrently).
//	         {"ok":true,"scenario":"overlap","mux":B,"echo_calls":1000,"echo_ok":1000,
//	          "sleep_calls":100,"sleep_ok":100,"sleep_out_of_order":K,"elapsed_ms":F}
//	errors   on ONE client, in this order: "Nope.Echo" (unknown service), "Echo.Nope"
//	         (unknown method), "NoDot" (ill-formed), "Echo.Fail" with "boom",
//	         "Echo.Echo" with the string "not an EchoArgs" as argument (undecodable);
//	         each must fail with an rpc.ServerError and be followed by one successful
//	         Echo.Echo on the same client. The same sequence is first run against an
//	         in-process Go server (same transport, temp dir socket) to obtain Go net/rpc's
//	         own texts; exit 0 iff every text observed equals Go's.
//	         {"ok":true,"scenario":"errors","mux":B,"unknown_service":S,"unknown_method":S,
//	          "ill_formed":S,"fail":S,"undecodable_args":S,"follow_ups_ok":5,
//	          "expected":{same five keys: Go's texts}}
//	         (on mismatch also "mismatches":["key: got \"..\" want \"..\"",...])
//	big      Echo.Bytes with 64 MiB (67108864 bytes; byte i = low byte of the i-th
//	         xorshift32 step from seed 2463534242: x^=x<<13; x^=x>>17; x^=x<<5) checked
//	         byte for byte, then Echo.Len of the same slice must return 67108864.
//	         mb_per_s = 67108864 / 1e6 / (Echo.Bytes round trip seconds).
//	         {"ok":true,"scenario":"big","mux":B,"bytes":67108864,"round_trip_ms":F,
//	          "mb_per_s":F,"len_reply":67108864,"len_ms":F}
//	random   1..200 concurrent calls drawn from -seed (math/rand) on the one client:
//	         mostly Echo.Bytes with 0..64 KiB of random bytes, 1 in 16 with 256 KiB..2 MiB,
//	         1 in 8 Echo.Sleep of 0..19 ms, each started 0..29 ms in; every reply must
//	         equal its request.
//	         {"ok":true,"scenario":"random","mux":B,"seed":N,"calls":C,"bytes":B (both ways)}
//	pending  issues 10 Echo.Hang calls (client.Go; stderr gets
//	         "rpc-peer: 10 Hang calls sent" once all are written), then waits for all of
//	         them to fail (the server is killed/closed by the test, or serve
//	         -exit-after-calls 10). ok iff all 10 failed (none succeeded) and the last
//	         failure came within 5 s of the first.
//	         {"ok":true,"scenario":"pending","mux":B,"calls":10,"failed":10,
//	          "errors":[10 texts in issue order],"first_failure_ms":F (since the calls
//	          were sent),"spread_ms":F (last failure - first failure)}
//
// # bench
//
// Go client benchmark of Echo.Echo with the fixed EchoArgs{ID: 42, Name: "bench",
// Tags: ["a","b"], Data: bytes 0..15, Score: 1.5, Meta: {"k":"v"}}.
// -callers 1: sequential round trips; -callers N>1: N goroutines sharing ONE
// rpc.Client (one connection / one yamux stream) issuing calls back-to-back. Calls
// during -warmup (default 500ms) are discarded; then every call that starts and
// ends within -duration (default 3s) is counted and its latency recorded.
// Prints one JSON line:
//
//	{"callers":N,"calls":C,"calls_per_sec":F,"p50_us":F,"p99_us":F,"mux":B,"duration_s":F,"mode":"bench"}
//
// calls_per_sec = calls / duration; percentiles are nearest-rank over all recorded
// per-call latencies (µs, 0.1 resolution). Any failed call or wrong reply: ok:false
// line, exit 1.
//
// # gogo
//
// Same as bench, but the process first starts its own Go server (serve code path,
// honouring -mux) on a real unix socket in a fresh temp dir (removed on exit) and
// benchmarks it (Go<->Go baseline in one process). Same output with "mode":"gogo".
// In-process servers (gogo, and the errors self-check) discard yamux log output.
//
// Note: on a 2-core machine two separate Go processes at the default GOMAXPROCS
// are markedly slower per round trip than gogo (OS thread wake-ups in both
// processes); GOMAXPROCS=1 on both sides narrows the gap.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  rpc-peer serve -socket PATH [-mux] [-exit-after-calls N] [-exit-on-stdin-eof=true]
  rpc-peer call  -socket PATH [-mux] -scenario overlap|errors|big|pending|random [-seed N] [-timeout 60s]
  rpc-peer bench -socket PATH [-mux] [-callers N] [-duration 3s] [-warmup 500ms]
  rpc-peer gogo  [-mux] [-callers N] [-duration 3s] [-warmup 500ms]`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		serveMain(args)
	case "call":
		callMain(args)
	case "bench":
		benchMain(args, false)
	case "gogo":
		benchMain(args, true)
	default:
		usage()
	}
}

var (
	emitOnce  sync.Once
	exitMu    sync.Mutex
	exitHooks []func()
)

// atExit registers f to run before emit exits the process (os.Exit skips defers).
func atExit(f func()) {
	exitMu.Lock()
	exitHooks = append(exitHooks, f)
	exitMu.Unlock()
}

// emit prints v as ONE JSON line on stdout (only the first call prints), runs the
// atExit hooks and exits with code.
func emit(v any, code int) {
	emitOnce.Do(func() {
		exitMu.Lock()
		for _, f := range exitHooks {
			f()
		}
		exitMu.Unlock()
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprintf(`{"ok":false,"error":%q}`, "json: "+err.Error()))
			code = 1
		}
		os.Stdout.Write(append(b, '\n'))
		os.Exit(code)
	})
	select {} // another goroutine is emitting and exiting
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "rpc-peer: "+format+"\n", a...)
}
