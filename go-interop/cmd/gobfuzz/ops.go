package main

// The work done inside worker processes: Go decodes of streams, mutants and
// Rust re-encodings, and their comparison.

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

type failure struct {
	Seed   uint64 `json:"seed"`
	Mutant *int   `json:"mutant,omitempty"`
	Class  string `json:"class"`
	Which  string `json:"which,omitempty"`
	Detail string `json:"detail"`
}

// goDecode decodes up to n values of types[i] with one Decoder, stopping at
// the first error. Values come back as pointers (reflect.New(t)).
func goDecode(types []reflect.Type, data []byte, n int) (vals []reflect.Value, dec *gob.Decoder, err error, panicked bool) {
	dec = gob.NewDecoder(bytes.NewReader(data))
	for i := 0; i < n && i < len(types); i++ {
		p := reflect.New(types[i])
		if err, panicked = safeDecode(dec, p.Interface()); err != nil {
			return vals, dec, err, panicked
		}
		vals = append(vals, p)
	}
	return vals, dec, nil, false
}

// freeDecodeCount is how many of the first n values Go decodes without a destination
// (Decode(nil), the ignore path).
func freeDecodeCount(data []byte, n int) int {
	dec := gob.NewDecoder(bytes.NewReader(data))
	for i := 0; i < n; i++ {
		if err, _ := safeDecode(dec, nil); err != nil {
			return i
		}
	}
	return n
}

func safeDecode(dec *gob.Decoder, target any) (err error, panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			err, panicked = fmt.Errorf("panic: %v", p), true
		}
	}()
	return dec.Decode(target), false
}

// trailing reports data after the expected values (nil at a clean EOF).
func trailing(dec *gob.Decoder) error {
	err, _ := safeDecode(dec, nil)
	switch {
	case err == io.EOF:
		return nil
	case err == nil:
		return errors.New("an extra value follows the expected ones")
	}
	return fmt.Errorf("bytes follow the expected values: %v", err)
}

var typeErrorKeys = []string{"type mismatch", "incompatible", "wrong type", "not compatible", "no fields",
	"not registered", "received remote type", "remote interface type", "not assignable", "can't handle type"}

// classify sorts a Go decode error: "type" when the wire type does not fit
// the Go target (a decision a schema-less decoder cannot make), "panic" when
// gob panicked, else "data".
func classify(err error, panicked bool) string {
	if panicked {
		return "panic"
	}
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "bad data") {
		return "data"
	}
	for _, k := range typeErrorKeys {
		if strings.Contains(s, k) {
			return "type"
		}
	}
	return "data"
}

func strp(s string) *string { return &s }

func typeName(types []reflect.Type, i int) string {
	if i < len(types) {
		return short(types[i].String(), 120)
	}
	return "?"
}

// ---- mdecode: Go's decisions on a mutant ----

type mdecodeResp struct {
	GoValues     int     `json:"go_values"`
	GoError      *string `json:"go_error"`
	GoErrorClass *string `json:"go_error_class"`
	Restart      bool    `json:"restart,omitempty"`
}

func mutantDecode(s *Stream, data []byte) ([]reflect.Value, mdecodeResp) {
	vals, _, err, pan := goDecode(s.Types, data, len(s.Types))
	r := mdecodeResp{GoValues: len(vals), Restart: pan}
	if err != nil {
		r.GoError, r.GoErrorClass = strp(err.Error()), strp(classify(err, pan))
	}
	return vals, r
}

func opMutantDecode(s *Stream, data []byte) any {
	_, r := mutantDecode(s, data)
	return r
}

// ---- echom: stand-in for Rust on a mutant (Go re-encodes its own values) ----

type echomResp struct {
	mdecodeResp
	EncodeError *string `json:"encode_error"`
	// Verbatim says why the mutant itself is echoed instead of Go's
	// re-encoding: Go cannot always re-encode what it decoded from a damaged
	// stream (a struct field never sent leaves nil pointers in an array;
	// time.Time does not round-trip negative second offsets).
	Verbatim string `json:"verbatim,omitempty"`
}

