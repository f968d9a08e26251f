// Package kernels defines the compute backend interface that distill's models
// are written against, and the storage types (DType) of tensors.
//
// A Backend owns tensor storage (host memory for the CPU backend in
// kernels/cpu, device memory for the CUDA backend in kernels/cuda) and runs
// the operations below on it. Model, teacher and student code only ever call
// Backend methods, so the same code runs on every device.
//
// Conventions shared by every operation:
//
//   - Tensors are dense and row-major. The last dimension is contiguous.
//     "Rows" of a tensor are its elements along the last dimension; an [N, C]
//     operation accepts any tensor whose last dimension is C and treats all
//     leading dimensions as N.
//   - out arguments are written, never read, unless the doc says they
//     accumulate ("+="). Gradients in backward ops always accumulate, llm.c
//     style, so the caller zeroes them once per step.
//   - Compute is float32 whatever the storage dtype of the operands: half
//     precision inputs are widened, outputs are rounded once at the end
//     (round to nearest even).
//   - Caller mistakes (shape or dtype mismatch) panic with a "kernels:" prefix;
//     they are programming errors, not input errors.
//   - Operations may run asynchronously on a device; Sync waits for them.
//     Reading a tensor back (ToFloat32, ReadBytes) synchronises implicitly.
package kernels

import (
	"errors"
	"strconv"
)

// Tensor is a handle to a dense array owned by a Backend.
type Tensor interface {
	DType() DType
	// Shape returns the dimensions, outermost first. Callers must not modify it.
	Shape() []int
}

// Numel returns the number of elements of t.
func Numel(t Tensor) int {
	n := 1
	for _, s := range t.Shape() {
		n *= s
	}
	return n
}

// Rows returns the product of all dimensions but the last, and the last.
func Rows(t Tensor) (n, c int) {
	sh := t.Shape()
	if len(sh) == 0 {
		return 1, 1
	}
	n = 1
	for _, s := range sh[:len(sh)-1] {
		n *= s
	}
	return n, sh[len(sh)-1]
}

// RoPEStyle selects which pairs of a head's channels rotary embedding rotates.
type RoPEStyle uint8

const (
	// RoPEInterleaved rotates the pairs (2i, 2i+1) of each head, as Meta's
	// original Llama and llama2.c do (and GGUF llama files expect).
	RoPEInterleaved RoPEStyle = iota
	// RoPEHalf rotates the pairs (i, i+headDim/2), as HF transformers'
	// rotate_half does. HF Llama checkpoints have their q/k projection rows
	// permuted so that this style gives the same result as RoPEInterleaved on
	// the original weights.
	RoPEHalf
)

// RoPEParams describes a rotary position embedding applied to [B, T, H*hd].
// The angle for pair i at position p is p * Theta^(-2i/HeadDim).
type RoPEParams struct {
	Style    RoPEStyle
	NHeads   int     // H: heads in the tensor (query or key/value heads)
	HeadDim  int     // hd
	Theta    float32 // base, 10000 for Llama 2
	PosStart int     // position of t = 0 (non-zero when decoding with a KV cache)
	// FreqFactors, when not nil, divides the frequency of pair i by
	// FreqFactors[i] (len HeadDim/2): the angle is
	// p * Theta^(-2i/HeadDim) / FreqFactors[i]. RoPE scaling (linear,
	// Llama 3's bands) is expressed this way, as llama.cpp's rope_freqs
	// tensor does. Factors must be finite and > 0.
	FreqFactors []float32
}

// AttentionParams describes causal multi-head attention with grouped-query
// heads: query head h reads key/value head h / (NHeads/NKVHeads).
type AttentionParams struct {
	NHeads   int     // query heads H
	NKVHeads int     // key/value heads, divides NHeads
	HeadDim  int     // hd
	Scale    float32 // logit scale, usually 1/sqrt(hd)
	// PosStart is the position of the first query row. Query row t attends to
	// key rows 0..PosStart+t inclusive (causal). With a KV cache the key and
	// value tensors hold at least PosStart+T rows per batch entry.
	PosStart int
	// Window, when > 0, is a sliding window (Mistral): the query at
	// position p attends only to keys j with p-Window < j <= p. 0 is full
	// causal attention; a window >= the sequence length is the same.
	Window int
}

