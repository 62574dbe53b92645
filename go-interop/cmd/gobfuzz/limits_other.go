//go:build !linux

package main

// setLimits is a no-op where RLIMIT_DATA is not available; the worker still
// has debug.SetMemoryLimit and its stack limit.
func setLimits(data uint64) {}
