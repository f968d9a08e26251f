package model

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

// Training forward and backward, llm.c style: ForwardTrain keeps every
// intermediate a layer's backward needs, Backward walks the layers in
// reverse, each step the transpose of the forward line beside it:
//
//	forward                         backward
//	xn  = norm(x)                   dx += normBackward(dxn)
//	y   = xn W^T + b                dxn = dy W; dW += dy^T xn; db += sum dy
//	q,k = qn(q), kn(k) (QKNorm)     dq, dk = rmsNormBackward(dq), ...
//	q,k = rope(q), rope(k)          dq, dk = rope^-1(dq), rope^-1(dk)
//	att = attention(q, k, v)        dq, dk, dv = attentionBackward(datt)
//	h   = swiglu(g, u) | gelu(u)    dg, du = ...Backward(dh)
//	x  += proj                      (the residual passes dx through)
//
// Gradients accumulate (+=) into a Weights of gradient tensors laid out as
// the parameters (see ParamBlock), so the caller zeroes them once per
// optimizer step and gradient accumulation over micro-batches is free.
//
// Activation storage (mixed precision): TrainState.Act is the dtype of the
// saved matmul-side activations (norm outputs, q/k/v, attention output, FFN
// gate/up/hidden). With BF16/F16 they take half the memory and every op
// reads them widened to float32, computes in float32 and rounds once on
// write (kernels' convention). What stays F32, and why:
//
//   - the residual stream Res and XMid: it is an accumulator (x += proj
//     every block), and adding a small update to a large value in bf16 (8
//     significant bits) drops the update; Hidden(l) returns it for
//     hidden-state losses;
//   - norm mean/rstd and attention lse: per-row statistics, tiny, and
//     their error multiplies every element of the row's gradient;
//   - the logits (a fused loss overwrites them with their gradient);
//   - every gradient: weight gradients accumulate across micro-batches, and
//     the backward scratch (dX, dXN, dQ...) is accumulated into by several
//     ops (dXN by three projections, dK/dV by every query row), so rounding
//     it to half at each += would compound. The scratch is sized once, not
//     per layer, so keeping it F32 costs little memory.

// layerActs are the saved activations of one block for a [B*T] batch.
type layerActs struct {
	XN1, Mean1, Rstd1 kernels.Tensor // attention norm output [BT, C]; mean, rstd [BT]
	Q, K, V           kernels.Tensor // [BT, QD], [BT, KV], [BT, KV]; q, k after RoPE
	QPre, KPre        kernels.Tensor // q, k before the per-head norm (QKNorm families)
	QRstd, KRstd      kernels.Tensor // its rstd [BT*H], [BT*KVH]
	Att, Lse          kernels.Tensor // [BT, QD]; [B, H, T]
	XMid              kernels.Tensor // residual after attention [BT, C]
	XN2, Mean2, Rstd2 kernels.Tensor // FFN norm output and statistics
	Gate, Up, Hid     kernels.Tensor // [BT, F]
	GateUp            kernels.Tensor // [2, BT, F]: Gate and Up stacked (gated FFNs)
}

// TrainState holds the saved activations and backward scratch of a
// training step, sized on first use and when (B, T) changes. The zero value
// is ready to use; one state serves one model. Res[l] is the residual
// stream entering block l (Res[L] leaves the last block).
type TrainState struct {
	// Act is the storage dtype of the saved activations (F32, the zero
	// value, or BF16/F16 for mixed precision; see the comment at the top of
	// this file). Set it before the first ForwardTrain; changing it
	// reallocates the state on the next one.
	Act kernels.DType

	B, T   int
	ids    []int32
	Res    []kernels.Tensor // L+1 x [BT, C]
	L      []layerActs
	XNF    kernels.Tensor // final norm output [BT, C]
	MeanF  kernels.Tensor // [BT]
	RstdF  kernels.Tensor // [BT]
	Logits kernels.Tensor // [BT, V]
	qkv    kernels.Tensor // [BT, QD+2KV] stacked q/k/v product, shared by the layers (fuse.go), or nil

	// Backward scratch, reused by every layer.
	dX, dXN, dQ, dK, dV, dAtt kernels.Tensor
	dQPre, dKPre              kernels.Tensor // QKNorm families
	dGate, dUp, dHid          kernels.Tensor

	dHidden []kernels.Tensor // per block, nil until HiddenGrad asks

	all      []kernels.Tensor
	backend  kernels.Backend
	allocAct kernels.DType // the Act the buffers were allocated with
}

