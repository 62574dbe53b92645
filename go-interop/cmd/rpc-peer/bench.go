package main

import (
	"flag"
	"fmt"
	"math"
	"net/rpc"
	"os"
	"slices"
	"sync"
	"time"
)

type benchResult struct {
	Callers     int     `json:"callers"`
	Calls       int     `json:"calls"`
	CallsPerSec float64 `json:"calls_per_sec"`
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	Mux         bool    `json:"mux"`
	DurationS   float64 `json:"duration_s"`
	Mode        string  `json:"mode"`
}

func benchArgs() EchoArgs {
	data := make([]byte, 16)
	for i := range data {
		data[i] = byte(i)
	}
	return EchoArgs{ID: 42, Name: "bench", Tags: []string{"a", "b"}, Data: data, Score: 1.5, Meta: map[string]string{"k": "v"}}
}

// percentileUs returns the nearest-rank percentile p (0..1) of sorted, in µs.
func percentileUs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return math.Round(float64(sorted[rank].Nanoseconds())/100) / 10
}

// runBench: callers goroutines share c and call Echo.Echo back-to-back; calls that
// start at or after the warmup and end within the measured window are counted.
func runBench(c *rpc.Client, callers int, duration, warmup time.Duration) (benchResult, error) {
	args := benchArgs()
	measStart := time.Now().Add(warmup)
	measEnd := measStart.Add(duration)
	lats := make([][]time.Duration, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			own := make([]time.Duration, 0, 1<<16)
			for {
				t0 := time.Now()
				if !t0.Before(measEnd) {
					break
				}
				var reply EchoArgs
				if err := c.Call("Echo.Echo", args, &reply); err != nil {
					errs[g] = fmt.Errorf("Echo.Echo: %w", err)
					return
				}
				t1 := time.Now()
				if reply.ID != 42 || reply.Name != "bench" || len(reply.Data) != 16 || len(reply.Tags) != 2 || reply.Meta["k"] != "v" || reply.Score != 1.5 {
					errs[g] = fmt.Errorf("Echo.Echo: wrong reply %+v", reply)
					return
				}
				if !t0.Before(measStart) && !t1.After(measEnd) {
					own = append(own, t1.Sub(t0))
				}
			}
			lats[g] = own
		}(g)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return benchResult{}, err
		}
	}
	all := slices.Concat(lats...)
	slices.Sort(all)
	return benchResult{
		Callers:     callers,
		Calls:       len(all),
		CallsPerSec: math.Round(float64(len(all))/duration.Seconds()*10) / 10,
		P50us:       percentileUs(all, 0.50),
		P99us:       percentileUs(all, 0.99),
		DurationS:   duration.Seconds(),
	}, nil
}

func benchMain(args []string, gogo bool) {
	mode := "bench"
	if gogo {
		mode = "gogo"
	}
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	socket := ""
	if !gogo {
		fs.StringVar(&socket, "socket", "", "unix socket path to dial (required)")
	}
	mux := fs.Bool("mux", false, "yamux (client: one stream)")
	callers := fs.Int("callers", 1, "concurrent callers sharing one rpc.Client")
	duration := fs.Duration("duration", 3*time.Second, "measured duration")
	warmup := fs.Duration("warmup", 500*time.Millisecond, "discarded warm-up")
	fs.Parse(args)
	if (!gogo && socket == "") || *callers < 1 || *duration <= 0 || *warmup < 0 || fs.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "%s: bad flags (need -callers >= 1, -duration > 0%s)\n", mode,
			map[bool]string{false: ", -socket PATH", true: ""}[gogo])
		os.Exit(2)
	}
	fail := func(err error) {
		emit(map[string]any{"ok": false, "mode": mode, "mux": *mux, "callers": *callers, "error": err.Error()}, 1)
	}
	if gogo {
		path, _, err := startInProcessServer(*mux) // removed by emit's atExit hook
		if err != nil {
			fail(fmt.Errorf("in-process Go server: %w", err))
		}
		socket = path
	}
	c, closeFn, err := dialClient(socket, *mux)
	if err != nil {
		fail(fmt.Errorf("dial: %w", err))
	}
	res, err := runBench(c, *callers, *duration, *warmup)
	closeFn()
	if err != nil {
		fail(err)
	}
	res.Mux, res.Mode = *mux, mode
	emit(res, 0)
}
