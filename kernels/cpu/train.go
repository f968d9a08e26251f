package cpu

import (
	"math"
	"sort"
	"sync"

	"github.com/distill-dev/distill/kernels"
)

var _ kernels.TrainOps = (*Backend)(nil)

// DistillLoss implements kernels.TrainOps: one pass of rows in parallel,
// each row using per-worker scratch rows only (no [N, V] buffer besides
// logits and dlogits, which may alias).
func (b *Backend) DistillLoss(lossesT, dlogitsT, logitsT kernels.Tensor, teacher kernels.SoftLabels, targets []int32, p kernels.LossParams) {
	l, d, x := tns(lossesT), tns(dlogitsT), tns(logitsT)
	var tl, ids, lps *tensor
	if p.Alpha > 0 {
		tl, ids, lps = tns(teacher.Logits), tns(teacher.IDs), tns(teacher.LogProbs)
	}
	n, v, k := kernels.CheckDistill(l, d, x, tl, ids, lps, targets, p, func(t *tensor) []int32 { return t.i32 })
	b.parallelFor(n, max(1, rowGrain(v)/4), func(lo, hi int) {
		sp := getScratch(5*v + 256 + 2*k)
		s := *sp
		for r := lo; r < hi; r++ {
			target := int32(0)
			if targets != nil {
				target = targets[r]
			}
			if target < 0 {
				l.f32[r] = 0
				if d != nil {
					dv := out(d, r*v, v, s[3*v:4*v])
					clear(dv)
					store(d, r*v, dv)
				}
				continue
			}
			row := distillRow{v: v, k: k, s: s, p: p}
			row.x = view(x, r*v, v, s[4*v:5*v])
			if tl != nil {
				row.tl = view(tl, r*v, v, s[2*v:3*v])
			}
			if k > 0 {
				row.ids = ids.i32[r*k : (r+1)*k]
				row.lps = view(lps, r*k, k, s[5*v+256:5*v+256+k])
			}
			var dv []float32
			if d != nil {
				dv = out(d, r*v, v, s[3*v:4*v])
			}
			l.f32[r] = row.run(dv, target)
			if d != nil {
				store(d, r*v, dv)
			}
		}
		putScratch(sp)
	})
}

// distillRow computes one row of DistillLoss. Scratch s holds, by blocks of
// v: q (student softmax at T), q1 (at T = 1), the teacher's log-probs then
// h, the teacher's probs then the output row, a widened copy of x; then 256
// for logSumExp and 2k for top-k values.
type distillRow struct {
	v, k int
	s    []float32
	p    kernels.LossParams
	x    []float32 // student logits (may be the output's storage)
	tl   []float32 // teacher logits (full soft labels), may be s[2v:3v]
	ids  []int32   // top-k ids
	lps  []float32 // top-k log-probs
}

// softmaxT writes q = softmax(x * invT) and returns log of its normaliser.
func softmaxT(q, x []float32, invT float32) float32 {
	m, sum := scaledExp(q, x, invT)
	inv := float32(1 / sum)
	q = q[:len(x)]
	for i := range q {
		q[i] *= inv
	}
	return m + float32(math.Log(sum))
}

// scaledExp writes dst[i] = e^(x[i] invT - m) with m = max(x) invT and
// returns m and the sum of dst (float32 within blocks of 256, float64
// across). invT > 0, so max(x invT) is max(x) invT exactly (rounding is
// monotonic): the maximum comes from the vectorised maxf over x, and one
// scalar pass scales and shifts, saving the passes a scaled copy costs on
// vocabulary-long rows.
func scaledExp(dst, x []float32, invT float32) (m float32, sum float64) {
	dst = dst[:len(x)]
	m = maxf(x) * invT
	for i, xi := range x {
		dst[i] = xi*invT - m
	}
	expRow(dst, dst)
	for b0 := 0; b0 < len(dst); b0 += 256 {
		var bs float32
		for _, e := range dst[b0:min(b0+256, len(dst))] {
			bs += e
		}
		sum += float64(bs)
	}
	return m, sum
}

// bucket returns one bucket's contribution to D and h = q * dD/dq for
// teacher (lp, pr) and student (lq, q) log-probability and probability.
func bucket(div kernels.Divergence, beta float32, lp, pr, lq, q float32) (loss float64, h float32) {
	switch div {
	case kernels.ForwardKL:
		if pr > 0 {
			loss = float64(pr) * float64(lp-lq)
		}
		return loss, -pr
	case kernels.ReverseKL:
		if q > 0 {
			loss = float64(q) * float64(lq-lp)
			h = q * (lq - lp + 1)
		}
		return loss, h
	}
	// JSD: log m = logaddexp(log beta + lp, log(1-beta) + lq).
	a, c := float64(lp)+math.Log(float64(beta)), float64(lq)+math.Log(1-float64(beta))
	if a < c {
		a, c = c, a
	}
	lm := a
	if !math.IsInf(a, -1) {
		lm = a + math.Log1p(math.Exp(c-a))
	}
	if pr > 0 {
		loss += float64(beta) * float64(pr) * (float64(lp) - lm)
	}
	if q > 0 {
		qt := (1 - float64(beta)) * float64(q) * (float64(lq) - lm)
		loss += qt
		h = float32(qt)
	}
	return loss, h
}

