package half

import (
	"math"
	"os"
	"testing"

	"github.com/x448/float16"
)

// TestExhaustiveNarrow checks all 2^32 float32 patterns: the dispatched bulk
// conversions against the scalar reference, and RoundF16 against x448. It
// takes about a minute, so it only runs with DISTILL_EXHAUSTIVE=1.
func TestExhaustiveNarrow(t *testing.T) {
	if os.Getenv("DISTILL_EXHAUSTIVE") == "" {
		t.Skip("set DISTILL_EXHAUSTIVE=1 to check all 2^32 float32 patterns")
	}
	const chunk = 1 << 16
	src := make([]float32, chunk)
	d16 := make([]uint16, chunk)
	db := make([]uint16, chunk)
	for base := uint64(0); base < 1<<32; base += chunk {
		for i := range src {
			src[i] = math.Float32frombits(uint32(base) + uint32(i))
		}
		F32ToF16(d16, src)
		F32ToBF16(db, src)
		for i, f := range src {
			h := RoundF16(f)
			if d16[i] != h || h != float16.Fromfloat32(f).Bits() {
				t.Fatalf("F16 %#08x: bulk %#04x, RoundF16 %#04x, x448 %#04x", math.Float32bits(f), d16[i], h, float16.Fromfloat32(f).Bits())
			}
			if db[i] != RoundBF16(f) {
				t.Fatalf("BF16 %#08x: bulk %#04x, RoundBF16 %#04x", math.Float32bits(f), db[i], RoundBF16(f))
			}
		}
	}
}
