package main

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"

	"tilores-plugin-rs/go-interop/cmd/gobvectors/gobjson"
)

// manifestCase is one entry of manifest.json. The first seven fields are the
// agreed format; the rest are optional extensions, present only when useful.
type manifestCase struct {
	Name              string  `json:"name"`
	Checklist         []int   `json:"checklist"`
	Description       string  `json:"description"`
	Exact             bool    `json:"exact"`
	Values            []any   `json:"values"`
	Error             *string `json:"error"`
	ValuesBeforeError int     `json:"values_before_error"`

	// Crafted: the bytes are not verbatim Encoder output (byte manipulation
	// of real output, or bytes quoted from Go's tests).
	Crafted bool `json:"crafted,omitempty"`
	// ValuesOmitted: values too deeply nested to list (see Case.OmitValues).
	ValuesOmitted bool `json:"values_omitted,omitempty"`
	// Target: error cases: the Go type passed to the failing Decode ("nil"
	// for Decode(nil)).
	Target string `json:"target,omitempty"`
	// StreamValid: error cases: the bytes are untouched Encoder output, so
	// the failure comes from the destination type (or a Go bug), not from the
	// stream; StreamValues then renders every value in it.
	StreamValid  *bool `json:"stream_valid,omitempty"`
	StreamValues []any `json:"stream_values,omitempty"`
	// DecodedAs: what Go's Decoder produced when the stream was decoded into
	// the listed types (different destination types, or a crafted stream
	// whose decoded value differs from its wire rendering).
	DecodedAs *decodedAs `json:"decoded_as,omitempty"`
}

type decodedAs struct {
	Targets []string `json:"targets"`
	Values  []any    `json:"values"`
}

func typeName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

// runOne generates one case in this (fresh) process: writes DIR/NAME.gob
// and returns the manifest entry.
func runOne(c *Case, dir string) (*manifestCase, error) {
	if c.Prelude != nil {
		c.Prelude()
	}
	data, values, err := c.encode()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, c.Name+".gob"), data, 0o644); err != nil {
		return nil, err
	}
	m := &manifestCase{
		Name:        c.Name,
		Checklist:   c.Checklist,
		Description: c.Desc,
		Crafted:     c.crafted(),
		Values:      []any{},
	}
	if c.Error {
		return m, fillError(c, m, data, values)
	}
	return m, fillValid(c, m, data, values)
}

func fillValid(c *Case, m *manifestCase, data []byte, values []any) error {
	wire, leftover, err := gobjson.RenderWire(data)
	if err != nil {
		return fmt.Errorf("wire reader fails on a valid stream: %v", err)
	}
	if len(wire) != len(values) {
		return fmt.Errorf("wire reader found %d values, encoded %d", len(wire), len(values))
	}
	if leftover > 0 && !c.crafted() {
		return fmt.Errorf("Go's output has bytes after a value (unexpected)")
	}
	if !c.crafted() {
		// Two independent renderings must agree: the Go values through
		// gob's encoding rules, and the bytes.
		for i, v := range values {
			if a, b := gobjson.JSON(gobjson.Render(v)), gobjson.JSON(wire[i]); a != b {
				return fmt.Errorf("value %d: renderers disagree:\n from Go value: %s\n from bytes:    %s", i, a, b)
			}
		}
	}
	// Go must decode its stream into the original types...
	decoded, err := decodeStream(data, typesOf(values))
	if err != nil {
		return fmt.Errorf("Go cannot decode the stream into the original types: %v", err)
	}
	// ...and, when asked, into the alternative destinations.
	if c.Targets != nil {
		targets := c.Targets()
		da := &decodedAs{}
		dec := gob.NewDecoder(bytes.NewReader(data))
		for i := range values {
			t := targets[min(i, len(targets)-1)]
			if t != nil {
				t = reflect.New(reflect.TypeOf(t).Elem()).Interface() // fresh for each value
			}
			if err := dec.Decode(t); err != nil {
				return fmt.Errorf("decoding value %d into %T: %v", i, t, err)
			}
			da.Targets = append(da.Targets, typeName(t))
			if t == nil {
				da.Values = append(da.Values, nil)
			} else {
				da.Values = append(da.Values, gobjson.Render(t))
			}
		}
		m.DecodedAs = da
	} else {
		// Report where Go's decoded value renders differently from the wire
		// (crafted streams; quirks such as the time v2 offset).
		differs := false
		da := &decodedAs{}
		for i, d := range decoded {
			dv := gobjson.RenderValue(d)
			da.Targets = append(da.Targets, "*"+d.Type().String())
			da.Values = append(da.Values, dv)
			if gobjson.JSON(dv) != gobjson.JSON(wire[i]) {
				differs = true
			}
		}
		if differs {
			m.DecodedAs = da
			fmt.Fprintf(os.Stderr, "note: %s: Go's decoded values render differently from the wire\n", c.Name)
		}
	}
	if c.OmitValues {
		m.ValuesOmitted = true
	} else {
		m.Values = wire
	}
	m.Exact = !c.crafted() && !hasMultiEntryMap(reflect.ValueOf(values), map[uintptr]bool{})
	return nil
}

