// Command dispatcher-http-host is a TiloRes dispatcher host of the HTTP plugin
// protocol built exactly like the real one: tilores-plugin-api
// dispatcher.Connect(plugin.StartWithCmd(...), plugin.DefaultConfig()) on
// tilotech/go-plugin. The same source is built in go-interop/api/v0.7.0 (api
// v0.7.0, go-plugin v0.1.0) and go-interop/api/v0.7.1 (api v0.7.1, go-plugin
// v0.1.2); build.sh checks that the two copies are identical. The script runner and
// main() are go-interop/scripthost's (shared by every api version); this file holds what
// depends on the api's types.
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
	"context"
	"encoding/json"
	"os/exec"

	"github.com/tilotech/go-plugin"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
	"tilores-plugin-rs/go-interop/scripthost"
)

func main() {
	scripthost.Main("dispatcher-http-host", "connect", start, scripthost.Parse[request])
}

func start(pluginPath string) (scripthost.CallFunc, func(), error) {
	dsp, term, err := dispatcher.Connect(plugin.StartWithCmd(func() *exec.Cmd {
		return exec.Command(pluginPath)
	}), plugin.DefaultConfig())
	if err != nil {
		return nil, nil, err
	}
	return calls(dsp), func() { _ = term() }, nil
}

// calls maps the script's call names onto the v0.7 Dispatcher.
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