func opEchoMutant(s *Stream, data []byte) (any, [][]byte) {
	vals, r := mutantDecode(s, data)
	resp := echomResp{mdecodeResp: r}
	var buf bytes.Buffer
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return encodeValues(&buf, vals)
	}()
	if err != nil {
		resp.Verbatim = "go cannot re-encode: " + err.Error()
		return resp, [][]byte{data}
	}
	got, _, err, _ := goDecode(s.Types, buf.Bytes(), len(vals))
	if err != nil {
		resp.Verbatim = "go cannot decode its re-encoding: " + err.Error()
		return resp, [][]byte{data}
	}
	for i := range got {
		if d := (differ{lenient: true}).diff(vals[i].Elem(), got[i].Elem(), fmt.Sprintf("v[%d]", i)); d != "" {
			resp.Verbatim = "go's re-encoding differs: " + d
			return resp, [][]byte{data}
		}
	}
	return resp, [][]byte{buf.Bytes()}
}

// ---- check: one of Go's streams against Rust's two re-encodings ----

type rustStreamHdr struct {
	Seed        uint64  `json:"seed"`
	DecodeError *string `json:"decode_error"`
	Values      *int    `json:"values"`
	ValueError  *string `json:"value_error"`
	JSONError   *string `json:"json_error"`
}

type checkResp struct {
	CheckedValues int       `json:"checked_values"`
	ByteChecked   int       `json:"byte_checked"`
	ByteExact     int       `json:"byte_exact"`
	Failures      []failure `json:"failures"`
	Restart       bool      `json:"restart,omitempty"`
}

// opCheckStream: payloads are Go's stream, Rust's value re-encoding and
// Rust's JSON round-trip re-encoding.
func opCheckStream(s *Stream, req *workerReq, rec *record) any {
	resp := &checkResp{}
	fail := func(class, which, detail string) {
		resp.Failures = append(resp.Failures, failure{Seed: s.Seed, Class: class, Which: which, Detail: detail})
	}
	var rh rustStreamHdr
	if err := json.Unmarshal(req.Rust, &rh); err != nil {
		fail("bad_rust_header", "", err.Error())
		return resp
	}
	if rh.DecodeError != nil {
		fail("rust_decode_error", "", *rh.DecodeError)
		return resp
	}
	goBytes := rec.payload(0)
	k := len(s.Types)
	ref, _, err, pan := goDecode(s.Types, goBytes, k)
	if err != nil {
		resp.Restart = pan
		fail("go_self_error", "go", fmt.Sprintf("value %d (%s): %v", len(ref), typeName(s.Types, len(ref)), err))
		return resp
	}
	if rh.Values == nil || *rh.Values != k {
		got := -1
		if rh.Values != nil {
			got = *rh.Values
		}
		fail("semantic_mismatch", "value", fmt.Sprintf("rust decoded %d values, go wrote %d", got, k))
	}
	for _, w := range []struct {
		which, errClass string
		errText         *string
		payload         []byte
	}{
		{"value", "value_encode_error", rh.ValueError, rec.payload(1)},
		{"json", "json_error", rh.JSONError, rec.payload(2)},
	} {
		if w.errText != nil {
			fail(w.errClass, w.which, *w.errText)
			continue
		}
		got, dec, err, pan := goDecode(s.Types, w.payload, k)
		if err != nil {
			resp.Restart = resp.Restart || pan
			fail("go_refuses_rust", w.which, fmt.Sprintf("value %d (%s): %v", len(got), typeName(s.Types, len(got)), err))
		} else {
			resp.CheckedValues += k
			for i := range got {
				if d := (differ{}).diff(ref[i].Elem(), got[i].Elem(), fmt.Sprintf("v[%d]", i)); d != "" {
					fail("semantic_mismatch", w.which, d)
					break
				}
			}
			if err := trailing(dec); err != nil {
				fail("trailing_data", w.which, err.Error())
			}
		}
		if req.MapFree {
			resp.ByteChecked++
			if bytes.Equal(goBytes, w.payload) {
				resp.ByteExact++
			} else {
				fail("byte_mismatch", w.which, byteMismatch(goBytes, w.payload))
			}
		}
	}
	return resp
}

// ---- checkm: a mutant, Go's decisions on it, and Rust's re-encoding ----

type rustMutantHdr struct {
	Seed        uint64  `json:"seed"`
	Mutant      int     `json:"mutant"`
	RustValues  int     `json:"rust_values"`
	RustError   *string `json:"rust_error"`
	EncodeError *string `json:"encode_error"`
}

type checkmResp struct {
	mdecodeResp
	CheckedValues int       `json:"checked_values"`
	Failures      []failure `json:"failures"`
	Info          string    `json:"info,omitempty"`
}

