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
//
// The script runner and main() are go-interop/scripthost's (shared by every api
// version); this file holds what depends on this version's types.
package main

import (
	"context"
	"encoding/json"
	"os/exec"

	api "github.com/tilotech/tilores-plugin-api"
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

// calls maps the script's call names onto the v0.3.0 Dispatcher.
func calls(dsp dispatcher.Dispatcher) scripthost.CallFunc {
	return func(ctx context.Context, call string, raw json.RawMessage) (interface{}, error) {
		switch call {
		case "entity":
			var input struct {
				ID string `json:"id"`
			}
			if err := scripthost.DecodeInput(raw, &input); err != nil {
				return nil, err
			}
			return dsp.Entity(ctx, input.ID)
		case "submit":
			var input struct {
				Records []*api.Record `json:"records"`
			}
			if err := scripthost.DecodeInput(raw, &input); err != nil {
				return nil, err
			}
			return dsp.Submit(ctx, input.Records)
		case "search":
			var input struct {
				Parameters *api.SearchParameters `json:"parameters"`
			}
			if err := scripthost.DecodeInput(raw, &input); err != nil {
				return nil, err
			}
			return dsp.Search(ctx, input.Parameters)
		default:
			return nil, scripthost.UnknownCall(call)
		}
	}
}

// request is one script line: scripthost.Request under this package's type name, which
// encoding/json's error texts show ("... of type main.request").
type request scripthost.Request
