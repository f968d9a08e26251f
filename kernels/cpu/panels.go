package cpu

import (
	"sync"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

// panelCache is the repacked form (qblock.Panels) of a Q8_0, Q4_0, Q4_K,
// Q5_K or Q6_K tensor's rows, for the panel kernels of the integer matmul:
// made on the first MatMul that takes it (llama.cpp's CPU backend repacks
// at load), and dropped whenever the tensor's storage is written (store,
// Copy, CopyRows, SliceRows: tensor.written). Views and reshapes that keep
// the row length share their root's cache at a row offset (tensor.pkRow),
// so a write through any of them drops it for all. The panels are as
// large as the rows they repack (Q6_K's 1.4x and Q5_K's 1.6x: their
// levels unpacked to bytes); memory-mapped rows stay mapped beside them
// (Options.NoRepack: no panels). FromBytes's data must not be modified
// behind the backend's back (it never could be for memory-mapped
// checkpoints).
type panelCache struct {
	mu      sync.Mutex
	dt      kernels.DType
	raw     []byte // the root tensor's rows
	rows, k int
	p       *qblock.Panels
}

// newPanelCache returns a cache for a root tensor of dtype dt over raw
// with the given shape, or nil where the panel kernel does not run or
// Options.NoRepack turned it off.
func (b *Backend) newPanelCache(dt kernels.DType, raw []byte, shape []int) *panelCache {
	if b.noRepack || !qblock.PanelKernel(dt) || len(shape) == 0 {
		return nil
	}
	k := shape[len(shape)-1]
	if k == 0 || k%dt.BlockSize() != 0 {
		return nil
	}
	return &panelCache{dt: dt, raw: raw, rows: shapeNumel(shape) / k, k: k}
}

// panels returns the panels, packing them on first use.
func (c *panelCache) panels() *qblock.Panels {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil {
		rb, _ := c.dt.RowBytes(c.k)
		c.p = qblock.PackPanels(c.dt, c.raw, rb, c.rows)
	}
	return c.p
}

// reset drops the panels (the rows were written).
func (c *panelCache) reset() {
	c.mu.Lock()
	c.p = nil
	c.mu.Unlock()
}

// written drops the repacked copy of t's rows after a write into t.
func (t *tensor) written() {
	if t.pk != nil {
		t.pk.reset()
	}
}

// shareCache gives the view or reshape v of t (storage v.raw, from byte
// lo of t.raw) t's panel cache when v keeps the row length.
func (t *tensor) shareCache(v *tensor, lo int) {
	v.pk, v.pkRow = nil, 0
	if t.pk == nil || len(v.shape) == 0 || v.shape[len(v.shape)-1] != t.pk.k {
		return
	}
	rb, _ := t.dt.RowBytes(t.pk.k)
	if lo%rb != 0 {
		return
	}
	v.pk, v.pkRow = t.pk, t.pkRow+lo/rb
}

// panelsAt returns the panels of w's rows from row0 (w's own row index)
// when the panel kernel takes them: a cache and a first row on a panel
// boundary.
func (w *tensor) panelsAt(row0 int) (*qblock.Panels, int, bool) {
	if w.pk == nil || (w.pkRow+row0)%qblock.PanelAlign != 0 {
		return nil, 0, false
	}
	return w.pk.panels(), w.pkRow + row0, true
}
