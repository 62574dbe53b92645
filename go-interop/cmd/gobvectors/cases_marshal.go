package main

// Checklist F (GobEncoder, BinaryMarshaler, TextMarshaler, time.Time).

import (
	"math"
	"net"
	"time"
)

func arrayStruct() ArrayStruct {
	var a ArrayStruct
	for i := range a.a {
		a.a[i] = byte(i)
	}
	return a
}

func init() {
	add(&Case{
		Name: "gobencoder_field", Checklist: []int{74, 83},
		Desc: "TestGobEncoderField: GobTest0{17, &ByteStruct{'A'}} (GobEncoder struct field via pointer: bytes 41 42 43), then GobTest3{17, &Gobber(23), &BinaryGobber(24), &TextGobber(25)}: Gobber is a GobEncoder (05), BinaryGobber a BinaryMarshaler (06), TextGobber travels as a plain int; decoded_as GobTestIgnoreEncoder{X} skips the marshaled fields (TestGobEncoderIgnore*Field)",
		Values: func() []any {
			g, b, t := Gobber(23), BinaryGobber(24), TextGobber(25)
			return []any{GobTest0{17, &ByteStruct{'A'}}, GobTest3{17, &g, &b, &t}}
		},
		Targets: tgts(new(GobTestIgnoreEncoder)),
	})
	add(&Case{
		Name: "gobencoder_value_field", Checklist: []int{75},
		Desc:   "TestGobEncoderValueField: &GobTestValueEncDec{17, StringStruct{\"HIJKL\"}}: a value field whose GobEncode has a pointer receiver (encoded through a pointer so the field is addressable)",
		Values: vals(&GobTestValueEncDec{17, StringStruct{"HIJKL"}}),
	})
	add(&Case{
		Name: "gobencoder_zero_fields", Checklist: []int{75, 86},
		Desc: "&ZeroGobField{X: 1, N: -0.0, S: {F: -0.0}} then &ZeroGobField{X: 2}: G (Gobber, pointer-receiver GobEncode on a value field) is sent although zero (\"VALUE=0\": gob tests IsZero on the field's address); T (zero time) and B (empty BinaryValueGobber) are omitted; N (a float64 GobEncoder) and S (a struct GobEncoder) holding -0.0 are omitted too: reflect's IsZero is numeric, so -0.0 counts as zero",
		Values: func() []any {
			nz := math.Copysign(0, -1)
			return []any{&ZeroGobField{X: 1, N: NegZeroGob(nz), S: NegZeroGobStruct{nz}}, &ZeroGobField{X: 2}}
		},
	})
	add(&Case{
		Name: "gobencoder_indirect_field", Checklist: []int{76},
		Desc: "TestGobEncoderIndirectField: GobTestIndirectEncDec{17, G: ***StringStruct → {\"HIJKL\"}}",
		Values: func() []any {
			s := &StringStruct{"HIJKL"}
			sp := &s
			return []any{GobTestIndirectEncDec{17, &sp}}
		},
	})
	add(&Case{
		Name: "gobencoder_array_field", Checklist: []int{77},
		Desc: "TestGobEncoderArrayField / TestGobEncoderIndirectArrayField: &GobTestArrayEncDec{17, ArrayStruct} (8192 marshaled bytes 00 01 … ff 00 …), then GobTestIndirectArrayEncDec{17, ***ArrayStruct}",
		Values: func() []any {
			a := arrayStruct()
			b := arrayStruct()
			bp := &b
			bpp := &bp
			return []any{&GobTestArrayEncDec{17, a}, GobTestIndirectArrayEncDec{17, &bpp}}
		},
	})
	add(&Case{
		Name: "gobencoder_different_type", Checklist: []int{78},
		Desc:    "TestGobEncoderFieldsOfDifferentType: GobTest1{17, &StringStruct{\"ABC\"}} decoded_as GobTest0 (ByteStruct accepts \"ABC\"), then GobTest0{17, &ByteStruct{'X'}} decoded_as GobTest1 (\"XYZ\")",
		Values:  vals(GobTest1{17, &StringStruct{"ABC"}}, GobTest0{17, &ByteStruct{'X'}}),
		Targets: tgts(new(GobTest0), new(GobTest1)),
	})
	add(&Case{
		Name: "gobencoder_value_encoder", Checklist: []int{79},
		Desc:    "TestGobEncoderValueEncoder: GobTest4{17, ValueGobber(\"hello\"), BinaryValueGobber(\"Καλημέρα\"), TextValueGobber(\"こんにちは\")} (value receivers; TV travels as a plain string); decoded_as GobTest5 with pointer fields",
		Values:  vals(GobTest4{17, ValueGobber("hello"), BinaryValueGobber("Καλημέρα"), TextValueGobber("こんにちは")}),
		Targets: tgts(new(GobTest5)),
	})
	add(&Case{
		Name: "gobencoder_value_then_pointer", Checklist: []int{80},
		Desc: "TestGobEncoderValueThenPointer: GobTest6{42, V, &W, BV, &BW, TV, &TW}: each marshaler type is defined exactly once although used by value then by pointer",
		Values: func() []any {
			w := ValueGobber("six-by-nine")
			bw := BinaryValueGobber("πseconds")
			tw := TextValueGobber("π²ft/s²")
			return []any{GobTest6{42, ValueGobber("forty-two"), &w, BinaryValueGobber("1nanocentury"), &bw, TextValueGobber("gravitationalacceleration"), &tw}}
		},
	})
	add(&Case{
		Name: "gobencoder_pointer_then_value", Checklist: []int{80},
		Desc: "TestGobEncoderPointerThenValue: GobTest7{42, &V, W, &BV, BW, &TV, TW}",
		Values: func() []any {
			v := ValueGobber("forty-two")
			bv := BinaryValueGobber("1nanocentury")
			tv := TextValueGobber("gravitationalacceleration")
			return []any{GobTest7{42, &v, ValueGobber("six-by-nine"), &bv, BinaryValueGobber("πseconds"), &tv, TextValueGobber("π²ft/s²")}}
		},
	})
	add(&Case{
		Name: "gobencoder_into_plain", Checklist: []int{81},
		Desc:    "TestGobEncoderFieldTypeError: GobTest1{17, &StringStruct{\"ABC\"}} decoded into *GobTest2 (G is a plain string there)",
		Values:  vals(GobTest1{17, &StringStruct{"ABC"}}),
		Targets: tgts(new(GobTest2)),
		Error:   true,
	})
	add(&Case{
		Name: "plain_into_gobdecoder", Checklist: []int{81},
		Desc:    "TestGobEncoderFieldTypeError: GobTest2{17, \"ABC\"} decoded into *GobTest1 (G is a GobDecoder there)",
		Values:  vals(GobTest2{17, "ABC"}),
		Targets: tgts(new(GobTest1)),
		Error:   true,
	})
	add(&Case{
		Name: "gobencoder_singletons", Checklist: []int{82},
		Desc: "TestGobEncoderStructSingleton / NonStructSingleton: &ByteStruct{'A'} and &Gobber(1234) at top level are singletons (00 then the byte string)",
		Values: func() []any {
			g := Gobber(1234)
			return []any{&ByteStruct{'A'}, &g}
		},
	})
	add(&Case{
		Name: "gobencoder_nil_field", Checklist: []int{84},
		Desc:   "TestGobEncoderIgnoreNilEncoder: GobTest0{X: 18} with nil G: the field is omitted and stays nil",
		Values: vals(GobTest0{X: 18}),
	})
	add(&Case{
		Name: "gobencoder_extra_indirect", Checklist: []int{85},
		Desc:    "TestGobEncoderExtraIndirect: &gobDecoderBug0{\"foo\", \"bar\"} (GobEncode gives \"foo-bar\"); decoded_as **gobDecoderBug0",
		Values:  vals(&gobDecoderBug0{"foo", "bar"}),
		Targets: tgts(new(*gobDecoderBug0)),
	})
	add(&Case{
		Name: "gobencode_is_zero", Checklist: []int{86},
		Desc: "TestGobEncodeIsZero: isZeroBug{T: time.Unix(1e9, 0).UTC(), S: \"hello\", I: -55, A: isZeroBugArray{1, 2}, F: isZeroBugInterface{}} (F is zero: omitted, its GobEncode never called), then isZeroBug{} (every field omitted). The Go test uses local time; UTC keeps the vector independent of TZ",
		Values: vals(
			isZeroBug{time.Unix(1e9, 0).UTC(), "hello", -55, isZeroBugArray{1, 2}, isZeroBugInterface{}},
			isZeroBug{},
		),
	})
	add(&Case{
		Name: "gobencode_ptr_error", Checklist: []int{87},
		Desc:   "TestGobEncodePtrError: Encode(&err) with a nil `error`: a top-level nil interface, 03 10 00 00",
		Values: func() []any { var err error; return []any{&err} },
	})
	add(&Case{
		Name: "net_ip", Checklist: []int{88},
		Desc:   "net.IP{1,2,3,4}: a TextMarshaler only, so it travels as []byte; the bytes equal the Go 1.1 stream TestNetIP decodes: 07 0a 00 04 01 02 03 04",
		Values: vals(net.IP{1, 2, 3, 4}),
	})
	add(&Case{
		Name: "marshaler_preference", Checklist: []int{89},
		Desc:   "BothMarshalers{'x'} (GobEncode \"gx\" and MarshalBinary \"bx\": GobEncoder wins, definition field 05) and TextOnly{5} (MarshalText only: encoded as a struct with field A)",
		Values: vals(BothMarshalers{'x'}, TextOnly{5}),
	})
	add(&Case{
		Name: "bin_marshaler", Checklist: []int{89},
		Desc:   "spec §1.9: Bin{} with value-receiver MarshalBinary returning aa 05: definition 06 01 01 03 \"Bin\" 01 ff 80 00 00 00, value ff 80 00 02 aa 05",
		Values: vals(Bin{}),
	})
	add(&Case{
		Name: "binary_into_gobdecoder", Checklist: []int{90},
		Desc:    "BinOnly{7} (BinaryMarshaler, definition field 06) decoded into *GobOnly (a GobDecoder): the marshal kinds must match exactly",
		Values:  vals(BinOnly{7}),
		Targets: tgts(new(GobOnly)),
		Error:   true,
	})
	add(&Case{
		Name: "event_time", Checklist: []int{91},
		Desc: "spec §2.3: Event{\"launch\", 2009-11-10 23:00:00 UTC}, Event{\"later\", 2009-11-10 23:00:00.123456789 -05:00}, Event{Name: \"x\"} (zero When omitted); Time is a GobEncoder (05) named \"Time\"",
		Values: vals(
			Event{"launch", time.Date(2009, 11, 10, 23, 0, 0, 0, time.UTC)},
			Event{"later", time.Date(2009, 11, 10, 23, 0, 0, 123456789, time.FixedZone("", -5*3600))},
			Event{Name: "x"},
		),
	})
	add(&Case{
		Name: "time_values", Checklist: []int{91},
		Desc: "spec §1.10 top-level time.Time values: 2009-11-10 23:00:00 UTC (v1, offset -1), 23:00:00.000000005 +01:00 (offset 60), 23:00:00 +00:00:30 (v2, seconds byte 1e), the zero Time (sent at top level: 01 00…00 ff ff), and a []time.Time{zero, 1970-01-01 UTC}",
		Values: vals(
			time.Date(2009, 11, 10, 23, 0, 0, 0, time.UTC),
			time.Date(2009, 11, 10, 23, 0, 0, 5, time.FixedZone("", 3600)),
			time.Date(2009, 11, 10, 23, 0, 0, 0, time.FixedZone("", 30)),
			time.Time{},
			[]time.Time{{}, time.Unix(0, 0).UTC()},
		),
	})
	add(&Case{
		Name: "time_v2_negative", Checklist: []int{91},
		Desc:   "2009-11-10 23:00:00 at fixed zone -01:01:01: v2 encoding, offset minutes -61 (ff c3) and seconds byte ff (-1 written signed); Go reads the byte back unsigned, so it decodes the zone as -3405 s (decoded_as shows the re-marshaled result)",
		Values: vals(time.Date(2009, 11, 10, 23, 0, 0, 0, time.FixedZone("", -3661))),
	})
	add(&Case{
		Name: "gobencoder_ptr_toplevel", Checklist: []int{92},
		Desc:   "&GE{1} at top level (GE has value-receiver GobEncode): the GobEncoder definition's inner CommonType.Id differs from the defined id (spec §1.6 quirk); then GE{2} by value",
		Values: vals(&GE{1}, GE{2}),
	})
	add(&Case{
		Name: "gobencoder_struct_exported_fields", Checklist: []int{92},
		Desc:   "GEFields{Vals: []float64{1}, Tag: \"t\"}: a GobEncoder struct with exported fields; Go also sends a definition for []float64 although only the marshaled bytes (\"t\") are used",
		Values: vals(GEFields{Vals: []float64{1}, Tag: "t"}),
	})
}
