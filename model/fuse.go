package model

import (
	"github.com/distill-dev/distill/kernels"
)

// Stacked projections. The attention's q, k and v projections read the same
// normalised activation, and so do a gated FFN's gate and up projections.
// Where their weights lie back to back in one allocation, a block runs each
// group as one MatMul instead of two or three:
//
//	QKV    [QD+2KV, C] = Q; K; V   qkv = xn QKV^T [BT, QD+2KV], then q, k, v
//	                                are its column blocks (kernels' SliceRows
//	                                on qkv viewed [BT, H+2KVH, hd])
//	GateUp [2, F, C] = Gate; Up    gu = xn GateUp[i]^T [2, BT, F] (one MatMul
//	                                with a shared a): gu[0] is gate, gu[1] up,
//	                                no copy
//
// On a GPU that is one larger tensor-core GEMM per group (fewer launches,
// fuller waves) and, for float32 activations times 16-bit weights, one
// split of the activation into bf16 halves per group instead of one per
// weight. The sums are those of the separate products, so results agree
// with the unfused path to float32 rounding (bit for bit on the CPU).
//
// The per-name weights (Layer.Q, Layer.FFNGate, ...) stay, as views of the
// stacked tensor, so checkpoints, exports and the backward (which runs per
// part: its weight gradients are per-name views of the gradient block) see
// the layout of Config.Params unchanged. Stacks come from two places:
//
//   - a parameter block (AllocParams): Params order already puts attn_q,
//     attn_k, attn_v back to back when the family has no q/k/v biases
//     (Llama, Mistral, Qwen3), and ffn_gate, ffn_up for every gated family,
//     so the stacks are views of the block (no copy) and the trainer's
//     student runs them;
//   - New, on a backend that asks for it (kernels.WeightStacker: the CUDA
//     backend, which copies what it loads anyway): the parts of a group of
//     one storage dtype are concatenated on the host and uploaded as one
//     tensor (biases stay per part, added after the split). The CPU
//     backend keeps them separate, since it maps checkpoint bytes in place
//     and stacking would make a mapped file resident heap memory (and its
//     GEMMs gain nothing from it); so do groups of mixed dtypes (a Q4_K_M
//     file's Q6_K attn_v) and wrappers that watch individual weights'
//     MatMuls (quant's calibration).
//
// Families without stacks (GPT-2's gelu FFN has no gate; a layer whose parts
// are not adjacent) run the same block with one MatMul per weight.

// stackGroup is one group of projections that read the same input.
type stackGroup struct {
	parts []string // canonical weight names, in stacking order
	gate  bool     // FFNGate/FFNUp, stacked [2, F, C]; else Q/K/V, [QD+2KV, C]
}

// stackGroupAt returns the group whose first part is the parameter name,
// or nil.
func stackGroupAt(c Config, name string) *stackGroup {
	l, part, kind, ok := ParseLayerName(name)
	if !ok || kind != "weight" {
		return nil
	}
	switch {
	case part == AttnQ:
		return &stackGroup{parts: []string{name, LayerName(l, AttnK, "weight"), LayerName(l, AttnV, "weight")}}
	case part == FFNGate && c.Family().FFN.Gated():
		return &stackGroup{parts: []string{name, LayerName(l, FFNUp, "weight")}, gate: true}
	}
	return nil
}

// stack uploads a group's parts as one tensor with a view per part, or,
// when their dtypes differ, one by one.
func (ld *loader) stack(g *stackGroup, specs map[string]ParamSpec) error {
	hts := make([]HostTensor, len(g.parts))
	n := 0
	for i, name := range g.parts {
		ht, err := ld.host(specs[name])
		if err != nil {
			return err
		}
		if i > 0 && ht.DType != hts[0].DType {
			for _, name := range g.parts {
				if err := ld.one(specs[name]); err != nil {
					return err
				}
			}
			return nil
		}
		hts[i] = ht
		n += len(ht.Data)
	}
	data := make([]byte, 0, n)
	rows := 0
	for _, ht := range hts {
		data = append(data, ht.Data...)
		rows += ht.Shape[0]
	}
	b := ld.b
	t := b.FromBytes(hts[0].DType, data, rows, hts[0].Shape[1])
	ld.stacks[g.parts[0]] = t
	r := 0
	for i, ht := range hts {
		v := b.View(t, r, r+ht.Shape[0])
		r += ht.Shape[0]
		ld.tensors[g.parts[i]] = v
		if err := ld.finite(g.parts[i], v, ht); err != nil {
			return err
		}
	}
	return nil
}

