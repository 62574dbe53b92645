package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"net/rpc"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

type result map[string]any

func callMain(args []string) {
	fs := flag.NewFlagSet("call", flag.ExitOnError)
	socket := fs.String("socket", "", "unix socket path to dial (required)")
	mux := fs.Bool("mux", false, "yamux client, one stream")
	scenario := fs.String("scenario", "", "overlap | errors | big | pending | random")
	seed := fs.Int64("seed", 1, "random: the seed of the calls")
	timeout := fs.Duration("timeout", 60*time.Second, "bound on the whole scenario")
	fs.Parse(args)
	run := map[string]func(*rpc.Client, bool) (result, error){
		"overlap": scenarioOverlap,
		"errors":  scenarioErrors,
		"big":     scenarioBig,
		"pending": scenarioPending,
		"random":  func(c *rpc.Client, _ bool) (result, error) { return scenarioRandom(c, *seed) },
	}[*scenario]
	if *socket == "" || run == nil || fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "call: -socket PATH and -scenario overlap|errors|big|pending|random are required")
		os.Exit(2)
	}
	failure := func(err error, extra result) {
		r := result{"ok": false, "scenario": *scenario, "mux": *mux, "error": err.Error()}
		for k, v := range extra {
			if _, exists := r[k]; !exists {
				r[k] = v
			}
		}
		emit(r, 1)
	}
	time.AfterFunc(*timeout, func() { failure(fmt.Errorf("timeout after %v", *timeout), nil) })

	client, closeFn, err := dialClient(*socket, *mux)
	if err != nil {
		failure(fmt.Errorf("dial: %w", err), nil)
	}
	res, err := run(client, *mux)
	closeFn()
	if err != nil {
		failure(err, res)
	}
	res["ok"] = true
	res["scenario"] = *scenario
	res["mux"] = *mux
	emit(res, 0)
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// ---------------------------------------------------------------- overlap

// overlapArgs returns the distinct EchoArgs of overlap call i.
func overlapArgs(i int) EchoArgs {
	if i == 0 {
		return EchoArgs{} // every field zero: nothing but the struct terminator on the wire
	}
	a := EchoArgs{
		ID:    int64(i)*1_000_003 - 500_000_000,
		Name:  fmt.Sprintf("call-%d-ü€", i),
		Score: float64(i)*1.25 - 300.5,
	}
	switch i {
	case 1:
		a.ID, a.Score = math.MaxInt64, math.Inf(1)
	case 2:
		a.ID, a.Score = math.MinInt64, math.Inf(-1)
	case 3:
		a.ID, a.Score = -1, math.SmallestNonzeroFloat64
	case 4:
		a.ID, a.Score = 1<<40, math.MaxFloat64
	}
	for t := 0; t < i%5; t++ {
		a.Tags = append(a.Tags, fmt.Sprintf("t%d.%d", i, t))
	}
	if i%7 == 3 {
		a.Tags = append(a.Tags, "") // empty element
	}
	if n := (i * 37) % 1200; n > 0 {
		a.Data = make([]byte, n)
		for k := range a.Data {
			a.Data[k] = byte(i + k*13)
		}
	}
	if m := i % 4; m > 0 {
		a.Meta = make(map[string]string, m)
		for k := 0; k < m; k++ {
			a.Meta[fmt.Sprintf("k%d", k)] = fmt.Sprintf("v%d-%d", i, k)
		}
	}
	if i%11 == 5 {
		a.Meta = map[string]string{"": "", "x": ""}
	}
	if i%13 == 6 {
		a.Name = ""
	}
	return a
}

