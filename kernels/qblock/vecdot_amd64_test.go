//go:build amd64 && !purego

package qblock

import (
	"math"
	"testing"

	"github.com/distill-dev/distill/kernels"
)

// TestIntDotKernels runs every k-quant assembly kernel the CPU can (AVX2,
// and AVX-512 VNNI), whichever IntDot dispatches to, against the Go loop
// on rows of 1 to 9 blocks, including all-extreme levels and scales.
func TestIntDotKernels(t *testing.T) {
	type kern func(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32
	ks := map[kernels.DType][]kern{
		kernels.Q4_K: {q4kq8kDotAVX2}, kernels.Q5_K: {q5kq8kDotAVX2}, kernels.Q6_K: {q6kq8kDotAVX2},
	}
	if useVNNI {
		ks[kernels.Q4_K] = append(ks[kernels.Q4_K], q4kq8kDotVNNI)
		ks[kernels.Q5_K] = append(ks[kernels.Q5_K], q5kq8kDotVNNI)
		ks[kernels.Q6_K] = append(ks[kernels.Q6_K], q6kq8kDotVNNI)
	} else {
		t.Log("no AVX-512 VNNI: its kernels are not checked")
	}
	if !useRow4 || !useFMA {
		t.Skip("no AVX2/FMA/F16C")
	}
	for dt, fns := range ks {
		for _, nb := range []int{1, 2, 9} {
			for seed := range uint64(4) {
				w, x := testRow(80+seed, 256*nb), testRow(90+seed, 256*nb)
				if seed == 3 { // extreme: every weight and activation at a maximum magnitude
					for i := range w {
						w[i], x[i] = float32(1-2*(i%2))*3, float32(1-2*(i/3%2))*5
					}
				}
				src := encode(dt, w)
				var a Act
				QuantizeAct(&a, dt, x)
				want := intDotGeneric(dt, src, &a)
				var mag float64
				wd := decode(dt, src, len(w))
				for i := range x {
					mag += math.Abs(float64(wd[i]) * float64(a.d[i/256]) * float64(int8(a.q[i])))
				}
				for i, k := range fns {
					got := k(&src[0], &a.q[0], &a.d[0], &a.bsums[0], nb)
					if math.Abs(float64(got-want)) > 1e-5*mag {
						t.Errorf("%s kernel %d, %d blocks, seed %d: %v, Go %v", dt, i, nb, seed, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkIntDotKernels compares the AVX2 and AVX-512 VNNI k-quant
// kernels on a 4096-element row (16 blocks).
func BenchmarkIntDotKernels(b *testing.B) {
	if !useVNNI {
		b.Skip("no AVX-512 VNNI")
	}
	type kern func(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32
	x, w := testRow(61, benchN), testRow(62, benchN)
	for _, k := range []struct {
		dt         kernels.DType
		avx2, vnni kern
	}{
		{kernels.Q4_K, q4kq8kDotAVX2, q4kq8kDotVNNI},
		{kernels.Q5_K, q5kq8kDotAVX2, q5kq8kDotVNNI},
		{kernels.Q6_K, q6kq8kDotAVX2, q6kq8kDotVNNI},
	} {
		src := encode(k.dt, w)
		var a Act
		QuantizeAct(&a, k.dt, x)
		for name, f := range map[string]kern{"avx2": k.avx2, "vnni": k.vnni} {
			b.Run(k.dt.String()+"/"+name, func(b *testing.B) {
				for b.Loop() {
					f(&src[0], &a.q[0], &a.d[0], &a.bsums[0], benchN/256)
				}
			})
		}
	}
}

// TestIntDotLegacyKernels checks the Q8_0 and Q4_0 kernels against the Go
// loop on odd and even block counts.
func TestIntDotLegacyKernels(t *testing.T) {
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		for _, nb := range []int{1, 2, 3, 7, 8} {
			w, x := testRow(uint64(100+nb), 32*nb), testRow(uint64(200+nb), 32*nb)
			src := encode(dt, w)
			var a Act
			QuantizeAct(&a, dt, x)
			got, want := IntDot(dt, src, &a), intDotGeneric(dt, src, &a)
			var mag float64
			wd := decode(dt, src, len(w))
			for i := range x {
				mag += math.Abs(float64(wd[i]) * float64(a.d[i/32]) * float64(int8(a.q[i])))
			}
			if math.Abs(float64(got-want)) > 1e-5*mag {
				t.Errorf("%s, %d blocks: %v, Go %v", dt, nb, got, want)
			}
		}
	}
}
