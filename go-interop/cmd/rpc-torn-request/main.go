// Command rpc-torn-request sends a net/rpc server the bytes Go's dispatcher client (api
// v0.6.0) leaves on its connection when encoding a request fails half-way, and reports what
// the server answers.
//
//	rpc-torn-request -socket PATH -variant input-first|deadline-first
//
// The three calls are those of a host running: a submit of no records; a submit with a
// deadline whose records hold a nil *api.Record (gob fails with "encodeArray: nil element"
// after net/rpc's client has buffered the request header); a submit of one record. The
// failed request's args map {"input", "deadline"} is encoded in Go's random map order:
// input first leaves the header alone on the stream; deadline first also leaves a torn
// message (the map's start, with the interface name "time.Time" and its type definition)
// whose interface type sequence a decoder continues in the next request's header. The
// program encodes the calls into memory until the wanted order came up (at most 10,000
// tries; exit 1 otherwise), writes the bytes to the server at PATH, and prints each
// response as one JSON line {"seq":N,"error":TEXT} (the reply body skipped), then
// {"closed":true} when the server closed the connection or {"closed":false} when it
// stayed silent for 2 s.
package main

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"reflect"
	"sync"
	"time"

	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

// recorder is a connection that keeps what is written and never answers.
type recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Write(p)
}
func (r *recorder) Read([]byte) (int, error) { select {} }
func (r *recorder) Close() error             { return nil }

// torn encodes the three calls and returns the bytes and whether the failed request's
// deadline was encoded before its input.
func torn() ([]byte, bool) {
	rec := &recorder{}
	c := rpc.NewClient(rec)
	deadline := time.Unix(1_900_000_000, 0)
	c.Go("Plugin.Submit", map[string]interface{}{"input": &dispatcher.SubmitInput{Records: []*api.Record{}}}, new(dispatcher.SubmitOutput), nil)
	failed := c.Go("Plugin.Submit", map[string]interface{}{
		"input":    &dispatcher.SubmitInput{Records: []*api.Record{{ID: "a"}, nil}},
		"deadline": deadline,
	}, new(dispatcher.SubmitOutput), nil)
	<-failed.Done
	last := c.Go("Plugin.Submit", map[string]interface{}{"input": &dispatcher.SubmitInput{Records: []*api.Record{{ID: "b"}}}}, new(dispatcher.SubmitOutput), nil)
	// The write happens in Go's send before Go returns: wait until the third header is there.
	for i := 0; i < 1000; i++ {
		rec.mu.Lock()
		n := bytes.Count(rec.buf.Bytes(), []byte("Plugin.Submit"))
		rec.mu.Unlock()
		if n >= 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_ = last
	rec.mu.Lock()
	defer rec.mu.Unlock()
	b := append([]byte(nil), rec.buf.Bytes()...)
	return b, bytes.Contains(b, []byte("time.Time"))
}

func main() {
	socket := flag.String("socket", "", "the server's unix socket")
	variant := flag.String("variant", "", "input-first or deadline-first")
	flag.Parse()
	if *socket == "" || (*variant != "input-first" && *variant != "deadline-first") {
		fmt.Fprintln(os.Stderr, "usage: rpc-torn-request -socket PATH -variant input-first|deadline-first")
		os.Exit(2)
	}
	var stream []byte
	for i := 0; i < 10000 && stream == nil; i++ {
		b, deadlineFirst := torn()
		if deadlineFirst == (*variant == "deadline-first") {
			stream = b
		}
	}
	if stream == nil {
		fmt.Fprintln(os.Stderr, "rpc-torn-request: the wanted map order never came up")
		os.Exit(1)
	}
	conn, err := net.Dial("unix", *socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rpc-torn-request:", err)
		os.Exit(1)
	}
	if _, err := conn.Write(stream); err != nil {
		fmt.Fprintln(os.Stderr, "rpc-torn-request: write:", err)
		os.Exit(1)
	}
	out := json.NewEncoder(os.Stdout)
	dec := gob.NewDecoder(conn)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		var resp rpc.Response
		err := dec.Decode(&resp)
		if err == nil {
			err = dec.DecodeValue(reflect.Value{}) // the reply body, discarded
		}
		if err != nil {
			var ne net.Error
			timedOut := errors.As(err, &ne) && ne.Timeout()
			if !timedOut && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
				fmt.Fprintln(os.Stderr, "rpc-torn-request: read:", err)
				os.Exit(1)
			}
			_ = out.Encode(map[string]bool{"closed": !timedOut})
			return
		}
		_ = out.Encode(map[string]interface{}{"seq": resp.Seq, "error": resp.Error})
	}
}
