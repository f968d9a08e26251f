package cpu

import (
	"sync"

	"github.com/distill-dev/distill/kernels"
)

// ropeTable holds cos and sin of p * theta^(-2i/hd) / factor_i for positions [0, npos)
// and pairs i in [0, hd/2), row-major [npos, hd/2]. Angles are computed in
// float64 and rounded once.
type ropeTable struct {
	npos     int
	cos, sin []float32
}

type ropeKey struct {
	theta   float32
	hd      int
	factors string // the frequency factors' bits, "" for none
}

// maxRopeTables bounds the tables a cache keeps.
const maxRopeTables = 16

// ropeCache shares tables between calls; a table is replaced by a larger one
// when a call needs more positions (callers keep using the one they got).
type ropeCache struct {
	mu     sync.Mutex
	tables map[ropeKey]*ropeTable
}

func (c *ropeCache) get(theta float32, hd, npos int, factors []float32) *ropeTable {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := ropeKey{theta, hd, kernels.RoPEFactorKey(factors)}
	if t := c.tables[k]; t != nil && t.npos >= npos {
		return t
	}
	if c.tables == nil || (c.tables[k] == nil && len(c.tables) >= maxRopeTables) {
		// Dynamic RoPE scaling has new factors at every length past the
		// original context: start over rather than keep them all.
		c.tables = map[ropeKey]*ropeTable{}
	}
	n := max(npos, 1024)
	if old := c.tables[k]; old != nil {
		n = max(n, 2*old.npos)
	}
	t := &ropeTable{npos: n}
	t.cos, t.sin = kernels.RoPETable(theta, hd, n, factors)
	c.tables[k] = t
	return t
}

// RoPE rotates x [B, T, H*hd] in place. A 2-d x is taken as [T, H*hd] (B = 1).
func (b *Backend) RoPE(xT kernels.Tensor, p kernels.RoPEParams) { b.rope(tns(xT), p, false, "RoPE") }

// RoPEBackward applies the inverse rotation to dx in place.
func (b *Backend) RoPEBackward(dxT kernels.Tensor, p kernels.RoPEParams) {
	b.rope(tns(dxT), p, true, "RoPEBackward")
}

func (b *Backend) rope(x *tensor, p kernels.RoPEParams, inverse bool, op string) {
	n, c, T := kernels.CheckRoPE(op, x, p)
	if n == 0 {
		return
	}
	tab := b.ropes.get(p.Theta, p.HeadDim, p.PosStart+T, p.FreqFactors)
	hd, half := p.HeadDim, p.HeadDim/2
	sign := float32(1)
	if inverse {
		sign = -1
	}
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(c)
		for r := lo; r < hi; r++ {
			pos := p.PosStart + r%T
			cs, sn := tab.cos[pos*half:(pos+1)*half], tab.sin[pos*half:(pos+1)*half]
			v := inout(x, r*c, c, *sp)
			for h := 0; h < p.NHeads; h++ {
				hv := v[h*hd : (h+1)*hd]
				if p.Style == kernels.RoPEHalf {
					for i := 0; i < half; i++ {
						co, si := cs[i], sign*sn[i]
						x0, x1 := hv[i], hv[i+half]
						hv[i] = x0*co - x1*si
						hv[i+half] = x0*si + x1*co
					}
				} else {
					for i := 0; i < half; i++ {
						co, si := cs[i], sign*sn[i]
						x0, x1 := hv[2*i], hv[2*i+1]
						hv[2*i] = x0*co - x1*si
						hv[2*i+1] = x0*si + x1*co
					}
				}
			}
			store(x, r*c, v)
		}
		putScratch(sp)
	})
}
