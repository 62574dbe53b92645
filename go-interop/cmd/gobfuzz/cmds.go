package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	maxAttempts    = 4
	maxMutantLen   = 64 << 20 // mutants declaring a longer message are not emitted
	bigStreamLimit = 64 << 10 // streams above this get at most 3 mutants (above 4x: 1)
	maxListed      = 50
)

// streamHdr is the header `one` writes.
type streamHdr struct {
	Seed    uint64   `json:"seed"`
	Attempt int      `json:"attempt"`
	Skip    *string  `json:"skip,omitempty"`
	Values  int      `json:"values"`
	MapFree bool     `json:"map_free"`
	Bytes   int      `json:"bytes"`
	Mode    string   `json:"mode,omitempty"`
	Types   []string `json:"types,omitempty"`
	Redrawn []string `json:"redrawn,omitempty"` // encode errors of earlier attempts
}

// ---- one ----

func cmdOne(seed uint64, attempt int, prior []string) int {
	s := generate(seed, attempt)
	b, err := encodeStream(s)
	if err != nil {
		prior = append(prior, fmt.Sprintf("attempt %d: %v", attempt, err))
		if attempt+1 < maxAttempts {
			// Type ids are now used up in this process: redraw in a fresh one.
			exe, _ := os.Executable()
			pj, _ := json.Marshal(prior)
			cmd := exec.Command(exe, "one", "-seed", strconv.FormatUint(seed, 10),
				"-attempt", strconv.Itoa(attempt+1), "-prior", string(pj))
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "one:", err)
				return 1
			}
			return 0
		}
		reason := strings.Join(prior, "; ")
		writeRecord(os.Stdout, streamHdr{Seed: seed, Attempt: attempt, Skip: &reason, Redrawn: prior})
		return 0
	}
	h := streamHdr{Seed: seed, Attempt: attempt, Values: len(s.Vals), MapFree: s.mapFree(), Bytes: len(b),
		Mode: s.Mode, Redrawn: prior}
	for _, t := range s.Types {
		h.Types = append(h.Types, short(t.String(), 200))
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if err := writeRecord(w, h, b); err != nil || w.Flush() != nil {
		return 2
	}
	return 0
}

// ---- gen ----

func cmdGen(from uint64, count int, out string, jobs int) int {
	start := time.Now()
	exe, err := os.Executable()
	if err != nil {
		return fail2(err)
	}
	rw, err := createRecords(out)
	if err != nil {
		return fail2(err)
	}
	type res struct {
		rec *record
		err error
	}
	jobs = max(jobs, 1)
	order := make(chan chan res, 4*jobs)
	sem := make(chan struct{}, jobs)
	go func() {
		for i := 0; i < count; i++ {
			seed := from + uint64(i)
			ch := make(chan res, 1)
			order <- ch
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				var stderr bytes.Buffer
				cmd := exec.Command(exe, "one", "-seed", strconv.FormatUint(seed, 10))
				cmd.Stderr = &stderr
				outb, err := cmd.Output()
				var rec *record
				if err == nil {
					rec, err = readRecord(bytes.NewReader(outb))
				}
				if err != nil {
					// A crashed child becomes a skipped stream, not a failed run.
					reason := fmt.Sprintf("child failed: %v: %s", err, short(strings.TrimSpace(stderr.String()), 300))
					rec = &record{}
					rec.Header, _ = json.Marshal(streamHdr{Seed: seed, Skip: &reason})
				}
				ch <- res{rec: rec}
			}()
		}
		close(order)
	}()
	var n, skipped, mapFree, redrawn int
	var sizes []int
	modes := map[string]int{}
	reasons := map[string]int{}
	var ferr error
	for ch := range order {
		r := <-ch
		if ferr != nil {
			continue
		}
		if r.err != nil {
			ferr = r.err
			continue
		}
		var h streamHdr
		json.Unmarshal(r.rec.Header, &h)
		n++
		if len(h.Redrawn) > 0 {
			redrawn++
			for _, e := range h.Redrawn {
				reasons[errorShape(e)]++
			}
		}
		if h.Skip != nil {
			skipped++
			reasons["skipped: "+short(*h.Skip, 150)]++
		} else {
			sizes = append(sizes, h.Bytes)
			modes[h.Mode]++
			if h.MapFree {
				mapFree++
			}
		}
		if err := rw.write(r.rec.Header, r.rec.Payloads...); err != nil {
			ferr = err
		}
	}
	if err := rw.Close(); err != nil && ferr == nil {
		ferr = err
	}
	if ferr != nil {
		return fail2(ferr)
	}
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "gen: %d streams [%d,%d) in %.1fs (%.1fs/1000): %d skipped, %d redrawn, %d map_free, modes %v, bytes %s\n",
		n, from, from+uint64(count), el.Seconds(), el.Seconds()*1000/float64(max(n, 1)), skipped, redrawn, mapFree, modes, sizeStats(sizes))
	for _, k := range sortedKeys(reasons) {
		fmt.Fprintf(os.Stderr, "gen:   encode error x%d: %s\n", reasons[k], k)
	}
	return 0
}

