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
	"math"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"time"

	api "github.com/tilotech/tilores-plugin-api"
	"github.com/tilotech/tilores-plugin-api/dispatcher"
)

// rng is splitmix64 (tests/common/seeded.rs).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *rng) below(n int) int { return int(r.next() % uint64(n)) }

var keys = []string{"a", "b", "n", "k", "isOdd", "t", "ünï", ""}

func (r *rng) str() string {
	pool := []string{"", "x", "abc", "ünïcödé ✓", "<&>", "\x00\x7f", "a somewhat longer string value!", "\xff\xfe"}
	return pool[r.below(len(pool))]
}

func (r *rng) float() float64 {
	pool := []float64{0, math.Copysign(0, -1), 1, -1.5, math.NaN(), math.Inf(1), math.Inf(-1), 5e-324, math.MaxFloat64, 1e21, 0.1}
	return pool[r.below(len(pool))]
}

func (r *rng) int64v() int64 {
	pool := []int64{0, 1, -1, 127, -128, 255, 65535, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64}
	return pool[r.below(len(pool))]
}

func (r *rng) time() time.Time {
	base := time.Date(2026, 12, 7, 13, 14, 15, int(r.below(3))*500_000_000, time.UTC)
	switch r.below(4) {
	case 0:
		return base
	case 1:
		return base.In(time.FixedZone("X", 3600))
	case 2:
		return base.In(time.FixedZone("", 0))
	default:
		return base.In(time.Local)
	}
}

// value is a random value of a type a plugin process can decode in an interface{}.
func (r *rng) value(depth int) interface{} {
	n := 24
	if depth >= 3 {
		n = 20 // no more containers
	}
	switch r.below(n) {
	case 0:
		return nil
	case 1:
		return r.below(2) == 0
	case 2:
		return int(r.int64v())
	case 3:
		return int8(r.int64v())
	case 4:
		return int16(r.int64v())
	case 5:
		return int32(r.int64v())
	case 6:
		return r.int64v()
	case 7:
		return uint(r.int64v())
	case 8:
		return uint8(r.int64v())
	case 9:
		return uint16(r.int64v())
	case 10:
		return uint32(r.int64v())
	case 11:
		return uint64(r.int64v())
	case 12:
		return uintptr(r.int64v())
	case 13:
		return float32(r.float())
	case 14, 15:
		return r.float()
	case 16:
		return complex(r.float(), r.float())
	case 17:
		return complex64(complex(r.float(), r.float()))
	case 18:
		return r.str()
	case 19:
		return r.time()
	case 20:
		m := map[string]interface{}{}
		for i := r.below(3); i > 0; i-- {
			m[keys[r.below(len(keys))]] = r.value(depth + 1)
		}
		return m
	case 21:
		s := []interface{}{}
		for i := r.below(3); i > 0; i-- {
			s = append(s, r.value(depth+1))
		}
		return s
	case 22:
		switch r.below(5) {
		case 0:
			return []byte(r.str())
		case 1:
			return []int{int(r.int64v()), 2}
		case 2:
			return []string{r.str()}
		case 3:
			return []float64{r.float()}
		default:
			return []bool{true}
		}
	default:
		p := api.SearchParameters{"k": r.value(depth + 1)}
		return &p
	}
}

// convert gives v as another kind where Go has one (int 5 as int64 5, float64 as float32).
func (r *rng) convert(v interface{}) interface{} {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	kinds := []reflect.Type{reflect.TypeOf(int(0)), reflect.TypeOf(int64(0)), reflect.TypeOf(uint8(0)),
		reflect.TypeOf(float64(0)), reflect.TypeOf(float32(0)), reflect.TypeOf(uint64(0))}
	t := kinds[r.below(len(kinds))]
	if rv.Type().ConvertibleTo(t) && rv.Kind() != reflect.String && rv.Kind() != reflect.Slice && rv.Kind() != reflect.Map && rv.Kind() != reflect.Ptr && rv.Kind() != reflect.Struct && rv.Kind() != reflect.Complex64 && rv.Kind() != reflect.Complex128 {
		return rv.Convert(t).Interface()
	}
	return v
}

