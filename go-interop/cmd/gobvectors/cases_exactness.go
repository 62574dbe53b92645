package main

// Regressions of the typed-JSON path (`tilores-plugin gob decode | gob encode`) and of
// streams Go accepts that the Rust decoder refused, found by issue 13's audit and by the
// differential fuzzer (go-interop/cmd/gobfuzz). Each stream is Go's own output.

import "math"

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
