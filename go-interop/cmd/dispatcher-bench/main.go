// Command dispatcher-bench measures a TiloRes dispatcher plugin from a Go host
// built exactly like TiloRes's: tilores-plugin-api v0.6.0
// dispatcher.Initialize(exec.Command(PATH), nil) on go-plugin v1.4.3. It works
// with any dispatcher plugin binary (the Go fake dispatcher v0.5.2, a Rust one).
// Its Rust twin is bench/benches/dispatcher.rs; both do the same workload and
// print the same JSON keys.
//
// Usage:
//
//	dispatcher-bench -plugin PATH [-startup-runs 10] [-seq-calls 2000]
//	                 [-callers 64] [-duration 3s] [-bulk-records 10000] [-bulk-runs 3]
//	                 [-entity-records 10] [-warmup 200] [-idle 0] [-automtls=true]
//	dispatcher-bench -plugin PATH -plugins N [-duration 3s] [-automtls=true]
//
// A count of 0 skips its phase (-startup-runs 0, -seq-calls 0, -callers 0,
// -bulk-runs 0). -entity-records N: records submitted before the Entity phases
// (the fake dispatcher keeps 10 of them, a keep-all plugin returns all N).
// -warmup: untimed sequential calls before the timed ones. -idle D: after the
// workload, D with the connection open and no calls; the CPU each process used
// meanwhile (from 1 s after the last call) is reported per second
// (idle_cpu_us_per_s_host, _plugin): a runtime that busy-waits shows here. CPU per call (seq_/conc_cpu_us_per_call_host,
// _plugin) is the CPU time of each process over the timed phase divided by its
// calls (cpuUs: /proc/PID/task/*/schedstat, ns resolution).
//
// -automtls=true: every plugin is started with the client configuration of
// tilores-plugin-api v0.6.0 dispatcher/init.go start() plus go-plugin's
// AutoMTLS: true (Initialize has no way to ask for it), so the TLS cost is
// the only difference from the plaintext rows.
//
// -plugins N (scaling): N plugin processes launched concurrently by this host
// (launch_all_ms: until every one has answered its first Entity), then one
// caller per plugin calls Entity for -duration (plugins_calls_per_sec across
// all), then host_rss_kb (VmRSS of this process), plugin_rss_total_kb (sum of
// the plugins' VmRSS), total_rss_per_plugin_kb = (host + plugins) / N, and
// kill_all_ms (all killed concurrently).
//
// Measurements, in this order:
//
//  1. start-up, -startup-runs times: spawn -> handshake -> dispense ->
//     first Entity reply (Initialize + Entity); median and min in ms; then
//     kill, timed separately (kill_ms_median).
//  2. one long-lived plugin: Submit the 10 bench records (strings, float64s,
//     bools, a nested map, a list, a time.Time: makeRecord), then Entity
//     (the fake dispatcher returns every stored record: 10):
//     - sequential (1 caller): 200 warm-up calls, then -seq-calls timed calls:
//     p50/p99 (nearest rank, µs) and calls/s = calls / total time;
//     - -callers concurrent goroutines for 300 ms (warm-up, discarded), then
//     for -duration: calls/s = completed calls / duration, p50/p99 of those
//     calls.
//  3. bulk: Submit of -bulk-records records (makeRecord 0..N-1), -bulk-runs
//     times; payload bytes = the gob encoding of the argument map (fresh
//     encoder, type definitions included); MB/s = bytes / 1e6 / median
//     seconds.
//  4. peak RSS of the plugin process: VmHWM (and VmRSS) from
//     /proc/<pid>/status after the workload, before kill; pid from the
//     ReattachConfig that Initialize returns.
//
// go-plugin copies the plugin's stdout to os.Stdout (SyncStdout); this program
// points os.Stdout at stderr before Initialize so that its stdout carries
// only the result: ONE JSON line, exit 0. On error: {"ok":false,"error":TEXT},
// exit 1. Bad flags: exit 2. go-plugin's own log goes to stderr.
package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

var realStdout = os.Stdout

// cleanup kills the long-lived plugin when fail ends the program early.
var cleanup = func() {}

func fail(err error) {
	cleanup()
	b, _ := json.Marshal(map[string]any{"ok": false, "error": err.Error()})
	realStdout.Write(append(b, '\n'))
	os.Exit(1)
}

