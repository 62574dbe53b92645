package main

// Checklist G (streams, corruption, limits).

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"strconv"
	"strings"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

// partialT is TestDecodePartial's type; t2's string is long enough that its
// message needs a 2-byte length prefix, so a cut inside a prefix is possible.
type partialT struct {
	X []int
	Y string
}

func partialValues() []any {
	return []any{&partialT{X: []int{1, 2, 3}, Y: "foo"}, &partialT{X: []int{4, 5, 6}, Y: strings.Repeat("bar", 50)}}
}

// messageStarts returns the offset of every message in a stream, plus the end.
func messageStarts(data []byte) []int {
	var offs []int
	rest := data
	for len(rest) > 0 {
		offs = append(offs, len(data)-len(rest))
		n, err := gobjson.ReadUint(&rest)
		if err != nil {
			panic(err)
		}
		rest = rest[n:]
	}
	return append(offs, len(data))
}

// truncate cuts Go's stream at an offset computed from its message starts.
func truncate(at func(starts []int, n int) int) func([]byte) []byte {
	return func(data []byte) []byte { return data[:at(messageStarts(data), len(data))] }
}

// nestedArrayValue builds struct{ F [1][1]…[1]int (depth levels); X int }
// with F's innermost int = 1 and X = 7, as TestIgnoreDepthLimit does.
func nestedArrayValue(depth int) any {
	t := reflect.TypeFor[int]()
	for i := 0; i < depth; i++ {
		t = reflect.ArrayOf(1, t)
	}
	return nestedValue(t, func(v reflect.Value) reflect.Value { return v.Index(0) })
}

// nestedStructValue builds struct{ F struct{ F … struct{ F int } }; X int }
// with depth nested struct levels.
func nestedStructValue(depth int) any {
	t := reflect.TypeFor[int]()
	for i := 0; i < depth; i++ {
		t = reflect.StructOf([]reflect.StructField{{Name: "F", Type: t}})
	}
	return nestedValue(t, func(v reflect.Value) reflect.Value { return v.Field(0) })
}

func nestedValue(inner reflect.Type, step func(reflect.Value) reflect.Value) any {
	top := reflect.StructOf([]reflect.StructField{
		{Name: "F", Type: inner},
		{Name: "X", Type: reflect.TypeFor[int]()},
	})
	p := reflect.New(top)
	p.Elem().Field(1).SetInt(7)
	v := p.Elem().Field(0)
	for v.Kind() != reflect.Int {
		v = step(v)
	}
	v.SetInt(1)
	return p.Interface()
}

// nestedStructStream writes, with the wire primitives, the stream Go would
// send for nestedStructValue(depth) but with empty CommonType names (Go
// would name every level by its type string, which grows quadratically:
// gigabytes at this depth). Ids: 64 = top {F, X}; 65… = the nested levels.
func nestedStructStream(depth int) []byte {
	type wireField struct {
		name string
		id   int64
	}
	def := func(id int64, fields ...wireField) []byte {
		b := gobjson.AppendInt(nil, -id)
		b = append(b, 0x03, 0x01, 0x02) // StructT, CommonType, Id (no Name)
		b = gobjson.AppendInt(b, id)
		b = append(b, 0x00, 0x01) // end CommonType, Field
		b = gobjson.AppendUint(b, uint64(len(fields)))
		for _, f := range fields {
			b = append(b, 0x01)
			b = gobjson.AppendString(b, f.name)
			b = append(b, 0x01)
			b = gobjson.AppendInt(b, f.id)
			b = append(b, 0x00)
		}
		return append(b, 0x00, 0x00)
	}
	msgs := [][]byte{def(64, wireField{"F", 65}, wireField{"X", 2})}
	for k := 0; k < depth; k++ {
		id := int64(65 + k)
		next := id + 1
		if k == depth-1 {
			next = 2 // innermost F is an int
		}
		msgs = append(msgs, def(id, wireField{"F", next}))
	}
	v := gobjson.AppendInt(nil, 64)
	v = append(v, bytes.Repeat([]byte{0x01}, depth)...) // F of top and of each level but the last
	v = append(v, 0x01, 0x02, 0x00)                     // innermost F = 1, end
	v = append(v, bytes.Repeat([]byte{0x00}, depth-1)...)
	v = append(v, 0x01, 0x0e, 0x00) // top's X = 7, end
	return gobjson.JoinMessages(append(msgs, v))
}

