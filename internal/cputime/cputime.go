// Package cputime reads the CPU time this process has used, for benchmarks
// on shared machines: per CPU-second figures move less with other
// processes' load than wall-clock ones do.
package cputime

import "time"

// Process returns the user + system CPU time of the whole process (every
// thread, cgo libraries' included), or 0 where the system cannot say.
func Process() time.Duration { return process() }
