//go:build tools

// Package tools pins the Go peers that the interop tests build from the module proxy.
package tools

import (
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/hashicorp/go-plugin/examples/basic"                 // bin/basic-host (see build.sh)
	_ "github.com/hashicorp/go-plugin/examples/basic/plugin"          // bin/basic-greeter
	_ "github.com/hashicorp/go-plugin/examples/grpc/plugin-go-netrpc" // bin/kv-netrpc-plugin
	_ "github.com/hashicorp/go-plugin/examples/negotiated"            // bin/negotiated-host
	_ "github.com/hashicorp/go-plugin/examples/negotiated/plugin-go"  // bin/negotiated-kv-plugin
	_ "github.com/hashicorp/yamux"
	_ "github.com/tilotech/tilores-plugin-api/dispatcher"
	_ "github.com/tilotech/tilores-plugin-fake-dispatcher"
)
