// Command gobbench benchmarks encoding/gob on a dispatcher-shaped payload
// (the tilores plugin API's EntityOutput) so the Rust codec can be compared
// on identical data.
//
//	gobbench write -out FILE            one stream: a fresh Encoder, the value encoded once
//	                                    (definitions + value); FILE.next the same Encoder's
//	                                    second encoding (the value alone, steady state);
//	                                    FILE.json the typed-JSON rendering (the testdata/gob
//	                                    manifest value format)
//	gobbench run -iters N [-file FILE]  steady-state encode/decode timings as one JSON object;
//	                                    with -file the payload is decoded from FILE, so both
//	                                    languages time exactly the same value
package main

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"reflect"
	"runtime"
	"sort"
	"time"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

// The tilores-plugin-api types (package api / dispatcher), same names and
// fields, so the gob type definitions match the real dispatcher's.
type (
	EntityOutput struct{ Entity *Entity }
	Entity       struct {
		ID         string
		Records    []*Record
		Edges      Edges
		Duplicates Duplicates
		Hits       Hits
	}
	Edges      []string
	Duplicates map[string][]string
	Hits       map[string][]string
	Record     struct {
		ID   string
		Data map[string]interface{}
	}
)

func init() {
	// What the plugin API registers for its interface values; time.Time is
	// not pre-registered by gob.
	gobjson.Register([]interface{}{})
	gobjson.Register(map[string]interface{}{})
	gobjson.Register(time.Time{})
}

const numRecords = 100

// buildPayload returns a deterministic entity of 100 records, each with 10
// mixed data fields (strings, float64s, bools, a nested map, a list and a
// time, UTC for even records and with a zone offset for odd ones).
func buildPayload() *EntityOutput {
	rng := rand.New(rand.NewSource(20240506))
	cities := []string{"Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Leipzig"}
	zones := []*time.Location{time.FixedZone("", 2*3600), time.FixedZone("", -5*3600-30*60)}
	base := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	e := &Entity{ID: "entity-7f3a9c", Duplicates: Duplicates{}, Hits: Hits{}}
	for i := 0; i < numRecords; i++ {
		id := fmt.Sprintf("record-%04d-%08x", i, rng.Uint32())
		when := base.Add(time.Duration(rng.Int63n(int64(365 * 24 * time.Hour)))).Truncate(time.Millisecond)
		if i%2 == 1 {
			when = when.In(zones[(i/2)%2])
		}
		e.Records = append(e.Records, &Record{ID: id, Data: map[string]interface{}{
			"firstName": fmt.Sprintf("Name%d", rng.Intn(10000)),
			"email":     fmt.Sprintf("user%d@example.com", rng.Intn(1000000)),
			"city":      cities[rng.Intn(len(cities))],
			"score":     float64(rng.Intn(100000)) / 1000,
			"weight":    rng.NormFloat64()*10 + 70,
			"active":    rng.Intn(2) == 0,
			"verified":  rng.Intn(3) == 0,
			"address": map[string]interface{}{
				"street": fmt.Sprintf("%d Main Street", rng.Intn(500)),
				"zip":    fmt.Sprintf("%05d", rng.Intn(100000)),
				"geo":    []interface{}{50 + rng.Float64(), 10 + rng.Float64()},
			},
			"tags":    []interface{}{"customer", rng.Intn(2) == 0, float64(rng.Intn(10)), fmt.Sprintf("segment-%c", 'A'+rng.Intn(5))},
			"created": when,
		}})
		if i > 0 {
			e.Edges = append(e.Edges, fmt.Sprintf("%s:%s:%s", e.Records[i-1].ID, id, []string{"STATIC", "R1EXACT", "R2FUZZY"}[rng.Intn(3)]))
		}
		if i%10 == 3 {
			e.Duplicates[id] = []string{e.Records[i-1].ID, e.Records[i-2].ID}
		}
		if i%7 == 0 {
			e.Hits[id] = []string{"RULE-1", fmt.Sprintf("RULE-%d", 2+rng.Intn(4))}
		}
	}
	return &EntityOutput{Entity: e}
}

func encodeOnce(v any) ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(v)
	return b.Bytes(), err
}

