// Command gotypes-dispatcher is a dispatcher plugin (tilores-plugin-api v0.6.0 on go-plugin
// v1.4.3, served like tilores-plugin-fake-dispatcher's main) whose answers hold every Go
// type a plugin can send in record data (internal/gotypes): Entity with ID S returns an
// entity of 1..5 records drawn from seed S (a decimal number; any other ID is hashed with
// FNV-1a), with edges, duplicates and hits; Search returns the entity of the seed hashed
// from its parameters' keys. A host renders those values: tests/dispatcher_gotypes.rs runs
// Go's dispatcher-host and the Rust host on the same script and compares their output.
// Submit answers RecordsAdded; Disassemble and RemoveConnectionBan: "not implemented".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"

	"github.com/hashicorp/go-plugin"
	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
	"tilores-plugin-rs/go-interop/internal/gotypes"
)

var errNotImplemented = errors.New("not implemented for gotypes dispatcher")

func seedOf(id string) uint64 {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		return n
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

func entity(id string, seed uint64) *api.Entity {
	r := &gotypes.Rng{S: seed}
	e := &api.Entity{ID: id, Edges: api.Edges{}, Duplicates: api.Duplicates{}, Hits: api.Hits{}}
	for i := 1 + r.Below(5); i > 0; i-- {
		// Mostly data JSON can hold: a value it cannot (NaN, ±Inf, complex) ends Go's
		// script host, so it comes in one record of ten.
		var data map[string]interface{}
		for try := 0; try < 20; try++ {
			data = map[string]interface{}{}
			for k := r.Below(6); k > 0; k-- {
				data[gotypes.Keys[r.Below(len(gotypes.Keys))]] = r.Value(0)
			}
			if _, err := json.Marshal(data); err == nil || r.Below(10) == 0 {
				break
			}
		}
		if r.Below(8) == 0 {
			data = nil
		}
		e.Records = append(e.Records, &api.Record{ID: fmt.Sprint(r.Below(100)), Data: data})
	}
	if r.Below(2) == 0 {
		e.Edges = api.Edges{"1:2:L1", "2:3:L2"}
		e.Duplicates = api.Duplicates{"1": {"2", "3"}}
		e.Hits = api.Hits{"1": {"R1"}}
	}
	return e
}

type gotypesDispatcher struct{}

func (gotypesDispatcher) Entity(_ context.Context, in *dispatcher.EntityInput) (*dispatcher.EntityOutput, error) {
	return &dispatcher.EntityOutput{Entity: entity(in.ID, seedOf(in.ID))}, nil
}

func (gotypesDispatcher) Submit(_ context.Context, in *dispatcher.SubmitInput) (*dispatcher.SubmitOutput, error) {
	return &dispatcher.SubmitOutput{RecordsAdded: len(in.Records)}, nil
}

func (gotypesDispatcher) Search(_ context.Context, in *dispatcher.SearchInput) (*dispatcher.SearchOutput, error) {
	var keys []string
	if in.Parameters != nil {
		for k := range *in.Parameters {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	id := fmt.Sprint(keys)
	return &dispatcher.SearchOutput{Entities: []*api.Entity{entity(id, seedOf(id))}}, nil
}

func (gotypesDispatcher) Disassemble(context.Context, *dispatcher.DisassembleInput) (*dispatcher.DisassembleOutput, error) {
	return nil, errNotImplemented
}

func (gotypesDispatcher) RemoveConnectionBan(context.Context, *dispatcher.RemoveConnectionBanInput) error {
	return errNotImplemented
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: dispatcher.Handshake,
		Plugins: map[string]plugin.Plugin{
			"dispatcher": &dispatcher.Plugin{Impl: gotypesDispatcher{}},
		},
	})
}