// useStacks points each layer's QKV and GateUp at the stacked tensors New
// made (keyed by their first part's name), which the model then owns.
func (m *Model) useStacks(stacks map[string]kernels.Tensor) {
	for l := range m.W.Layers {
		w := &m.W.Layers[l]
		if t := stacks[LayerName(l, AttnQ, "weight")]; t != nil {
			w.QKV = t
			m.stacked = append(m.stacked, t)
		}
		if t := stacks[LayerName(l, FFNGate, "weight")]; t != nil {
			w.GateUp = m.Backend.Reshape(t, 2, m.Config.HiddenDim, m.Config.Dim)
			m.stacked = append(m.stacked, t)
		}
		m.fused = m.fused || w.QKV != nil
	}
}

// blockStacks sets the QKV and GateUp of W, whose tensors are views of the
// flat parameter block flat, to views of flat wherever Params lays the
// group's parts back to back.
func blockStacks(c Config, b kernels.Backend, flat kernels.Tensor, W *Weights) {
	specs := make(map[string]ParamSpec)
	for _, p := range c.Params() {
		specs[p.Name] = p
	}
	span := func(g *stackGroup) (start, end int, ok bool) {
		start = specs[g.parts[0]].Offset
		end = start
		for _, name := range g.parts {
			p, found := specs[name]
			if !found || p.Offset != end {
				return 0, 0, false
			}
			end += p.Numel()
		}
		return start, end, true
	}
	for l := range W.Layers {
		w := &W.Layers[l]
		if g := stackGroupAt(c, LayerName(l, AttnQ, "weight")); g != nil {
			if s, e, ok := span(g); ok {
				w.QKV = b.View(flat, s, e, c.QDim()+2*c.KVDim(), c.Dim)
			}
		}
		if g := stackGroupAt(c, LayerName(l, FFNGate, "weight")); g != nil {
			if s, e, ok := span(g); ok {
				w.GateUp = b.View(flat, s, e, 2, c.HiddenDim, c.Dim)
			}
		}
	}
}

// attnIn writes the block's q, k, v projections of io.xn1 (into qpre and
// kpre for QKNorm families): one MatMul into io.qkv and a split when the
// layer has QKV, else one per weight. Biases are added per part.
func (m *Model) attnIn(io *blockIO, w *Layer) {
	b, c := m.Backend, m.Config
	q, k := io.q, io.k
	if m.fam.QKNorm {
		q, k = io.qpre, io.kpre
	}
	if w.QKV == nil || io.qkv == nil {
		m.linear(q, io.xn1, w.Q, w.QBias)
		m.linear(k, io.xn1, w.K, w.KBias)
		m.linear(io.v, io.xn1, w.V, w.VBias)
		return
	}
	b.MatMul(io.qkv, io.xn1, w.QKV, false, true, 1, 0)
	n, hd, H, KVH := kernels.Numel(io.qkv)/(c.QDim()+2*c.KVDim()), c.HeadDim(), c.NHeads, c.NKVHeads
	all := b.Reshape(io.qkv, n, H+2*KVH, hd)
	for _, p := range []struct {
		out, bias kernels.Tensor
		heads     int
		pos       int
	}{{q, w.QBias, H, 0}, {k, w.KBias, KVH, H}, {io.v, w.VBias, KVH, H + KVH}} {
		b.SliceRows(b.Reshape(p.out, n, p.heads, hd), all, p.pos)
		if p.bias != nil {
			b.AddBias(p.out, p.bias)
		}
	}
}

// ffnIn writes a gated FFN's gate and up projections of io.xn2: one
// MatMul into the stacked io.gateUp when the layer has GateUp (io.gate and
// io.up are its two halves), else one per weight.
func (m *Model) ffnIn(io *blockIO, w *Layer) {
	if w.GateUp == nil || io.gateUp == nil {
		m.linear(io.gate, io.xn2, w.FFNGate, w.FFNGateBias)
		m.linear(io.up, io.xn2, w.FFNUp, w.FFNUpBias)
		return
	}
	b := m.Backend
	b.MatMul(io.gateUp, io.xn2, w.GateUp, false, true, 1, 0)
	if w.FFNGateBias != nil {
		b.AddBias(io.gate, w.FFNGateBias)
	}
	if w.FFNUpBias != nil {
		b.AddBias(io.up, w.FFNUpBias)
	}
}