// comment is a fixed 200-character free-text field (the Rust twin builds the same).
var comment = strings.Repeat("lorem ipsum dolor sit amet, ", 8)[:200]

// makeRecord is the bench record i. The Rust twin (bench/benches/dispatcher.rs,
// make_record) must build the same values with the same Go dynamic types.
func makeRecord(i int) *api.Record {
	return &api.Record{
		ID: fmt.Sprintf("record-%05d", i),
		Data: map[string]interface{}{
			"firstName": fmt.Sprintf("Alice-%d", i),
			"lastName":  "Example",
			"email":     fmt.Sprintf("alice.%d@example.com", i),
			"score":     float64(i)*1.5 + 0.25,
			"age":       float64(20 + i%50),
			"active":    i%2 == 0,
			"verified":  i%3 == 0,
			"address": map[string]interface{}{
				"street": fmt.Sprintf("%d Main Street", i),
				"city":   "Berlin",
				"zip":    "10115",
				"geo": map[string]interface{}{
					"lat": 52.52 + float64(i%1000)/10000,
					"lon": 13.405,
				},
			},
			"tags":    []interface{}{"customer", "newsletter", float64(i % 7)},
			"created": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second),
			"comment": comment,
		},
	}
}

func makeRecords(n int) []*api.Record {
	out := make([]*api.Record, n)
	for i := range out {
		out[i] = makeRecord(i)
	}
	return out
}

func percentileUs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return math.Round(float64(sorted[rank].Nanoseconds())/100) / 10
}

func medianDur(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Nanoseconds())/1e4) / 100 }

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// cpuUs is the CPU time the live threads of process pid (0: this process) have
// used so far, in µs: the sum of the first field of /proc/PID/task/*/schedstat
// (ns). The Rust twin is cpu_us in bench/benches/common/mod.rs.
func cpuUs(pid int) (float64, error) {
	dir := "/proc/self/task"
	if pid != 0 {
		dir = fmt.Sprintf("/proc/%d/task", pid)
	}
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var ns uint64
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, fmt.Errorf("%s/%s/schedstat: empty", dir, t.Name())
		}
		v, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		ns += v
	}
	return float64(ns) / 1e3, nil
}

// cpuPair reads the CPU time of this process and of the plugin.
func cpuPair(pid int) [2]float64 {
	h, err := cpuUs(0)
	if err != nil {
		fail(err)
	}
	p, err := cpuUs(pid)
	if err != nil {
		fail(err)
	}
	return [2]float64{h, p}
}

// perCall stores the CPU µs per call of each side between two cpuPair readings.
func perCall(res map[string]any, prefix string, a, b [2]float64, calls int) {
	if calls == 0 {
		return
	}
	res[prefix+"_cpu_us_per_call_host"] = round1((b[0] - a[0]) / float64(calls))
	res[prefix+"_cpu_us_per_call_plugin"] = round1((b[1] - a[1]) / float64(calls))
}

// procStatusKB reads a "Key:   N kB" line of /proc/<pid>/status.
func procStatusKB(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}

type startResult struct {
	dsp  dispatcher.Dispatcher
	kill dispatcher.KillFunc
	pid  int
}

// autoMTLS is the -automtls flag.
var autoMTLS bool

// initialize is dispatcher.Initialize(exec.Command(path), nil) or, with
// -automtls, the same client configuration and steps (dispatcher/init.go
// start and createDispatcher) plus AutoMTLS.
func initialize(path string) (dispatcher.Dispatcher, dispatcher.KillFunc, *plugin.ReattachConfig, error) {
	if !autoMTLS {
		return dispatcher.Initialize(exec.Command(path), nil)
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: dispatcher.Handshake,
		Plugins:         map[string]plugin.Plugin{"dispatcher": &dispatcher.Plugin{}},
		Cmd:             exec.Command(path),
		SyncStdout:      os.Stdout,
		SyncStderr:      os.Stderr,
		AutoMTLS:        true,
	})
	rpcClient, err := client.Client()
	if err != nil {
		return nil, client.Kill, nil, err
	}
	raw, err := rpcClient.Dispense("dispatcher")
	if err != nil {
		return nil, client.Kill, nil, err
	}
	impl, ok := raw.(dispatcher.Dispatcher)
	if !ok {
		return nil, client.Kill, nil, fmt.Errorf("received invalid client: %T", raw)
	}
	return impl, client.Kill, client.ReattachConfig(), nil
}

