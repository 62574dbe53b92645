// Command gobwiretypes writes gob streams whose type definitions set several of
// wireType's seven fields at once (Go's encoder never writes one: the bytes are
// assembled here; Go's decoder, recvType, stores whatever a definition sets)
// and prints, per stream, what Go's decoder makes of it for destinations of
// every kind. tests/gob_wiretypes.rs decodes the same bytes into the Rust twins
// of those destinations and compares the decisions and the values.
//
//	gobwiretypes -seed S -count N    one JSON line per stream on stdout
//
// A stream defines one type M (a random subset of ArrayT, SliceT, StructT,
// MapT, GobEncoderT, BinaryMarshalerT, TextMarshalerT, each with a random
// shape), then holds one value in one of three forms:
//
//	top:   a value of M at top level
//	field: struct {A int; F M}
//	iface: struct {A int; F interface{}} with F a value of M under a registered
//	       name (map[string]int, []int, [2]int, main.S, time.Time, main.Bin)
//
// The value's bytes are written as one of M's kinds (or a marshaler's bytes),
// chosen at random, with the singleton marker a whole value of that kind has
// (sometimes the other form), so that Go's choice of field decides the result.
// Each destination's result is {"ok":true,"value":V} or {"ok":false,"error":E}
// with V in a JSON shape both sides produce: maps as objects, slices and arrays
// as lists, S as {"A","B"}, time.Time and main.Bin as the hex of their
// MarshalBinary, an interface as {"name","value"} (null when nil).
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"time"
)

// S is the struct destination.
type S struct {
	A int
	B string
}

// Bin is a BinaryMarshaler that is no GobDecoder (time.Time is both: Go takes
// it as a GobDecoder).
type Bin []byte

func (b Bin) MarshalBinary() ([]byte, error) { return []byte(b), nil }

func (b *Bin) UnmarshalBinary(p []byte) error {
	*b = append(Bin{}, p...)
	return nil
}

type (
	WMap struct {
		A int
		F map[string]int
	}
	WSlice struct {
		A int
		F []int
	}
	WArray struct {
		A int
		F [2]int
	}
	WStruct struct {
		A int
		F S
	}
	WTime struct {
		A int
		F time.Time
	}
	WBin struct {
		A int
		F Bin
	}
	WIgnore struct{ A int }
	WIface  struct {
		A int
		F interface{}
	}
)

// The names an interface value may carry, each registered with its type.
var names = []string{"map[string]int", "[]int", "[2]int", "main.S", "time.Time", "main.Bin"}

func init() {
	gob.RegisterName("map[string]int", map[string]int{})
	gob.RegisterName("[]int", []int{})
	gob.RegisterName("[2]int", [2]int{})
	gob.RegisterName("main.S", S{})
	gob.RegisterName("time.Time", time.Time{})
	gob.RegisterName("main.Bin", Bin{})
}

// Gob's wire primitives.
type buf struct{ b []byte }

func (w *buf) uint(x uint64) {
	if x < 128 {
		w.b = append(w.b, byte(x))
		return
	}
	var be [8]byte
	binary.BigEndian.PutUint64(be[:], x)
	i := 0
	for be[i] == 0 {
		i++
	}
	w.b = append(w.b, byte(-(8 - i)))
	w.b = append(w.b, be[i:]...)
}

func (w *buf) int(x int64) {
	var u uint64
	if x < 0 {
		u = uint64(^x<<1) | 1
	} else {
		u = uint64(x << 1)
	}
	w.uint(u)
}

func (w *buf) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *buf) message(content []byte) {
	w.uint(uint64(len(content)))
	w.b = append(w.b, content...)
}

const (
	tInt    = 2
	tString = 6
	tIface  = 8
	idM     = 65
	idW     = 66
)

// The wireType fields, in Go's order.
const (
	kArray = iota
	kSlice
	kStruct
	kMap
	kGob
	kBinary
	kText
	nKinds
)

var kindNames = []string{"array", "slice", "struct", "map", "gob", "binary", "text"}

type gen struct {
	r *rand.Rand
	// The shape chosen for each kind set.
	arrayElem, arrayLen, sliceElem, mapElem int64
	structFields                            [][2]interface{}
	common                                  [nKinds]bool
	// Whether a marshaler value was written as bytes that are no time.Time.
	junk bool
}

func (g *gen) elem() int64 {
	if g.r.Intn(4) == 0 {
		return tString
	}
	return tInt
}