// equalArgs compares field by field; nil and empty slices/maps are equal (gob
// cannot distinguish them).
func equalArgs(a, b EchoArgs) bool {
	if a.ID != b.ID || a.Name != b.Name || a.Score != b.Score || !bytes.Equal(a.Data, b.Data) ||
		len(a.Tags) != len(b.Tags) || len(a.Meta) != len(b.Meta) {
		return false
	}
	for i := range a.Tags {
		if a.Tags[i] != b.Tags[i] {
			return false
		}
	}
	for k, v := range a.Meta {
		if w, ok := b.Meta[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func scenarioOverlap(c *rpc.Client, _ bool) (result, error) {
	const nEcho, nSleep = 1000, 100
	start := time.Now()

	// Sleeps: issued in order with client.Go on one shared done channel, so the
	// channel order is the order in which the client read the replies.
	rng := rand.New(rand.NewSource(1))
	sleepMs := make([]int, nSleep)
	sleepReply := make([]int, nSleep)
	index := make(map[*rpc.Call]int, nSleep)
	done := make(chan *rpc.Call, nSleep)
	for i := range sleepMs {
		sleepMs[i] = rng.Intn(21)
		index[c.Go("Echo.Sleep", sleepMs[i], &sleepReply[i], done)] = i
	}

	var wg sync.WaitGroup
	var echoOK atomic.Int64
	var firstErr error
	var errOnce sync.Once
	for i := 0; i < nEcho; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			args := overlapArgs(i)
			var reply EchoArgs
			if err := c.Call("Echo.Echo", args, &reply); err != nil {
				errOnce.Do(func() { firstErr = fmt.Errorf("Echo.Echo #%d: %w", i, err) })
				return
			}
			if !equalArgs(args, reply) {
				errOnce.Do(func() { firstErr = fmt.Errorf("Echo.Echo #%d: reply %+v != request %+v", i, reply, args) })
				return
			}
			echoOK.Add(1)
		}(i)
	}

	sleepOK, outOfOrder, maxIdx := 0, 0, -1
	var sleepErr error
	for k := 0; k < nSleep; k++ {
		call := <-done
		i := index[call]
		if i < maxIdx {
			outOfOrder++
		} else {
			maxIdx = i
		}
		switch {
		case call.Error != nil:
			if sleepErr == nil {
				sleepErr = fmt.Errorf("Echo.Sleep #%d (%d ms): %w", i, sleepMs[i], call.Error)
			}
		case sleepReply[i] != sleepMs[i]:
			if sleepErr == nil {
				sleepErr = fmt.Errorf("Echo.Sleep #%d: reply %d, want %d", i, sleepReply[i], sleepMs[i])
			}
		default:
			sleepOK++
		}
	}
	wg.Wait()
	res := result{
		"echo_calls": nEcho, "echo_ok": echoOK.Load(),
		"sleep_calls": nSleep, "sleep_ok": sleepOK, "sleep_out_of_order": outOfOrder,
		"elapsed_ms": ms(time.Since(start)),
	}
	switch {
	case firstErr != nil:
		return res, firstErr
	case sleepErr != nil:
		return res, sleepErr
	case outOfOrder == 0:
		return res, errors.New("Echo.Sleep replies arrived in issue order: the server does not run the calls of one stream concurrently")
	}
	return res, nil
}

// ---------------------------------------------------------------- errors

var errorKeys = []string{"unknown_service", "unknown_method", "ill_formed", "fail", "undecodable_args"}

// errorTexts runs the error sequence on c and returns key -> error text.
func errorTexts(c *rpc.Client) (map[string]string, int, error) {
	steps := []struct {
		key, method string
		args        any
	}{
		{"unknown_service", "Nope.Echo", EchoArgs{ID: 1, Name: "x"}},
		{"unknown_method", "Echo.Nope", EchoArgs{ID: 2, Name: "y"}},
		{"ill_formed", "NoDot", EchoArgs{ID: 3, Name: "z"}},
		{"fail", "Echo.Fail", "boom"},
		{"undecodable_args", "Echo.Echo", "not an EchoArgs"},
	}
	texts := make(map[string]string)
	followUps := 0
	for n, st := range steps {
		var reply EchoArgs
		var sreply string
		var err error
		if st.method == "Echo.Fail" {
			err = c.Call(st.method, st.args, &sreply)
		} else {
			err = c.Call(st.method, st.args, &reply)
		}
		if err == nil {
			return texts, followUps, fmt.Errorf("%s (%s) succeeded, want an error", st.key, st.method)
		}
		if _, ok := err.(rpc.ServerError); !ok {
			return texts, followUps, fmt.Errorf("%s (%s): error %q is %T, not rpc.ServerError", st.key, st.method, err, err)
		}
		texts[st.key] = err.Error()
		probe := overlapArgs(100 + n)
		var got EchoArgs
		if err := c.Call("Echo.Echo", probe, &got); err != nil {
			return texts, followUps, fmt.Errorf("Echo.Echo after %s: %w", st.key, err)
		}
		if !equalArgs(probe, got) {
			return texts, followUps, fmt.Errorf("Echo.Echo after %s: reply differs from request", st.key)
		}
		followUps++
	}
	return texts, followUps, nil
}

func scenarioErrors(c *rpc.Client, mux bool) (result, error) {
	// Go's own texts, from an in-process Go server on the same transport.
	path, cleanup, err := startInProcessServer(mux)
	if err != nil {
		return result{}, fmt.Errorf("in-process Go server: %w", err)
	}
	defer cleanup()
	gc, gclose, err := dialClient(path, mux)
	if err != nil {
		return result{}, fmt.Errorf("in-process Go server: dial: %w", err)
	}
	want, _, err := errorTexts(gc)
	gclose()
	if err != nil {
		return result{}, fmt.Errorf("self-check against the in-process Go server: %w", err)
	}

	got, followUps, err := errorTexts(c)
	res := result{"expected": want, "follow_ups_ok": followUps}
	for k, v := range got {
		res[k] = v
	}
	if err != nil {
		return res, err
	}
	var mismatches []string
	for _, k := range errorKeys {
		if got[k] != want[k] {
			mismatches = append(mismatches, fmt.Sprintf("%s: got %q want %q", k, got[k], want[k]))
		}
	}
	if len(mismatches) > 0 {
		res["mismatches"] = mismatches
		return res, fmt.Errorf("%d error text(s) differ from Go net/rpc", len(mismatches))
	}
	return res, nil
}

// ---------------------------------------------------------------- big

const bigSize = 64 << 20

// bigPattern: byte i is the low byte of the i-th xorshift32 step from seed 2463534242.
func bigPattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func scenarioBig(c *rpc.Client, _ bool) (result, error) {
	data := bigPattern(bigSize)
	res := result{"bytes": bigSize}
	// Pre-sized so the client's gob decoder reads straight into it instead of growing
	// the slice step by step (that growth would dominate the measured time).
	reply := make([]byte, 0, bigSize)
	t0 := time.Now()
	if err := c.Call("Echo.Bytes", data, &reply); err != nil {
		return res, fmt.Errorf("Echo.Bytes: %w", err)
	}
	rt := time.Since(t0)
	res["round_trip_ms"] = ms(rt)
	res["mb_per_s"] = math.Round(float64(bigSize)/1e6/rt.Seconds()*10) / 10
	if len(reply) != len(data) {
		return res, fmt.Errorf("Echo.Bytes: reply has %d bytes, want %d", len(reply), len(data))
	}
	if !bytes.Equal(reply, data) {
		i := 0
		for i < len(data) && reply[i] == data[i] {
			i++
		}
		return res, fmt.Errorf("Echo.Bytes: reply differs from request at byte %d", i)
	}
	var n int
	t1 := time.Now()
	if err := c.Call("Echo.Len", data, &n); err != nil {
		return res, fmt.Errorf("Echo.Len: %w", err)
	}
	res["len_ms"] = ms(time.Since(t1))
	res["len_reply"] = n
	if n != bigSize {
		return res, fmt.Errorf("Echo.Len: reply %d, want %d", n, bigSize)
	}
	return res, nil
}

// ---------------------------------------------------------------- pending

func scenarioPending(c *rpc.Client, _ bool) (result, error) {
	const n = 10
	replies := make([]int, n)
	calls := make([]*rpc.Call, n)
	type outcome struct {
		i  int
		at time.Time
	}
	outcomes := make(chan outcome, n)
	for i := range calls {
		calls[i] = c.Go("Echo.Hang", i, &replies[i], make(chan *rpc.Call, 1))
	}
	sent := time.Now()
	logf("%d Hang calls sent", n)
	for i, call := range calls {
		go func(i int, call *rpc.Call) {
			<-call.Done
			outcomes <- outcome{i, time.Now()}
		}(i, call)
	}
	var times []time.Time
	texts := make([]string, n)
	failed, succeeded := 0, 0
	res := result{"calls": n}
	for k := 0; k < n; k++ {
		var o outcome
		if len(times) == 0 {
			o = <-outcomes // bounded by -timeout
		} else {
			select {
			case o = <-outcomes:
			case <-time.After(times[0].Add(5 * time.Second).Sub(time.Now())):
				res["failed"], res["errors"] = failed, texts
				return res, fmt.Errorf("only %d of %d Hang calls failed within 5 s of the first failure", failed, n)
			}
		}
		times = append(times, o.at)
		if err := calls[o.i].Error; err != nil {
			texts[o.i] = err.Error()
			failed++
		} else {
			succeeded++
		}
	}
	sort.Slice(times, func(a, b int) bool { return times[a].Before(times[b]) })
	spread := times[len(times)-1].Sub(times[0])
	res["failed"], res["errors"] = failed, texts
	res["first_failure_ms"] = ms(times[0].Sub(sent))
	res["spread_ms"] = ms(spread)
	if succeeded > 0 {
		return res, fmt.Errorf("%d Hang calls returned success", succeeded)
	}
	if spread > 5*time.Second {
		return res, fmt.Errorf("the Hang calls failed over %v (> 5 s)", spread)
	}
	return res, nil
}

// ---------------------------------------------------------------- random

// scenarioRandom issues 1..200 concurrent calls drawn from seed on one client: mostly
// Echo.Bytes with 0..64 KiB of random bytes, 1 in 16 with 256 KiB..2 MiB (beyond a yamux
// stream window), 1 in 8 Echo.Sleep of 0..19 ms (replies out of call order), each
// started 0..29 ms after the first. Every reply must equal its request.
func scenarioRandom(c *rpc.Client, seed int64) (result, error) {
	r := rand.New(rand.NewSource(seed))
	n := 1 + r.Intn(200)
	errs := make(chan error, n)
	var moved atomic.Int64
	for i := 0; i < n; i++ {
		start := time.Duration(r.Intn(30)) * time.Millisecond
		size, sleep := -1, 0
		switch k := r.Intn(16); {
		case k == 0:
			size = 256<<10 + r.Intn(1792<<10+1)
		case k <= 2:
			sleep = r.Intn(20)
		default:
			size = r.Intn(64<<10 + 1)
		}
		var data []byte
		if size >= 0 {
			data = make([]byte, size)
			r.Read(data)
		}
		go func(i int) {
			time.Sleep(start)
			if size < 0 {
				var back int
				if err := c.Call("Echo.Sleep", sleep, &back); err != nil {
					errs <- fmt.Errorf("call %d Echo.Sleep(%d): %w", i, sleep, err)
				} else if back != sleep {
					errs <- fmt.Errorf("call %d Echo.Sleep(%d) answered %d", i, sleep, back)
				} else {
					errs <- nil
				}
				return
			}
			var back []byte
			if err := c.Call("Echo.Bytes", data, &back); err != nil {
				errs <- fmt.Errorf("call %d Echo.Bytes(%d bytes): %w", i, size, err)
			} else if !bytes.Equal(back, data) {
				errs <- fmt.Errorf("call %d Echo.Bytes(%d bytes): %d bytes back, different", i, size, len(back))
			} else {
				moved.Add(2 * int64(size))
				errs <- nil
			}
		}(i)
	}
	var first error
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	res := result{"seed": seed, "calls": n, "bytes": moved.Load()}
	return res, first
}
