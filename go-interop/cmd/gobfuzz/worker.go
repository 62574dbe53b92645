package main

// Decoding mutated (or foreign) streams can crash a Go process for good: a
// corrupted map count makes reflect.MakeMapWithSize allocate gigabytes, and
// a corrupted stream can nest deeper than the goroutine stack allows; both
// are fatal errors, not panics. So every Go decode of such input runs in a
// worker child process (`gobfuzz worker`) with a data-size rlimit and a small
// maximum stack; when one dies, its job is reported as a crash and a new
// worker takes over.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	workerDataLimit = 512 << 20 // RLIMIT_DATA of a worker
	workerMaxStack  = 64 << 20  // goroutine stack limit of a worker
	workerMemLimit  = 256 << 20
	jobTimeout      = 120 * time.Second
)

type wjob struct {
	header   any
	payloads [][]byte
	// stream identifies the job's stream ("seed/attempt"). A worker serves
	// one stream only: gob's name registry is process-global and only
	// grows, and names registered for another stream would let Go accept an
	// interface value (say, from a mutated name) that a process knowing
	// just this stream's types rejects.
	stream string
	ctx    any // the caller's bookkeeping
	res    chan wres
}

type wres struct {
	rec   *record
	crash string // non-empty when the worker died (or timed out) on this job
}

// tailBuffer keeps the last bytes written to it (a worker's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 1<<16 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-1<<15:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) summary() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(string(t.buf), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "runtime:") || strings.HasPrefix(l, "panic:") {
			return strings.TrimSpace(l)
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(lines[i]); s != "" {
			return short(s, 200)
		}
	}
	return "worker exited"
}

type worker struct {
	exe    string
	stream string
	cmd    *exec.Cmd
	in     io.WriteCloser
	w      *bufio.Writer
	r      *bufio.Reader
	stderr *tailBuffer
}

func (w *worker) start() error {
	cmd := exec.Command(w.exe, "worker")
	cmd.Env = append(os.Environ(), "GOTRACEBACK=none")
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	w.stderr = &tailBuffer{}
	cmd.Stderr = w.stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	w.cmd, w.in, w.w, w.r = cmd, in, bufio.NewWriterSize(in, 1<<20), bufio.NewReaderSize(out, 1<<20)
	return nil
}

func (w *worker) stop() {
	if w.cmd == nil {
		return
	}
	w.in.Close()
	done := make(chan struct{})
	go func() { w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		w.cmd.Process.Kill()
		<-done
	}
	w.cmd = nil
}

func (w *worker) do(j *wjob) wres {
	if w.cmd != nil && w.stream != j.stream {
		w.stop()
	}
	w.stream = j.stream
	if w.cmd == nil {
		if err := w.start(); err != nil {
			return wres{crash: "cannot start worker: " + err.Error()}
		}
	}
	proc := w.cmd.Process
	var timedOut atomic.Bool
	timer := time.AfterFunc(jobTimeout, func() { timedOut.Store(true); proc.Kill() })
	defer timer.Stop()
	err := writeRecord(w.w, j.header, j.payloads...)
	if err == nil {
		err = w.w.Flush()
	}
	var rec *record
	if err == nil {
		rec, err = readRecord(w.r)
	}
	if err != nil {
		proc.Kill()
		w.cmd.Wait()
		w.cmd = nil
		if timedOut.Load() {
			return wres{crash: "timeout"}
		}
		return wres{crash: w.stderr.summary()}
	}
	var h struct {
		Restart bool `json:"restart"`
	}
	if json.Unmarshal(rec.Header, &h) == nil && h.Restart {
		w.stop()
	}
	return wres{rec: rec}
}

// runOrdered feeds the jobs produce emits to n workers and hands the
// results to consume in emission order.
func runOrdered(n int, produce func(emit func(*wjob)) error, consume func(*wjob, wres) error) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	n = max(n, 1)
	work := make(chan *wjob)
	order := make(chan *wjob, 4*n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{exe: exe}
			defer w.stop()
			for j := range work {
				j.res <- w.do(j)
			}
		}()
	}
	var perr error
	go func() {
		perr = produce(func(j *wjob) {
			j.res = make(chan wres, 1)
			order <- j
			work <- j
		})
		close(work)
		close(order)
	}()
	var cerr error
	for j := range order {
		r := <-j.res
		if cerr == nil {
			cerr = consume(j, r)
		}
	}
	wg.Wait()
	if perr != nil {
		return perr
	}
	return cerr
}

// ---- the worker process ----

type workerReq struct {
	Op      string          `json:"op"`
	Seed    uint64          `json:"seed"`
	Attempt int             `json:"attempt"`
	MapFree bool            `json:"map_free"`
	Rust    json.RawMessage `json:"rust"`
}

func cmdWorker() int {
	setLimits(workerDataLimit)
	debug.SetMaxStack(workerMaxStack)
	debug.SetMemoryLimit(workerMemLimit)
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	var cached *Stream
	for {
		rec, err := readRecord(in)
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			return 2
		}
		var req workerReq
		if err := json.Unmarshal(rec.Header, &req); err != nil {
			fmt.Fprintln(os.Stderr, "worker: bad request:", err)
			return 2
		}
		if cached == nil || cached.Seed != req.Seed || cached.Attempt != req.Attempt {
			cached = generate(req.Seed, req.Attempt)
		}
		var resp any
		var payloads [][]byte
		switch req.Op {
		case "mdecode":
			resp = opMutantDecode(cached, rec.payload(0))
		case "echom":
			resp, payloads = opEchoMutant(cached, rec.payload(0))
		case "check":
			resp = opCheckStream(cached, &req, rec)
		case "checkm":
			resp = opCheckMutant(cached, &req, rec)
		default:
			fmt.Fprintln(os.Stderr, "worker: unknown op", req.Op)
			return 2
		}
		if err := writeRecord(out, resp, payloads...); err != nil {
			return 2
		}
		if err := out.Flush(); err != nil {
			return 2
		}
		// A panic inside encoding/gob may leave its state inconsistent: the
		// reply carries restart=true and this worker exits.
		var h struct {
			Restart bool `json:"restart"`
		}
		b, _ := json.Marshal(resp)
		if json.Unmarshal(b, &h) == nil && h.Restart {
			return 0
		}
	}
}

// bytesAround renders ~16 bytes of b around off.
func bytesAround(b []byte, off int) string {
	lo := max(0, off-8)
	hi := min(len(b), off+8)
	if lo >= hi {
		return "(end)"
	}
	return fmt.Sprintf("[%d:%d]=%x", lo, hi, b[lo:hi])
}

func byteMismatch(goB, other []byte) string {
	i := 0
	for i < len(goB) && i < len(other) && goB[i] == other[i] {
		i++
	}
	return fmt.Sprintf("first difference at offset %d (go %d bytes, rust %d bytes): go%s rust%s",
		i, len(goB), len(other), bytesAround(goB, i), bytesAround(other, i))
}
