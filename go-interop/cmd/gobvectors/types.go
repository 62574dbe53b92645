package main

// Types used by the cases. Go type names travel on the wire (CommonType.Name
// and interface names), so they match the spec's worked examples (§1, §2, §6)
// and, for cases taken from Go's tests, the names in encoding/gob's tests.

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

// ---- spec §1 / §2 worked examples ----

type Point struct{ X, Y int }

// Square makes Point a Squarer, as in codec_test.go's TestIgnoreInterface.
func (p Point) Square() int { return p.X*p.X + p.Y*p.Y }

type Inner struct{ A int }

type Outer struct {
	I  Inner
	P  *Inner
	S  []Inner
	M  map[string]int
	B  []byte
	Ar [2]bool
}

type Empty struct{}

type Event struct {
	Name string
	When time.Time
}

type Leaf struct{ N int }

type Branch struct {
	Name string
	Kids []Leaf
}

type Holder struct {
	V interface{}
	W int
}

type Outer2 struct{ F interface{} }

type Node struct {
	Val  int
	Kids []*Node
}

// T refers to itself through a slice of values (not pointers): T and []T are
// one recursive pair of definitions.
type T struct {
	Kids []T
	Name string
}

type WithIface struct{ V interface{} }

// Bin is the spec §1.9 BinaryMarshaler example (value receiver, fixed bytes).
type Bin struct{ x int }

func (b Bin) MarshalBinary() ([]byte, error) { return []byte{0xaa, 0x05}, nil }
func (b *Bin) UnmarshalBinary(data []byte) error {
	if len(data) != 2 {
		return errors.New("Bin: bad length")
	}
	b.x = int(data[1])
	return nil
}

// Celsius is a named non-struct type: it travels as a plain float.
type Celsius float64

// ---- net/rpc headers (spec §6); same fields as net/rpc's, incl. the free list ----

type Request struct {
	ServiceMethod string
	Seq           uint64
	next          *Request
}

type Response struct {
	ServiceMethod string
	Seq           uint64
	Error         string
	next          *Response
}

type Args struct{ A, B int }

// ---- dispatcher-shaped payloads (tilores-plugin-api) ----

type EntityInput struct{ ID string }

type Record struct {
	ID   string
	Data map[string]interface{}
}

type SubmitInput struct{ Records []*Record }

// ---- encoder_test.go ----

type ET0 struct {
	A int
	B string
}

type ET2 struct{ X string }

type ET1 struct {
	A    int
	Et2  *ET2
	Next *ET1
}

type ET3 struct {
	A             int
	Et2           *ET2
	DifferentNext *ET1
}

type ET4 struct {
	A    int
	Et2  float64
	Next int
}

// ETList and ETList4 hold ET1 and ET4 in a slice (compile-time checks of
// element types).
type ETList struct {
	A int
	L []ET1
}

type ETList4 struct {
	A int
	L []ET4
}

// PtrTime: a *time.Time field holding the zero time is sent (gob tests the
// pointer, which implements GobEncoder too, not the time).
type PtrTime struct {
	T *time.Time
	N int
}

// OpRemote, OpRemoteTime and OpLocal: Point is met first as L's element, then
// as P, whose wire type differs (Go reuses the operation built for Point).
type OpRemote struct {
	L []Point
	P int
}

type OpRemoteTime struct {
	L []Point
	P time.Time
}

type OpLocal struct {
	L []Point
	P Point
}

type Type0 struct{ A int }
type Type1 struct{ A uint }
type Type2 struct{ A ****float64 }
type Type4 struct{ A int }
type Type5 struct {
	A [3]string
	B [3]byte
}
type Type6 struct{ A [2]string }
type Type7 struct {
	B []bool
	I []int
	S []string
	F []float64
}

type Struct struct{ A string }
type NonStruct string

type interfaceIndirectTestI interface{ F() bool }
type interfaceIndirectTestT struct{}

func (*interfaceIndirectTestT) F() bool { return true }

type Struct0 struct{ I interface{} }
type NewType0 struct{ S string }

type Bug0Outer struct{ Bug0Field interface{} }
type Bug0Inner struct{ A int }