// run returns the row's loss and writes Scale * gradient into d (nil: loss
// only). d may be x's storage: x is fully read before d is written.
func (r *distillRow) run(d []float32, target int32) float32 {
	v, s, p := r.v, r.s, r.p
	invT := 1 / p.Temperature
	q := s[:v]
	lseS := softmaxT(q, r.x, invT)
	var ce float64
	q1 := q
	if p.Alpha < 1 {
		lse1 := lseS
		if p.Temperature != 1 {
			q1 = s[v : 2*v]
			lse1 = softmaxT(q1, r.x, 1)
		}
		ce = float64(lse1) - float64(r.x[target])
	}
	var kd, c float64
	h := s[2*v : 3*v]
	var rho float32 // tail bucket's h / Q_tail (top-k only)
	if p.Alpha > 0 {
		if r.tl != nil {
			kd, c = r.full(h, q, lseS, invT)
		} else {
			kd, c, rho = r.topK(h, q, lseS, invT)
		}
	}
	loss := float32(float64(p.Alpha)*float64(p.Temperature*p.Temperature)*kd + float64(1-p.Alpha)*ce)
	if d == nil {
		return loss
	}
	// One pass: d = Scale * (Alpha T (h - q c) + (1 - Alpha) q1), then the
	// one-hot. With Alpha = 1, q1 is q and its weight 0.
	sA, sW, cf := p.Scale*p.Alpha*p.Temperature, p.Scale*(1-p.Alpha), float32(c)
	switch {
	case p.Alpha == 0:
		for i := range d {
			d[i] = sW * q1[i]
		}
	case r.tl != nil:
		for i := range d {
			d[i] = sA*(h[i]-q[i]*cf) + sW*q1[i]
		}
	default:
		k := sA * (rho - cf)
		for i := range d {
			d[i] = k*q[i] + sW*q1[i]
		}
		for j, id := range r.ids {
			d[id] = sA*(h[j]-q[id]*cf) + sW*q1[id]
		}
	}
	if p.Alpha < 1 {
		d[target] -= sW
	}
	return loss
}

// full computes the divergence against full teacher logits, writing h
// over the teacher's log-probs; it returns the divergence and sum of h.
// Sums run in float32 over blocks of 256 and float64 across blocks; the
// two common divergences have their bucket formula inlined.
func (r *distillRow) full(h, q []float32, lseS, invT float32) (kd, c float64) {
	v, p, x, s := r.v, r.p, r.x, r.s
	// Teacher probabilities unnormalised into pr, then log p = t invT -
	// lseT (h, over the teacher logits: h may be r.tl itself) and p = pr /
	// sum in one pass.
	pr := s[3*v : 4*v]
	mT, sumT := scaledExp(pr, r.tl, invT)
	lseT, invS := mT+float32(math.Log(sumT)), float32(1/sumT)
	for i, t := range r.tl {
		h[i] = t*invT - lseT
		pr[i] *= invS
	}
	for b0 := 0; b0 < v; b0 += 256 {
		end := min(b0+256, v)
		var kb, cb float32
		switch p.Divergence {
		case kernels.ForwardKL:
			for i := b0; i < end; i++ {
				pi := pr[i]
				if pi > 0 {
					kb += pi * (h[i] - (x[i]*invT - lseS))
				}
				h[i] = -pi
				cb -= pi
			}
		case kernels.ReverseKL:
			for i := b0; i < end; i++ {
				qi := q[i]
				hi := float32(0)
				if qi > 0 {
					lr := x[i]*invT - lseS - h[i]
					kb += qi * lr
					hi = qi * (lr + 1)
				}
				h[i] = hi
				cb += hi
			}
		default:
			for i := b0; i < end; i++ {
				li, hi := bucket(p.Divergence, p.Beta, h[i], pr[i], x[i]*invT-lseS, q[i])
				kd += li
				h[i] = hi
				cb += hi
			}
		}
		kd += float64(kb)
		c += float64(cb)
	}
	return kd, c
}

