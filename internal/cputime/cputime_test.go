package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessCounts: spinning for a while shows up as CPU time (on systems
// that report it), and the count never goes backwards.
func TestProcessCounts(t *testing.T) {
	c0 := Process()
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	c1 := Process()
	if c1 < c0 {
		t.Fatalf("CPU time went backwards: %v then %v", c0, c1)
	}
	if runtime.GOOS == "linux" && c1-c0 < 10*time.Millisecond {
		t.Errorf("50 ms of spinning counted %v of CPU time", c1-c0)
	}
}