func start(path string) (startResult, error) {
	dsp, kill, rc, err := initialize(path)
	if err != nil {
		if kill != nil {
			kill()
		}
		return startResult{}, fmt.Errorf("initialize: %w", err)
	}
	if rc == nil || rc.Pid == 0 {
		kill()
		return startResult{}, errors.New("initialize returned no ReattachConfig pid")
	}
	return startResult{dsp, kill, rc.Pid}, nil
}

func entity(dsp dispatcher.Dispatcher, id string) (int, error) {
	out, err := dsp.Entity(context.Background(), &dispatcher.EntityInput{ID: id})
	if err != nil {
		return 0, err
	}
	if out == nil || out.Entity == nil || out.Entity.ID != id {
		return 0, fmt.Errorf("entity %q: unexpected reply %+v", id, out)
	}
	return len(out.Entity.Records), nil
}

// concurrent runs callers goroutines calling Entity until dur has passed.
func concurrent(dsp dispatcher.Dispatcher, callers int, dur time.Duration) (int, []time.Duration, error) {
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	end := time.Now().Add(dur)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			id := fmt.Sprintf("e%d", c)
			lats := make([]time.Duration, 0, 4096)
			var err error
			for {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				if _, err = entity(dsp, id); err != nil {
					break
				}
				if t1 := time.Now(); !t1.After(end) {
					lats = append(lats, t1.Sub(t0))
				}
			}
			mu.Lock()
			all = append(all, lats...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	slices.Sort(all)
	return len(all), all, firstErr
}

func main() {
	path := flag.String("plugin", "", "dispatcher plugin binary")
	startupRuns := flag.Int("startup-runs", 10, "start-up measurements")
	seqCalls := flag.Int("seq-calls", 2000, "timed sequential Entity calls")
	callers := flag.Int("callers", 64, "concurrent callers")
	duration := flag.Duration("duration", 3*time.Second, "measured time of the concurrent phase")
	bulkRecords := flag.Int("bulk-records", 10000, "records per bulk Submit")
	bulkRuns := flag.Int("bulk-runs", 3, "bulk Submit repetitions")
	entityRecords := flag.Int("entity-records", 10, "records submitted before the Entity phases")
	warmup := flag.Int("warmup", 200, "untimed sequential Entity calls")
	idle := flag.Duration("idle", 0, "idle time measured after the workload (0: none)")
	plugins := flag.Int("plugins", 0, "scaling mode: plugin processes launched concurrently")
	flag.BoolVar(&autoMTLS, "automtls", false, "start plugins with go-plugin's AutoMTLS")
	flag.Parse()
	if *path == "" || *startupRuns < 0 || *seqCalls < 0 || *callers < 0 || *duration <= 0 ||
		*bulkRecords < 1 || *bulkRuns < 0 || *entityRecords < 1 || *warmup < 0 || *idle < 0 ||
		*plugins < 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: dispatcher-bench -plugin PATH [-startup-runs 10] [-seq-calls 2000] [-callers 64] [-duration 3s] [-bulk-records 10000] [-bulk-runs 3] [-entity-records 10] [-warmup 200] [-idle 0] | -plugin PATH -plugins N [-duration 3s]")
		os.Exit(2)
	}
	// go-plugin copies the plugin's stdout to os.Stdout: keep ours clean.
	os.Stdout = os.Stderr
	res := map[string]any{"ok": true, "host": "go", "plugin": *path, "automtls": autoMTLS}
	if *plugins > 0 {
		manyPlugins(res, *path, *plugins, *duration)
		b, err := json.Marshal(res)
		if err != nil {
			fail(err)
		}
		realStdout.Write(append(b, '\n'))
		return
	}

	// 1. start-up
	var startups, kills []time.Duration
	for i := 0; i < *startupRuns; i++ {
		t0 := time.Now()
		s, err := start(*path)
		if err != nil {
			fail(err)
		}
		if _, err := entity(s.dsp, "startup"); err != nil {
			s.kill()
			fail(fmt.Errorf("first entity: %w", err))
		}
		startups = append(startups, time.Since(t0))
		t1 := time.Now()
		s.kill()
		kills = append(kills, time.Since(t1))
	}
	if len(startups) > 0 {
		res["startup_runs"] = len(startups)
		res["startup_ms_median"] = ms(medianDur(startups))
		res["startup_ms_min"] = ms(slices.Min(startups))
		res["kill_ms_median"] = ms(medianDur(kills)) // not part of start-up
	}

	// 2. Entity of 10 records
	s, err := start(*path)
	if err != nil {
		fail(err)
	}
	cleanup = s.kill
	defer s.kill()
	sub, err := s.dsp.Submit(context.Background(), &dispatcher.SubmitInput{Records: makeRecords(*entityRecords)})
	if err != nil {
		fail(fmt.Errorf("submit %d: %w", *entityRecords, err))
	}
	if sub.RecordsAdded != *entityRecords {
		fail(fmt.Errorf("submit %d: RecordsAdded %d", *entityRecords, sub.RecordsAdded))
	}
	n, err := entity(s.dsp, "e1")
	if err != nil {
		fail(err)
	}
	res["entity_reply_records"] = n
	if *seqCalls > 0 || *callers > 0 {
		// The size of one Entity reply on the wire (the plugin's encoding: gob of
		// the *EntityOutput, fresh encoder), for the scaling plots.
		out, err := s.dsp.Entity(context.Background(), &dispatcher.EntityInput{ID: "e1"})
		if err != nil {
			fail(err)
		}
		var rb bytes.Buffer
		if err := gob.NewEncoder(&rb).Encode(out); err != nil {
			fail(fmt.Errorf("gob size of the entity reply: %w", err))
		}
		res["entity_reply_bytes"] = rb.Len()
	}
	for i := 0; i < *warmup; i++ {
		if _, err := entity(s.dsp, "warm"); err != nil {
			fail(err)
		}
	}
	lats := make([]time.Duration, 0, *seqCalls)
	cpu0 := cpuPair(s.pid)
	seqStart := time.Now()
	for i := 0; i < *seqCalls; i++ {
		t0 := time.Now()
		if _, err := entity(s.dsp, "e1"); err != nil {
			fail(err)
		}
		lats = append(lats, time.Since(t0))
	}
	seqTotal := time.Since(seqStart)
	cpu1 := cpuPair(s.pid)
	if len(lats) > 0 {
		slices.Sort(lats)
		res["seq_calls"] = len(lats)
		res["seq_p50_us"] = percentileUs(lats, 0.5)
		res["seq_p99_us"] = percentileUs(lats, 0.99)
		res["seq_calls_per_sec"] = round1(float64(len(lats)) / seqTotal.Seconds())
		perCall(res, "seq", cpu0, cpu1, len(lats))
	}

	if *callers > 0 {
		if _, _, err := concurrent(s.dsp, *callers, 300*time.Millisecond); err != nil {
			fail(fmt.Errorf("concurrent warm-up: %w", err))
		}
		cpu0 := cpuPair(s.pid)
		count, clats, err := concurrent(s.dsp, *callers, *duration)
		if err != nil {
			fail(fmt.Errorf("concurrent: %w", err))
		}
		cpu1 := cpuPair(s.pid)
		res["conc_callers"] = *callers
		res["conc_calls"] = count
		res["conc_calls_per_sec"] = round1(float64(count) / duration.Seconds())
		res["conc_p50_us"] = percentileUs(clats, 0.5)
		res["conc_p99_us"] = percentileUs(clats, 0.99)
		perCall(res, "conc", cpu0, cpu1, count)
	}

	// Peak RSS of the plugin before the bulk phase (start-up, Entity, 64 callers).
	if hwm, err := procStatusKB(s.pid, "VmHWM"); err == nil {
		res["plugin_rss_pre_bulk_kb"] = hwm
	}

	// 3. bulk Submit
	if *bulkRuns > 0 {
		bulkSubmit(res, s.dsp, *bulkRecords, *bulkRuns)
	}

	// Idle: connected, no calls. Neither process should use CPU.
	if *idle > 0 {
		runtime.GC() // not to count this process's leftover GC work as idle CPU
		// Idle starts 1 s after the last call: the first second still holds one-off work of
		// the phases before (freeing the bulk, both sides; a few ms in all).
		time.Sleep(time.Second)
		a := cpuPair(s.pid)
		time.Sleep(*idle)
		b := cpuPair(s.pid)
		res["idle_s"] = idle.Seconds()
		res["idle_cpu_us_per_s_host"] = round1((b[0] - a[0]) / idle.Seconds())
		res["idle_cpu_us_per_s_plugin"] = round1((b[1] - a[1]) / idle.Seconds())
	}

	// 4. peak RSS of the plugin process
	if hwm, err := procStatusKB(s.pid, "VmHWM"); err != nil {
		fail(err)
	} else {
		res["plugin_rss_peak_kb"] = hwm
	}
	if rss, err := procStatusKB(s.pid, "VmRSS"); err == nil {
		res["plugin_rss_kb"] = rss
	}
	b, err := json.Marshal(res)
	if err != nil {
		fail(err)
	}
	realStdout.Write(append(b, '\n'))
}

