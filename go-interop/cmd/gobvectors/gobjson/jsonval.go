package gobjson

// Typed-JSON building blocks shared by the two renderers (render.go renders Go
// values, wire.go renders raw gob bytes). Both must produce identical trees for
// the same stream, so every leaf goes through the helpers below.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// jobj is a JSON object that keeps its keys in insertion order (struct field
// order), which encoding/json's map handling would not.
type jobj struct {
	keys []string
	vals []any
}

func (o *jobj) set(k string, v any) {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

func (o *jobj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := WriteJSON(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteJSON serialises a rendering tree in one linear pass (nested
// MarshalJSON calls through encoding/json would re-validate every level,
// which is quadratic for the 20000-deep vectors).
func WriteJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(string(x))
	case string:
		s, err := Marshal(x)
		if err != nil {
			return err
		}
		b.Write(s)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := WriteJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *jobj:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := WriteJSON(b, k); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := WriteJSON(b, x.vals[i]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("WriteJSON: unexpected %T", v)
	}
	return nil
}

func single(k string, v any) *jobj {
	o := &jobj{}
	o.set(k, v)
	return o
}

// Marshal is json.Marshal without HTML escaping (so "<" stays readable)
// and without the trailing newline json.Encoder adds.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// JSON returns the compact JSON text of a rendering tree.
func JSON(v any) string {
	var b bytes.Buffer
	if err := WriteJSON(&b, v); err != nil {
		panic(err)
	}
	return b.String()
}

func jInt(i int64) json.Number   { return json.Number(strconv.FormatInt(i, 10)) }
func jUint(u uint64) json.Number { return json.Number(strconv.FormatUint(u, 10)) }

// jFloat renders a float as a JSON number when that is lossless and
// unambiguous; NaN, ±Inf and -0 become "0x" + the 16 hex digits of the
// float64 bit pattern so payloads and signs survive.
func jFloat(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) || (f == 0 && math.Signbit(f)) {
		return fmt.Sprintf("0x%016x", math.Float64bits(f))
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

func jComplex(re, im float64) any { return []any{jFloat(re), jFloat(im)} }

// jString renders a gob string: a JSON string when it is valid UTF-8 (gob
// itself never validates), otherwise the raw bytes in hex.
func jString(s []byte) any {
	if utf8.Valid(s) {
		return string(s)
	}
	return single("hex", hex.EncodeToString(s))
}

func jBytes(b []byte) any     { return single("bytes", hex.EncodeToString(b)) }
func jMarshaled(b []byte) any { return single("marshaled", hex.EncodeToString(b)) }

func jIface(name string, v any) any {
	o := &jobj{}
	o.set("name", name)
	o.set("value", v)
	return o
}

// jMap renders map entries sorted by their JSON text, so the manifest does not
// depend on Go's random map iteration order (consumers compare entry sets).
func jMap(entries [][2]any) any {
	type kv struct {
		key  string
		pair []any
	}
	list := make([]kv, len(entries))
	for i, e := range entries {
		p := []any{e[0], e[1]}
		list[i] = kv{JSON(p), p}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].key < list[j].key })
	out := make([]any, len(list))
	for i, e := range list {
		out[i] = e.pair
	}
	return single("map", out)
}

// Indent pretty-prints b into dst with a trailing newline.
func Indent(dst *bytes.Buffer, b []byte) error {
	if err := json.Indent(dst, b, "", "  "); err != nil {
		return err
	}
	dst.WriteByte('\n')
	return nil
}
