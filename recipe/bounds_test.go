package recipe

import (
	"math"
	"testing"

	"github.com/distill-dev/distill/internal/sysmem"
)

func TestMulCheck(t *testing.T) {
	cases := []struct {
		xs   []int64
		want int64
		ok   bool
	}{
		{[]int64{8, 256, 1}, 2048, true},
		{[]int64{math.MaxInt64, 1}, math.MaxInt64, true},
		{[]int64{math.MaxInt64, 2}, 0, false},
		{[]int64{1 << 62, 2}, 0, false},
		{[]int64{1 << 31, 1 << 31, 2}, 0, false},
		{[]int64{-1, 5}, 0, false},
		{[]int64{0, math.MaxInt64, math.MaxInt64}, 0, true}, // a zero factor: no overflow
	}
	for _, c := range cases {
		got, ok := MulCheck(c.xs...)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("MulCheck(%v) = %d, %v; want %d, %v", c.xs, got, ok, c.want, c.ok)
		}
	}
}

func TestMemoryBudget(t *testing.T) {
	if got := (&Training{MemoryLimit: 8 << 30}).MemoryBudget(); got != 8<<30 {
		t.Errorf("memory_limit 8GiB: budget %d", got)
	}
	if got := (&Training{}).MemoryBudget(); got != sysmem.Limit() {
		t.Errorf("no memory_limit: budget %d, want the machine's %d", got, sysmem.Limit())
	}
}
