package gemm

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkZZMicro(b *testing.B) {
	for _, kern := range availableKernels() {
		for _, kc := range []int{128, 256, 384, 512} {
			b.Run(kern.name+"/kc"+itoa(kc), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				a := randMatrix(rng, kern.mr*kc*8)
				bb := randMatrix(rng, kern.nr*kc)
				c := make([]float32, kern.mr*kern.nr*8)
				for b.Loop() {
					for t := 0; t < 8; t++ {
						kern.micro(kc, &a[t*kern.mr*kc], &bb[0], &c[t*kern.mr*kern.nr], kern.nr, 1, 1)
					}
				}
				b.ReportMetric(2*float64(kern.mr*kern.nr*kc*8)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func itoa(i int) string {
	s := ""
	for i > 0 {
		s = string(rune('0'+i%10)) + s
		i /= 10
	}
	return s
}
