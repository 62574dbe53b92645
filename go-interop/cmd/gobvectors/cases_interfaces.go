package main

// Checklist E (interfaces).

// SkipNil and SkipIface carry interface data the receiver (SkipTarget) lacks,
// to exercise Go's interface-skipping bugs (spec §1.8).
type SkipNil struct {
	X int
	L []interface{}
	Y int
}

type SkipIface struct {
	X int
	V interface{}
	Y int
}

type SkipTarget struct{ X, Y int }

type NamingHolder struct{ A, B, C interface{} }

func ifacePtr(v interface{}) *interface{} { return &v }

func init() {
	add(&Case{
		Name: "interface_item", Checklist: []int{59},
		Desc: "TestInterface: &InterfaceItem{I: 1, Sq1: Int(3), Sq2: Float(5), Sq3: Vector{1,2,3}, F: 11.5, Sq: []Squarer{Int(3), Float(5), nil, Vector{1,2,3}}}; Vector's definition is sent mid-value (names main.Int, main.Float, main.Vector)",
		Values: vals(&InterfaceItem{1, Int(3), Float(5), Vector{1, 2, 3}, 11.5,
			[]Squarer{Int(3), Float(5), nil, Vector{1, 2, 3}}}),
	})
	add(&Case{
		Name: "interface_basic", Checklist: []int{60},
		Desc: "TestInterfaceBasic: BasicInterfaceItem with every basic type in an interface{} field (int…int64, uint…uint64, float32(1), 1.0, complex64(1i), complex128(1i), true, \"hello\", []byte(\"sailor\")); names are the predeclared type names, []byte is \"[]uint8\"",
		Values: vals(&BasicInterfaceItem{
			int(1), int8(1), int16(1), int32(1), int64(1),
			uint(1), uint8(1), uint16(1), uint32(1), uint64(1),
			float32(1), 1.0,
			complex64(1i), complex128(1i),
			true,
			"hello",
			[]byte("sailor"),
		}),
	})
	add(&Case{
		Name: "withiface_examples", Checklist: []int{60},
		Desc:   "spec §1.8: WithIface{V: nil} (03 ff 80 00: V omitted) and WithIface{V: 7} (0c ff 80 01 03 69 6e 74 04 02 00 0e 00)",
		Values: vals(WithIface{}, WithIface{V: 7}),
	})
	add(&Case{
		Name: "toplevel_iface", Checklist: []int{60},
		Desc:   "spec §1.8: a top-level interface{} holding int64(-2), encoded through a pointer to the interface variable: 0c 10 00 05 69 6e 74 36 34 04 02 00 03",
		Values: func() []any { return []any{ifacePtr(int64(-2))} },
	})
	add(&Case{
		Name: "toplevel_iface_default_names", Checklist: []int{60},
		Desc:   "top-level interface{} values whose names are the default ones (string, []interface {}), encoded through pointers to the interface variables: a decoder that stores such values bare in element positions must still keep them as interfaces at top level",
		Values: func() []any { return []any{ifacePtr("a"), ifacePtr([]interface{}{"x", 1.5})} },
	})
	add(&Case{
		Name: "interface_pointer", Checklist: []int{61},
		Desc: "TestInterfacePointer: &PtrInterfaceItem{Str1: &\"howdy\", Str2: &String(\"kiddo\")}: pointers in interfaces travel as their base type (names \"string\", \"main.String\"); decoded as values",
		Values: func() []any {
			str1 := "howdy"
			str2 := String("kiddo")
			return []any{&PtrInterfaceItem{&str1, &str2}}
		},
	})
	add(&Case{
		Name: "ignore_interface", Checklist: []int{62},
		Desc:    "TestIgnoreInterface: &InterfaceItem{1, Int(3), Float(5), Point{2,3}, 11.5, nil}; decoded_as NoInterfaceItem{I, F}, which skips the interfaces but must still record Point's inline definition",
		Values:  vals(&InterfaceItem{1, Int(3), Float(5), Point{2, 3}, 11.5, nil}),
		Targets: tgts(new(NoInterfaceItem)),
	})
	add(&Case{
		Name: "decode_into_nothing", Checklist: []int{36, 63},
		Desc: "TestDecodeIntoNothing's inputs in ONE stream, each followed by a NewType0 check value: &struct{A int}{23} (decoded into *struct{}), the same into nil, \"hello, world\", []int{1,2,3,4}, &Struct0{&NewType0{\"value0\"}} (inline definition of NewType0, registered as *main.NewType0), []interface{}{\"hi\", &NewType0{\"value1\"}, 23} — all decoded with Decode(nil) — and NewType0{\"Value i\"} after each, decoded into *NewType0 (its definition must have been recorded while skipping)",
		Values: func() []any {
			var out []any
			ins := []any{
				&struct{ A int }{23},
				&struct{ A int }{23},
				"hello, world",
				[]int{1, 2, 3, 4},
				&Struct0{&NewType0{"value0"}},
				[]interface{}{"hi", &NewType0{"value1"}, 23},
			}
			for i, in := range ins {
				out = append(out, in, &NewType0{"Value " + string(rune('0'+i))})
			}
			return out
		},
		Targets: tgts(
			&struct{}{}, new(NewType0), nil, new(NewType0), nil, new(NewType0),
			nil, new(NewType0), nil, new(NewType0), nil, new(NewType0),
		),
	})
	add(&Case{
		Name: "nested_interfaces", Checklist: []int{64},
		Desc:   "spec §2.5: top-level interface{} holding &Outer2{&Outer2{Leaf{7}}} (Outer2 registered as *main.Outer2, Leaf as main.Leaf): Leaf's definition is inline inside the outer payload, so the inner byte count (0x23) covers only the first chunk",
		Values: func() []any { return []any{ifacePtr(&Outer2{&Outer2{Leaf{7}}})} },
	})
	add(&Case{
		Name: "nested_interfaces_bug0", Checklist: []int{64},
		Desc:   "TestNestedInterfaces: top-level interface{} holding &Bug0Outer{&Bug0Outer{&Bug0Inner{7}}} (names *main.Bug0Outer, *main.Bug0Inner)",
		Values: func() []any { return []any{ifacePtr(&Bug0Outer{&Bug0Outer{&Bug0Inner{7}}})} },
	})
	add(&Case{
		Name: "interface_indirect", Checklist: []int{65},
		Desc:   "TestInterfaceIndirect: []interfaceIndirectTestI{&interfaceIndirectTestT{}} with &T registered (name \"*main.interfaceIndirectTestT\"); T is an empty struct",
		Values: vals([]interfaceIndirectTestI{&interfaceIndirectTestT{}}),
	})
	add(&Case{
		Name: "unknown_iface_name", Checklist: []int{67},
		Desc:   "WithIface{V: Point{1,2}} with the interface name rewritten from \"main.Point\" to the unregistered \"main.Paint\" (same length); decoded into *WithIface",
		Values: vals(WithIface{V: Point{1, 2}}),
		Stream: func(data []byte) []byte { return replaceOnce(data, "main.Point", "main.Paint") },
		Error:  true,
	})
	add(&Case{
		Name: "concrete_into_iface", Checklist: []int{68},
		Desc:    "top-level int 7 (a concrete remote type) decoded into *interface{}",
		Values:  vals(7),
		Targets: tgts(new(interface{})),
		Error:   true,
	})
	add(&Case{
		Name: "iface_into_concrete", Checklist: []int{68},
		Desc:    "top-level interface{} holding int 7 (remote interface type) decoded into *int",
		Values:  func() []any { return []any{ifacePtr(7)} },
		Targets: tgts(new(int)),
		Error:   true,
	})
	add(&Case{
		Name: "iface_name_too_long", Checklist: []int{69},
		Desc:   "WithIface{V: LongNamed{1}} where LongNamed is registered under a 1100-byte name (\"L\" × 1100); Go's encoder writes it, Go's decoder rejects names over 1024 bytes; decoded into *WithIface",
		Values: vals(WithIface{V: LongNamed{1}}),
		Error:  true,
	})
	add(&Case{
		Name: "holder_split", Checklist: []int{70},
		Desc:   "spec §2.4: Holder{V: Branch{\"b\", []Leaf{{1}}}, W: 9} then Holder{Branch{\"c\", nil}, 0}: the first value is split over messages (Branch's definition flushes the partial value; []main.Leaf and Leaf follow; the rest of Holder continues after)",
		Values: vals(Holder{Branch{"b", []Leaf{{1}}}, 9}, Holder{Branch{"c", nil}, 0}),
	})
	add(&Case{
		Name: "map_iface_nested", Checklist: []int{71},
		Desc:   "spec §2.2: map[string]interface{}{\"s\": \"hello\", \"f\": 3.5, \"l\": []interface{}{1, \"x\"}}; \"[]interface {}\" is registered and defined inline (entry order varies)",
		Values: vals(map[string]interface{}{"s": "hello", "f": 3.5, "l": []interface{}{1, "x"}}),
	})
	add(&Case{
		Name: "map_iface_single", Checklist: []int{71},
		Desc:   "map[string]interface{}{\"l\": []interface{}{1, \"x\"}}: one entry, so exact; the map message ends after the inline definition and the next message starts with the slice's id",
		Values: vals(map[string]interface{}{"l": []interface{}{1, "x"}}),
	})
	add(&Case{
		Name: "skip_nil_iface_bug", Checklist: []int{72},
		Desc:    "SkipNil{X: 1, L: []interface{}{nil, 1}, Y: 2} decoded into *SkipTarget{X, Y}: Go's skipper does not special-case the nil (empty-name) interface and misreads the next bytes (a Go bug: the stream is valid, a correct decoder skips L and yields {X:1, Y:2})",
		Values:  vals(SkipNil{X: 1, L: []interface{}{nil, 1}, Y: 2}),
		Targets: tgts(new(SkipTarget)),
		Error:   true,
	})
	add(&Case{
		Name: "skip_nested_inline_bug", Checklist: []int{72},
		Desc:    "SkipIface{X: 1, V: &Outer2{F: Leaf{7}}, Y: 2} decoded into *SkipTarget{X, Y}: skipping V trusts the byte count, which covers only the first chunk because Leaf is defined inline inside the payload (Go issue 34879; the stream is valid, a correct decoder yields {X:1, Y:2})",
		Values:  vals(SkipIface{X: 1, V: &Outer2{F: Leaf{7}}, Y: 2}),
		Targets: tgts(new(SkipTarget)),
		Error:   true,
	})
	add(&Case{
		Name: "skip_inline_first_level", Checklist: []int{62, 72},
		Desc:    "SkipIface{X: 1, V: Point{3,4}, Y: 2} decoded_as SkipTarget: skipping an interface whose (first-level) inline definition splits the message works in Go",
		Values:  vals(SkipIface{X: 1, V: Point{3, 4}, Y: 2}),
		Targets: tgts(new(SkipTarget)),
	})
	add(&Case{
		Name: "nil_iface_elems", Checklist: []int{73},
		Desc:   "nil interfaces as slice elements and map values are sent as 00: []interface{}{nil, 1, nil}, map[string]interface{}{\"k\": nil}",
		Values: vals([]interface{}{nil, 1, nil}, map[string]interface{}{"k": nil}),
	})
	add(&Case{
		Name: "registration_naming", Checklist: []int{110},
		Desc:   "TestRegistrationNaming in package main: NamingHolder{A: &N1{1}, B: N2{2}, C: N1{3}}; &N1{} registers as \"*main.N1\" (used for N1 values too: the lookup is by base type), N2{} as \"main.N2\"",
		Values: vals(NamingHolder{A: &N1{1}, B: N2{2}, C: N1{3}}),
	})
	add(&Case{
		Name: "unnamed_iface_names", Checklist: []int{111},
		Desc: "[]interface{} holding registered unnamed and generic types: struct{}{} (\"struct {}\"), [2]string, map[int][]string, [][]uint8, []*main.Point, main.Pair[string,int], main.Pair[main.Point,[]string], map[string]interface {}, []interface {}, main.Celsius",
		Values: vals([]interface{}{
			struct{}{},
			[2]string{"a", "b"},
			map[int][]string{1: {"x"}},
			[][]uint8{{1, 2}},
			[]*Point{{1, 2}},
			Pair[string, int]{"k", 1},
			Pair[Point, []string]{Point{5, 6}, []string{"y"}},
			map[string]interface{}{"a": 1},
			[]interface{}{1},
			Celsius(21.5),
		}),
	})
}
