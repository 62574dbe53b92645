package main

// Random streams and types. Everything is drawn from one PCG stream seeded by
// (seed, attempt), so check/mutate rebuild exactly the types (and values,
// and the lazy gob registrations) that `one` encoded.

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
)

const (
	maxTypeDepth = 4
	maxValDepth  = 8
)

type Gen struct {
	r         *rand.Rand
	budget    int  // remaining element allowance for the current value
	smallMaps bool // maps hold at most one entry: the stream stays deterministic
}

func newGen(seed uint64, attempt int) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15^(uint64(attempt)*0xBF58476D1CE4E5B9)))}
}

func (g *Gen) pct(p int) bool { return g.r.IntN(100) < p }

// Stream is one generated gob stream: value i has type Types[i] and is held
// as a pointer in Vals[i] (gob flattens it; a pointer makes every value
// addressable, which pointer-receiver marshalers need).
type Stream struct {
	Seed    uint64
	Attempt int
	Mode    string // normal | big | deep
	Types   []reflect.Type
	Vals    []reflect.Value
}

func generate(seed uint64, attempt int) *Stream {
	g := newGen(seed, attempt)
	s := &Stream{Seed: seed, Attempt: attempt, Mode: "normal"}
	switch x := g.r.IntN(1000); {
	case x < 15:
		s.Mode = "big"
	case x < 45:
		s.Mode = "deep"
	}
	g.smallMaps = g.pct(45)
	types := make([]reflect.Type, 1+g.r.IntN(4))
	for i := range types {
		types[i] = g.topType()
	}
	var special func(v reflect.Value)
	if s.Mode != "normal" {
		types[0], special = g.specialType(s.Mode)
	}
	nv := 1 + g.r.IntN(6)
	for i := 0; i < nv; i++ {
		ti := 0
		if i > 0 {
			ti = g.r.IntN(len(types))
		}
		t := types[ti]
		p := reflect.New(t)
		g.budget = 60 + g.r.IntN(500)
		if i == 0 && special != nil {
			special(p.Elem())
		} else {
			g.fill(p.Elem(), 0, false)
		}
		s.Types = append(s.Types, t)
		s.Vals = append(s.Vals, p)
	}
	return s
}

// encodeStream encodes all values with one Encoder, as `one` does.
func encodeStream(s *Stream) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	var buf bytes.Buffer
	if err := encodeValues(&buf, s.Vals); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeValues encodes the values (pointers to them) with one Encoder.
func encodeValues(w io.Writer, vals []reflect.Value) error {
	enc := gob.NewEncoder(w)
	for i, v := range vals {
		t := v.Type().Elem()
		if t.Kind() == reflect.Pointer {
			v = v.Elem() // see topType: no extra indirection over a marshaler
		}
		if err := enc.Encode(v.Interface()); err != nil {
			return fmt.Errorf("value %d (%s): %w", i, short(t.String(), 200), err)
		}
	}
	return nil
}

func (s *Stream) mapFree() bool {
	for _, v := range s.Vals {
		if !mapFreeValue(v) {
			return false
		}
	}
	return true
}

// mapFreeValue reports whether v holds no map with 2+ entries, i.e. whether
// Go's encoding of it is deterministic.
func mapFreeValue(v reflect.Value) bool {
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return true
		}
		return mapFreeValue(v.Elem())
	}
	if extKind(t) != 0 {
		return true
	}
	switch t.Kind() {
	case reflect.Map:
		if v.Len() >= 2 {
			return false
		}
		it := v.MapRange()
		for it.Next() {
			if !mapFreeValue(it.Key()) || !mapFreeValue(it.Value()) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return true
		}
		for i := 0; i < v.Len(); i++ {
			if !mapFreeValue(v.Index(i)) {
				return false
			}
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); isSent(&f) && !mapFreeValue(v.Field(i)) {
				return false
			}
		}
	}
	return true
}

// isSent mirrors encoding/gob: exported, and not a chan or func (or pointer
// to one).
func isSent(f *reflect.StructField) bool {
	if !f.IsExported() {
		return false
	}
	t := f.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() != reflect.Chan && t.Kind() != reflect.Func
}

// ---- types ----

type tctx struct {
	// unaddr: values of the type will not be addressable (map keys/values,
	// interface contents), so no pointer-receiver marshaler may be reached
	// without going through a pointer or slice.
	unaddr bool
}

var basicTypes = []reflect.Type{
	reflect.TypeFor[bool](), reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[int16](),
	reflect.TypeFor[int32](), reflect.TypeFor[int64](), reflect.TypeFor[uint](), reflect.TypeFor[uint8](),
	reflect.TypeFor[uint16](), reflect.TypeFor[uint32](), reflect.TypeFor[uint64](), reflect.TypeFor[uintptr](),
	reflect.TypeFor[float32](), reflect.TypeFor[float64](), reflect.TypeFor[complex64](), reflect.TypeFor[complex128](),
	reflect.TypeFor[string](),
}

