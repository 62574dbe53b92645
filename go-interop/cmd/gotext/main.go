// Command gotext is Go's side of tests/gotext.rs: encoding/json's text of floats and
// strings (what gob::gotext reproduces). Reads lines on stdin:
//
//	64 HEX    a float64's bits
//	32 HEX    a float32's bits
//	str HEX   a string's bytes (any bytes, invalid UTF-8 included)
//
// and writes, per line, json.Marshal's text of that float64, float32 or string, or
// "error: " and its error.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		kind, arg, ok := strings.Cut(strings.TrimSpace(in.Text()), " ")
		var b []byte
		if kind == "str" {
			s, err := hex.DecodeString(arg)
			if err != nil {
				fmt.Fprintf(os.Stderr, "gotext: bad line %q\n", in.Text())
				os.Exit(2)
			}
			if b, err = json.Marshal(string(s)); err != nil {
				fmt.Fprintf(out, "error: %v\n", err)
			} else {
				fmt.Fprintf(out, "%s\n", b)
			}
			continue
		}
		bits, err := strconv.ParseUint(arg, 16, 64)
		if !ok || err != nil || (kind != "64" && kind != "32") {
			fmt.Fprintf(os.Stderr, "gotext: bad line %q\n", in.Text())
			os.Exit(2)
		}
		if kind == "64" {
			b, err = json.Marshal(math.Float64frombits(bits))
		} else {
			b, err = json.Marshal(math.Float32frombits(uint32(bits)))
		}
		if err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
		} else {
			fmt.Fprintf(out, "%s\n", b)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "gotext:", err)
		os.Exit(2)
	}
}
