package gemm

import "sync"

// gemvGrain is the least work (n*k multiply-adds) worth a goroutine in gemv.
const gemvGrain = 1 << 17

// gemv is the m == 1, transB case: C[0, j] = alpha * dot(op(A)[0, :], B[j, :])
// + beta*C[0, j], one dot product per row of B. It is the shape of
// token-by-token generation (one activation row times a weight matrix) and is
// bound by reading B, so it skips packing: rows go straight (or through the
// decoder, a few at a time) into the dot kernel, split over goroutines by
// ranges of rows.
func gemv(p *problem, threads int, kern *kernel) {
	x := p.a[:p.k]
	if p.transA {
		// op(A) is 1 x k stored as k x 1: gather the column.
		x = make([]float32, p.k)
		for q := range x {
			x[q] = p.a[q*p.lda]
		}
	}
	groups := ceilDiv(p.n, 4)
	threads = max(1, min(threads, p.n*p.k/gemvGrain, groups))
	if threads == 1 {
		gemvRows(p, kern, x, 0, p.n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		g0, g1 := span(groups, threads, t)
		go func() {
			defer wg.Done()
			gemvRows(p, kern, x, g0*4, min(g1*4, p.n))
		}()
	}
	wg.Wait()
}

// gemvRows computes C[0, j] for j in [j0, j1), four rows of B at a time.
func gemvRows(p *problem, kern *kernel, x []float32, j0, j1 int) {
	k := p.k
	var buf []float32 // 4 rows: decoded rows, or the zero-padded last group
	var out [4]float32
	for j := j0; j < j1; j += 4 {
		rows := min(4, j1-j)
		var src []float32
		ld := p.ldb
		switch {
		case p.decode != nil || rows < 4:
			if buf == nil {
				buf = make([]float32, 4*k)
			}
			for r := 0; r < 4; r++ {
				dst := buf[r*k : r*k+k]
				switch {
				case r >= rows:
					clear(dst)
				case p.decode != nil:
					p.decode(dst, j+r, 0, k)
				default:
					copy(dst, p.b[(j+r)*p.ldb:][:k])
				}
			}
			src, ld = buf, k
		default:
			src = p.b[j*p.ldb:]
		}
		kern.dot4(k, &x[0], &src[0], ld, &out)
		c := p.c[j : j+rows]
		for r := range c {
			if p.beta == 0 {
				c[r] = p.alpha * out[r]
			} else {
				c[r] = p.alpha*out[r] + p.beta*c[r]
			}
		}
	}
}
