package main

// The oracle for Rust-encoded streams: decode a stream with Go's Decoder into
// the case's Go types and compare with what Go decodes from its own stream.

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// decodeStream decodes exactly len(types) values, each into a fresh value of
// its type, and requires a clean EOF afterwards.
func decodeStream(data []byte, types []reflect.Type) ([]reflect.Value, error) {
	dec := gob.NewDecoder(bytes.NewReader(data))
	out := make([]reflect.Value, 0, len(types))
	for i, t := range types {
		p := reflect.New(t)
		if err := dec.Decode(p.Interface()); err != nil {
			return out, fmt.Errorf("decoding value %d (into %s): %v", i, p.Type(), err)
		}
		out = append(out, p.Elem())
	}
	switch err := dec.DecodeValue(reflect.Value{}); { // discard: like Decode(nil)
	case err == io.EOF:
		return out, nil
	case err == nil:
		return out, fmt.Errorf("trailing data: stream holds more than %d values", len(types))
	default:
		return out, fmt.Errorf("trailing data after %d values: %v", len(types), err)
	}
}

func typesOf(values []any) []reflect.Type {
	ts := make([]reflect.Type, len(values))
	for i, v := range values {
		ts[i] = reflect.TypeOf(v)
	}
	return ts
}

// checkStreams compares rust against goData for case c; it returns the
// number of values compared.
func checkStreams(c *Case, rust, goData []byte) (int, error) {
	if !checkable(c) {
		return 0, errNotCheckable
	}
	values := c.Values()
	types := typesOf(values)
	want, err := decodeStream(goData, types)
	if err != nil {
		return 0, fmt.Errorf("internal: Go's own stream does not decode: %v", err)
	}
	got, err := decodeStream(rust, types)
	if err != nil {
		return 0, err
	}
	for i := range want {
		if d := diffValues(want[i], got[i], fmt.Sprintf("value %d", i)); d != "" {
			return 0, errors.New(d)
		}
	}
	return len(want), nil
}

var errNotCheckable = errors.New("error case: the stream is bad data on purpose, nothing to check")

// checkable reports whether Go can decode a re-encoding of c's stream: every valid case, and
// the error cases whose stream is Go's untouched output (Go rejects those only because of
// the destination type the case decodes into; the stream's own types decode it).
func checkable(c *Case) bool { return !c.Error || (!c.crafted() && c.Values != nil) }

// goStream returns Go's stream for c: the file when given, else c re-encoded
// in this process (type ids differ from the fresh-process file, which does not
// matter for decoding; crafted cases get the same byte manipulation).
func goStream(c *Case, goFile string) ([]byte, error) {
	if goFile != "" {
		return os.ReadFile(goFile)
	}
	data, _, err := c.encode()
	return data, err
}

func cmdCheck(name, file, goFile string) int {
	c := casesByKey[name]
	if c == nil {
		fmt.Fprintf(os.Stderr, "check: unknown case %q\n", name)
		return 2
	}
	if !checkable(c) {
		fmt.Printf("not checkable %s: %v\n", name, errNotCheckable)
		return 2
	}
	rust, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		return 2
	}
	goData, err := goStream(c, goFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		return 2
	}
	n, err := checkStreams(c, rust, goData)
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", name, err)
		return 1
	}
	fmt.Printf("ok %s %d values\n", name, n)
	return 0
}

func cmdCheckAll(dir, rustDir string) int {
	var ok, failed, skipped int
	for _, c := range orderedCases() {
		if !checkable(c) {
			continue
		}
		rustFile := filepath.Join(rustDir, c.Name+".gob")
		rust, err := os.ReadFile(rustFile)
		if err != nil {
			skipped++
			continue
		}
		goData, err := os.ReadFile(filepath.Join(dir, c.Name+".gob"))
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", c.Name, err)
			failed++
			continue
		}
		n, err := checkStreams(c, rust, goData)
		if err != nil {
			fmt.Printf("FAIL %s: %v\n", c.Name, err)
			failed++
			continue
		}
		fmt.Printf("ok %s %d values\n", c.Name, n)
		ok++
	}
	fmt.Printf("summary: %d ok, %d failed, %d without a file in %s\n", ok, failed, skipped, rustDir)
	if failed > 0 || ok == 0 {
		return 1
	}
	return 0
}

// ---- deep comparison ----

type visit struct {
	a, b uintptr
	t    reflect.Type
}

// mismatch describes the first difference; the path is collected while the
// recursion unwinds (building it on the way down would be quadratic for the
// 20000-deep vectors).
type mismatch struct {
	rev []string // path segments, innermost first
	msg string
}

func (m *mismatch) at(seg string) *mismatch {
	m.rev = append(m.rev, seg)
	return m
}

func (m *mismatch) String() string {
	var b strings.Builder
	for i := len(m.rev) - 1; i >= 0; i-- {
		b.WriteString(m.rev[i])
	}
	return b.String() + ": " + m.msg
}

