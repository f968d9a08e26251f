package eval

import (
	"github.com/distill-dev/distill/corpus"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func seqStream(n, v int) corpus.Stream {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(i % v)
	}
	return corpus.NewStream(ids)
}

func randStream(n, v int, seed uint64) corpus.Stream {
	rng := rand.New(rand.NewPCG(seed, 1))
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(rng.IntN(v))
	}
	return corpus.NewStream(ids)
}

// A uniform model has NLL = ln V exactly, so PPL = V, whatever the windows.
func TestUniformPerplexityIsVocabSize(t *testing.T) {
	for _, tc := range []struct{ v, n, c, s int }{
		{2, 10, 4, 4}, {512, 1000, 64, 64}, {512, 1000, 64, 7}, {50257, 33, 8, 3}, {7, 2, 1, 1},
	} {
		r, err := Perplexity(uniformLM{tc.v, 64}, randStream(tc.n, tc.v, 1), Options{Context: tc.c, Stride: tc.s})
		if err != nil {
			t.Fatal(err)
		}
		if r.Tokens != tc.n-1 || math.Abs(r.PPL-float64(tc.v)) > 1e-9*float64(tc.v) || math.Abs(r.NLL-math.Log(float64(tc.v))) > 1e-12 {
			t.Errorf("%+v: got %+v, want PPL %d over %d tokens", tc, r, tc.v, tc.n-1)
		}
	}
}

// A model that puts probability p on the right token has NLL = -ln p.
func TestKnownProbability(t *testing.T) {
	for _, p := range []float64{0.01, 0.5, 0.9, 0.999} {
		const v = 100
		lm := nextLM{v: v, maxT: 32, a: logitFor(p, v)}
		r, err := Perplexity(lm, seqStream(500, v), Options{Context: 32, Stride: 16})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.NLL+math.Log(p)) > 1e-5 || math.Abs(r.PPL-1/p) > 1e-5/p {
			t.Errorf("p=%g: NLL %g PPL %g, want %g %g", p, r.NLL, r.PPL, -math.Log(p), 1/p)
		}
	}
}

// The batched, parallel evaluation equals the naive one-window-per-target
// reference, and is bit-identical whatever the batch size and worker count.
func TestPerplexityMatchesNaiveReference(t *testing.T) {
	for _, tc := range []struct{ n, c, s int }{{1, 8, 8}, {2, 8, 8}, {100, 8, 8}, {100, 8, 3}, {100, 8, 1}, {37, 16, 16}, {300, 32, 5}} {
		s := randStream(tc.n, 50, uint64(tc.n))
		lm := &hashLM{v: 50, maxT: 32, seed: 7, scale: 3}
		if tc.n < 2 {
			if _, err := Perplexity(lm, s, Options{Context: tc.c, Stride: tc.s}); err == nil {
				t.Errorf("%+v: no error for a stream with nothing to score", tc)
			}
			continue
		}
		want, wantN := naivePerplexity(lm, s, tc.c, tc.s)
		var first Result
		for i, o := range []Options{{Batch: 1, Workers: 1}, {Batch: 3, Workers: 4}, {}} {
			o.Context, o.Stride = tc.c, tc.s
			r, err := Perplexity(lm, s, o)
			if err != nil {
				t.Fatal(err)
			}
			if r.Tokens != wantN || math.Abs(r.NLL-want) > 1e-12 {
				t.Errorf("%+v %+v: NLL %.15g over %d, naive %.15g over %d", tc, o, r.NLL, r.Tokens, want, wantN)
			}
			if i == 0 {
				first = r
			} else if r.NLL != first.NLL {
				t.Errorf("%+v: NLL depends on batching: %.17g vs %.17g", tc, r.NLL, first.NLL)
			}
		}
	}
}

func TestBatchingCalls(t *testing.T) {
	lm := &hashLM{v: 10, maxT: 8, scale: 1}
	// 30 tokens, C=8, s=8: windows [0,8) [8,16) [16,24) [24,29) -> 3 full
	// windows in batches of 2, then the short one alone.
	if _, err := Perplexity(lm, randStream(30, 10, 3), Options{Batch: 2}); err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{2, 8}, {1, 8}, {1, 5}}
	if len(lm.calls) != len(want) {
		t.Fatalf("calls %v, want %v", lm.calls, want)
	}
	for i := range want {
		if lm.calls[i] != want[i] {
			t.Fatalf("calls %v, want %v", lm.calls, want)
		}
	}
}

