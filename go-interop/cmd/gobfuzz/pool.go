package main

// The pool of predeclared named types. reflect cannot create named types,
// methods, unexported fields or recursive types, so these cover what the
// reflect-made types cannot. Every name here travels on the wire (as
// "main.X" in interface values and as the CommonType name).

import (
	"encoding"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

type MyInt int16
type MyUint uint32
type MyStr string
type MyBool bool
type MyF32 float32
type MyF64 float64
type MyC64 complex64
type MyByte uint8
type Bytes2 []byte
type U1 []uint64
type Arr3 [3]float32
type M1 map[string]int
type MI map[MyInt]MyStr

type Point struct{ X, Y int }

type Inner struct {
	A int8
	B string
	C []float64
}

type Pair struct {
	K MyStr
	V *Point
}

type Empty struct{}

// Key and KeyF are comparable struct types for map keys.
type Key struct {
	A int32
	B string
	C [2]bool
}

type KeyF struct {
	F float32
	U uint8
	C complex64
}

// Hidden has an unexported field that gob must not send.
type Hidden struct {
	A      int
	hidden string
	B      []byte
}

// WithChan has chan, func and pointer-to-func fields, which gob skips.
type WithChan struct {
	N  int
	C  chan int
	F  func() int
	Fp *func()
}

// Embeds embeds a struct and a struct pointer: gob sends them as fields
// named "Point" and "Inner".
type Embeds struct {
	Point
	*Inner
	Extra  string
	hidden int
}

// Recursive types.
type R []R

type Node struct {
	Val  int
	Next *Node
	Kids []*Node
}

type Tree map[string]Tree

type RS struct {
	Sub []RS
	M   map[int]*RS
}

type MA struct {
	B *MB
	N int
}

type MB struct {
	As []MA
	S  string
}

// Deep has anonymous (unnamed) nested struct types.
type Deep struct {
	L1 struct {
		L2 struct {
			L3 []struct{ V *int }
			S  string
		}
		F float64
	}
}

type Event struct {
	Name string
	When time.Time
	At   *time.Time
}

// ---- marshalers; every decoder is strict so that decode(x) re-encodes to x ----

// GobThing is a GobEncoder (value receiver) with no exported fields.
type GobThing struct {
	a int32
	b string
}

func (g GobThing) GobEncode() ([]byte, error) {
	b := make([]byte, 5+len(g.b))
	b[0] = 1
	binary.BigEndian.PutUint32(b[1:], uint32(g.a))
	copy(b[5:], g.b)
	return b, nil
}

func (g *GobThing) GobDecode(b []byte) error {
	if len(b) < 5 || b[0] != 1 {
		return errors.New("GobThing: bad encoding")
	}
	g.a = int32(binary.BigEndian.Uint32(b[1:5]))
	g.b = string(b[5:])
	return nil
}

// BinOnly is a BinaryMarshaler only.
type BinOnly struct {
	n   uint16
	tag string
}

func (b BinOnly) MarshalBinary() ([]byte, error) {
	out := make([]byte, 2+len(b.tag))
	binary.BigEndian.PutUint16(out, b.n)
	copy(out[2:], b.tag)
	return out, nil
}

func (b *BinOnly) UnmarshalBinary(data []byte) error {
	if len(data) < 2 {
		return errors.New("BinOnly: short")
	}
	b.n = binary.BigEndian.Uint16(data)
	b.tag = string(data[2:])
	return nil
}

// BinText is both a BinaryMarshaler and a TextMarshaler; gob uses binary
// (and would ignore the text methods anyway).
type BinText struct{ v int64 }

func (b BinText) MarshalBinary() ([]byte, error) {
	out := make([]byte, 8)
	binary.BigEndian.PutUint64(out, uint64(b.v))
	return out, nil
}

func (b *BinText) UnmarshalBinary(data []byte) error {
	if len(data) != 8 {
		return errors.New("BinText: need 8 bytes")
	}
	b.v = int64(binary.BigEndian.Uint64(data))
	return nil
}

func (b BinText) MarshalText() ([]byte, error) { return []byte(strconv.FormatInt(b.v, 10)), nil }

func (b *BinText) UnmarshalText(data []byte) error {
	v, err := strconv.ParseInt(string(data), 10, 64)
	if err != nil || strconv.FormatInt(v, 10) != string(data) {
		return errors.New("BinText: bad text")
	}
	b.v = v
	return nil
}

// TextOnly is a TextMarshaler only ("x:y"). gob ignores TextMarshaler, so
// it travels as a struct (X only; y is unexported).
type TextOnly struct {
	X int32
	y int32
}

func (t TextOnly) MarshalText() ([]byte, error) { return fmt.Appendf(nil, "%d:%d", t.X, t.y), nil }

func (t *TextOnly) UnmarshalText(data []byte) error {
	a, b, ok := strings.Cut(string(data), ":")
	if !ok {
		return errors.New("TextOnly: no colon")
	}
	x, err1 := strconv.ParseInt(a, 10, 32)
	y, err2 := strconv.ParseInt(b, 10, 32)
	if err1 != nil || err2 != nil || fmt.Sprintf("%d:%d", x, y) != string(data) {
		return errors.New("TextOnly: bad text")
	}
	t.X, t.y = int32(x), int32(y)
	return nil
}

// Hexed is a named integer that is a TextMarshaler (sent as a plain uint).
type Hexed uint32

func (h Hexed) MarshalText() ([]byte, error) { return fmt.Appendf(nil, "0x%08x", uint32(h)), nil }

func (h *Hexed) UnmarshalText(data []byte) error {
	s := string(data)
	if len(s) != 10 || !strings.HasPrefix(s, "0x") {
		return errors.New("Hexed: bad text")
	}
	v, err := strconv.ParseUint(s[2:], 16, 32)
	if err != nil || fmt.Sprintf("0x%08x", v) != s {
		return errors.New("Hexed: bad text")
	}
	*h = Hexed(v)
	return nil
}

// PtrGob is a GobEncoder with a pointer receiver: only addressable values
// (or pointers) can be encoded.
type PtrGob struct{ vals []int16 }

func (p *PtrGob) GobEncode() ([]byte, error) {
	out := make([]byte, 2*len(p.vals))
	for i, v := range p.vals {
		binary.BigEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out, nil
}

func (p *PtrGob) GobDecode(b []byte) error {
	if len(b)%2 != 0 {
		return errors.New("PtrGob: odd length")
	}
	p.vals = nil
	for i := 0; i < len(b); i += 2 {
		p.vals = append(p.vals, int16(binary.BigEndian.Uint16(b[i:])))
	}
	return nil
}

// PtrBin is a BinaryMarshaler with a pointer receiver (bytes reversed).
type PtrBin struct{ s string }

func (p *PtrBin) MarshalBinary() ([]byte, error) {
	b := []byte(p.s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b, nil
}

func (p *PtrBin) UnmarshalBinary(data []byte) error {
	b := append([]byte(nil), data...)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	p.s = string(b)
	return nil
}

// TimeWrap embeds time.Time and so is itself a GobEncoder (promoted
// methods): Note never travels.
type TimeWrap struct {
	time.Time
	Note string
}

// MarshHolder holds marshalers, including pointer-receiver ones by value
// (so it must be addressable to be encoded).
type MarshHolder struct {
	T time.Time
	G GobThing
	P PtrGob
	B *BinOnly
	X TextOnly
	H Hexed
	Q *PtrBin
	W BinText
}

// Shape is a named interface type with registered implementations.
type Shape interface{ Area() float64 }

type Circle struct{ R float64 }
type Rect struct{ W, H float64 }
type Sq float64
type Poly struct{ Pts []Point }

func (c Circle) Area() float64 { return 3 * c.R * c.R }
func (r Rect) Area() float64   { return r.W * r.H }
func (s Sq) Area() float64     { return float64(s * s) }
func (p *Poly) Area() float64  { return float64(len(p.Pts)) }

type ShapeBox struct {
	S      Shape
	All    []Shape
	ByName map[string]Shape
}

type IfaceHolder struct {
	V any
	W []any
	M map[string]any
}

var (
	ifaceT    = reflect.TypeFor[any]()
	shapeT    = reflect.TypeFor[Shape]()
	timeT     = reflect.TypeFor[time.Time]()
	gobEncT   = reflect.TypeFor[gob.GobEncoder]()
	binMarshT = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// poolEntry describes a predeclared type.
type poolEntry struct {
	t     reflect.Type
	key   bool         // usable as a map key
	pr    bool         // reaches a pointer-receiver marshaler without indirection: needs an addressable value
	ptr   bool         // registered (and held in interfaces) as *t
	iface reflect.Type // registered form for interface values: t or *t
	fill  func(g *Gen, v reflect.Value, depth int)
}

var (
	pool       []*poolEntry
	poolByType = map[reflect.Type]*poolEntry{}
)

func addPool(e *poolEntry) {
	pool = append(pool, e)
	poolByType[e.t] = e
}

func init() {
	type P = poolEntry
	tf := func(v any) reflect.Type { return reflect.TypeOf(v) }
	for _, e := range []*P{
		{t: tf(MyInt(0)), key: true},
		{t: tf(MyUint(0)), key: true},
		{t: tf(MyStr("")), key: true},
		{t: tf(MyBool(false)), key: true},
		{t: tf(MyF32(0)), key: true},
		{t: tf(MyF64(0)), key: true},
		{t: tf(MyC64(0)), key: true},
		{t: tf(MyByte(0)), key: true},
		{t: tf(Bytes2(nil))},
		{t: tf(U1(nil))},
		{t: tf(Arr3{}), key: true},
		{t: tf(M1(nil))},
		{t: tf(MI(nil))},
		{t: tf(Point{}), key: true},
		{t: tf(Inner{})},
		{t: tf(Pair{})},
		{t: tf(Empty{}), key: true},
		{t: tf(Key{}), key: true},
		{t: tf(KeyF{}), key: true},
		{t: tf(Hidden{}), fill: fillHidden},
		{t: tf(WithChan{}), fill: fillWithChan},
		{t: tf(Embeds{})},
		{t: tf(R(nil))},
		{t: tf(Node{})},
		{t: tf(Tree(nil))},
		{t: tf(RS{})},
		{t: tf(MA{})},
		{t: tf(MB{})},
		{t: tf(Deep{})},
		{t: tf(Event{})},
		{t: timeT, key: true, fill: fillTime},
		{t: tf(GobThing{}), key: true, fill: fillGobThing},
		{t: tf(BinOnly{}), key: true, fill: fillBinOnly},
		{t: tf(BinText{}), key: true, fill: fillBinText},
		{t: tf(TextOnly{}), key: true, fill: fillTextOnly},
		{t: tf(Hexed(0)), key: true},
		{t: tf(PtrGob{}), pr: true, ptr: true, fill: fillPtrGob},
		{t: tf(PtrBin{}), pr: true, ptr: true, fill: fillPtrBin},
		{t: tf(TimeWrap{}), fill: fillTimeWrap},
		{t: tf(MarshHolder{}), pr: true, ptr: true},
		{t: tf(Circle{}), key: true},
		{t: tf(Rect{}), key: true},
		{t: tf(Sq(0)), key: true},
		{t: tf(Poly{}), ptr: true},
		{t: tf(ShapeBox{})},
		{t: tf(IfaceHolder{})},
	} {
		// Values needing an addressable receiver (or a pointer method set,
		// for Shape) are registered and held in interfaces as pointers.
		e.iface = e.t
		if e.ptr {
			e.iface = reflect.PointerTo(e.t)
		}
		addPool(e)
		gob.Register(reflect.Zero(e.iface).Interface())
	}
}

// ---- custom value generators for types generic reflection cannot fill ----

func fillHidden(g *Gen, v reflect.Value, depth int) {
	h := Hidden{A: int(g.intVal(64)), hidden: "secret", B: g.bytes(depth)}
	v.Set(reflect.ValueOf(h))
}

func fillWithChan(g *Gen, v reflect.Value, depth int) {
	w := WithChan{N: int(g.intVal(64))}
	if g.pct(50) {
		w.C = make(chan int)
		w.F = func() int { return 1 }
	}
	v.Set(reflect.ValueOf(w))
}

func (g *Gen) timeVal() time.Time {
	var sec int64
	switch g.r.IntN(6) {
	case 0:
		sec = 0
	case 1:
		sec = -62135596800 // year 1
	case 2:
		sec = int64(g.r.Uint64()>>1) - (1 << 62) // far from any real date
	default:
		sec = 946684800 + g.r.Int64N(3e9) - 1e9
	}
	nsec := int64(0)
	if g.pct(60) {
		nsec = g.r.Int64N(1e9)
	}
	t := time.Unix(sec, nsec).UTC()
	switch g.r.IntN(5) {
	case 0:
		t = t.In(time.FixedZone("", (g.r.IntN(2*1440)-1440)*60))
	case 1:
		// An offset with seconds: MarshalBinary version 2. Only positive
		// ones: UnmarshalBinary reads the seconds byte as unsigned, so Go
		// itself does not round-trip a negative one (-330s decodes as -74s,
		// which MarshalBinary then refuses).
		t = t.In(time.FixedZone("X", g.r.IntN(20000)-5000))
		if _, off := t.Zone(); off < 0 && off%60 != 0 {
			t = t.In(time.FixedZone("X", -off))
		}
	case 2:
		if g.pct(30) {
			t = time.Time{}
		}
	}
	return t
}

func fillTime(g *Gen, v reflect.Value, depth int) { v.Set(reflect.ValueOf(g.timeVal())) }

func fillTimeWrap(g *Gen, v reflect.Value, depth int) {
	v.Set(reflect.ValueOf(TimeWrap{Time: g.timeVal(), Note: g.str(depth)}))
}

func fillGobThing(g *Gen, v reflect.Value, depth int) {
	x := GobThing{}
	if !g.pct(15) {
		x = GobThing{a: int32(g.intVal(32)), b: g.str(depth)}
	}
	v.Set(reflect.ValueOf(x))
}

func fillBinOnly(g *Gen, v reflect.Value, depth int) {
	x := BinOnly{}
	if !g.pct(15) {
		x = BinOnly{n: uint16(g.uintVal(16)), tag: g.str(depth)}
	}
	v.Set(reflect.ValueOf(x))
}

func fillBinText(g *Gen, v reflect.Value, depth int) {
	v.Set(reflect.ValueOf(BinText{v: g.intVal(64)}))
}

func fillTextOnly(g *Gen, v reflect.Value, depth int) {
	v.Set(reflect.ValueOf(TextOnly{X: int32(g.intVal(32)), y: int32(g.intVal(32))}))
}

func fillPtrGob(g *Gen, v reflect.Value, depth int) {
	n := g.length(depth)
	x := PtrGob{}
	for i := 0; i < n; i++ {
		x.vals = append(x.vals, int16(g.intVal(16)))
	}
	v.Set(reflect.ValueOf(x))
}

func fillPtrBin(g *Gen, v reflect.Value, depth int) {
	v.Set(reflect.ValueOf(PtrBin{s: g.str(depth)}))
}
