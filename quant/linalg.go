package quant

import (
	"fmt"
	"math"
)

// Dense symmetric linear algebra for GPTQ, in float64 on row-major n x n
// slices. n is a layer's input width (thousands at most), so the plain
// O(n^3) loops are fine beside the forward passes that collect H.

// cholesky factors the symmetric positive definite a = L L^T in place
// (lower triangle; the upper is zeroed). It fails when a is not positive
// definite.
func cholesky(a []float64, n int) error {
	for j := 0; j < n; j++ {
		d := a[j*n+j]
		for k := 0; k < j; k++ {
			d -= a[j*n+k] * a[j*n+k]
		}
		if !(d > 0) || math.IsInf(d, 0) {
			return fmt.Errorf("matrix is not positive definite (pivot %d = %g)", j, d)
		}
		d = math.Sqrt(d)
		a[j*n+j] = d
		for i := j + 1; i < n; i++ {
			s := a[i*n+j]
			for k := 0; k < j; k++ {
				s -= a[i*n+k] * a[j*n+k]
			}
			a[i*n+j] = s / d
		}
		for i := 0; i < j; i++ {
			a[i*n+j] = 0
		}
	}
	return nil
}

// invertLower inverts the lower-triangular l in place.
func invertLower(l []float64, n int) {
	for j := 0; j < n; j++ {
		l[j*n+j] = 1 / l[j*n+j]
		for i := j + 1; i < n; i++ {
			var s float64
			for k := j; k < i; k++ {
				s += l[i*n+k] * l[k*n+j]
			}
			l[i*n+j] = -s / l[i*n+i]
		}
	}
}

// gptqFactor returns U, the upper Cholesky factor of H^-1 (H^-1 = U^T U),
// which GPTQ's column loop reads: U[j][j] is the error scale of column j
// and U[j][j+1:] the update direction of the later columns.
func gptqFactor(h []float64, n int) ([]float64, error) {
	l := append([]float64(nil), h...)
	if err := cholesky(l, n); err != nil {
		return nil, err
	}
	invertLower(l, n) // L^-1
	// H^-1 = L^-T L^-1.
	inv := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			var s float64
			for k := i; k < n; k++ { // (L^-1)[k][i] nonzero for k >= i
				s += l[k*n+i] * l[k*n+j]
			}
			inv[i*n+j], inv[j*n+i] = s, s
		}
	}
	if err := cholesky(inv, n); err != nil {
		return nil, err
	}
	// Transpose the lower factor into the upper one.
	u := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			u[j*n+i] = inv[i*n+j]
		}
	}
	return u, nil
}
