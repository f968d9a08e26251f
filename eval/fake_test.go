package eval

import (
	"github.com/distill-dev/distill/corpus"
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// uniformLM gives every token the same logit: p = 1/V everywhere.
type uniformLM struct{ v, maxT int }

func (m uniformLM) VocabSize() int { return m.v }
func (m uniformLM) MaxSeqLen() int { return m.maxT }
func (m uniformLM) Logits(dst []float32, ids []int32, B, T int) []float32 {
	checkCall(ids, B, T, m.maxT)
	dst = grow(dst, B*T*m.v)
	clear(dst)
	return dst
}

// nextLM puts logit a on token (id+1) mod V and 0 on the rest, so on a
// stream where each token is its predecessor plus one it assigns the right
// token probability p = e^a / (e^a + V - 1).
type nextLM struct {
	v, maxT int
	a       float32
}

func logitFor(p float64, v int) float32 { return float32(math.Log(p * float64(v-1) / (1 - p))) }

func (m nextLM) VocabSize() int { return m.v }
func (m nextLM) MaxSeqLen() int { return m.maxT }
func (m nextLM) Logits(dst []float32, ids []int32, B, T int) []float32 {
	checkCall(ids, B, T, m.maxT)
	dst = grow(dst, B*T*m.v)
	clear(dst)
	for r, id := range ids {
		dst[r*m.v+(int(id)+1)%m.v] = m.a
	}
	return dst
}

// hashLM is a causal fake whose logits at each position are pseudo-random
// numbers seeded by a hash of the window's tokens up to that position, so
// any mistake in which history a row is computed from changes the result.
// It records the calls it gets.
type hashLM struct {
	v, maxT int
	seed    uint64
	scale   float32
	calls   [][2]int // B, T of each call
}

func (m *hashLM) VocabSize() int { return m.v }
func (m *hashLM) MaxSeqLen() int { return m.maxT }
func (m *hashLM) Logits(dst []float32, ids []int32, B, T int) []float32 {
	checkCall(ids, B, T, m.maxT)
	m.calls = append(m.calls, [2]int{B, T})
	dst = grow(dst, B*T*m.v)
	for b := range B {
		h := fnv.New64a()
		for t := range T {
			id := ids[b*T+t]
			h.Write([]byte{byte(id), byte(id >> 8), byte(id >> 16), byte(id >> 24)})
			rng := rand.New(rand.NewPCG(h.Sum64(), m.seed))
			row := dst[(b*T+t)*m.v : (b*T+t+1)*m.v]
			for v := range row {
				row[v] = m.scale * float32(rng.NormFloat64())
			}
		}
	}
	return dst
}

func checkCall(ids []int32, B, T, maxT int) {
	if len(ids) != B*T || T < 1 || T > maxT {
		panic("fake LM: bad call")
	}
}

func grow(dst []float32, n int) []float32 {
	if cap(dst) < n {
		return make([]float32, n)
	}
	return dst[:n]
}

// naivePerplexity is the reference: for every scored target it finds the
// window the package documentation assigns it to, runs the model on exactly
// that window alone, and takes -log softmax in float64 the plain way.
func naivePerplexity(lm LM, s corpus.Stream, c, st int) (nll float64, n int) {
	N := len(s.IDs)
	for p := 1; p < N; p++ {
		if s.Target != nil && !s.Target[p] {
			continue
		}
		b := 0
		for min(b+c, N-1) < p {
			b += st
		}
		e := min(b+c, N-1)
		z := lm.Logits(nil, s.IDs[b:e], 1, e-b)
		v := lm.VocabSize()
		row := z[(p-1-b)*v : (p-b)*v]
		var sum float64
		for _, x := range row {
			sum += math.Exp(float64(x))
		}
		nll += math.Log(sum) - float64(row[s.IDs[p]])
		n++
	}
	return nll / float64(n), n
}