type Bug1Elem struct {
	Name string
	Id   int
}
type Bug1StructMap map[string]Bug1Elem

type Bug2 struct {
	A   int
	C   chan int
	CP  *chan int
	F   func()
	FPP **func()
}

type Bug3 struct {
	Num      int
	Children []*Bug3
}

type Z struct{}

type OnTheFly struct{ A int }

type DT struct {
	A     int
	B     string
	C     float64
	I     interface{}
	J     interface{}
	I_nil interface{}
	M     map[string]int
	T     [3]int
	S     []string
}

// ---- codec_test.go ----

type T0 struct{ A, B, C, D int }
type T1 struct {
	A int
	B *int
	C **int
	D ***int
}
type T2 struct {
	A ***int
	B **int
	C *int
	D int
}

type RT0 struct {
	A int
	B string
	C float64
}
type RT1 struct {
	C      float64
	B      string
	A      int
	NotSet string
}

type IT0 struct {
	A        int64
	B        string
	Ignore_d []int
	Ignore_e [3]float64
	Ignore_f bool
	Ignore_g string
	Ignore_h []byte
	Ignore_i *RT1
	Ignore_m map[string]int
	C        float64
}

type RT struct {
	A    string
	Next *RT
}

type Indirect struct {
	A ***[3]int
	S ***[]int
	M ****map[string]int
}

type Direct struct {
	A [3]int
	S []int
	M map[string]int
}

type Squarer interface{ Square() int }

type Int int

func (i Int) Square() int { return int(i * i) }

type Float float64

func (f Float) Square() int { return int(f * f) }

type Vector []int

func (v Vector) Square() int {
	sum := 0
	for _, x := range v {
		sum += x * x
	}
	return sum
}

type InterfaceItem struct {
	I             int
	Sq1, Sq2, Sq3 Squarer
	F             float64
	Sq            []Squarer
}

type NoInterfaceItem struct {
	I int
	F float64
}

type BasicInterfaceItem struct {
	Int, Int8, Int16, Int32, Int64      interface{}
	Uint, Uint8, Uint16, Uint32, Uint64 interface{}
	Float32, Float64                    interface{}
	Complex64, Complex128               interface{}
	Bool                                interface{}
	String                              interface{}
	Bytes                               interface{}
}

type String string

type PtrInterfaceItem struct {
	Str1 interface{}
	Str2 interface{}
}

type U struct {
	A int
	B string
	c float64
	D uint
}

type inputT struct {
	Maxi int64
	Mini int64
	Maxu uint64
	Maxf float64
	Minf float64
	Maxc complex128
	Minc complex128
}

type outi8 struct{ Maxi, Mini int8 }
type outi16 struct{ Maxi, Mini int16 }
type outi32 struct{ Maxi, Mini int32 }
type outu8 struct{ Maxu uint8 }
type outu16 struct{ Maxu uint16 }
type outu32 struct{ Maxu uint32 }
type outf32 struct{ Maxf, Minf float32 }
type outc64 struct{ Maxc, Minc complex64 }

type LargeSliceByte struct{ S []byte }
type LargeSliceInt8 struct{ S []int8 }
type StringPair struct{ A, B string }
type LargeSliceStruct struct{ S []StringPair }
type LargeSliceString struct{ S []string }

// ---- gobencdec_test.go ----

type ByteStruct struct{ a byte }
type StringStruct struct{ s string }
type ArrayStruct struct{ a [8192]byte }
type Gobber int
type ValueGobber string
type BinaryGobber int
type BinaryValueGobber string
type TextGobber int
type TextValueGobber string

func (g *ByteStruct) GobEncode() ([]byte, error) {
	return []byte{g.a, g.a + 1, g.a + 2}, nil
}

func (g *ByteStruct) GobDecode(data []byte) error {
	if g == nil {
		return errors.New("NIL RECEIVER")
	}
	if len(data) == 0 {
		return io.EOF
	}
	g.a = data[0]
	for i, c := range data {
		if c != g.a+byte(i) {
			return errors.New("invalid data sequence")
		}
	}
	return nil
}

func (g *StringStruct) GobEncode() ([]byte, error) { return []byte(g.s), nil }