// ifaceBasics are registered by encoding/gob itself (registerBasics).
var ifaceBasics = append(append([]reflect.Type{}, basicTypes...),
	reflect.TypeFor[[]byte](), reflect.TypeFor[[]int](), reflect.TypeFor[[]int8](), reflect.TypeFor[[]uint16](),
	reflect.TypeFor[[]string](), reflect.TypeFor[[]float64](), reflect.TypeFor[[]float32](), reflect.TypeFor[[]bool](),
	reflect.TypeFor[[]complex128](), reflect.TypeFor[[]uintptr](), reflect.TypeFor[[]uint64]())

// nestedIfaceTypes hold interfaces inside interfaces.
var nestedIfaceTypes = []reflect.Type{
	reflect.TypeFor[[]any](), reflect.TypeFor[map[string]any](), reflect.TypeFor[map[int32]any](),
	reflect.TypeFor[[2]any](), reflect.TypeFor[struct{ I any }](),
}

var shapeImpls = []reflect.Type{
	reflect.TypeFor[Circle](), reflect.TypeFor[Rect](), reflect.TypeFor[Sq](), reflect.TypeFor[*Poly](),
}

var (
	chanFieldT    = reflect.ChanOf(reflect.BothDir, reflect.TypeFor[int]())
	funcFieldT    = reflect.FuncOf(nil, []reflect.Type{reflect.TypeFor[int]()}, false)
	funcPtrFieldT = reflect.PointerTo(reflect.FuncOf(nil, nil, false))
)

func (g *Gen) basicType() reflect.Type { return basicTypes[g.r.IntN(len(basicTypes))] }

func (g *Gen) poolType(c tctx) reflect.Type {
	for {
		e := pool[g.r.IntN(len(pool))]
		if c.unaddr && e.pr {
			continue
		}
		return e.t
	}
}

func (g *Gen) keyPoolType() reflect.Type {
	for {
		if e := pool[g.r.IntN(len(pool))]; e.key {
			return e.t
		}
	}
}

func (g *Gen) bytesType() reflect.Type {
	switch g.r.IntN(3) {
	case 0:
		return reflect.TypeFor[[]byte]()
	case 1:
		return reflect.TypeFor[Bytes2]()
	}
	return reflect.TypeFor[[]MyByte]()
}

func (g *Gen) typ(depth int, c tctx) reflect.Type {
	if depth >= maxTypeDepth {
		if g.pct(65) {
			return g.basicType()
		}
		return g.poolType(c)
	}
	switch x := g.r.IntN(100); {
	case x < 26:
		return g.basicType()
	case x < 44:
		return g.poolType(c)
	case x < 55:
		return g.structType(depth, c)
	case x < 64:
		return reflect.SliceOf(g.typ(depth+1, tctx{}))
	case x < 70:
		return reflect.ArrayOf(g.arrayLen(), g.typ(depth+1, c))
	case x < 77:
		return reflect.MapOf(g.keyType(depth+1), g.typ(depth+1, tctx{unaddr: true}))
	case x < 83:
		if g.pct(25) { // pointer to pointer: gob flattens both
			return reflect.PointerTo(reflect.PointerTo(g.typ(depth+1, tctx{})))
		}
		return reflect.PointerTo(g.typ(depth+1, tctx{}))
	case x < 90:
		return ifaceT
	case x < 92:
		return shapeT
	default:
		return g.bytesType()
	}
}

func (g *Gen) topType() reflect.Type {
	for {
		var t reflect.Type
		if g.pct(30) {
			t = g.structType(0, tctx{})
		} else {
			t = g.typ(0, tctx{})
		}
		if t.Kind() == reflect.Interface {
			continue
		}
		// Encoder.Encode panics on a top-level value with two or more
		// pointers above a marshaler (**T with a pointer-receiver
		// MarshalBinary, ***time.Time): a Go bug, avoided here.
		depth, base := 0, t
		for base.Kind() == reflect.Pointer {
			depth, base = depth+1, base.Elem()
		}
		if depth >= 2 && extKind(base) != xNone {
			continue
		}
		return t
	}
}

func (g *Gen) arrayLen() int {
	switch x := g.r.IntN(100); {
	case x < 10:
		return 0
	case x < 90:
		return 1 + g.r.IntN(5)
	default:
		return 6 + g.r.IntN(35)
	}
}

