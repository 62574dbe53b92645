package gobjson

// Reflect-based typed-JSON renderer: predicts what gob puts on the wire for a
// Go value by mirroring encode.go (encOpFor, gobEncodeOpFor, encodeStruct) and
// type.go (validUserType, implementsInterface, isSent). gen renders every
// stream a second time from its bytes (wire.go) and requires both to agree.

import (
	"encoding"
	"encoding/gob"
	"fmt"
	"reflect"
	"unicode"
	"unicode/utf8"
)

const (
	xGob    = 1 // GobEncoder
	xBinary = 2 // encoding.BinaryMarshaler
)

var (
	gobEncoderType      = reflect.TypeFor[gob.GobEncoder]()
	binaryMarshalerType = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// implementsInterface is a copy of gob's: walk down pointers until a level
// implements iface; failing that, a non-pointer type whose pointer implements
// it gets indir -1 (the value's address is used).
func implementsInterface(typ, iface reflect.Type) (bool, int) {
	rt := typ
	indir := 0
	for {
		if rt.Implements(iface) {
			return true, indir
		}
		if rt.Kind() == reflect.Pointer {
			indir++
			if indir > 100 {
				return false, 0
			}
			rt = rt.Elem()
			continue
		}
		break
	}
	if typ.Kind() != reflect.Pointer && reflect.PointerTo(typ).Implements(iface) {
		return true, -1
	}
	return false, 0
}

// externalEnc reports which marshaler gob uses for t (GobEncoder wins over
// BinaryMarshaler; TextMarshaler is ignored by gob) and the indirection count
// from t to the method receiver.
func externalEnc(t reflect.Type) (kind, encIndir int) {
	if ok, indir := implementsInterface(t, gobEncoderType); ok {
		return xGob, indir
	}
	if ok, indir := implementsInterface(t, binaryMarshalerType); ok {
		return xBinary, indir
	}
	return 0, 0
}

// isSent mirrors gob's isSent: exported and not chan/func (or pointers to them).
func isSent(f reflect.StructField) bool {
	r, _ := utf8.DecodeRuneInString(f.Name)
	if !unicode.IsUpper(r) {
		return false
	}
	t := f.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() != reflect.Chan && t.Kind() != reflect.Func
}

// callMarshaler invokes the marshaler on the receiver value.
func callMarshaler(kind int, recv reflect.Value) []byte {
	var (
		b   []byte
		err error
	)
	switch kind {
	case xGob:
		b, err = recv.Interface().(gob.GobEncoder).GobEncode()
	case xBinary:
		b, err = recv.Interface().(encoding.BinaryMarshaler).MarshalBinary()
	}
	if err != nil {
		panic(fmt.Sprintf("marshaler of %s failed: %v", recv.Type(), err))
	}
	return b
}

// receiver walks from v to the marshaler receiver (encIndir levels down, or
// one level up for -1). ok is false when a nil pointer is met on the way.
func receiver(v reflect.Value, encIndir int) (reflect.Value, bool) {
	if encIndir == -1 {
		if v.CanAddr() {
			return v.Addr(), true
		}
		// gob would fail with "unaddressable value"; copy so rendering of
		// the values gob does accept stays simple.
		p := reflect.New(v.Type())
		p.Elem().Set(v)
		return p, true
	}
	for i := 0; i < encIndir; i++ {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	return v, true
}

// Render renders a value handed to Encoder.Encode.
func Render(v any) any { return RenderValue(reflect.ValueOf(v)) }

// RenderValue renders a value that is always sent: a top-level value, an
// element, a map key or value, an interface payload.
func RenderValue(v reflect.Value) any {
	if kind, indir := externalEnc(v.Type()); kind != 0 {
		recv, ok := receiver(v, indir)
		if !ok {
			panic("nil pointer to a marshaler in a sent position")
		}
		return jMarshaled(callMarshaler(kind, recv))
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			panic(fmt.Sprintf("nil %s in a sent position (gob refuses it)", v.Type()))
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return jInt(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return jUint(v.Uint())
	case reflect.Float32, reflect.Float64:
		return jFloat(v.Float())
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		return jComplex(real(c), imag(c))
	case reflect.String:
		return jString([]byte(v.String()))
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return jBytes(v.Bytes())
		}
		return renderElems(v)
	case reflect.Array:
		return renderElems(v)
	case reflect.Map:
		var entries [][2]any
		it := v.MapRange()
		for it.Next() {
			entries = append(entries, [2]any{RenderValue(it.Key()), RenderValue(it.Value())})
		}
		return jMap(entries)
	case reflect.Struct:
		return renderStruct(v)
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		elem := v.Elem()
		name, ok := ifaceNames[baseType(elem.Type())]
		if !ok {
			panic(fmt.Sprintf("type %s not registered (use Register())", elem.Type()))
		}
		return jIface(name, RenderValue(elem))
	}
	panic(fmt.Sprintf("render: unsupported kind %s (%s)", v.Kind(), v.Type()))
}

func renderElems(v reflect.Value) any {
	out := make([]any, v.Len())
	for i := range out {
		out[i] = RenderValue(v.Index(i))
	}
	return out
}

// renderStruct renders the fields gob sends, applying encode.go's per-kind
// zero tests (which only apply inside structs).
func renderStruct(v reflect.Value) any {
	o := &jobj{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !isSent(f) {
			continue
		}
		if r, ok := renderField(v.Field(i)); ok {
			o.set(f.Name, r)
		}
	}
	return o
}

// renderField returns the rendering of a struct field and whether gob sends it.
func renderField(fv reflect.Value) (any, bool) {
	if kind, indir := externalEnc(fv.Type()); kind != 0 {
		// gobEncodeOpFor: walk to the receiver, skip on a nil pointer, then
		// skip when reflect's IsZero holds for the receiver value. With
		// indir -1 the receiver is the field's address, never zero, so such
		// fields are always sent.
		recv, ok := receiver(fv, indir)
		if !ok || recv.IsZero() {
			return nil, false
		}
		return jMarshaled(callMarshaler(kind, recv)), true
	}
	v := fv
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	zero := false
	switch v.Kind() {
	case reflect.Bool:
		zero = !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		zero = v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		zero = v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		zero = v.Float() == 0 // numeric: -0 is omitted too
	case reflect.Complex64, reflect.Complex128:
		zero = v.Complex() == 0
	case reflect.String, reflect.Slice:
		zero = v.Len() == 0 // nil and empty alike
	case reflect.Map:
		zero = v.IsNil() // an empty non-nil map is sent
	case reflect.Interface:
		zero = v.IsNil()
	case reflect.Struct, reflect.Array:
		// always sent
	}
	if zero {
		return nil, false
	}
	return RenderValue(v), true
}
