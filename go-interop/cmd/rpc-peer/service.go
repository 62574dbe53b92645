package main

import (
	"errors"
	"net/rpc"
	"os"
	"sync/atomic"
	"time"
)

// EchoArgs is the argument/reply struct of Echo.Echo (mirrored by the Rust side).
type EchoArgs struct {
	ID    int64
	Name  string
	Tags  []string
	Data  []byte
	Score float64
	Meta  map[string]string
}

// EchoService is registered under the name "Echo".
type EchoService struct {
	calls      atomic.Int64
	exitAfter  int64  // 0 = never
	socketPath string // removed before an -exit-after-calls exit
}

// forever is never closed: Hang blocks on it until the process exits.
var forever = make(chan struct{})

func (s *EchoService) started() {
	n := s.calls.Add(1)
	if s.exitAfter > 0 && n >= s.exitAfter {
		if s.socketPath != "" {
			os.Remove(s.socketPath)
		}
		os.Exit(0)
	}
}

func (s *EchoService) Echo(args EchoArgs, reply *EchoArgs) error {
	s.started()
	*reply = args
	return nil
}

func (s *EchoService) Bytes(args []byte, reply *[]byte) error {
	s.started()
	*reply = args
	return nil
}

func (s *EchoService) Fail(msg string, reply *string) error {
	s.started()
	return errors.New(msg)
}

func (s *EchoService) Sleep(ms int, reply *int) error {
	s.started()
	time.Sleep(time.Duration(ms) * time.Millisecond)
	*reply = ms
	return nil
}

func (s *EchoService) Hang(x int, reply *int) error {
	s.started()
	<-forever
	return nil
}

func (s *EchoService) Len(args []byte, reply *int) error {
	s.started()
	*reply = len(args)
	return nil
}

// newRPCServer returns a fresh rpc.Server with the Echo service registered.
func newRPCServer(svc *EchoService) *rpc.Server {
	srv := rpc.NewServer()
	if err := srv.RegisterName("Echo", svc); err != nil {
		panic(err)
	}
	return srv
}
