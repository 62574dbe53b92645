// Command yamux-peer is a bare hashicorp/yamux peer for the Rust `mux` interop tests.
//
// It uses the yamux commit that go-plugin v1.4.3 plugins are built with
// (0bc27b27de87, pinned in ../../go.mod) with DefaultConfig, except for the
// timeouts the flags shorten so that the ACK and ping failure paths show up in
// seconds instead of 75 s / 40 s (yamux-crate-interop.md, A.5).
//
// Protocol with the test harness:
//   - stdout line 1: "READY" once the socket is listening (-role server) or
//     connected (-role client);
//   - stdout line 2: one JSON object with the scenario result;
//   - exit status 0 when the result has "ok": true, 1 otherwise;
//   - stderr: yamux's own log lines ("[ERR] yamux: ...") and ours, for diagnostics.
//
// -role only decides who dials (client) and who listens (server), and with it
// the stream-id parity (client odd, server even), exactly as in go-plugin where
// the host dials as yamux client. Which side opens streams is fixed per
// scenario, see the scenario functions.
//
// Data written or checked in the bulk scenarios follows pattern(i) = byte(i % 251);
// 251 is prime, so the pattern never lines up with window or frame boundaries.
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
	"time"

	"github.com/hashicorp/yamux"
)

// result is the JSON line printed on stdout. Fields that a scenario does not
// use are omitted.
type result struct {
	Scenario      string   `json:"scenario"`
	OK            bool     `json:"ok"`
	Error         string   `json:"error,omitempty"`
	Bytes         int64    `json:"bytes,omitempty"`
	PeerBytes     int64    `json:"peer_bytes,omitempty"`
	ElapsedMs     int64    `json:"elapsed_ms,omitempty"`
	MibPerS       float64  `json:"mib_per_s,omitempty"`
	Survived      *bool    `json:"survived,omitempty"`
	ClosedAfterMs int64    `json:"closed_after_ms,omitempty"`
	IDs           []uint32 `json:"ids,omitempty"`
	FirstBytes    string   `json:"first_bytes,omitempty"`
	Streams       int      `json:"streams,omitempty"`
	SessionClosed *bool    `json:"session_closed,omitempty"`
}

var (
	socketPath   = flag.String("socket", "", "unix socket path (required)")
	role         = flag.String("role", "", "client (dial, yamux.Client) or server (listen, yamux.Server)")
	scenario     = flag.String("scenario", "", "write | read | idle-open | accept-order | keepalive | echo | close")
	openTimeout  = flag.Duration("open-timeout", 75*time.Second, "yamux StreamOpenTimeout (Go default 75s)")
	keepalive    = flag.Duration("keepalive-interval", 30*time.Second, "yamux KeepAliveInterval (Go default 30s)")
	writeTimeout = flag.Duration("write-timeout", 10*time.Second, "yamux ConnectionWriteTimeout, also the ping reply wait (Go default 10s)")
	size         = flag.Int64("size", 64<<20, "write/read: number of bytes")
	delay        = flag.Duration("delay", 500*time.Millisecond, "read: wait this long after getting the stream before the first Read")
	idle         = flag.Duration("idle", 3*time.Second, "idle-open/keepalive: how long to stay idle")
	streams      = flag.Int("streams", 3, "idle-open/accept-order: streams to open/accept; echo: streams to serve before reporting")
	deadline     = flag.Duration("timeout", 30*time.Second, "overall deadline; reports ok=false when reached")
)

func pattern(i int64) byte { return byte(i % 251) }