func (g *StringStruct) GobDecode(data []byte) error {
	if len(data) == 0 {
		return io.EOF
	}
	a := data[0]
	for i, c := range data {
		if c != a+byte(i) {
			return errors.New("invalid data sequence")
		}
	}
	g.s = string(data)
	return nil
}

func (a *ArrayStruct) GobEncode() ([]byte, error) { return a.a[:], nil }

func (a *ArrayStruct) GobDecode(data []byte) error {
	if len(data) != len(a.a) {
		return errors.New("wrong length in array decode")
	}
	copy(a.a[:], data)
	return nil
}

func (g *Gobber) GobEncode() ([]byte, error) { return []byte(fmt.Sprintf("VALUE=%d", *g)), nil }
func (g *Gobber) GobDecode(data []byte) error {
	_, err := fmt.Sscanf(string(data), "VALUE=%d", (*int)(g))
	return err
}

func (g *BinaryGobber) MarshalBinary() ([]byte, error) {
	return []byte(fmt.Sprintf("VALUE=%d", *g)), nil
}
func (g *BinaryGobber) UnmarshalBinary(data []byte) error {
	_, err := fmt.Sscanf(string(data), "VALUE=%d", (*int)(g))
	return err
}

func (g *TextGobber) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("VALUE=%d", *g)), nil }
func (g *TextGobber) UnmarshalText(data []byte) error {
	_, err := fmt.Sscanf(string(data), "VALUE=%d", (*int)(g))
	return err
}

func (v ValueGobber) GobEncode() ([]byte, error) { return []byte(fmt.Sprintf("VALUE=%s", v)), nil }
func (v *ValueGobber) GobDecode(data []byte) error {
	_, err := fmt.Sscanf(string(data), "VALUE=%s", (*string)(v))
	return err
}

func (v BinaryValueGobber) MarshalBinary() ([]byte, error) {
	return []byte(fmt.Sprintf("VALUE=%s", v)), nil
}
func (v *BinaryValueGobber) UnmarshalBinary(data []byte) error {
	_, err := fmt.Sscanf(string(data), "VALUE=%s", (*string)(v))
	return err
}

func (v TextValueGobber) MarshalText() ([]byte, error) {
	return []byte(fmt.Sprintf("VALUE=%s", v)), nil
}
func (v *TextValueGobber) UnmarshalText(data []byte) error {
	_, err := fmt.Sscanf(string(data), "VALUE=%s", (*string)(v))
	return err
}

type GobTest0 struct {
	X int
	G *ByteStruct
}
type GobTest1 struct {
	X int
	G *StringStruct
}
type GobTest2 struct {
	X int
	G string
}
type GobTest3 struct {
	X int
	G *Gobber
	B *BinaryGobber
	T *TextGobber
}
type GobTest4 struct {
	X  int
	V  ValueGobber
	BV BinaryValueGobber
	TV TextValueGobber
}
type GobTest5 struct {
	X  int
	V  *ValueGobber
	BV *BinaryValueGobber
	TV *TextValueGobber
}
type GobTest6 struct {
	X  int
	V  ValueGobber
	W  *ValueGobber
	BV BinaryValueGobber
	BW *BinaryValueGobber
	TV TextValueGobber
	TW *TextValueGobber
}
type GobTest7 struct {
	X  int
	V  *ValueGobber
	W  ValueGobber
	BV *BinaryValueGobber
	BW BinaryValueGobber
	TV *TextValueGobber
	TW TextValueGobber
}
type GobTestIgnoreEncoder struct{ X int }
type GobTestValueEncDec struct {
	X int
	G StringStruct
}
type GobTestIndirectEncDec struct {
	X int
	G ***StringStruct
}
type GobTestArrayEncDec struct {
	X int
	A ArrayStruct
}
type GobTestIndirectArrayEncDec struct {
	X int
	A ***ArrayStruct
}

type gobDecoderBug0 struct{ foo, bar string }

func (br *gobDecoderBug0) String() string             { return br.foo + "-" + br.bar }
func (br *gobDecoderBug0) GobEncode() ([]byte, error) { return []byte(br.String()), nil }
func (br *gobDecoderBug0) GobDecode(b []byte) error {
	br.foo, br.bar = "foo", "bar"
	return nil
}

