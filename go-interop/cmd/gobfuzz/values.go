package main

// Random values: fill sets an addressable value of any generated type;
// scalars favour boundaries (min/max, powers of two, ±0, ±Inf, NaN payloads,
// subnormals, invalid UTF-8, length-class boundaries).

import (
	"math"
	"reflect"
	"unicode/utf8"
)

// fill sets the addressable v to a random value of its type. field says v is
// a struct field, the only place a nil pointer is encodable.
func (g *Gen) fill(v reflect.Value, depth int, field bool) {
	t := v.Type()
	g.budget--
	if e := poolByType[t]; e != nil && e.fill != nil {
		e.fill(g, v, depth)
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(g.r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(g.intVal(t.Bits()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(g.uintVal(t.Bits()))
	case reflect.Float32:
		// SetFloat would round-trip through float64; write the bits.
		*(*uint32)(v.Addr().UnsafePointer()) = g.f32bits()
	case reflect.Float64:
		*(*uint64)(v.Addr().UnsafePointer()) = g.f64bits()
	case reflect.Complex64:
		p := (*[2]uint32)(v.Addr().UnsafePointer())
		p[0], p[1] = g.f32bits(), g.f32bits()
	case reflect.Complex128:
		p := (*[2]uint64)(v.Addr().UnsafePointer())
		p[0], p[1] = g.f64bits(), g.f64bits()
	case reflect.String:
		v.SetString(g.str(depth))
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			if b := g.bytes(depth); b != nil {
				v.SetBytes(b)
			}
			return
		}
		n := g.length(depth)
		if n == 0 {
			if g.pct(50) {
				v.Set(reflect.MakeSlice(t, 0, 0))
			}
			return
		}
		s := reflect.MakeSlice(t, n, n)
		for i := 0; i < n; i++ {
			g.fill(s.Index(i), depth+1, false)
		}
		v.Set(s)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			g.fill(v.Index(i), depth+1, false)
		}
	case reflect.Map:
		n := g.mapLen(depth)
		if n == 0 {
			if g.pct(50) { // empty but non-nil: sent even as a struct field
				v.Set(reflect.MakeMap(t))
			}
			return
		}
		m := reflect.MakeMapWithSize(t, n)
		for i := 0; i < n; i++ {
			k := reflect.New(t.Key()).Elem()
			g.fill(k, depth+1, false)
			e := reflect.New(t.Elem()).Elem()
			g.fill(e, depth+1, false)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		if field && (depth >= maxValDepth || g.budget <= 0 || g.pct(20)) {
			return
		}
		p := reflect.New(t.Elem())
		g.fill(p.Elem(), depth+1, false)
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); isSent(&f) {
				g.fill(v.Field(i), depth+1, true)
			}
		}
	case reflect.Interface:
		var x reflect.Value
		if t == shapeT {
			x = g.shapeValue(depth)
		} else {
			x = g.ifaceValue(depth)
		}
		if x.IsValid() {
			v.Set(x)
		}
	}
}

func (g *Gen) ifaceValue(depth int) reflect.Value {
	var t reflect.Type
	if depth >= maxValDepth || g.budget <= 0 {
		if g.pct(50) {
			return reflect.Value{}
		}
		t = basicTypes[g.r.IntN(len(basicTypes))]
	} else {
		switch x := g.r.IntN(100); {
		case x < 12:
			return reflect.Value{}
		case x < 45:
			t = ifaceBasics[g.r.IntN(len(ifaceBasics))]
		case x < 68:
			t = pool[g.r.IntN(len(pool))].iface
		case x < 88:
			t = g.concreteType(depth)
		default:
			t = nestedIfaceTypes[g.r.IntN(len(nestedIfaceTypes))]
			registerLazy(t)
		}
	}
	v := reflect.New(t).Elem()
	g.fill(v, depth+1, false)
	return v
}

func (g *Gen) shapeValue(depth int) reflect.Value {
	if g.pct(10) {
		return reflect.Value{}
	}
	v := reflect.New(shapeImpls[g.r.IntN(len(shapeImpls))]).Elem()
	g.fill(v, depth+1, false)
	return v
}