// topK computes the divergence over the top-k buckets plus the tail,
// writing h for the k ids into h[:k]; it returns the divergence, sum of h
// and rho = h_tail / Q_tail.
func (r *distillRow) topK(h, q []float32, lseS, invT float32) (kd, c float64, rho float32) {
	p, k := r.p, r.k
	saved := r.s[5*r.v+256+k : 5*r.v+256+2*k]
	var pS float64
	for j, id := range r.ids {
		saved[j] = q[id]
		pS += math.Exp(float64(r.lps[j]))
	}
	// Q_tail summed over the tail itself (not 1 - sum q_S, which cancels).
	for _, id := range r.ids {
		q[id] = 0
	}
	var qTail float64
	for b0 := 0; b0 < len(q); b0 += 256 {
		var blk float32
		for _, e := range q[b0:min(b0+256, len(q))] {
			blk += e
		}
		qTail += float64(blk)
	}
	for j, id := range r.ids {
		q[id] = saved[j]
	}
	for j, id := range r.ids {
		lp := r.lps[j]
		li, hj := bucket(p.Divergence, p.Beta, lp, float32(math.Exp(float64(lp))), r.x[id]*invT-lseS, q[id])
		kd += li
		h[j] = hj
		c += float64(hj)
	}
	if k == r.v { // no tail bucket
		return kd, c, 0
	}
	lpT := float32(math.Max(math.Log(math.Max(0, 1-pS)), kernels.MinTailLogProb))
	lqT := float32(math.Log(qTail))
	li, hT := bucket(p.Divergence, p.Beta, lpT, float32(math.Exp(float64(lpT))), lqT, float32(qTail))
	kd += li
	c += float64(hT)
	if qTail > 0 {
		rho = float32(float64(hT) / qTail)
	}
	return kd, c, rho
}

// TopKLogProbs implements kernels.TrainOps with a size-k min-heap per row.
func (b *Backend) TopKLogProbs(idsT, lpsT, logitsT kernels.Tensor, k int, temperature float32) {
	ids, lps, x := tns(idsT), tns(lpsT), tns(logitsT)
	n, v := kernels.CheckTopK(ids, lps, x, k, temperature)
	invT := 1 / temperature
	b.parallelFor(n, max(1, rowGrain(v)), func(lo, hi int) {
		sp := getScratch(2*v + 256 + k)
		s := *sp
		hp := make(topHeap, 0, k)
		for r := lo; r < hi; r++ {
			xv := view(x, r*v, v, s[v:2*v])
			z := s[:v]
			for i, xi := range xv {
				z[i] = xi * invT
			}
			lse := logSumExp(z, s[2*v:2*v+256])
			hp = hp[:0]
			for i, zi := range z {
				if len(hp) == k && zi < hp[0].val {
					continue // cannot enter: the common case, kept inline
				}
				hp.offer(k, topEntry{zi, int32(i)})
			}
			sort.Slice(hp, func(a, c int) bool { return hp[a].before(hp[c]) })
			ov := out(lps, r*k, k, s[2*v+256:])
			for j, e := range hp {
				ids.i32[r*k+j] = e.id
				ov[j] = e.val - lse
			}
			store(lps, r*k, ov)
		}
		putScratch(sp)
	})
}

type topEntry struct {
	val float32
	id  int32
}

// before orders entries by descending value, then ascending id.
func (e topEntry) before(o topEntry) bool {
	return e.val > o.val || (e.val == o.val && e.id < o.id)
}

// topHeap is a min-heap (by before) of the k best entries seen so far.
type topHeap []topEntry

func (h *topHeap) offer(k int, e topEntry) {
	s := *h
	if len(s) < k {
		s = append(s, e)
		for i := len(s) - 1; i > 0; { // sift up
			par := (i - 1) / 2
			if !s[par].before(s[i]) {
				break
			}
			s[par], s[i] = s[i], s[par]
			i = par
		}
		*h = s
		return
	}
	if !e.before(s[0]) {
		return
	}
	s[0] = e
	for i := 0; ; { // sift down: the root is the worst entry
		w, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[w].before(s[l]) {
			w = l
		}
		if r < len(s) && s[w].before(s[r]) {
			w = r
		}
		if w == i {
			break
		}
		s[i], s[w] = s[w], s[i]
		i = w
	}
}

// SumSquares implements kernels.TrainOps: float64 partial sums per block,
// added in block order so the result does not depend on scheduling.
func (b *Backend) SumSquares(xT kernels.Tensor) float64 {
	x := tns(xT)
	mustFloat("SumSquares", x)
	partial := make([]float64, (x.numel()+ewBlock-1)/ewBlock)
	b.eachBlock(x.numel(), func(off, m int, s *[6][]float32) {
		xv := view(x, off, m, s[0])
		var acc float64
		for b0 := 0; b0 < m; b0 += 256 {
			var blk float32
			for _, e := range xv[b0:min(b0+256, m)] {
				blk += e * e
			}
			acc += float64(blk)
		}
		partial[off/ewBlock] = acc
	})
	var total float64
	for _, v := range partial {
		total += v
	}
	return total
}