func comparable(v interface{}) bool {
	if v == nil {
		return true
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Map, reflect.Slice:
		return false
	}
	return true
}

// dump prints v deterministically: maps sorted, pointers followed, with Go types.
func dump(b *strings.Builder, v reflect.Value) {
	if !v.IsValid() {
		b.WriteString("nil")
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		e := v.Elem()
		fmt.Fprintf(b, "%s(", e.Type())
		dump(b, e)
		b.WriteString(")")
	case reflect.Ptr:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteString("&")
		dump(b, v.Elem())
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("map(nil)")
			return
		}
		ks := v.MapKeys()
		sort.Slice(ks, func(i, j int) bool { return fmt.Sprint(ks[i]) < fmt.Sprint(ks[j]) })
		b.WriteString("{")
		for i, k := range ks {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(b, "%q:", k.String())
			dump(b, v.MapIndex(k))
		}
		b.WriteString("}")
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("[](nil)")
			return
		}
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(",")
			}
			dump(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			name, off := t.Zone()
			fmt.Fprintf(b, "%s[%s %d loc=%s]", t.Format(time.RFC3339Nano), name, off, t.Location())
			return
		}
		b.WriteString("{")
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(b, "%s:", v.Type().Field(i).Name)
			dump(b, v.Field(i))
		}
		b.WriteString("}")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	case reflect.Float32, reflect.Float64:
		fmt.Fprintf(b, "%v", v.Float())
	default:
		fmt.Fprintf(b, "%#v", v.Interface())
	}
}

func show(v interface{}) string {
	var b strings.Builder
	dump(&b, reflect.ValueOf(v))
	return b.String()
}

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
	r := &rng{s: *seed}
	ctx := context.Background()
	type pair struct {
		key   string
		value interface{}
	}
	var stored []pair
	for round := 0; round < *rounds; round++ {
		for c := 1 + r.below(3); c > 0; c-- {
			in := &dispatcher.SubmitInput{}
			for i := 1 + r.below(4); i > 0; i-- {
				data := map[string]interface{}{}
				for k := r.below(5); k > 0; k-- {
					k, v := keys[r.below(len(keys))], r.value(0)
					data[k] = v
					stored = append(stored, pair{k, v})
				}
				if r.below(8) == 0 {
					data = nil
				}
				in.Records = append(in.Records, &api.Record{ID: fmt.Sprint(r.below(6)), Data: data})
			}
			out, err := dsp.Submit(ctx, in)
			if report("submit "+show(in), out, err) {
				return
			}
		}
		out, err := dsp.Entity(ctx, &dispatcher.EntityInput{ID: "e"})
		if report("entity", out, err) {
			return
		}
		for s := 1 + r.below(4); s > 0; s-- {
			params := api.SearchParameters{}
			for p := 1 + r.below(3); p > 0; p-- {
				// A stored value under its key (sometimes converted to another kind), or a
				// fresh value under any key.
				k, v := keys[r.below(len(keys))], interface{}(nil)
				if len(stored) > 0 && r.below(3) != 0 {
					p := stored[r.below(len(stored))]
					k, v = p.key, p.value
					if r.below(3) == 0 {
						v = r.convert(v)
					}
				} else {
					v = r.value(1)
				}
				if !comparable(v) {
					// Alone: with other parameters Go's map order decides whether it panics.
					params = api.SearchParameters{k: v}
					break
				}
				params[k] = v
			}
			out, err := dsp.Search(ctx, &dispatcher.SearchInput{Parameters: &params})
			if report("search "+show(params), out, err) {
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
	fmt.Printf("%s -> %s\n", call, show(out))
	return false
}
