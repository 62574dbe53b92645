package main

// Regressions of the typed-JSON path (`tilores-plugin gob decode | gob encode`) and of
// streams Go accepts that the Rust decoder refused, found by issue 13's audit and by the
// differential fuzzer (go-interop/cmd/gobfuzz). Each stream is Go's own output.

import (
	"bytes"
	"encoding/gob"
	"math"
	"time"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

// U1 has the wire definition of an unnamed []uint64 when both are map elements: Go still
// gives each its own type id.
type U1 []uint64

// TwoSliceMaps holds the two look-alike element types side by side.
type TwoSliceMaps struct {
	A map[int][]uint64
	B map[int]U1
}

// FloatEdges holds float values whose decimal text must parse back to the same bits.
type FloatEdges struct {
	F32 float32
	F64 float64
	G32 float32
}

// DeepR is `type R []R`, nested deep.
type DeepR []DeepR

func deepR(depth int) DeepR {
	var r DeepR
	for i := 0; i < depth; i++ {
		r = DeepR{r}
	}
	return r
}

// IfaceAfterField uses Point as a field and then, in the same value, as an interface payload.
type IfaceAfterField struct {
	P Point
	I interface{}
}

func init() {
	add(&Case{
		Name: "float_text_edges", Checklist: []int{7},
		Desc: "float32 -MaxFloat32 and MaxFloat32/3, float64 -1.349630489419929e-08: the typed JSON's decimal text must read back to the very bits (a parser one ULP off pushes -MaxFloat32 out of float32 range)",
		Values: vals(
			FloatEdges{F32: -math.MaxFloat32, F64: -1.349630489419929e-08, G32: math.MaxFloat32 / 3},
			FloatEdges{F32: math.SmallestNonzeroFloat32, F64: math.MaxFloat64, G32: -0.1},
		),
	})
	add(&Case{
		Name: "recursive_slice_126_deep", Checklist: []int{49},
		Desc:       "type DeepR []DeepR nested 126 deep (148 bytes): decodes within the depth limit, so the typed JSON (deeper than serde_json's default 128 levels) must carry it back",
		Values:     func() []any { return []any{deepR(126)} },
		OmitValues: true,
	})
	add(&Case{
		Name: "named_type_two_values", Checklist: []int{42},
		Desc:   "the same named struct as two top-level values: Go defines it once per stream, the typed-JSON path must too",
		Values: vals(Point{1, 2}, Point{3, 4}),
	})
	add(&Case{
		Name: "iface_payload_type_of_field", Checklist: []int{42},
		Desc:   "Point as a struct field and then as an interface payload in the same value: defined once",
		Values: vals(IfaceAfterField{P: Point{1, 2}, I: Point{3, 4}}),
	})
	add(&Case{
		Name: "lookalike_slice_types", Checklist: []int{42},
		Desc:   "map[int][]uint64 and map[int]U1 (type U1 []uint64): both element definitions are unnamed slices of uint, yet Go gives each its own id; one entry per map, so exact",
		Values: vals(TwoSliceMaps{A: map[int][]uint64{1: {2}}, B: map[int]U1{3: {4}}}),
	})
}

// TimeWrap embeds time.Time, so it is a GobEncoder whose Go type has an exported field:
// Go sends time.Time's definition right after TimeWrap's, unused (a companion).
type TimeWrap struct{ time.Time }

// HasTimeWrap holds one in an interface field.
type HasTimeWrap struct{ V interface{} }

func init() {
	gobjson.Register(TimeWrap{})
	add(&Case{
		Name: "companion_in_interface", Checklist: []int{92},
		Desc: "HasTimeWrap{V: TimeWrap{...}} twice: the interface payload's GobEncoder definition is followed by time.Time's (never used); re-encoding must send it at the same place",
		Values: vals(
			HasTimeWrap{V: TimeWrap{time.Date(2029, 3, 27, 3, 44, 38, 0, time.UTC)}},
			HasTimeWrap{V: TimeWrap{time.Date(2001, 1, 2, 3, 4, 5, 6, time.UTC)}},
		),
	})
	add(&Case{
		Name: "companion_forward_reference", Checklist: []int{92},
		Desc:   "TimeWrap then map[int]Point, with the map's definition (which refers to Point, defined later) moved in front of the first value: Go stores definitions without resolving them, so both values decode; the stream is not in Go's sending order, so no companions may be inferred from it",
		Values: vals(TimeWrap{time.Date(2029, 3, 27, 3, 44, 38, 0, time.UTC)}, map[int]Point{1: {2, 3}}),
		Stream: func(data []byte) []byte {
			// Messages: 0 TimeWrap def, 1 time.Time def, 2 value, 3 map def, 4 Point def, 5 value.
			s := messageStarts(data)
			if len(s) != 7 {
				panic("companion_forward_reference: unexpected message count")
			}
			var out []byte
			out = append(out, data[s[0]:s[1]]...)
			out = append(out, data[s[3]:s[4]]...)
			out = append(out, data[s[1]:s[3]]...)
			out = append(out, data[s[4]:]...)
			return out
		},
	})
	add(&Case{
		Name: "map_count_overflow", Checklist: []int{95},
		Desc:   "map[int]int{1: 2} then 7, with the map's count rewritten to 2^64-1 and its entries dropped: Go's int(count) is negative, so Go decodes an empty map and goes on",
		Values: vals(map[int]int{1: 2}, 7),
		Stream: func(data []byte) []byte {
			// Messages: 0 map def, 1 map value (id, 0, count 1, key, elem), 2 the int.
			s := messageStarts(data)
			msg := data[s[1]:s[2]]
			rest := msg
			if _, err := gobjson.ReadUint(&rest); err != nil {
				panic(err)
			}
			body := append([]byte{}, rest[:2]...) // the type id (64: ff 80)
			body = append(body, 0)                // singleton marker
			body = gobjson.AppendUint(body, math.MaxUint64)
			out := append([]byte{}, data[:s[1]]...)
			out = gobjson.AppendUint(out, uint64(len(body)))
			out = append(out, body...)
			return append(out, data[s[2]:]...)
		},
	})
}

// HoldsAny carries an interface value.
type HoldsAny struct{ I interface{} }

func init() {
	t := time.Unix(0, 0).UTC()
	add(&Case{
		Name: "hidden_pointer_id_top_level", Checklist: []int{92},
		Desc:   "time.Time, then *time.Time at top level, then Point: the pointer value's bytes are a time.Time's, but Go allocates (and never sends) an id for *time.Time, so Point gets 66, not 65; re-encoding must leave the same gap",
		Values: vals(t, &t, Point{1, 2}),
	})
	add(&Case{
		Name: "hidden_pointer_id_in_interface", Checklist: []int{92},
		Desc:   "time.Time, then HoldsAny{&time.Time}, then Point: the same unsent id, allocated for an interface payload",
		Values: vals(t, HoldsAny{&t}, Point{1, 2}),
	})
}

// S1 is a one-field struct whose zero value is just the struct terminator.
type S1 struct{ A int }

// CommonType mirrors gob's own CommonType (bootstrap type id 18) by field names.
type CommonType struct {
	Name string
	Id   int
}

// frame prefixes a message body with its length.
func frame(body []byte) []byte {
	return append(gobjson.AppendUint(nil, uint64(len(body))), body...)
}

// body returns message i of a stream without its length prefix.
func body(data []byte, i int) []byte {
	s := messageStarts(data)
	m := data[s[i]:s[i+1]]
	if _, err := gobjson.ReadUint(&m); err != nil {
		panic(err)
	}
	return m
}

func init() {
	add(&Case{
		Name: "struct_ends_at_message_end_in_map", Checklist: []int{95},
		Desc:   "map[string]S1{\"\": {}} with the element struct's terminator dropped: the struct ends at the end of the message, which Go's decoder accepts anywhere (here one entry of one byte)",
		Values: vals(map[string]S1{"": {}}),
		Stream: func(data []byte) []byte {
			s := messageStarts(data)
			last := len(s) - 2 // the value's message, after the two definitions
			b := body(data, last)
			return append(append([]byte{}, data[:s[last]]...), frame(b[:len(b)-1])...)
		},
	})
	add(&Case{
		Name: "wiretype_extra_empty_field", Checklist: []int{95},
		Desc:   "Point{1, 2} whose definition also sets an empty MapT beside StructT: Go stores both and decodes by the struct",
		Values: vals(Point{1, 2}),
		Stream: func(data []byte) []byte {
			b := body(data, 0)
			// The wireType ends with 00 (end of structType) 00 (end of wireType): set field
			// MapT (delta 1 after StructT) to an empty mapType before the final 00.
			def := append(append(append([]byte{}, b[:len(b)-1]...), 0x01, 0x00), 0x00)
			return append(frame(def), data[messageStarts(data)[1]:]...)
		},
	})
	add(&Case{
		Name: "empty_unused_definition", Checklist: []int{95},
		Desc:   "Point{1, 2} preceded by a definition of id 100 with no wireType field set: Go stores it and fails only on a value that uses it",
		Values: vals(Point{1, 2}),
		Stream: func(data []byte) []byte {
			def := append(gobjson.AppendUint(nil, 199), 0x00) // int -100, empty wireType
			return append(frame(def), data...)
		},
	})
	add(&Case{
		Name: "bootstrap_type_id_value", Checklist: []int{95},
		Desc:   "CommonType{\"x\", 5} sent as a value of Go's own bootstrap type id 18 (gob's CommonType: Name string, Id int) without a definition: Go's decoder knows ids 16 to 24 on every stream",
		Values: vals(CommonType{"x", 5}),
		Stream: func(data []byte) []byte {
			b := body(data, 1)
			// The value's type id 64 is ff 80; id 18 is 0x24.
			if b[0] != 0xff || b[1] != 0x80 {
				panic("bootstrap_type_id_value: unexpected value message")
			}
			return frame(append([]byte{0x24}, b[2:]...))
		},
	})
}

func init() {
	add(&Case{
		Name: "bootstrap_id_into_unmatched_struct", Checklist: []int{95},
		Desc:   "a value of bootstrap type 18 (gob's CommonType{\"x\", 5}) decoded into Point: Go skips its no-fields-matched check for the ids it defines itself (no wire definition), so it decodes a zero Point; a re-encoding must keep id 18 rather than define a CommonType of its own, which Go would refuse into Point",
		Values: vals(Point{}),
		Stream: func([]byte) []byte {
			var b bytes.Buffer
			if err := gob.NewEncoder(&b).Encode(CommonType{"x", 5}); err != nil {
				panic(err)
			}
			v := body(b.Bytes(), 1)
			if _, err := gobjson.ReadUint(&v); err != nil { // drop the value's own type id
				panic(err)
			}
			return frame(append([]byte{0x24}, v...))
		},
	})
	add(&Case{
		Name: "wide_type_id", Checklist: []int{95},
		Desc:   "Point{1, 2} whose value message carries type id 64 + 2^33: Go reads a type id as int32(int64), so the high bits are dropped and the id is 64",
		Values: vals(Point{1, 2}),
		Stream: func(data []byte) []byte {
			s := messageStarts(data)
			v := body(data, 1)
			if v[0] != 0xff || v[1] != 0x80 {
				panic("wide_type_id: unexpected value message")
			}
			wide := gobjson.AppendInt(nil, 64+1<<33)
			return append(append([]byte{}, data[:s[1]]...), frame(append(wide, v[2:]...))...)
		},
	})
}

func init() {
	add(&Case{
		Name: "empty_field_name", Checklist: []int{95}, Error: true, Targets: tgts(nil),
		Desc:   "Point{1, 2} whose definition names its field X \"\": Go compiles a decoder for every struct definition a value reaches (typed or discarded) and refuses a field of no name",
		Values: vals(Point{1, 2}),
		Stream: func(data []byte) []byte {
			b := body(data, 0)
			i := bytes.Index(b, []byte{0x01, 'X'})
			if i < 0 {
				panic("empty_field_name: field X not found")
			}
			def := append(append(append([]byte{}, b[:i]...), 0x00), b[i+2:]...)
			return append(frame(def), data[messageStarts(data)[1]:]...)
		},
	})
}

func init() {
	add(&Case{
		Name: "huge_id_gap", Checklist: []int{95},
		Desc:   "Point{1, 2} defined and sent as type id 64 + 2^30 instead of 64: Go takes any id; a re-encoder must not reproduce such a gap (as ids Go allocated and never sent) by allocating a billion ids",
		Values: vals(Point{1, 2}),
		Stream: func(data []byte) []byte {
			const id = 64 + 1<<30
			def, val := body(data, 0), body(data, 1)
			if def[0] != 0x7f || val[0] != 0xff || val[1] != 0x80 {
				panic("huge_id_gap: unexpected messages")
			}
			out := frame(append(gobjson.AppendInt(nil, -id), def[1:]...))
			return append(out, frame(append(gobjson.AppendInt(nil, id), val[2:]...))...)
		},
	})
}

func init() {
	add(&Case{
		Name: "huge_id_gap_mid_stream", Checklist: []int{95},
		Desc:   "Point{1, 2} as id 64, then Args{3, 4} defined and sent as 65 + 2^30: a gap after the first definition reads like ids Go allocated and never sent, which a re-encoder reproduces only up to a bound",
		Values: vals(Point{1, 2}, Args{3, 4}),
		Stream: func(data []byte) []byte {
			const id = 65 + 1<<30
			s := messageStarts(data)
			def, val := body(data, 2), body(data, 3)
			if def[0] != 0xff || def[1] != 0x81 || val[0] != 0xff || val[1] != 0x82 {
				panic("huge_id_gap_mid_stream: unexpected messages")
			}
			out := append([]byte{}, data[:s[2]]...)
			out = append(out, frame(append(gobjson.AppendInt(nil, -id), def[2:]...))...)
			return append(out, frame(append(gobjson.AppendInt(nil, id), val[2:]...))...)
		},
	})
}
