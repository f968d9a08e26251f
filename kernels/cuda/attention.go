//go:build cuda

package cuda

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
)

// maxRopeTables bounds the tables a backend keeps on the device.
const maxRopeTables = 16

type ropeKey struct {
	theta   float32
	hd      int
	factors string // kernels.RoPEFactorKey
}

// ropeTable holds cos and sin [npos, hd/2] on the device, kernels.RoPETable's
// values (as the CPU backend's).
type ropeTable struct {
	npos     int
	cos, sin *tensor
}

func (b *Backend) ropeTable(p kernels.RoPEParams, npos int) *ropeTable {
	k := ropeKey{p.Theta, p.HeadDim, kernels.RoPEFactorKey(p.FreqFactors)}
	b.mu.Lock()
	old := b.ropes[k]
	b.mu.Unlock()
	if old != nil && old.npos >= npos {
		return old
	}
	n := max(npos, 1024)
	if old != nil {
		n = max(n, 2*old.npos)
		b.Free(old.cos)
		b.Free(old.sin)
	}
	half := p.HeadDim / 2
	cs, sn := kernels.RoPETable(p.Theta, p.HeadDim, n, p.FreqFactors)
	t := &ropeTable{npos: n, cos: tns(b.FromFloat32(kernels.F32, cs, n, half)), sin: tns(b.FromFloat32(kernels.F32, sn, n, half))}
	var stale []*ropeTable
	b.mu.Lock()
	if old == nil && len(b.ropes) >= maxRopeTables {
		// Dynamic RoPE scaling has new factors at every length past the
		// original context: drop the others rather than keep them all.
		for k, o := range b.ropes {
			stale = append(stale, o)
			delete(b.ropes, k)
		}
	}
	b.ropes[k] = t
	b.mu.Unlock()
	for _, o := range stale {
		b.Free(o.cos)
		b.Free(o.sin)
	}
	return t
}

// RoPE rotates x [B, T, H*hd] in place.
func (b *Backend) RoPE(xT kernels.Tensor, p kernels.RoPEParams) { b.rope(tns(xT), p, 1, "RoPE") }

// RoPEBackward applies the inverse rotation to dx in place.
func (b *Backend) RoPEBackward(dxT kernels.Tensor, p kernels.RoPEParams) {
	b.rope(tns(dxT), p, -1, "RoPEBackward")
}

func (b *Backend) rope(x *tensor, p kernels.RoPEParams, sign float32, op string) {
	n, _, T := kernels.CheckRoPE(op, x, p)
	if n == 0 {
		return
	}
	tab := b.ropeTable(p, p.PosStart+T)
	b.launch1("k_rope", n*p.NHeads*p.HeadDim/2, aPtr(x), aDT(x), aPtr(tab.cos), aPtr(tab.sin), aLL(n), aInt(T),
		aInt(p.NHeads), aInt(p.HeadDim), aInt(int(p.Style)), aInt(p.PosStart), aF32(sign))
}

// attnDims is an Attention call's shape: q [B, T, H*hd], k/v [B, S, KVH*hd].
type attnDims struct {
	B, T, S, H, KVH, hd, pos int
	window                   int // 0: full causal attention
}

const (
	attnRows    = 4   // query (or key) rows per block: ROWS in attention.cu
	attnMaxHD   = 256 // 32 lanes x MAXJ channels
	attnSmemCap = smemLimit
)

// dims is the checked kernels.AttentionDims, within the kernels' head
// dimension limit.
func dims(op string, d kernels.AttentionDims) attnDims {
	if d.HeadDim > attnMaxHD {
		panic(fmt.Sprintf("kernels: %s: head dim %d exceeds the CUDA kernel's %d", op, d.HeadDim, attnMaxHD))
	}
	return attnDims{B: d.B, T: d.T, S: d.S, H: d.H, KVH: d.KVH, hd: d.HeadDim, pos: d.Pos, window: d.Window}
}

