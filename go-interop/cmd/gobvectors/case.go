package main

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
	"slices"
)

// Case is one test vector: a gob stream written by one Encoder in a fresh
// process, or a stream derived from such output by byte manipulation.
type Case struct {
	Name      string
	Checklist []int // numbers from gob-conformance.md §5
	Desc      string

	// Prelude runs before anything else in the fresh process, e.g. to use
	// up type id 64 so the stream starts at 65 like Go ≤ 1.19.
	Prelude func()
	// Values are encoded in order with one Encoder.
	Values func() []any
	// Stream, when set, derives the bytes actually written from Go's
	// encoding of Values (nil when Values is nil): byte manipulation of real
	// output, or byte strings quoted from Go's own tests. Such a stream is
	// "crafted": never exact, and for valid cases the values listed are the
	// wire's.
	Stream func(goBytes []byte) []byte
	// Targets are the decode destinations Go uses, one per value (the last
	// one repeats; nil means Decode(nil)). Error cases without Values must
	// set it; valid cases with it get a "decoded_as" entry.
	Targets func() []any

	// Error marks a bad-data case: Go's Decoder must fail on it.
	Error bool
	// CleanEOF: for an error case, the expected failure is io.EOF at a
	// value boundary (e.g. an empty stream).
	CleanEOF bool
	// OmitValues: nesting too deep for JSON consumers (serde_json stops at
	// 128 levels); the manifest lists no values.
	OmitValues bool
}

func (c *Case) crafted() bool { return c.Stream != nil }

// encode produces the stream for the case as gen writes it.
func (c *Case) encode() ([]byte, []any, error) {
	var values []any
	var buf bytes.Buffer
	if c.Values != nil {
		values = c.Values()
		enc := gob.NewEncoder(&buf)
		for i, v := range values {
			if err := enc.Encode(v); err != nil {
				return nil, nil, fmt.Errorf("%s: encoding value %d (%T): %v", c.Name, i, v, err)
			}
		}
	}
	data := buf.Bytes()
	if c.Stream != nil {
		data = c.Stream(data)
	}
	return data, values, nil
}

var (
	allCases   []*Case
	casesByKey = map[string]*Case{}
)

// add registers cases; names must be unique and [a-z0-9_]+.
func add(cs ...*Case) {
	for _, c := range cs {
		for _, r := range c.Name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				panic("bad case name " + c.Name)
			}
		}
		if casesByKey[c.Name] != nil {
			panic("duplicate case " + c.Name)
		}
		if len(c.Checklist) == 0 {
			panic("case without checklist numbers: " + c.Name)
		}
		casesByKey[c.Name] = c
		allCases = append(allCases, c)
	}
}

// orderedCases lists the cases by their first checklist number (stable, so
// cases of one item keep their definition order): the manifest's order.
func orderedCases() []*Case {
	cs := append([]*Case(nil), allCases...)
	slices.SortStableFunc(cs, func(a, b *Case) int { return a.Checklist[0] - b.Checklist[0] })
	return cs
}

// hasMultiEntryMap reports whether a multi-entry map is reachable from v;
// Go's output for such values depends on map iteration order.
func hasMultiEntryMap(v reflect.Value, seen map[uintptr]bool) bool {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return false
		}
		seen[v.Pointer()] = true
		return hasMultiEntryMap(v.Elem(), seen)
	case reflect.Interface:
		return !v.IsNil() && hasMultiEntryMap(v.Elem(), seen)
	case reflect.Map:
		if v.Len() > 1 {
			return true
		}
		it := v.MapRange()
		for it.Next() {
			if hasMultiEntryMap(it.Key(), seen) || hasMultiEntryMap(it.Value(), seen) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return false
		}
		for i := 0; i < v.Len(); i++ {
			if hasMultiEntryMap(v.Index(i), seen) {
				return true
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if hasMultiEntryMap(v.Field(i), seen) {
				return true
			}
		}
	}
	return false
}

func checklistCoverage() (covered map[int][]string) {
	covered = map[int][]string{}
	for _, c := range allCases {
		for _, n := range c.Checklist {
			covered[n] = append(covered[n], c.Name)
		}
	}
	for _, e := range encodeErrorCases {
		for _, n := range e.Checklist {
			covered[n] = append(covered[n], "encode_errors.json:"+e.Name)
		}
	}
	return covered
}

// uncoveredReasons justifies the checklist items no vector can cover; gen
// fails if an item is neither covered nor listed here.
var uncoveredReasons = map[int]string{
	109: "registry API behaviour with no wire effect (registering the same value twice is a no-op); every gobvectors process does gobjson.Register(Int(0)) twice in init and all streams are unaffected",
	99:  "needs an 8 GiB (tooBig) message; far beyond the 4 MiB testdata budget and Go refuses to write it anyway (`gob: encoder: message too big`); test the Rust writer's limit directly",
	113: "concurrency of encoders/decoders/registration inside one Go process (TestStressParallel, TestTypeRace); a Rust thread-safety concern with no stream to record",
}
