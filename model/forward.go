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
	Q      kernels.Tensor // [B*T, C]
	K, V   kernels.Tensor // [B*T, KV]
	Att    kernels.Tensor // [B*T, C] attention output, before attn_output
	Proj   kernels.Tensor // [B*T, C] output of attn_output / ffn_down
	Gate   kernels.Tensor // [B*T, F] ffn_gate (llama)
	Up     kernels.Tensor // [B*T, F] ffn_up (+bias)
	Hid    kernels.Tensor // [B*T, F] swiglu(gate, up) or gelu(up)
	Logits kernels.Tensor // [B*T, V]

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
	C, F, KV, V := c.Dim, c.HiddenDim, c.KVDim(), c.VocabSize
	widths := []int{C, C, C, KV, KV, C, C, F, F, F, V}
	if a == nil || a.cap < B*T {
		if a != nil {
			a.free(b)
		}
		a = &activations{cap: B * T}
		for _, w := range widths {
			a.bufs = append(a.bufs, b.Zeros(kernels.F32, B*T, w))
		}
		m.acts = a
	}
	a.B, a.T = B, T
	v := func(i int) kernels.Tensor { return b.View(a.bufs[i], 0, B*T) }
	a.X, a.XN, a.Q, a.K, a.V, a.Att, a.Proj = v(0), v(1), v(2), v(3), v(4), v(5), v(6)
	a.Gate, a.Up, a.Hid, a.Logits = v(7), v(8), v(9), v(10)
	a.Q3 = b.View(a.bufs[2], 0, B*T, B, T, C)
	a.K3 = b.View(a.bufs[3], 0, B*T, B, T, KV)
	a.V3 = b.View(a.bufs[4], 0, B*T, B, T, KV)
	a.Att3 = b.View(a.bufs[5], 0, B*T, B, T, C)
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
	for l := range m.W.Layers {
		m.layerForward(l, a, cache, pos)
	}
	m.norm(a.XN, a.X, m.W.OutputNorm, m.W.OutputNormBias)
	b.MatMul(a.Logits, a.XN, m.W.Output, false, true, 1, 0)
	if cache != nil {
		cache.Pos += T
	}
	return a.Logits
}

// layerForward runs block l on a.X in place:
//
//	x += attn_output(attention(rope(q(norm(x))), rope(k(norm(x))), v(norm(x))))
//	x += ffn(norm(x))
func (m *Model) layerForward(l int, a *activations, cache *KVCache, pos int) {
	b, c, w := m.Backend, m.Config, &m.W.Layers[l]
	hd := c.HeadDim()
	m.norm(a.XN, a.X, w.AttnNorm, w.AttnNormBias)
	m.linear(a.Q, a.XN, w.Q, w.QBias)
	m.linear(a.K, a.XN, w.K, w.KBias)
	m.linear(a.V, a.XN, w.V, w.VBias)
	if c.Arch == ArchLlama {
		rp := kernels.RoPEParams{Style: c.RopeStyle, NHeads: c.NHeads, HeadDim: hd, Theta: c.RopeTheta, PosStart: pos}
		b.RoPE(a.Q3, rp)
		rp.NHeads = c.NKVHeads
		b.RoPE(a.K3, rp)
	}
	k, v := a.K3, a.V3
	if cache != nil {
		b.CopyRows(cache.K[l], a.K3, pos)
		b.CopyRows(cache.V[l], a.V3, pos)
		k, v = cache.K[l], cache.V[l]
	}
	b.Attention(a.Att3, nil, a.Q3, k, v, kernels.AttentionParams{
		NHeads: c.NHeads, NKVHeads: c.NKVHeads, HeadDim: hd,
		Scale: float32(1 / math.Sqrt(float64(hd))), PosStart: pos,
	})
	m.linear(a.Proj, a.Att, w.AttnOutput, w.AttnOutputBias)
	b.Add(a.X, a.X, a.Proj)

	m.norm(a.XN, a.X, w.FFNNorm, w.FFNNormBias)
	if c.Arch == ArchLlama {
		m.linear(a.Gate, a.XN, w.FFNGate, nil)
		m.linear(a.Up, a.XN, w.FFNUp, nil)
		b.SwiGLU(a.Hid, a.Gate, a.Up)
	} else {
		m.linear(a.Up, a.XN, w.FFNUp, w.FFNUpBias)
		b.GELU(a.Hid, a.Up)
	}
	m.linear(a.Proj, a.Hid, w.FFNDown, w.FFNDownBias)
	b.Add(a.X, a.X, a.Proj)
}

// norm is RMSNorm for Llama and LayerNorm (with bias) for GPT-2.
func (m *Model) norm(out, x, w, bias kernels.Tensor) {
	if m.Config.Arch == ArchGPT2 {
		m.Backend.LayerNorm(out, nil, nil, x, w, bias, m.Config.NormEps)
		return
	}
	m.Backend.RMSNorm(out, nil, x, w, m.Config.NormEps)
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
