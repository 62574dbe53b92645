//go:build tools

// Package tools pins the Go fake dispatcher v0.6.0 (the last one: api v0.7.0,
// tilotech/go-plugin v0.1.0), which build.sh builds from this module.
package tools

import _ "github.com/tilotech/tilores-plugin-fake-dispatcher"
