// Package dispatchertest holds what the Go dispatcher peers share: the JSON-lines script
// runner (cmd/dispatcher-host script mode, cmd/dispatcher-rpc-peer call; the runner itself is
// go-interop/scripthost's, shared with the hosts of the other api versions) and the fixture
// dispatcher of tilores-plugin-api v0.6.0's own test (plugin/dispatcher-testplugin,
// cmd/dispatcher-rpc-peer serve -impl test).
package dispatchertest

import (
	"context"
	"encoding/json"
	"io"

	"github.com/tilotech/tilores-plugin-api/dispatcher"
	"tilores-plugin-rs/go-interop/scripthost"
)

// Request is one script line: {"call": NAME, "input": {...}, "deadline_ms": N}
// (scripthost.Request: see there why a program decodes it into its own main.request).
type Request = scripthost.Request

// ParseFunc decodes one script line with json.Unmarshal into a main.request whose fields
// are those of Request, and converts it.
type ParseFunc = scripthost.ParseFunc

// RunScript runs the script lines of in against dsp and writes one JSON line per script
// line to out (scripthost.RunScript).
func RunScript(dsp dispatcher.Dispatcher, parse ParseFunc, in io.Reader, out io.Writer) error {
	return scripthost.RunScript(calls(dsp), parse, in, out)
}

// RunLine executes one script line and returns {"output": ...} or {"error": ...}.
func RunLine(dsp dispatcher.Dispatcher, parse ParseFunc, line []byte) map[string]interface{} {
	return scripthost.RunLine(calls(dsp), parse, line)
}

// calls maps the script's call names onto the v0.6.0 Dispatcher.
func calls(dsp dispatcher.Dispatcher) scripthost.CallFunc {
	return func(ctx context.Context, call string, raw json.RawMessage) (interface{}, error) {
		switch call {
		case "entity":
			return scripthost.Call(ctx, raw, dsp.Entity)
		case "submit":
			return scripthost.Call(ctx, raw, dsp.Submit)
		case "search":
			return scripthost.Call(ctx, raw, dsp.Search)
		case "disassemble":
			return scripthost.Call(ctx, raw, dsp.Disassemble)
		case "removeConnectionBan":
			return scripthost.CallNoOutput(ctx, raw, dsp.RemoveConnectionBan)
		default:
			return nil, scripthost.UnknownCall(call)
		}
	}
}
