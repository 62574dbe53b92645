// Command gobtyped pits Go's typed gob decoding against the Rust crate's
// (gob/tests/typed_random.rs): for each seed it builds one random REMOTE value
// (random struct shapes through reflect.StructOf, with field names drawn from
// the local types' names so that partial matches happen; random values with
// integers and floats at the edges of every width), encodes it with a fresh
// Encoder and decodes the stream into every LOCAL type of a fixed catalog,
// each with a fresh Decoder, recording Go's value or error.
//
//	gobtyped -seed S -count N    one JSON line per seed on stdout
//
// A line is {"seed", "remote" (the remote type), "stream" (hex), "results":
// [{"target", "value"} or {"target", "error"}]} with values rendered as in
// testdata/gob/manifest.json (gobvectors' gobjson), or {"seed", "skip"} when
// Go's encoder refuses the value. The Rust twins of the catalog's types are in
// gob/tests/typed_random.rs; the target names are shared.
package main

import (
	"bytes"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"time"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

// ---- the local catalog (Rust twins: gob/tests/typed_random.rs) ----

type Inner struct {
	A int
	B string
	C []int
}

type Ints struct {
	I8  int8
	I16 int16
	I32 int32
	I64 int64
	I   int
	U8  uint8
	U16 uint16
	U32 uint32
	U64 uint64
	U   uint
	Up  uintptr
}

type Scalars struct {
	F32  float32
	F64  float64
	C64  complex64
	C128 complex128
	S    string
	Bs   []byte
	B    bool
	I8   int8
	A    int
}

type Composite struct {
	Ints []int
	I16s []int16
	Strs []string
	Arr  [3]int
	Arr8 [2]uint8
	M    map[string]int
	MI   map[int8]string
	In   Inner
	PIn  *Inner
	Ins  []Inner
	PI   *int
	PPS  **string
	Any  interface{}
	T    time.Time
	Nest map[string][]Inner
	A    int
}

// Small reuses names of the others with other kinds.
type Small struct {
	A   string
	B   []int
	In  *Inner
	T   *time.Time
	Any interface{}
}

type Empty struct{}

type Other struct{ Zed int }

// targets lists every local destination under the name both sides use.
var targets = []struct {
	name string
	typ  reflect.Type
}{
	{"Inner", reflect.TypeFor[Inner]()},
	{"Ints", reflect.TypeFor[Ints]()},
	{"Scalars", reflect.TypeFor[Scalars]()},
	{"Composite", reflect.TypeFor[Composite]()},
	{"Small", reflect.TypeFor[Small]()},
	{"Empty", reflect.TypeFor[Empty]()},
	{"Other", reflect.TypeFor[Other]()},
	{"int8", reflect.TypeFor[int8]()},
	{"int64", reflect.TypeFor[int64]()},
	{"uint16", reflect.TypeFor[uint16]()},
	{"uint64", reflect.TypeFor[uint64]()},
	{"float32", reflect.TypeFor[float32]()},
	{"float64", reflect.TypeFor[float64]()},
	{"complex64", reflect.TypeFor[complex64]()},
	{"string", reflect.TypeFor[string]()},
	{"bool", reflect.TypeFor[bool]()},
	{"bytes", reflect.TypeFor[[]byte]()},
	{"[]int8", reflect.TypeFor[[]int8]()},
	{"[]int", reflect.TypeFor[[]int]()},
	{"[3]int", reflect.TypeFor[[3]int]()},
	{"[2]uint8", reflect.TypeFor[[2]uint8]()},
	{"map[string]int", reflect.TypeFor[map[string]int]()},
	{"map[int8]string", reflect.TypeFor[map[int8]string]()},
	{"map[string]Inner", reflect.TypeFor[map[string]Inner]()},
	{"[]Inner", reflect.TypeFor[[]Inner]()},
	{"interface", reflect.TypeFor[interface{}]()},
	{"map[string]interface", reflect.TypeFor[map[string]interface{}]()},
	{"[]interface", reflect.TypeFor[[]interface{}]()},
	{"time", reflect.TypeFor[time.Time]()},
}

// fieldTypes maps every local field name to the types it has in the catalog.
var fieldTypes = map[string][]reflect.Type{}

// names is the field-name pool of remote structs: the catalog's, sorted, plus
// a few no local type has.
var names []string

func init() {
	for _, t := range targets {
		if t.typ.Kind() != reflect.Struct || t.typ == reflect.TypeFor[time.Time]() {
			continue
		}
		for i := 0; i < t.typ.NumField(); i++ {
			f := t.typ.Field(i)
			fieldTypes[f.Name] = append(fieldTypes[f.Name], f.Type)
		}
	}
	for n := range fieldTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	names = append(names, "Extra", "X", "Zz")
	gobjson.Register(Inner{})
}

// ---- splitmix64 (tests/common/seeded.rs) ----

type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *rng) below(n int) int   { return int(r.next() % uint64(n)) }
func (r *rng) chance(n int) bool { return r.below(n) == 0 }