// Hidden returns the output of block l (the residual stream after it,
// [B*T, C]) saved by the last ForwardTrain, for hidden-state losses.
func (a *TrainState) Hidden(l int) kernels.Tensor { return a.Res[l+1] }

// AttentionOut returns block l's attention output before attn_output
// ([B*T, H*hd], head h in columns h*hd..), and FFNHidden its FFN hidden
// activations ([B*T, F], after SwiGLU/GELU), as the last ForwardTrain saved
// them, in dtype Act (for activation-based importance).
func (a *TrainState) AttentionOut(l int) kernels.Tensor { return a.L[l].Att }

// FFNHidden: see AttentionOut.
func (a *TrainState) FFNHidden(l int) kernels.Tensor { return a.L[l].Hid }

// HiddenGrad returns a [B*T, C] F32 buffer that Backward adds to the
// gradient wrt Hidden(l): a hidden-state loss accumulates its gradient
// into it between ForwardTrain (which zeroes it) and Backward.
func (a *TrainState) HiddenGrad(l int) kernels.Tensor {
	if a.all == nil {
		panic("model: HiddenGrad before ForwardTrain")
	}
	if a.dHidden[l] == nil {
		t := a.backend.Zeros(kernels.F32, a.B*a.T, kernels.Numel(a.Res[0])/(a.B*a.T))
		a.all = append(a.all, t)
		a.dHidden[l] = t
	}
	return a.dHidden[l]
}

// Free releases the state's buffers (it stays usable: the next
// ForwardTrain reallocates them). Act is kept.
func (a *TrainState) Free() {
	for _, t := range a.all {
		a.backend.Free(t)
	}
	*a = TrainState{Act: a.Act}
}

// size allocates the activations for [B, T] unless they already fit.
func (a *TrainState) size(m *Model, B, T int) {
	act := a.Act
	if !act.IsFloat() {
		panic(fmt.Sprintf("model: TrainState.Act %s is not a float dtype", act))
	}
	if a.all != nil && a.B == B && a.T == T && a.backend == m.Backend && a.allocAct == act && (a.qkv != nil) == m.fused {
		return
	}
	if a.all != nil {
		a.Free()
	}
	b, c := m.Backend, m.Config
	C, F, KV, V, N, QD := c.Dim, c.HiddenDim, c.KVDim(), c.VocabSize, B*T, c.QDim()
	*a = TrainState{Act: act, B: B, T: T, backend: b, allocAct: act}
	alloc := func(dt kernels.DType, shape ...int) kernels.Tensor {
		t := b.Zeros(dt, shape...)
		a.all = append(a.all, t)
		return t
	}
	z := func(shape ...int) kernels.Tensor { return alloc(kernels.F32, shape...) }
	h := func(shape ...int) kernels.Tensor { return alloc(act, shape...) }
	fam := c.Family()
	zMean := func() kernels.Tensor {
		if fam.Norm == LayerNorm {
			return z(N)
		}
		return nil
	}
	for range c.NLayers + 1 {
		a.Res = append(a.Res, z(N, C))
	}
	a.L = make([]layerActs, c.NLayers)
	for l := range a.L {
		la := &a.L[l]
		la.XN1, la.Mean1, la.Rstd1 = h(N, C), zMean(), z(N)
		la.Q, la.K, la.V = h(N, QD), h(N, KV), h(N, KV)
		if fam.QKNorm {
			la.QPre, la.KPre = h(N, QD), h(N, KV)
			la.QRstd, la.KRstd = z(N*c.NHeads), z(N*c.NKVHeads)
		}
		la.Att, la.Lse = h(N, QD), z(B, c.NHeads, T)
		la.XMid = z(N, C)
		la.XN2, la.Mean2, la.Rstd2 = h(N, C), zMean(), z(N)
		if fam.FFN.Gated() {
			gu := h(2*N, F)
			la.Gate, la.Up, la.GateUp = b.View(gu, 0, N), b.View(gu, N, 2*N), b.Reshape(gu, 2, N, F)
		} else {
			la.Up = h(N, F)
		}
		la.Hid = h(N, F)
	}
	a.XNF, a.MeanF, a.RstdF, a.Logits = h(N, C), zMean(), z(N), z(N, V)
	if m.fused {
		a.qkv = h(N, QD+2*KV)
	}
	a.dX, a.dXN, a.dQ, a.dK, a.dV, a.dAtt = z(N, C), z(N, C), z(N, QD), z(N, KV), z(N, KV), z(N, QD)
	if fam.QKNorm {
		a.dQPre, a.dKPre = z(N, QD), z(N, KV)
	}
	if fam.FFN.Gated() {
		a.dGate = z(N, F)
	}
	a.dUp, a.dHid = z(N, F), z(N, F)
	a.dHidden = make([]kernels.Tensor, c.NLayers)
}