func fillError(c *Case, m *manifestCase, data []byte, values []any) error {
	var targets []any
	switch {
	case c.Targets != nil:
		targets = c.Targets()
	case values != nil:
		for _, v := range values {
			targets = append(targets, reflect.New(reflect.TypeOf(v)).Interface())
		}
	default:
		return errors.New("error case needs Targets or Values")
	}
	dec := gob.NewDecoder(bytes.NewReader(data))
	var decErr error
	var target any
	n := 0
	for ; n < 1000; n++ {
		target = targets[min(n, len(targets)-1)]
		if t := reflect.ValueOf(target); t.Kind() == reflect.Pointer && !t.IsNil() {
			target = reflect.New(t.Type().Elem()).Interface()
		}
		if decErr = dec.Decode(target); decErr != nil {
			break
		}
	}
	switch {
	case decErr == nil:
		return errors.New("Go decoded 1000 values without an error")
	case decErr == io.EOF && !c.CleanEOF && values != nil && n >= len(values):
		// A bare io.EOF is also what Go reports for data missing inside
		// a message (e.g. hostile_map_count); only a clean end after every
		// value is a failure to produce an error.
		return fmt.Errorf("Go decoded all %d values cleanly; expected an error", n)
	case decErr != io.EOF && c.CleanEOF:
		return fmt.Errorf("expected io.EOF, got %v", decErr)
	}
	text := decErr.Error()
	m.Error = &text
	m.ValuesBeforeError = n
	m.Target = typeName(target)
	m.Exact = false
	valid := !c.crafted()
	m.StreamValid = &valid
	if n > 0 || valid {
		wire, _, err := gobjson.RenderWire(data)
		if len(wire) < n {
			return fmt.Errorf("wire reader renders only %d of the %d values Go decoded: %v", len(wire), n, err)
		}
		if !c.OmitValues {
			m.Values = wire[:n]
		}
		if valid {
			if err != nil || len(wire) != len(values) {
				return fmt.Errorf("stream marked valid but the wire reader fails: %v", err)
			}
			for i, v := range values {
				if a, b := gobjson.JSON(gobjson.Render(v)), gobjson.JSON(wire[i]); a != b {
					return fmt.Errorf("value %d: renderers disagree:\n from Go value: %s\n from bytes:    %s", i, a, b)
				}
			}
			if c.OmitValues {
				m.ValuesOmitted = true
			} else {
				m.StreamValues = wire
			}
		}
	}
	return nil
}

// ---- gen: one child process per case ----

type childResult struct {
	entry json.RawMessage
	err   error
}

func cmdGen(dir string) int {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		return 1
	}
	// Remove stale vectors so renamed cases do not linger.
	old, _ := filepath.Glob(filepath.Join(dir, "*.gob"))
	for _, f := range old {
		os.Remove(f)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		return 1
	}
	cases := orderedCases()
	results := make([]childResult, len(cases))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = runChild(exe, "one", "-case", cases[i].Name, "-out", dir)
			}
		}()
	}
	for i := range cases {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	failed := false
	var entries []json.RawMessage
	for i, r := range results {
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "gen: case %s: %v\n", cases[i].Name, r.err)
			failed = true
			continue
		}
		entries = append(entries, r.entry)
	}
	encErr := runChild(exe, "encode-errors", "-out", dir)
	if encErr.err != nil {
		fmt.Fprintln(os.Stderr, "gen: encode-errors:", encErr.err)
		failed = true
	}
	if failed {
		return 1
	}

	first, err := firstUserTypeID(filepath.Join(dir, "point_struct.gob"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		return 1
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "{\n  \"go_version\": %q,\n  \"first_user_type_id\": %d,\n  \"cases\": [\n", runtime.Version(), first)
	for i, e := range entries {
		if i > 0 {
			out.WriteString(",\n")
		}
		out.Write(e)
	}
	out.WriteString("\n  ]\n}\n")
	if !json.Valid(out.Bytes()) {
		fmt.Fprintln(os.Stderr, "gen: manifest is not valid JSON")
		return 1
	}
	if d := jsonDepth(out.Bytes()); d > 127 {
		fmt.Fprintf(os.Stderr, "gen: manifest nests %d levels deep; serde_json stops at 128\n", d)
		return 1
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), out.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		return 1
	}

	covered := checklistCoverage()
	var missing []int
	for n := 1; n <= 114; n++ {
		if len(covered[n]) == 0 {
			missing = append(missing, n)
		}
	}
	fmt.Printf("gen: %d cases (%d error cases), %d encode-error records, %s, first user type id %d\n",
		len(allCases), countErrors(), len(encodeErrorCases), runtime.Version(), first)
	fmt.Printf("gen: checklist covered: %d of 114\n", 114-len(missing))
	if len(missing) > 0 {
		fmt.Printf("gen: uncovered checklist items:\n")
		for _, n := range missing {
			reason, ok := uncoveredReasons[n]
			if !ok {
				reason = "NO JUSTIFICATION RECORDED"
				failed = true
			}
			fmt.Printf("  %d: %s\n", n, reason)
		}
	}
	if failed {
		return 1
	}
	return 0
}