// commonType writes a CommonType as field 0 of an inner struct (or leaves it
// out) and returns the delta of the inner struct's field 1.
func (g *gen) commonType(w *buf, k int, name string) uint64 {
	if !g.common[k] {
		return 2
	}
	w.uint(1)
	if name != "" {
		w.uint(1)
		w.str(name)
		w.uint(1)
	} else {
		w.uint(2)
	}
	w.int(idM)
	w.uint(0)
	return 1
}

// definition writes wireType with the fields in set.
func (g *gen) definition(set [nKinds]bool) []byte {
	var w buf
	w.int(-idM)
	prev := -1
	for k := 0; k < nKinds; k++ {
		if !set[k] {
			continue
		}
		w.uint(uint64(k - prev))
		prev = k
		switch k {
		case kArray:
			w.uint(g.commonType(&w, k, ""))
			w.int(g.arrayElem)
			w.uint(1)
			w.int(g.arrayLen)
			w.uint(0)
		case kSlice:
			w.uint(g.commonType(&w, k, ""))
			w.int(g.sliceElem)
			w.uint(0)
		case kStruct:
			d := g.commonType(&w, k, "S")
			if len(g.structFields) > 0 {
				w.uint(d)
				w.uint(uint64(len(g.structFields)))
				for _, f := range g.structFields {
					w.uint(1)
					w.str(f[0].(string))
					w.uint(1)
					w.int(f[1].(int64))
					w.uint(0)
				}
			}
			w.uint(0)
		case kMap:
			w.uint(g.commonType(&w, k, ""))
			w.int(tString)
			w.uint(1)
			w.int(g.mapElem)
			w.uint(0)
		default:
			g.commonType(&w, k, "T")
			w.uint(0)
		}
	}
	w.uint(0)
	return w.b
}

// elemValue writes a value of builtin type t.
func (g *gen) elemValue(w *buf, t int64) {
	if t == tString {
		w.str([]string{"x", "yy", ""}[g.r.Intn(3)])
	} else {
		w.int(int64(g.r.Intn(200) - 100))
	}
}

// value writes a value of M as kind k; whole says whether it is a whole value
// (top level or interface payload), which has the singleton marker unless it is
// a struct.
func (g *gen) value(w *buf, k int, whole bool) {
	marker := whole && k != kStruct
	if whole && g.r.Intn(8) == 0 {
		marker = !marker
	}
	if marker {
		w.uint(0)
	}
	switch k {
	// Maps and slices hold at least one element: Go checks element types when it
	// compiles its decoder, ours when it decodes an element (a difference that is not
	// about wireType, seen only with no element).
	case kArray, kSlice:
		t, n := g.sliceElem, 1+g.r.Intn(2)
		if k == kArray {
			t, n = g.arrayElem, int(g.arrayLen)
			if g.r.Intn(6) == 0 {
				n = g.r.Intn(4)
			}
		}
		w.uint(uint64(n))
		for i := 0; i < n; i++ {
			g.elemValue(w, t)
		}
	case kMap:
		n := 1 + g.r.Intn(2)
		w.uint(uint64(n))
		for i := 0; i < n; i++ {
			w.str([]string{"a", "b", "c"}[i])
			g.elemValue(w, g.mapElem)
		}
	case kStruct:
		prev := -1
		for i, f := range g.structFields {
			if g.r.Intn(4) == 0 {
				continue
			}
			w.uint(uint64(i - prev))
			prev = i
			g.elemValue(w, f[1].(int64))
		}
		w.uint(0)
	default:
		t := time.Unix(int64(g.r.Intn(2_000_000_000)), int64(g.r.Intn(1_000_000_000))).UTC()
		if g.r.Intn(2) == 0 {
			t = t.In(time.FixedZone("", 3600*(g.r.Intn(5)-2)))
		}
		b, _ := t.MarshalBinary()
		if g.r.Intn(5) == 0 {
			b = []byte{byte(g.r.Intn(256)), 7}
			g.junk = true
		}
		w.str(string(b))
	}
}

// fits lists the destinations whose element types, length and (for time.Time)
// bytes fit what was written, so that Go's destination of a kind stands for
// every Go type of that kind (the dynamic decoder has no destination).
func (g *gen) fits(as int) []string {
	out := []string{"binary"}
	if g.mapElem == tInt {
		out = append(out, "map")
	}
	if g.sliceElem == tInt {
		out = append(out, "slice")
	}
	if g.arrayElem == tInt && g.arrayLen == 2 {
		out = append(out, "array")
	}
	match, wrong := false, false
	for _, f := range g.structFields {
		switch {
		case f[0] == "A" && f[1] == int64(tInt), f[0] == "B" && f[1] == int64(tString):
			match = true
		case f[0] == "A", f[0] == "B":
			wrong = true
		}
	}
	if match && !wrong {
		out = append(out, "struct")
	}
	if as >= kGob && !g.junk {
		out = append(out, "time")
	}
	return out
}