type isZeroBug struct {
	T time.Time
	S string
	I int
	A isZeroBugArray
	F isZeroBugInterface
}

type isZeroBugArray [2]uint8

func (a isZeroBugArray) GobEncode() ([]byte, error) { return append([]byte(nil), a[:]...), nil }
func (a *isZeroBugArray) GobDecode(data []byte) error {
	if len(data) != len(a) {
		return io.EOF
	}
	a[0], a[1] = data[0], data[1]
	return nil
}

type isZeroBugInterface struct{ I interface{} }

func (i isZeroBugInterface) GobEncode() ([]byte, error)   { return []byte{}, nil }
func (i *isZeroBugInterface) GobDecode(data []byte) error { return nil }

// ---- marshaler preference (spec §1.9) ----

// BothMarshalers has GobEncode and MarshalBinary: gob must pick GobEncode.
type BothMarshalers struct{ v byte }

func (b BothMarshalers) GobEncode() ([]byte, error)      { return []byte{'g', b.v}, nil }
func (b *BothMarshalers) GobDecode(d []byte) error       { b.v = d[len(d)-1]; return nil }
func (b BothMarshalers) MarshalBinary() ([]byte, error)  { return []byte{'b', b.v}, nil }
func (b *BothMarshalers) UnmarshalBinary(d []byte) error { b.v = d[len(d)-1]; return nil }

// TextOnly implements only TextMarshaler: gob encodes its structure.
type TextOnly struct{ A int }

func (t TextOnly) MarshalText() ([]byte, error) { return []byte(fmt.Sprint("text:", t.A)), nil }
func (t *TextOnly) UnmarshalText(b []byte) error {
	_, err := fmt.Sscanf(string(b), "text:%d", &t.A)
	return err
}

// BinOnly is a BinaryMarshaler; GobOnly a GobDecoder with the same name shape.
type BinOnly struct{ v byte }

func (b BinOnly) MarshalBinary() ([]byte, error)  { return []byte{b.v}, nil }
func (b *BinOnly) UnmarshalBinary(d []byte) error { b.v = d[0]; return nil }

type GobOnly struct{ v byte }

func (g GobOnly) GobEncode() ([]byte, error) { return []byte{g.v}, nil }
func (g *GobOnly) GobDecode(d []byte) error  { g.v = d[0]; return nil }

// GE is a GobEncoder with a value receiver, sent through a pointer at top
// level (spec §1.6 quirk: the definition's inner Id is one higher).
type GE struct{ v byte }

func (g GE) GobEncode() ([]byte, error) { return []byte{0x47, g.v}, nil }
func (g *GE) GobDecode(d []byte) error  { g.v = d[1]; return nil }

// GEFields is a GobEncoder struct with exported fields: gob still sends
// definitions for the fields' types although they are never used.
type GEFields struct {
	Vals []float64
	Tag  string
}

func (g GEFields) GobEncode() ([]byte, error) { return []byte(g.Tag), nil }
func (g *GEFields) GobDecode(d []byte) error  { g.Tag = string(d); return nil }

// ZeroGobField shows gob's zero test for marshaler fields: reflect's IsZero
// on the method receiver. G (pointer receiver on a value field) is reached
// through its address, which is never zero, so it is always sent. IsZero is
// numeric for floats and uses == for structs, so N and S holding -0.0 are
// zero (omitted), like plain float fields.
type ZeroGobField struct {
	X int
	G Gobber
	T time.Time
	B BinaryValueGobber
	N NegZeroGob
	S NegZeroGobStruct
}

// NegZeroGob and NegZeroGobStruct are GobEncoders with value receivers.
type NegZeroGob float64

func (n NegZeroGob) GobEncode() ([]byte, error) { return []byte(fmt.Sprint(float64(n))), nil }
func (n *NegZeroGob) GobDecode(b []byte) error {
	_, err := fmt.Sscan(string(b), (*float64)(n))
	return err
}

type NegZeroGobStruct struct{ F float64 }

