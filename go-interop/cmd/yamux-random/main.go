// Command yamux-random is the Go side of the seeded random-traffic test of the Rust
// `mux` layer (tests/mux_random.rs).
//
// Both sides derive the same script from -seed with the same PRNG (splitmix64): how
// many streams, who opens each and when, the writes in each direction, when each side
// closes, and which streams the Rust side drops. The Go side uses hashicorp/yamux
// 0bc27b27 (pinned in ../../go.mod, as in go-plugin v1.4.3 plugins) with
// yamux.DefaultConfig(), as go-plugin does; ../../latest/cmd/yamux-random/main.go is a
// symlink to this file, built against yamux v0.1.2 (go-plugin v1.8.0).
//
// Protocol with the test harness (as cmd/yamux-peer):
//   - stdout line 1: "READY" once the socket is listening (-role server) or
//     connected (-role client);
//   - stdout line 2: one JSON object (report) with the per-stream outcome;
//   - exit status 0 when the report has "ok": true, 1 otherwise.
//
// The script and content functions must stay identical to tests/mux_random.rs.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"
)

// ---------------------------------------------------------------------------
// Script (mirrors tests/mux_random.rs)
// ---------------------------------------------------------------------------

// rng is splitmix64.
type rng struct{ state uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *rng) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	return mix64(r.state)
}

// below returns a value in [0, n); n > 0.
func (r *rng) below(n uint64) uint64 { return r.next() % n }

const (
	kib      = 1024
	window   = 256 * kib // yamux's initial stream window
	maxSmall = 64 * kib
)

// dirScript is one direction of one stream: the writes and the pause after each, and
// how long the writer waits after its last write before it may close.
type dirScript struct {
	Writes     []int
	PausesMs   []int
	FinDelayMs int
}

func (d dirScript) total() int64 {
	var t int64
	for _, w := range d.Writes {
		t += int64(w)
	}
	return t
}

// Directions: 0 is Rust to Go, 1 is Go to Rust.
type streamScript struct {
	GoOpens bool
	StartMs int
	Dirs    [2]dirScript
	// GoFinEarly: Go closes as soon as it has every byte Rust will send (before Rust's FIN)
	// instead of after reading EOF.
	GoFinEarly bool
	// AbortAfter >= 0: Rust drops the stream once it has read that many bytes of Go's data:
	// without closing its write side (RST), or, with DropAfterFin, after its FIN (then the
	// stream lingers on Rust's side, discarding Go's data until Go's FIN).
	AbortAfter   int64
	DropAfterFin bool
}

func genScript(seed uint64, bigMax int) []streamScript {
	r := rng{seed}
	n := 1 + int(r.below(48))
	streams := make([]streamScript, n)
	for i := range streams {
		s := &streams[i]
		s.GoOpens = r.below(2) == 1
		s.StartMs = int(r.below(50))
		for d := 0; d < 2; d++ {
			count := int(r.below(9))
			for w := 0; w < count; w++ {
				var size int
				switch k := r.below(16); {
				case k == 0 && bigMax > window:
					size = window + int(r.below(uint64(bigMax-window+1)))
				case k == 1:
					size = 0
				case k == 2:
					size = int(r.below(16))
				default:
					size = int(r.below(maxSmall + 1))
				}
				pause := 0
				if r.below(4) == 0 {
					pause = int(r.below(4))
				}
				s.Dirs[d].Writes = append(s.Dirs[d].Writes, size)
				s.Dirs[d].PausesMs = append(s.Dirs[d].PausesMs, pause)
			}
			if r.below(4) == 0 {
				s.Dirs[d].FinDelayMs = int(r.below(10))
			}
		}
		s.GoFinEarly = r.below(2) == 1
		s.AbortAfter = -1
		if r.below(8) == 0 {
			s.AbortAfter = int64(r.below(uint64(s.Dirs[1].total() + 1)))
			s.DropAfterFin = r.below(2) == 1
		}
	}
	return streams
}

// contentKey identifies the byte sequence of one direction of one stream.
func contentKey(seed uint64, stream, dir int) uint64 {
	return mix64(seed + 0x9E3779B97F4A7C15*uint64(2*stream+dir+1))
}

// fill writes the content bytes at offsets [offset, offset+len(buf)) into buf: byte o is
// byte o%8 (little-endian) of mix64(key ^ o/8).
func fill(buf []byte, key uint64, offset int64) {
	var word [8]byte
	cur := int64(-1)
	for i := range buf {
		o := offset + int64(i)
		if o/8 != cur {
			cur = o / 8
			binary.LittleEndian.PutUint64(word[:], mix64(key^uint64(cur)))
		}
		buf[i] = word[o%8]
	}
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

type streamReport struct {
	Index      int    `json:"index"`
	GoOpened   bool   `json:"go_opened"`
	Started    bool   `json:"started"`
	Done       bool   `json:"done"`
	Sent       int64  `json:"sent"`
	Received   int64  `json:"received"`
	ExpectedIn int64  `json:"expected_in"`
	EOF        bool   `json:"eof"`
	Reset      bool   `json:"reset"`
	MismatchAt int64  `json:"mismatch_at"`
	Error      string `json:"error,omitempty"`
}

type report struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Seed  uint64 `json:"seed"`
	Bytes int64  `json:"bytes"`
	// UnidentifiedResets counts streams reset before their header could be read.
	UnidentifiedResets int64          `json:"unidentified_resets"`
	Streams            []streamReport `json:"streams"`
}

