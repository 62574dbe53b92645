package main

// Checklist D (arrays, slices, maps).

import "math"

type MapHolder struct {
	Nil   map[string]int
	Empty map[string]int
	One   map[string]int
}

func init() {
	add(&Case{
		Name: "defaults_in_array", Checklist: []int{39},
		Desc:   "TestDefaultsInArray: Type7{B: []bool{false,false,true}, I: []int{0,0,1}, S: []string{\"hi\",\"\",\"there\"}, F: []float64{0,0,1}}: zero elements are transmitted",
		Values: vals(Type7{[]bool{false, false, true}, []int{0, 0, 1}, []string{"hi", "", "there"}, []float64{0, 0, 1}}),
	})
	add(&Case{
		Name: "array_type5", Checklist: []int{40},
		Desc:   "TestArray: Type5{A: [3]string{\"hello\", \",\", \"world\"}, B: [3]byte{1,2,3}} ([3]byte is an array of uints, not bytes)",
		Values: vals(Type5{[3]string{"hello", ",", "world"}, [3]byte{1, 2, 3}}),
	})
	add(&Case{
		Name: "array_len_mismatch", Checklist: []int{40},
		Desc:    "TestArray: Type5 decoded into *Type6{A [2]string}: array length mismatch",
		Values:  vals(Type5{[3]string{"hello", ",", "world"}, [3]byte{1, 2, 3}}),
		Targets: tgts(new(Type6)),
		Error:   true,
	})
	add(&Case{
		Name: "array3byte_toplevel", Checklist: []int{40},
		Desc:   "spec §1.7: top-level [3]byte{1,2,3}: 0d 7f 01 01 02 ff 80 00 01 06 01 06 00 00 + 07 ff 80 00 03 01 02 03",
		Values: vals([3]byte{1, 2, 3}),
	})
	add(&Case{
		Name: "int_slice_toplevel", Checklist: []int{41},
		Desc:   "spec §1.7: top-level []int{1,-2,0}: 0b 7f 02 01 02 ff 80 00 01 04 00 00 + 07 ff 80 00 03 02 03 00",
		Values: vals([]int{1, -2, 0}),
	})
	add(&Case{
		Name: "singletons", Checklist: []int{41},
		Desc:   "TestSingletons without its map: 17, float32 17.5, \"bike shed\", []string{\"bike\",\"shed\",\"paint\",\"color\"}, [7]int{4,55,0,0,0,0,0} (trailing zeros sent), [7]int{4,55,1,44,22,66,1234}",
		Values: vals(17, float32(17.5), "bike shed", []string{"bike", "shed", "paint", "color"}, [7]int{4, 55, 0, 0, 0, 0, 0}, [7]int{4, 55, 1, 44, 22, 66, 1234}),
	})
	add(&Case{
		Name: "singleton_map", Checklist: []int{41, 57},
		Desc:   "TestSingletons' map[string]int{\"seven\": 7, \"twelve\": 12} at top level (entry order varies: not exact)",
		Values: vals(map[string]int{"seven": 7, "twelve": 12}),
	})
	add(&Case{
		Name: "bytes_into_ints", Checklist: []int{42},
		Desc:    "TestSliceIncompatibility: []byte{1,2,3} decoded into *[]int",
		Values:  vals([]byte{1, 2, 3}),
		Targets: tgts(new([]int)),
		Error:   true,
	})
	add(&Case{
		Name: "slice_reuse", Checklist: []int{43},
		Desc:   "TestSliceReusesMemory: []byte(\"abcd\") and []rune(\"abcd\"); Go decodes them into existing slices of capacity 5 without reallocating (merge semantics: only the received elements are written, length set to 4)",
		Values: vals([]byte("abcd"), []rune("abcd")),
	})
	add(&Case{
		Name: "indirect_slice_map_array", Checklist: []int{44},
		Desc: "TestIndirectSliceMapArray: Indirect{A ***[3]int, S ***[]int, M ****map[string]int} then Direct{A, S, M} (3-entry maps); decoded_as Direct then Indirect",
		Values: func() []any {
			a := &[3]int{1, 2, 3}
			ap := &a
			s := &[]int{4, 5, 6}
			sp := &s
			m := &map[string]int{"one": 1, "two": 2, "three": 3}
			mp := &m
			mpp := &mp
			return []any{
				&Indirect{A: &ap, S: &sp, M: &mpp},
				Direct{A: [3]int{11, 22, 33}, S: []int{44, 55, 66}, M: map[string]int{"four": 4, "five": 5, "six": 6}},
			}
		},
		Targets: tgts(new(Direct), new(Indirect)),
	})
	add(&Case{
		Name: "map_of_structs", Checklist: []int{45},
		Desc:   "TestMapBug1: Bug1StructMap{\"val1\": {\"elem1\", 1}, \"val2\": {\"elem2\", 2}}: the element struct's definition precedes the map value",
		Values: vals(Bug1StructMap{"val1": {"elem1", 1}, "val2": {"elem2", 2}}),
	})
	add(&Case{
		Name: "map_iface_slices", Checklist: []int{46},
		Desc: "TestGobMapInterfaceEncode: map[string]interface{} whose values are uintptr(0) and one-element slices of every basic kind ([]int…[]int64, []uint…[]uint64 ([]uint8 is bytes), []float32, []float64, []complex64, []complex128, []uintptr, []bool, []string)",
		Values: vals(map[string]interface{}{
			"up": uintptr(0),
			"i0": []int{-1}, "i1": []int8{-1}, "i2": []int16{-1}, "i3": []int32{-1}, "i4": []int64{-1},
			"u0": []uint{1}, "u1": []uint8{1}, "u2": []uint16{1}, "u3": []uint32{1}, "u4": []uint64{1},
			"f0": []float32{1}, "f1": []float64{1},
			"c0": []complex64{complex(2, -2)}, "c1": []complex128{complex(2, float64(-2))},
			"us": []uintptr{0}, "bo": []bool{false}, "st": []string{"s"},
		}),
	})
	add(&Case{
		Name: "ptr_map_of_map", Checklist: []int{47},
		Desc: "TestPtrToMapOfMap: map[string]interface{}{\"foo\": map[string]interface{}{\"bar\": \"baz\"}} encoded as a value and then through a pointer (same bytes, no new definition)",
		Values: func() []any {
			data := map[string]interface{}{"foo": map[string]interface{}{"bar": "baz"}}
			return []any{data, &data}
		},
	})
	add(&Case{
		Name: "nan_key_map", Checklist: []int{48},
		Desc: "TestMarshalFloatMap: map[float64]string with three entries: NaN(0x7ff8000000000001)→\"a\", the same NaN→\"b\", NaN^1 (0x7ff8000000000000)→\"c\"; every NaN key is its own entry",
		Values: func() []any {
			nan1 := math.NaN()
			nan2 := math.Float64frombits(math.Float64bits(nan1) ^ 1)
			return []any{map[float64]string{nan1: "a", nan1: "b", nan2: "c"}}
		},
	})
	add(&Case{
		Name: "recursive_map_type", Checklist: []int{49},
		Desc: "TestRecursiveMapType: type recursiveMap map[string]recursiveMap; {\"A\": {\"B\": nil, \"C\": nil}, \"D\": nil} (nil maps inside a map are sent as empty)",
		Values: func() []any {
			type recursiveMap map[string]recursiveMap
			return []any{recursiveMap{"A": recursiveMap{"B": nil, "C": nil}, "D": nil}}
		},
	})
	add(&Case{
		Name: "recursive_slice_type", Checklist: []int{49},
		Desc: "TestRecursiveSliceType: type recursiveSlice []recursiveSlice; {{nil}, nil}: the definition's element is itself",
		Values: func() []any {
			type recursiveSlice []recursiveSlice
			return []any{recursiveSlice{0: recursiveSlice{0: nil}, 1: nil}}
		},
	})
	add(&Case{
		Name: "ptr_slices_bug3", Checklist: []int{50},
		Desc:   "TestGobPtrSlices: &[]*Bug3{{1, nil}, {2, nil}} where Bug3{Num int; Children []*Bug3}",
		Values: vals(&[]*Bug3{{1, nil}, {2, nil}}),
	})
	add(&Case{
		Name: "huge_slice_count", Checklist: []int{51},
		Desc:   "TestErrorForHugeSlice: []int of ten 1s whose count byte is smashed to fa (a 6-byte count eating the elements: 0x020202020202); decoded into *[]int",
		Values: vals([]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}),
		Stream: func(data []byte) []byte {
			b := append([]byte(nil), data...)
			b[len(b)-10-1] = 0xfa
			return b
		},
		Error: true,
	})
	add(&Case{
		Name: "large_slice_bytes", Checklist: []int{52},
		Desc: "TestLargeSlice scaled down to the testdata budget: &LargeSliceByte{S: 128 KiB of byte(i)}",
		Values: func() []any {
			s := make([]byte, 128<<10)
			for i := range s {
				s[i] = byte(i)
			}
			return []any{&LargeSliceByte{S: s}}
		},
	})
	add(&Case{
		Name: "large_slice_int8", Checklist: []int{52},
		Desc: "TestLargeSlice scaled down: &LargeSliceInt8{S: 50000 × int8(i)} (each element 1 or 2 bytes)",
		Values: func() []any {
			s := make([]int8, 50000)
			for i := range s {
				s[i] = int8(i)
			}
			return []any{&LargeSliceInt8{S: s}}
		},
	})
	add(&Case{
		Name: "large_slice_struct", Checklist: []int{52},
		Desc: "TestLargeSlice scaled down: &LargeSliceStruct{S: 10000 StringPair{A, B} with A = B = string(rune(i))}",
		Values: func() []any {
			s := make([]StringPair, 10000)
			for i := range s {
				s[i].A = string(rune(i))
				s[i].B = s[i].A
			}
			return []any{&LargeSliceStruct{S: s}}
		},
	})
	add(&Case{
		Name: "large_slice_string", Checklist: []int{52},
		Desc: "TestLargeSlice scaled down: &LargeSliceString{S: 30000 × string(rune(2*i))} (runes 0…59998; includes the surrogate range, which Go turns into U+FFFD)",
		Values: func() []any {
			s := make([]string, 30000)
			for i := range s {
				s[i] = string(rune(2 * i))
			}
			return []any{&LargeSliceString{S: s}}
		},
	})
	add(&Case{
		Name: "slice_100_iface", Checklist: []int{53},
		Desc: "Test29ElementSlice: []interface{} of 100 × Z{} (registered empty struct main.Z): the first element carries Z's inline definition, which splits the message",
		Values: func() []any {
			src := make([]interface{}, 100)
			for i := range src {
				src[i] = Z{}
			}
			return []any{src}
		},
	})
	add(&Case{
		Name: "dup_map_keys", Checklist: []int{55},
		Desc:   "crafted from map[string]int{\"a\": 1}: the value is rewritten to hold 2 entries \"a\"→1, \"a\"→2; Go keeps the last (decoded_as shows {\"a\": 2})",
		Values: vals(map[string]int{"a": 1}),
		Stream: editMessage(-1, func(m []byte) []byte {
			return replaceOnce(m, "\x00\x01\x01a\x02", "\x00\x02\x01a\x02\x01a\x04")
		}),
	})
	add(&Case{
		Name: "zero_len_array", Checklist: []int{56},
		Desc:   "top-level [0]int{} (array definition without a Len field) and WithZeroArray{A [0]int; B int}{B: 1} (the empty array field is still sent: count 0)",
		Values: vals([0]int{}, WithZeroArray{B: 1}),
	})
	add(&Case{
		Name: "map_single_toplevel", Checklist: []int{57, 58},
		Desc:   "spec §1.7: map[string]int{\"a\": 1} (0d 7f 04 01 02 ff 80 00 01 0c 01 04 00 00 + 07 ff 80 00 01 01 61 02), then a nil map[string]int, sent as empty: 04 ff 80 00 00",
		Values: vals(map[string]int{"a": 1}, map[string]int(nil)),
	})
	add(&Case{
		Name: "map_nil_empty", Checklist: []int{58},
		Desc:   "MapHolder{Nil: nil, Empty: {}, One: {\"x\": 1}}: nil map field omitted, empty map field sent with count 0",
		Values: vals(MapHolder{Empty: map[string]int{}, One: map[string]int{"x": 1}}),
	})
	add(&Case{
		Name: "maps_exotic_keys", Checklist: []int{32, 57},
		Desc: "ExoticKeys with one entry per map: struct key Point{1,2}, array key [2]int{3,4}, complex key 1-1i, float key -0.0, bool key true",
		Values: vals(ExoticKeys{
			ByStruct:  map[Point]string{{1, 2}: "p"},
			ByArray:   map[[2]int]string{{3, 4}: "a"},
			ByComplex: map[complex128]string{complex(1, -1): "c"},
			ByFloat:   map[float64]string{math.Copysign(0, -1): "nz"},
			ByBool:    map[bool]int{true: 1},
		}),
	})
}
