// Command dispatcher-host is a TiloRes dispatcher host built against
// tilores-plugin-api v0.5.0 (go-plugin v1.4.3): dispatcher.Initialize(exec.Command(PATH))
// and the v0.5.0 Dispatcher interface (five methods, {"input": *XInput} plus the
// context's deadline).
//
// Usage: dispatcher-host -plugin PATH < script.jsonl
//
// Script lines as go-interop/cmd/dispatcher-host: {"call": NAME, "input": {...},
// "deadline_ms": N}; NAME is entity, submit, search, disassemble or
// removeConnectionBan, the input decoded with encoding/json into the v0.5.0
// dispatcher.XInput. One line per call: {"output": <Go JSON of the v0.5.0 output>}
// (removeConnectionBan: null) or {"error": "<err.Error()>"}. v0.5.0's api.Entity and
// api.Record have no json tags (keys ID, Records, Edges, Duplicates; ID, Data), and
// its SearchOutput carries "hits".
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

	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

type request struct {
	Call       string          `json:"call"`
	Input      json.RawMessage `json:"input"`
	DeadlineMs *int64          `json:"deadline_ms"`
}

func main() {
	pluginPath := flag.String("plugin", "", "path of the dispatcher plugin binary")
	flag.Parse()
	if *pluginPath == "" {
		fmt.Fprintln(os.Stderr, "dispatcher-host: -plugin is required")
		os.Exit(2)
	}
	dsp, kill, err := dispatcher.Initialize(exec.Command(*pluginPath))
	defer kill()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-host: initialize: %v\n", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	r := bufio.NewReader(os.Stdin)
	for {
		line, rerr := r.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			if err := enc.Encode(runLine(dsp, []byte(line))); err != nil {
				fmt.Fprintf(os.Stderr, "dispatcher-host: write: %v\n", err)
				os.Exit(1)
			}
		}
		if rerr != nil {
			if rerr != io.EOF {
				fmt.Fprintf(os.Stderr, "dispatcher-host: read: %v\n", rerr)
				os.Exit(1)
			}
			return
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