// keyTile is KT, the rows staged in shared memory per tile: at most 32
// (one per lane) with two [KT, hd] float tiles within 48 KiB (no opt-in).
func keyTile(hd int) int {
	kt := 32
	for kt > 1 && (2*kt*hd+2*kt)*4 > attnSmemCap {
		kt /= 2
	}
	return kt
}

// Attention computes causal GQA attention: prefill through tensor-core
// GEMMs (attention_gemm.go), decoding with the fused kernel.
func (b *Backend) Attention(outT, lseT, qT, kT, vT kernels.Tensor, p kernels.AttentionParams) {
	o, lse, q, k, v := tns(outT), tns(lseT), tns(qT), tns(kT), tns(vT)
	d := dims("Attention", kernels.CheckAttention(o, lse, q, k, v, p))
	if b.attentionGEMM(o, lse, q, k, v, d, p.Scale) {
		return
	}
	kt := keyTile(d.hd)
	d.chunks(func(nb, qo, kvo, lo int) {
		b.launch("k_attn_fwd", [3]int{(d.T + attnRows - 1) / attnRows, d.H, nb}, 32*attnRows, 2*kt*d.hd*4,
			aPtrAt(o, qo), aDT(o), aPtrAt(lse, lo), aPtrAt(q, qo), aDT(q), aPtrAt(k, kvo), aDT(k), aPtrAt(v, kvo), aDT(v),
			aInt(d.T), aInt(d.S), aInt(d.H), aInt(d.KVH), aInt(d.hd), aF32(p.Scale), aInt(d.pos), aInt(kt), aInt(d.window))
	})
}

// chunks calls fn for runs of at most maxGridYZ sequences (the attention
// kernels put the batch on grid z) with the element offsets of the run's
// first sequence in q-shaped, k/v-shaped and lse-shaped tensors.
func (d attnDims) chunks(fn func(nb, qOff, kvOff, lseOff int)) {
	for b0 := 0; b0 < d.B; b0 += maxGridYZ {
		fn(min(maxGridYZ, d.B-b0), b0*d.T*d.H*d.hd, b0*d.S*d.KVH*d.hd, b0*d.H*d.T)
	}
}

// aPtrAt is the address of element i of a plain-dtype tensor (0 for nil).
func aPtrAt(t *tensor, i int) uint64 {
	if t == nil {
		return 0
	}
	nb, err := t.dt.Bytes([]int{i})
	if err != nil {
		panic(fmt.Sprintf("kernels/cuda: element %d of %s: %v", i, t, err))
	}
	return t.ptr() + uint64(nb)
}

// AttentionBackward accumulates dq, dk, dv (PosStart 0).
func (b *Backend) AttentionBackward(dqT, dkT, dvT, doutT, qT, kT, vT, outT, lseT kernels.Tensor, p kernels.AttentionParams) {
	dq, dk, dv, do := tns(dqT), tns(dkT), tns(dvT), tns(doutT)
	q, k, v, o, lse := tns(qT), tns(kT), tns(vT), tns(outT), tns(lseT)
	d := dims("AttentionBackward", kernels.CheckAttentionBackward(dq, dk, dv, do, q, k, v, o, lse, p))
	if d.B*d.T*d.H == 0 {
		return
	}
	D := b.newTensor("AttentionBackward", kernels.F32, []int{d.B, d.H, d.T})
	defer b.Free(D)
	rows := d.B * d.T * d.H
	b.launch("k_attn_bwd_D", [3]int{min((rows+7)/8, 1<<16), 1, 1}, 256, 0, aPtr(D), aPtr(do), aDT(do),
		aPtr(o), aDT(o), aInt(d.B), aInt(d.T), aInt(d.H), aInt(d.hd))
	kt := keyTile(d.hd)
	d.chunks(func(nb, qo, kvo, lo int) {
		common := []uint64{aPtrAt(lse, lo), aPtrAt(D, lo), aInt(d.T), aInt(d.S), aInt(d.H), aInt(d.KVH), aInt(d.hd), aF32(p.Scale), aInt(kt), aInt(d.window)}
		b.launch("k_attn_bwd_dq", [3]int{(d.T + attnRows - 1) / attnRows, d.H, nb}, 32*attnRows, 2*kt*d.hd*4,
			append([]uint64{aPtrAt(dq, qo), aDT(dq), aPtrAt(do, qo), aDT(do), aPtrAt(q, qo), aDT(q), aPtrAt(k, kvo), aDT(k), aPtrAt(v, kvo), aDT(v)}, common...)...)
		b.launch("k_attn_bwd_dkdv", [3]int{(d.T + attnRows - 1) / attnRows, d.KVH, nb}, 32*attnRows, (2*kt*d.hd+2*kt)*4,
			append([]uint64{aPtrAt(dk, kvo), aDT(dk), aPtrAt(dv, kvo), aDT(dv), aPtrAt(do, qo), aDT(do), aPtrAt(q, qo), aDT(q), aPtrAt(k, kvo), aDT(k), aPtrAt(v, kvo), aDT(v)}, common...)...)
	})
}

