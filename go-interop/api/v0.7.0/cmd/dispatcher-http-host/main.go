// Command dispatcher-http-host is a TiloRes dispatcher host of the HTTP plugin
// protocol built exactly like the real one: tilores-plugin-api
// dispatcher.Connect(plugin.StartWithCmd(...), plugin.DefaultConfig()) on
// tilotech/go-plugin. The same source is built in go-interop/api/v0.7.0 (api
// v0.7.0, go-plugin v0.1.0) and go-interop/api/v0.7.1 (api v0.7.1, go-plugin
// v0.1.2); build.sh checks that the two copies are identical.
//
// Usage: dispatcher-http-host -plugin PATH < script.jsonl
//
// The script format is go-interop's cmd/dispatcher-host's: one JSON object per
// non-blank line, {"call": NAME, "input": {...}, "deadline_ms": N}, NAME one of
// entity, submit, search, disassemble, removeConnectionBan; one line out per
// line in: {"output": ...} or {"error": "..."} (json.Encoder,
// SetEscapeHTML(false)). The plugin's stdout ("plugin is ready", ...) is copied
// to this program's stdout by go-plugin, as in a real host. The socket is
// go-plugin's fixed $TMPDIR/dispatcher: give each run its own TMPDIR.
//
// Exit status 0 after EOF (the plugin is then terminated with SIGTERM), 1 if
// the plugin could not be started ("dispatcher-http-host: connect: <err>" on
// stderr).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/tilotech/go-plugin"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

func main() {
	pluginPath := flag.String("plugin", "", "path of the dispatcher plugin binary")
	flag.Parse()
	if *pluginPath == "" {
		fmt.Fprintln(os.Stderr, "dispatcher-http-host: -plugin is required")
		os.Exit(2)
	}
	dsp, term, err := dispatcher.Connect(plugin.StartWithCmd(func() *exec.Cmd {
		return exec.Command(*pluginPath)
	}), plugin.DefaultConfig())
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-http-host: connect: %v\n", err)
		os.Exit(1)
	}
	code := 0
	if err := runScript(dsp, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-http-host: %v\n", err)
		code = 1
	}
	_ = term()
	os.Exit(code)
}

type request struct {
	Call       string          `json:"call"`
	Input      json.RawMessage `json:"input"`
	DeadlineMs *int64          `json:"deadline_ms"`
}

func runScript(dsp dispatcher.Dispatcher, in io.Reader, out io.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	r := bufio.NewReader(in)
	for {
		line, rerr := r.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			if err := enc.Encode(runLine(dsp, []byte(line))); err != nil {
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

func runLine(dsp dispatcher.Dispatcher, line []byte) map[string]interface{} {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return map[string]interface{}{"error": err.Error()}
	}
	ctx := context.Background()
	if req.DeadlineMs != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*req.DeadlineMs)*time.Millisecond)
		defer cancel()
	}
	var output interface{}
	var err error
	switch req.Call {
	case "entity":
		var input dispatcher.EntityInput
		if err = decodeInput(req.Input, &input); err == nil {
			output, err = dsp.Entity(ctx, &input)
		}
	case "submit":
		var input dispatcher.SubmitInput
		if err = decodeInput(req.Input, &input); err == nil {
			output, err = dsp.Submit(ctx, &input)
		}
	case "search":
		var input dispatcher.SearchInput
		if err = decodeInput(req.Input, &input); err == nil {
			output, err = dsp.Search(ctx, &input)
		}
	case "disassemble":
		var input dispatcher.DisassembleInput
		if err = decodeInput(req.Input, &input); err == nil {
			output, err = dsp.Disassemble(ctx, &input)
		}
	case "removeConnectionBan":
		var input dispatcher.RemoveConnectionBanInput
		if err = decodeInput(req.Input, &input); err == nil {
			err = dsp.RemoveConnectionBan(ctx, &input)
		}
	default:
		err = fmt.Errorf("unknown call: %s", req.Call)
	}
	if err != nil {
		return map[string]interface{}{"error": err.Error()}
	}
	return map[string]interface{}{"output": output}
}

func decodeInput(raw json.RawMessage, v interface{}) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}
