//go:build unix

package gemm

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system time of the whole process (every
// thread, OpenBLAS's included). GFLOP per CPU-second is less disturbed than
// wall-clock GFLOP/s when other processes share the cores.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
