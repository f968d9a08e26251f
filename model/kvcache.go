package model

import (
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// KVCache holds the keys and values of every layer for B sequences of up to
// MaxT positions, so generation feeds one new token per step instead of the
// whole prefix. Pos is the number of positions filled.
type KVCache struct {
	K, V    []kernels.Tensor // per layer, [B, MaxT, KVDim] F32
	B, MaxT int
	Pos     int
	backend kernels.Backend
}

// KVCacheBytes is the memory NewKVCache(B, maxT) allocates: keys and
// values of every layer, F32. ok is false when the product overflows int64
// (a header claiming an absurd context or width).
func (c *Config) KVCacheBytes(B, maxT int) (n int64, ok bool) {
	n = 2 * 4 // K and V, F32
	for _, f := range []int{c.NLayers, B, maxT, c.KVDim()} {
		if f < 0 || f != 0 && n > math.MaxInt64/int64(f) {
			return 0, false
		}
		n *= int64(f)
	}
	return n, true
}

// CheckKVCache returns an error unless a cache for B sequences of maxT
// positions fits in budget bytes (budget <= 0: no limit), so a model whose
// header claims a context of millions of positions is refused with a
// message instead of exhausting memory.
func (m *Model) CheckKVCache(B, maxT int, budget int64) error {
	n, ok := m.Config.KVCacheBytes(B, maxT)
	if !ok || budget > 0 && n > budget {
		per, _ := m.Config.KVCacheBytes(B, 1)
		return fmt.Errorf("model: a KV cache for %d positions needs %.1f MiB (%d bytes per position), more than the %.1f MiB available: ask for fewer positions (at most %d)",
			maxT, float64(n)/(1<<20), per, float64(budget)/(1<<20), budget/max(per, 1))
	}
	return nil
}

// NewKVCache allocates a cache for B sequences of up to maxT positions
// (maxT <= MaxSeqLen); CheckKVCache first when maxT comes from a user or
// a file.
func (m *Model) NewKVCache(B, maxT int) *KVCache {
	if B <= 0 || maxT <= 0 || maxT > m.Config.MaxSeqLen {
		panic(fmt.Sprintf("model: NewKVCache(%d, %d): need B > 0 and 0 < maxT <= %d", B, maxT, m.Config.MaxSeqLen))
	}
	c := &KVCache{B: B, MaxT: maxT, backend: m.Backend}
	for range m.Config.NLayers {
		c.K = append(c.K, m.Backend.Zeros(kernels.F32, B, maxT, m.Config.KVDim()))
		c.V = append(c.V, m.Backend.Zeros(kernels.F32, B, maxT, m.Config.KVDim()))
	}
	return c
}

// Reset empties the cache for a new batch of sequences.
func (c *KVCache) Reset() { c.Pos = 0 }

// Free releases the cache's storage.
func (c *KVCache) Free() {
	for i := range c.K {
		c.backend.Free(c.K[i])
		c.backend.Free(c.V[i])
	}
	c.K, c.V = nil, nil
}
