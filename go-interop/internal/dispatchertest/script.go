// Package dispatchertest holds what the Go dispatcher peers share: the JSON-lines script
// runner (cmd/dispatcher-host script mode, cmd/dispatcher-rpc-peer call) and the fixture
// dispatcher of tilores-plugin-api v0.6.0's own test (plugin/dispatcher-testplugin,
// cmd/dispatcher-rpc-peer serve -impl test).
package dispatchertest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

// Request is one script line: {"call": NAME, "input": {...}, "deadline_ms": N}.
//
// The JSON decoding of a line is left to the caller (see RunScript) because encoding/json's
// error texts name the Go type decoded into: the programs decode into their own
// package-main type, so that errors read "... of type main.request" as they always did.
type Request struct {
	Call       string          `json:"call"`
	Input      json.RawMessage `json:"input"`
	DeadlineMs *int64          `json:"deadline_ms"`
}

// ParseFunc decodes one script line with json.Unmarshal into a main.request whose fields
// are those of Request, and converts it.
type ParseFunc func(line []byte) (Request, error)

// RunScript reads script lines from in (no line-length limit; lines that are blank after
// strings.TrimSpace are skipped), runs each against dsp in order and writes one JSON line
// per script line to out with a json.Encoder with SetEscapeHTML(false). It returns the
// first read or write error (io.EOF ends the script normally and yields nil).
func RunScript(dsp dispatcher.Dispatcher, parse ParseFunc, in io.Reader, out io.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	r := bufio.NewReader(in)
	for {
		line, rerr := r.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			if err := enc.Encode(RunLine(dsp, parse, []byte(line))); err != nil {
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

// RunLine executes one script line and returns {"output": ...} or {"error": ...}.
func RunLine(dsp dispatcher.Dispatcher, parse ParseFunc, line []byte) map[string]interface{} {
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
	var output interface{}
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
		return errResult(err)
	}
	return map[string]interface{}{"output": output}
}

// decodeInput decodes raw into v; a missing or null input leaves v zero.
func decodeInput(raw json.RawMessage, v interface{}) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
}

func errResult(err error) map[string]interface{} {
	return map[string]interface{}{"error": err.Error()}
}
