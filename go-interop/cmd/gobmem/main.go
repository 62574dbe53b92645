// Command gobmem prints what Go's encoding/gob allocates to decode messages of many small
// elements, per wire byte (runtime.MemStats.TotalAlloc across one Decode: an upper bound of
// the decode's peak heap, growth copies included). The counterpart of the Rust table in
// gob/tests/memory_budget.rs (issue 14): `go run ./cmd/gobmem` in go-interop.
package main

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"runtime"
)

type S struct{ A int }

func measure[T any](name string, v T) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		panic(err)
	}
	wire := buf.Len()
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	var out T
	if err := gob.NewDecoder(bytes.NewReader(buf.Bytes())).Decode(&out); err != nil {
		panic(err)
	}
	runtime.ReadMemStats(&b)
	runtime.KeepAlive(out)
	fmt.Printf("%-32s %9d wire bytes %11d allocated %6.2f per byte\n", name, wire, b.TotalAlloc-a.TotalAlloc, float64(b.TotalAlloc-a.TotalAlloc)/float64(wire))
}

func main() {
	gob.Register(map[string]interface{}{})
	const n = 1 << 20
	measure("[]interface{} of nil", make([]interface{}, n))
	measure("[]bool", make([]bool, n))
	measure("[]int small", func() []int {
		s := make([]int, n)
		for i := range s {
			s[i] = 5
		}
		return s
	}())
	measure("[]string empty", make([]string, n))
	e := make([][]int, n)
	for i := range e {
		e[i] = []int{}
	}
	measure("[][]int empty", e)
	m := make([]map[string]int, n)
	for i := range m {
		m[i] = map[string]int{}
	}
	measure("[]map[string]int empty", m)
	measure("[]struct{A int} zero", make([]S, n))
	mi := make([]interface{}, n)
	for i := range mi {
		mi[i] = map[string]interface{}{}
	}
	measure("[]interface{} of empty maps", mi)
}
