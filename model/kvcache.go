package model

import (
	"fmt"

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

// NewKVCache allocates a cache for B sequences of up to maxT positions
// (maxT <= MaxSeqLen).
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
