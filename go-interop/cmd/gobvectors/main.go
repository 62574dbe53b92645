// Command gobvectors writes Go-generated encoding/gob test vectors for the
// Rust gob codec and serves as the Go-side oracle for Rust-encoded streams.
//
//	gobvectors gen -out DIR                   write DIR/<case>.gob, DIR/manifest.json, DIR/encode_errors.json
//	gobvectors one -case NAME -out DIR        (internal) one case in a fresh process; prints its manifest entry
//	gobvectors check -case NAME -file F [-go-file G]
//	                                          decode F and Go's stream for NAME with Go and compare;
//	                                          Go's stream is G when given, else NAME re-encoded in-process
//	gobvectors check-all -dir DIR -rust-dir RDIR
//	                                          check every non-error case that has RDIR/<case>.gob against DIR/<case>.gob
//	gobvectors list                           print the case names
//
// Type ids are process-global in Go, so gen runs every case in a fresh child
// process (gobvectors one), which makes each stream's ids start at 64.
package main

import (
	"flag"
	"fmt"
	"os"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  gobvectors gen -out DIR
  gobvectors check -case NAME -file F [-go-file G]
  gobvectors check-all -dir DIR -rust-dir RDIR
  gobvectors list`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	out := fs.String("out", "", "output directory")
	name := fs.String("case", "", "case name")
	file := fs.String("file", "", "stream to check")
	goFile := fs.String("go-file", "", "Go's stream for the case (default: re-encode in-process)")
	dir := fs.String("dir", "", "directory holding Go's vectors")
	rustDir := fs.String("rust-dir", "", "directory holding the streams to check")
	fs.Parse(os.Args[2:])

	need := func(vals ...*string) {
		for _, v := range vals {
			if *v == "" {
				usage()
			}
		}
	}
	switch os.Args[1] {
	case "gen":
		need(out)
		os.Exit(cmdGen(*out))
	case "one":
		need(name, out)
		os.Exit(cmdOne(*name, *out))
	case "encode-errors":
		need(out)
		os.Exit(cmdEncodeErrors(*out))
	case "check":
		need(name, file)
		os.Exit(cmdCheck(*name, *file, *goFile))
	case "check-all":
		need(dir, rustDir)
		os.Exit(cmdCheckAll(*dir, *rustDir))
	case "list":
		os.Exit(cmdList())
	default:
		usage()
	}
}
