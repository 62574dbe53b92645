// Command gotime is Go's side of tests/gob_time.rs: what Go's time.Time does with the
// bytes gob carries for it (Time.GobDecode, which is Time.UnmarshalBinary), including bytes
// Go's own encoder never writes (nanoseconds out of range, negative offsets with a seconds
// part), and what Go then makes of the value it got: Unix seconds and nanoseconds, the zone
// offset, the bytes Time.GobEncode writes back, Time.MarshalJSON's text, and whether
// encoding/gob would omit it as a struct field (reflect's IsZero).
//
// Reads one hex string per line on stdin, writes one JSON object per line on stdout:
//
//	{"err": "Time.UnmarshalBinary: ..."}                       UnmarshalBinary refused
//	{"unix": S, "nsec": N, "utc": B, "offset": O, "gob": "hex" | "", "gob_err": "...",
//	 "json": "\"...\"" | "", "json_err": "...", "gob_omits": B}
//
// The process's Local zone matters only for which Location UnmarshalBinary picks, never for
// these outputs (Local's offset at the instant equals the decoded one); the test runs it
// with TZ set anyway so that the Local path is taken as well.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"
)

type result struct {
	Unix     int64  `json:"unix"`
	Nsec     int    `json:"nsec"`
	UTC      bool   `json:"utc"`
	Offset   int    `json:"offset"`
	Gob      string `json:"gob"`
	GobErr   string `json:"gob_err,omitempty"`
	JSON     string `json:"json"`
	JSONErr  string `json:"json_err,omitempty"`
	GobOmits bool   `json:"gob_omits"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		b, err := hex.DecodeString(strings.TrimSpace(in.Text()))
		if err != nil {
			fmt.Fprintln(os.Stderr, "gotime: bad hex line:", err)
			os.Exit(2)
		}
		var t time.Time
		var r result
		if err := t.GobDecode(b); err != nil {
			if err := enc.Encode(map[string]string{"err": err.Error()}); err != nil {
				fmt.Fprintln(os.Stderr, "gotime:", err)
				os.Exit(2)
			}
			continue
		} else {
			r.Unix = t.Unix()
			r.Nsec = t.Nanosecond()
			r.UTC = t.Location() == time.UTC
			_, r.Offset = t.Zone()
			if g, err := t.GobEncode(); err != nil {
				r.GobErr = err.Error()
			} else {
				r.Gob = hex.EncodeToString(g)
			}
			if j, err := t.MarshalJSON(); err != nil {
				r.JSONErr = err.Error()
			} else {
				r.JSON = string(j)
			}
			r.GobOmits = reflect.ValueOf(t).IsZero()
		}
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, "gotime:", err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "gotime:", err)
		os.Exit(2)
	}
}
