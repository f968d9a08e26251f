package kernels

import (
	"fmt"
	"runtime"
)

// MaxThreads is the most CPU worker threads a flag, a recipe or a device
// string ("cpu:N") may ask for: four per core. More only adds scheduling
// overhead, and a typo such as 100000 would start that many OS threads and
// exhaust the process's thread limit.
func MaxThreads() int { return 4 * runtime.NumCPU() }

// CheckThreads returns an error (naming what) unless 0 <= n <= MaxThreads();
// 0 means every core.
func CheckThreads(what string, n int) error {
	if n < 0 || n > MaxThreads() {
		return fmt.Errorf("%s %d: want 0 (every core) to %d (4 per core on this %d-core machine)", what, n, MaxThreads(), runtime.NumCPU())
	}
	return nil
}
