//go:build cuda

package cuda

import "github.com/distill-dev/distill/kernels"

// Attention on tensor cores for prefill (many query rows at once), one
// batch entry at a time:
//
//	S = Q K^T             cuBLAS, strided-batched over the kv heads (one call
//	                      per query head of each kv group)
//	P = softmax(scale S)  k_attn_softmax: causal mask, lse, P in 16 bits
//	O = P V               cuBLAS, likewise
//
// 16-bit q, k, v run one GEMM per product. Float32 ones (the model
// package's activations) are split into bf16 halves x = hi + lo
// (k_split_bf16, 2^-17 relative) and each product takes three bf16 GEMMs,
// hi hi + lo hi + hi lo (lo lo is below float32's precision), as does P
// written as two bf16 halves: float32 accuracy at tensor-core speed. The
// [H, T, S] scores of one batch entry exist in device memory (8 bytes per
// score); decoding (few query rows) and calls whose scores would exceed
// attnGemmMaxBytes use the fused kernel (attention.cu) instead.

const (
	attnGemmMinT     = 16        // fewer query rows: the fused kernel
	attnGemmMaxBytes = 512 << 20 // scores and P of one batch entry
)

// attnOperand is a q, k or v (or P) as the GEMMs see it: one tensor in a
// 16-bit type, or the bf16 halves of a float32 one.
type attnOperand struct {
	hi, lo *tensor // lo nil: hi is the tensor itself
}

func (b *Backend) attnOperand(t *tensor) attnOperand {
	if t.dt != kernels.F32 {
		return attnOperand{hi: t}
	}
	hi, lo := b.splitBF16(t)
	return attnOperand{hi, lo}
}

func (b *Backend) freeOperand(x attnOperand) {
	if x.lo != nil {
		b.Free(x.hi)
		b.Free(x.lo)
	}
}

// terms are the GEMM operand pairs whose sum is the product of x and y.
func terms(x, y attnOperand) [][2]*tensor {
	if x.lo == nil {
		return [][2]*tensor{{x.hi, y.hi}}
	}
	return [][2]*tensor{{x.hi, y.hi}, {x.lo, y.hi}, {x.hi, y.lo}}
}

// attentionGEMM computes Attention through GEMMs when it applies (prefill,
// q, k, v of one dtype, out F32 or that dtype, scores within the memory
// bound) and reports whether it did.
func (b *Backend) attentionGEMM(o, lse, q, k, v *tensor, d attnDims, scale float32) bool {
	L := d.pos + d.T // keys attended
	if d.T < attnGemmMinT || q.dt != k.dt || k.dt != v.dt || (o.dt != kernels.F32 && o.dt != q.dt) ||
		8*d.H*d.T*L > attnGemmMaxBytes {
		return false
	}
	qs, ks, vs := b.attnOperand(q), b.attnOperand(k), b.attnOperand(v)
	defer b.freeOperand(qs)
	defer b.freeOperand(ks)
	defer b.freeOperand(vs)
	scores := b.newTensor("Attention", kernels.F32, []int{d.H, d.T, L})
	defer b.Free(scores)
	pdt := q.dt
	if pdt == kernels.F32 {
		pdt = kernels.BF16
	}
	ps := attnOperand{hi: b.newTensor("Attention", pdt, []int{d.H, d.T, L})}
	defer b.Free(ps.hi)
	if q.dt == kernels.F32 {
		ps.lo = b.newTensor("Attention", kernels.BF16, []int{d.H, d.T, L})
		defer b.Free(ps.lo)
	}
	ratio := d.H / d.KVH
	qRow, kvRow := d.H*d.hd, d.KVH*d.hd
	for bi := 0; bi < d.B; bi++ {
		qOff, kvOff := bi*d.T*qRow, bi*d.S*kvRow
		for r := 0; r < ratio; r++ {
			// S_h (row-major [T, L]) = Q_h K_g^T, h = g*ratio + r: column-major
			// S_h^T = K_g Q_h^T, batched over g.
			for i, tm := range terms(ks, qs) {
				b.must("Attention", b.drv.gemm(opT, opN, L, d.T, d.hd, 1,
					aPtrAt(tm[0], kvOff), cudaType(tm[0].dt), kvRow, int64(d.hd),
					aPtrAt(tm[1], qOff+r*d.hd), cudaType(tm[1].dt), qRow, int64(ratio*d.hd),
					betaOf(i), aPtrAt(scores, r*d.T*L), cudaR32F, L, int64(ratio*d.T*L), d.KVH))
			}
		}
		b.launch("k_attn_softmax", [3]int{d.H * d.T, 1, 1}, normThreads(L), 0, aPtr(scores), aPtr(ps.hi), aDT(ps.hi),
			aPtr(ps.lo), aPtrAt(lse, bi*d.H*d.T), aInt(d.T), aInt(L), aInt(d.pos), aF32(scale), aInt(d.window))
		for r := 0; r < ratio; r++ {
			// O_h (row-major [T, hd], rows H*hd apart) = P_h V_g: column-major
			// O_h^T = V_g^T P_h^T, batched over g.
			for i, tm := range terms(vs, ps) {
				b.must("Attention", b.drv.gemm(opN, opN, d.hd, d.T, L, 1,
					aPtrAt(tm[0], kvOff), cudaType(tm[0].dt), kvRow, int64(d.hd),
					aPtrAt(tm[1], r*d.T*L), cudaType(tm[1].dt), L, int64(ratio*d.T*L),
					betaOf(i), aPtrAt(o, qOff+r*d.hd), cudaType(o.dt), qRow, int64(ratio*d.hd), d.KVH))
			}
		}
	}
	return true
}

// betaOf is the GEMM beta of the i-th term of a sum: overwrite, then add.
func betaOf(i int) float32 {
	if i == 0 {
		return 0
	}
	return 1
}