// blankNumbers replaces every run of digits with "N", for grouping messages.
func blankNumbers(s string) string {
	var b strings.Builder
	digit := false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			if !digit {
				b.WriteByte('N')
			}
			digit = true
			continue
		}
		digit = false
		b.WriteRune(r)
	}
	return b.String()
}

// errorShape strips the variable parts of an encode error for grouping.
func errorShape(e string) string {
	if strings.HasPrefix(e, "attempt ") {
		if i := strings.Index(e, ": "); i >= 0 {
			e = e[i+2:]
		}
	}
	if i := strings.Index(e, ": value "); i >= 0 {
		e = e[i+2:]
	}
	if i := strings.Index(e, "): "); i >= 0 {
		e = e[i+3:]
	}
	return short(e, 160)
}

func sizeStats(s []int) string {
	if len(s) == 0 {
		return "-"
	}
	s = slices.Clone(s)
	sort.Ints(s)
	total := 0
	for _, v := range s {
		total += v
	}
	q := func(p float64) int { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("total %d min %d p50 %d p90 %d p99 %d max %d", total, s[0], q(0.5), q(0.9), q(0.99), s[len(s)-1])
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func streamKey(seed uint64, attempt int) string { return fmt.Sprintf("%d/%d", seed, attempt) }

func fail2(err error) int {
	fmt.Fprintln(os.Stderr, "gobfuzz:", err)
	return 2
}

// ---- check ----

type summary struct {
	Streams         int            `json:"streams"`
	Skipped         int            `json:"skipped"`
	CheckedValues   int            `json:"checked_values"`
	ByteChecked     int            `json:"byte_checked"`
	ByteExact       int            `json:"byte_exact"`
	FailuresByClass map[string]int `json:"failures_by_class"`
	Failures        []failure      `json:"failures"`
}

func (s *summary) add(f failure) {
	s.FailuresByClass[f.Class]++
	if len(s.Failures) < maxListed {
		s.Failures = append(s.Failures, f)
	}
}

func printJSON(v any) {
	b, _ := json.Marshal(v)
	os.Stdout.Write(append(b, '\n'))
}

func cmdCheck(streams, rust string, jobs int) int {
	sf, err := openRecords(streams)
	if err != nil {
		return fail2(err)
	}
	defer sf.Close()
	rf, err := openRecords(rust)
	if err != nil {
		return fail2(err)
	}
	defer rf.Close()
	sum := &summary{FailuresByClass: map[string]int{}, Failures: []failure{}}
	produce := func(emit func(*wjob)) error {
		for {
			rec, err := sf.next()
			if err != nil || rec == nil {
				return err
			}
			var h streamHdr
			if err := json.Unmarshal(rec.Header, &h); err != nil {
				return fmt.Errorf("%s: bad header: %v", streams, err)
			}
			sum.Streams++
			if h.Skip != nil {
				sum.Skipped++
				// Rust may or may not write a record for a skipped stream.
				if p, err := rf.peekNext(); err == nil && p != nil {
					var rh rustStreamHdr
					if json.Unmarshal(p.Header, &rh) == nil && rh.Seed == h.Seed {
						rf.next()
					}
				}
				continue
			}
			rr, err := rf.next()
			if err != nil {
				return err
			}
			if rr == nil {
				return fmt.Errorf("%s ended before the record for seed %d", rust, h.Seed)
			}
			var rh rustStreamHdr
			if err := json.Unmarshal(rr.Header, &rh); err != nil {
				return fmt.Errorf("%s: bad header for seed %d: %v", rust, h.Seed, err)
			}
			if rh.Seed != h.Seed {
				return fmt.Errorf("%s: record for seed %d where seed %d was expected", rust, rh.Seed, h.Seed)
			}
			req := map[string]any{"op": "check", "seed": h.Seed, "attempt": h.Attempt, "map_free": h.MapFree,
				"rust": json.RawMessage(rr.Header)}
			emit(&wjob{header: req, payloads: [][]byte{rec.payload(0), rr.payload(0), rr.payload(1)}, stream: streamKey(h.Seed, h.Attempt), ctx: h.Seed})
		}
	}
	consume := func(j *wjob, r wres) error {
		if r.crash != "" {
			sum.add(failure{Seed: j.ctx.(uint64), Class: "go_crash", Detail: r.crash})
			return nil
		}
		var cr checkResp
		if err := json.Unmarshal(r.rec.Header, &cr); err != nil {
			return err
		}
		sum.CheckedValues += cr.CheckedValues
		sum.ByteChecked += cr.ByteChecked
		sum.ByteExact += cr.ByteExact
		for _, f := range cr.Failures {
			sum.add(f)
		}
		return nil
	}
	if err := runOrdered(jobs, produce, consume); err != nil {
		return fail2(err)
	}
	if r, err := rf.next(); err == nil && r != nil {
		return fail2(fmt.Errorf("%s has more records than %s", rust, streams))
	}
	printJSON(sum)
	return 0
}

// ---- mutate ----

type mutantHdr struct {
	Seed         uint64   `json:"seed"`
	Mutant       int      `json:"mutant"`
	Attempt      int      `json:"attempt"`
	Values       int      `json:"values"`
	Ops          []string `json:"ops"`
	GoValues     int      `json:"go_values"`
	GoError      *string  `json:"go_error"`
	GoErrorClass *string  `json:"go_error_class"`
	GoCrash      string   `json:"go_crash,omitempty"`
}

type mutCtx struct {
	hdr  mutantHdr
	data []byte
}

func cmdMutate(streams string, per int, out, crashes string, jobs int) int {
	start := time.Now()
	sf, err := openRecords(streams)
	if err != nil {
		return fail2(err)
	}
	defer sf.Close()
	rw, err := createRecords(out)
	if err != nil {
		return fail2(err)
	}
	var cw *recordWriter
	if crashes != "" {
		if cw, err = createRecords(crashes); err != nil {
			return fail2(err)
		}
	}
	var nStreams, rejected, emitted int
	byClass := map[string]int{}
	crashKinds := map[string]int{}
	produce := func(emit func(*wjob)) error {
		for {
			rec, err := sf.next()
			if err != nil || rec == nil {
				return err
			}
			var h streamHdr
			if err := json.Unmarshal(rec.Header, &h); err != nil {
				return fmt.Errorf("%s: bad header: %v", streams, err)
			}
			if h.Skip != nil {
				continue
			}
			nStreams++
			orig := rec.payload(0)
			m := per
			switch {
			case len(orig) > 4*bigStreamLimit:
				m = 1
			case len(orig) > bigStreamLimit:
				m = min(m, 3)
			}
			for j := 0; j < m; j++ {
				r := rand.New(rand.NewPCG(h.Seed, 0xC0FFEE<<32|uint64(j)))
				var mb []byte
				var ops []string
				ok := false
				for try := 0; try < 3 && !ok; try++ {
					mb, ops = mutateStream(r, orig)
					ok = maxDeclaredLen(mb) <= maxMutantLen
				}
				if !ok {
					rejected++
					continue
				}
				mh := mutantHdr{Seed: h.Seed, Mutant: j, Attempt: h.Attempt, Values: h.Values, Ops: ops}
				req := map[string]any{"op": "mdecode", "seed": h.Seed, "attempt": h.Attempt}
				emit(&wjob{header: req, payloads: [][]byte{mb}, stream: streamKey(h.Seed, h.Attempt), ctx: &mutCtx{mh, mb}})
			}
		}
	}
	consume := func(j *wjob, r wres) error {
		mc := j.ctx.(*mutCtx)
		if r.crash != "" {
			crashKinds[r.crash]++
			if cw != nil {
				mc.hdr.GoCrash = r.crash
				return cw.write(mc.hdr, mc.data)
			}
			return nil
		}
		var md mdecodeResp
		if err := json.Unmarshal(r.rec.Header, &md); err != nil {
			return err
		}
		mc.hdr.GoValues, mc.hdr.GoError, mc.hdr.GoErrorClass = md.GoValues, md.GoError, md.GoErrorClass
		cls := "none"
		if md.GoErrorClass != nil {
			cls = *md.GoErrorClass
		}
		byClass[cls]++
		emitted++
		return rw.write(mc.hdr, mc.data)
	}
	err = runOrdered(jobs, produce, consume)
	if cerr := rw.Close(); err == nil {
		err = cerr
	}
	if cw != nil {
		if cerr := cw.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fail2(err)
	}
	crashed := 0
	for _, v := range crashKinds {
		crashed += v
	}
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "mutate: %d streams -> %d mutants in %.1fs (%.1fs/1000 streams); go_error_class %v; %d not emitted (Go crashed: %v), %d rejected (message length > %d)\n",
		nStreams, emitted, el.Seconds(), el.Seconds()*1000/float64(max(nStreams, 1)), byClass, crashed, crashKinds, rejected, maxMutantLen)
	return 0
}

// ---- check-mutants ----

type mSummary struct {
	Mutants         int            `json:"mutants"`
	Streams         int            `json:"streams"`
	Skipped         int            `json:"skipped"`
	CheckedValues   int            `json:"checked_values"`
	ByteChecked     int            `json:"byte_checked"`
	ByteExact       int            `json:"byte_exact"`
	FailuresByClass map[string]int `json:"failures_by_class"`
	Failures        []failure      `json:"failures"`
	Info            map[string]int `json:"info"`
	InfoExamples    []failure      `json:"info_examples"`
	// InfoShapes counts Go's errors behind "rust accepts, Go refuses (data)" by their
	// shape (numbers blanked), to review what Go refuses that the dynamic decoder takes.
	InfoShapes map[string]int `json:"info_data_shapes"`
}

func cmdCheckMutants(mutants, rust string, jobs int) int {
	mf, err := openRecords(mutants)
	if err != nil {
		return fail2(err)
	}
	defer mf.Close()
	rf, err := openRecords(rust)
	if err != nil {
		return fail2(err)
	}
	defer rf.Close()
	sum := &mSummary{FailuresByClass: map[string]int{}, Failures: []failure{},
		Info:         map[string]int{"go_typed_only_accepts": 0, "interface_count_disagrees": 0, "definition_sets_several_kinds": 0, "wire_reader_panic": 0, "rust_accepts_go_refuses_data": 0, "rust_accepts_go_refuses_type": 0, "rust_accepts_go_refuses_panic": 0},
		InfoExamples: []failure{}, InfoShapes: map[string]int{}}
	seeds := map[uint64]bool{}
	produce := func(emit func(*wjob)) error {
		for {
			rec, err := mf.next()
			if err != nil || rec == nil {
				return err
			}
			var h mutantHdr
			if err := json.Unmarshal(rec.Header, &h); err != nil {
				return fmt.Errorf("%s: bad header: %v", mutants, err)
			}
			rr, err := rf.next()
			if err != nil {
				return err
			}
			if rr == nil {
				return fmt.Errorf("%s ended before the record for seed %d mutant %d", rust, h.Seed, h.Mutant)
			}
			var rh rustMutantHdr
			if err := json.Unmarshal(rr.Header, &rh); err != nil {
				return fmt.Errorf("%s: bad header for seed %d mutant %d: %v", rust, h.Seed, h.Mutant, err)
			}
			if rh.Seed != h.Seed || rh.Mutant != h.Mutant {
				return fmt.Errorf("%s: record for seed %d mutant %d where seed %d mutant %d was expected",
					rust, rh.Seed, rh.Mutant, h.Seed, h.Mutant)
			}
			sum.Mutants++
			seeds[h.Seed] = true
			req := map[string]any{"op": "checkm", "seed": h.Seed, "attempt": h.Attempt, "rust": json.RawMessage(rr.Header)}
			emit(&wjob{header: req, payloads: [][]byte{rec.payload(0), rr.payload(0)}, stream: streamKey(h.Seed, h.Attempt), ctx: &h})
		}
	}
	consume := func(j *wjob, r wres) error {
		h := j.ctx.(*mutantHdr)
		if r.crash != "" {
			m := h.Mutant
			sum.FailuresByClass["go_crash"]++
			if len(sum.Failures) < maxListed {
				sum.Failures = append(sum.Failures, failure{Seed: h.Seed, Mutant: &m, Class: "go_crash", Detail: r.crash})
			}
			return nil
		}
		var cr checkmResp
		if err := json.Unmarshal(r.rec.Header, &cr); err != nil {
			return err
		}
		sum.CheckedValues += cr.CheckedValues
		for _, f := range cr.Failures {
			sum.FailuresByClass[f.Class]++
			if len(sum.Failures) < maxListed {
				f.Detail = fmt.Sprintf("%s [ops %s]", f.Detail, strings.Join(h.Ops, " "))
				sum.Failures = append(sum.Failures, f)
			}
		}
		if cr.Info != "" {
			sum.Info[cr.Info]++
			if cr.Info == "rust_accepts_go_refuses_data" && cr.GoError != nil {
				sum.InfoShapes[blankNumbers(short(*cr.GoError, 80))]++
			}
			if len(sum.InfoExamples) < 10 && cr.GoError != nil {
				m := h.Mutant
				sum.InfoExamples = append(sum.InfoExamples, failure{Seed: h.Seed, Mutant: &m, Class: cr.Info,
					Detail: fmt.Sprintf("go stopped after %d values: %s [ops %s]", cr.GoValues, short(*cr.GoError, 200), strings.Join(h.Ops, " "))})
			}
		}
		return nil
	}
	if err := runOrdered(jobs, produce, consume); err != nil {
		return fail2(err)
	}
	if r, err := rf.next(); err == nil && r != nil {
		return fail2(fmt.Errorf("%s has more records than %s", rust, mutants))
	}
	sum.Streams = len(seeds)
	printJSON(sum)
	return 0
}

// ---- echo stand-ins for the Rust side ----

func cmdEcho(streams, out string) int {
	sf, err := openRecords(streams)
	if err != nil {
		return fail2(err)
	}
	defer sf.Close()
	rw, err := createRecords(out)
	if err != nil {
		return fail2(err)
	}
	for {
		rec, err := sf.next()
		if err != nil {
			return fail2(err)
		}
		if rec == nil {
			break
		}
		var h streamHdr
		if err := json.Unmarshal(rec.Header, &h); err != nil {
			return fail2(err)
		}
		if h.Skip != nil {
			continue
		}
		rh := map[string]any{"seed": h.Seed, "decode_error": nil, "values": h.Values, "value_error": nil, "json_error": nil}
		if err := rw.write(rh, rec.payload(0), rec.payload(0)); err != nil {
			return fail2(err)
		}
	}
	if err := rw.Close(); err != nil {
		return fail2(err)
	}
	return 0
}

func cmdEchoMutants(mutants, out string, jobs int) int {
	mf, err := openRecords(mutants)
	if err != nil {
		return fail2(err)
	}
	defer mf.Close()
	rw, err := createRecords(out)
	if err != nil {
		return fail2(err)
	}
	n := 0
	verbatim := map[string]int{}
	produce := func(emit func(*wjob)) error {
		for {
			rec, err := mf.next()
			if err != nil || rec == nil {
				return err
			}
			var h mutantHdr
			if err := json.Unmarshal(rec.Header, &h); err != nil {
				return err
			}
			n++
			req := map[string]any{"op": "echom", "seed": h.Seed, "attempt": h.Attempt}
			emit(&wjob{header: req, payloads: [][]byte{rec.payload(0)}, stream: streamKey(h.Seed, h.Attempt), ctx: &h})
		}
	}
	consume := func(j *wjob, r wres) error {
		h := j.ctx.(*mutantHdr)
		rh := map[string]any{"seed": h.Seed, "mutant": h.Mutant}
		if r.crash != "" {
			rh["rust_values"], rh["rust_error"], rh["encode_error"] = 0, "go crashed: "+r.crash, nil
			return rw.write(rh, nil)
		}
		var er echomResp
		if err := json.Unmarshal(r.rec.Header, &er); err != nil {
			return err
		}
		rh["rust_values"], rh["rust_error"], rh["encode_error"] = er.GoValues, er.GoError, er.EncodeError
		if er.Verbatim != "" {
			verbatim[short(er.Verbatim, 90)]++
		}
		return rw.write(rh, r.rec.payload(0))
	}
	err = runOrdered(jobs, produce, consume)
	if cerr := rw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail2(err)
	}
	nv := 0
	for _, v := range verbatim {
		nv += v
	}
	fmt.Fprintf(os.Stderr, "echo-mutants: %d mutants, %d echoed verbatim\n", n, nv)
	for _, k := range sortedKeys(verbatim) {
		fmt.Fprintf(os.Stderr, "echo-mutants:   x%d %s\n", verbatim[k], k)
	}
	return 0
}

