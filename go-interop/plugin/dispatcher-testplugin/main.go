// Command dispatcher-testplugin is a TiloRes dispatcher plugin (go-plugin
// v1.4.3 + tilores-plugin-api v0.6.0, served exactly like a real dispatcher
// plugin: plugin.Serve with dispatcher.Handshake and the plugin set
// {"dispatcher": &dispatcher.Plugin{Impl: ...}}) whose implementation is the
// fixture of tilores-plugin-api v0.6.0's own test (dispatcher/plugin_test.go,
// testDispatcher). It is the Go baseline for
// `dispatcher-host -plugin PATH -scenario api-test`; a Rust fixture plugin
// must behave identically.
//
// No flags, no output of its own (besides go-plugin's handshake and logs).
//
// Fixture (testEntity):
//
//	Entity{ID: "abcd",
//	  Records:    [{ID: "12345", Data: {"foo": "bar"}}],
//	  Edges:      ["12345:12345:STATIC"],
//	  Duplicates: {"12345": ["12345", "duplicateID"]},
//	  Hits:       {"12345": ["someRuleName"]}}
//
// Methods (inputs are ignored, as in the upstream fixture):
//
//	Entity               -> EntityOutput{Entity: testEntity}, except that, to make the
//	                        deadline observable by a host in another process, the
//	                        returned record's Data additionally holds
//	                        "deadlineExists": bool (ctx.Deadline() ok) and, when a
//	                        deadline exists, "deadline": the deadline as UTC RFC 3339
//	                        with nanoseconds (time.RFC3339Nano) string. (Upstream
//	                        stores deadlineExists in the fixture struct instead.)
//	Search               -> SearchOutput{Entities: [testEntity]} (without the deadline keys)
//	Submit               -> SubmitOutput{RecordsAdded: 1}
//	Disassemble          -> DisassembleOutput{DeletedEdges: 1, DeletedRecords: 1,
//	                        EntityIDs: ["abcd"]}
//	RemoveConnectionBan  -> error "forced remove connection ban error"
package main

import (
	"github.com/hashicorp/go-plugin"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
	"tilores-plugin-rs/go-interop/internal/dispatchertest"
)

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: dispatcher.Handshake,
		Plugins: map[string]plugin.Plugin{
			"dispatcher": &dispatcher.Plugin{Impl: &dispatchertest.TestDispatcher{}},
		},
	})
}