// bulkSubmit times runs Submits of records records.
func bulkSubmit(res map[string]any, dsp dispatcher.Dispatcher, records, runs int) {
	bulk := &dispatcher.SubmitInput{Records: makeRecords(records)}
	var buf bytes.Buffer
	encStart := time.Now()
	if err := gob.NewEncoder(&buf).Encode(map[string]interface{}{"input": bulk}); err != nil {
		fail(fmt.Errorf("gob size of the bulk argument: %w", err))
	}
	// Diagnostic: the host's encoding share of a bulk call (fresh encoder, in memory).
	res["bulk_encode_ms"] = ms(time.Since(encStart))
	var bulkTimes []time.Duration
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		out, err := dsp.Submit(context.Background(), bulk)
		if err != nil {
			fail(fmt.Errorf("bulk submit: %w", err))
		}
		bulkTimes = append(bulkTimes, time.Since(t0))
		if out.RecordsAdded != records {
			fail(fmt.Errorf("bulk submit: RecordsAdded %d", out.RecordsAdded))
		}
	}
	med := medianDur(bulkTimes)
	res["bulk_records"] = records
	res["bulk_payload_bytes"] = buf.Len()
	res["bulk_runs"] = len(bulkTimes)
	res["bulk_ms_median"] = ms(med)
	res["bulk_mb_per_sec"] = round1(float64(buf.Len()) / 1e6 / med.Seconds())
}