// ---- show ----

func cmdShow(seed uint64, attempt int, full bool) int {
	s := generate(seed, attempt)
	b, err := encodeStream(s)
	fmt.Printf("seed %d attempt %d mode %s values %d map_free %v\n", seed, attempt, s.Mode, len(s.Vals), s.mapFree())
	for i, v := range s.Vals {
		fmt.Printf("value %d: type %s\n", i, s.Types[i])
		var txt string
		if len(b) > 64<<10 && !full {
			txt = fmtVal(v.Elem())
		} else {
			txt = fmt.Sprintf("%#v", v.Elem().Interface())
		}
		if !full {
			txt = short(txt, 3000)
		}
		fmt.Printf("  %s\n", txt)
	}
	if err != nil {
		fmt.Printf("encode error: %v\n", err)
		return 0
	}
	fmt.Printf("stream: %d bytes\n", len(b))
	dump := b
	if len(dump) > 4096 && !full {
		dump = dump[:4096]
	}
	fmt.Print(hex.Dump(dump))
	if len(dump) < len(b) {
		fmt.Printf("... (%d more bytes; -full for all)\n", len(b)-len(dump))
	}
	if fr, ok := parseFrames(b); ok {
		fmt.Printf("messages: %d\n", len(fr))
		for i, f := range fr {
			id, _, _ := frameID(b, f)
			if i >= 40 && !full {
				fmt.Printf("  ...\n")
				break
			}
			fmt.Printf("  #%d at %d: length %d, type id %d\n", i, f.start, f.end-f.body, id)
		}
	}
	return 0
}