// Test is TestDecodeErrorMultipleTypes' type.
type Test struct {
	A string
	B int
}

type depthTarget struct{ Hello, X int }

// dtValue is TestFuzzOneByte's DT with a one-entry map, so the bytes (and
// thus each corruption) are deterministic.
func dtValue(twoEntries bool) DT {
	dt := DT{A: 17, B: "hello", C: 3.14159, I: 271828, J: OnTheFly{3},
		M: map[string]int{"one": 1}, T: [3]int{11, 22, 33}, S: []string{"hi", "joe"}}
	if twoEntries {
		dt.M["two"] = 2
	}
	return dt
}

// corruptDT flips byte i of DT's stream with the first j (3, 6, 9…, as
// TestFuzzOneByte steps) for which Go's decoder reports an error.
func corruptDT(i int) func([]byte) []byte {
	return func(data []byte) []byte {
		for j := 3; j < 256; j += 3 {
			b := append([]byte(nil), data...)
			b[i] ^= byte(j)
			var e DT
			if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&e); err != nil {
				return b
			}
		}
		panic("no corruption of byte " + strconv.Itoa(i) + " makes Go fail")
	}
}

func init() {
	add(&Case{
		Name: "sequential_strings", Checklist: []int{93},
		Desc: "TestSequentialDecoder: the strings \"0\" … \"9\" from one Encoder; no definitions, so a fresh Decoder can start at any value boundary",
		Values: func() []any {
			var out []any
			for i := 0; i < 10; i++ {
				out = append(out, strconv.Itoa(i))
			}
			return out
		},
	})
	add(&Case{
		Name: "bad_count", Checklist: []int{94},
		Desc:   "TestBadCount: the message count fb a5 82 2f ca 01 (≥ tooBig); Decode(nil)",
		Stream: quoted("fba5822fca01"), Targets: tgts(nil), Error: true,
	})
	badData := []struct {
		hex, desc string
		target    any
	}{
		{"", "the empty stream: Decode returns io.EOF", nil},
		{"7F6869", "7f 68 69: a message length with too few bytes", nil},
		{"036e6f77206973207468652074696d6520666f7220616c6c20676f6f64206d656e", "plain text (\"now is the time…\" after a 03 length)", new(ET2)},
		{"0424666f6f", "a value of id 18 (CommonType) with field delta 0x24 (Go issue 6323)", new(ET2)},
		{"05100028557b02027f8302", "an interface value with a bad name length (Go issue 10270)", nil},
		{"130a00fb5dad0bf8ff020263e70002fa28020202a89859", "a huge slice length while skipping (Go issue 10273)", nil},
		{"0f1000fb285d003316020735ff023a65c5", "an interface value with a bad name length (Go issue 10273)", nil},
		{"03fffb0616fffc00f902ff02ff03bf005d02885802a311a8120228022c028ee7", "a bad GobDecoder definition (Go issue 10273)", nil},
		{"10fe010f020102fe01100001fe010e000016fe010d030102fe010e00010101015801fe01100000000bfe011000f85555555555555555", "a huge length inside a type definition (Go issue 10491)", nil},
	}
	for i, bd := range badData {
		add(&Case{
			Name: "bad_data_" + strconv.Itoa(i), Checklist: []int{95},
			Desc:     "TestBadData #" + strconv.Itoa(i) + ": " + bd.desc + "; decoded into " + typeName(bd.target),
			Stream:   quoted(bd.hex),
			Targets:  tgts(bd.target),
			Error:    true,
			CleanEOF: bd.hex == "",
		})
	}
	add(&Case{
		Name: "invalid_type_id", Checklist: []int{96},
		Desc:   "TestErrorInvalidTypeId: 01 00 01 00 (two messages holding value id 0) into *struct{}; decoding again with the same Decoder gives the same error, not a panic",
		Stream: quoted("01000100"), Targets: tgts(new(struct{})), Error: true,
	})
	add(&Case{
		Name: "two_encoders_dup_type", Checklist: []int{97},
		Desc:   "TestDecodeErrorMultipleTypes: the outputs of two Encoders (each defining id 64 for the same struct Test{A string; B int}) concatenated; one Decoder reads {\"one\", 1}, then rejects the second definition",
		Values: vals(Test{"one", 1}, Test{"two", 2}),
		Stream: func([]byte) []byte {
			var b bytes.Buffer
			gob.NewEncoder(&b).Encode(Test{"one", 1})
			gob.NewEncoder(&b).Encode(Test{"two", 2})
			return b.Bytes()
		},
		Error: true,
	})
	trunc := func(name, desc string, at func(s []int, n int) int, cleanEOF bool) *Case {
		return &Case{
			Name: name, Checklist: []int{98},
			Desc:     "TestDecodePartial: Go's stream for &partialT{X: []int{1,2,3}, Y: \"foo\"}, &partialT{X: []int{4,5,6}, Y: 150 bytes}, cut " + desc,
			Values:   partialValues,
			Stream:   truncate(at),
			Error:    true,
			CleanEOF: cleanEOF,
		}
	}
	// Message layout: [0] partialT definition, [1] []int definition, [2] t1, [3] t2.
	add(
		trunc("trunc_mid_definition", "inside the first definition: unexpected EOF", func(s []int, n int) int { return s[1] - 3 }, false),
		trunc("trunc_after_definitions", "right after the two definitions, before the first value: unexpected EOF (not EOF)", func(s []int, n int) int { return s[2] }, false),
		trunc("trunc_mid_value", "inside the first value: unexpected EOF", func(s []int, n int) int { return s[2] + 4 }, false),
		trunc("trunc_at_boundary", "at the start of the second value: one value, then a clean io.EOF", func(s []int, n int) int { return s[3] }, true),
		trunc("trunc_in_length_prefix", "after the first byte of the second value's 2-byte length prefix: one value, then unexpected EOF", func(s []int, n int) int { return s[3] + 1 }, false),
		trunc("trunc_mid_second_value", "two bytes before the end: one value, then unexpected EOF", func(s []int, n int) int { return n - 2 }, false),
	)
	add(&Case{
		Name: "nested_arrays_101", Checklist: []int{103},
		Desc:    "TestIgnoreDepthLimit's first value: struct{ F [1]…[1]int (101 array levels); X int }{F: …1, X: 7} (reflect-built, unnamed types). Go's real skip limit is 10000, so decoded_as struct{Hello, X int} (skipping F) succeeds",
		Values:  func() []any { return []any{nestedArrayValue(101)} },
		Targets: tgts(new(depthTarget)),
	})
	add(&Case{
		Name: "nested_structs_101", Checklist: []int{103},
		Desc:    "TestIgnoreDepthLimit's second value: struct{ F struct{ F … struct{ F int } } (101 struct levels); X int }; Go names each unnamed level by its type string. decoded_as struct{Hello, X int} (skipping F) succeeds under Go's 10000 limit",
		Values:  func() []any { return []any{nestedStructValue(101)} },
		Targets: tgts(new(depthTarget)),
	})
	add(&Case{
		Name: "depth_arrays_10001", Checklist: []int{103},
		Desc:    "struct{ F [1]…[1]int (10001 array levels); X int } encoded by Go (reflect-built), decoded into *struct{Hello, X int}: skipping F exceeds maxIgnoreNestingDepth (10000). Values omitted (too deep for JSON)",
		Values:  func() []any { return []any{nestedArrayValue(10001)} },
		Targets: tgts(new(depthTarget)),
		Error:   true, OmitValues: true,
	})
	add(&Case{
		Name: "depth_structs_10001", Checklist: []int{103},
		Desc:    "crafted with gob's wire primitives (Go would name each level by its quadratically growing type string): struct{ F struct{ F … (10001 struct levels) … struct{ F int } }; X int } with empty CommonType names, value F…F=1, X=7; decoded into *struct{Hello, X int}: skipping exceeds the nesting limit (CVE-2024-34156 path)",
		Stream:  func([]byte) []byte { return nestedStructStream(10001) },
		Targets: tgts(new(depthTarget)),
		Error:   true,
	})
	add(&Case{
		Name: "local_remote_mismatch", Checklist: []int{104},
		Desc:   "TestLocalRemoteTypesMismatch (Go issue 62117): 09 7f 03 01 02 ff 80 00 00 00 03 ff 80 00 (id 64 = empty struct, then its value) decoded into *[]*struct{}",
		Stream: quoted("097f030102ff80000000" + "03ff8000"), Targets: tgts(new([]*struct{})), Error: true,
	})
	add(&Case{
		Name: "dt_struct", Checklist: []int{105},
		Desc:   "TestFuzzOneByte's input: DT{A: 17, B: \"hello\", C: 3.14159, I: 271828, J: OnTheFly{3} (inline definition), I_nil: nil, M: {\"one\": 1, \"two\": 2}, T: [3]int{11,22,33}, S: {\"hi\", \"joe\"}}; the base stream for one-byte corruption sweeps",
		Values: func() []any { return []any{dtValue(true)} },
	})
	for _, i := range []int{1, 111, 178} {
		add(&Case{
			Name: "corrupt_dt_" + strconv.Itoa(i), Checklist: []int{105},
			Desc:   "TestFuzzOneByte (short mode indices): DT with the one-entry map M: {\"one\": 1}, byte " + strconv.Itoa(i) + " XORed with the first j in 3, 6, 9… that makes Go's decode into *DT fail",
			Values: func() []any { return []any{dtValue(false)} },
			Stream: corruptDT(i),
			Error:  true,
		})
	}
	add(&Case{
		Name: "def_id_below_64", Checklist: []int{106},
		Desc:   "Point{22,33} whose definition id is rewritten from -64 (7f) to -63 (7d); decoded into *Point",
		Values: vals(Point{22, 33}),
		Stream: editMessage(0, func(m []byte) []byte { m[0] = 0x7d; return m }),
		Error:  true,
	})
	add(&Case{
		Name: "dup_definition", Checklist: []int{106},
		Desc:   "Point{22,33} ×2 with the definition message repeated before the first value; decoded into *Point",
		Values: vals(Point{22, 33}, Point{22, 33}),
		Stream: func(data []byte) []byte {
			m := gobjson.MustSplit(data)
			return gobjson.JoinMessages([][]byte{m[0], m[0], m[1], m[2]})
		},
		Error: true,
	})
	add(&Case{
		Name: "extra_data_after_def", Checklist: []int{106},
		Desc:   "Point{22,33} whose top-level definition message carries one extra byte (00) after the wireType; decoded into *Point",
		Values: vals(Point{22, 33}),
		Stream: editMessage(0, func(m []byte) []byte { return append(m, 0x00) }),
		Error:  true,
	})
	add(&Case{
		Name: "singleton_nonzero_delta", Checklist: []int{106},
		Desc:   "top-level int 3 (04 00 06) rewritten to 04 01 06; decoded into *int",
		Values: vals(3),
		Stream: editMessage(0, func([]byte) []byte { return []byte{0x04, 0x01, 0x06} }),
		Error:  true,
	})
	add(&Case{
		Name: "hostile_map_count", Checklist: []int{107},
		Desc:   "map[string]int{\"a\": 1} whose entry count is rewritten to 2^62 (f8 40 00…00) with one entry of data; decoded into *map[string]int. Go survives this count only because the runtime refuses the overflowing size hint; counts around 2^28 make Go allocate gigabytes (issues 24446/79539)",
		Values: vals(map[string]int{"a": 1}),
		Stream: editMessage(-1, func(m []byte) []byte {
			return replaceOnce(m, "\x00\x01\x01a\x02", "\x00\xf8\x40\x00\x00\x00\x00\x00\x00\x00\x01a\x02")
		}),
		Error: true,
	})
	add(&Case{
		Name: "deep_linked_list", Checklist: []int{108},
		Desc: "a 20000-node linked list &RT{A: \"0\", Next: &RT{Next: … &RT{A: \"end\"}}} (only the first and last A set); Go decodes it (it has no value-depth limit); a Rust decoder is expected to hit its depth limit cleanly. Values omitted (too deep for JSON)",
		Values: func() []any {
			head := &RT{A: "end"}
			for i := 1; i < 20000; i++ {
				head = &RT{Next: head}
			}
			head.A = "0"
			return []any{head}
		},
		OmitValues: true,
	})
	add(&Case{
		Name: "deep_nested_iface", Checklist: []int{108},
		Desc: "[]interface{} nested 2000 deep: []interface{}{[]interface{}{… []interface{}{\"leaf\"} …}}; every level is an interface value named \"[]interface {}\". Go decodes it; a Rust decoder is expected to hit its depth limit cleanly. Values omitted (too deep for JSON)",
		Values: func() []any {
			v := []interface{}{"leaf"}
			for i := 1; i < 2000; i++ {
				v = []interface{}{v}
			}
			return []any{v}
		},
		OmitValues: true,
	})
}
