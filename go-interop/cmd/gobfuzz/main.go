// Command gobfuzz is a differential fuzzer for the Rust encoding/gob
// implementation: Go generates random gob streams from random Go types and
// values, the Rust side decodes and re-encodes them, and Go checks the
// re-encodings value by value (and byte by byte where Go's output is
// deterministic). A mutation mode records Go's decisions on damaged streams
// for comparison with Rust's.
//
//	gobfuzz one -seed S [-attempt A]                 one stream record on stdout (fresh process: type ids start at 64)
//	gobfuzz gen -from A -count N -out FILE [-jobs 2] streams A..A+N-1, each by a child `one`
//	gobfuzz check -streams FILE -rust RFILE [-jobs 1]
//	gobfuzz mutate -streams FILE -per M -out MFILE [-jobs 1] [-crashes CFILE]
//	gobfuzz check-mutants -mutants MFILE -rust RFILE [-jobs 1]
//	gobfuzz show -seed S [-attempt A] [-full]
//	gobfuzz echo -streams FILE -out RFILE            self-test stand-in for Rust (check)
//	gobfuzz echo-mutants -mutants MFILE -out RFILE   self-test stand-in for Rust (check-mutants)
//	gobfuzz stats -from A -count N                   what the generator produces (coverage tallies)
//	gobfuzz worker                                   (internal) decode/compare jobs on stdin/stdout
//
// check and check-mutants print one JSON line and exit 0 even when there are
// failures; usage and I/O errors exit 2.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  gobfuzz one -seed S [-attempt A]
  gobfuzz gen -from A -count N -out FILE [-jobs 2]
  gobfuzz check -streams FILE -rust RFILE [-jobs 1]
  gobfuzz mutate -streams FILE -per M -out MFILE [-jobs 1] [-crashes CFILE]
  gobfuzz check-mutants -mutants MFILE -rust RFILE [-jobs 1]
  gobfuzz show -seed S [-attempt A] [-full]
  gobfuzz echo -streams FILE -out RFILE
  gobfuzz echo-mutants -mutants MFILE -out RFILE [-jobs 1]
  gobfuzz stats -from A -count N`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	seed := fs.Uint64("seed", 0, "stream seed")
	attempt := fs.Int("attempt", 0, "generation attempt (redraws after an encode error)")
	prior := fs.String("prior", "", "(internal) JSON list of earlier attempts' encode errors")
	from := fs.Uint64("from", 0, "first seed")
	count := fs.Int("count", 0, "number of streams")
	out := fs.String("out", "", "output file")
	jobs := fs.Int("jobs", 0, "parallel child processes (gen: 2, others: 1)")
	streams := fs.String("streams", "", "streams file (from gen)")
	mutants := fs.String("mutants", "", "mutants file (from mutate)")
	rust := fs.String("rust", "", "file written by the Rust side")
	per := fs.Int("per", 10, "mutants per stream")
	crashes := fs.String("crashes", "", "also write the mutants Go crashed on here")
	full := fs.Bool("full", false, "show: do not truncate")
	if err := fs.Parse(os.Args[2:]); err != nil {
		usage()
	}
	need := func(vals ...string) {
		for _, v := range vals {
			if v == "" {
				usage()
			}
		}
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			seedSet = true
		}
	})
	j := func(def int) int {
		if *jobs > 0 {
			return *jobs
		}
		return def
	}
	switch cmd {
	case "one":
		if !seedSet {
			usage()
		}
		var pr []string
		if *prior != "" {
			json.Unmarshal([]byte(*prior), &pr)
		}
		os.Exit(cmdOne(*seed, *attempt, pr))
	case "gen":
		need(*out)
		if *count <= 0 {
			usage()
		}
		os.Exit(cmdGen(*from, *count, *out, j(2)))
	case "check":
		need(*streams, *rust)
		os.Exit(cmdCheck(*streams, *rust, j(1)))
	case "mutate":
		need(*streams, *out)
		if *per <= 0 {
			usage()
		}
		os.Exit(cmdMutate(*streams, *per, *out, *crashes, j(1)))
	case "check-mutants":
		need(*mutants, *rust)
		os.Exit(cmdCheckMutants(*mutants, *rust, j(1)))
	case "show":
		if !seedSet {
			usage()
		}
		os.Exit(cmdShow(*seed, *attempt, *full))
	case "echo":
		need(*streams, *out)
		os.Exit(cmdEcho(*streams, *out))
	case "echo-mutants":
		need(*mutants, *out)
		os.Exit(cmdEchoMutants(*mutants, *out, j(1)))
	case "stats":
		if *count <= 0 {
			usage()
		}
		os.Exit(cmdStats(*from, *count))
	case "worker":
		os.Exit(cmdWorker())
	default:
		usage()
	}
}
