package quant

import (
	"fmt"
	"slices"
	"sort"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

// GPTQOptions are GPTQ's settings; the zero value means the paper's
// defaults.
type GPTQOptions struct {
	PercDamp  float64 // damping as a fraction of mean(diag H); 0 = 0.01
	BlockSize int     // columns per lazy batch update; 0 = 128 (rounded up to a multiple of the block)
	ActOrder  bool    // visit columns by decreasing diag H
	// Imatrix weights the choice of each block's scales (the importance
	// weighted encoders of kernels/qblock, as llama-quantize --imatrix);
	// nil uses the diagonal of each layer's own H, the importance matrix of
	// the inputs it sees with everything before it quantized. Types without
	// a weighted encoder (Q8_0, the int4 groups) ignore it.
	Imatrix Imatrix
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

// GPTQTypes lists the storage types GPTQ can write (those with a
// qblock.Grid): the GGML Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K
// blocks, and the symmetric int4 groups of the GPTQ safetensors layout.
func GPTQTypes() []kernels.DType {
	return []kernels.DType{kernels.Q8_0, kernels.Q4_0, kernels.Q4_1, kernels.Q5_0, kernels.Q5_1, kernels.Q4_K, kernels.Q5_K, kernels.Q6_K,
		kernels.I4S_G32, kernels.I4S_G64, kernels.I4S_G128}
}

// canGPTQ reports whether GPTQ can write dt (GPTQTypes).
func canGPTQ(dt kernels.DType) bool { return slices.Contains(GPTQTypes(), dt) }

// GPTQMatrix quantizes w [n, k] (row-major, y = w x) into dt (one of
// GPTQTypes; k a multiple of its block) minimising the output error on
// inputs whose second moment is h [k, k] (H = 2 X^T X / M, any positive
// scale). Each block's scales are those dt's encoder chooses for the
// block's weights as updated when the column loop enters it (with
// act-order: for the original weights), weighted by importance (len k, or
// nil for the unweighted encoder); every column is then rounded to the
// nearest level of that grid and its error fed forward. It returns the
// encoded rows, n * RowBytes(k) bytes. h is not modified.
func GPTQMatrix(w []float32, n, k int, h []float64, dt kernels.DType, importance []float32, o GPTQOptions) ([]byte, error) {
	if len(w) != n*k || len(h) != k*k || importance != nil && len(importance) != k {
		panic(fmt.Sprintf("quant: GPTQMatrix: %d weights, %d Hessian entries and %d importances for [%d, %d]", len(w), len(h), len(importance), n, k))
	}
	if !canGPTQ(dt) {
		panic("quant: GPTQMatrix: GPTQ cannot write " + dt.String())
	}
	gs := dt.BlockSize()
	rowBytes, err := dt.RowBytes(k)
	if err != nil {
		panic(fmt.Sprintf("quant: GPTQMatrix: %v", err))
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

	out := make([]byte, n*rowBytes)
	parallelRows(n, 0, func(r int, _ []float32) {
		row := make([]float64, k)
		for c, v := range w[r*k : (r+1)*k] {
			if !dead[c] {
				row[c] = float64(v)
			}
		}
		gptqRow(out[r*rowBytes:(r+1)*rowBytes], row, importance, u, perm, dt, o)
	})
	return out, nil
}

// gptqRow runs GPTQ's column loop on one row (rows are independent: they
// share only U) and encodes the result. row is in original column order and
// is overwritten.
func gptqRow(dst []byte, row []float64, importance []float32, u []float64, perm []int, dt kernels.DType, o GPTQOptions) {
	k := len(row)
	gs := dt.BlockSize()
	grids := make([]qblock.Grid, k/gs)
	blk := make([]float32, gs)
	newGrid := func(g int, x []float64) {
		for j := range blk {
			blk[j] = float32(x[j])
		}
		var imp []float32
		if importance != nil {
			imp = importance[g*gs : (g+1)*gs]
		}
		grids[g] = qblock.NewGrid(dt, blk, imp)
	}
	if o.ActOrder {
		// Static grids: scales from the original weights, so every block
		// of the stored layout has one grid whatever the visit order.
		for g := range grids {
			newGrid(g, row[g*gs:(g+1)*gs])
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
				// Entering a block (visit order is column order): its
				// scales from the weights as updated so far.
				newGrid(c/gs, wp[i:i+gs])
			}
			g := &grids[c/gs]
			x := wp[i]
			q := g.Quantize(c%gs, float32(x))
			levels[c] = q
			e := (x - float64(g.Value(c%gs, q))) / u[i*k+i]
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
	bb := len(dst) / len(grids)
	for g := range grids {
		grids[g].Encode(dst[g*bb:(g+1)*bb], levels[g*gs:(g+1)*gs])
	}
}
