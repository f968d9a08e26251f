//go:build !unix

package main

// cpuSeconds is unknown here: GFLOP per CPU-second is reported as +Inf.
func cpuSeconds() float64 { return 0 }
