package gobjson

// gob keeps its name registry private, so every registration goes through
// Register/RegisterName, which also record the name here. The reflect-based
// renderer needs it to name interface values; the wire renderer reads the
// names from the bytes, and gen cross-checks the two.
//
// Registration never allocates gob type ids (RegisterName only builds a
// userTypeInfo), so doing all of it in init() keeps ids starting at 64 in
// every process; gen verifies this on the point_struct case.

import (
	"encoding/gob"
	"reflect"
)

// ifaceNames maps a base type (all pointers stripped, as gob keys it) to the
// name gob writes for it inside interface values.
var ifaceNames = func() map[reflect.Type]string {
	m := make(map[reflect.Type]string)
	// The types gob's registerBasics pre-registers in every process.
	for _, v := range []any{
		int(0), int8(0), int16(0), int32(0), int64(0),
		uint(0), uint8(0), uint16(0), uint32(0), uint64(0),
		float32(0), float64(0), complex64(0i), complex128(0i), uintptr(0),
		false, "", []byte(nil),
		[]int(nil), []int8(nil), []int16(nil), []int32(nil), []int64(nil),
		[]uint(nil), []uint16(nil), []uint32(nil), []uint64(nil),
		[]float32(nil), []float64(nil), []complex64(nil), []complex128(nil),
		[]uintptr(nil), []bool(nil), []string(nil),
	} {
		m[baseType(reflect.TypeOf(v))] = defaultName(v)
	}
	return m
}()

func baseType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// defaultName mirrors gob.Register's naming, including its historical quirk:
// &T{} in package p registers as "*p.T" (short package name), T{} as
// "full/import/path.T".
func defaultName(v any) string {
	rt := reflect.TypeOf(v)
	name := rt.String()
	star := ""
	if rt.Name() == "" && rt.Kind() == reflect.Pointer {
		star = "*"
		// gob keeps rt (not rt.Elem()) here, so the check below fails for
		// pointers and the printed form "*p.T" stays.
	}
	if rt.Name() != "" {
		if rt.PkgPath() == "" {
			name = star + rt.Name()
		} else {
			name = star + rt.PkgPath() + "." + rt.Name()
		}
	}
	return name
}

func Register(v any) {
	gob.Register(v)
	ifaceNames[baseType(reflect.TypeOf(v))] = defaultName(v)
}

func RegisterName(name string, v any) {
	gob.RegisterName(name, v)
	ifaceNames[baseType(reflect.TypeOf(v))] = name
}