func countErrors() int {
	n := 0
	for _, c := range allCases {
		if c.Error {
			n++
		}
	}
	return n
}

func runChild(exe string, args ...string) childResult {
	cmd := exec.Command(exe, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if stderr.Len() > 0 && err == nil {
		os.Stderr.Write(stderr.Bytes())
	}
	if err != nil {
		return childResult{err: fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))}
	}
	return childResult{entry: json.RawMessage(bytes.TrimRight(stdout.Bytes(), "\n"))}
}

func cmdOne(name, dir string) int {
	c := casesByKey[name]
	if c == nil {
		fmt.Fprintf(os.Stderr, "one: unknown case %q\n", name)
		return 2
	}
	m, err := runOne(c, dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return 1
	}
	b, err := formatEntry(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Stdout.Write(b)
	return 0
}

// formatEntry writes a manifest entry with one key per line and each listed
// value compact on its own line: readable, and small even for the large
// slices (fully indented JSON would be several MB).
func formatEntry(m *manifestCase) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("    {")
	n := 0
	key := func(k string) {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		fmt.Fprintf(&b, "\n      %q: ", k)
	}
	scalar := func(k string, v any) error {
		key(k)
		j, err := gobjson.Marshal(v)
		b.Write(j)
		return err
	}
	list := func(k string, vs []any) {
		key(k)
		if len(vs) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		for i, v := range vs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n        ")
			b.WriteString(gobjson.JSON(v))
		}
		b.WriteString("\n      ]")
	}
	for _, kv := range []struct {
		k string
		v any
	}{{"name", m.Name}, {"checklist", m.Checklist}, {"description", m.Description}, {"exact", m.Exact}} {
		if err := scalar(kv.k, kv.v); err != nil {
			return nil, err
		}
	}
	list("values", m.Values)
	scalar("error", m.Error)
	scalar("values_before_error", m.ValuesBeforeError)
	if m.Crafted {
		scalar("crafted", true)
	}
	if m.ValuesOmitted {
		scalar("values_omitted", true)
	}
	if m.Target != "" {
		scalar("target", m.Target)
	}
	if m.StreamValid != nil {
		scalar("stream_valid", *m.StreamValid)
	}
	if m.StreamValues != nil {
		list("stream_values", m.StreamValues)
	}
	if m.DecodedAs != nil {
		key("decoded_as")
		b.WriteString("{\n        \"targets\": ")
		j, err := gobjson.Marshal(m.DecodedAs.Targets)
		if err != nil {
			return nil, err
		}
		b.Write(j)
		b.WriteString(",\n        \"values\": [")
		for i, v := range m.DecodedAs.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n          ")
			b.WriteString(gobjson.JSON(v))
		}
		b.WriteString("\n        ]\n      }")
	}
	b.WriteString("\n    }")
	if !json.Valid(b.Bytes()) {
		return nil, errors.New("formatEntry produced invalid JSON")
	}
	return b.Bytes(), nil
}

// jsonDepth returns the deepest nesting of arrays/objects in a JSON text
// (serde_json refuses more than 128 by default).
func jsonDepth(data []byte) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth, max := 0, 0
	for {
		t, err := dec.Token()
		if err != nil {
			return max
		}
		if d, ok := t.(json.Delim); ok {
			if d == '[' || d == '{' {
				depth++
				if depth > max {
					max = depth
				}
			} else {
				depth--
			}
		}
	}
}

// firstUserTypeID reads the id of the first definition in a stream.
func firstUserTypeID(file string) (int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	msgs, err := gobjson.SplitMessages(data)
	if err != nil || len(msgs) == 0 {
		return 0, fmt.Errorf("%s: %v", file, err)
	}
	b := msgs[0]
	u, err := gobjson.ReadUint(&b)
	if err != nil {
		return 0, err
	}
	if id := gobjson.ToInt(u); id < 0 {
		return -id, nil
	}
	return 0, fmt.Errorf("%s does not start with a definition", file)
}

func cmdList() int {
	names := make([]string, 0, len(allCases))
	for _, c := range allCases {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Println(n)
	}
	return 0
}