func opCheckMutant(s *Stream, req *workerReq, rec *record) any {
	var rh rustMutantHdr
	resp := &checkmResp{}
	fail := func(class, detail string) {
		m := rh.Mutant
		resp.Failures = append(resp.Failures, failure{Seed: s.Seed, Mutant: &m, Class: class, Detail: detail})
	}
	if err := json.Unmarshal(req.Rust, &rh); err != nil {
		fail("bad_rust_header", err.Error())
		return resp
	}
	goVals, md := mutantDecode(s, rec.payload(0))
	resp.mdecodeResp = md
	gv, rv := len(goVals), rh.RustValues
	rustErr := "<none>"
	if rh.RustError != nil {
		rustErr = *rh.RustError
	}
	// Go's type-free structural reading of the mutant, computed once and only when a
	// decision needs it (the reader is not hardened for every hostile stream: a panic of its
	// own counts as its refusal and is reported as information).
	var wcMemo *gobjson.WireCheck
	check := func() gobjson.WireCheck {
		if wcMemo == nil {
			c := gobjson.CheckWire(rec.payload(0), len(s.Types))
			if c.ReaderPanic != "" {
				resp.Info = "wire_reader_panic"
			}
			wcMemo = &c
		}
		return *wcMemo
	}
	// oddBy reports whether value i, or one before it, met such a construction.
	oddBy := func(at, i int) bool { return at >= 0 && at <= i }
	if rv < gv && rh.RustError == nil {
		fail("rust_stopped_without_error", fmt.Sprintf("go decoded %d values, rust %d without an error", gv, rv))
	} else if rv < gv {
		// The Rust decoder has no destination type: its Go counterpart is Go's type-free
		// path (Decode(nil)). Values that only Go's typed path accepts depend on the
		// destination (e.g. compileDec sharing one op per local type hides an undefined
		// wire id), so refusing them is not a bug; refusing what both accept is.
		// Decode(nil) skips interface payloads by their byte count, so a type-free reader
		// that parses them too (gobjson's wire reader, written to Go's rules) is the other
		// judge: a value both of Go's readers take must decode.
		free := freeDecodeCount(rec.payload(0), len(s.Types))
		wire := check().Values
		if rv >= min(free, wire) {
			resp.Info = "go_typed_only_accepts"
		} else if oddBy(check().SeveralKindsAt, rv) {
			// A definition that sets several wireType fields: Go's type-free readers
			// take the first in Go's order, our dynamic decoder the field some Go
			// destination decodes it as (a lone marshaler field wins, as in Go's
			// compatibleType), so its refusal is not judged here;
			// tests/several_kinds_go.rs compares such definitions with Go's typed
			// decoder, destination by destination.
			resp.Info = "definition_sets_several_kinds"
		} else {
			fail("go_accepts_rust_refuses", fmt.Sprintf("go decoded %d values (type-free: %d, structural: %d), rust %d; rust error: %s", gv, free, wire, rv, rustErr))
		}
	}
	if rv > gv && md.GoErrorClass != nil {
		resp.Info = "rust_accepts_go_refuses_" + *md.GoErrorClass
	}
	m := min(gv, rv)
	if m == 0 {
		return resp
	}
	if rh.EncodeError != nil {
		fail("encode_error", *rh.EncodeError)
		return resp
	}
	got, _, err, pan := goDecode(s.Types, rec.payload(1), m)
	if err != nil {
		resp.Restart = resp.Restart || pan
		// A definition that sets several wireType fields is read by Go's typed decoder as
		// its destination's kind and by a type-free reader as the first in Go's order: a
		// re-encoding of the type-free reading can then fail Go's destination.
		if oddBy(check().SeveralKindsAt, len(got)) {
			resp.Info = "definition_sets_several_kinds"
		} else {
			fail("go_refuses_rust", fmt.Sprintf("value %d (%s): %v", len(got), typeName(s.Types, len(got)), err))
		}
	}
	resp.CheckedValues = len(got)
	for i := range got {
		if d := (differ{lenient: true}).diff(goVals[i].Elem(), got[i].Elem(), fmt.Sprintf("v[%d]", i)); d != "" {
			// An interface whose byte count disagrees with its payload is read by Go
			// structurally into a known field but skipped by the count otherwise: Go's
			// own answer then depends on the destination.
			switch {
			case oddBy(check().CountMismatchAt, i):
				resp.Info = "interface_count_disagrees"
			case oddBy(check().SeveralKindsAt, i):
				resp.Info = "definition_sets_several_kinds"
			default:
				fail("semantic_mismatch", d)
			}
			break
		}
	}
	return resp
}