// state is one stream's progress, readable at any time for a timeout report.
type state struct {
	started  atomic.Bool
	done     atomic.Bool
	sent     atomic.Int64
	received atomic.Int64
	mu       sync.Mutex
	rep      streamReport // eof, reset, mismatch, error: set under mu
}

func (st *state) fail(format string, args ...any) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.rep.Error == "" {
		st.rep.Error = fmt.Sprintf(format, args...)
	}
}

var (
	socketPath = flag.String("socket", "", "unix socket path (required)")
	role       = flag.String("role", "", "client (dial, yamux.Client) or server (listen, yamux.Server)")
	seed       = flag.Uint64("seed", 0, "script seed")
	bigMax     = flag.Int("big-max", 4<<20, "largest 'big' write in bytes (above the 256 KiB window)")
	deadline   = flag.Duration("timeout", 20*time.Second, "deadline; reports every stream's progress when reached")
)

func main() {
	flag.Parse()
	if *socketPath == "" || (*role != "client" && *role != "server") {
		fmt.Fprintln(os.Stderr, "usage: yamux-random -socket PATH -role client|server -seed N [-big-max BYTES] [-timeout D]")
		os.Exit(2)
	}
	script := genScript(*seed, *bigMax)
	states := make([]*state, len(script))
	for i := range states {
		states[i] = &state{rep: streamReport{MismatchAt: -1}}
	}
	// Streams Rust opened and reset before Go could read their header: Go's Read reports
	// the reset ahead of buffered data (Stream.Read checks streamReset first), so Go cannot
	// tell which script stream they were. Only Rust's abort streams may end up here.
	var unidentified atomic.Int64

	var once sync.Mutex
	finish := func(errText string) {
		once.Lock() // never unlocked: the first report wins, then the process exits
		rep := report{Seed: *seed, Error: errText, OK: errText == "", UnidentifiedResets: unidentified.Load()}
		for i, st := range states {
			st.mu.Lock()
			sr := st.rep
			st.mu.Unlock()
			sr.Index, sr.GoOpened = i, script[i].GoOpens
			sr.Started, sr.Done = st.started.Load(), st.done.Load()
			sr.Sent, sr.Received = st.sent.Load(), st.received.Load()
			sr.ExpectedIn = script[i].Dirs[0].total()
			if sr.Error != "" && rep.OK {
				rep.OK = false
				rep.Error = fmt.Sprintf("stream %d: %s", i, sr.Error)
			}
			rep.Bytes += sr.Sent + sr.Received
			rep.Streams = append(rep.Streams, sr)
		}
		line, err := json.Marshal(rep)
		if err != nil {
			line = []byte(`{"ok":false,"error":"json"}`)
		}
		fmt.Println(string(line))
		if rep.OK {
			os.Exit(0)
		}
		os.Exit(1)
	}

	cfg := yamux.DefaultConfig()
	cfg.LogOutput = os.Stderr
	session, err := connect(cfg)
	if err != nil {
		finish("connect: " + err.Error())
	}
	go func() {
		time.Sleep(*deadline)
		finish(fmt.Sprintf("timed out after %v", *deadline))
	}()

	var wg sync.WaitGroup
	wg.Add(len(script))
	rustOpened := 0
	for i, s := range script {
		if !s.GoOpens {
			rustOpened++
			continue
		}
		go func(i int, s streamScript) {
			defer wg.Done()
			time.Sleep(time.Duration(s.StartMs) * time.Millisecond)
			st, err := session.OpenStream()
			if err != nil {
				states[i].fail("open: %v", err)
				return
			}
			var hdr [4]byte
			binary.BigEndian.PutUint32(hdr[:], uint32(i))
			if _, err := st.Write(hdr[:]); err != nil {
				states[i].fail("writing the stream header: %v", err)
				return
			}
			run(i, s, st, states[i])
		}(i, s)
	}
	go func() {
		claimed := make([]atomic.Bool, len(script))
		for k := 0; k < rustOpened; k++ {
			st, err := session.AcceptStream()
			if err != nil {
				finish(fmt.Sprintf("accept (%d of %d streams accepted): %v", k, rustOpened, err))
			}
			go func(st *yamux.Stream) {
				var hdr [4]byte
				if _, err := io.ReadFull(st, hdr[:]); err != nil {
					if errors.Is(err, yamux.ErrConnectionReset) {
						unidentified.Add(1)
						wg.Done()
						return
					}
					finish(fmt.Sprintf("reading the header of stream id %d: %v", st.StreamID(), err))
				}
				i := int(binary.BigEndian.Uint32(hdr[:]))
				if i >= len(script) || script[i].GoOpens || claimed[i].Swap(true) {
					finish(fmt.Sprintf("stream id %d names script stream %d, which Rust does not open (or twice)", st.StreamID(), i))
				}
				defer wg.Done()
				run(i, script[i], st, states[i])
			}(st)
		}
	}()
	wg.Wait()
	finish("")
}

