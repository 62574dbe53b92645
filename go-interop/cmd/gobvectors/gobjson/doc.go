// Package gobjson renders encoding/gob data as "typed JSON" (the format of
// testdata/gob/manifest.json): either from Go values, following the
// encoder's rules (Render), or from raw stream bytes with a small independent
// reader (RenderWire). It also holds the gob wire primitives used to craft
// hostile streams, and a registration wrapper that remembers interface names.
package gobjson