func cmdWrite(out string) error {
	v := buildPayload()
	data, err := encodeOnce(v)
	if err != nil {
		return err
	}
	// The rendering from the Go value must agree with the rendering from the
	// bytes (the same self-check gobvectors gen applies).
	want := gobjson.Render(v)
	got, _, err := gobjson.RenderWire(data)
	if err != nil || len(got) != 1 || gobjson.JSON(got[0]) != gobjson.JSON(want) {
		return fmt.Errorf("renderers disagree on the payload (wire error %v)", err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	// FILE.next: what the same Encoder writes for the value the second time (no
	// definitions): the steady-state message that "run" decodes, for a decoder that
	// has read FILE.
	var b bytes.Buffer
	enc := gob.NewEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return err
	}
	first := b.Len()
	if err := enc.Encode(v); err != nil {
		return err
	}
	if err := os.WriteFile(out+".next", b.Bytes()[first:], 0o644); err != nil {
		return err
	}
	return os.WriteFile(out+".json", []byte(gobjson.JSON(want)+"\n"), 0o644)
}

// cmdCheck decodes another encoder's stream of the payload and Go's own, each into a
// fresh EntityOutput, and requires them deeply equal (Go's decoder is the judge of the
// other encoder's bytes). Maps are compared as maps, so entry order does not matter.
func cmdCheck(file, want string) error {
	decode := func(name string) (*EntityOutput, error) {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		v := new(EntityOutput)
		dec := gob.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(v); err != nil {
			return nil, fmt.Errorf("decoding %s: %v", name, err)
		}
		if err := dec.Decode(new(EntityOutput)); err != io.EOF {
			return nil, fmt.Errorf("%s: more than one value (%v)", name, err)
		}
		return v, nil
	}
	got, err := decode(file)
	if err != nil {
		return err
	}
	exp, err := decode(want)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(got, exp) {
		return fmt.Errorf("%s decodes to a different value than Go's %s", file, want)
	}
	fmt.Println("ok")
	return nil
}

// countWriter counts bytes and discards them, standing in for the network.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

const reps = 5

func cmdRun(iters int, file string) error {
	v := buildPayload()
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		v = new(EntityOutput)
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
			return fmt.Errorf("decoding %s: %v", file, err)
		}
	}

	// (a) Encode, steady state as net/rpc runs it: one Encoder per stream;
	// a warm-up encode sends the definitions, later values only the data.
	w := &countWriter{}
	enc := gob.NewEncoder(w)
	if err := enc.Encode(v); err != nil {
		return err
	}
	before := w.n
	if err := enc.Encode(v); err != nil {
		return err
	}
	bytesPerOp := w.n - before
	var encNs []float64
	for r := 0; r < reps; r++ {
		start := time.Now()
		for i := 0; i < iters; i++ {
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		encNs = append(encNs, float64(time.Since(start).Nanoseconds())/float64(iters))
	}

	// (b) Decode: a stream of warm-up + N values from one Encoder, read by
	// one Decoder into fresh values.
	var stream bytes.Buffer
	senc := gob.NewEncoder(&stream)
	for i := 0; i <= iters; i++ {
		if err := senc.Encode(v); err != nil {
			return err
		}
	}
	var decNs []float64
	for r := 0; r < reps; r++ {
		dec := gob.NewDecoder(bytes.NewReader(stream.Bytes()))
		if err := dec.Decode(new(EntityOutput)); err != nil { // warm-up: definitions
			return err
		}
		start := time.Now()
		for i := 0; i < iters; i++ {
			var out EntityOutput
			if err := dec.Decode(&out); err != nil {
				return err
			}
		}
		decNs = append(decNs, float64(time.Since(start).Nanoseconds())/float64(iters))
		if err := dec.Decode(new(EntityOutput)); err != io.EOF {
			return fmt.Errorf("decode stream: expected EOF after %d values, got %v", iters, err)
		}
	}

	enc50, dec50 := median(encNs), median(decNs)
	res := struct {
		EncodeNsPerOp float64 `json:"encode_ns_per_op"`
		DecodeNsPerOp float64 `json:"decode_ns_per_op"`
		BytesPerOp    int64   `json:"bytes_per_op"`
		GoVersion     string  `json:"go_version"`
		EncodeMBps    float64 `json:"encode_mb_per_s"`
		DecodeMBps    float64 `json:"decode_mb_per_s"`
		Iters         int     `json:"iters"`
		Repetitions   int     `json:"repetitions"`
		Records       int     `json:"records"`
	}{
		EncodeNsPerOp: enc50, DecodeNsPerOp: dec50, BytesPerOp: bytesPerOp,
		GoVersion:  runtime.Version(),
		EncodeMBps: float64(bytesPerOp) / enc50 * 1e3, // bytes/ns = GB/s; ×1e3 = MB/s
		DecodeMBps: float64(bytesPerOp) / dec50 * 1e3,
		Iters:      iters, Repetitions: reps, Records: len(v.Entity.Records),
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	out := fs.String("out", "", "output file (write)")
	iters := fs.Int("iters", 1000, "values per timed loop (run)")
	file := fs.String("file", "", "stream written by `gobbench write` whose value is benchmarked (run), or another encoder's stream to check (check)")
	want := fs.String("want", "", "Go's stream of the same value (check)")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "write":
		if *out == "" {
			usage()
		}
		err = cmdWrite(*out)
	case "check":
		if *file == "" || *want == "" {
			usage()
		}
		err = cmdCheck(*file, *want)
	case "run":
		if *iters <= 0 {
			err = errors.New("-iters must be positive")
			break
		}
		err = cmdRun(*iters, *file)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gobbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage:\n  gobbench write -out FILE\n  gobbench run -iters N [-file FILE]\n  gobbench check -file FILE -want GOFILE")
	os.Exit(2)
}
