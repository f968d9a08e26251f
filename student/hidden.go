package student

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

// HiddenOptions add Weight * sum over Pairs of mean over tokens of
// HiddenLoss(P h_s, h_t) to the loss, h_s and h_t being the outputs of the
// paired student and teacher blocks. When the widths match P is the
// identity; otherwise P is a learned [C_t, C_s] projection (TinyBERT),
// initialised to the partial identity, trained by AdamW with the student
// (no weight decay) and saved in optimizer.safetensors.
type HiddenOptions struct {
	Kind   kernels.HiddenKind
	Weight float64
	Pairs  [][2]int // [student layer, teacher layer]
}

// hiddenProj is the learned projection of one pair with its gradient,
// AdamW moments and forward/backward buffers.
type hiddenProj struct {
	W, G, M, V kernels.Tensor // [C_t, C_s]
	out, dOut  kernels.Tensor // [N, C_t]
}

// projs returns the learned projections (none when widths match).
func (t *Trainer) projs() []*hiddenProj {
	var out []*hiddenProj
	for _, p := range t.proj {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}

// initHidden checks the layer pairs and allocates the projections.
func (t *Trainer) initHidden() error {
	h := t.Opts.Hidden
	if h == nil {
		t.proj = nil
		return nil
	}
	cs, tc := t.Config, t.Teacher.Config
	for _, pr := range h.Pairs {
		if pr[0] < 0 || pr[0] >= cs.NLayers || pr[1] < 0 || pr[1] >= tc.NLayers {
			return fmt.Errorf("student: hidden layer pair %v out of range (student %d, teacher %d layers)", pr, cs.NLayers, tc.NLayers)
		}
	}
	b, n := t.b, t.Data.Batch*t.Data.SeqLen
	t.hl = b.Zeros(kernels.F32, n)
	t.proj = make([]*hiddenProj, len(h.Pairs))
	if cs.Dim == tc.Dim {
		return nil
	}
	for i := range t.proj {
		w := make([]float32, tc.Dim*cs.Dim)
		for j := range min(tc.Dim, cs.Dim) {
			w[j*cs.Dim+j] = 1
		}
		t.proj[i] = &hiddenProj{
			W: b.FromFloat32(kernels.F32, w, tc.Dim, cs.Dim), G: b.Zeros(kernels.F32, tc.Dim, cs.Dim),
			M: b.Zeros(kernels.F32, tc.Dim, cs.Dim), V: b.Zeros(kernels.F32, tc.Dim, cs.Dim),
			out: b.Zeros(kernels.F32, n, tc.Dim), dOut: b.Zeros(kernels.F32, n, tc.Dim),
		}
	}
	return nil
}

// hiddenLoss adds the hidden-state terms of the micro-batch just run
// forward: their gradients go to the student's HiddenGrad buffers (for
// Backward) and the projections' G; it returns Weight * the summed losses.
// scale is the DistillLoss gradient scale (loss scale / tokens).
func (t *Trainer) hiddenLoss(scale float32) float64 {
	h := t.Opts.Hidden
	if h == nil {
		return 0
	}
	b, ws := t.b, scale*float32(h.Weight)
	var sum float64
	for i, pr := range h.Pairs {
		hs, ht, dhs := t.st.Hidden(pr[0]), t.tst.Hidden(pr[1]), t.st.HiddenGrad(pr[0])
		if pj := t.proj[i]; pj == nil {
			t.ops.HiddenLoss(t.hl, dhs, hs, ht, h.Kind, ws)
		} else {
			// out = hs P^T; d hs += dout P; dP += dout^T hs.
			b.MatMul(pj.out, hs, pj.W, false, true, 1, 0)
			b.Fill(pj.dOut, 0)
			t.ops.HiddenLoss(t.hl, pj.dOut, pj.out, ht, h.Kind, ws)
			b.MatMul(dhs, pj.dOut, pj.W, false, false, 1, 1)
			b.MatMul(pj.G, pj.dOut, hs, true, false, 1, 1)
		}
		t.hostL = b.ToFloat32(t.hl, t.hostL)
		for _, l := range t.hostL {
			sum += h.Weight * float64(l)
		}
	}
	return sum
}