// manyPlugins is the -plugins mode (see the package comment).
func manyPlugins(res map[string]any, path string, n int, dur time.Duration) {
	started := make([]startResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range started {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := start(path)
			if err == nil {
				started[i] = s
				_, err = entity(s.dsp, "startup")
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	launch := time.Since(t0)
	killAll := func() time.Duration {
		t := time.Now()
		var kw sync.WaitGroup
		for _, s := range started {
			if s.kill != nil {
				kw.Add(1)
				go func(k dispatcher.KillFunc) { defer kw.Done(); k() }(s.kill)
			}
		}
		kw.Wait()
		return time.Since(t)
	}
	cleanup = func() { killAll() }
	for i, err := range errs {
		if err != nil {
			fail(fmt.Errorf("plugin %d of %d: %w", i+1, n, err))
		}
	}
	var calls sync.WaitGroup
	counts := make([]int, n)
	callErrs := make([]error, n)
	end := time.Now().Add(dur)
	for i := range started {
		calls.Add(1)
		go func(i int) {
			defer calls.Done()
			for time.Now().Before(end) {
				if _, err := entity(started[i].dsp, "e1"); err != nil {
					callErrs[i] = err
					return
				}
				if time.Now().Before(end) {
					counts[i]++
				}
			}
		}(i)
	}
	calls.Wait()
	total := 0
	for i, c := range counts {
		if callErrs[i] != nil {
			fail(fmt.Errorf("plugin %d of %d: %w", i+1, n, callErrs[i]))
		}
		total += c
	}
	hostRSS, err := procStatusKB(os.Getpid(), "VmRSS")
	if err != nil {
		fail(err)
	}
	var pluginsRSS int64
	for _, s := range started {
		kb, err := procStatusKB(s.pid, "VmRSS")
		if err != nil {
			fail(err)
		}
		pluginsRSS += kb
	}
	res["plugins"] = n
	res["launch_all_ms"] = ms(launch)
	res["plugins_calls_per_sec"] = round1(float64(total) / dur.Seconds())
	res["host_rss_kb"] = hostRSS
	res["plugin_rss_total_kb"] = pluginsRSS
	res["total_rss_per_plugin_kb"] = (hostRSS + pluginsRSS) / int64(n)
	res["kill_all_ms"] = ms(killAll())
	cleanup = func() {}
}