func (n NegZeroGobStruct) GobEncode() ([]byte, error) { return []byte(fmt.Sprint(n.F)), nil }
func (n *NegZeroGobStruct) GobDecode(b []byte) error {
	_, err := fmt.Sscan(string(b), &n.F)
	return err
}

// ---- registry naming (spec §3) ----

type N1 struct{ A int }
type N2 struct{ B int }

type Pair[K, V any] struct {
	Key K
	Val V
}

// LongNamed is registered under a 1100-byte name (decoders reject > 1024).
type LongNamed struct{ A int }

var longName = strings.Repeat("L", 1100)

// ---- misc ----

type Base struct{ A int }
type Derived struct {
	Base
	B int
}
type Flat struct{ A, B int }

type Delta7Bool struct {
	F0, F1, F2, F3, F4, F5 int
	G                      bool
}
type Delta7Int struct {
	F0, F1, F2, F3, F4, F5 int
	G                      int
}
type Delta7Uint struct {
	F0, F1, F2, F3, F4, F5 int
	G                      uint
}
type Delta7Float struct {
	F0, F1, F2, F3, F4, F5 int
	G                      float64
}
type Delta7Complex struct {
	F0, F1, F2, F3, F4, F5 int
	G                      complex128
}
type Delta7Bytes struct {
	F0, F1, F2, F3, F4, F5 int
	G                      []byte
}
type Delta7String struct {
	F0, F1, F2, F3, F4, F5 int
	G                      string
}

type Floats struct {
	F64 float64
	F32 float32
	C   complex128
	Tag string
}

type ZeroKinds struct {
	Bool      bool
	Int       int
	Uint      uint
	Float     float64
	Complex   complex64
	Str       string
	Bytes     []byte
	EmptyList []int
	NilList   []int
	EmptyMap  map[string]int
	NilMap    map[string]int
	Ptr       *int
	Iface     interface{}
	Struct    Inner
	Array     [2]int
	Time      time.Time
	ZeroArr   [0]int
}

type ExoticKeys struct {
	ByStruct  map[Point]string
	ByArray   map[[2]int]string
	ByComplex map[complex128]string
	ByFloat   map[float64]string
	ByBool    map[bool]int
}

type WithZeroArray struct {
	A [0]int
	B int
}

type Temperature struct {
	Name string
	C    Celsius
}

func init() {
	// TestInterface / TestIgnoreInterface.
	gobjson.Register(Int(0))
	gobjson.Register(Int(0)) // checklist 109: registering the same value twice is fine
	gobjson.Register(Float(0))
	gobjson.Register(Vector{})
	gobjson.Register(Point{})
	// TestInterfacePointer registers the value type and sends pointers.
	gobjson.Register(String(""))
	// TestDecodeIntoNothing, TestInterfaceIndirect, Test29ElementSlice.
	gobjson.Register(new(NewType0))
	gobjson.Register(&interfaceIndirectTestT{})
	gobjson.Register(Z{})
	// TestNestedInterfaces.
	gobjson.Register(new(Bug0Outer))
	gobjson.Register(new(Bug0Inner))
	// TestFuzzOneByte's DT.
	gobjson.Register(OnTheFly{})
	// Spec §2.2, §2.4, §2.5 and the dispatcher payloads.
	gobjson.Register([]interface{}{})
	gobjson.Register(map[string]interface{}{})
	gobjson.Register(Branch{})
	gobjson.Register(&Outer2{})
	gobjson.Register(Leaf{})
	gobjson.Register(time.Time{}) // not pre-registered by gob: the dispatcher API registers it too
	gobjson.Register(&EntityInput{})
	gobjson.Register(&SubmitInput{})
	// Spec §3 naming.
	gobjson.Register(&N1{})
	gobjson.Register(N2{})
	gobjson.Register(struct{}{})
	gobjson.Register([2]string{})
	gobjson.Register(map[int][]string{})
	gobjson.Register([][]uint8{})
	gobjson.Register([]*Point{})
	gobjson.Register(Pair[string, int]{})
	gobjson.Register(Pair[Point, []string]{})
	gobjson.Register(Celsius(0))
	gobjson.Register(GE{})
	gobjson.Register(Bin{})
	gobjson.RegisterName(longName, LongNamed{})
}