// ---- remote types ----

var basics = []reflect.Type{
	reflect.TypeFor[bool](), reflect.TypeFor[int64](), reflect.TypeFor[int8](),
	reflect.TypeFor[int](), reflect.TypeFor[uint64](), reflect.TypeFor[uint16](),
	reflect.TypeFor[float64](), reflect.TypeFor[float32](), reflect.TypeFor[complex128](),
	reflect.TypeFor[string](), reflect.TypeFor[[]byte](), reflect.TypeFor[time.Time](),
	reflect.TypeFor[interface{}](), reflect.TypeFor[Inner](),
}

func (r *rng) typ(depth int) reflect.Type {
	if depth > 2 || r.below(3) > 0 {
		return basics[r.below(len(basics))]
	}
	switch r.below(5) {
	case 0:
		return reflect.SliceOf(r.typ(depth + 1))
	case 1:
		return reflect.ArrayOf(r.below(4), r.typ(depth+1))
	case 2:
		keys := []reflect.Type{reflect.TypeFor[string](), reflect.TypeFor[int](), reflect.TypeFor[int64](), reflect.TypeFor[uint8]()}
		return reflect.MapOf(keys[r.below(len(keys))], r.typ(depth+1))
	case 3:
		return reflect.PointerTo(r.typ(depth + 1))
	default:
		return r.structType(depth + 1)
	}
}

// structType is a struct of up to 6 fields named from the pool; two times in
// three a field has a type some local field of that name has.
func (r *rng) structType(depth int) reflect.Type {
	n := r.below(7)
	seen := map[string]bool{}
	var fields []reflect.StructField
	for i := 0; i < n; i++ {
		name := names[r.below(len(names))]
		if seen[name] {
			continue
		}
		seen[name] = true
		var t reflect.Type
		if ts := fieldTypes[name]; len(ts) > 0 && r.below(3) > 0 {
			t = ts[r.below(len(ts))]
		} else {
			t = r.typ(depth)
		}
		fields = append(fields, reflect.StructField{Name: name, Type: t})
	}
	return reflect.StructOf(fields)
}

// ---- remote values ----

var intEdges = []int64{
	0, 1, -1, 7, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769,
	65535, 65536, math.MaxInt32, math.MaxInt32 + 1, math.MinInt32, math.MinInt32 - 1,
	math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, math.MinInt64,
}

var floatEdges = []float64{
	0, math.Copysign(0, -1), 1.5, -2.25, math.MaxFloat32, -math.MaxFloat32,
	math.MaxFloat32 * 1.0000001, -math.MaxFloat32 * 2, math.MaxFloat64,
	math.Inf(1), math.Inf(-1), math.NaN(), 1e-300, math.SmallestNonzeroFloat32,
	math.SmallestNonzeroFloat32 / 4,
}

var strs = []string{"", "a", "hello", "ünï", "x y", "VALUE=1"}

func (r *rng) int() int64 {
	if r.chance(4) {
		return int64(r.next())
	}
	return intEdges[r.below(len(intEdges))]
}

func (r *rng) float() float64 {
	if r.chance(4) {
		return float64(int64(r.next()%2000000)-1000000) / 64
	}
	return floatEdges[r.below(len(floatEdges))]
}

