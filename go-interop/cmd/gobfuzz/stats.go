package main

// `gobfuzz stats`: what the generator produces, tallied over a seed range
// (in-process, no encoding), to judge coverage.

import (
	"math"
	"reflect"
	"unicode/utf8"
)

type genStats struct {
	Streams    int            `json:"streams"`
	Values     int            `json:"values"`
	Modes      map[string]int `json:"modes"`
	MapFree    int            `json:"map_free"`
	TopKinds   map[string]int `json:"top_level_kinds"`
	Kinds      map[string]int `json:"value_nodes_by_kind"`
	Named      map[string]int `json:"named_types"`
	Unnamed    map[string]int `json:"unnamed_composites"`
	Iface      map[string]int `json:"interface_contents"`
	Floats     map[string]int `json:"float_classes"`
	Strings    map[string]int `json:"string_classes"`
	Maps       map[string]int `json:"map_classes"`
	MaxDepth   map[string]int `json:"max_depth_buckets"`
	NilPtrs    int            `json:"nil_pointer_fields"`
	DistinctTy int            `json:"distinct_top_level_types"`
}

func cmdStats(from uint64, count int) int {
	st := &genStats{Modes: map[string]int{}, TopKinds: map[string]int{}, Kinds: map[string]int{}, Named: map[string]int{},
		Unnamed: map[string]int{}, Iface: map[string]int{}, Floats: map[string]int{}, Strings: map[string]int{},
		Maps: map[string]int{}, MaxDepth: map[string]int{}}
	distinct := map[reflect.Type]bool{}
	for i := 0; i < count; i++ {
		s := generate(from+uint64(i), 0)
		st.Streams++
		st.Modes[s.Mode]++
		if s.mapFree() {
			st.MapFree++
		}
		for k, v := range s.Vals {
			st.Values++
			st.TopKinds[s.Types[k].Kind().String()]++
			distinct[s.Types[k]] = true
			d := st.walk(v.Elem(), 0)
			switch {
			case d < 4:
				st.MaxDepth["<4"]++
			case d < 8:
				st.MaxDepth["4-7"]++
			case d < 16:
				st.MaxDepth["8-15"]++
			case d < 100:
				st.MaxDepth["16-99"]++
			default:
				st.MaxDepth[">=100"]++
			}
		}
	}
	st.DistinctTy = len(distinct)
	printJSON(st)
	return 0
}

func (st *genStats) walk(v reflect.Value, depth int) int {
	t := v.Type()
	st.Kinds[t.Kind().String()]++
	if t.Name() != "" && t.PkgPath() != "" {
		st.Named[t.String()]++
	} else if t.Name() == "" {
		switch t.Kind() {
		case reflect.Struct, reflect.Slice, reflect.Array, reflect.Map, reflect.Pointer:
			st.Unnamed[t.Kind().String()]++
		}
	}
	maxd := depth
	sub := func(x reflect.Value) {
		maxd = max(maxd, st.walk(x, depth+1))
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			st.Floats["nan"]++
		case math.IsInf(f, 0):
			st.Floats["inf"]++
		case f == 0 && math.Signbit(f):
			st.Floats["-0"]++
		case f == 0:
			st.Floats["+0"]++
		case t.Kind() == reflect.Float64 && math.Abs(f) < 0x1p-1022, t.Kind() == reflect.Float32 && math.Abs(f) < 0x1p-126:
			st.Floats["subnormal"]++
		default:
			st.Floats["normal"]++
		}
	case reflect.String:
		s := v.String()
		switch {
		case len(s) == 0:
			st.Strings["empty"]++
		case len(s) >= 65536:
			st.Strings[">=64KiB"]++
		case !utf8.ValidString(s):
			st.Strings["invalid_utf8"]++
		case len(s) != utf8.RuneCountInString(s):
			st.Strings["multibyte"]++
		default:
			st.Strings["ascii"]++
		}
	case reflect.Pointer:
		if v.IsNil() {
			st.NilPtrs++
		} else {
			sub(v.Elem())
		}
	case reflect.Interface:
		if v.IsNil() {
			st.Iface["nil"]++
			break
		}
		e := v.Elem()
		switch et := e.Type(); {
		case et.PkgPath() != "" || (et.Kind() == reflect.Pointer && et.Elem().PkgPath() != ""):
			st.Iface["named"]++
		case et.Name() != "":
			st.Iface["basic"]++
		case (et.Kind() == reflect.Slice || et.Kind() == reflect.Array || et.Kind() == reflect.Map) && et.Elem() == ifaceT,
			et == reflect.TypeFor[struct{ I any }]():
			st.Iface["nested_interfaces"]++
		default:
			st.Iface["unnamed_composite"]++
		}
		sub(e)
	case reflect.Map:
		switch {
		case v.IsNil():
			st.Maps["nil"]++
		case v.Len() == 0:
			st.Maps["empty"]++
		case v.Len() == 1:
			st.Maps["1"]++
		default:
			st.Maps["2+"]++
		}
		it := v.MapRange()
		for it.Next() {
			sub(it.Key())
			sub(it.Value())
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			break
		}
		for i := 0; i < v.Len(); i++ {
			sub(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); isSent(&f) {
				sub(v.Field(i))
			}
		}
	}
	return maxd
}