func main() {
	flag.Parse()
	if *socketPath == "" || (*role != "client" && *role != "server") || *scenario == "" {
		fmt.Fprintln(os.Stderr, "usage: yamux-peer -socket PATH -role client|server -scenario NAME [flags]")
		os.Exit(2)
	}

	cfg := yamux.DefaultConfig()
	cfg.StreamOpenTimeout = *openTimeout
	cfg.KeepAliveInterval = *keepalive
	cfg.ConnectionWriteTimeout = *writeTimeout
	cfg.LogOutput = os.Stderr

	session, err := connect(cfg)
	if err != nil {
		report(result{Scenario: *scenario, Error: "connect: " + err.Error()})
	}

	// The overall deadline guarantees the process ends even if the Rust side hangs.
	go func() {
		time.Sleep(*deadline)
		report(result{Scenario: *scenario, Error: fmt.Sprintf("scenario timed out after %v", *deadline)})
	}()

	var r result
	switch *scenario {
	case "write":
		r = scenarioWrite(session)
	case "read":
		r = scenarioRead(session)
	case "idle-open":
		r = scenarioIdleOpen(session)
	case "accept-order":
		r = scenarioAcceptOrder(session)
	case "keepalive":
		r = scenarioKeepalive(session)
	case "echo":
		r = scenarioEcho(session)
	case "close":
		r = scenarioClose(session)
	default:
		r = result{Error: "unknown scenario " + *scenario}
	}
	r.Scenario = *scenario
	report(r)
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

// report prints the result line and exits 0 when ok, 1 otherwise.
func report(r result) {
	line, err := json.Marshal(r)
	if err != nil {
		line = []byte(`{"ok":false,"error":"json"}`)
	}
	fmt.Println(string(line))
	if r.OK {
		os.Exit(0)
	}
	os.Exit(1)
}

func boolp(b bool) *bool { return &b }

// Case 1 (A.5): Go writes -size bytes to Rust in a single Write on a stream Go
// opens. hashicorp/yamux sends each frame as large as the window Rust granted,
// so an auto-tuned Rust window above 1 MiB produces frames rust-yamux rejects.
// Rust reads -size bytes, checks the pattern and answers with the byte count
// as a big-endian u64, then FIN.
func scenarioWrite(s *yamux.Session) result {
	st, err := s.OpenStream()
	if err != nil {
		return result{Error: "open: " + err.Error()}
	}
	buf := make([]byte, *size)
	for i := range buf {
		buf[i] = pattern(int64(i))
	}
	start := time.Now()
	n, err := st.Write(buf)
	if err != nil {
		return result{Bytes: int64(n), Error: "write: " + err.Error()}
	}
	// No Close before reading the answer: at this yamux commit a stream in
	// local-close reads EOF as soon as its buffer is empty.
	var count [8]byte
	if _, err := io.ReadFull(st, count[:]); err != nil {
		return result{Bytes: int64(n), Error: "reading the peer's byte count: " + err.Error()}
	}
	st.Close()
	elapsed := time.Since(start)
	peer := int64(binary.BigEndian.Uint64(count[:]))
	r := result{Bytes: int64(n), PeerBytes: peer, ElapsedMs: elapsed.Milliseconds(),
		MibPerS: float64(n) / (1 << 20) / elapsed.Seconds()}
	r.OK = peer == *size
	if !r.OK {
		r.Error = fmt.Sprintf("peer received %d of %d bytes", peer, *size)
	}
	return r
}

// Case 2 (A.5): Rust opens a stream and writes -size bytes; Go accepts it and
// starts reading only after -delay, so the Rust writer runs with no reader
// pending on either side until Go's window updates arrive. Go verifies every
// byte, then closes its side.
func scenarioRead(s *yamux.Session) result {
	st, err := s.AcceptStream()
	if err != nil {
		return result{Error: "accept: " + err.Error()}
	}
	time.Sleep(*delay)
	start := time.Now()
	buf := make([]byte, 64<<10)
	var total int64
	for {
		n, err := st.Read(buf)
		for i := 0; i < n; i++ {
			if buf[i] != pattern(total+int64(i)) {
				return result{Bytes: total + int64(i), Error: fmt.Sprintf("content mismatch at byte %d", total+int64(i))}
			}
		}
		total += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return result{Bytes: total, Error: "read: " + err.Error()}
		}
	}
	elapsed := time.Since(start)
	st.Close()
	r := result{Bytes: total, ElapsedMs: elapsed.Milliseconds(), MibPerS: float64(total) / (1 << 20) / elapsed.Seconds()}
	r.OK = total == *size
	if !r.OK {
		r.Error = fmt.Sprintf("received %d of %d bytes", total, *size)
	}
	return r
}

// watchClose records how long after start the session shut down (0 while alive).
func watchClose(s *yamux.Session, start time.Time) func() (bool, int64) {
	closedAfter := make(chan int64, 1)
	go func() {
		<-s.CloseChan()
		closedAfter <- time.Since(start).Milliseconds()
	}()
	return func() (bool, int64) {
		select {
		case ms := <-closedAfter:
			return false, ms
		default:
			return true, 0
		}
	}
}

// Case 3 (A.5): Go opens -streams streams, never writes, and stays idle for
// -idle. With -open-timeout shorter than -idle, Go closes the whole session
// unless Rust ACKed every stream. A final Ping proves the session still works.
func scenarioIdleOpen(s *yamux.Session) result {
	start := time.Now()
	alive := watchClose(s, start)
	var opened []*yamux.Stream
	for i := 0; i < *streams; i++ {
		st, err := s.OpenStream()
		if err != nil {
			return result{Error: "open: " + err.Error(), Survived: boolp(false)}
		}
		opened = append(opened, st)
	}
	time.Sleep(*idle)
	ok, closedAfter := alive()
	r := result{Survived: boolp(ok), ClosedAfterMs: closedAfter, Streams: len(opened)}
	if !ok {
		r.Error = "session closed while idle"
		return r
	}
	if _, err := s.Ping(); err != nil {
		r.Survived = boolp(false)
		r.Error = "ping after idle: " + err.Error()
		return r
	}
	for _, st := range opened {
		st.Close()
	}
	r.OK = true
	return r
}

