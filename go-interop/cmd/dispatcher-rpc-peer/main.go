// Command dispatcher-rpc-peer serves or calls the TiloRes dispatcher net/rpc service
// ("Plugin", tilores-plugin-api v0.6.0) over a plain unix socket, without go-plugin
// (no handshake, no yamux, no broker): the same service object and client object that
// go-plugin would put on a dispensed stream. It lets the Rust dispatcher adapters be
// tested against Go's own server and client code in isolation.
//
//	dispatcher-rpc-peer serve -socket PATH [-impl fake|test]
//	dispatcher-rpc-peer call  -socket PATH [-script FILE] [-parallel N]
//
// serve: listens on PATH (a stale socket file is removed first) and serves every accepted
// connection with rpc.ServeConn on a server holding
// rpc.NewServer().RegisterName("Plugin", srv), srv from
// (&dispatcher.Plugin{Impl: impl}).Server(nil). One impl serves all connections (as in a
// plugin process):
//
//	fake  tilores-plugin-fake-dispatcher v0.5.2 pkg.FakeDispatcher, unchanged (its panics
//	      — Search without parameters while records are stored, uncomparable values —
//	      end this process, as they end the fake plugin)
//	test  the tilores-plugin-api v0.6.0 test fixture (internal/dispatchertest.TestDispatcher,
//	      also behind plugin/dispatcher-testplugin)
//
// When listening it prints {"ready":true,"socket":PATH} on stdout. It runs until killed
// (SIGINT/SIGTERM remove the socket file and exit 0).
//
// call: dials PATH (retrying for up to 5 s), builds the dispatcher client with
// (&dispatcher.Plugin{}).Client(nil, rpc.NewClient(conn)) and runs the JSON-lines script
// (FILE, or stdin without -script) exactly like dispatcher-host's script mode
// (internal/dispatchertest.RunScript): one {"output":..} / {"error":..} line per script line
// on stdout. Exit 0 at EOF; 1 on connection, read or write errors; 2 on usage errors.
// With -parallel N (N > 1) the script is read once and run by N goroutines at the same time
// on the one client (calls of different goroutines overlap on the connection); the output of
// the first is printed, and if any other output differs the program prints
// "dispatcher-rpc-peer: parallel run K differs" on stderr and exits 1.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/tilotech/tilores-plugin-api/dispatcher"
	"github.com/tilotech/tilores-plugin-fake-dispatcher/pkg"
	"tilores-plugin-rs/go-interop/internal/dispatchertest"
	"tilores-plugin-rs/go-interop/scripthost"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		socket := fs.String("socket", "", "unix socket path to listen on")
		impl := fs.String("impl", "fake", "dispatcher implementation: fake or test")
		fs.Parse(os.Args[2:])
		if *socket == "" {
			usage()
		}
		os.Exit(serve(*socket, *impl))
	case "call":
		fs := flag.NewFlagSet("call", flag.ExitOnError)
		socket := fs.String("socket", "", "unix socket path to dial")
		script := fs.String("script", "", "script file (default stdin)")
		parallel := fs.Int("parallel", 1, "run the script this many times concurrently")
		fs.Parse(os.Args[2:])
		if *socket == "" || *parallel < 1 {
			usage()
		}
		os.Exit(call(*socket, *script, *parallel))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dispatcher-rpc-peer serve -socket PATH [-impl fake|test]\n       dispatcher-rpc-peer call -socket PATH [-script FILE]")
	os.Exit(2)
}

func serve(socket, implName string) int {
	var impl dispatcher.Dispatcher
	switch implName {
	case "fake":
		impl = &pkg.FakeDispatcher{}
	case "test":
		impl = &dispatchertest.TestDispatcher{}
	default:
		fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: unknown -impl %q\n", implName)
		return 2
	}
	srv, err := (&dispatcher.Plugin{Impl: impl}).Server(nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: Server: %v\n", err)
		return 1
	}
	rpcServer := rpc.NewServer()
	if err := rpcServer.RegisterName("Plugin", srv); err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: RegisterName: %v\n", err)
		return 1
	}
	if fi, err := os.Lstat(socket); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(socket)
	}
	l, err := net.Listen("unix", socket)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: listen: %v\n", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		l.Close()
		os.Remove(socket)
		os.Exit(0)
	}()
	b, _ := json.Marshal(map[string]interface{}{"ready": true, "socket": socket})
	os.Stdout.Write(append(b, '\n'))
	for {
		conn, err := l.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: accept: %v\n", err)
			return 1
		}
		go rpcServer.ServeConn(conn)
	}
}

func call(socket, script string, parallel int) int {
	var in io.Reader = os.Stdin
	if script != "" {
		f, err := os.Open(script)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	conn, err := dial(socket)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: dial: %v\n", err)
		return 1
	}
	raw, err := (&dispatcher.Plugin{}).Client(nil, rpc.NewClient(conn))
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: Client: %v\n", err)
		return 1
	}
	dsp, ok := raw.(dispatcher.Dispatcher)
	if !ok {
		fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: not a dispatcher: %T\n", raw)
		return 1
	}
	if parallel == 1 {
		if err := dispatchertest.RunScript(dsp, parseRequest, in, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: %v\n", err)
			return 1
		}
		return 0
	}
	text, err := io.ReadAll(in)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: read: %v\n", err)
		return 1
	}
	outs := make([]bytes.Buffer, parallel)
	errs := make([]error, parallel)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = dispatchertest.RunScript(dsp, parseRequest, bytes.NewReader(text), &outs[i])
		}(i)
	}
	wg.Wait()
	os.Stdout.Write(outs[0].Bytes())
	for i := range outs {
		if errs[i] != nil {
			fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: parallel run %d: %v\n", i, errs[i])
			return 1
		}
		if !bytes.Equal(outs[i].Bytes(), outs[0].Bytes()) {
			fmt.Fprintf(os.Stderr, "dispatcher-rpc-peer: parallel run %d differs\n", i)
			return 1
		}
	}
	return 0
}

// dial dials the unix socket, retrying for up to 5 s while it is missing or refuses.
func dial(path string) (net.Conn, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("unix", path)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// request is one script line: dispatchertest.Request under this package's type name, which
// encoding/json's error texts show ("... of type main.request").
type request dispatchertest.Request

// parseRequest decodes one script line.
var parseRequest dispatchertest.ParseFunc = scripthost.Parse[request]