func (r *rng) value(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if t == reflect.TypeFor[time.Time]() {
		tm := time.Unix(int64(r.next()%4000000000)-1000000000, int64(r.next()%1000000000))
		switch r.below(4) {
		case 0:
			tm = tm.UTC()
		case 1:
			tm = tm.In(time.FixedZone("", (r.below(48)-24)*1800))
		case 2:
			tm = time.Time{}
		}
		v.Set(reflect.ValueOf(tm))
		return v
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(r.chance(2))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(r.int()) // truncated to the width: the edges of every width
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(r.int()))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(r.float())
	case reflect.Complex64, reflect.Complex128:
		v.SetComplex(complex(r.float(), r.float()))
	case reflect.String:
		v.SetString(strs[r.below(len(strs))])
	case reflect.Slice:
		if r.chance(4) {
			return v // nil
		}
		n := r.below(4)
		s := reflect.MakeSlice(t, n, n)
		for i := 0; i < n; i++ {
			s.Index(i).Set(r.nonNil(t.Elem(), depth+1))
		}
		v.Set(s)
	case reflect.Array:
		for i := 0; i < t.Len(); i++ {
			v.Index(i).Set(r.nonNil(t.Elem(), depth+1))
		}
	case reflect.Map:
		if r.chance(4) {
			return v
		}
		m := reflect.MakeMap(t)
		for i := r.below(4); i > 0; i-- {
			m.SetMapIndex(r.value(t.Key(), depth+1), r.nonNil(t.Elem(), depth+1))
		}
		v.Set(m)
	case reflect.Pointer:
		if r.chance(3) {
			return v
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(r.value(t.Elem(), depth+1))
		v.Set(p)
	case reflect.Interface:
		switch r.below(6) {
		case 0:
			// nil
		case 1:
			v.Set(reflect.ValueOf(int(r.int())))
		case 2:
			v.Set(reflect.ValueOf(strs[r.below(len(strs))]))
		case 3:
			v.Set(reflect.ValueOf([]int{int(r.int()), 2}))
		case 4:
			v.Set(reflect.ValueOf(r.float()))
		default:
			v.Set(r.value(reflect.TypeFor[Inner](), depth+1))
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if r.chance(3) {
				continue // zero: not sent
			}
			v.Field(i).Set(r.value(t.Field(i).Type, depth+1))
		}
	}
	return v
}

// nonNil is a value for a position gob sends whatever it holds (elements,
// map entries), where a nil pointer is an encoding error.
func (r *rng) nonNil(t reflect.Type, depth int) reflect.Value {
	v := r.value(t, depth)
	for p := v; p.Kind() == reflect.Pointer; p = p.Elem() {
		if p.IsNil() {
			n := reflect.New(p.Type().Elem())
			p.Set(n)
		}
	}
	return v
}

