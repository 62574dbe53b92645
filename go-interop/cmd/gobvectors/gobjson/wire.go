package gobjson

// A small, independent gob stream reader that renders values straight from
// the bytes (no Go types involved), plus byte-level helpers used to craft
// hostile streams from real encoder output.
//
// The reader exists to validate render.go: for every valid case gen renders
// the Go values and the bytes and requires identical JSON. It follows the
// Decoder's framing rules, including the interface "type sequence" loop
// (definitions may appear inline; a chunk length after an inline definition
// is skipped; an empty buffer pulls the next message).

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// ---- primitive encoding (used to craft streams) ----

func AppendUint(b []byte, x uint64) []byte {
	if x < 0x80 {
		return append(b, byte(x))
	}
	n := (bits.Len64(x) + 7) / 8
	b = append(b, byte(-n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(x>>(8*i)))
	}
	return b
}

func AppendInt(b []byte, i int64) []byte {
	var u uint64
	if i < 0 {
		u = uint64(^i)<<1 | 1
	} else {
		u = uint64(i) << 1
	}
	return AppendUint(b, u)
}

func AppendString(b []byte, s string) []byte {
	b = AppendUint(b, uint64(len(s)))
	return append(b, s...)
}

// ReadUint decodes one gob unsigned integer from the front of *b. Like Go it
// does not insist on the minimal form.
func ReadUint(b *[]byte) (uint64, error) {
	if len(*b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	c := (*b)[0]
	*b = (*b)[1:]
	if c < 0x80 {
		return uint64(c), nil
	}
	n := int(-int8(c))
	if n > 8 {
		return 0, errors.New("encoded unsigned integer out of range")
	}
	if len(*b) < n {
		return 0, io.ErrUnexpectedEOF
	}
	var x uint64
	for _, d := range (*b)[:n] {
		x = x<<8 | uint64(d)
	}
	*b = (*b)[n:]
	return x, nil
}

func ToInt(u uint64) int64 {
	i := int64(u >> 1)
	if u&1 != 0 {
		i = ^i
	}
	return i
}

// SplitMessages cuts a stream into message bodies (length prefixes removed).
func SplitMessages(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		n, err := ReadUint(&data)
		if err != nil {
			return nil, err
		}
		if uint64(len(data)) < n {
			return nil, io.ErrUnexpectedEOF
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out, nil
}

// JoinMessages frames message bodies again, recomputing the lengths.
func JoinMessages(msgs [][]byte) []byte {
	var out []byte
	for _, m := range msgs {
		out = AppendUint(out, uint64(len(m)))
		out = append(out, m...)
	}
	return out
}

func MustSplit(data []byte) [][]byte {
	m, err := SplitMessages(data)
	if err != nil {
		panic(err)
	}
	// Copy so callers can edit bodies without touching the source stream.
	for i := range m {
		m[i] = append([]byte(nil), m[i]...)
	}
	return m
}

// ---- the reader ----

const (
	wArray = iota + 1
	wSlice
	wStruct
	wMap
	wGobEncoder
	wBinaryMarshaler
	wTextMarshaler
)

type wireField struct {
	name string
	id   int64
}

type wireDef struct {
	kind      int
	name      string
	elem, key int64
	length    int64
	fields    []wireField
}

type wireReader struct {
	rest []byte // stream bytes after the current message
	buf  []byte // unread part of the current message
	defs map[int64]*wireDef
	// leftover counts top-level messages that had bytes after their value
	// (Go tolerates and discards them; Go's encoder never produces them).
	leftover int
	// countMismatches counts interface values whose byte count differs from
	// the size of their payload (Go's encoder never writes one).
	countMismatches int
	// severalKinds counts definitions that set more than one wireType field
	// (Go's encoder never writes one; Go's typed decoder picks the field of its
	// destination's kind, the type-free reader the first in its own order).
	severalKinds int
}

type wireError struct{ err error }

func newWireReader(data []byte) *wireReader {
	return &wireReader{rest: data, defs: bootstrapDefs()}
}

func (r *wireReader) fail(format string, args ...any) {
	panic(wireError{fmt.Errorf(format, args...)})
}

func (r *wireReader) uint() uint64 {
	x, err := ReadUint(&r.buf)
	if err != nil {
		panic(wireError{err})
	}
	return x
}

func (r *wireReader) int() int64 { return ToInt(r.uint()) }

// typeID reads a message's or interface's type id as Go does: typeId(int32), so the
// high bits of a wider integer are dropped.
func (r *wireReader) typeID() int64 { return int64(int32(r.int())) }

func (r *wireReader) bytes() []byte {
	n := r.uint()
	if n > uint64(len(r.buf)) {
		r.fail("byte string length %d exceeds message", n)
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

// nextMessage loads the next message into buf; false at a clean end of input.
func (r *wireReader) nextMessage() bool {
	if len(r.rest) == 0 {
		return false
	}
	n, err := ReadUint(&r.rest)
	if err != nil {
		panic(wireError{err})
	}
	if n > uint64(len(r.rest)) {
		panic(wireError{io.ErrUnexpectedEOF})
	}
	r.buf, r.rest = r.rest[:n], r.rest[n:]
	return true
}

// Next renders the next top-level value; io.EOF at a clean end of stream.
func (r *wireReader) Next() (v any, err error) {
	defer func() {
		if e := recover(); e != nil {
			we, ok := e.(wireError)
			if !ok {
				panic(e)
			}
			err = we.err
		}
	}()
	first := true
	for {
		if len(r.buf) == 0 && !r.nextMessage() {
			if first {
				return nil, io.EOF
			}
			return nil, io.ErrUnexpectedEOF
		}
		first = false
		id := r.typeID()
		if id < 0 {
			r.definition(-id)
			if len(r.buf) > 0 {
				r.fail("extra data in buffer")
			}
			continue
		}
		v = r.topValue(id)
		if len(r.buf) > 0 {
			r.leftover++
			r.buf = nil
		}
		return v, nil
	}
}

// definition reads a wireType value as Go's decoder reads it: a struct whose
// present fields (0 array, 1 slice, 2 struct, 3 map, 4 GobEncoder,
// 5 BinaryMarshaler, 6 TextMarshaler) are structs starting with CommonType.
// Go stores every field it finds; a type-free reader takes the first with
// content in Go's ignore order (array, map, slice, struct, marshalers), and a
// definition with no field set is stored and fails only when a value uses it.
func (r *wireReader) definition(id int64) {
	if id < 64 || r.defs[id] != nil {
		r.fail("duplicate type received")
	}
	var set []*wireDef
	var content []bool
	r.structFields(func(f int) {
		if f > 6 {
			r.fail("bad wireType field %d", f)
		}
		d := &wireDef{kind: f + 1}
		has := false
		r.structFields(func(g int) {
			has = true
			switch {
			case g == 0: // CommonType{Name, Id}
				r.structFields(func(h int) {
					switch h {
					case 0:
						d.name = string(r.bytes())
					case 1:
						r.int() // informational; Go's decoder ignores it too
					default:
						r.fail("bad CommonType field %d", h)
					}
				})
			case d.kind == wArray && g == 1, d.kind == wSlice && g == 1, d.kind == wMap && g == 2:
				d.elem = r.int()
			case d.kind == wArray && g == 2:
				d.length = r.int()
			case d.kind == wMap && g == 1:
				d.key = r.int()
			case d.kind == wStruct && g == 1:
				n := r.uint()
				for i := uint64(0); i < n; i++ {
					var fld wireField
					r.structFields(func(h int) {
						switch h {
						case 0:
							fld.name = string(r.bytes())
						case 1:
							fld.id = r.int()
						default:
							r.fail("bad fieldType field %d", h)
						}
					})
					d.fields = append(d.fields, fld)
				}
			default:
				r.fail("bad field %d in wire type kind %d", g, d.kind)
			}
		})
		set = append(set, d)
		content = append(content, has)
	})
	rank := map[int]int{wArray: 0, wMap: 1, wSlice: 2, wStruct: 3, wGobEncoder: 4, wBinaryMarshaler: 5, wTextMarshaler: 6}
	best := -1
	for i, d := range set {
		if best < 0 || (content[i] && !content[best]) ||
			(content[i] == content[best] && rank[d.kind] < rank[set[best].kind]) {
			best = i
		}
	}
	if best < 0 {
		r.defs[id] = &wireDef{} // empty: a value using it fails
		return
	}
	if len(set) > 1 {
		r.severalKinds++
	}
	r.defs[id] = set[best]
}

// bootstrapDefs are Go's own definitions of its type descriptors (ids 16 to
// 24), known to every decoder.
func bootstrapDefs() map[int64]*wireDef {
	st := func(name string, fields ...wireField) *wireDef {
		return &wireDef{kind: wStruct, name: name, fields: fields}
	}
	common := wireField{"CommonType", 18}
	return map[int64]*wireDef{
		16: st("wireType", wireField{"ArrayT", 17}, wireField{"SliceT", 19}, wireField{"StructT", 20},
			wireField{"MapT", 23}, wireField{"GobEncoderT", 24}, wireField{"BinaryMarshalerT", 24},
			wireField{"TextMarshalerT", 24}),
		17: st("arrayType", common, wireField{"Elem", 2}, wireField{"Len", 2}),
		18: st("CommonType", wireField{"Name", 6}, wireField{"Id", 2}),
		19: st("sliceType", common, wireField{"Elem", 2}),
		20: st("structType", common, wireField{"Field", 22}),
		21: st("fieldType", wireField{"Name", 6}, wireField{"Id", 2}),
		22: {kind: wSlice, name: "[]gob.fieldType", elem: 21},
		23: st("mapType", common, wireField{"Key", 2}, wireField{"Elem", 2}),
		24: st("gobEncoderType", common),
	}
}

// structFields walks delta-encoded fields until the terminator (or the end
// of the message, which Go also accepts).
func (r *wireReader) structFields(field func(int)) {
	f := -1
	for len(r.buf) > 0 {
		delta := r.uint()
		if delta == 0 {
			return
		}
		f += int(delta)
		field(f)
	}
}

func (r *wireReader) isStruct(id int64) bool {
	d := r.defs[id]
	return d != nil && d.kind == wStruct
}

// topValue reads a value as it appears at top level or inside an interface:
// struct encoding for structs, otherwise the singleton form (delta 0 first).
func (r *wireReader) topValue(id int64) any {
	if r.isStruct(id) {
		return r.value(id)
	}
	if delta := r.uint(); delta != 0 {
		r.fail("non-zero delta for singleton")
	}
	return r.value(id)
}

func (r *wireReader) value(id int64) any {
	switch id {
	case 1:
		return r.uint() != 0
	case 2:
		return jInt(r.int())
	case 3:
		return jUint(r.uint())
	case 4:
		return jFloat(r.float())
	case 5:
		return jBytes(r.bytes())
	case 6:
		return jString(r.bytes())
	case 7:
		re := r.float()
		return jComplex(re, r.float())
	case 8:
		return r.iface()
	}
	d := r.defs[id]
	if d == nil || d.kind == 0 {
		r.fail("unknown type id %d", id)
	}
	switch d.kind {
	case wArray:
		n := r.uint()
		if int64(n) != d.length {
			r.fail("length mismatch in array")
		}
		return r.elems(n, d.elem)
	case wSlice:
		return r.elems(r.uint(), d.elem)
	case wMap:
		n := r.uint()
		if n > math.MaxInt64 {
			// Go's decoder takes int(n), which is negative: no entries.
			n = 0
		}
		var entries [][2]any
		for i := uint64(0); i < n; i++ {
			if len(r.buf) == 0 {
				r.fail("map count exceeds input")
			}
			k := r.value(d.key)
			entries = append(entries, [2]any{k, r.value(d.elem)})
		}
		return jMap(entries)
	case wStruct:
		o := &jobj{}
		r.structFields(func(f int) {
			if f >= len(d.fields) {
				r.fail("field numbers out of bounds")
			}
			o.set(d.fields[f].name, r.value(d.fields[f].id))
		})
		return o
	default: // marshalers
		return jMarshaled(r.bytes())
	}
}

func (r *wireReader) elems(n uint64, elem int64) any {
	out := []any{}
	for i := uint64(0); i < n; i++ {
		if len(r.buf) == 0 {
			// Elements always take at least one byte; an interface element
			// with an inline definition may continue in the next message,
			// but only after at least its name was in this one.
			r.fail("element count exceeds input")
		}
		out = append(out, r.value(elem))
	}
	return out
}

func (r *wireReader) float() float64 {
	return math.Float64frombits(bits.ReverseBytes64(r.uint()))
}

// iface reads name, inline definitions, concrete id, the (unreliable) byte
// count, then the concrete value.
func (r *wireReader) iface() any {
	name := r.bytes()
	if len(name) == 0 {
		return nil
	}
	var id int64
	for {
		if len(r.buf) == 0 && !r.nextMessage() {
			panic(wireError{io.ErrUnexpectedEOF})
		}
		id = r.typeID()
		if id >= 0 {
			break
		}
		r.definition(-id)
		if len(r.buf) > 0 {
			r.uint() // length of the chunk that follows an inline definition
		}
	}
	count := r.uint() // byte count of the value: not trusted, as Go's decodeInterface
	before := len(r.buf)
	v := r.topValue(id)
	if consumed := before - len(r.buf); consumed >= 0 && uint64(consumed) != count {
		// Go's type-free path (ignoreInterface) skips by the count instead, so the two
		// paths of Go's own decoder read such a stream differently.
		r.countMismatches++
	}
	return jIface(string(name), v)
}

// WireCheck is what CheckWire found.
type WireCheck struct {
	// Values is how many values it read.
	Values int
	// CountMismatchAt is the index of the first value in which an interface's
	// byte count disagreed with its payload (-1: none).
	CountMismatchAt int
	// SeveralKindsAt is the index of the first value whose definitions include
	// one that sets more than one wireType field (-1: none).
	SeveralKindsAt int
	// ReaderPanic is a panic of the reader itself (not a refusal of the
	// stream): a bug to report, not a judgement.
	ReaderPanic string
}

// CheckWire reads up to n top-level values of a stream type-free and
// structurally, interface payloads included (unlike Go's Decode(nil), which
// skips them by their byte count), noting where it met what Go's encoder never
// writes and Go's decoder reads differently depending on the destination.
func CheckWire(data []byte, n int) WireCheck {
	r := newWireReader(data)
	c := WireCheck{CountMismatchAt: -1, SeveralKindsAt: -1}
	next := func() (err error) {
		defer func() {
			if e := recover(); e != nil {
				c.ReaderPanic = fmt.Sprint(e)
				err = errors.New("wire reader panicked")
			}
		}()
		_, err = r.Next()
		return err
	}
	for c.Values < n {
		err := next()
		if c.CountMismatchAt < 0 && r.countMismatches > 0 {
			c.CountMismatchAt = c.Values
		}
		if c.SeveralKindsAt < 0 && r.severalKinds > 0 {
			c.SeveralKindsAt = c.Values
		}
		if err != nil {
			break
		}
		c.Values++
	}
	return c
}

// RenderWire renders every top-level value of a stream. leftover counts
// messages with bytes after their value (Go discards them; its encoder never
// writes them). On error the values rendered so far are returned.
func RenderWire(data []byte) (values []any, leftover int, err error) {
	r := newWireReader(data)
	for {
		v, err := r.Next()
		if err == io.EOF {
			return values, r.leftover, nil
		}
		if err != nil {
			return values, r.leftover, err
		}
		values = append(values, v)
	}
}