func differ(format string, args ...any) *mismatch {
	return &mismatch{msg: fmt.Sprintf(format, args...)}
}

// diffValues is reflect.DeepEqual with floats compared by bit pattern (so a
// NaN equals itself and -0 differs from +0) and map keys matched the same way;
// it returns "" when equal, else the path and the first difference.
func diffValues(a, b reflect.Value, path string) string {
	if m := diff(a, b, map[visit]bool{}); m != nil {
		return m.at(path).String()
	}
	return ""
}

func diff(a, b reflect.Value, seen map[visit]bool) *mismatch {
	if !a.IsValid() || !b.IsValid() {
		if a.IsValid() != b.IsValid() {
			return differ("one side is invalid")
		}
		return nil
	}
	if a.Type() != b.Type() {
		return differ("type %s vs %s", a.Type(), b.Type())
	}
	switch a.Kind() {
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return differ("%v vs %v", a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			return differ("%d vs %d", a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			return differ("%d vs %d", a.Uint(), b.Uint())
		}
	case reflect.Float32, reflect.Float64:
		if x, y := a.Float(), b.Float(); math.Float64bits(x) != math.Float64bits(y) {
			return differ("%v (%#x) vs %v (%#x)", x, math.Float64bits(x), y, math.Float64bits(y))
		}
	case reflect.Complex64, reflect.Complex128:
		x, y := a.Complex(), b.Complex()
		if math.Float64bits(real(x)) != math.Float64bits(real(y)) || math.Float64bits(imag(x)) != math.Float64bits(imag(y)) {
			return differ("%v vs %v", x, y)
		}
	case reflect.String:
		if a.String() != b.String() {
			return differ("%q vs %q", a.String(), b.String())
		}
	case reflect.Array:
		for i := 0; i < a.Len(); i++ {
			if m := diff(a.Index(i), b.Index(i), seen); m != nil {
				return m.at(fmt.Sprintf("[%d]", i))
			}
		}
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return differ("nil %v vs nil %v", a.IsNil(), b.IsNil())
		}
		if a.Len() != b.Len() {
			return differ("length %d vs %d", a.Len(), b.Len())
		}
		for i := 0; i < a.Len(); i++ {
			if m := diff(a.Index(i), b.Index(i), seen); m != nil {
				return m.at(fmt.Sprintf("[%d]", i))
			}
		}
	case reflect.Map:
		return diffMaps(a, b, seen)
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return differ("nil %v vs nil %v", a.IsNil(), b.IsNil())
			}
			return nil
		}
		v := visit{a.Pointer(), b.Pointer(), a.Type()}
		if seen[v] {
			return nil
		}
		seen[v] = true
		return diff(a.Elem(), b.Elem(), seen) // pointers are transparent in paths
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return differ("nil %v vs nil %v", a.IsNil(), b.IsNil())
			}
			return nil
		}
		return diff(a.Elem(), b.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if m := diff(a.Field(i), b.Field(i), seen); m != nil {
				return m.at("." + a.Type().Field(i).Name)
			}
		}
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		// Like DeepEqual: equal only when both nil (chans: same channel).
		if a.IsNil() && b.IsNil() {
			return nil
		}
		if a.Kind() != reflect.Func && a.Pointer() == b.Pointer() {
			return nil
		}
		return differ("%s values differ", a.Kind())
	default:
		return differ("cannot compare kind %s", a.Kind())
	}
	return nil
}

// diffMaps matches entries by deep equality of keys (bitwise for floats, so
// NaN keys pair up), each entry of b used once.
func diffMaps(a, b reflect.Value, seen map[visit]bool) *mismatch {
	if a.IsNil() != b.IsNil() {
		return differ("nil map %v vs %v", a.IsNil(), b.IsNil())
	}
	if a.Len() != b.Len() {
		return differ("map length %d vs %d", a.Len(), b.Len())
	}
	type entry struct{ k, v reflect.Value }
	var rest []entry
	it := b.MapRange()
	for it.Next() {
		rest = append(rest, entry{it.Key(), it.Value()})
	}
	used := make([]bool, len(rest))
	ia := a.MapRange()
	for ia.Next() {
		k, v := ia.Key(), ia.Value()
		seg := fmt.Sprintf("[%s]", fmtKey(k))
		var valueDiff *mismatch
		matched := false
		for j, e := range rest {
			if used[j] || diff(k, e.k, map[visit]bool{}) != nil {
				continue
			}
			m := diff(v, e.v, seen)
			if m == nil {
				used[j], matched = true, true
				break
			}
			if valueDiff == nil {
				valueDiff = m
			}
		}
		if !matched {
			if valueDiff != nil {
				return valueDiff.at(seg)
			}
			return differ("key missing on the second side").at(seg)
		}
	}
	return nil
}

func fmtKey(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return fmt.Sprintf("%q", k.String())
	}
	s := fmt.Sprintf("%v", k)
	return strings.ReplaceAll(s, "\n", " ")
}
