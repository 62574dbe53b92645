// Command dispatcher-fake is a dispatcher plugin built against tilores-plugin-api
// v0.3.0 with the semantics of tilores-plugin-fake-dispatcher v0.5.2 (the fake of
// that era, v0.3.0, is not served by the module proxy): a ring of 10 records;
// Entity returns the requested id with the stored records; Search returns one
// entity with a random UUID holding every stored record for which any parameter
// equals the record's value under that key, or an empty list.
package main

import (
	"context"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"
	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

type fake struct {
	records [10]*api.Record
	index   int
	length  int
}

func (f *fake) Entity(_ context.Context, id string) (*api.Entity, error) {
	return &api.Entity{ID: id, Records: f.records[0:f.length]}, nil
}

func (f *fake) Submit(_ context.Context, records []*api.Record) (*dispatcher.SubmissionResult, error) {
	for _, r := range records {
		f.records[f.index] = r
		f.index = (f.index + 1) % 10
		if f.length < 10 {
			f.length++
		}
	}
	return &dispatcher.SubmissionResult{RecordsAdded: len(records)}, nil
}

func (f *fake) Search(_ context.Context, parameters *api.SearchParameters) ([]*api.Entity, error) {
	matching := make([]*api.Record, 0, f.length)
	for i := 0; i < f.length; i++ {
		record := f.records[i]
		// Dereferences like the fake v0.5.2: nil parameters panic once a record is stored.
		for key, value := range *parameters {
			if record.Data[key] == value {
				matching = append(matching, record)
				break
			}
		}
	}
	if len(matching) == 0 {
		return []*api.Entity{}, nil
	}
	return []*api.Entity{{ID: uuid.New().String(), Records: matching}}, nil
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: dispatcher.Handshake,
		Plugins: map[string]plugin.Plugin{
			"dispatcher": &dispatcher.Plugin{Impl: &fake{}},
		},
	})
}
