package spinwait

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestUntil checks that Until returns true once another goroutine makes
// ready true, and false after about limit when nothing does.
func TestUntil(t *testing.T) {
	var flag atomic.Bool
	go func() {
		time.Sleep(100 * time.Microsecond)
		flag.Store(true)
	}()
	if !Until(time.Second, flag.Load) {
		t.Error("Until gave up although ready became true")
	}
	t0 := time.Now()
	if Until(2*time.Millisecond, func() bool { return false }) {
		t.Error("Until reported ready for a condition that never holds")
	}
	if d := time.Since(t0); d < 2*time.Millisecond || d > time.Second {
		t.Errorf("Until polled for %v with a 2 ms limit", d)
	}
}
