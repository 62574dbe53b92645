package main

// Checklist A (integers, floats, scalars) and B (narrowing and overflow).

import (
	"bytes"
	"encoding/hex"
	"math"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

// vals returns the fixed value list of a case.
func vals(vs ...any) func() []any { return func() []any { return vs } }

// tgts returns the decode destinations of a case (fresh copies are made per
// decode; nil means Decode(nil)).
func tgts(ts ...any) func() []any { return func() []any { return ts } }

// quoted returns bytes quoted (as hex) from Go's own tests or the spec,
// replacing the encoder output.
func quoted(h string) func([]byte) []byte {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	return func([]byte) []byte { return b }
}

// editMessage rewrites message i (0-based; negative counts from the end) of
// real encoder output, re-framing the stream with correct lengths.
func editMessage(i int, f func(m []byte) []byte) func([]byte) []byte {
	return func(data []byte) []byte {
		msgs := gobjson.MustSplit(data)
		if i < 0 {
			i += len(msgs)
		}
		msgs[i] = f(msgs[i])
		return gobjson.JoinMessages(msgs)
	}
}

// replaceOnce replaces exactly one occurrence of old (which must exist).
func replaceOnce(b []byte, old, new string) []byte {
	if bytes.Count(b, []byte(old)) < 1 {
		panic("replaceOnce: pattern not found")
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func uintSequence() []uint64 {
	var s []uint64
	for u := uint64(0); ; u = (u + 1) * 7 {
		s = append(s, u)
		if u&(1<<63) != 0 {
			break
		}
	}
	return s
}

func init() {
	add(&Case{
		Name: "uint_table", Checklist: []int{1},
		Desc: "top-level uint64 values: TestUintCodec's table (0x0F … 2^64-1, 0x1111, 0x1111111111111111, 0x8888888888888888, 1<<63) plus 7, 127, 128, 255, 256 from spec §1.1; each value message is `<len> 06 00 <uint>`",
		Values: func() []any {
			var out []any
			for _, u := range []uint64{
				0x00, 0x0F, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFF, 0xFFFFFFFFFFFF,
				0xFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x1111, 0x1111111111111111,
				0x8888888888888888, 1 << 63, 7, 127, 128, 255, 256,
			} {
				out = append(out, u)
			}
			return out
		},
	})
	add(&Case{
		Name: "uint_sequence", Checklist: []int{2},
		Desc:   "one []uint64 holding TestUintCodec's round-trip sequence u = (u+1)*7 from 0 until bit 63 is set",
		Values: func() []any { return []any{uintSequence()} },
	})
	add(&Case{
		Name: "int_sequence", Checklist: []int{3},
		Desc: "one []int64 holding TestIntCodec's values: for each u of the uint sequence i, -i, ^i (i = int64(u)), then MinInt64",
		Values: func() []any {
			var s []int64
			for _, u := range uintSequence() {
				i := int64(u)
				s = append(s, i, -i, ^i)
			}
			return []any{append(s, math.MinInt64)}
		},
	})
	add(&Case{
		Name: "int_table", Checklist: []int{4},
		Desc: "top-level int values of spec §1.2 (0, -1, 1, -2, 3, 22, 33, 63, 64, -64, 65, -65, -128, -129, MaxInt64, MinInt64); doc.go: -129 is fe 01 01, 3 is 06",
		Values: func() []any {
			var out []any
			for _, i := range []int{0, -1, 1, -2, 3, 22, 33, 63, 64, -64, 65, -65, -128, -129, math.MaxInt64, math.MinInt64} {
				out = append(out, i)
			}
			return out
		},
	})
	add(&Case{
		Name: "field_delta7", Checklist: []int{5},
		Desc: "structs whose 7th sent field G (six zero int fields before it) holds true / int 17 / uint 17 / float 17 / complex 17+19i / []byte \"hello\" / string \"hello\": field bytes are 07 01, 07 22, 07 11, 07 fe 31 40, 07 fe 31 40 fe 33 40, 07 05 68 65 6c 6c 6f (TestScalarEncInstructions)",
		Values: vals(
			Delta7Bool{G: true}, Delta7Int{G: 17}, Delta7Uint{G: 17}, Delta7Float{G: 17},
			Delta7Complex{G: 17 + 19i}, Delta7Bytes{G: []byte("hello")}, Delta7String{G: "hello"},
		),
	})
	add(&Case{
		Name: "basic_scalars", Checklist: []int{6},
		Desc: "TestBasicEncoderDecoder: one top-level value of every scalar kind (bool, int…int64, uint…uint64, uintptr, float32 1.2345, float64, complex64, complex128, []byte, string); float32/complex64 are widened to float64 on the wire",
		Values: vals(
			true, int(123), int8(123), int16(-12345), int32(123456), int64(-1234567),
			uint(123), uint8(123), uint16(12345), uint32(123456), uint64(1234567), uintptr(12345678),
			float32(1.2345), float64(1.2345678), complex64(1.2345+2.3456i), complex128(1.2345678+2.3456789i),
			[]byte("hello"), "hello",
		),
	})
	add(&Case{
		Name: "scalar_singletons", Checklist: []int{6, 41},
		Desc:   "spec §1.7 table of top-level singletons: true, false, int 3, int 0, uint 256, float 17, complex 17+19i, \"hello\", []byte{1,2,3}, []byte(nil), Celsius(36.6) (a named float travels as float)",
		Values: vals(true, false, 3, 0, uint(256), 17.0, complex(17, 19), "hello", []byte{1, 2, 3}, []byte(nil), Celsius(36.6)),
	})
	add(&Case{
		Name: "float_specials", Checklist: []int{7},
		Desc: "top-level floats: -0.0 (ff 80), +Inf, -Inf, math.NaN(), NaN 0x7ff8000000000123, negative NaN 0xfff8000000000001, float32 NaN with payload 0x7fc00001 (widened), 1.1, 0.5, 5e-324, MaxFloat64, float32 1.5, float32 0.1; complex(-0, NaN); []float64{-0, 0, NaN} (zeros inside slices are sent)",
		Values: func() []any {
			negZero := math.Copysign(0, -1)
			return []any{
				negZero, math.Inf(1), math.Inf(-1), math.NaN(),
				math.Float64frombits(0x7ff8000000000123), math.Float64frombits(0xfff8000000000001),
				math.Float32frombits(0x7fc00001), 1.1, 0.5, 5e-324, math.MaxFloat64,
				float32(1.5), float32(0.1), complex(negZero, math.NaN()),
				[]float64{negZero, 0, math.NaN()},
			}
		},
	})
	add(&Case{
		Name: "negzero_field", Checklist: []int{8},
		Desc: "struct Floats{F64, F32, C, Tag}: -0.0 float and -0-0i complex fields are omitted (numeric zero test); NaN and -Inf fields are sent; complex(-0, 1) is sent",
		Values: func() []any {
			nz := math.Copysign(0, -1)
			return []any{
				Floats{F64: nz, F32: float32(nz), C: complex(nz, nz), Tag: "a"},
				Floats{F64: math.NaN(), F32: float32(math.NaN()), C: complex(0, math.NaN()), Tag: "b"},
				Floats{F64: math.Inf(-1), F32: float32(math.Inf(1)), C: complex(nz, 1)},
			}
		},
	})
	add(&Case{
		Name: "lenient_nonminimal", Checklist: []int{9},
		Desc:   "crafted from Go's output for true, uint 6, Point{22,33}, int -3: the first message's length is written non-minimally (fe 00 03), bool is 02, uint 6 is fe 00 06, Point's deltas/fields use ff 01 / fe 00 2c / f8 00…42, int -3 is fa 00 00 00 00 00 05. Go decodes the original values",
		Values: vals(true, uint(6), Point{22, 33}, -3),
		Stream: func(data []byte) []byte {
			msgs := gobjson.MustSplit(data)
			// msgs: bool, uint, Point definition, Point value, int.
			msgs[0] = []byte{0x02, 0x00, 0x02}
			msgs[1] = []byte{0x06, 0x00, 0xfe, 0x00, 0x06}
			msgs[3] = []byte{0xff, 0x80, 0xff, 0x01, 0xfe, 0x00, 0x2c, 0x01, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0x42, 0x00}
			msgs[4] = []byte{0x04, 0x00, 0xfa, 0, 0, 0, 0, 0, 0x05}
			out := []byte{0xfe, 0x00, byte(len(msgs[0]))}
			out = append(out, msgs[0]...)
			return append(out, gobjson.JoinMessages(msgs[1:])...)
		},
	})
	add(&Case{
		Name: "lenient_tolerated", Checklist: []int{9},
		Desc:   "crafted from Go's Point{22,33} ×2: the definition's CommonType has no Name and a wrong inner Id (65), an unused definition of id 65 ([]int) follows, the first value has 3 trailing bytes inside its message, the second value lacks its struct terminator. Go tolerates all of it and decodes Point{22,33} twice",
		Values: vals(Point{22, 33}, Point{22, 33}),
		Stream: func(data []byte) []byte {
			msgs := gobjson.MustSplit(data)
			def := replaceOnce(msgs[0], "\x01\x01\x05Point\x01\xff\x80\x00", "\x01\x02\xff\x82\x00")
			unused := gobjson.AppendInt(nil, -65)
			unused = append(unused, 0x02, 0x01, 0x02, 0xff, 0x82, 0x00, 0x01, 0x04, 0x00, 0x00) // SliceT{CommonType{Id: 65}, Elem: int}
			v1 := append(append([]byte(nil), msgs[1]...), 0x07, 0x07, 0x07)
			v2 := msgs[2][:len(msgs[2])-1]
			return gobjson.JoinMessages([][]byte{def, unused, v1, v2})
		},
	})
	add(&Case{
		Name: "bad_uint_width", Checklist: []int{10},
		Desc:   "int 3 whose value is rewritten as a 9-byte uint (f7 00…00 06): Go rejects the count byte; decoded into *int",
		Values: vals(3),
		Stream: editMessage(0, func([]byte) []byte {
			return []byte{0x04, 0x00, 0xf7, 0, 0, 0, 0, 0, 0, 0, 0, 0x06}
		}),
		Error: true,
	})

	// ---- B. Narrowing and overflow (TestOverflow and observations) ----
	overflow := func(name string, n int, desc string, in inputT, target any) *Case {
		return &Case{
			Name: name, Checklist: []int{n},
			Desc:    desc + "; stream: inputT{Maxi, Mini int64; Maxu uint64; Maxf, Minf float64; Maxc, Minc complex128} (TestOverflow); decoded into " + typeName(target),
			Values:  vals(in),
			Targets: tgts(target),
			Error:   true,
		}
	}
	add(
		overflow("overflow_int8_max", 11, "Maxi = MaxInt8+1 into int8", inputT{Maxi: math.MaxInt8 + 1}, new(outi8)),
		overflow("overflow_int8_min", 11, "Mini = MinInt8-1 into int8", inputT{Mini: math.MinInt8 - 1}, new(outi8)),
		overflow("overflow_int16_max", 11, "Maxi = MaxInt16+1 into int16", inputT{Maxi: math.MaxInt16 + 1}, new(outi16)),
		overflow("overflow_int16_min", 11, "Mini = MinInt16-1 into int16", inputT{Mini: math.MinInt16 - 1}, new(outi16)),
		overflow("overflow_int32_max", 11, "Maxi = MaxInt32+1 into int32", inputT{Maxi: math.MaxInt32 + 1}, new(outi32)),
		overflow("overflow_int32_min", 11, "Mini = MinInt32-1 into int32", inputT{Mini: math.MinInt32 - 1}, new(outi32)),
		overflow("overflow_uint8", 12, "Maxu = MaxUint8+1 into uint8", inputT{Maxu: math.MaxUint8 + 1}, new(outu8)),
		overflow("overflow_uint16", 12, "Maxu = MaxUint16+1 into uint16", inputT{Maxu: math.MaxUint16 + 1}, new(outu16)),
		overflow("overflow_uint32", 12, "Maxu = MaxUint32+1 into uint32", inputT{Maxu: math.MaxUint32 + 1}, new(outu32)),
		overflow("overflow_float32", 13, "Maxf = 2*MaxFloat32 into float32", inputT{Maxf: math.MaxFloat32 * 2}, new(outf32)),
		overflow("overflow_complex64", 14, "Maxc = (2*MaxFloat32)(1+i) into complex64", inputT{Maxc: complex(math.MaxFloat32*2, math.MaxFloat32*2)}, new(outc64)),
	)
	add(&Case{
		Name: "float32_narrowing_ok", Checklist: []int{13},
		Desc: "inputT values Go decodes into float32/complex64 without error: {Maxf: +Inf, Minf: -Inf}, {Maxf: NaN, Minf: 1e-300 (underflows to 0)}, {Maxc: complex(+Inf, 1e-300)}; decoded_as shows the narrowed values",
		Values: func() []any {
			return []any{
				inputT{Maxf: math.Inf(1), Minf: math.Inf(-1)},
				inputT{Maxf: math.NaN(), Minf: 1e-300},
				inputT{Maxc: complex(math.Inf(1), 1e-300)},
			}
		},
		Targets: tgts(new(outf32), new(outf32), new(outc64)),
	})
	add(&Case{
		Name: "overflow_toplevel_uint8", Checklist: []int{15},
		Desc:    "top-level uint 300 decoded into *uint8",
		Values:  vals(uint(300)),
		Targets: tgts(new(uint8)),
		Error:   true,
	})
	add(&Case{
		Name: "overflow_slice_int8", Checklist: []int{15},
		Desc:    "[]int{300} decoded into *[]int8",
		Values:  vals([]int{300}),
		Targets: tgts(new([]int8)),
		Error:   true,
	})
	add(&Case{
		Name: "int_into_float32", Checklist: []int{16},
		Desc:    "top-level int 172 decoded into *float32 (TestSingletons' decode error)",
		Values:  vals(172),
		Targets: tgts(new(float32)),
		Error:   true,
	})
}
