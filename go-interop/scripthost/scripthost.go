// Package scripthost is what every Go dispatcher host of go-interop shares, whatever
// tilores-plugin-api version it is built against: the JSON-lines script runner and a host
// program's main. Only the standard library: each api version is a module of its own (it
// pins its own tilores-plugin-api), and each imports this one through a replace directive,
// keeping in its own main.go only what depends on the api's types (how a call name and its
// input become a Dispatcher method call).
//
// A script line is {"call": NAME, "input": {...}, "deadline_ms": N}; each non-blank line
// gives one line out, {"output": <Go JSON of what the method returned>} or
// {"error": "<err.Error()>"}, written with a json.Encoder with SetEscapeHTML(false).
package scripthost

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Request is one script line.
//
// The JSON decoding of a line is left to the program (ParseFunc) because encoding/json's
// error texts name the Go type decoded into: each program decodes into its own
// package-main type, so that errors read "... of type main.request" as they always did.
type Request struct {
	Call       string          `json:"call"`
	Input      json.RawMessage `json:"input"`
	DeadlineMs *int64          `json:"deadline_ms"`
}

// ParseFunc decodes one script line with json.Unmarshal into a main.request whose fields
// are those of Request, and converts it: Parse[request] with `type request
// scripthost.Request` in package main.
type ParseFunc func(line []byte) (Request, error)

// Parse decodes one script line into an R, a program's own type defined as Request (`type
// request scripthost.Request`), so that encoding/json's error texts name that type, and
// converts it to a Request.
func Parse[R ~struct {
	Call       string          `json:"call"`
	Input      json.RawMessage `json:"input"`
	DeadlineMs *int64          `json:"deadline_ms"`
}](line []byte) (Request, error) {
	var r R
	err := json.Unmarshal(line, &r)
	return Request(r), err
}

// CallFunc runs the call named call with its raw input (nil when absent) against the
// program's dispatcher and returns what the method returned (nil for a method without
// output). An unknown name is UnknownCall(call).
type CallFunc func(ctx context.Context, call string, input json.RawMessage) (interface{}, error)

// StartFunc starts the plugin at pluginPath and returns how to call it and how to stop it.
type StartFunc func(pluginPath string) (CallFunc, func(), error)

// Main is a host program's main: it reads -plugin PATH (exit 2 without it), starts the
// plugin with start (on failure "PROG: WHAT: <err>" on stderr, exit 1), runs the script
// from stdin to stdout, stops the plugin and exits 0, or 1 after a read or write error
// ("PROG: read: <err>", "PROG: write: <err>").
func Main(prog, what string, start StartFunc, parse ParseFunc) {
	pluginPath := flag.String("plugin", "", "path of the dispatcher plugin binary")
	flag.Parse()
	if *pluginPath == "" {
		fmt.Fprintf(os.Stderr, "%s: -plugin is required\n", prog)
		os.Exit(2)
	}
	call, stop, err := start(*pluginPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %s: %v\n", prog, what, err)
		os.Exit(1)
	}
	code := 0
	if err := RunScript(call, parse, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
		code = 1
	}
	stop()
	os.Exit(code)
}

// RunScript reads script lines from in (no line-length limit; lines that are blank after
// strings.TrimSpace are skipped), runs each with call in order and writes one JSON line
// per script line to out. It returns the first read or write error (io.EOF ends the script
// normally and yields nil).
func RunScript(call CallFunc, parse ParseFunc, in io.Reader, out io.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	r := bufio.NewReader(in)
	for {
		line, rerr := r.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			if err := enc.Encode(RunLine(call, parse, []byte(line))); err != nil {
				return fmt.Errorf("write: %w", err)
			}
		}
		if rerr != nil {
			if rerr != io.EOF {
				return fmt.Errorf("read: %w", rerr)
			}
			return nil
		}
	}
}

// RunLine executes one script line and returns {"output": ...} or {"error": ...}. The
// call's context has the line's deadline, if any.
func RunLine(call CallFunc, parse ParseFunc, line []byte) map[string]interface{} {
	req, err := parse(line)
	if err != nil {
		return errResult(err)
	}
	ctx := context.Background()
	if req.DeadlineMs != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*req.DeadlineMs)*time.Millisecond)
		defer cancel()
	}
	output, err := call(ctx, req.Call, req.Input)
	if err != nil {
		return errResult(err)
	}
	return map[string]interface{}{"output": output}
}

// DecodeInput decodes raw into v; a missing or null input leaves v zero.
func DecodeInput(raw json.RawMessage, v interface{}) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// Call is one script call of a Dispatcher method that takes an *XInput: raw decoded into a
// new I (DecodeInput), then method called with it.
func Call[I, O any](ctx context.Context, raw json.RawMessage, method func(context.Context, *I) (O, error)) (interface{}, error) {
	var input I
	if err := DecodeInput(raw, &input); err != nil {
		return nil, err
	}
	return method(ctx, &input)
}

// CallNoOutput is Call for a method that returns only an error (RemoveConnectionBan): the
// output is null.
func CallNoOutput[I any](ctx context.Context, raw json.RawMessage, method func(context.Context, *I) error) (interface{}, error) {
	var input I
	if err := DecodeInput(raw, &input); err != nil {
		return nil, err
	}
	return nil, method(ctx, &input)
}

// UnknownCall is the answer to a call name the program's api version does not have.
func UnknownCall(call string) error {
	return fmt.Errorf("unknown call: %s", call)
}

func errResult(err error) map[string]interface{} {
	return map[string]interface{}{"error": err.Error()}
}
