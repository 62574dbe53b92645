package main

// Deep comparison of two Go-decoded values of the same type: floats bitwise
// (NaN payloads and -0 count), maps by bitwise key, interfaces by dynamic
// type, marshalers by the bytes gob would send for them.

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

const (
	xNone = iota
	xGob
	xBinary
)

// extKind mirrors gob's choice of external encoding for a non-pointer type:
// GobEncoder before BinaryMarshaler, on T or *T. (gob ignores
// TextMarshaler: the code for it is commented out in type.go.)
func extKind(t reflect.Type) int {
	if t.Kind() == reflect.Interface || t.Kind() == reflect.Pointer {
		return xNone
	}
	pt := reflect.PointerTo(t)
	switch {
	case t.Implements(gobEncT) || pt.Implements(gobEncT):
		return xGob
	case t.Implements(binMarshT) || pt.Implements(binMarshT):
		return xBinary
	}
	return xNone
}

func extIface(k int) reflect.Type {
	if k == xGob {
		return gobEncT
	}
	return binMarshT
}

// extBytes returns what gob would send for the marshaler value v.
func extBytes(v reflect.Value, k int) []byte {
	recv := v
	if !v.Type().Implements(extIface(k)) {
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		recv = p
	}
	var b []byte
	var err error
	switch m := recv.Interface().(type) {
	case gob.GobEncoder:
		b, err = m.GobEncode()
	case encoding.BinaryMarshaler:
		b, err = m.MarshalBinary()
	}
	if err != nil {
		return []byte("marshal error: " + err.Error())
	}
	return b
}

// gobZero reports whether gob omits v when it is a struct field (so that
// an explicit zero in a mutated stream and an omitted field count as equal).
func gobZero(v reflect.Value) bool {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return true
		}
		t := v.Type()
		if t.Implements(gobEncT) || t.Implements(binMarshT) {
			return false // gob hands the non-nil pointer to the marshaler
		}
		v = v.Elem()
	}
	t := v.Type()
	if k := extKind(t); k != xNone {
		if t.Implements(extIface(k)) {
			return v.IsZero()
		}
		return false // pointer receiver: gob takes the address, never zero
	}
	switch t.Kind() {
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() == 0
	case reflect.String, reflect.Slice:
		return v.Len() == 0
	case reflect.Map, reflect.Interface:
		return v.IsNil()
	case reflect.Chan, reflect.Func:
		return true
	}
	return false // arrays and structs are always sent
}

func addressable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return v
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Elem()
}

func f32bitsOf(v reflect.Value) uint32 {
	return *(*uint32)(addressable(v).Addr().UnsafePointer())
}

func c64bitsOf(v reflect.Value) [2]uint32 {
	return *(*[2]uint32)(addressable(v).Addr().UnsafePointer())
}

func c128bitsOf(v reflect.Value) [2]uint64 {
	c := v.Complex()
	return [2]uint64{math.Float64bits(real(c)), math.Float64bits(imag(c))}
}

// differ compares values. lenient treats a struct field that gob would omit
// as equal to any other omittable value of that field (used for mutants,
// where a stream may carry explicit zeros that no encoder produces).
type differ struct{ lenient bool }

// diff returns "" when a and b are equal, else a description of the first
// difference (a is Go's reference value).
func (d differ) diff(a, b reflect.Value, path string) string {
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: type %s vs %s", path, a.Type(), b.Type())
	}
	t := a.Type()
	bad := func(what string) string {
		s := fmt.Sprintf("%s: go=%s other=%s", path, fmtVal(a), fmtVal(b))
		if what != "" {
			s = fmt.Sprintf("%s: %s (go=%s other=%s)", path, what, fmtVal(a), fmtVal(b))
		}
		return s
	}
	switch t.Kind() {
	case reflect.Pointer:
		if a.IsNil() != b.IsNil() {
			return bad("nil pointer on one side")
		}
		if a.IsNil() {
			return ""
		}
		return d.diff(a.Elem(), b.Elem(), path)
	case reflect.Interface:
		if a.IsNil() != b.IsNil() {
			return bad("nil interface on one side")
		}
		if a.IsNil() {
			return ""
		}
		if a.Elem().Type() != b.Elem().Type() {
			return fmt.Sprintf("%s: dynamic type %s vs %s", path, a.Elem().Type(), b.Elem().Type())
		}
		return d.diff(a.Elem(), b.Elem(), path+".("+short(a.Elem().Type().String(), 40)+")")
	}
	if k := extKind(t); k != xNone {
		ab, bb := extBytes(a, k), extBytes(b, k)
		if !bytes.Equal(ab, bb) {
			return fmt.Sprintf("%s: %s marshals to go=%s other=%s", path, t, hexShort(ab), hexShort(bb))
		}
		return ""
	}
	switch t.Kind() {
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			return bad("")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			return bad("")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			return bad("")
		}
	case reflect.Float32:
		if f32bitsOf(a) != f32bitsOf(b) {
			return bad("")
		}
	case reflect.Float64:
		if math.Float64bits(a.Float()) != math.Float64bits(b.Float()) {
			return bad("")
		}
	case reflect.Complex64:
		if c64bitsOf(a) != c64bitsOf(b) {
			return bad("")
		}
	case reflect.Complex128:
		if c128bitsOf(a) != c128bitsOf(b) {
			return bad("")
		}
	case reflect.String:
		if a.String() != b.String() {
			return bad(firstDiff([]byte(a.String()), []byte(b.String())))
		}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && !d.lenient && a.IsNil() != b.IsNil() {
			return bad("nil vs empty slice")
		}
		if a.Len() != b.Len() {
			return bad(fmt.Sprintf("length %d vs %d", a.Len(), b.Len()))
		}
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				return bad(firstDiff(a.Bytes(), b.Bytes()))
			}
			return ""
		}
		for i := 0; i < a.Len(); i++ {
			if s := d.diff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); s != "" {
				return s
			}
		}
	case reflect.Map:
		if !d.lenient && a.IsNil() != b.IsNil() {
			return bad("nil vs empty map")
		}
		if a.Len() != b.Len() {
			return bad(fmt.Sprintf("length %d vs %d", a.Len(), b.Len()))
		}
		return d.diffMap(a, b, path)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !isSent(&f) {
				continue
			}
			fa, fb := a.Field(i), b.Field(i)
			if d.lenient && gobZero(fa) && gobZero(fb) {
				continue
			}
			if s := d.diff(fa, fb, path+"."+f.Name); s != "" {
				return s
			}
		}
	}
	return ""
}