// ForwardTrain runs the model on ids (B sequences of T tokens, positions
// from 0), saving the activations Backward needs in a, and returns the logits
// [B*T, V] (F32, owned by the model: a fused loss may overwrite them with
// their gradient before Backward). It gives the same logits as Forward.
func (m *Model) ForwardTrain(a *TrainState, ids []int32, B, T int) kernels.Tensor {
	c := m.Config
	if B <= 0 || T <= 0 || len(ids) != B*T || T > c.MaxSeqLen {
		panic(fmt.Sprintf("model: ForwardTrain: %d ids for B=%d, T=%d (max_seq_len %d)", len(ids), B, T, c.MaxSeqLen))
	}
	for _, id := range ids {
		if id < 0 || int(id) >= c.VocabSize {
			panic(fmt.Sprintf("model: ForwardTrain: token id %d outside [0, %d)", id, c.VocabSize))
		}
	}
	a.size(m, B, T)
	b := m.Backend
	a.ids = append(a.ids[:0], ids...)
	for _, d := range a.dHidden {
		if d != nil {
			b.Fill(d, 0)
		}
	}
	b.Embedding(a.Res[0], m.W.TokenEmbd, m.W.PosEmbd, ids, T, 0)
	for l := range m.W.Layers {
		io := m.blockTrain(l, a)
		m.block(l, &io)
	}
	last := a.Res[c.NLayers]
	m.norm(a.XNF, a.MeanF, a.RstdF, last, m.W.OutputNorm, m.W.OutputNormBias)
	b.MatMul(a.Logits, a.XNF, m.W.Output, false, true, 1, 0)
	return a.Logits
}

// blockTrain is layer l's blockIO over the activations ForwardTrain
// saves.
func (m *Model) blockTrain(l int, a *TrainState) blockIO {
	la := &a.L[l]
	return blockIO{
		x: a.Res[l], xmid: la.XMid, out: a.Res[l+1],
		xn1: la.XN1, mean1: la.Mean1, rstd1: la.Rstd1,
		q: la.Q, k: la.K, v: la.V, att: la.Att,
		q3: m.split(a, la.Q), k3: m.split(a, la.K), v3: m.split(a, la.V), att3: m.split(a, la.Att), lse: la.Lse,
		qpre: la.QPre, kpre: la.KPre, qrstd: la.QRstd, krstd: la.KRstd,
		xn2: la.XN2, mean2: la.Mean2, rstd2: la.Rstd2,
		gate: la.Gate, up: la.Up, hid: la.Hid, gateUp: la.GateUp, qkv: a.qkv,
	}
}

// Backward accumulates into grads the gradient of a loss given its
// gradient wrt the logits of the last ForwardTrain, dlogits [B*T, V]
// (which may be the tensor ForwardTrain returned, overwritten in place),
// using the activations ForwardTrain saved in a.
// grads has the model's layout (ParamBlock.W); with tied embeddings its
// Output is its TokenEmbd, so both uses accumulate into one tensor.
func (m *Model) Backward(a *TrainState, dlogits kernels.Tensor, grads *Weights) {
	if a.all == nil {
		panic("model: Backward before ForwardTrain")
	}
	if n, v := kernels.Rows(dlogits); n != a.B*a.T || v != m.Config.VocabSize {
		panic(fmt.Sprintf("model: Backward: dlogits %v for a batch of %d rows of %d logits", dlogits.Shape(), a.B*a.T, m.Config.VocabSize))
	}
	b, L := m.Backend, m.Config.NLayers
	// logits = xnf Wout^T: dxnf = dlogits Wout, dWout += dlogits^T xnf.
	b.MatMul(a.dXN, dlogits, m.W.Output, false, false, 1, 0)
	b.MatMul(grads.Output, dlogits, a.XNF, true, false, 1, 1)
	b.Fill(a.dX, 0)
	m.normBackward(a.dX, grads.OutputNorm, grads.OutputNormBias, a.dXN, a.Res[L], m.W.OutputNorm, a.MeanF, a.RstdF)
	for l := L - 1; l >= 0; l-- {
		if d := a.dHidden[l]; d != nil {
			b.Add(a.dX, a.dX, d)
		}
		m.layerBackward(l, a, &grads.Layers[l])
	}
	b.EmbeddingBackward(grads.TokenEmbd, grads.PosEmbd, a.dX, a.ids, a.T, 0)
}

