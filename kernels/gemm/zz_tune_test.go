package gemm

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// ZZTUNE="name mc kc nc;..." shapes from benchShapes by index ZZSHAPES="0,5"
func BenchmarkZZTune(b *testing.B) {
	var shapes []benchShape
	for _, f := range strings.Split(os.Getenv("ZZSHAPES"), ",") {
		i, _ := strconv.Atoi(f)
		shapes = append(shapes, benchShapes[i])
	}
	for _, cfg := range strings.Split(os.Getenv("ZZTUNE"), ";") {
		var name string
		var mc, kc, nc int
		fmt.Sscan(cfg, &name, &mc, &kc, &nc)
		var base *kernel
		for _, k := range availableKernels() {
			if k.name == name {
				base = k
			}
		}
		kern := *base
		kern.mc, kern.kc, kern.nc = mc, kc, nc
		for _, s := range shapes {
			b.Run(fmt.Sprintf("%s/%d_%d_%d/%s", name, mc, kc, nc, s.name), func(b *testing.B) {
				old := active
				active = &kern
				defer func() { active = old }()
				a, lda, bm, ldb, c := benchOperands(s)
				benchLoop(b, s, func() {
					Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
				})
			})
		}
	}
}