var fieldNames = []string{
	"A", "B", "C", "D", "X", "Y", "Z", "Val", "Name", "Kids", "Next", "Data", "ID", "Id", "Type",
	"Ünï", "Ωmega", "Ж", "F_1", "X2", "A_b_C", "Σ",
	"LongFieldNameThatGoesOnAndOnForQuiteSomeTimeToTestLengthHandling0123456789abcdefghijklmnopqrstuvwxyz",
}

var fieldTags = []string{`json:"a"`, `gob:"-"`, `x:"ü \" q"`, `weird`}

func (g *Gen) fieldName(used map[string]bool) string {
	for {
		var n string
		if g.pct(70) {
			n = fieldNames[g.r.IntN(len(fieldNames))]
		} else {
			n = fmt.Sprintf("F%d", g.r.IntN(40))
		}
		if !used[n] {
			used[n] = true
			return n
		}
	}
}

// structType makes a struct with 0-6 fields, at least one of them sent
// when there are any (gob refuses structs whose fields are all unsent).
func (g *Gen) structType(depth int, c tctx) reflect.Type {
	n := g.r.IntN(7)
	if n == 0 && g.pct(50) {
		n = 1
	}
	used := map[string]bool{}
	var fields []reflect.StructField
	sent := 0
	for i := 0; i < n; i++ {
		f := reflect.StructField{Name: g.fieldName(used)}
		if g.pct(4) {
			f.Type = []reflect.Type{chanFieldT, funcFieldT, funcPtrFieldT}[g.r.IntN(3)]
		} else {
			f.Type = g.typ(depth+1, c)
			sent++
		}
		if g.pct(5) {
			f.Tag = reflect.StructTag(fieldTags[g.r.IntN(len(fieldTags))])
		}
		fields = append(fields, f)
	}
	if n > 0 && sent == 0 {
		fields = append(fields, reflect.StructField{Name: g.fieldName(used), Type: g.basicType()})
	}
	return reflect.StructOf(fields)
}

// keyType makes a comparable type gob can send as a map key.
func (g *Gen) keyType(depth int) reflect.Type {
	x := g.r.IntN(100)
	switch {
	case x < 50 || depth >= maxTypeDepth:
		return g.basicType()
	case x < 72:
		return g.keyPoolType()
	case x < 86:
		return reflect.ArrayOf(g.r.IntN(4), g.keyType(depth+1))
	}
	used := map[string]bool{}
	var fields []reflect.StructField
	for i, n := 0, 1+g.r.IntN(3); i < n; i++ {
		fields = append(fields, reflect.StructField{Name: g.fieldName(used), Type: g.keyType(depth + 1)})
	}
	return reflect.StructOf(fields)
}

// concreteType draws a type for an interface value: not an interface, not a
// pointer (gob names a pointer by its base type), nothing needing an
// addressable value. Unnamed types are registered on the spot.
func (g *Gen) concreteType(depth int) reflect.Type {
	for i := 0; i < 8; i++ {
		t := g.typ(depth+1, tctx{unaddr: true})
		if t.Kind() == reflect.Interface || t.Kind() == reflect.Pointer {
			continue
		}
		if t.Name() == "" {
			registerLazy(t)
		}
		return t
	}
	return basicTypes[g.r.IntN(len(basicTypes))]
}

var lazyNames = map[reflect.Type]string{}

// registerLazy registers an unnamed type under its String() (what
// gob.Register would use), or a hash of it when longer than the 1024 bytes
// Go's decoder accepts. Type -> name is injective, so registrations never
// conflict across the streams one process handles.
func registerLazy(t reflect.Type) {
	if _, ok := lazyNames[t]; ok {
		return
	}
	name := t.String()
	if len(name) > 1024 {
		h := fnv.New64a()
		h.Write([]byte(name))
		name = fmt.Sprintf("gobfuzz.T%016x", h.Sum64())
	}
	gob.RegisterName(name, reflect.Zero(t).Interface())
	lazyNames[t] = name
}

// ---- special streams: deep nesting and 1-2 MiB values ----