// run drives one stream: a writer and a reader concurrently, then Close once the
// writer is done and the reader has everything (see GoFinEarly) or ended.
//
// Go closes only after its reader is through, because at yamux 0bc27b27 a stream in
// local-close state reads EOF as soon as its receive buffer is empty (Stream.Read):
// data still in flight from Rust would be lost. Go has no per-stream reset, so only the
// Rust side aborts streams.
func run(i int, s streamScript, st *yamux.Stream, t *state) {
	t.started.Store(true)
	defer t.done.Store(true)
	// abort: Go's writes may end in a reset; rst: also Go's reads (Rust sent no FIN).
	abort := s.AbortAfter >= 0
	rst := abort && !s.DropAfterFin
	expected := s.Dirs[0].total()
	inKey, outKey := contentKey(*seed, i, 0), contentKey(*seed, i, 1)

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		var offset int64
		for w, size := range s.Dirs[1].Writes {
			buf := make([]byte, size)
			fill(buf, outKey, offset)
			n, err := st.Write(buf)
			offset += int64(n)
			t.sent.Store(offset)
			if err != nil {
				if abort && errors.Is(err, yamux.ErrConnectionReset) {
					return
				}
				t.fail("write %d (%d bytes at offset %d): %v", w, size, offset, err)
				return
			}
			time.Sleep(time.Duration(s.Dirs[1].PausesMs[w]) * time.Millisecond)
		}
	}()

	allIn := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		r := rng{mix64(*seed ^ uint64(i)<<32 ^ 0x60)} // read sizes and pauses: Go's own choice
		buf := make([]byte, 128*kib)
		want := make([]byte, 128*kib)
		var got int64
		signalled := false
		for {
			size := 1 + int(r.below(128*kib))
			if r.below(4) == 0 {
				size = 1 + int(r.below(16))
			}
			n, err := st.Read(buf[:size])
			if n > 0 {
				if got+int64(n) > expected {
					t.fail("%d bytes beyond the %d Rust sends", got+int64(n)-expected, expected)
					t.mu.Lock()
					t.rep.MismatchAt = expected
					t.mu.Unlock()
					return
				}
				fill(want[:n], inKey, got)
				for k := 0; k < n; k++ {
					if buf[k] != want[k] {
						t.fail("content mismatch at offset %d", got+int64(k))
						t.mu.Lock()
						t.rep.MismatchAt = got + int64(k)
						t.mu.Unlock()
						return
					}
				}
				got += int64(n)
				t.received.Store(got)
			}
			if got == expected && !signalled {
				signalled = true
				close(allIn)
			}
			switch {
			case err == nil:
			case errors.Is(err, io.EOF):
				t.mu.Lock()
				t.rep.EOF = true
				t.mu.Unlock()
				if got != expected && !rst {
					t.fail("EOF after %d of %d bytes", got, expected)
				}
				return
			case errors.Is(err, yamux.ErrConnectionReset) && rst:
				t.mu.Lock()
				t.rep.Reset = true
				t.mu.Unlock()
				return
			default:
				t.fail("read at offset %d: %v", got, err)
				return
			}
			if r.below(8) == 0 {
				time.Sleep(time.Duration(r.below(3)) * time.Millisecond)
			}
		}
	}()

	<-writerDone
	if s.GoFinEarly && !abort {
		select {
		case <-allIn:
		case <-readerDone:
		}
	} else {
		<-readerDone
	}
	time.Sleep(time.Duration(s.Dirs[1].FinDelayMs) * time.Millisecond)
	if err := st.Close(); err != nil {
		t.fail("close: %v", err)
	}
	<-readerDone
}

// connect dials or listens on the unix socket, prints READY and starts the yamux session.
func connect(cfg *yamux.Config) (*yamux.Session, error) {
	if *role == "client" {
		conn, err := net.Dial("unix", *socketPath)
		if err != nil {
			return nil, err
		}
		s, err := yamux.Client(conn, cfg)
		if err != nil {
			return nil, err
		}
		fmt.Println("READY")
		return s, nil
	}
	_ = os.Remove(*socketPath)
	l, err := net.Listen("unix", *socketPath)
	if err != nil {
		return nil, err
	}
	fmt.Println("READY")
	conn, err := l.Accept()
	l.Close()
	if err != nil {
		return nil, err
	}
	return yamux.Server(conn, cfg)
}
