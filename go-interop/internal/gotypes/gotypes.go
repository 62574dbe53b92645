// Package gotypes generates seeded random values of every Go type a TiloRes dispatcher
// plugin process can decode in an interface{} (the types gob registers itself and what
// tilores-plugin-api registers), and prints Go values deterministically. Used by
// cmd/dispatcher-gotypes (a host submitting such records) and plugin/gotypes-dispatcher (a
// plugin answering with them).
package gotypes

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	api "github.com/tilotech/tilores-plugin-api"
)

// Rng is splitmix64 (tests/common/seeded.rs), seeded with its state.
type Rng struct{ S uint64 }

func (r *Rng) Next() uint64 {
	r.S += 0x9E3779B97F4A7C15
	z := r.S
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *Rng) Below(n int) int { return int(r.Next() % uint64(n)) }

var Keys = []string{"a", "b", "n", "k", "isOdd", "t", "ünï", ""}

func (r *Rng) Str() string {
	pool := []string{"", "x", "abc", "ünïcödé ✓", "<&>", "\x00\x7f", "a somewhat longer string value!", "\xff\xfe"}
	return pool[r.Below(len(pool))]
}

// Float is a float64 from the edge pool or, half the time, any bit pattern (NaNs with
// payloads, subnormals, 17-digit values whose JSON text rounds a tie).
func (r *Rng) Float() float64 {
	if r.Below(2) == 0 {
		return math.Float64frombits(r.Next())
	}
	pool := []float64{0, math.Copysign(0, -1), 1, -1.5, math.NaN(), math.Inf(1), math.Inf(-1), 5e-324, math.MaxFloat64, 1e21, 0.1}
	return pool[r.Below(len(pool))]
}

func (r *Rng) Int64() int64 {
	pool := []int64{0, 1, -1, 127, -128, 255, 65535, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64}
	return pool[r.Below(len(pool))]
}

func (r *Rng) Time() time.Time {
	base := time.Date(2026, 12, 7, 13, 14, 15, int(r.Below(3))*500_000_000, time.UTC)
	switch r.Below(4) {
	case 0:
		return base
	case 1:
		return base.In(time.FixedZone("X", 3600))
	case 2:
		return base.In(time.FixedZone("", 0))
	default:
		return base.In(time.Local)
	}
}

// value is a random value of a type a plugin process can decode in an interface{}.
func (r *Rng) Value(depth int) interface{} {
	n := 24
	if depth >= 3 {
		n = 20 // no more containers
	}
	switch r.Below(n) {
	case 0:
		return nil
	case 1:
		return r.Below(2) == 0
	case 2:
		return int(r.Int64())
	case 3:
		return int8(r.Int64())
	case 4:
		return int16(r.Int64())
	case 5:
		return int32(r.Int64())
	case 6:
		return r.Int64()
	case 7:
		return uint(r.Int64())
	case 8:
		return uint8(r.Int64())
	case 9:
		return uint16(r.Int64())
	case 10:
		return uint32(r.Int64())
	case 11:
		return uint64(r.Int64())
	case 12:
		return uintptr(r.Int64())
	case 13:
		if r.Below(2) == 0 {
			return math.Float32frombits(uint32(r.Next()))
		}
		return float32(r.Float())
	case 14, 15:
		return r.Float()
	case 16:
		return complex(r.Float(), r.Float())
	case 17:
		return complex64(complex(r.Float(), r.Float()))
	case 18:
		return r.Str()
	case 19:
		return r.Time()
	case 20:
		m := map[string]interface{}{}
		for i := r.Below(3); i > 0; i-- {
			m[Keys[r.Below(len(Keys))]] = r.Value(depth + 1)
		}
		return m
	case 21:
		s := []interface{}{}
		for i := r.Below(3); i > 0; i-- {
			s = append(s, r.Value(depth+1))
		}
		return s
	case 22:
		switch r.Below(5) {
		case 0:
			return []byte(r.Str())
		case 1:
			return []int{int(r.Int64()), 2}
		case 2:
			return []string{r.Str()}
		case 3:
			return []float64{r.Float()}
		default:
			return []bool{true}
		}
	default:
		p := api.SearchParameters{"k": r.Value(depth + 1)}
		return &p
	}
}

// convert gives v as another kind where Go has one (int 5 as int64 5, float64 as float32).
func (r *Rng) Convert(v interface{}) interface{} {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	kinds := []reflect.Type{reflect.TypeOf(int(0)), reflect.TypeOf(int64(0)), reflect.TypeOf(uint8(0)),
		reflect.TypeOf(float64(0)), reflect.TypeOf(float32(0)), reflect.TypeOf(uint64(0))}
	t := kinds[r.Below(len(kinds))]
	if rv.Type().ConvertibleTo(t) && rv.Kind() != reflect.String && rv.Kind() != reflect.Slice && rv.Kind() != reflect.Map && rv.Kind() != reflect.Ptr && rv.Kind() != reflect.Struct && rv.Kind() != reflect.Complex64 && rv.Kind() != reflect.Complex128 {
		return rv.Convert(t).Interface()
	}
	return v
}

func Comparable(v interface{}) bool {
	if v == nil {
		return true
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Map, reflect.Slice:
		return false
	}
	return true
}

// dump prints v deterministically: maps sorted, pointers followed, with Go types.
func dump(b *strings.Builder, v reflect.Value) {
	if !v.IsValid() {
		b.WriteString("nil")
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		e := v.Elem()
		fmt.Fprintf(b, "%s(", e.Type())
		dump(b, e)
		b.WriteString(")")
	case reflect.Ptr:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteString("&")
		dump(b, v.Elem())
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("map(nil)")
			return
		}
		ks := v.MapKeys()
		sort.Slice(ks, func(i, j int) bool { return fmt.Sprint(ks[i]) < fmt.Sprint(ks[j]) })
		b.WriteString("{")
		for i, k := range ks {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(b, "%q:", k.String())
			dump(b, v.MapIndex(k))
		}
		b.WriteString("}")
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("[](nil)")
			return
		}
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteString(",")
			}
			dump(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			name, off := t.Zone()
			fmt.Fprintf(b, "%s[%s %d loc=%s]", t.Format(time.RFC3339Nano), name, off, t.Location())
			return
		}
		b.WriteString("{")
		for i := 0; i < v.NumField(); i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(b, "%s:", v.Type().Field(i).Name)
			dump(b, v.Field(i))
		}
		b.WriteString("}")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	case reflect.Float32, reflect.Float64:
		fmt.Fprintf(b, "%v", v.Float())
	default:
		fmt.Fprintf(b, "%#v", v.Interface())
	}
}

func Show(v interface{}) string {
	var b strings.Builder
	dump(&b, reflect.ValueOf(v))
	return b.String()
}