func (g *Gen) specialType(mode string) (reflect.Type, func(v reflect.Value)) {
	if mode == "deep" {
		d := 100 + g.r.IntN(151)
		switch g.r.IntN(7) {
		case 0:
			return reflect.TypeFor[R](), func(v reflect.Value) { v.Set(reflect.ValueOf(g.deepR(d))) }
		case 1:
			return reflect.TypeFor[*Node](), func(v reflect.Value) { v.Set(reflect.ValueOf(g.deepNode(d))) }
		case 2:
			return reflect.TypeFor[Tree](), func(v reflect.Value) { v.Set(reflect.ValueOf(g.deepTree(d))) }
		case 3:
			return reflect.TypeFor[RS](), func(v reflect.Value) { v.Set(reflect.ValueOf(g.deepRS(d))) }
		case 4:
			return reflect.TypeFor[MA](), func(v reflect.Value) { v.Set(reflect.ValueOf(g.deepMA(d))) }
		case 5:
			registerLazy(reflect.TypeFor[[]any]())
			registerLazy(reflect.TypeFor[map[string]any]())
			return reflect.TypeFor[IfaceHolder](), func(v reflect.Value) {
				v.Set(reflect.ValueOf(IfaceHolder{V: g.deepIface(d / 2)}))
			}
		default:
			return reflect.TypeFor[Deep](), func(v reflect.Value) { g.budget = 400; g.fill(v, 0, false) }
		}
	}
	target := 1<<20 + g.r.IntN(1<<20)
	switch g.r.IntN(7) {
	case 0:
		return reflect.TypeFor[[]byte](), func(v reflect.Value) { v.SetBytes(g.bigBytes(target)) }
	case 1:
		return reflect.TypeFor[Bytes2](), func(v reflect.Value) { v.SetBytes(g.bigBytes(target)) }
	case 2:
		return reflect.TypeFor[[]string](), func(v reflect.Value) {
			var out []string
			for n := 0; n < target; {
				s := g.strN(20+g.r.IntN(180), g.r.IntN(5))
				out = append(out, s)
				n += len(s) + 1
			}
			v.Set(reflect.ValueOf(out))
		}
	case 3:
		return reflect.TypeFor[map[int32]string](), func(v reflect.Value) {
			m := map[int32]string{}
			for n := 0; n < target; {
				s := g.strN(10+g.r.IntN(50), 0)
				m[int32(g.r.Uint32())] = s
				n += len(s) + 6
			}
			v.Set(reflect.ValueOf(m))
		}
	case 4:
		return reflect.TypeFor[[]Point](), func(v reflect.Value) {
			out := make([]Point, target/12)
			for i := range out {
				out[i] = Point{int(g.intVal(64)), int(g.intVal(32))}
			}
			v.Set(reflect.ValueOf(out))
		}
	case 5:
		return reflect.TypeFor[[]float64](), func(v reflect.Value) {
			out := make([]float64, target/9)
			for i := range out {
				out[i] = math.Float64frombits(g.f64bits())
			}
			v.Set(reflect.ValueOf(out))
		}
	default:
		return reflect.TypeFor[[]any](), func(v reflect.Value) {
			out := make([]any, target/24)
			for i := range out {
				switch g.r.IntN(3) {
				case 0:
					out[i] = int(g.intVal(64))
				case 1:
					out[i] = g.strN(g.r.IntN(30), 0)
				default:
					out[i] = Point{int(g.intVal(16)), 1}
				}
			}
			v.Set(reflect.ValueOf(out))
		}
	}
}

func (g *Gen) bigBytes(n int) []byte {
	b := make([]byte, n)
	switch g.r.IntN(3) {
	case 0:
		for i := 0; i+8 <= n; i += 8 {
			u := g.r.Uint64()
			for k := 0; k < 8; k++ {
				b[i+k] = byte(u >> (8 * k))
			}
		}
	case 1:
		for i := range b {
			b[i] = byte(i % 251)
		}
	}
	return b
}

func (g *Gen) deepR(d int) R {
	var r R
	for i := 0; i < d; i++ {
		if g.pct(10) {
			r = R{r, R{}}
		} else {
			r = R{r}
		}
	}
	return r
}

func (g *Gen) deepNode(d int) *Node {
	var n *Node
	for i := 0; i < d; i++ {
		n = &Node{Val: int(g.intVal(64)), Next: n}
		if g.pct(5) {
			n.Kids = []*Node{{Val: i}}
		}
	}
	return n
}

func (g *Gen) deepTree(d int) Tree {
	var t Tree
	for i := 0; i < d; i++ {
		t = Tree{g.strN(g.r.IntN(4), 0): t}
	}
	return t
}

func (g *Gen) deepRS(d int) RS {
	rs := RS{}
	for i := 0; i < d; i++ {
		rs = RS{Sub: []RS{rs}}
		if g.pct(5) {
			rs.M = map[int]*RS{i: {}}
		}
	}
	return rs
}

func (g *Gen) deepMA(d int) MA {
	ma := MA{}
	for i := 0; i < d; i++ {
		ma = MA{N: i, B: &MB{As: []MA{ma}, S: "s"}}
	}
	return ma
}

func (g *Gen) deepIface(d int) any {
	var x any = "leaf"
	for i := 0; i < d; i++ {
		if g.pct(50) {
			x = []any{x}
		} else {
			x = map[string]any{"k": x}
		}
	}
	return x
}
