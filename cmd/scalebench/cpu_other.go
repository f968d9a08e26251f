//go:build !unix

package main

// cpuSeconds is unknown here (0): GFLOP per CPU-second is left out.
func cpuSeconds() float64 { return 0 }
