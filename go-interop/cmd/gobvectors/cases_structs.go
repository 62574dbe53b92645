package main

// Checklist C (structs).

import (
	"encoding/gob"
	"io"
	"time"
)

func newET1() *ET1 { return &ET1{A: 7, Et2: new(ET2)} }

func init() {
	add(&Case{
		Name: "point_struct", Checklist: []int{17},
		Desc:   "spec §2.1: Point{22,33} encoded twice; definition 7f 03 01 01 05 \"Point\" 01 ff 80 … (id 64), then [07] ff 80 01 2c 01 42 00 twice",
		Values: vals(Point{22, 33}, Point{22, 33}),
	})
	add(&Case{
		Name: "point_struct_id65", Checklist: []int{17},
		Desc: "Point{22,33} twice with ids starting at 65 (Go ≤1.19 / doc.go numbering): the process first encodes a throw-away struct to io.Discard, using up id 64; stream starts 1f ff 81 03 … 01 ff 82",
		Prelude: func() {
			gob.NewEncoder(io.Discard).Encode(struct{ Burn int }{1})
		},
		Values: vals(Point{22, 33}, Point{22, 33}),
	})
	add(&Case{
		Name: "et0", Checklist: []int{18},
		Desc:   "TestEncoderDecoder: ET0{A: 7, B: \"gobs of fun\"}, then ET0{B: \"x\"} whose zero int A is omitted; the decoder must end exactly at EOF",
		Values: vals(&ET0{7, "gobs of fun"}, ET0{B: "x"}),
	})
	add(&Case{
		Name: "et1_twice", Checklist: []int{19, 21},
		Desc:    "TestEncoderDecoder: &ET1{A: 7, Et2: &ET2{}} (pointer to an all-zero struct is sent as 01 00; nil Next omitted) encoded twice, the second without definitions; decoded_as ET3 (field Next renamed DifferentNext: silently ignored, TestWrongTypeDecoder)",
		Values:  func() []any { return []any{newET1(), newET1()} },
		Targets: tgts(new(ET3)),
	})
	add(&Case{
		Name: "et1_into_et2", Checklist: []int{20, 37},
		Desc:    "&ET1{A: 7, Et2: &ET2{}} decoded into *ET2: no field names in common",
		Values:  func() []any { return []any{newET1()} },
		Targets: tgts(new(ET2)),
		Error:   true,
	})
	add(&Case{
		Name: "et1_into_et4", Checklist: []int{21},
		Desc:    "&ET1{A: 7, Et2: &ET2{}} decoded into *ET4 (Et2 is float64, Next is int there): field type changed",
		Values:  func() []any { return []any{newET1()} },
		Targets: tgts(new(ET4)),
		Error:   true,
	})
	add(&Case{
		Name: "et1_zero_field_into_et4", Checklist: []int{21},
		Desc:    "&ET1{A: 7} (Et2 nil: not in the value) decoded into *ET4: Go compiles the decoder for the whole type first (compileDec), so the field whose type changed fails the value although it is not sent",
		Values:  vals(&ET1{A: 7}),
		Targets: tgts(new(ET4)),
		Error:   true,
	})
	add(&Case{
		Name: "empty_slice_elem_wrong_type", Checklist: []int{21},
		Desc:    "ETList{A: 1} (L []ET1 nil: not in the value) decoded into *ETList4{A int; L []ET4}: the element type of the absent slice is compiled too and fails (ET1.Et2 is float64 in ET4)",
		Values:  vals(ETList{A: 1}),
		Targets: tgts(new(ETList4)),
		Error:   true,
	})
	add(&Case{
		Name: "empty_toplevel_slice_wrong_type", Checklist: []int{21},
		Desc:    "an empty top-level []ET1 decoded into *[]ET4: no element is sent, yet the element type fails to compile",
		Values:  vals([]ET1{}),
		Targets: tgts(new([]ET4)),
		Error:   true,
	})
	add(&Case{
		Name: "zero_time_pointer_field", Checklist: []int{21},
		Desc:   "PtrTime{T: &time.Time{}, N: 1}: a *time.Time field holding the zero time is sent (gob's zero test applies to the pointer, which implements GobEncoder itself); a nil one is not",
		Values: vals(PtrTime{T: &time.Time{}, N: 1}, PtrTime{N: 2}),
	})
	add(&Case{
		Name: "reused_op_absent_field", Checklist: []int{21},
		Desc:    "OpRemote{L: []Point{{1, 2}}} (P int 0: not sent) decoded_as OpLocal{L []Point; P Point}: P's type does not fit, but Go compiles P with the operation it built for Point as L's element (decOpFor's in-progress map is keyed by the local type), so it accepts",
		Values:  vals(OpRemote{L: []Point{{1, 2}}}),
		Targets: tgts(new(OpLocal)),
	})
	add(&Case{
		Name: "reused_op_marshaler_field", Checklist: []int{21},
		Desc:    "OpRemoteTime{L: []Point{{1, 2}}} (P time.Time zero: not sent) decoded into *OpLocal: compatibleType refuses a struct for a GobEncoder wire type before any operation is reused",
		Values:  vals(OpRemoteTime{L: []Point{{1, 2}}}),
		Targets: tgts(new(OpLocal)),
		Error:   true,
	})
	add(&Case{
		Name: "reordered_fields", Checklist: []int{22},
		Desc:    "TestReorderedFields: RT0{A: 17, B: \"hello\", C: 3.14159}; decoded_as RT1{C, B, A, NotSet} (fields matched by name)",
		Values:  vals(RT0{17, "hello", 3.14159}),
		Targets: tgts(new(RT1)),
	})
	add(&Case{
		Name: "ignored_fields", Checklist: []int{23},
		Desc: "TestIgnoredFields: IT0 with Ignore_* fields of every kind (slice, array, bool, string, []byte, *struct, map with 2 entries); decoded_as RT1, which skips them",
		Values: func() []any {
			return []any{IT0{
				A: 17, B: "hello", C: 3.14159,
				Ignore_d: []int{1, 2, 3}, Ignore_e: [3]float64{1, 2, 3}, Ignore_f: true,
				Ignore_g: "pay no attention", Ignore_h: []byte("to the curtain"),
				Ignore_i: &RT1{3.1, "hi", 7, "hello"}, Ignore_m: map[string]int{"one": 1, "two": 2},
			}}
		},
		Targets: tgts(new(RT1)),
	})
	add(&Case{
		Name: "unexported_fields", Checklist: []int{24},
		Desc:   "TestUnexportedFields: U{A: 17, B: \"hello\", c: 3.14159, D: 23}; c is neither sent nor part of the definition (field numbering skips it)",
		Values: vals(U{A: 17, B: "hello", c: 3.14159, D: 23}),
	})
	add(&Case{
		Name: "chan_func_fields", Checklist: []int{25},
		Desc: "TestChanFuncIgnored: Bug2{A: 23, C chan, CP *chan, F func, FPP **func}: only A is defined and sent",
		Values: func() []any {
			c := make(chan int)
			f := func() {}
			fp := &f
			return []any{Bug2{23, c, &c, f, &fp}}
		},
	})
	add(&Case{
		Name: "auto_indirection", Checklist: []int{27},
		Desc: "TestAutoIndirection: T1{A int; B *int; C **int; D ***int} = {17,177,1777,17777}, T2 (reversed indirections), T0{17,177,1777,17777} twice; pointers are flattened on the wire; decoded_as T0, T0, T1, T2",
		Values: func() []any {
			b, c, d := 177, 1777, 17777
			cp, dp := &c, &d
			dpp := &dp
			a2, b2, c2 := 17, 177, 1777
			a2p := &a2
			a2pp := &a2p
			b2p := &b2
			return []any{
				T1{A: 17, B: &b, C: &cp, D: &dpp},
				T2{A: &a2pp, B: &b2p, C: &c2, D: 17777},
				T0{17, 177, 1777, 17777},
				T0{17, 177, 1777, 17777},
			}
		},
		Targets: tgts(new(T0), new(T0), new(T1), new(T2)),
	})
	add(&Case{
		Name: "ptr_indirections", Checklist: []int{28},
		Desc: "TestTypeToPtrType / TestPtrTypeToType / TestTypeToPtrPtrPtrPtrType: Type0{7}, &Type1{17}, Type2{A: ****float64 → 27.4}; decoded_as *Type0, Type1, ****Type2",
		Values: func() []any {
			f := 27.4
			p1 := &f
			p2 := &p1
			p3 := &p2
			return []any{Type0{7}, &Type1{17}, Type2{A: &p3}}
		},
		Targets: tgts(new(*Type0), new(Type1), new(***Type2)),
	})
	add(&Case{
		Name: "decode_non_pointer", Checklist: []int{29},
		Desc:    "TestValueError: &Type4{3} decoded into a Type4 value (not a pointer)",
		Values:  vals(&Type4{3}),
		Targets: tgts(Type4{}),
		Error:   true,
	})
	add(&Case{
		Name: "struct_into_nonstruct", Checklist: []int{30},
		Desc:    "TestStructNonStruct: Struct{\"hello\"} decoded into *NonStruct (a string type)",
		Values:  vals(Struct{"hello"}),
		Targets: tgts(new(NonStruct)),
		Error:   true,
	})
	add(&Case{
		Name: "nonstruct_into_struct", Checklist: []int{30},
		Desc:    "TestStructNonStruct: NonStruct(\"hello\") (a string singleton) decoded into *Struct",
		Values:  vals(NonStruct("hello")),
		Targets: tgts(new(Struct)),
		Error:   true,
	})
	add(&Case{
		Name: "linked_struct", Checklist: []int{31},
		Desc:   "TestNesting: &RT{A: \"level1\", Next: &RT{A: \"level2\"}}",
		Values: vals(&RT{"level1", &RT{"level2", nil}}),
	})
	add(&Case{
		Name: "recursive_node", Checklist: []int{31, 49},
		Desc:   "spec §2.6: &Node{1, []*Node{{2, nil}}}; Node = 64, []*main.Node = 65",
		Values: vals(&Node{1, []*Node{{2, nil}}}),
	})
	add(&Case{
		Name: "recursive_struct_slice", Checklist: []int{31, 49},
		Desc:   "T{Kids []T; Name string} = 64, []main.T = 65: T{Name: \"root\", Kids: []T{{Name: \"a\"}, {Name: \"b\", Kids: []T{{Name: \"c\"}}}}}",
		Values: vals(T{Name: "root", Kids: []T{{Name: "a"}, {Name: "b", Kids: []T{{Name: "c"}}}}}),
	})
	add(&Case{
		Name: "recursive_struct_slice_inner", Checklist: []int{31, 49},
		Desc:   "the inner value of recursive_struct_slice alone: T{Name: \"b\", Kids: []T{{Name: \"c\"}}}",
		Values: vals(T{Name: "b", Kids: []T{{Name: "c"}}}),
	})
	add(&Case{
		Name: "end_to_end", Checklist: []int{32},
		Desc: "TestEndToEnd kitchen sink (function-local types T1, T2, T3): maps of pointers, map[int]T3, map[complex128]complex128, map[[2]string][2]*float64, an empty non-nil map (sent with count 0), *[3]float64, *[2]string, *[]int64, complex64, string, []byte, *T2",
		Values: func() []any {
			type T2 struct{ T string }
			type T3 struct {
				X float64
				Z *int
			}
			type T1 struct {
				A, B, C  int
				M        map[string]*float64
				M2       map[int]T3
				Mstring  map[string]string
				Mintptr  map[int]*int
				Mcomp    map[complex128]complex128
				Marr     map[[2]string][2]*float64
				EmptyMap map[string]int
				N        *[3]float64
				Strs     *[2]string
				Int64s   *[]int64
				RI       complex64
				S        string
				Y        []byte
				T        *T2
			}
			pi, e, two := 3.14159, 2.71828, 2.0
			meaning, fingers := 42, 5
			s1, s2 := "string1", "string2"
			comp1, comp2 := complex(1.0, 1.0), complex(1.0, 1.0)
			arr1, arr2 := [2]string{s1, s2}, [2]string{s2, s1}
			fa1, fa2 := [2]*float64{&pi, &e}, [2]*float64{&e, &two}
			return []any{&T1{
				A: 17, B: 18, C: -5,
				M:        map[string]*float64{"pi": &pi, "e": &e},
				M2:       map[int]T3{4: {X: pi, Z: &meaning}, 10: {X: e, Z: &fingers}},
				Mstring:  map[string]string{"pi": "3.14", "e": "2.71"},
				Mintptr:  map[int]*int{meaning: &fingers, fingers: &meaning},
				Mcomp:    map[complex128]complex128{comp1: comp2, comp2: comp1},
				Marr:     map[[2]string][2]*float64{arr1: fa1, arr2: fa2},
				EmptyMap: make(map[string]int),
				N:        &[3]float64{1.5, 2.5, 3.5},
				Strs:     &[2]string{s1, s2},
				Int64s:   &[]int64{77, 89, 123412342134},
				RI:       17 - 23i,
				S:        "Now is the time",
				Y:        []byte("hello, sailor"),
				T:        &T2{"this is T2"},
			}}
		},
	})
	add(&Case{
		Name: "outer_inner", Checklist: []int{33},
		Desc: "spec §1.7: Outer{} (09 ff 80 01 00 05 02 00 00 00: I always sent, Ar always sent) and Outer{I:{1}, P:&{2}, S:[{3},{}], M:{\"k\":4}, B:\"z\", Ar:[false,true]}; ids Outer 64, Inner 65, []main.Inner 66, map[string]int 67, [2]bool 68",
		Values: vals(Outer{}, Outer{
			I: Inner{1}, P: &Inner{2}, S: []Inner{{3}, {}}, M: map[string]int{"k": 4},
			B: []byte("z"), Ar: [2]bool{false, true},
		}),
	})
	add(&Case{
		Name: "zero_omission", Checklist: []int{33, 58},
		Desc: "ZeroKinds, every field zero except EmptyList ([]int{}) and EmptyMap (map{}): only EmptyMap (count 0), Struct (01 00), Array and ZeroArr are sent; the zero time.Time is omitted. Then the same type with every field non-zero",
		Values: func() []any {
			one := 1
			return []any{
				ZeroKinds{EmptyList: []int{}, EmptyMap: map[string]int{}},
				ZeroKinds{
					Bool: true, Int: -1, Uint: 1, Float: 0.25, Complex: 1i, Str: "s", Bytes: []byte{0},
					EmptyList: []int{0}, NilList: []int{0, 0}, EmptyMap: map[string]int{"": 0},
					NilMap: map[string]int{"z": 0}, Ptr: &one, Iface: 0, Struct: Inner{0},
					Array: [2]int{0, 1}, Time: time.Date(2020, 2, 29, 12, 0, 0, 0, time.UTC),
				},
			}
		},
	})
	add(&Case{
		Name: "empty_struct", Checklist: []int{34},
		Desc:   "spec §1.7: Empty{} twice (definition has no Field list: 10 7f 03 01 01 05 \"Empty\" 01 ff 80 00 00 00; value 03 ff 80 00) and the unnamed struct{}{} (a second, nameless definition)",
		Values: vals(Empty{}, Empty{}, struct{}{}),
	})
	add(&Case{
		Name: "embedded_struct", Checklist: []int{35},
		Desc:    "Derived{Base{1}, B: 2}: the embedded Base is one field named \"Base\" of struct type Base; then Flat{A: 3, B: 4}. decoded_as: Derived into Flat (Base skipped), Flat into Derived (wire field A lands in the promoted Derived.Base.A)",
		Values:  vals(Derived{Base{1}, 2}, Flat{3, 4}),
		Targets: tgts(new(Flat), new(Derived)),
	})
	add(&Case{
		Name: "no_fields_matched", Checklist: []int{37},
		Desc:    "Point{1,2} decoded into *struct{ Z int }: both sides have fields, none match",
		Values:  vals(Point{1, 2}),
		Targets: tgts(new(struct{ Z int })),
		Error:   true,
	})
	add(&Case{
		Name: "field_out_of_bounds", Checklist: []int{38},
		Desc:   "Point{22,33} with the Y field's delta rewritten from 01 to 05 (field 5 of a 2-field struct); decoded into *Point",
		Values: vals(Point{22, 33}),
		Stream: editMessage(-1, func(m []byte) []byte {
			return replaceOnce(m, "\x01\x42\x00", "\x05\x42\x00")
		}),
		Error: true,
	})
}
