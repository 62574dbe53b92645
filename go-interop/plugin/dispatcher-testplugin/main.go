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
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-plugin"
	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

// testEntity is the upstream fixture, unchanged.
var testEntity = api.Entity{
	ID: "abcd",
	Records: []*api.Record{
		{
			ID: "12345",
			Data: map[string]interface{}{
				"foo": "bar",
			},
		},
	},
	Edges: api.Edges{
		"12345:12345:STATIC",
	},
	Duplicates: api.Duplicates{
		"12345": []string{
			"12345",
			"duplicateID",
		},
	},
	Hits: api.Hits{
		"12345": []string{"someRuleName"},
	},
}

// testDispatcher implements dispatcher.Dispatcher with the fixture.
type testDispatcher struct{}

// Entity returns testEntity; the record's Data reports the deadline seen.
func (d *testDispatcher) Entity(ctx context.Context, _ *dispatcher.EntityInput) (*dispatcher.EntityOutput, error) {
	deadline, deadlineExists := ctx.Deadline()
	data := map[string]interface{}{"deadlineExists": deadlineExists}
	for k, v := range testEntity.Records[0].Data {
		data[k] = v
	}
	if deadlineExists {
		data["deadline"] = deadline.UTC().Format(time.RFC3339Nano)
	}
	entity := testEntity // shallow copy; only Records is replaced
	entity.Records = []*api.Record{{ID: testEntity.Records[0].ID, Data: data}}
	return &dispatcher.EntityOutput{Entity: &entity}, nil
}

// Search returns testEntity.
func (d *testDispatcher) Search(_ context.Context, _ *dispatcher.SearchInput) (*dispatcher.SearchOutput, error) {
	return &dispatcher.SearchOutput{
		Entities: []*api.Entity{
			&testEntity,
		},
	}, nil
}

// Submit reports one added record.
func (d *testDispatcher) Submit(_ context.Context, _ *dispatcher.SubmitInput) (*dispatcher.SubmitOutput, error) {
	return &dispatcher.SubmitOutput{
		RecordsAdded: 1,
	}, nil
}

// Disassemble reports one deleted edge and record, entity "abcd" remaining.
func (d *testDispatcher) Disassemble(_ context.Context, _ *dispatcher.DisassembleInput) (*dispatcher.DisassembleOutput, error) {
	return &dispatcher.DisassembleOutput{
		DeletedEdges:   1,
		DeletedRecords: 1,
		EntityIDs:      []string{"abcd"},
	}, nil
}

// RemoveConnectionBan always fails with the upstream test's error text.
func (d *testDispatcher) RemoveConnectionBan(_ context.Context, _ *dispatcher.RemoveConnectionBanInput) error {
	return fmt.Errorf("forced remove connection ban error")
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: dispatcher.Handshake,
		Plugins: map[string]plugin.Plugin{
			"dispatcher": &dispatcher.Plugin{Impl: &testDispatcher{}},
		},
	})
}