type mapEntry struct {
	repr string
	val  reflect.Value
}

func sortedEntries(m reflect.Value) []mapEntry {
	out := make([]mapEntry, 0, m.Len())
	it := m.MapRange()
	for it.Next() {
		out = append(out, mapEntry{keyRepr(it.Key()), it.Value()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].repr < out[j].repr })
	return out
}

// diffMap pairs entries by bitwise key representation; several NaN keys
// with the same bits are matched by value.
func (d differ) diffMap(a, b reflect.Value, path string) string {
	ea, eb := sortedEntries(a), sortedEntries(b)
	used := make([]bool, len(eb))
	for _, x := range ea {
		kp := fmt.Sprintf("%s[%s]", path, short(x.repr, 60))
		lo := sort.Search(len(eb), func(i int) bool { return eb[i].repr >= x.repr })
		first := ""
		found := false
		for j := lo; j < len(eb) && eb[j].repr == x.repr; j++ {
			if used[j] {
				continue
			}
			s := d.diff(x.val, eb[j].val, kp)
			if s == "" {
				used[j], found = true, true
				break
			}
			if first == "" {
				first = s
			}
		}
		if !found {
			if first != "" {
				return first
			}
			return fmt.Sprintf("%s: key present only in go's value", kp)
		}
	}
	return ""
}

// keyRepr is a canonical, bitwise rendering of a map key.
func keyRepr(v reflect.Value) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v reflect.Value) {
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		if t.Kind() == reflect.Interface {
			b.WriteString("(" + v.Elem().Type().String() + ")")
		}
		writeRepr(b, v.Elem())
		return
	}
	if k := extKind(t); k != xNone {
		fmt.Fprintf(b, "M%x", extBytes(v, k))
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32:
		fmt.Fprintf(b, "f%08x", f32bitsOf(v))
	case reflect.Float64:
		fmt.Fprintf(b, "d%016x", math.Float64bits(v.Float()))
	case reflect.Complex64:
		c := c64bitsOf(v)
		fmt.Fprintf(b, "c%08x.%08x", c[0], c[1])
	case reflect.Complex128:
		c := c128bitsOf(v)
		fmt.Fprintf(b, "C%016x.%016x", c[0], c[1])
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Array, reflect.Slice:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			writeRepr(b, v.Index(i))
		}
		b.WriteByte(']')
	case reflect.Struct:
		b.WriteByte('{')
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); isSent(&f) {
				b.WriteString(f.Name + ":")
				writeRepr(b, v.Field(i))
				b.WriteByte(',')
			}
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "<%s>", t)
	}
}

// fmtVal renders a value briefly (floats with their bits).
func fmtVal(v reflect.Value) string {
	if !v.IsValid() {
		return "<invalid>"
	}
	switch v.Kind() {
	case reflect.Float32:
		return fmt.Sprintf("%v(0x%08x)", math.Float32frombits(f32bitsOf(v)), f32bitsOf(v))
	case reflect.Float64:
		return fmt.Sprintf("%v(0x%016x)", v.Float(), math.Float64bits(v.Float()))
	case reflect.Complex64:
		c := c64bitsOf(v)
		return fmt.Sprintf("%v(0x%08x,0x%08x)", v.Complex(), c[0], c[1])
	case reflect.Complex128:
		c := c128bitsOf(v)
		return fmt.Sprintf("%v(0x%016x,0x%016x)", v.Complex(), c[0], c[1])
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return "nil"
		}
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array:
		if v.Len() > 32 {
			return fmt.Sprintf("%s(len %d)", v.Type(), v.Len())
		}
	case reflect.String:
		if v.Len() > 200 {
			return fmt.Sprintf("%q...(len %d)", v.String()[:60], v.Len())
		}
	}
	if !v.CanInterface() {
		return "<" + v.Type().String() + ">"
	}
	return short(fmt.Sprintf("%#v", v.Interface()), 160)
}

func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf("first difference at byte %d of %d/%d", i, len(a), len(b))
}

func hexShort(b []byte) string {
	if len(b) > 48 {
		return fmt.Sprintf("%x...(%d bytes)", b[:48], len(b))
	}
	return fmt.Sprintf("%x", b)
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
