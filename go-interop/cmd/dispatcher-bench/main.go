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
//	                 [-automtls]
//
// -automtls: the same client configuration (tilores-plugin-api v0.6.0
// dispatcher/init.go start()) plus AutoMTLS: true, instead of Initialize.
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

// initialize is dispatcher.Initialize(exec.Command(path), nil), or with
// -automtls the same client configuration plus AutoMTLS.
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
	flag.BoolVar(&autoMTLS, "automtls", false, "go-plugin AutoMTLS")
	flag.Parse()
	if *path == "" || *startupRuns < 1 || *seqCalls < 1 || *callers < 1 || *duration <= 0 ||
		*bulkRecords < 1 || *bulkRuns < 1 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: dispatcher-bench -plugin PATH [-startup-runs 10] [-seq-calls 2000] [-callers 64] [-duration 3s] [-bulk-records 10000] [-bulk-runs 3]")
		os.Exit(2)
	}
	// go-plugin copies the plugin's stdout to os.Stdout: keep ours clean.
	os.Stdout = os.Stderr
	res := map[string]any{"ok": true, "host": "go", "plugin": *path, "automtls": autoMTLS}

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
	res["startup_runs"] = len(startups)
	res["startup_ms_median"] = ms(medianDur(startups))
	res["startup_ms_min"] = ms(slices.Min(startups))
	res["kill_ms_median"] = ms(medianDur(kills)) // not part of start-up

	// 2. Entity of 10 records
	s, err := start(*path)
	if err != nil {
		fail(err)
	}
	cleanup = s.kill
	defer s.kill()
	sub, err := s.dsp.Submit(context.Background(), &dispatcher.SubmitInput{Records: makeRecords(10)})
	if err != nil {
		fail(fmt.Errorf("submit 10: %w", err))
	}
	if sub.RecordsAdded != 10 {
		fail(fmt.Errorf("submit 10: RecordsAdded %d", sub.RecordsAdded))
	}
	n, err := entity(s.dsp, "e1")
	if err != nil {
		fail(err)
	}
	res["entity_reply_records"] = n
	for i := 0; i < 200; i++ {
		if _, err := entity(s.dsp, "warm"); err != nil {
			fail(err)
		}
	}
	lats := make([]time.Duration, 0, *seqCalls)
	seqStart := time.Now()
	for i := 0; i < *seqCalls; i++ {
		t0 := time.Now()
		if _, err := entity(s.dsp, "e1"); err != nil {
			fail(err)
		}
		lats = append(lats, time.Since(t0))
	}
	seqTotal := time.Since(seqStart)
	slices.Sort(lats)
	res["seq_calls"] = len(lats)
	res["seq_p50_us"] = percentileUs(lats, 0.5)
	res["seq_p99_us"] = percentileUs(lats, 0.99)
	res["seq_calls_per_sec"] = round1(float64(len(lats)) / seqTotal.Seconds())

	if _, _, err := concurrent(s.dsp, *callers, 300*time.Millisecond); err != nil {
		fail(fmt.Errorf("concurrent warm-up: %w", err))
	}
	count, clats, err := concurrent(s.dsp, *callers, *duration)
	if err != nil {
		fail(fmt.Errorf("concurrent: %w", err))
	}
	res["conc_callers"] = *callers
	res["conc_calls"] = count
	res["conc_calls_per_sec"] = round1(float64(count) / duration.Seconds())
	res["conc_p50_us"] = percentileUs(clats, 0.5)
	res["conc_p99_us"] = percentileUs(clats, 0.99)

	// Peak RSS of the plugin before the bulk phase (start-up, Entity, 64 callers).
	if hwm, err := procStatusKB(s.pid, "VmHWM"); err == nil {
		res["plugin_rss_pre_bulk_kb"] = hwm
	}

	// 3. bulk Submit
	bulk := &dispatcher.SubmitInput{Records: makeRecords(*bulkRecords)}
	var buf bytes.Buffer
	encStart := time.Now()
	if err := gob.NewEncoder(&buf).Encode(map[string]interface{}{"input": bulk}); err != nil {
		fail(fmt.Errorf("gob size of the bulk argument: %w", err))
	}
	// Diagnostic: the host's encoding share of a bulk call (fresh encoder, in memory).
	res["bulk_encode_ms"] = ms(time.Since(encStart))
	var bulkTimes []time.Duration
	for i := 0; i < *bulkRuns; i++ {
		t0 := time.Now()
		out, err := s.dsp.Submit(context.Background(), bulk)
		if err != nil {
			fail(fmt.Errorf("bulk submit: %w", err))
		}
		bulkTimes = append(bulkTimes, time.Since(t0))
		if out.RecordsAdded != *bulkRecords {
			fail(fmt.Errorf("bulk submit: RecordsAdded %d", out.RecordsAdded))
		}
	}
	med := medianDur(bulkTimes)
	res["bulk_records"] = *bulkRecords
	res["bulk_payload_bytes"] = buf.Len()
	res["bulk_runs"] = len(bulkTimes)
	res["bulk_ms_median"] = ms(med)
	res["bulk_mb_per_sec"] = round1(float64(buf.Len()) / 1e6 / med.Seconds())

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
