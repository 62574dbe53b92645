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
//
// The script runner and main() are go-interop/scripthost's (shared by every api
// version); this file holds what depends on this version's types.
package main

import (
	"context"
	"encoding/json"
	"os/exec"

	"github.com/tilotech/tilores-plugin-api/dispatcher"
	"tilores-plugin-rs/go-interop/scripthost"
)

func main() {
	scripthost.Main("dispatcher-host", "initialize", start, scripthost.Parse[request])
}

func start(pluginPath string) (scripthost.CallFunc, func(), error) {
	dsp, kill, err := dispatcher.Initialize(exec.Command(pluginPath))
	if err != nil {
		return nil, nil, err
	}
	return calls(dsp), func() { kill() }, nil
}

// calls maps the script's call names onto the v0.5.0 Dispatcher.
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

// request is one script line: scripthost.Request under this package's type name, which
// encoding/json's error texts show ("... of type main.request").
type request scripthost.Request
