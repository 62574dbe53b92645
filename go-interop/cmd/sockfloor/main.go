// Command sockfloor measures the physical floor under the net/rpc benchmarks: a raw
// unix-socket ping-pong in one process, no RPC, no gob, no yamux.
//
// Usage:
//
//	sockfloor [-duration 3s] [-size 64] [-warmup 500ms] [-echo-process] [-work 0]
//
// It listens on a unix socket in a fresh temp dir; one goroutine accepts the
// connection and echoes fixed-size messages (io.ReadFull of -size bytes, then one
// Write); the other dials, then repeatedly writes one -size byte message and reads
// the -size byte echo back, timing every round trip. Round trips during -warmup are
// discarded; round trips that start and end within -duration are counted.
//
// -echo-process: the echoing side runs in a child process instead (this binary
// re-executed as "sockfloor -child-echo-socket PATH -size S"), i.e. the cross-process
// floor that a Rust<->Go pair of processes faces; without it both goroutines share
// one Go runtime, which can hand the wake-up over without an OS-level switch.
//
// -work D: each side keeps its CPU busy (spinning on the clock) for D per message inside
// the timed round trip (the echo side before replying, the pinging side after the reply
// arrived), the shape of a call whose two sides each compute. Ideally that adds 2*D to the
// round trip; on a VM whose idle vCPUs halt it adds far more (docs/benchmarks-history.md).
//
// Output: ONE JSON line on stdout, exit 0:
//
//	{"roundtrips_per_sec":F,"p50_us":F,"p99_us":F,"roundtrips":N,"size":S,"duration_s":F,"echo_process":B}
//
// roundtrips_per_sec = roundtrips / duration; percentiles are nearest-rank (µs,
// 0.1 resolution). On error: {"ok":false,"error":TEXT}, exit 1. Bad flags: exit 2.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

type result struct {
	RoundtripsPerSec float64 `json:"roundtrips_per_sec"`
	P50us            float64 `json:"p50_us"`
	P99us            float64 `json:"p99_us"`
	Roundtrips       int     `json:"roundtrips"`
	Size             int     `json:"size"`
	DurationS        float64 `json:"duration_s"`
	EchoProcess      bool    `json:"echo_process"`
	WorkUs           float64 `json:"work_us"`
}

func fail(err error) {
	b, _ := json.Marshal(map[string]any{"ok": false, "error": err.Error()})
	os.Stdout.Write(append(b, '\n'))
	os.Exit(1)
}

func percentileUs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return math.Round(float64(sorted[rank].Nanoseconds())/100) / 10
}

// spin keeps the CPU busy for d: the work a real call would do between two messages.
func spin(d time.Duration) {
	if d <= 0 {
		return
	}
	for start := time.Now(); time.Since(start) < d; {
	}
}

// echo echoes size-byte messages on conn until EOF (nil) or an error, after work of CPU
// time per message.
func echo(conn net.Conn, size int, work time.Duration) error {
	defer conn.Close()
	buf := make([]byte, size)
	for {
		if _, err := io.ReadFull(conn, buf); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		spin(work)
		if _, err := conn.Write(buf); err != nil {
			return err
		}
	}
}

func main() {
	duration := flag.Duration("duration", 3*time.Second, "measured duration")
	size := flag.Int("size", 64, "message size in bytes")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "discarded warm-up")
	echoProcess := flag.Bool("echo-process", false, "run the echoing side in a child process")
	childSocket := flag.String("child-echo-socket", "", "internal: be the echoing child, dial this socket")
	work := flag.Duration("work", 0, "time each side spins per message (models a call's own work)")
	flag.Parse()
	if *childSocket != "" {
		conn, err := net.Dial("unix", *childSocket)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sockfloor child:", err)
			os.Exit(1)
		}
		if err := echo(conn, *size, *work); err != nil {
			fmt.Fprintln(os.Stderr, "sockfloor child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if *duration <= 0 || *size < 1 || *warmup < 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: sockfloor [-duration 3s] [-size 64] [-warmup 500ms] [-echo-process] [-work 0]")
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "sockfloor-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	l, err := net.Listen("unix", filepath.Join(dir, "floor.sock"))
	if err != nil {
		fail(err)
	}
	defer l.Close()

	echoErr := make(chan error, 1)
	var conn net.Conn
	if *echoProcess {
		// We are the pinging side and accept; the child dials and echoes.
		exe, err := os.Executable()
		if err != nil {
			fail(err)
		}
		child := exec.Command(exe, "-child-echo-socket", l.Addr().String(), "-size", fmt.Sprint(*size), "-work", work.String())
		child.Stderr = os.Stderr
		if err := child.Start(); err != nil {
			fail(err)
		}
		go func() { echoErr <- child.Wait() }()
		if conn, err = l.Accept(); err != nil {
			fail(err)
		}
	} else {
		go func() {
			c, err := l.Accept()
			if err != nil {
				echoErr <- err
				return
			}
			echoErr <- echo(c, *size, *work)
		}()
		if conn, err = net.Dial("unix", l.Addr().String()); err != nil {
			fail(err)
		}
	}
	msg := make([]byte, *size)
	for i := range msg {
		msg[i] = byte(i)
	}
	back := make([]byte, *size)
	lats := make([]time.Duration, 0, 1<<20)
	measStart := time.Now().Add(*warmup)
	measEnd := measStart.Add(*duration)
	for {
		t0 := time.Now()
		if !t0.Before(measEnd) {
			break
		}
		if _, err := conn.Write(msg); err != nil {
			fail(err)
		}
		if _, err := io.ReadFull(conn, back); err != nil {
			fail(err)
		}
		spin(*work)
		t1 := time.Now()
		if !t0.Before(measStart) && !t1.After(measEnd) {
			lats = append(lats, t1.Sub(t0))
		}
	}
	conn.Close()
	if err := <-echoErr; err != nil {
		fail(fmt.Errorf("echo side: %w", err))
	}
	slices.Sort(lats)
	b, _ := json.Marshal(result{
		RoundtripsPerSec: math.Round(float64(len(lats))/duration.Seconds()*10) / 10,
		P50us:            percentileUs(lats, 0.50),
		P99us:            percentileUs(lats, 0.99),
		Roundtrips:       len(lats),
		Size:             *size,
		DurationS:        duration.Seconds(),
		EchoProcess:      *echoProcess,
		WorkUs:           float64(work.Microseconds()),
	})
	os.Stdout.Write(append(b, '\n'))
}