func (g *Gen) length(depth int) int {
	if depth >= maxValDepth || g.budget <= 0 {
		return 0
	}
	var n int
	switch x := g.r.IntN(100); {
	case x < 15:
		n = 0
	case x < 40:
		n = 1
	case x < 68:
		n = 2 + g.r.IntN(2)
	case x < 88:
		n = 4 + g.r.IntN(5)
	case x < 97:
		n = 9 + g.r.IntN(32)
	default:
		n = 41 + g.r.IntN(260)
	}
	return min(n, g.budget)
}

func (g *Gen) mapLen(depth int) int {
	if depth >= maxValDepth || g.budget <= 0 {
		return 0
	}
	if g.smallMaps {
		if g.pct(35) {
			return 0
		}
		return 1
	}
	switch x := g.r.IntN(100); {
	case x < 20:
		return 0
	case x < 55:
		return 1
	case x < 90:
		return min(2+g.r.IntN(3), g.budget)
	default:
		return min(5+g.r.IntN(12), g.budget)
	}
}

// ---- scalars ----

func (g *Gen) intVal(bits int) int64 {
	lo, hi := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
	clamp := func(v int64) int64 { return max(lo, min(hi, v)) }
	switch g.r.IntN(12) {
	case 0:
		return 0
	case 1:
		return 1
	case 2:
		return -1
	case 3:
		return lo
	case 4:
		return hi
	case 5, 6:
		p := int64(1) << g.r.IntN(bits-1)
		return clamp([]int64{p, p - 1, p + 1, -p, -p - 1, -p + 1}[g.r.IntN(6)])
	case 7:
		return clamp(int64(g.r.IntN(600)) - 300)
	default:
		return int64(g.r.Uint64()) >> (64 - bits)
	}
}

func (g *Gen) uintVal(bits int) uint64 {
	hi := uint64(1)<<(bits-1)<<1 - 1
	switch g.r.IntN(10) {
	case 0:
		return 0
	case 1:
		return 1
	case 2:
		return hi
	case 3, 4:
		p := uint64(1) << g.r.IntN(bits)
		return min(hi, []uint64{p, p - 1, p + 1}[g.r.IntN(3)])
	case 5:
		return uint64(g.r.IntN(300))
	default:
		return g.r.Uint64() >> (64 - bits)
	}
}

func (g *Gen) f64bits() uint64 {
	sign := uint64(g.r.IntN(2)) << 63
	switch g.r.IntN(22) {
	case 0:
		return 0
	case 1:
		return 1 << 63 // -0
	case 2:
		return sign | math.Float64bits(1)
	case 3:
		return sign | 0x7FF0000000000000 // ±Inf
	case 4:
		return math.Float64bits(math.NaN())
	case 5, 6: // NaN with a random payload, quiet or signalling
		m := g.r.Uint64() & (1<<52 - 1)
		if m == 0 {
			m = 1
		}
		return sign | 0x7FF0000000000000 | m
	case 7, 8: // subnormal
		return sign | (g.r.Uint64()&(1<<52-1) | 1)
	case 9:
		return sign | math.Float64bits(math.MaxFloat64)
	case 10:
		return sign | math.Float64bits(math.SmallestNonzeroFloat64)
	case 11:
		return sign | math.Float64bits([]float64{math.MaxFloat32, math.SmallestNonzeroFloat32, 0.1, 1e300, 1e-300, math.Pi}[g.r.IntN(6)])
	case 12:
		return sign | math.Float64bits(math.Ldexp(1, g.r.IntN(2098)-1074)+float64(g.r.IntN(3)-1))
	case 13, 14, 15:
		return g.r.Uint64()
	case 16, 17, 18:
		return sign | math.Float64bits(g.decimal(64))
	case 19:
		return sign | math.Float64bits(float64(g.r.IntN(2000))/8)
	default:
		return math.Float64bits(float64(g.r.Int64()))
	}
}

