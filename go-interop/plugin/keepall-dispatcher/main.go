// Command keepall-dispatcher is a benchmark dispatcher plugin that keeps every
// record it is sent, as a real dispatcher does (the fake dispatcher v0.5.2
// keeps only the last 10 in a ring). Its Rust twin is
// bench/benches/keepall-dispatcher.rs; both behave the same on the wire:
//
//   - Submit appends every record to one list; RecordsAdded = len(input.Records).
//   - Entity returns an entity with the requested ID holding every stored record
//     in submit order, no edges, empty duplicates and hits (as the fake).
//   - Search, Disassemble, RemoveConnectionBan: "not implemented".
//
// It serves tilores-plugin-api v0.6.0's dispatcher plugin on go-plugin v1.4.3,
// exactly like tilores-plugin-fake-dispatcher's main. It exists so that the
// benchmarks compare memory after a bulk Submit with both sides holding all
// records, and so that Entity replies can carry 1 to 100,000 records
// (bench/scaling).
package main

import (
	"context"
	"errors"
	"sync"

	"github.com/hashicorp/go-plugin"
	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

var errNotImplemented = errors.New("not implemented for keep-all dispatcher")

type keepAll struct {
	mu      sync.RWMutex
	records []*api.Record
}

func (k *keepAll) Entity(_ context.Context, input *dispatcher.EntityInput) (*dispatcher.EntityOutput, error) {
	k.mu.RLock()
	// Append-only: this prefix is never written again, so it can be shared.
	records := k.records[:len(k.records):len(k.records)]
	k.mu.RUnlock()
	return &dispatcher.EntityOutput{Entity: &api.Entity{
		ID:         input.ID,
		Records:    records,
		Edges:      api.Edges{},
		Duplicates: api.Duplicates{},
		Hits:       api.Hits{},
	}}, nil
}

func (k *keepAll) Submit(_ context.Context, input *dispatcher.SubmitInput) (*dispatcher.SubmitOutput, error) {
	k.mu.Lock()
	k.records = append(k.records, input.Records...)
	k.mu.Unlock()
	return &dispatcher.SubmitOutput{RecordsAdded: len(input.Records)}, nil
}

func (k *keepAll) Search(context.Context, *dispatcher.SearchInput) (*dispatcher.SearchOutput, error) {
	return nil, errNotImplemented
}

func (k *keepAll) Disassemble(context.Context, *dispatcher.DisassembleInput) (*dispatcher.DisassembleOutput, error) {
	return nil, errNotImplemented
}

func (k *keepAll) RemoveConnectionBan(context.Context, *dispatcher.RemoveConnectionBanInput) error {
	return errNotImplemented
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: dispatcher.Handshake,
		Plugins: map[string]plugin.Plugin{
			"dispatcher": &dispatcher.Plugin{Impl: &keepAll{}},
		},
	})
}
