package quant

import (
	"fmt"
	"sort"
)

// GPTQOptions are GPTQ's settings; the zero value means the paper's
// defaults.
type GPTQOptions struct {
	PercDamp  float64 // damping as a fraction of mean(diag H); 0 = 0.01
	BlockSize int     // columns per lazy batch update; 0 = 128 (rounded up to a multiple of the group)
	ActOrder  bool    // visit columns by decreasing diag H
}

func (o GPTQOptions) withDefaults(gs int) GPTQOptions {
	if o.PercDamp <= 0 {
		o.PercDamp = 0.01
	}
	if o.BlockSize <= 0 {
		o.BlockSize = 128
	}
	o.BlockSize = (o.BlockSize + gs - 1) / gs * gs
	return o
}

// GPTQMatrix quantizes w [n, k] (row-major, y = w x) into the I4S layout
// of group size gs (32, 64 or 128; k a multiple of gs) minimising the
// output error on inputs whose second moment is h [k, k] (H = 2 X^T X / M,
// any positive scale). It returns the encoded rows, n * RowBytes(k) bytes.
// h is not modified.
func GPTQMatrix(w []float32, n, k int, h []float64, gs int, o GPTQOptions) ([]byte, error) {
	if len(w) != n*k || len(h) != k*k {
		panic(fmt.Sprintf("quant: GPTQMatrix: %d weights and %d Hessian entries for [%d, %d]", len(w), len(h), n, k))
	}
	if gs <= 0 || k%gs != 0 || gs%2 != 0 {
		panic(fmt.Sprintf("quant: GPTQMatrix: row %d is not a multiple of the group size %d", k, gs))
	}
	o = o.withDefaults(gs)
	h = append([]float64(nil), h...)
	dead := make([]bool, k)
	var mean float64
	for i := 0; i < k; i++ {
		if h[i*k+i] == 0 {
			dead[i], h[i*k+i] = true, 1
		}
		mean += h[i*k+i]
	}
	mean /= float64(k)

	perm := make([]int, k)
	for i := range perm {
		perm[i] = i
	}
	if o.ActOrder {
		sort.SliceStable(perm, func(a, b int) bool { return h[perm[a]*k+perm[a]] > h[perm[b]*k+perm[b]] })
	}
	hp := make([]float64, k*k)
	for i, pi := range perm {
		for j, pj := range perm {
			hp[i*k+j] = h[pi*k+pj]
		}
	}
	var u []float64
	var err error
	for damp := o.PercDamp; ; damp *= 10 {
		hd := append([]float64(nil), hp...)
		for i := 0; i < k; i++ {
			hd[i*k+i] += damp * mean
		}
		if u, err = gptqFactor(hd, k); err == nil {
			break
		}
		if damp > 1e3 {
			return nil, fmt.Errorf("quant: GPTQ: Hessian not positive definite even with damping %g: %w", damp, err)
		}
	}

	rowBytes := k / gs * (2 + gs/2)
	out := make([]byte, n*rowBytes)
	parallelRows(n, 0, func(r int, _ []float32) {
		row := make([]float64, k)
		for c, v := range w[r*k : (r+1)*k] {
			if !dead[c] {
				row[c] = float64(v)
			}
		}
		gptqRow(out[r*rowBytes:(r+1)*rowBytes], row, u, perm, gs, o)
	})
	return out, nil
}

// gptqRow runs GPTQ's column loop on one row (rows are independent: they
// share only U) and packs the result. row is in original column order and
// is overwritten.
func gptqRow(dst []byte, row, u []float64, perm []int, gs int, o GPTQOptions) {
	k := len(row)
	scales := make([]symGroup, k/gs)
	if o.ActOrder {
		// Static groups: scales from the original weights, so every
		// group of the stored layout has one scale whatever the visit order.
		for g := range scales {
			scales[g] = newSymGroup(row[g*gs : (g+1)*gs])
		}
	}
	wp := make([]float64, k) // the row in visit order
	for i, c := range perm {
		wp[i] = row[c]
	}
	levels := make([]uint8, k)
	errs := make([]float64, o.BlockSize)
	for i1 := 0; i1 < k; i1 += o.BlockSize {
		i2 := min(i1+o.BlockSize, k)
		for i := i1; i < i2; i++ {
			c := perm[i]
			if !o.ActOrder && c%gs == 0 {
				// Entering a group (visit order is column order): its
				// scale from the weights as updated so far.
				scales[c/gs] = newSymGroup(wp[i : i+gs])
			}
			sc := scales[c/gs]
			x := wp[i]
			q := sc.level(x)
			levels[c] = q
			e := (x - sc.value(q)) / u[i*k+i]
			errs[i-i1] = e
			ui := u[i*k : (i+1)*k]
			for j := i + 1; j < i2; j++ {
				wp[j] -= e * ui[j]
			}
		}
		// Lazy batch update of the columns after the block.
		for t := 0; t < i2-i1; t++ {
			e := errs[t]
			ut := u[(i1+t)*k : (i1+t+1)*k]
			for j := i2; j < k; j++ {
				wp[j] -= e * ut[j]
			}
		}
	}
	packSymRow(dst, scales, levels, gs)
}