// CopyRows writes src [B, T, C] into dst [B, S, C] at rows [pos, pos+T).
// Equal dtypes copy bytes, one 2-d copy for all batch entries.
func (b *Backend) CopyRows(dstT, srcT kernels.Tensor, pos int) {
	dst, src := tns(dstT), tns(srcT)
	bs, T, S, c := kernels.CheckCopyRows(dst, src, pos)
	if src.dt == dst.dt {
		rb := rowBytes("CopyRows", src.dt, c)
		b.copy2d("CopyRows", dst.ptr()+devPtr(pos*rb), S*rb, src.ptr(), T*rb, T*rb, bs)
		return
	}
	b.launch1("k_copy_rows", src.numel(), aPtr(dst), aDT(dst), aPtr(src), aDT(src), aLL(src.numel()),
		aInt(T), aInt(S), aInt(c), aInt(pos))
}

// SliceRows writes rows [pos, pos+T) of each batch entry of src [B, S, C]
// into dst [B, T, C]: one 2-d copy for equal dtypes, else a cast of src
// into dst's dtype first.
func (b *Backend) SliceRows(dstT, srcT kernels.Tensor, pos int) {
	dst, src := tns(dstT), tns(srcT)
	bs, T, S, c := kernels.CheckSliceRows(dst, src, pos)
	if src.dt != dst.dt {
		src = b.narrow(src, dst.dt)
		defer b.Free(src)
	}
	rb := rowBytes("SliceRows", src.dt, c)
	b.copy2d("SliceRows", dst.ptr(), T*rb, src.ptr()+devPtr(pos*rb), S*rb, T*rb, bs)
}

// rowBytes is the storage of a row of c elements of dt (any dtype).
func rowBytes(op string, dt kernels.DType, c int) int {
	rb, err := dt.RowBytes(c)
	if err != nil {
		panic(fmt.Sprintf("kernels: %s: %v", op, err))
	}
	return rb
}

// copy2d copies height rows of width bytes from src (rows spitch bytes
// apart) to dst (dpitch apart) with one cuMemcpy2DAsync, or row by row
// when a pitch exceeds what the driver takes.
func (b *Backend) copy2d(op string, dst devPtr, dpitch int, src devPtr, spitch, width, height int) {
	if width == 0 || height == 0 {
		return
	}
	if height == 1 || (dpitch == width && spitch == width) {
		b.must(op, b.drv.dtod(dst, src, width*height))
		return
	}
	if max(dpitch, spitch) <= maxPitch {
		b.must(op, b.drv.dtod2d(dst, dpitch, src, spitch, width, height))
		return
	}
	for r := 0; r < height; r++ {
		b.must(op, b.drv.dtod(dst+devPtr(r*dpitch), src+devPtr(r*spitch), width))
	}
}

// maxPitch is a pitch every CUDA device accepts in a 2-d copy
// (CU_DEVICE_ATTRIBUTE_MAX_PITCH is 2^31-1 on current GPUs).
const maxPitch = 1<<31 - 1