type result struct {
	OK    bool        `json:"ok"`
	Value interface{} `json:"value,omitempty"`
	Error string      `json:"error,omitempty"`
}

type record struct {
	Seed    int64             `json:"seed"`
	Form    string            `json:"form"`
	Kinds   []string          `json:"kinds"`
	As      string            `json:"as"`
	Name    string            `json:"name,omitempty"`
	Stream  string            `json:"stream"`
	Fits    []string          `json:"fits"`
	Results map[string]result `json:"results"`
}

func hexOf(m interface{ MarshalBinary() ([]byte, error) }) string {
	b, err := m.MarshalBinary()
	if err != nil {
		return "error: " + err.Error()
	}
	return hex.EncodeToString(b)
}

// jsonOf gives a destination's value in the shape tests/gob_wiretypes.rs builds.
func jsonOf(v interface{}) interface{} {
	switch v := v.(type) {
	case map[string]int:
		if v == nil {
			return map[string]int{}
		}
		return v
	case []int:
		if v == nil {
			return []int{}
		}
		return v
	case [2]int:
		return v[:]
	case S:
		return map[string]interface{}{"A": v.A, "B": v.B}
	case time.Time:
		return hexOf(v)
	case Bin:
		return hex.EncodeToString(v)
	case WMap:
		return map[string]interface{}{"A": v.A, "F": jsonOf(v.F)}
	case WSlice:
		return map[string]interface{}{"A": v.A, "F": jsonOf(v.F)}
	case WArray:
		return map[string]interface{}{"A": v.A, "F": jsonOf(v.F)}
	case WStruct:
		return map[string]interface{}{"A": v.A, "F": jsonOf(v.F)}
	case WTime:
		return map[string]interface{}{"A": v.A, "F": jsonOf(v.F)}
	case WBin:
		return map[string]interface{}{"A": v.A, "F": jsonOf(v.F)}
	case WIgnore:
		return map[string]interface{}{"A": v.A}
	case WIface:
		var f interface{}
		if v.F != nil {
			// Each registered name is its type's %T.
			f = map[string]interface{}{"name": fmt.Sprintf("%T", v.F), "value": jsonOf(v.F)}
		}
		return map[string]interface{}{"A": v.A, "F": f}
	}
	return fmt.Sprintf("unexpected %T", v)
}

// decode runs Go's decoder on stream into a new value of dst's type (nil:
// Decode(nil)).
func decode(stream []byte, dst interface{}) (res result) {
	defer func() {
		if p := recover(); p != nil {
			res = result{Error: fmt.Sprintf("panic: %v", p)}
		}
	}()
	dec := gob.NewDecoder(bytes.NewReader(stream))
	if dst == nil {
		// Decode(nil) discards the value (decodeIgnoredValue); DecodeValue with the
		// zero reflect.Value is the same call without vet's pointer check.
		if err := dec.DecodeValue(reflect.Value{}); err != nil {
			return result{Error: err.Error()}
		}
		return result{OK: true}
	}
	if err := dec.Decode(dst); err != nil {
		return result{Error: err.Error()}
	}
	// dst is a pointer to the destination.
	return result{OK: true, Value: jsonOf(deref(dst))}
}

func deref(p interface{}) interface{} {
	switch p := p.(type) {
	case *map[string]int:
		return *p
	case *[]int:
		return *p
	case *[2]int:
		return *p
	case *S:
		return *p
	case *time.Time:
		return *p
	case *Bin:
		return *p
	case *WMap:
		return *p
	case *WSlice:
		return *p
	case *WArray:
		return *p
	case *WStruct:
		return *p
	case *WTime:
		return *p
	case *WBin:
		return *p
	case *WIgnore:
		return *p
	case *WIface:
		return *p
	}
	return nil
}