func (g *Gen) f32bits() uint32 {
	sign := uint32(g.r.IntN(2)) << 31
	switch g.r.IntN(20) {
	case 0:
		return 0
	case 1:
		return 1 << 31
	case 2:
		return sign | math.Float32bits(1)
	case 3:
		return sign | 0x7F800000
	case 4, 5:
		m := g.r.Uint32() & (1<<23 - 1)
		if m == 0 {
			m = 1 << 22
		}
		return sign | 0x7F800000 | m
	case 6, 7:
		return sign | (g.r.Uint32()&(1<<23-1) | 1)
	case 8:
		return sign | math.Float32bits(math.MaxFloat32)
	case 9:
		return sign | math.Float32bits(math.SmallestNonzeroFloat32)
	case 10:
		return sign | math.Float32bits(float32(math.Ldexp(1, g.r.IntN(277)-149)))
	case 11, 12, 13:
		return g.r.Uint32()
	case 14, 15, 16:
		return sign | math.Float32bits(float32(g.decimal(32)))
	default:
		return math.Float32bits(float32(g.r.IntN(2000)) / 8)
	}
}

// decimal makes a "decimal-looking" value such as -1.349630489419929e-08.
func (g *Gen) decimal(bits int) float64 {
	digits := 1 + g.r.IntN(17)
	mant := g.r.Int64N(int64(math.Pow10(min(digits, 18))))
	exp := g.r.IntN(80) - 40
	if bits == 64 && g.pct(10) {
		exp = g.r.IntN(600) - 300
	}
	return float64(mant) * math.Pow10(exp-digits+1)
}

var runeSamples = []rune{'é', 'ß', 'Ж', '日', '本', '語', '🎉', '\u200b', '\ufeff', 'Ω', '\u0301', '\U0010FFFF', 'a', ' ', '\n', 0}

func (g *Gen) strLen(depth int) int {
	switch x := g.r.IntN(1000); {
	case x < 200:
		return 0
	case x < 300:
		return 1
	case x < 700:
		return 2 + g.r.IntN(15)
	case x < 810:
		return []int{127, 128, 255, 256}[g.r.IntN(4)]
	case x < 820:
		g.budget -= 20
		return []int{16383, 16384}[g.r.IntN(2)]
	case x < 970:
		return 17 + g.r.IntN(84)
	case x < 990:
		return 1000 + g.r.IntN(4000)
	default:
		if g.budget >= 100 {
			g.budget -= 100
			return 65536 + g.r.IntN(1000)
		}
		return 5
	}
}

func (g *Gen) str(depth int) string { return g.strN(g.strLen(depth), g.r.IntN(6)) }

// strN makes a string of about n bytes: ASCII, control bytes, multi-byte
// UTF-8, invalid UTF-8, or a mix.
func (g *Gen) strN(n, class int) string {
	b := make([]byte, 0, n+4)
	for len(b) < n {
		switch class {
		case 0:
			b = append(b, byte('a'+g.r.IntN(26)))
		case 1:
			b = append(b, byte(g.r.IntN(128)))
		case 2:
			b = utf8.AppendRune(b, runeSamples[g.r.IntN(len(runeSamples))])
		case 3:
			b = append(b, byte(g.r.IntN(256)))
		case 4:
			if g.pct(20) {
				b = append(b, 0x80|byte(g.r.IntN(64)))
			} else {
				b = utf8.AppendRune(b, runeSamples[g.r.IntN(len(runeSamples))])
			}
		default:
			b = append(b, 'x')
		}
	}
	return string(b)
}

func (g *Gen) bytes(depth int) []byte {
	n := g.strLen(depth)
	if n == 0 {
		if g.pct(50) {
			return nil
		}
		return []byte{}
	}
	b := make([]byte, n)
	switch g.r.IntN(3) {
	case 0:
		for i := range b {
			b[i] = byte(g.r.IntN(256))
		}
	case 1:
		for i := range b {
			b[i] = byte(i)
		}
	}
	return b
}
