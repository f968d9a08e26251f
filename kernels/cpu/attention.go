package cpu

import (
	"math"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/gemm"
)

// Attention tiles: attnBQ query rows against attnBK key rows at a time.
// Measured at B=4, T=256, hd=64 (BenchmarkAttention*): larger tiles win
// because each tile is a few small gemm calls with fixed packing costs;
// 64 x 256 beat 64 x 64 by 1.4x forward and 1.2x backward.
const (
	attnBQ = 64
	attnBK = 256
)

// attnDims is an Attention call's shape: q [B, T, H*hd], k/v [B, S, KVH*hd].
type attnDims struct {
	B, T, S, H, KVH, hd, pos int
	window                   int // sliding window, 0 for none
	scale                    float32
}

// dims is the checked kernels.AttentionDims with the scale.
func dims(d kernels.AttentionDims, p kernels.AttentionParams) attnDims {
	return attnDims{B: d.B, T: d.T, S: d.S, H: d.H, KVH: d.KVH, hd: d.HeadDim, pos: d.Pos, window: d.Window, scale: p.Scale}
}

// keyRange is the keys [lo, hi) that the query at position P attends to.
func (d attnDims) keyRange(P int) (lo, hi int) {
	if d.window > 0 {
		lo = max(0, P-d.window+1)
	}
	return lo, P + 1
}

// firstTile is the start of the first key tile that a query block whose
// first position is P may read (0 without a window).
func (d attnDims) firstTile(P int) int {
	lo, _ := d.keyRange(P)
	return lo / attnBK * attnBK
}

// headMat returns rows [0, rows) of head h of batch entry bi of a
// [B, R, nh*hd] tensor as float32 with its leading dimension: the storage
// itself for F32 (ld = nh*hd), else widened into buf (ld = hd).
func headMat(t *tensor, bi, h, R, rows, nh, hd int, buf []float32) ([]float32, int) {
	ld := nh * hd
	off := bi*R*ld + h*hd
	if rows == 0 {
		return nil, hd
	}
	if t.dt == kernels.F32 {
		return t.f32[off : off+(rows-1)*ld+hd], ld
	}
	for r := 0; r < rows; r++ {
		load(t, off+r*ld, buf[r*hd:(r+1)*hd])
	}
	return buf[:rows*hd], hd
}

// storeHead writes back a head matrix obtained from headMat for a
// non-F32 tensor (a no-op for F32, whose storage was written directly).
func storeHead(t *tensor, bi, h, R, rows, nh, hd int, m []float32) {
	if t.dt == kernels.F32 {
		return
	}
	ld := nh * hd
	off := bi*R*ld + h*hd
	for r := 0; r < rows; r++ {
		store(t, off+r*ld, m[r*hd:(r+1)*hd])
	}
}

