package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveRow is the plain float64 reference of scorePair: log-softmax of each
// row, then the sums.
func naiveRow(zp, zq []float32, target int32) rowStats {
	logSoftmax := func(z []float32) []float64 {
		var s float64
		for _, x := range z {
			s += math.Exp(float64(x))
		}
		out := make([]float64, len(z))
		for i, x := range z {
			out[i] = float64(x) - math.Log(s)
		}
		return out
	}
	lp, lq := logSoftmax(zp), logSoftmax(zq)
	var r rowStats
	r.nll = [2]float64{-lp[target], -lq[target]}
	ap, aq := 0, 0
	for v := range lp {
		r.kl += math.Exp(lp[v]) * (lp[v] - lq[v])
		r.rkl += math.Exp(lq[v]) * (lq[v] - lp[v])
		if lp[v] > lp[ap] {
			ap = v
		}
		if lq[v] > lq[aq] {
			aq = v
		}
	}
	r.agree = ap == aq
	return r
}

func randRow(rng *rand.Rand, v int, scale float64) []float32 {
	z := make([]float32, v)
	for i := range z {
		z[i] = float32(scale * rng.NormFloat64())
	}
	return z
}

func TestScorePairMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range []int{1, 2, 7, 512, 32000} {
		for _, scale := range []float64{0.1, 3, 20} {
			zp, zq := randRow(rng, v, scale), randRow(rng, v, scale)
			tg := int32(rng.IntN(v))
			ep, eq := make([]float64, v), make([]float64, v)
			got, want := scorePair(zp, zq, tg, ep, eq), naiveRow(zp, zq, tg)
			for _, d := range [][2]float64{{got.nll[0], want.nll[0]}, {got.nll[1], want.nll[1]}, {got.kl, want.kl}, {got.rkl, want.rkl}} {
				if math.Abs(d[0]-d[1]) > 1e-9*(1+math.Abs(d[1])) {
					t.Errorf("V=%d scale=%g: got %+v, naive %+v", v, scale, got, want)
					break
				}
			}
			if got.agree != want.agree {
				t.Errorf("V=%d: agreement %v, naive %v", v, got.agree, want.agree)
			}
			if one := scoreOne(zp, tg, ep); one.nll[0] != got.nll[0] {
				t.Errorf("V=%d: scoreOne %g, scorePair %g", v, one.nll[0], got.nll[0])
			}
		}
	}
}

// Large logits overflow a naive exp; the max-subtracted form does not.
func TestScoreLargeLogits(t *testing.T) {
	z := []float32{1000, 999, -1000}
	r := scoreOne(z, 1, make([]float64, 3))
	want := 1 + math.Log1p(math.Exp(-1)) // -log softmax(z)[1]
	if math.Abs(r.nll[0]-want) > 1e-12 {
		t.Errorf("nll %g, want %g", r.nll[0], want)
	}
}

func BenchmarkScoreOne32k(b *testing.B) {
	z := randRow(rand.New(rand.NewPCG(1, 1)), 32000, 3)
	e := make([]float64, len(z))
	b.SetBytes(int64(4 * len(z)))
	for b.Loop() {
		scoreOne(z, 17, e)
	}
}

func BenchmarkScorePair32k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	zp, zq := randRow(rng, 32000, 3), randRow(rng, 32000, 3)
	ep, eq := make([]float64, len(zp)), make([]float64, len(zp))
	b.SetBytes(int64(8 * len(zp)))
	for b.Loop() {
		scorePair(zp, zq, 17, ep, eq)
	}
}

// BenchmarkPerplexity measures eval's own overhead (windowing and row
// reduction) with a model that costs nothing: V = 512, 64k tokens.
func BenchmarkPerplexity(b *testing.B) {
	s := randStream(1<<16, 512, 1)
	lm := uniformLM{512, 512}
	b.SetBytes(int64(s.Len()))
	for b.Loop() {
		if _, err := Perplexity(lm, s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