func TestCompareIdenticalModels(t *testing.T) {
	lm := &hashLM{v: 64, maxT: 16, seed: 3, scale: 4}
	s := randStream(200, 64, 9)
	c, err := Compare(lm, lm, s, Options{Stride: 5})
	if err != nil {
		t.Fatal(err)
	}
	if c.Agreement != 1 || c.KL > 1e-12 || c.ReverseKL > 1e-12 || c.P != c.Q {
		t.Errorf("identical models: %+v", c)
	}
	r, _ := Perplexity(lm, s, Options{Stride: 5})
	if r != c.P {
		t.Errorf("Compare's P %+v differs from Perplexity %+v", c.P, r)
	}
}

// P uniform, Q puts logit a on token (id+1) mod V: KL(P||Q) = sum_v (1/V)
// (ln(1/V) - ln q_v) and KL(Q||P) = sum_v q_v (ln q_v - ln(1/V)).
func TestCompareKnownKL(t *testing.T) {
	const v = 16
	for _, a := range []float32{2, -1.5} {
		p, q := uniformLM{v, 8}, nextLM{v: v, maxT: 8, a: a}
		c, err := Compare(p, q, seqStream(50, v), Options{})
		if err != nil {
			t.Fatal(err)
		}
		z := math.Exp(float64(a)) + v - 1
		q1, q0 := math.Exp(float64(a))/z, 1/z
		kl := (math.Log(1.0/v)-math.Log(q1))/v + (v-1)*(math.Log(1.0/v)-math.Log(q0))/v
		rkl := q1*(math.Log(q1)-math.Log(1.0/v)) + (v-1)*q0*(math.Log(q0)-math.Log(1.0/v))
		if math.Abs(c.KL-kl) > 1e-6 || math.Abs(c.ReverseKL-rkl) > 1e-6 {
			t.Errorf("a=%g: KL %g reverse %g, want %g %g", a, c.KL, c.ReverseKL, kl, rkl)
		}
		if math.Abs(c.P.PPL-v) > 1e-9 || math.Abs(c.Q.NLL+math.Log(q1)) > 1e-6 {
			t.Errorf("a=%g: PPLs %+v %+v", a, c.P, c.Q)
		}
		// Uniform P's argmax is token 0 (ties go to the lowest id); Q's is
		// the next token when a > 0 and otherwise token 0 or 1 — so the
		// agreement is the fraction of rows where those coincide.
		if a > 0 && math.Abs(c.Agreement-1.0/v) > 0.05 {
			t.Errorf("a=%g: agreement %g", a, c.Agreement)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	s := randStream(20, 10, 1)
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"context too long", func() error { _, err := Perplexity(uniformLM{10, 8}, s, Options{Context: 9}); return err }, "context length 9"},
		{"stride", func() error { _, err := Perplexity(uniformLM{10, 8}, s, Options{Stride: 9}); return err }, "stride 9"},
		{"token id", func() error { _, err := Perplexity(uniformLM{5, 8}, s, Options{}); return err }, "outside the vocabulary"},
		{"vocab mismatch", func() error { _, err := Compare(uniformLM{10, 8}, uniformLM{11, 8}, s, Options{}); return err }, "vocabulary sizes differ"},
		{"nan", func() error {
			_, err := Perplexity(nextLM{v: 10, maxT: 8, a: float32(math.NaN())}, s, Options{})
			return err
		}, "non-finite logits"},
		{"empty", func() error { _, err := Perplexity(uniformLM{10, 8}, corpus.NewStream(nil), Options{}); return err }, "nothing to score"},
	} {
		err := tc.run()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestProgressReportsEveryTarget(t *testing.T) {
	var last, calls int
	o := Options{Context: 8, Stride: 3, Batch: 2, Progress: func(done, total int) {
		if done < last || total != 99 {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
		calls++
	}}
	if _, err := Perplexity(uniformLM{10, 8}, randStream(100, 10, 2), o); err != nil {
		t.Fatal(err)
	}
	if last != 99 || calls < 2 {
		t.Errorf("progress ended at %d after %d calls", last, calls)
	}
}
