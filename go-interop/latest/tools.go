//go:build tools

// Package tools makes the go-plugin version this nested module exists for a
// direct requirement (the shared code is imported from the parent module via
// a replace directive, which would otherwise leave it "// indirect").
package tools

import (
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/hashicorp/go-plugin/examples/basic"                 // bin/latest/basic-host
	_ "github.com/hashicorp/go-plugin/examples/basic/plugin"          // bin/latest/basic-greeter
	_ "github.com/hashicorp/go-plugin/examples/grpc/plugin-go-netrpc" // bin/latest/kv-netrpc-plugin
	_ "github.com/hashicorp/go-plugin/examples/negotiated"            // bin/latest/negotiated-host
	_ "github.com/hashicorp/go-plugin/examples/negotiated/plugin-go"  // bin/latest/negotiated-kv-plugin
)
