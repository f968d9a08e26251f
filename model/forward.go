package model

import (
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// activations holds every intermediate of one forward pass, named as in the
// doc comment of package model. Inference reuses one set of per-layer
// buffers for all layers; a training forward keeps one per layer (the same
// fields), so Backward can walk them in reverse.
//
// Each buffer is allocated once with room for cap rows (B*T) and viewed as
// 2-d [B*T, X] (norms, matmuls) and, where attention needs the batch split,
// as 3-d [B, T, X]. Views are rebuilt only when (B, T) changes, so steady
// state decoding allocates nothing.
type activations struct {
	B, T, cap int
	bufs      []kernels.Tensor // backing storage, [cap, X] each

	X      kernels.Tensor // [B*T, C] residual stream
	XN     kernels.Tensor // [B*T, C] normalised input of a sub-block
	Q      kernels.Tensor // [B*T, QD] (QD = NHeads*HeadDim, usually C)
	K, V   kernels.Tensor // [B*T, KV]
	Att    kernels.Tensor // [B*T, QD] attention output, before attn_output
	Proj   kernels.Tensor // [B*T, C] residual after a block's attention
	Gate   kernels.Tensor // [B*T, F] ffn_gate (gated FFNs)
	Up     kernels.Tensor // [B*T, F] ffn_up (+bias)
	GateUp kernels.Tensor // [2, B*T, F]: Gate and Up, stacked (gated FFNs)
	QKV    kernels.Tensor // [B*T, QD+2KV] stacked q/k/v product (models with QKV), else nil
	Hid    kernels.Tensor // [B*T, F] swiglu(gate, up) or gelu(up)
	Logits kernels.Tensor // [B*T, V]
	// QPre, KPre are q and k before the per-head norm (QKNorm families
	// only, else nil).
	QPre, KPre kernels.Tensor

	Q3, K3, V3, Att3 kernels.Tensor // 3-d views [B, T, ·] of Q, K, V, Att
}

func (a *activations) free(b kernels.Backend) {
	for _, t := range a.bufs {
		b.Free(t)
	}
	a.bufs = nil
}

// activationsFor returns buffers shaped for a [B, T] batch, growing them
// when B*T exceeds what was allocated.
func (m *Model) activationsFor(B, T int) *activations {
	a := m.acts
	if a != nil && a.B == B && a.T == T {
		return a
	}
	b, c := m.Backend, m.Config
	C, F, KV, V, QD := c.Dim, c.HiddenDim, c.KVDim(), c.VocabSize, c.QDim()
	// Buffer i is [rows[i] * cap, widths[i]]: 7 holds gate (rows [0, B*T))
	// and up ([B*T, 2B*T)), stacked as GateUp.
	widths := []int{C, C, QD, KV, KV, QD, C, F, F, V}
	rows := []int{1, 1, 1, 1, 1, 1, 1, 2, 1, 1}
	if m.fam.QKNorm {
		widths, rows = append(widths, QD, KV), append(rows, 1, 1)
	}
	if m.fused {
		widths, rows = append(widths, QD+2*KV), append(rows, 1)
	}
	if a == nil || a.cap < B*T {
		if a != nil {
			a.free(b)
		}
		a = &activations{cap: B * T}
		for i, w := range widths {
			a.bufs = append(a.bufs, b.Zeros(kernels.F32, rows[i]*B*T, w))
		}
		m.acts = a
	}
	a.B, a.T = B, T
	v := func(i int) kernels.Tensor { return b.View(a.bufs[i], 0, B*T) }
	a.X, a.XN, a.Q, a.K, a.V, a.Att, a.Proj = v(0), v(1), v(2), v(3), v(4), v(5), v(6)
	a.Gate, a.Up, a.Hid, a.Logits = v(7), b.View(a.bufs[7], B*T, 2*B*T), v(8), v(9)
	a.GateUp = b.View(a.bufs[7], 0, 2*B*T, 2, B*T, F)
	if m.fam.QKNorm {
		a.QPre, a.KPre = v(10), v(11)
	}
	if m.fused {
		a.QKV = v(len(widths) - 1)
	}
	a.Q3 = b.View(a.bufs[2], 0, B*T, B, T, QD)
	a.K3 = b.View(a.bufs[3], 0, B*T, B, T, KV)
	a.V3 = b.View(a.bufs[4], 0, B*T, B, T, KV)
	a.Att3 = b.View(a.bufs[5], 0, B*T, B, T, QD)
	return a
}

// Forward runs the model on ids (B sequences of T tokens, row-major) and
// returns the logits [B*T, V] (F32). The returned tensor is owned by the
// model and overwritten by the next call.
//
// With a cache, the tokens continue the cached sequences: they take
// positions cache.Pos .. cache.Pos+T-1, their keys and values are appended,
// and cache.Pos advances by T. Without one, positions start at 0.
//
// Caller mistakes (len(ids) != B*T, a cache of another batch size or too
// short, positions past MaxSeqLen, ids outside the vocabulary) panic.
func (m *Model) Forward(ids []int32, B, T int, cache *KVCache) kernels.Tensor {
	c := m.Config
	if B <= 0 || T <= 0 || len(ids) != B*T {
		panic(fmt.Sprintf("model: Forward: %d ids for B=%d, T=%d", len(ids), B, T))
	}
	pos := 0
	if cache != nil {
		if cache.B != B {
			panic(fmt.Sprintf("model: Forward: cache for batch %d used with batch %d", cache.B, B))
		}
		if cache.Pos+T > cache.MaxT {
			panic(fmt.Sprintf("model: Forward: %d cached + %d new positions exceed the cache length %d", cache.Pos, T, cache.MaxT))
		}
		pos = cache.Pos
	}
	if pos+T > c.MaxSeqLen {
		panic(fmt.Sprintf("model: Forward: position %d is past max_seq_len %d", pos+T-1, c.MaxSeqLen))
	}
	for _, id := range ids {
		if id < 0 || int(id) >= c.VocabSize {
			panic(fmt.Sprintf("model: Forward: token id %d outside [0, %d)", id, c.VocabSize))
		}
	}
	b, a := m.Backend, m.activationsFor(B, T)
	b.Embedding(a.X, m.W.TokenEmbd, m.W.PosEmbd, ids, T, pos)
	// Every layer reuses the same buffers; the residual stays in a.X,
	// with a.Proj holding it between the two halves of a block.
	io := blockIO{
		x: a.X, xmid: a.Proj, out: a.X, xn1: a.XN, xn2: a.XN,
		q: a.Q, k: a.K, v: a.V, att: a.Att, q3: a.Q3, k3: a.K3, v3: a.V3, att3: a.Att3, qpre: a.QPre, kpre: a.KPre,
		gate: a.Gate, up: a.Up, hid: a.Hid, gateUp: a.GateUp, qkv: a.QKV, cache: cache, pos: pos,
	}
	for l := range m.W.Layers {
		m.block(l, &io)
	}
	m.norm(a.XN, nil, nil, a.X, m.W.OutputNorm, m.W.OutputNormBias)
	b.MatMul(a.Logits, a.XN, m.W.Output, false, true, 1, 0)
	if cache != nil {
		cache.Pos += T
	}
	return a.Logits
}

// blockIO names the tensors one Transformer block reads and writes, so
// that inference and training run the same block code (block): Forward
// passes the model's shared buffers (every layer reuses them, the residual
// is updated in place, no statistics are kept), ForwardTrain layer l's
// saved activations.
type blockIO struct {
	x    kernels.Tensor // [BT, C] block input
	xmid kernels.Tensor // [BT, C] residual after attention; must not alias x
	out  kernels.Tensor // [BT, C] block output; may alias x

	xn1, mean1, rstd1 kernels.Tensor // attention norm output [BT, C]; mean, rstd [BT] or nil
	q, k, v, att      kernels.Tensor // [BT, QD], [BT, KV], [BT, KV], [BT, QD]
	q3, k3, v3, att3  kernels.Tensor // the same viewed [B, T, ·]
	qpre, kpre        kernels.Tensor // q, k before the per-head norm (QKNorm families), else nil
	qrstd, krstd      kernels.Tensor // its rstd [BT*H], [BT*KVH], or nil
	lse               kernels.Tensor // attention log-sum-exp [B, H, T], or nil
	xn2, mean2, rstd2 kernels.Tensor // FFN norm output and statistics
	gate, up, hid     kernels.Tensor // [BT, F]; gate nil unless the FFN is gated
	gateUp            kernels.Tensor // [2, BT, F] whose halves are gate and up, or nil (fuse.go)
	qkv               kernels.Tensor // [BT, QD+2KV] scratch for a stacked QKV product, or nil
	cache             *KVCache       // when not nil, k and v are appended and attention reads it
	pos               int            // position of the first token
}

// block runs Transformer block l (per the family's traits):
//
//	xmid = x + attn_output(attention(rope(qn(q(norm(x)))), rope(kn(k(norm(x)))), v(norm(x))))
//	out  = xmid + ffn(norm(xmid))
//
// qn and kn are per-head RMSNorms for QKNorm families (Qwen3), else the
// identity. q, k, v (and gate, up) come from one MatMul per group where
// the layer's weights are stacked (fuse.go).
func (m *Model) block(l int, io *blockIO) {
	b, c, w, fam := m.Backend, m.Config, &m.W.Layers[l], m.fam
	m.norm(io.xn1, io.mean1, io.rstd1, io.x, w.AttnNorm, w.AttnNormBias)
	m.attnIn(io, w)
	if fam.QKNorm {
		b.RMSNorm(m.heads(io.q), io.qrstd, m.heads(io.qpre), w.QNorm, c.NormEps)
		b.RMSNorm(m.heads(io.k), io.krstd, m.heads(io.kpre), w.KNorm, c.NormEps)
	}
	if fam.Pos == RoPE {
		b.RoPE(io.q3, m.ropeParams(io.q3, c.NHeads, io.pos))
		b.RoPE(io.k3, m.ropeParams(io.k3, c.NKVHeads, io.pos))
	}
	k, v := io.k3, io.v3
	if io.cache != nil {
		b.CopyRows(io.cache.K[l], io.k3, io.pos)
		b.CopyRows(io.cache.V[l], io.v3, io.pos)
		k, v = io.cache.K[l], io.cache.V[l]
	}
	b.Attention(io.att3, io.lse, io.q3, k, v, m.attnParams(io.pos))
	m.linear(io.xmid, io.att, w.AttnOutput, w.AttnOutputBias)
	b.Add(io.xmid, io.xmid, io.x)

	m.norm(io.xn2, io.mean2, io.rstd2, io.xmid, w.FFNNorm, w.FFNNormBias)
	switch fam.FFN {
	case SwiGLU:
		m.ffnIn(io, w)
		b.SwiGLU(io.hid, io.gate, io.up)
	case GELUTanh:
		m.linear(io.up, io.xn2, w.FFNUp, w.FFNUpBias)
		b.GELU(io.hid, io.up)
	}
	m.linear(io.out, io.hid, w.FFNDown, w.FFNDownBias)
	b.Add(io.out, io.out, io.xmid)
}

// norm is the family's norm of x into out (RMSNorm, or LayerNorm with
// bias), saving the row statistics into mean and rstd when they are not
// nil (mean is unused by RMSNorm).
func (m *Model) norm(out, mean, rstd, x, w, bias kernels.Tensor) {
	switch m.fam.Norm {
	case LayerNorm:
		m.Backend.LayerNorm(out, mean, rstd, x, w, bias, m.Config.NormEps)
	case RMSNorm:
		m.Backend.RMSNorm(out, rstd, x, w, m.Config.NormEps)
	}
}

// normBackward accumulates dx, dw (and db for LayerNorm) given dout.
func (m *Model) normBackward(dx, dw, db, dout, x, w, mean, rstd kernels.Tensor) {
	switch m.fam.Norm {
	case LayerNorm:
		m.Backend.LayerNormBackward(dx, dw, db, dout, x, w, mean, rstd)
	case RMSNorm:
		m.Backend.RMSNormBackward(dx, dw, dout, x, w, rstd)
	}
}

// heads views a [rows, H*hd] projection as [rows*H, hd], one row per
// head, for the per-head q/k norms.
func (m *Model) heads(t kernels.Tensor) kernels.Tensor {
	hd := m.Config.HeadDim()
	return m.Backend.Reshape(t, kernels.Numel(t)/hd, hd)
}

// ropeParams rotates x [B, T, heads*hd] at positions pos..pos+T-1. Dynamic
// NTK scaling takes its frequencies from the call's total length pos+T
// (HF's dynamic_rope_update: keys already cached keep their rotation).
func (m *Model) ropeParams(x kernels.Tensor, heads, pos int) kernels.RoPEParams {
	c := m.Config
	factors := m.ropeFactors
	if c.RopeScaling.Kind == RopeScalingDynamic {
		s := x.Shape()
		factors = c.RopeFreqFactorsAt(pos + s[len(s)-2])
	}
	return kernels.RoPEParams{Style: c.RopeStyle, NHeads: heads, HeadDim: c.HeadDim(), Theta: c.RopeTheta, PosStart: pos, FreqFactors: factors}
}

func (m *Model) attnParams(pos int) kernels.AttentionParams {
	c := m.Config
	hd := c.HeadDim()
	return kernels.AttentionParams{NHeads: c.NHeads, NKVHeads: c.NKVHeads, HeadDim: hd, Scale: float32(1 / math.Sqrt(float64(hd))),
		PosStart: pos, Window: c.SlidingWindow}
}

// linear computes out = x W^T (+ bias) for W [out, in].
func (m *Model) linear(out, x, w, bias kernels.Tensor) {
	m.Backend.MatMul(out, x, w, false, true, 1, 0)
	if bias != nil {
		m.Backend.AddBias(out, bias)
	}
}

// Logits runs Forward without a cache and copies the logits [B*T, V] into
// dst (grown as needed), which it returns.
func (m *Model) Logits(dst []float32, ids []int32, B, T int) []float32 {
	return m.Backend.ToFloat32(m.Forward(ids, B, T, nil), dst)
}