func one(seed int64) record {
	r := rand.New(rand.NewSource(seed))
	g := &gen{r: r}
	g.arrayElem, g.sliceElem, g.mapElem = g.elem(), g.elem(), g.elem()
	g.arrayLen = int64(2 + r.Intn(2)*(r.Intn(3)-1))
	switch r.Intn(4) {
	case 0:
		g.structFields = [][2]interface{}{{"A", int64(tInt)}, {"B", int64(tString)}}
	case 1:
		g.structFields = [][2]interface{}{{"B", int64(tString)}, {"X", int64(tInt)}}
	case 2:
		g.structFields = [][2]interface{}{{"X", int64(tInt)}}
	default:
		// Field types are always S's: a field of another type fails Go's engine
		// compilation even when the value leaves it out, which our decoder checks only
		// for a field that is present (a difference that is not about wireType).
		g.structFields = [][2]interface{}{{"A", int64(tInt)}}
	}
	for k := range g.common {
		g.common[k] = r.Intn(3) != 0
	}
	// Mostly two or three fields; sometimes one or none (the rules' edges).
	var set [nKinds]bool
	var kinds []string
	for _, k := range r.Perm(nKinds)[:[]int{0, 1, 2, 2, 2, 3, 3, 4}[r.Intn(8)]] {
		set[k] = true
	}
	for k := 0; k < nKinds; k++ {
		if set[k] {
			kinds = append(kinds, kindNames[k])
		}
	}
	// The kind the value is written as: mostly one the definition sets.
	as := r.Intn(nKinds)
	if len(kinds) > 0 && r.Intn(5) != 0 {
		for {
			if set[as] {
				break
			}
			as = r.Intn(nKinds)
		}
	}
	rec := record{Seed: seed, Kinds: kinds, As: kindNames[as], Results: map[string]result{}}
	if rec.Kinds == nil {
		rec.Kinds = []string{}
	}
	var s buf
	s.message(g.definition(set))
	a := int64(r.Intn(7) - 3)
	switch r.Intn(3) {
	case 0:
		rec.Form = "top"
		var v buf
		v.int(idM)
		g.value(&v, as, true)
		s.message(v.b)
	case 1:
		rec.Form = "field"
		s.message(wrapperDef(idW, idM))
		var v buf
		v.int(idW)
		v.uint(1)
		v.int(a)
		v.uint(1)
		g.value(&v, as, false)
		v.uint(0)
		s.message(v.b)
	default:
		rec.Form = "iface"
		rec.Name = names[r.Intn(len(names))]
		s.message(wrapperDef(idW, tIface))
		var v buf
		v.int(idW)
		v.uint(1)
		v.int(a)
		v.uint(1)
		v.str(rec.Name)
		v.int(idM)
		var p buf
		g.value(&p, as, true)
		v.uint(uint64(len(p.b)))
		v.b = append(v.b, p.b...)
		v.uint(0)
		s.message(v.b)
	}
	rec.Stream = hex.EncodeToString(s.b)
	rec.Fits = g.fits(as)
	dsts := map[string]func() interface{}{}
	switch rec.Form {
	case "top":
		dsts = map[string]func() interface{}{
			"map":    func() interface{} { return new(map[string]int) },
			"slice":  func() interface{} { return new([]int) },
			"array":  func() interface{} { return new([2]int) },
			"struct": func() interface{} { return new(S) },
			"time":   func() interface{} { return new(time.Time) },
			"binary": func() interface{} { return new(Bin) },
		}
	case "field":
		dsts = map[string]func() interface{}{
			"map":    func() interface{} { return new(WMap) },
			"slice":  func() interface{} { return new(WSlice) },
			"array":  func() interface{} { return new(WArray) },
			"struct": func() interface{} { return new(WStruct) },
			"time":   func() interface{} { return new(WTime) },
			"binary": func() interface{} { return new(WBin) },
			"ignore": func() interface{} { return new(WIgnore) },
		}
	case "iface":
		dsts = map[string]func() interface{}{
			"iface": func() interface{} { return new(WIface) },
		}
	}
	for name, mk := range dsts {
		rec.Results[name] = decode(s.b, mk())
	}
	rec.Results["discard"] = decode(s.b, nil)
	return rec
}

func main() {
	seed := flag.Int64("seed", 1, "first seed")
	count := flag.Int("count", 100, "streams")
	flag.Parse()
	out := json.NewEncoder(os.Stdout)
	for i := 0; i < *count; i++ {
		if err := out.Encode(one(*seed + int64(i))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}

// wrapperDef is the definition of struct W { A int; F <fieldType> } under id idW: the
// wrapper that carries the tested value as its field F.
func wrapperDef(idW, fieldType int64) []byte {
	var d buf
	d.int(-idW)
	d.uint(3) // StructT
	d.uint(1) // CommonType
	d.uint(1)
	d.str("W")
	d.uint(1)
	d.int(idW)
	d.uint(0)
	d.uint(1) // Field: two of them
	d.uint(2)
	d.uint(1)
	d.str("A")
	d.uint(1)
	d.int(tInt)
	d.uint(0)
	d.uint(1)
	d.str("F")
	d.uint(1)
	d.int(fieldType)
	d.uint(0)
	d.uint(0)
	d.uint(0)
	return d.b
}
