package gemm

// This file keeps the naive loops that every fast path must equal (up to
// float32 rounding of the sums). The tests check them against a float64
// reference and the fast code against both.

// naiveSgemm is Sgemm as the textbook triple loop.
func naiveSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}

// naiveSgemmDecodedB is SgemmDecodedB decoding one whole row of B at a time.
func naiveSgemmDecodedB(m, n, k int, alpha float32, a []float32, lda int, decode RowDecoder, beta float32, c []float32, ldc int) {
	row := make([]float32, k)
	for j := 0; j < n; j++ {
		for k0 := 0; k0 < k; k0 += DecodeAlign {
			k1 := min(k0+DecodeAlign, k)
			decode(row[k0:k1], j, k0, k1)
		}
		for i := 0; i < m; i++ {
			var s float32
			for p := 0; p < k; p++ {
				s += a[i*lda+p] * row[p]
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
