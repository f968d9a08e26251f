package gemm

// Packing copies a block of op(A) or op(B) into the order the micro-kernel
// reads it, so the kernel streams both operands with unit stride. A partial
// panel at an edge is padded with zeros, so the kernel always computes a
// full mr x nr tile and the padding contributes nothing.

// packA packs rows [i0, i0+mc) and columns [p0, p0+kc) of op(A) into dst as
// ceil(mc/mr) panels of kc*mr values: panel r holds, for each p, the mr values
// op(A)[i0+r*mr+ii, p0+p], ii < mr.
func packA(dst []float32, p *problem, i0, mc, p0, kc int, kern *kernel) {
	mr := kern.mr
	if p.b16 != nil {
		packAPairs(dst, p, i0, mc, p0, kc, kern)
		return
	}
	a, lda := p.a, p.lda
	if p.transA {
		pairs := 0
		if kern.packAT16 != nil && mr == 8 && kc > 0 {
			pairs = mc / 16
		}
		if pairs > 0 {
			off := p0*lda + i0
			_ = a[off+(kc-1)*lda+16*pairs-1]
			_ = dst[16*pairs*kc-1]
			kern.packAT16(kc, &a[off], lda, &dst[0], pairs)
		}
		if r := 16 * pairs; r < mc {
			packAT(dst[r*kc:], a, lda, i0+r, mc-r, p0, kc, mr)
		}
		return
	}
	ir := 0
	if kern.packA16 != nil && mr == 8 && kc > 0 {
		// 16 full rows at a time through the AVX-512 transpose.
		for ; ir+16 <= mc; ir += 16 {
			off := (i0+ir)*lda + p0
			_ = a[off+15*lda+kc-1]
			_ = dst[ir*kc+16*kc-1]
			kern.packA16(kc, &a[off], lda, &dst[ir*kc])
		}
	}
	for ; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+mr*kc]
		// Rows of A are contiguous in p: read mr rows side by side and write
		// the panel sequentially.
		if rows == mr && mr == 8 {
			packRows8(panel, a, (i0+ir)*lda+p0, lda, kc)
			continue
		}
		for ii := 0; ii < mr; ii++ {
			if ii >= rows {
				for q := 0; q < kc; q++ {
					panel[q*mr+ii] = 0
				}
				continue
			}
			src := a[(i0+ir+ii)*lda+p0:]
			src = src[:kc]
			for q, v := range src {
				panel[q*mr+ii] = v
			}
		}
	}
}

// packAT is packA for a transposed A (op(A)[i, p] = A[p, i]): step q of
// every panel is a run of row p0+q of A, so each row of A is read once, all
// mc values of it, and scattered to the panels.
func packAT(dst, a []float32, lda, i0, mc, p0, kc, mr int) {
	full := mc / mr
	rest := mc - full*mr
	for q := 0; q < kc; q++ {
		src := a[(p0+q)*lda+i0 : (p0+q)*lda+i0+mc]
		if mr == 8 {
			for r := 0; r < full; r++ {
				*(*[8]float32)(dst[r*8*kc+q*8:]) = *(*[8]float32)(src[r*8:])
			}
		} else {
			for r := 0; r < full; r++ {
				copy(dst[r*mr*kc+q*mr:r*mr*kc+q*mr+mr], src[r*mr:r*mr+mr])
			}
		}
		if rest > 0 {
			d := dst[full*mr*kc+q*mr : full*mr*kc+q*mr+mr]
			copy(d, src[full*mr:])
			clear(d[rest:])
		}
	}
}

// packRows8 interleaves 8 rows of length kc starting at src[off], stride ld,
// into dst: dst[q*8+r] = src[off+r*ld+q].
func packRows8(dst, src []float32, off, ld, kc int) {
	r0 := src[off : off+kc]
	r1 := src[off+ld : off+ld+kc]
	r2 := src[off+2*ld : off+2*ld+kc]
	r3 := src[off+3*ld : off+3*ld+kc]
	r4 := src[off+4*ld : off+4*ld+kc]
	r5 := src[off+5*ld : off+5*ld+kc]
	r6 := src[off+6*ld : off+6*ld+kc]
	r7 := src[off+7*ld : off+7*ld+kc]
	dst = dst[:8*kc]
	for q := range r0 {
		d := dst[q*8 : q*8+8 : q*8+8]
		d[0], d[1], d[2], d[3] = r0[q], r1[q], r2[q], r3[q]
		d[4], d[5], d[6], d[7] = r4[q], r5[q], r6[q], r7[q]
	}
}

// packB packs rows [p0, p0+kc) and columns [j0, j0+nc) of op(B) into dst as
// ceil(nc/nr) panels of kc*nr values: panel s holds, for each p, the nr values
// op(B)[p0+p, j0+s*nr+jj], jj < nr. Only the panels [s0, s1) are packed, so
// several goroutines can share one block. rowBuf (nr*kc values) holds the
// rows of a transposed panel that need staging: decoded rows, or the rows of
// an edge panel padded with zero rows.
func packB(dst []float32, p *problem, kern *kernel, j0, nc, p0, kc, s0, s1 int, rowBuf []float32) {
	if p.b16 != nil {
		packBPairs(dst, p, kern, j0, nc, p0, kc, s0, s1)
		return
	}
	b, ldb, nr := p.b, p.ldb, kern.nr
	for s := s0; s < s1; s++ {
		jr := s * nr
		cols := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+nr*kc]
		if !p.transB {
			// op(B)[p, j] = B[p, j]: each step is a contiguous run of B.
			if kern.copyNR != nil && cols == nr && kc > 0 {
				off := p0*ldb + j0 + jr
				_ = b[off+(kc-1)*ldb+nr-1]
				kern.copyNR(kc, &b[off], ldb, &panel[0])
				continue
			}
			for q := 0; q < kc; q++ {
				d := panel[q*nr : q*nr+nr]
				copy(d, b[(p0+q)*ldb+j0+jr:][:cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)[p, j] = B[j, p]: nr rows of B become the panel's columns.
		src, ld := b[min((j0+jr)*ldb+p0, len(b)):], ldb
		if p.decode != nil || cols < nr {
			src, ld = rowBuf[:nr*kc], kc
			for jj := 0; jj < nr; jj++ {
				row := src[jj*kc : jj*kc+kc]
				switch {
				case jj >= cols:
					clear(row)
				case p.decode != nil:
					p.decode(row, j0+jr+jj, p0, p0+kc)
				default:
					copy(row, b[(j0+jr+jj)*ldb+p0:])
				}
			}
		}
		transposeRows(panel, src, ld, kc, kern)
	}
}

// transposeRows sets panel[q*nr+r] = src[r*ld+q] for r < nr, q < kc: nr
// rows, each contiguous in q, become the columns of a packed panel.
func transposeRows(panel, src []float32, ld, kc int, kern *kernel) {
	nr := kern.nr
	_ = src[(nr-1)*ld+kc-1] // the asm reads all of it
	if kern.packT16 != nil && nr%16 == 0 {
		for g := 0; g < nr; g += 16 {
			kern.packT16(kc, &src[g*ld], ld, &panel[g])
		}
		return
	}
	for r := 0; r < nr; r++ {
		row := src[r*ld : r*ld+kc]
		for q, v := range row {
			panel[q*nr+r] = v
		}
	}
}