// Attention is a flash-attention forward: for each (batch, head) pair and
// block of attnBQ query rows it streams key blocks, keeping each row's
// running maximum m, normaliser l and unnormalised output, so only an
// attnBQ x attnBK logit tile exists at a time:
//
//	s = scale q_t . k_j (j <= PosStart+t, and j > PosStart+t-Window
//	    with a sliding window), m' = max(m, max_j s)
//	l = l e^(m-m') + sum_j e^(s-m'), o = o e^(m-m') + sum_j e^(s-m') v_j
//	out_t = o/l, lse_t = m + log l
func (b *Backend) Attention(outT, lseT, qT, kT, vT kernels.Tensor, p kernels.AttentionParams) {
	o, lse, q, k, v := tns(outT), tns(lseT), tns(qT), tns(kT), tns(vT)
	d := dims(kernels.CheckAttention(o, lse, q, k, v, p), p)
	if d.T == 0 {
		return
	}
	L := d.pos + d.T // keys read
	pairs := d.B * d.H
	b.parallelFor(pairs, 1, func(lo, hi int) {
		hd := d.hd
		need := d.T*hd + 2*L*hd + d.T*hd + attnBQ*attnBK + 2*attnBQ
		sp := getScratch(need)
		buf := *sp
		qb, buf := buf[:d.T*hd], buf[d.T*hd:]
		kb, buf := buf[:L*hd], buf[L*hd:]
		vb, buf := buf[:L*hd], buf[L*hd:]
		ob, buf := buf[:d.T*hd], buf[d.T*hd:]
		st, buf := buf[:attnBQ*attnBK], buf[attnBQ*attnBK:]
		mrow, lrow := buf[:attnBQ], buf[attnBQ:2*attnBQ]
		for pair := lo; pair < hi; pair++ {
			bi, h := pair/d.H, pair%d.H
			kvh := h / (d.H / d.KVH)
			Q, ldq := headMat(q, bi, h, d.T, d.T, d.H, hd, qb)
			K, ldk := headMat(k, bi, kvh, d.S, L, d.KVH, hd, kb)
			V, ldv := headMat(v, bi, kvh, d.S, L, d.KVH, hd, vb)
			O, ldo := ob, hd
			if o.dt == kernels.F32 {
				O, ldo = headMat(o, bi, h, d.T, d.T, d.H, hd, nil)
			}
			for q0 := 0; q0 < d.T; q0 += attnBQ {
				q1 := min(q0+attnBQ, d.T)
				bm := q1 - q0
				for r := 0; r < bm; r++ {
					mrow[r] = float32(math.Inf(-1))
					lrow[r] = 0
					clear(O[(q0+r)*ldo : (q0+r)*ldo+hd])
				}
				kEnd := d.pos + q1
				for k0 := d.firstTile(d.pos + q0); k0 < kEnd; k0 += attnBK {
					k1 := min(k0+attnBK, kEnd)
					bn := k1 - k0
					gemm.SgemmThreads(1, false, true, bm, bn, hd, d.scale, Q[q0*ldq:], ldq, K[k0*ldk:], ldk, 0, st, bn)
					for r := 0; r < bm; r++ {
						srow := st[r*bn : (r+1)*bn]
						lo, hi := d.keyRange(d.pos + q0 + r)
						start, valid := max(lo-k0, 0), min(k1, hi)-k0
						if valid <= start {
							clear(srow)
							continue
						}
						mx := max(mrow[r], maxf(srow[start:valid]))
						sum := float32(expSum(srow[start:valid], srow[start:valid], mx))
						clear(srow[:start])
						clear(srow[valid:])
						if corr := expf(mrow[r] - mx); corr != 1 {
							orow := O[(q0+r)*ldo : (q0+r)*ldo+hd]
							for c := range orow {
								orow[c] *= corr
							}
							lrow[r] *= corr
						}
						lrow[r] += sum
						mrow[r] = mx
					}
					gemm.SgemmThreads(1, false, false, bm, hd, bn, 1, st, bn, V[k0*ldv:], ldv, 1, O[q0*ldo:], ldo)
				}
				for r := 0; r < bm; r++ {
					inv := 1 / lrow[r]
					orow := O[(q0+r)*ldo : (q0+r)*ldo+hd]
					for c := range orow {
						orow[c] *= inv
					}
					if lse != nil {
						lse.f32[(bi*d.H+h)*d.T+q0+r] = mrow[r] + float32(math.Log(float64(lrow[r])))
					}
				}
			}
			storeHead(o, bi, h, d.T, d.T, d.H, hd, O)
		}
		putScratch(sp)
	})
}

