// Command dispatcher-gotypes is a TiloRes dispatcher host (tilores-plugin-api v0.6.0
// dispatcher.Initialize on go-plugin v1.4.3, like dispatcher-host) that drives a plugin with
// seeded random records whose data holds every Go type a dispatcher plugin process can
// decode: the types gob registers itself (bool, the int/uint/float/complex kinds, uintptr,
// string, []byte and the slices of those), and what tilores-plugin-api registers
// (map[string]interface{}, []interface{}, time.Time, *api.SearchParameters), nested, with
// nil interfaces, NaN, ±0, ±Inf, extreme integers, times in UTC, in a fixed zone, in a fixed
// zone of offset 0 and in the local zone. JSON scripts (dispatcher-host) reach only float64,
// string, bool, nil, maps and slices.
//
//	dispatcher-gotypes -plugin PATH -seed S [-rounds N]
//
// Each round submits 1..12 records (1..3 calls), asks for an entity, and searches with
// parameters taken from stored values (often converted to another kind, to test Go's ==
// across types), or fresh ones. A search parameter that may compare uncomparable values is
// the only parameter of its search (Go's map order would otherwise decide whether the fake
// panics). One line per call on stdout: the call and its result, printed by a
// deterministic dumper (maps sorted, pointers followed, every value with its Go type), or the
// error. After an error that ends the plugin (the Go fake panics on uncomparable values) the
// run stops. Exit 0 unless Initialize fails (1) or on usage errors (2).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
	"tilores-plugin-rs/go-interop/internal/gotypes"
)

func main() {
	pluginPath := flag.String("plugin", "", "path of the dispatcher plugin binary")
	seed := flag.Uint64("seed", 1, "seed")
	rounds := flag.Int("rounds", 4, "rounds of submit, entity and searches")
	flag.Parse()
	if *pluginPath == "" {
		fmt.Fprintln(os.Stderr, "dispatcher-gotypes: -plugin is required")
		os.Exit(2)
	}
	dsp, kill, _, err := dispatcher.Initialize(exec.Command(*pluginPath), nil)
	defer kill()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dispatcher-gotypes: initialize: %v\n", err)
		os.Exit(1)
	}
	r := &gotypes.Rng{S: *seed}
	ctx := context.Background()
	type pair struct {
		key   string
		value interface{}
	}
	var stored []pair
	for round := 0; round < *rounds; round++ {
		for c := 1 + r.Below(3); c > 0; c-- {
			in := &dispatcher.SubmitInput{}
			for i := 1 + r.Below(4); i > 0; i-- {
				data := map[string]interface{}{}
				for k := r.Below(5); k > 0; k-- {
					k, v := gotypes.Keys[r.Below(len(gotypes.Keys))], r.Value(0)
					data[k] = v
					stored = append(stored, pair{k, v})
				}
				if r.Below(8) == 0 {
					data = nil
				}
				in.Records = append(in.Records, &api.Record{ID: fmt.Sprint(r.Below(6)), Data: data})
			}
			out, err := dsp.Submit(ctx, in)
			if report("submit "+gotypes.Show(in), out, err) {
				return
			}
		}
		out, err := dsp.Entity(ctx, &dispatcher.EntityInput{ID: "e"})
		if report("entity", out, err) {
			return
		}
		for s := 1 + r.Below(4); s > 0; s-- {
			params := api.SearchParameters{}
			for p := 1 + r.Below(3); p > 0; p-- {
				// A stored value under its key (sometimes converted to another kind), or a
				// fresh value under any key.
				k, v := gotypes.Keys[r.Below(len(gotypes.Keys))], interface{}(nil)
				if len(stored) > 0 && r.Below(3) != 0 {
					p := stored[r.Below(len(stored))]
					k, v = p.key, p.value
					if r.Below(3) == 0 {
						v = r.Convert(v)
					}
				} else {
					v = r.Value(1)
				}
				if !gotypes.Comparable(v) {
					// Alone: with other parameters Go's map order decides whether it panics.
					params = api.SearchParameters{k: v}
					break
				}
				params[k] = v
			}
			out, err := dsp.Search(ctx, &dispatcher.SearchInput{Parameters: &params})
			if report("search "+gotypes.Show(params), out, err) {
				return
			}
		}
	}
}

// report prints one call's line; true when the plugin is gone (stop).
func report(call string, out interface{}, err error) bool {
	if err != nil {
		fmt.Printf("%s -> error %q\n", call, err.Error())
		return strings.Contains(err.Error(), "shut down") || strings.Contains(err.Error(), "EOF")
	}
	fmt.Printf("%s -> %s\n", call, gotypes.Show(out))
	return false
}
