package cpu

import "testing"

// TestRopeCacheBounded: factors that change at every call (dynamic RoPE
// scaling during generation) do not grow the cache without bound, and a
// table handed out stays valid.
func TestRopeCacheBounded(t *testing.T) {
	var c ropeCache
	first := c.get(1e4, 4, 8, []float32{1, 1})
	for i := range 3 * maxRopeTables {
		c.get(1e4, 4, 8, []float32{1, float32(2 + i)})
		if n := len(c.tables); n > maxRopeTables {
			t.Fatalf("after %d factor sets the cache holds %d tables (max %d)", i+2, n, maxRopeTables)
		}
	}
	if len(first.cos) != first.npos*2 || first.cos[0] != 1 {
		t.Errorf("first table changed: npos %d, %d cos values, cos[0] %g", first.npos, len(first.cos), first.cos[0])
	}
}
