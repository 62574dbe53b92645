package main

// Checklist items where Go's *encoder* (or registry) refuses: there is no
// stream to record, so gen writes Go's error/panic text to encode_errors.json
// for the Rust encoder tests to mirror.

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

type encodeErrorCase struct {
	Name      string
	Checklist []int
	Desc      string
	Run       func() error // returns Go's error; panics are recovered and recorded
}

type Rec ***Rec

// encodeAll encodes values with one Encoder into io.Discard.
func encodeAll(values ...any) error {
	enc := gob.NewEncoder(io.Discard)
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

type Bug4Public struct {
	Name   string
	Secret Bug4Secret
}

type Bug4Secret struct{ a int }

type Unregistered struct{ A int }

// DupReg is registered as a value and then as a pointer: gob panics.
type DupReg struct{ A int }

var encodeErrorCases = []encodeErrorCase{
	{"no_exported_fields", []int{26}, "Bug4Public{Secret: Bug4Secret{a: 1}} encoded twice with fresh Encoders (TestMultipleEncodingsOfBadType); the error of the second attempt", func() error {
		x := Bug4Public{Name: "name", Secret: Bug4Secret{1}}
		encodeAll(x)
		return encodeAll(x)
	}},
	{"nil_slice_element", []int{54}, "[]*Point{nil}", func() error { return encodeAll([]*Point{nil}) }},
	{"nil_map_value", []int{54}, "map[string]*Point{\"k\": nil}", func() error { return encodeAll(map[string]*Point{"k": nil}) }},
	{"nil_pointer_in_interface", []int{66}, "struct{ I interface{} }{I: (*int)(nil)} (TestNilPointerInsideInterface)", func() error {
		var ip *int
		return encodeAll(struct{ I interface{} }{ip})
	}},
	{"unregistered_interface_type", []int{67}, "WithIface{V: Unregistered{1}} with Unregistered never registered", func() error {
		return encodeAll(WithIface{V: Unregistered{1}})
	}},
	{"toplevel_nil_pointer", []int{100}, "Encode((*int)(nil)): Go panics (TestTopLevelNilPointer); the panic text", func() error {
		var ip *int
		return encodeAll(ip)
	}},
	{"toplevel_nil_map_pointer", []int{100}, "Encode((*map[int]int)(nil)): panics (TestNilPointerPanics)", func() error {
		var mp *map[int]int
		return encodeAll(mp)
	}},
	{"unaddressable_gobencoder_field", []int{75}, "ZeroGobField{X: 1} encoded by value: field G has a pointer-receiver GobEncode but is not addressable (TestGobEncoderValueField therefore encodes a pointer)", func() error {
		return encodeAll(ZeroGobField{X: 1})
	}},
	{"nil_value", []int{101}, "Encode(nil) (TestCatchInvalidNilValue)", func() error { return encodeAll(nil) }},
	{"toplevel_chan", []int{101}, "Encode(make(chan int)) (TestUnsupported)", func() error { return encodeAll(make(chan int)) }},
	{"toplevel_func", []int{101}, "Encode(func(int) bool) (TestUnsupported)", func() error {
		return encodeAll(func(a int) bool { return true })
	}},
	{"recursive_pointer_type", []int{102}, "type Rec ***Rec; Encode(&rec) (TestBadRecursiveType)", func() error {
		var rec Rec
		return encodeAll(&rec)
	}},
	{"register_value_and_pointer", []int{112}, "gob.Register(DupReg{}) then gob.Register(&DupReg{}): the registry panics (names must be a bijection)", func() error {
		gob.Register(DupReg{})
		gob.Register(&DupReg{})
		return nil
	}},
}

type encodeErrorRecord struct {
	Name      string `json:"name"`
	Checklist []int  `json:"checklist"`
	Desc      string `json:"description"`
	Error     string `json:"error"`
	Panicked  bool   `json:"panicked"`
}

func runEncodeError(c encodeErrorCase) (rec encodeErrorRecord) {
	rec = encodeErrorRecord{Name: c.Name, Checklist: c.Checklist, Desc: c.Desc}
	defer func() {
		if p := recover(); p != nil {
			rec.Error = fmt.Sprint(p)
			rec.Panicked = true
		}
	}()
	if err := c.Run(); err != nil {
		rec.Error = err.Error()
	}
	return rec
}

func cmdEncodeErrors(dir string) int {
	var recs []encodeErrorRecord
	for _, c := range encodeErrorCases {
		r := runEncodeError(c)
		if r.Error == "" {
			fmt.Fprintf(os.Stderr, "encode-errors: %s: Go did not fail\n", c.Name)
			return 1
		}
		recs = append(recs, r)
	}
	b, err := gobjson.Marshal(recs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var out bytes.Buffer
	if err := gobjson.Indent(&out, b); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.WriteFile(filepath.Join(dir, "encode_errors.json"), out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
