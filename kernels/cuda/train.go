//go:build cuda

package cuda

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/distill-dev/distill/kernels"
)

// Training ops (kernels.TrainOps). DistillLoss, TopKLogProbs, SumSquares,
// NonFinite and AdamW run on the GPU; HiddenLoss goes through the CPU
// backend on host copies (hidden-state distillation is rare and its tensors
// are small next to the logits). The interface is not asserted at compile
// time, so a change to kernels.TrainOps makes this backend stop offering
// training (TestTrainOpsImplemented fails) instead of breaking the cuda
// build.

// SumSquares returns sum t_i^2 in float64.
func (b *Backend) SumSquares(xT kernels.Tensor) float64 {
	x := tns(xT)
	kernels.MustFloat("SumSquares", x)
	n := x.numel()
	if n == 0 {
		return 0
	}
	blocks := min((n+255)/256, 1024)
	part := b.newTensor("SumSquares", kernels.F32, []int{2 * blocks}) // float64 [blocks]
	defer b.Free(part)
	b.launch("k_sum_squares", [3]int{blocks, 1, 1}, 256, 0, aPtr(part), aPtr(x), aDT(x), aLL(n))
	raw := b.ReadBytes(part)
	total := 0.0
	for i := 0; i < blocks; i++ {
		total += math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return total
}

// NonFinite reports whether t holds a NaN or an infinity.
func (b *Backend) NonFinite(xT kernels.Tensor) bool {
	x := tns(xT)
	kernels.MustFloat("NonFinite", x)
	flag := tns(b.Zeros(kernels.I32, 1))
	defer b.Free(flag)
	b.launch1("k_non_finite", x.numel(), aPtr(flag), aPtr(x), aDT(x), aLL(x.numel()))
	return binary.LittleEndian.Uint32(b.ReadBytes(flag)) != 0
}

// AdamW updates param, m and v in place.
func (b *Backend) AdamW(paramT, gradT, mT, vT kernels.Tensor, p kernels.AdamWParams) {
	pa, g, m, v := tns(paramT), tns(gradT), tns(mT), tns(vT)
	kernels.CheckAdamW(pa, g, m, v, p)
	gs := p.GradScale
	if gs == 0 {
		gs = 1
	}
	bc1 := float32(1 - math.Pow(float64(p.Beta1), float64(p.Step)))
	bc2 := float32(1 - math.Pow(float64(p.Beta2), float64(p.Step)))
	n := pa.numel()
	b.launch1("k_adamw", n, aPtr(pa), aPtr(g), aDT(g), aPtr(m), aPtr(v), aLL(n), aF32(p.LR), aF32(p.Beta1),
		aF32(p.Beta2), aF32(p.Eps), aF32(p.WeightDecay), aF32(bc1), aF32(bc2), aF32(1/gs))
}

// TopKLogProbs writes each row's k largest logits' ids and log-probs at
// temperature T, on the device (full logits never leave it).
func (b *Backend) TopKLogProbs(idsT, lpsT, logitsT kernels.Tensor, k int, temperature float32) {
	ids, lps, x := tns(idsT), tns(lpsT), tns(logitsT)
	n, v := kernels.CheckTopK(ids, lps, x, k, temperature)
	b.launch("k_topk", [3]int{n, 1, 1}, 256, 0, aPtr(ids), aPtr(lps), aDT(lps), aPtr(x), aDT(x), aInt(v), aInt(k),
		aF32(1/temperature))
}

// DistillLoss runs distill.cu's k_distill, one block per row, after the
// argument checks shared by every backend (kernels.CheckDistill). Top-k
// soft labels whose id bitmap and saved values (V/8 + 12k bytes of
// dynamic shared memory) do not fit beside the kernel's static shared
// memory (ptxas's count) fall back to the CPU backend on host copies.
func (b *Backend) DistillLoss(lossesT, dlogitsT, logitsT kernels.Tensor, teacher kernels.SoftLabels, targets []int32, p kernels.LossParams) {
	l, d, x := tns(lossesT), tns(dlogitsT), tns(logitsT)
	tl, ids, lps := tns(teacher.Logits), tns(teacher.IDs), tns(teacher.LogProbs)
	n, v, k := kernels.CheckDistill(l, d, x, tl, ids, lps, targets, p, b.hostIDs)
	if p.Alpha == 0 {
		tl, ids, lps = nil, nil, nil
	} else if tl != nil {
		ids, lps, k = nil, nil, 0
	}
	shmem, threads := 0, normThreads(v)
	if ids != nil {
		shmem = 4*((v+31)/32) + 12*k
		if !b.fits("k_distill", threads, shmem) {
			b.distillOnHost(l, d, x, teacher, targets, p)
			return
		}
	}
	var tt *tensor
	if targets != nil {
		tt = b.int32s("DistillLoss", targets)
		defer b.Free(tt)
	}
	b.launch("k_distill", [3]int{n, 1, 1}, threads, shmem, aPtr(l), aPtr(d), dtOr0(d), aPtr(x), aDT(x),
		aPtr(tl), dtOr0(tl), aPtr(ids), aPtr(lps), dtOr0(lps), aPtr(tt), aInt(v), aInt(k), aInt(int(p.Divergence)),
		aF32(p.Temperature), aF32(p.Alpha), aF32(p.Beta), aF32(p.Scale))
}

// hostIDs copies top-k ids back for kernels.CheckDistill: N*k*4 bytes, but
// an id outside the row would make the kernel write outside it.
func (b *Backend) hostIDs(ids *tensor) []int32 {
	raw := b.ReadBytes(ids)
	out := make([]int32, len(raw)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// distillOnHost is DistillLoss by the CPU backend on host copies.
func (b *Backend) distillOnHost(l, d, x *tensor, teacher kernels.SoftLabels, targets []int32, p kernels.LossParams) {
	hx := b.toHost(x)
	var hd kernels.Tensor
	switch {
	case d == nil:
	case d.st == x.st && d.off == x.off && d.dt == x.dt: // dlogits aliases logits
		hd = hx
	default:
		hd = b.toHost(d)
	}
	hl := b.toHost(l)
	ht := kernels.SoftLabels{Logits: b.toHostOpt(teacher.Logits), IDs: b.toHostOpt(teacher.IDs), LogProbs: b.toHostOpt(teacher.LogProbs)}
	b.hostTrain().DistillLoss(hl, hd, hx, ht, targets, p)
	b.fromHost(l, hl)
	if d != nil {
		b.fromHost(d, hd)
	}
}

// HiddenLoss is computed by the CPU backend on host copies (fall-back).
func (b *Backend) HiddenLoss(lossesT, dsT, sT, tT kernels.Tensor, kind kernels.HiddenKind, scale float32) {
	l, ds, s, t := tns(lossesT), tns(dsT), tns(sT), tns(tT)
	kernels.CheckHiddenLoss(l, ds, s, t, kind)
	hl, hs, ht := b.toHost(l), b.toHost(s), b.toHost(t)
	var hds kernels.Tensor
	if ds != nil {
		hds = b.toHost(ds)
	}
	b.hostTrain().HiddenLoss(hl, hds, hs, ht, kind, scale)
	b.fromHost(l, hl)
	if ds != nil {
		b.fromHost(ds, hds)
	}
}

func (b *Backend) hostTrain() kernels.TrainOps {
	ops, ok := b.host.(kernels.TrainOps)
	if !ok {
		panic("kernels/cuda: the CPU backend does not implement kernels.TrainOps")
	}
	return ops
}

// toHost copies a device tensor to a CPU-backend tensor.
func (b *Backend) toHost(t *tensor) kernels.Tensor {
	return b.host.FromBytes(t.dt, b.ReadBytes(t), t.shape...)
}

func (b *Backend) toHostOpt(x kernels.Tensor) kernels.Tensor {
	if t := tns(x); t != nil {
		return b.toHost(t)
	}
	return nil
}

// fromHost writes a CPU-backend tensor's bytes back into t.
func (b *Backend) fromHost(t *tensor, h kernels.Tensor) {
	raw := b.host.ReadBytes(h)
	if len(raw) != t.nbytes {
		panic(fmt.Sprintf("kernels/cuda: host copy of %s has %d bytes, want %d", t, len(raw), t.nbytes))
	}
	b.upload(t.ptr(), raw)
}