// Case 4 (A.5): Go accepts -streams streams (as the go-plugin server accepts
// control, stdout, stderr) and reports their ids in accept order and the first
// byte each carries. ok means accept order == open order (ascending ids).
func scenarioAcceptOrder(s *yamux.Session) result {
	var r result
	var accepted []*yamux.Stream
	for i := 0; i < *streams; i++ {
		st, err := s.AcceptStream()
		if err != nil {
			r.Error = "accept: " + err.Error()
			return r
		}
		accepted = append(accepted, st)
		r.IDs = append(r.IDs, st.StreamID())
	}
	first := make([]byte, 0, len(accepted))
	for _, st := range accepted {
		var b [1]byte
		st.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(st, b[:]); err != nil {
			r.Error = fmt.Sprintf("reading first byte of stream %d: %v", st.StreamID(), err)
			return r
		}
		first = append(first, b[0])
	}
	r.FirstBytes = string(first)
	r.OK = true
	for i := 1; i < len(r.IDs); i++ {
		if r.IDs[i] <= r.IDs[i-1] {
			r.OK = false
			r.Error = "streams accepted out of open order"
		}
	}
	for _, st := range accepted {
		st.Close()
	}
	return r
}

// Case 5 (A.5): the session stays idle for -idle while Go's keepalive pings
// every -keepalive-interval and waits -write-timeout for each reply. Go closes
// the session on the first unanswered ping.
func scenarioKeepalive(s *yamux.Session) result {
	start := time.Now()
	alive := watchClose(s, start)
	time.Sleep(*idle)
	ok, closedAfter := alive()
	r := result{OK: ok, Survived: boolp(ok), ClosedAfterMs: closedAfter}
	if !ok {
		r.Error = "session closed while idle (keepalive failed?)"
	}
	return r
}

// Case 6 (A.5): echo server. Every stream the Rust side opens is echoed back
// (read, write back) until EOF, then closed. Reports once -streams streams
// completed.
func scenarioEcho(s *yamux.Session) result {
	type done struct {
		bytes int64
		err   error
	}
	results := make(chan done, *streams)
	start := time.Now()
	for i := 0; i < *streams; i++ {
		st, err := s.AcceptStream()
		if err != nil {
			return result{Error: "accept: " + err.Error()}
		}
		go func(st *yamux.Stream) {
			buf := make([]byte, 32<<10)
			var total int64
			for {
				n, err := st.Read(buf)
				if n > 0 {
					if _, werr := st.Write(buf[:n]); werr != nil {
						results <- done{total, werr}
						return
					}
					total += int64(n)
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					results <- done{total, err}
					return
				}
			}
			results <- done{total, st.Close()}
		}(st)
	}
	r := result{OK: true}
	for i := 0; i < *streams; i++ {
		d := <-results
		r.Bytes += d.bytes
		if d.err != nil && r.Error == "" {
			r.OK = false
			r.Error = "echo stream: " + d.err.Error()
		}
		r.Streams++
	}
	elapsed := time.Since(start)
	r.ElapsedMs = elapsed.Milliseconds()
	r.MibPerS = float64(r.Bytes) / (1 << 20) / elapsed.Seconds()
	return r
}

// Graceful close: Rust opens a stream, writes pattern bytes, sends FIN and
// closes the whole session right away. Go must receive every byte, then EOF,
// and see its session end (socket EOF after an optional GoAway(0)).
func scenarioClose(s *yamux.Session) result {
	st, err := s.AcceptStream()
	if err != nil {
		return result{Error: "accept: " + err.Error()}
	}
	// Tell the Rust side the stream is accepted before it closes the session:
	// AcceptStream waits for its ACK's send result or for the session's end,
	// and picks at random when both are ready, so a close that follows the
	// ACK quickly could make it fail with "session shutdown".
	if _, err := st.Write([]byte{'A'}); err != nil {
		return result{Error: "accepted marker: " + err.Error()}
	}
	// At this yamux commit, Read returns ErrSessionShutdown together with data
	// when the session ended and the read made a window update due (the update
	// cannot be sent); the rest of the buffer is still readable, so go on.
	var data []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := st.Read(buf)
		data = append(data, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, yamux.ErrSessionShutdown) && n > 0 {
			continue
		}
		if err != nil {
			return result{Bytes: int64(len(data)), Error: "read: " + err.Error()}
		}
	}
	r := result{Bytes: int64(len(data))}
	for i, b := range data {
		if b != pattern(int64(i)) {
			r.Error = fmt.Sprintf("content mismatch at byte %d", i)
			return r
		}
	}
	select {
	case <-s.CloseChan():
		r.SessionClosed = boolp(true)
		r.OK = true
	case <-time.After(5 * time.Second):
		r.SessionClosed = boolp(false)
		r.Error = "session still open 5 s after the stream's EOF"
	}
	return r
}
