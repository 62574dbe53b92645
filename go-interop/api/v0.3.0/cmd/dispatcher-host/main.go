// Command dispatcher-host is a TiloRes dispatcher host built against
// tilores-plugin-api v0.3.0 (go-plugin v1.4.3): dispatcher.Initialize(exec.Command(PATH))
// and the v0.3.0 Dispatcher interface (Entity(id), Submit(records), Search(*api.SearchParameters)).
//
// Usage: dispatcher-host -plugin PATH < script.jsonl
//
// Script lines as go-interop/cmd/dispatcher-host: {"call": NAME, "input": {...},
// "deadline_ms": N}; NAME is entity ({"id"}), submit ({"records"}) or search
// ({"parameters"}); anything else answers "unknown call: NAME" (v0.3.0 has no
// Disassemble or RemoveConnectionBan). One line per call: {"output": <Go JSON of
// what the v0.3.0 method returned>} or {"error": "<err.Error()>"}.
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

	api "github.com/tilotech/tilores-plugin-api"
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
		var input struct {
			ID string `json:"id"`
		}
		if err = decodeInput(req.Input, &input); err == nil {
			output, err = dsp.Entity(ctx, input.ID)
		}
	case "submit":
		var input struct {
			Records []*api.Record `json:"records"`
		}
		if err = decodeInput(req.Input, &input); err == nil {
			output, err = dsp.Submit(ctx, input.Records)
		}
	case "search":
		var input struct {
			Parameters *api.SearchParameters `json:"parameters"`
		}
		if err = decodeInput(req.Input, &input); err == nil {
			output, err = dsp.Search(ctx, input.Parameters)
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