// hasIface reports whether a value of t can hold an interface value.
func hasIface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasIface(t.Elem(), seen)
	case reflect.Map:
		return hasIface(t.Key(), seen) || hasIface(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if hasIface(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// ---- one seed ----

type result struct {
	Target string          `json:"target"`
	Value  json.RawMessage `json:"value,omitempty"`
	Error  *string         `json:"error,omitempty"`
	// Where Go's decoder departs from reading the stream type by type for
	// this destination (see quirks): "skips_iface", "reuses_op", or both.
	Quirks []string `json:"quirks,omitempty"`
}

// quirks finds, for a value of remote type r decoded into local type l, the
// two places where Go's typed decoding does not follow the stream's types:
//
//   - skipsIface: an interface value is skipped (a field the local struct
//     lacks holds one), where Go trusts the payload's byte count or
//     misreads a nil interface (gob-conformance.md §1.8);
//   - reusesOp: while compiling one struct, a local composite type is fed by
//     a second wire type; decOpFor's in-progress map is keyed by the local
//     type alone, so the operation built for the first wire type is used
//     for the second (it accepts what does not fit, and misreads it if sent).
//
// It walks the types as compileDec/decOpFor do.
type quirks struct {
	skipsIface, reusesOp bool
	engines              map[[2]reflect.Type]bool
}

func base(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

var timeType = reflect.TypeFor[time.Time]()

// op mirrors decOpFor(wire r, local l, inProgress).
func (q *quirks) op(r, l reflect.Type, inProgress map[reflect.Type]reflect.Type) {
	r = base(r)
	lb := base(l)
	if lb == timeType || r == timeType {
		return // a GobDecoder: no operations below it
	}
	switch lb.Kind() {
	case reflect.Array, reflect.Slice, reflect.Map, reflect.Struct, reflect.Interface:
	default:
		return // basic kinds are not recorded
	}
	if w, ok := inProgress[l]; ok {
		if w != r {
			q.reusesOp = true
		}
		return
	}
	inProgress[l] = r
	if r.Kind() != lb.Kind() && !(lb.Kind() == reflect.Struct) {
		return // compatibleType refuses it
	}
	switch lb.Kind() {
	case reflect.Array, reflect.Slice:
		if lb.Kind() == reflect.Slice && lb.Elem().Kind() == reflect.Uint8 {
			return
		}
		q.op(r.Elem(), lb.Elem(), inProgress)
	case reflect.Map:
		q.op(r.Key(), lb.Key(), inProgress)
		q.op(r.Elem(), lb.Elem(), inProgress)
	case reflect.Struct:
		q.engine(r, lb)
	}
}

// engine mirrors getDecEnginePtr/compileDec for wire r and local struct l.
func (q *quirks) engine(r, l reflect.Type) {
	key := [2]reflect.Type{r, l}
	if q.engines[key] || r.Kind() != reflect.Struct {
		return
	}
	q.engines[key] = true
	seen := map[reflect.Type]reflect.Type{}
	for i := 0; i < r.NumField(); i++ {
		f := r.Field(i)
		lf, ok := l.FieldByName(f.Name)
		if !ok {
			if hasIface(f.Type, map[reflect.Type]bool{}) {
				q.skipsIface = true
			}
			continue
		}
		q.op(f.Type, lf.Type, seen)
	}
}

func quirksOf(r, l reflect.Type) []string {
	q := &quirks{engines: map[[2]reflect.Type]bool{}}
	if base(l).Kind() == reflect.Struct && base(l) != timeType {
		q.engine(base(r), base(l))
	} else {
		q.op(r, l, map[reflect.Type]reflect.Type{})
	}
	var out []string
	if q.skipsIface {
		out = append(out, "skips_iface")
	}
	if q.reusesOp {
		out = append(out, "reuses_op")
	}
	return out
}

type line struct {
	Seed   uint64 `json:"seed"`
	Remote string `json:"remote,omitempty"`
	Stream string `json:"stream,omitempty"`
	Skip   string `json:"skip,omitempty"`
	// SelfOK: Go decodes the stream into the remote type itself (the stream is
	// valid, so a stream error for a local type comes from Go's quirks).
	SelfOK  bool     `json:"self_ok"`
	Results []result `json:"results,omitempty"`
}

func encode(v reflect.Value) (b []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	var buf bytes.Buffer
	err = gob.NewEncoder(&buf).EncodeValue(v)
	return buf.Bytes(), err
}

func decode(stream []byte, t reflect.Type) (out json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	p := reflect.New(t)
	if err := gob.NewDecoder(bytes.NewReader(stream)).DecodeValue(p); err != nil {
		return nil, err
	}
	return json.RawMessage(gobjson.JSON(gobjson.RenderValue(p.Elem()))), nil
}

func one(seed uint64) line {
	r := &rng{s: seed}
	var t reflect.Type
	if r.chance(4) {
		t = r.typ(0)
	} else {
		t = r.structType(0)
	}
	v := r.nonNil(t, 0)
	stream, err := encode(v)
	if err != nil {
		return line{Seed: seed, Skip: err.Error()}
	}
	out := line{Seed: seed, Remote: t.String(), Stream: hex.EncodeToString(stream)}
	_, selfErr := decode(stream, t)
	out.SelfOK = selfErr == nil
	for _, tg := range targets {
		val, err := decode(stream, tg.typ)
		res := result{Target: tg.name, Value: val, Quirks: quirksOf(t, tg.typ)}
		if err != nil {
			text := err.Error()
			res.Error = &text
		}
		out.Results = append(out.Results, res)
	}
	return out
}

func main() {
	seed := flag.Uint64("seed", 1, "first seed")
	count := flag.Int("count", 100, "number of seeds")
	flag.Parse()
	w := json.NewEncoder(os.Stdout)
	w.SetEscapeHTML(false)
	for i := 0; i < *count; i++ {
		if err := w.Encode(one(*seed + uint64(i))); err != nil {
			fmt.Fprintln(os.Stderr, "gobtyped:", err)
			os.Exit(1)
		}
	}
}