// Backend is a compute device. All tensors passed to a Backend's methods must
// have been created by that same Backend.
type Backend interface {
	// Name identifies the backend and device, e.g. "cpu" or "cuda:0".
	Name() string

	// ---- storage ----

	// Zeros allocates a zero-filled tensor.
	Zeros(dt DType, shape ...int) Tensor
	// FromFloat32 allocates a tensor of dtype dt (a float type) holding data,
	// rounded to dt. len(data) must equal the shape's element count.
	FromFloat32(dt DType, data []float32, shape ...int) Tensor
	// FromBytes allocates a tensor of dtype dt whose storage is data, laid out
	// as DType.Bytes describes (little-endian). The backend may keep a
	// reference to data (e.g. a memory-mapped checkpoint) instead of copying,
	// so the caller must not modify it afterwards.
	FromBytes(dt DType, data []byte, shape ...int) Tensor
	// ToFloat32 copies t into dst (grown as needed) widened to float32 and
	// returns it. Block types are dequantized.
	ToFloat32(t Tensor, dst []float32) []float32
	// ReadBytes returns a copy of t's raw storage.
	ReadBytes(t Tensor) []byte
	// View returns a tensor sharing t's storage: rows [start, end) of its
	// first dimension, reshaped to shape (whose element count must match).
	// With shape omitted the view keeps t's trailing dimensions.
	View(t Tensor, start, end int, shape ...int) Tensor
	// Reshape returns a tensor sharing t's storage with a new shape of the same
	// element count.
	Reshape(t Tensor, shape ...int) Tensor
	// Copy copies src into dst (same element count; dtypes may differ, in
	// which case values are converted as by Cast).
	Copy(dst, src Tensor)
	// Fill sets every element of a float tensor to v.
	Fill(t Tensor, v float32)
	// Free releases t's storage early; using t afterwards is an error. Backends
	// with garbage-collected storage may make it a no-op.
	Free(t Tensor)
	// Sync waits for all queued work to finish.
	Sync()

	// ---- linear algebra ----

	// MatMul computes out = alpha * op(a) @ op(b) + beta * out, where op(x) is
	// x or its transpose. a is [M, K] (or [K, M] when transA), b is [K, N]
	// (or [N, K] when transB), out is [M, N]. With 3-d operands the leading
	// dimension is a batch: a [Bt, ...], out [Bt, ...], and b either
	// [Bt, ...] or 2-d and shared by every batch entry; or a 2-d a shared
	// by every entry of a 3-d b [Bt, ...] (one input times several
	// stacked weights: out[i] = op(a) op(b[i])). Any leading
	// dimensions of a 2-d-b call with transA false are flattened into M (so
	// [B, T, C] activations times a [N, C] weight works).
	// b may be of any dtype, including block types (only with transB, the
	// weight layout [N, K]); a and out are float types.
	// When beta is 0, out is not read (NaNs in it are ignored).
	MatMul(out, a, b Tensor, transA, transB bool, alpha, beta float32)

	// ---- elementwise ----

	// Add computes out = a + b elementwise (same shapes; out may alias a or b).
	Add(out, a, b Tensor)
	// Scale computes t *= s in place.
	Scale(t Tensor, s float32)
	// AddBias adds bias [C] to every row of x [N, C] in place.
	AddBias(x, bias Tensor)
	// BiasBackward accumulates dbias[c] += sum over rows of dout[n, c].
	BiasBackward(dbias, dout Tensor)
	// Cast converts src to dst's dtype (same shape; float types).
	Cast(dst, src Tensor)

	// ---- normalisation ----

	// RMSNorm: out[n,c] = x[n,c] / sqrt(mean_c(x[n,:]^2) + eps) * w[c].
	// x, out [N, C]; w [C]; rstd [N] (F32) receives 1/sqrt(mean+eps) for the
	// backward pass and may be nil.
	RMSNorm(out, rstd, x, w Tensor, eps float32)
	// RMSNormBackward accumulates dx += d out/d x . dout and dw += ... given
	// the forward's x, w and rstd.
	RMSNormBackward(dx, dw, dout, x, w, rstd Tensor)
	// LayerNorm: out = (x - mean) * rstd * w + b over each row; mean and rstd
	// [N] (F32) are saved for backward and may be nil. b may be nil.
	LayerNorm(out, mean, rstd, x, w, b Tensor, eps float32)
	// LayerNormBackward accumulates dx, dw, db (db may be nil).
	LayerNormBackward(dx, dw, db, dout, x, w, mean, rstd Tensor)

	// ---- position ----

	// RoPE rotates x [B, T, H*hd] in place (row b*T+t has position
	// PosStart+t).
	RoPE(x Tensor, p RoPEParams)
	// RoPEBackward applies the inverse rotation to the gradient dx in place
	// (the rotation is orthogonal, so its backward is its transpose).
	RoPEBackward(dx Tensor, p RoPEParams)

	// ---- attention ----

	// Attention computes softmax(Scale * q k^T + causal mask) v for each batch
	// entry and head. q [B, T, H*hd]; k, v [B, S, KVH*hd] with S >= PosStart+T
	// (only the first PosStart+T rows are read); out [B, T, H*hd]. lse
	// [B, H, T] (F32) receives each row's log-sum-exp of the scaled logits for
	// the backward pass and may be nil. No [T, S] matrix is kept.
	Attention(out, lse, q, k, v Tensor, p AttentionParams)
	// AttentionBackward accumulates dq, dk, dv given dout and the forward's
	// q, k, v, out and lse (PosStart must be 0).
	AttentionBackward(dq, dk, dv, dout, q, k, v, out, lse Tensor, p AttentionParams)
	// CopyRows writes src [B, T, C] into dst [B, S, C] at rows
	// [pos, pos+T) of each batch entry (filling a KV cache).
	CopyRows(dst, src Tensor, pos int)
	// SliceRows is CopyRows' inverse: it writes rows [pos, pos+T) of each
	// batch entry of src [B, S, C] into dst [B, T, C]. Viewing a [N, P*C]
	// product of fused weights as [N, P, C], it takes out one part.
	SliceRows(dst, src Tensor, pos int)

	// ---- activations ----

	// SwiGLU: out = silu(gate) * up, silu(x) = x * sigmoid(x). Same shapes.
	SwiGLU(out, gate, up Tensor)
	// SwiGLUBackward accumulates dgate and dup.
	SwiGLUBackward(dgate, dup, dout, gate, up Tensor)
	// GELU (tanh approximation, as GPT-2): out = 0.5 x (1 + tanh(sqrt(2/pi)
	// (x + 0.044715 x^3))).
	GELU(out, x Tensor)
	// GELUBackward accumulates dx.
	GELUBackward(dx, dout, x Tensor)

	// ---- embeddings ----

	// Embedding writes out[i, :] = table[ids[i], :] (+ pos[posStart + i%T, :]
	// when pos is not nil), for out [B*T, C] viewed as [B, T, C] and
	// len(ids) == B*T. table and pos may be any dtype (rows are decoded).
	// An id outside [0, rows of table) panics.
	Embedding(out, table, pos Tensor, ids []int32, T, posStart int)
	// EmbeddingBackward accumulates dtable[ids[i], :] += dout[i, :] and, when
	// dpos is not nil, dpos[posStart + i%T, :] += dout[i, :].
	EmbeddingBackward(dtable, dpos, dout Tensor, ids []int32, T, posStart int)

	// ---- output ----

	// LogSoftmax writes out[n, :] = x[n, :] - logsumexp(x[n, :]).
	LogSoftmax(out, x Tensor)
	// CrossEntropy writes losses[n] = -log softmax(logits[n, :])[targets[n]]
	// (losses F32 [N]). Targets < 0 are ignored (loss 0).
	CrossEntropy(losses, logits Tensor, targets []int32)
	// CrossEntropyBackward accumulates dlogits[n, :] += scale *
	// (softmax(logits[n, :]) - onehot(targets[n])) for targets >= 0.
	CrossEntropyBackward(dlogits, logits Tensor, targets []int32, scale float32)
}

