package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/yamux"
)

// listenUnix listens on path, removing a stale socket file first.
func listenUnix(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// We remove the file ourselves (also on os.Exit paths).
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	return l, nil
}

// serveListener accepts connections until the listener fails.
// yamuxLog is where server sessions log (nil: DefaultConfig's os.Stderr).
func serveListener(l net.Listener, srv *rpc.Server, mux bool, yamuxLog io.Writer) error {
	for {
		conn, err := l.Accept()
		if err != nil {
			return err
		}
		go serveConn(conn, srv, mux, yamuxLog)
	}
}

// serveConn serves one accepted connection: raw net/rpc, or yamux.Server with every
// accepted stream served by rpc.ServeConn in its own goroutine.
func serveConn(conn net.Conn, srv *rpc.Server, mux bool, yamuxLog io.Writer) {
	if !mux {
		srv.ServeConn(conn)
		return
	}
	cfg := yamux.DefaultConfig()
	if yamuxLog != nil {
		cfg.LogOutput = yamuxLog
	}
	sess, err := yamux.Server(conn, cfg)
	if err != nil {
		logf("yamux.Server: %v", err)
		conn.Close()
		return
	}
	defer sess.Close()
	for {
		stream, err := sess.Accept()
		if err != nil {
			return
		}
		go srv.ServeConn(stream)
	}
}

// dialUnix dials path, retrying for up to 5 s while the socket is missing or refuses.
func dialUnix(path string) (net.Conn, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("unix", path)
		if err == nil {
			return conn, nil
		}
		retry := errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
		if !retry || time.Now().After(deadline) {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dialClient returns one rpc.Client over the raw connection, or over ONE stream of a
// yamux.Client session; closeFn closes client, stream, session and connection.
func dialClient(path string, mux bool) (client *rpc.Client, closeFn func(), err error) {
	conn, err := dialUnix(path)
	if err != nil {
		return nil, nil, err
	}
	if !mux {
		c := rpc.NewClient(conn)
		return c, func() { c.Close() }, nil
	}
	sess, err := yamux.Client(conn, yamux.DefaultConfig())
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("yamux.Client: %w", err)
	}
	stream, err := sess.Open()
	if err != nil {
		sess.Close()
		return nil, nil, fmt.Errorf("yamux open stream: %w", err)
	}
	c := rpc.NewClient(stream)
	return c, func() { c.Close(); sess.Close() }, nil
}

// startInProcessServer starts a Go server on a unix socket in a fresh temp dir. Its
// yamux sessions do not log (our own client's teardown would otherwise log a
// harmless "Failed to write header ... broken pipe").
func startInProcessServer(mux bool) (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "rpc-peer-")
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "rpc.sock")
	l, err := listenUnix(path)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	srv := newRPCServer(&EchoService{})
	go serveListener(l, srv, mux, io.Discard)
	var once sync.Once
	cleanup = func() { once.Do(func() { l.Close(); os.RemoveAll(dir) }) }
	atExit(cleanup)
	return path, cleanup, nil
}

func serveMain(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	socket := fs.String("socket", "", "unix socket path to listen on (required)")
	mux := fs.Bool("mux", false, "hashicorp/yamux on every connection")
	exitAfter := fs.Int64("exit-after-calls", 0, "os.Exit(0) once N calls have started (0 = never)")
	stdinEOF := fs.Bool("exit-on-stdin-eof", true, "exit 0 when stdin reaches EOF")
	fs.Parse(args)
	if *socket == "" || fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "serve: -socket PATH is required")
		os.Exit(2)
	}
	l, err := listenUnix(*socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve: listen:", err)
		os.Exit(2)
	}
	svc := &EchoService{exitAfter: *exitAfter, socketPath: *socket}
	srv := newRPCServer(svc)
	exit := func() {
		os.Remove(*socket)
		os.Exit(0)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-sigs; exit() }()
	if *stdinEOF {
		go func() { io.Copy(io.Discard, os.Stdin); exit() }()
	}
	os.Stdout.WriteString("READY\n")
	err = serveListener(l, srv, *mux, nil)
	fmt.Fprintln(os.Stderr, "serve: accept:", err)
	os.Remove(*socket)
	os.Exit(1)
}
