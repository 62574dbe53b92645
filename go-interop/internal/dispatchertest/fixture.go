package dispatchertest

import (
	"context"
	"fmt"
	"time"

	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

// TestEntity is the fixture of tilores-plugin-api v0.6.0 dispatcher/plugin_test.go, unchanged.
var TestEntity = api.Entity{
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

// TestDispatcher implements dispatcher.Dispatcher with the fixture (inputs are ignored, as
// upstream). Entity's record data additionally reports the deadline it saw:
// "deadlineExists" (bool) and, with a deadline, "deadline" (UTC, time.RFC3339Nano).
type TestDispatcher struct{}

// Entity returns TestEntity; the record's Data reports the deadline seen.
func (d *TestDispatcher) Entity(ctx context.Context, _ *dispatcher.EntityInput) (*dispatcher.EntityOutput, error) {
	deadline, deadlineExists := ctx.Deadline()
	data := map[string]interface{}{"deadlineExists": deadlineExists}
	for k, v := range TestEntity.Records[0].Data {
		data[k] = v
	}
	if deadlineExists {
		data["deadline"] = deadline.UTC().Format(time.RFC3339Nano)
	}
	entity := TestEntity // shallow copy; only Records is replaced
	entity.Records = []*api.Record{{ID: TestEntity.Records[0].ID, Data: data}}
	return &dispatcher.EntityOutput{Entity: &entity}, nil
}

// Search returns TestEntity.
func (d *TestDispatcher) Search(_ context.Context, _ *dispatcher.SearchInput) (*dispatcher.SearchOutput, error) {
	return &dispatcher.SearchOutput{
		Entities: []*api.Entity{
			&TestEntity,
		},
	}, nil
}

// Submit reports one added record.
func (d *TestDispatcher) Submit(_ context.Context, _ *dispatcher.SubmitInput) (*dispatcher.SubmitOutput, error) {
	return &dispatcher.SubmitOutput{
		RecordsAdded: 1,
	}, nil
}

// Disassemble reports one deleted edge and record, entity "abcd" remaining.
func (d *TestDispatcher) Disassemble(_ context.Context, _ *dispatcher.DisassembleInput) (*dispatcher.DisassembleOutput, error) {
	return &dispatcher.DisassembleOutput{
		DeletedEdges:   1,
		DeletedRecords: 1,
		EntityIDs:      []string{"abcd"},
	}, nil
}

// RemoveConnectionBan always fails with the upstream test's error text.
func (d *TestDispatcher) RemoveConnectionBan(_ context.Context, _ *dispatcher.RemoveConnectionBanInput) error {
	return fmt.Errorf("forced remove connection ban error")
}
