//go:build linux

package main

import "syscall"

// setLimits caps the process's data segment (which, on Linux, counts the Go
// heap's committed mappings): an allocation beyond it is a fatal "out of
// memory" in this worker instead of memory pressure on the machine.
func setLimits(data uint64) {
	lim := &syscall.Rlimit{Cur: data, Max: data}
	syscall.Setrlimit(syscall.RLIMIT_DATA, lim)
}