// NonFinite implements kernels.TrainOps.
func (b *Backend) NonFinite(xT kernels.Tensor) bool {
	x := tns(xT)
	mustFloat("NonFinite", x)
	var mu sync.Mutex
	found := false
	b.eachBlock(x.numel(), func(off, m int, s *[6][]float32) {
		xv := view(x, off, m, s[0])
		var acc float32
		for _, e := range xv {
			acc += e * 0 // NaN for NaN and ±Inf, else 0
		}
		if acc != 0 {
			mu.Lock()
			found = true
			mu.Unlock()
		}
	})
	return found
}

// AdamW implements kernels.TrainOps.
func (b *Backend) AdamW(paramT, gradT, mT, vT kernels.Tensor, p kernels.AdamWParams) {
	pa, g, m, v := tns(paramT), tns(gradT), tns(mT), tns(vT)
	kernels.CheckAdamW(pa, g, m, v, p)
	gs := p.GradScale
	if gs == 0 {
		gs = 1
	}
	invGS := 1 / gs
	bc1 := 1 - math.Pow(float64(p.Beta1), float64(p.Step))
	bc2 := 1 - math.Pow(float64(p.Beta2), float64(p.Step))
	// lr * mhat / (sqrt(vhat) + eps) with mhat = m/bc1, vhat = v/bc2 is
	// lrB * m / (sqrt(v) * rb2 + eps): one division and one float32 square
	// root (SQRTSS) per element, the bias corrections hoisted.
	lrB, rb2 := float32(float64(p.LR)/bc1), float32(1/math.Sqrt(bc2))
	b1, b2, c1, c2, lrWD, eps := p.Beta1, p.Beta2, 1-p.Beta1, 1-p.Beta2, p.LR*p.WeightDecay, p.Eps
	b.eachBlock(pa.numel(), func(off, n int, s *[6][]float32) {
		gv := view(g, off, n, s[0])
		pv, mv, vv := pa.f32[off:off+n], m.f32[off:off+n], v.f32[off:off+n]
		gv, mv, vv = gv[:len(pv)], mv[:len(pv)], vv[:len(pv)]
		for i, w := range pv {
			gi := gv[i] * invGS
			mi := b1*mv[i] + c1*gi
			vi := b2*vv[i] + c2*gi*gi
			mv[i], vv[i] = mi, vi
			pv[i] = w - lrB*mi/(float32(math.Sqrt(float64(vi)))*rb2+eps) - lrWD*w
		}
	})
}

// HiddenLoss implements kernels.TrainOps, rows in parallel, float64 dot
// products (C is small next to V, so this is cheap).
func (b *Backend) HiddenLoss(lossesT, dsT, sT, tT kernels.Tensor, kind kernels.HiddenKind, scale float32) {
	l, ds, s, t := tns(lossesT), tns(dsT), tns(sT), tns(tT)
	n, c := kernels.CheckHiddenLoss(l, ds, s, t, kind)
	b.parallelFor(n, rowGrain(c), func(lo, hi int) {
		sp := getScratch(3 * c)
		for r := lo; r < hi; r++ {
			sv := view(s, r*c, c, (*sp)[:c])
			tv := view(t, r*c, c, (*sp)[c:2*c])
			var ss, tt, st, se float64
			for i := range sv {
				x, y := float64(sv[i]), float64(tv[i])
				ss, tt, st, se = ss+x*x, tt+y*y, st+x*y, se+(x-y)*(x-y)
			}
			var g []float32
			if ds != nil {
				g = inout(ds, r*c, c, (*sp)[2*c:])
			}
			if kind == kernels.HiddenMSE {
				l.f32[r] = float32(se / float64(c))
				k := 2 * scale / float32(c)
				for i := range g {
					g[i] += k * (sv[i] - tv[i])
				}
			} else {
				if ss == 0 || tt == 0 {
					l.f32[r] = 1
				} else {
					ns, nt := math.Sqrt(ss), math.Sqrt(tt)
					cos := st / (ns * nt)
					l.f32[r] = float32(1 - cos)
					a, bb := float32(float64(scale)/(ns*nt)), float32(float64(scale)*cos/ss)
					for i := range g {
						g[i] += bb*sv[i] - a*tv[i]
					}
				}
			}
			if ds != nil {
				store(ds, r*c, g)
			}
		}
		putScratch(sp)
	})
}