// WeightStacker is an optional Backend interface. A backend that copies
// what it loads anyway and runs one large GEMM faster than several small
// ones (a GPU) says true, and model loading (package model's New) then
// uploads the projections that read one input (q/k/v, gate/up) as one
// stacked tensor, so that each group runs as one MatMul. Backends that
// wrap checkpoint bytes in place (the CPU backend maps files without
// copying; stacking would make them resident heap memory) and wrappers that
// watch the MatMuls of individual weights (quant's calibration) leave it
// unimplemented.
type WeightStacker interface {
	StacksWeights() bool
}

// StacksWeights reports whether b is a WeightStacker that says true.
func StacksWeights(b Backend) bool {
	s, ok := b.(WeightStacker)
	return ok && s.StacksWeights()
}

// String returns "interleaved" or "half".
func (s RoPEStyle) String() string {
	switch s {
	case RoPEInterleaved:
		return "interleaved"
	case RoPEHalf:
		return "half"
	}
	return "RoPEStyle(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText writes the style's name, so configs print it readably.
func (s RoPEStyle) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a name written by MarshalText.
func (s *RoPEStyle) UnmarshalText(b []byte) error {
	switch string(b) {
	case "interleaved":
		*s = RoPEInterleaved
	case "half":
		*s = RoPEHalf
	default:
		return errors.New("kernels: unknown RoPE style " + strconv.Quote(string(b)))
	}
	return nil
}