// AttentionBackward accumulates dq, dk, dv (FlashAttention-2 style): the
// probabilities are recomputed tile by tile from lse, never stored whole.
// With D_t = dout_t . out_t and p_tj = e^(scale q_t.k_j - lse_t):
//
//	dv_j += sum_t p_tj dout_t
//	ds_tj = p_tj (dout_t . v_j - D_t)
//	dq_t += scale sum_j ds_tj k_j,   dk_j += scale sum_t ds_tj q_t
//
// Work is split by (batch, kv head), so the query heads sharing a kv head
// accumulate into dk and dv without races.
func (b *Backend) AttentionBackward(dqT, dkT, dvT, doutT, qT, kT, vT, outT, lseT kernels.Tensor, p kernels.AttentionParams) {
	dq, dk, dv, do := tns(dqT), tns(dkT), tns(dvT), tns(doutT)
	q, k, v, o, lse := tns(qT), tns(kT), tns(vT), tns(outT), tns(lseT)
	d := dims(kernels.CheckAttentionBackward(dq, dk, dv, do, q, k, v, o, lse, p), p)
	if d.T == 0 {
		return
	}
	L := d.pos + d.T
	group := d.H / d.KVH
	b.parallelFor(d.B*d.KVH, 1, func(lo, hi int) {
		hd := d.hd
		tile := attnBQ * attnBK
		need := 4*L*hd + 4*d.T*hd + 2*tile + d.T
		sp := getScratch(need)
		buf := *sp
		take := func(n int) []float32 { s := buf[:n:n]; buf = buf[n:]; return s }
		kb, vb, dkb, dvb := take(L*hd), take(L*hd), take(L*hd), take(L*hd)
		qb, dob, ob, dqb := take(d.T*hd), take(d.T*hd), take(d.T*hd), take(d.T*hd)
		pt, dpt, drow := take(tile), take(tile), take(d.T)
		for unit := lo; unit < hi; unit++ {
			bi, kvh := unit/d.KVH, unit%d.KVH
			K, ldk := headMat(k, bi, kvh, d.S, L, d.KVH, hd, kb)
			V, ldv := headMat(v, bi, kvh, d.S, L, d.KVH, hd, vb)
			dK, lddk := headMat(dk, bi, kvh, d.S, L, d.KVH, hd, dkb)
			dV, lddv := headMat(dv, bi, kvh, d.S, L, d.KVH, hd, dvb)
			for h := kvh * group; h < (kvh+1)*group; h++ {
				Q, ldq := headMat(q, bi, h, d.T, d.T, d.H, hd, qb)
				dO, lddo := headMat(do, bi, h, d.T, d.T, d.H, hd, dob)
				O, ldo := headMat(o, bi, h, d.T, d.T, d.H, hd, ob)
				dQ, lddq := headMat(dq, bi, h, d.T, d.T, d.H, hd, dqb)
				lrow := lse.f32[(bi*d.H+h)*d.T : (bi*d.H+h+1)*d.T]
				for t := 0; t < d.T; t++ {
					var s float32
					dor, or := dO[t*lddo:t*lddo+hd], O[t*ldo:t*ldo+hd]
					for c := range dor {
						s += dor[c] * or[c]
					}
					drow[t] = s
				}
				for q0 := 0; q0 < d.T; q0 += attnBQ {
					q1 := min(q0+attnBQ, d.T)
					bm := q1 - q0
					kEnd := d.pos + q1
					for k0 := d.firstTile(d.pos + q0); k0 < kEnd; k0 += attnBK {
						k1 := min(k0+attnBK, kEnd)
						bn := k1 - k0
						gemm.SgemmThreads(1, false, true, bm, bn, hd, d.scale, Q[q0*ldq:], ldq, K[k0*ldk:], ldk, 0, pt, bn)
						gemm.SgemmThreads(1, false, true, bm, bn, hd, 1, dO[q0*lddo:], lddo, V[k0*ldv:], ldv, 0, dpt, bn)
						for r := 0; r < bm; r++ {
							prow, dprow := pt[r*bn:(r+1)*bn], dpt[r*bn:(r+1)*bn]
							lo, hi := d.keyRange(d.pos + q0 + r)
							start := min(max(lo-k0, 0), bn)
							valid := max(start, min(k1, hi)-k0)
							l, dr := lrow[q0+r], drow[q0+r]
							expSum(prow[start:valid], prow[start:valid], l)
							for j := start; j < valid; j++ {
								dprow[j] = prow[j] * (dprow[j] - dr)
							}
							clear(prow[:start])
							clear(dprow[:start])
							clear(prow[valid:])
							clear(dprow[valid:])
						}
						gemm.SgemmThreads(1, true, false, bn, hd, bm, 1, pt, bn, dO[q0*lddo:], lddo, 1, dV[k0*lddv:], lddv)
						gemm.SgemmThreads(1, false, false, bm, hd, bn, d.scale, dpt, bn, K[k0*ldk:], ldk, 1, dQ[q0*lddq:], lddq)
						gemm.SgemmThreads(1, true, false, bn, hd, bm, d.scale, dpt, bn, Q[q0*ldq:], ldq, 1, dK[k0*lddk:], lddk)
					}
				}
				storeHead(dq, bi, h, d.T, d.T, d.H, hd, dQ)
			}
			storeHead(dk, bi, kvh, d.S, L, d.KVH, hd, dK)
			storeHead(dv, bi, kvh, d.S, L, d.KVH, hd, dV)
		}
		putScratch(sp)
	})
}
