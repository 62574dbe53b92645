// Command dispatcher-fake is a dispatcher plugin built against tilores-plugin-api
// v0.5.0 with the semantics of tilores-plugin-fake-dispatcher v0.5.2 mapped onto
// v0.5.0's types (the fake of that era, v0.5.0 on api v0.5.1, is not served by the
// module proxy): a ring of 10 records; Entity returns the requested id with the
// stored records, empty non-nil Edges and Duplicates; Search returns one entity with a
// random UUID holding every stored record for which any parameter equals the
// record's value under that key (SearchOutput.Hits left nil: the v0.5.2 fake's hits
// are empty); Disassemble and RemoveConnectionBan fail with "not implemented for fake
// dispatcher".
//
// With DISPATCHER_FAKE_REPORT_DEADLINE=1 in its environment, Entity also returns a
// record "deadline" whose data tells whether the call's context had a deadline and
// which (RFC 3339, UTC), so a host's test can see the deadline cross the wire.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"
	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

type fake struct {
	records        [10]*api.Record
	index          int
	length         int
	reportDeadline bool
}

func (f *fake) Entity(ctx context.Context, input *dispatcher.EntityInput) (*dispatcher.EntityOutput, error) {
	records := f.records[0:f.length]
	if f.reportDeadline {
		deadline, ok := ctx.Deadline()
		data := map[string]interface{}{"deadlineExists": ok}
		if ok {
			data["deadline"] = deadline.UTC().Format(time.RFC3339Nano)
		}
		records = append(append([]*api.Record{}, records...), &api.Record{ID: "deadline", Data: data})
	}
	return &dispatcher.EntityOutput{
		Entity: &api.Entity{
			ID:         input.ID,
			Records:    records,
			Edges:      api.Edges{},
			Duplicates: api.Duplicates{},
		},
	}, nil
}

func (f *fake) Submit(_ context.Context, input *dispatcher.SubmitInput) (*dispatcher.SubmitOutput, error) {
	for _, r := range input.Records {
		f.records[f.index] = r
		f.index = (f.index + 1) % 10
		if f.length < 10 {
			f.length++
		}
	}
	return &dispatcher.SubmitOutput{RecordsAdded: len(input.Records)}, nil
}

func (f *fake) Search(_ context.Context, input *dispatcher.SearchInput) (*dispatcher.SearchOutput, error) {
	matching := make([]*api.Record, 0, f.length)
	for i := 0; i < f.length; i++ {
		record := f.records[i]
		for key, value := range *input.Parameters {
			if record.Data[key] == value {
				matching = append(matching, record)
				break
			}
		}
	}
	if len(matching) == 0 {
		return &dispatcher.SearchOutput{Entities: []*api.Entity{}}, nil
	}
	return &dispatcher.SearchOutput{
		Entities: []*api.Entity{{
			ID:         uuid.New().String(),
			Records:    matching,
			Edges:      api.Edges{},
			Duplicates: api.Duplicates{},
		}},
	}, nil
}

func (f *fake) Disassemble(_ context.Context, _ *dispatcher.DisassembleInput) (*dispatcher.DisassembleOutput, error) {
	return nil, fmt.Errorf("not implemented for fake dispatcher")
}

func (f *fake) RemoveConnectionBan(_ context.Context, _ *dispatcher.RemoveConnectionBanInput) error {
	return fmt.Errorf("not implemented for fake dispatcher")
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: dispatcher.Handshake,
		Plugins: map[string]plugin.Plugin{
			"dispatcher": &dispatcher.Plugin{Impl: &fake{
				reportDeadline: os.Getenv("DISPATCHER_FAKE_REPORT_DEADLINE") == "1",
			}},
		},
	})
}