// layerBackward propagates a.dX (the gradient wrt block l's output) to its
// input, accumulating the block's weight gradients into g.
func (m *Model) layerBackward(l int, a *TrainState, g *Layer) {
	b, c, w, la := m.Backend, m.Config, &m.W.Layers[l], &a.L[l]
	// out = xmid + down(hid): dX passes through to xmid unchanged.
	m.linearBackward(a.dHid, g.FFNDown, g.FFNDownBias, a.dX, la.Hid, w.FFNDown, false)
	b.Fill(a.dUp, 0)
	switch m.fam.FFN {
	case SwiGLU:
		b.Fill(a.dGate, 0)
		b.SwiGLUBackward(a.dGate, a.dUp, a.dHid, la.Gate, la.Up)
		m.linearBackward(a.dXN, g.FFNGate, g.FFNGateBias, a.dGate, la.XN2, w.FFNGate, false)
		m.linearBackward(a.dXN, g.FFNUp, g.FFNUpBias, a.dUp, la.XN2, w.FFNUp, true)
	case GELUTanh:
		b.GELUBackward(a.dUp, a.dHid, la.Up)
		m.linearBackward(a.dXN, g.FFNUp, g.FFNUpBias, a.dUp, la.XN2, w.FFNUp, false)
	}
	m.normBackward(a.dX, g.FFNNorm, g.FFNNormBias, a.dXN, la.XMid, w.FFNNorm, la.Mean2, la.Rstd2)

	// xmid = x + attn_output(att): dX passes through to x.
	m.linearBackward(a.dAtt, g.AttnOutput, g.AttnOutputBias, a.dX, la.Att, w.AttnOutput, false)
	b.Fill(a.dQ, 0)
	b.Fill(a.dK, 0)
	b.Fill(a.dV, 0)
	dq3, dk3 := m.split(a, a.dQ), m.split(a, a.dK)
	b.AttentionBackward(dq3, dk3, m.split(a, a.dV), m.split(a, a.dAtt),
		m.split(a, la.Q), m.split(a, la.K), m.split(a, la.V), m.split(a, la.Att), la.Lse, m.attnParams(0))
	if m.fam.Pos == RoPE {
		b.RoPEBackward(dq3, m.ropeParams(dq3, c.NHeads, 0))
		b.RoPEBackward(dk3, m.ropeParams(dk3, c.NKVHeads, 0))
	}
	dq, dk := a.dQ, a.dK
	if m.fam.QKNorm {
		// q = qn(qpre) per head: dqpre = qn'(dq), dQNorm += ...
		b.Fill(a.dQPre, 0)
		b.Fill(a.dKPre, 0)
		b.RMSNormBackward(m.heads(a.dQPre), g.QNorm, m.heads(a.dQ), m.heads(la.QPre), w.QNorm, la.QRstd)
		b.RMSNormBackward(m.heads(a.dKPre), g.KNorm, m.heads(a.dK), m.heads(la.KPre), w.KNorm, la.KRstd)
		dq, dk = a.dQPre, a.dKPre
	}
	m.linearBackward(a.dXN, g.Q, g.QBias, dq, la.XN1, w.Q, false)
	m.linearBackward(a.dXN, g.K, g.KBias, dk, la.XN1, w.K, true)
	m.linearBackward(a.dXN, g.V, g.VBias, a.dV, la.XN1, w.V, true)
	m.normBackward(a.dX, g.AttnNorm, g.AttnNormBias, a.dXN, a.Res[l], w.AttnNorm, la.Mean1, la.Rstd1)
}

// linearBackward is the backward of out = x W^T + bias for dout [N, out],
// x [N, in], W [out, in]: dx = dout W (+= when accumulate), dW += dout^T x,
// dbias += column sums of dout (when dbias is not nil).
func (m *Model) linearBackward(dx, dw, dbias, dout, x, w kernels.Tensor, accumulate bool) {
	b := m.Backend
	beta := float32(0)
	if accumulate {
		beta = 1
	}
	b.MatMul(dx, dout, w, false, false, 1, beta)
	b.MatMul(dw, dout, x, true, false, 1, 1)
	if dbias != nil {
		b.BiasBackward(dbias, dout)
	}
}

// split views a [B*T, X] activation as [B, T, X].
func (m *Model) split(a *TrainState, t kernels.Tensor) kernels.Tensor {
	_, x := kernels.Rows(t)
	return m.Backend.Reshape(t, a.B, a.T, x)
}
