package quant

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
	"github.com/distill-dev/distill/model"
)

func TestParseMethod(t *testing.T) {
	for _, tc := range []struct {
		name    string
		base    kernels.DType
		family  string
		gptq    bool
		act     bool
		wantErr bool
	}{
		{"q4_k_m", kernels.Q4_K, FamilyGGUF, false, false, false},
		{"Q8_0", kernels.Q8_0, FamilyGGUF, false, false, false},
		{"int8", kernels.I8CH, FamilyDistill, false, false, false},
		{"int4-g128", kernels.I4S_G128, FamilyDistill, false, false, false},
		{"int4a-g32", kernels.I4A_G32, FamilyDistill, false, false, false},
		{"gptq-int4", kernels.I4S_G128, FamilyDistill, true, false, false},
		{"gptq-int4-g32-act", kernels.I4S_G32, FamilyDistill, true, true, false},
		{"f16", kernels.F16, FamilyFloat, false, false, false},
		{"int4-g16", 0, "", false, false, true},
		{"gptq-int4a-g32", 0, "", false, false, true},
		{"q5_k", kernels.Q5_K, FamilyGGUF, false, false, false},
		{"q5_0", kernels.Q5_0, FamilyGGUF, false, false, false},
		{"iq2_xs", 0, "", false, false, true},
	} {
		m, err := ParseMethod(tc.name)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseMethod(%q): err = %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err == nil && (m.Base != tc.base || m.Family != tc.family || m.GPTQ != tc.gptq || m.ActOrder != tc.act) {
			t.Errorf("ParseMethod(%q) = %+v", tc.name, m)
		}
	}
	for _, n := range MethodNames {
		if _, err := ParseMethod(n); err != nil {
			t.Errorf("listed method %q does not parse: %v", n, err)
		}
	}
}

func TestUseMoreBits(t *testing.T) {
	// llama.cpp on a 32-layer model: layers 0-3 and 28-31, and every third
	// from 6 (i - 4 = 2 mod 3).
	var got []int
	for i := range 32 {
		if useMoreBits(i, 32) {
			got = append(got, i)
		}
	}
	want := []int{0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31}
	if len(got) != len(want) {
		t.Fatalf("use_more_bits(·, 32) = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("use_more_bits(·, 32) = %v, want %v", got, want)
		}
	}
}

func llamaConfig(dim, hidden, layers int, tied bool) model.Config {
	return model.Config{Arch: model.ArchLlama, Dim: dim, HiddenDim: hidden, NLayers: layers, NHeads: 4, NKVHeads: 2,
		VocabSize: 300, MaxSeqLen: 64, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: tied, BOS: 1, EOS: 2}
}

func TestPlanQ4KM(t *testing.T) {
	cfg := llamaConfig(256, 512, 8, false)
	m, _ := ParseMethod("q4_k_m")
	p, err := NewPlan(cfg, m, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]kernels.DType{
		"token_embd.weight": kernels.Q4_K, "output.weight": kernels.Q6_K, "output_norm.weight": kernels.F32,
		"blk.0.attn_v.weight": kernels.Q6_K, "blk.1.attn_v.weight": kernels.Q4_K, "blk.3.attn_v.weight": kernels.Q6_K,
		"blk.6.ffn_down.weight": kernels.Q6_K, "blk.7.ffn_down.weight": kernels.Q6_K, "blk.4.ffn_down.weight": kernels.Q4_K,
		"blk.0.attn_q.weight": kernels.Q4_K, "blk.0.ffn_gate.weight": kernels.Q4_K, "blk.0.attn_norm.weight": kernels.F32,
	}
	for name, dt := range want {
		if got, _ := p.DType(name); got != dt {
			t.Errorf("%s: %s, want %s", name, got, dt)
		}
	}
	// stories260K's shapes: rows of 64 and 172 fit no k-quant.
	small := llamaConfig(64, 172, 5, true)
	p, err = NewPlan(small, m, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, dt := range map[string]kernels.DType{
		"token_embd.weight": kernels.Q8_0, "blk.0.attn_q.weight": kernels.Q5_0, "blk.2.attn_v.weight": kernels.Q8_0,
		"blk.1.attn_v.weight": kernels.Q5_0, "blk.0.ffn_down.weight": kernels.F16,
	} {
		if got, _ := p.DType(name); got != dt {
			t.Errorf("260K-shaped %s: %s, want %s", name, got, dt)
		}
	}
	// int4 falls back to I8CH, keeps the embedding, honours overrides.
	m, _ = ParseMethod("int4-g32")
	p, err = NewPlan(small, m, PlanOptions{Overrides: []Override{{"blk.4.attn_[qk].weight", kernels.Q8_0}}})
	if err != nil {
		t.Fatal(err)
	}
	for name, dt := range map[string]kernels.DType{
		"token_embd.weight": kernels.F32, "blk.0.attn_q.weight": kernels.I4S_G32, "blk.0.ffn_down.weight": kernels.I8CH,
		"blk.4.attn_q.weight": kernels.Q8_0,
	} {
		if got, _ := p.DType(name); got != dt {
			t.Errorf("int4-g32 %s: %s, want %s", name, got, dt)
		}
	}
	if _, err := NewPlan(small, m, PlanOptions{Overrides: []Override{{"blk.0.ffn_down.weight", kernels.Q4_0}}}); err == nil {
		t.Error("override to a type the row does not fit: no error")
	}
}

func randMatrix(r *rand.Rand, n, k int) []float32 {
	w := make([]float32, n*k)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	return w
}

func encodeRows(dt kernels.DType, w []float32, n, k int) []byte {
	rb, _ := dt.RowBytes(k)
	out := make([]byte, n*rb)
	for r := 0; r < n; r++ {
		qblock.EncodeRow(dt, out[r*rb:(r+1)*rb], w[r*k:(r+1)*k])
	}
	return out
}

// With H = I no error propagates: GPTQ is round to nearest on the grid
// the type's encoder chooses for each block, and for the int4 groups (whose
// encoder rounds to the nearest level) EncodeRow byte for byte.
func TestGPTQIdentityIsRTN(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dt := range GPTQTypes() {
		n, k := 7, 512
		w := randMatrix(r, n, k)
		h := make([]float64, k*k)
		for i := 0; i < k; i++ {
			h[i*k+i] = 1
		}
		got, err := GPTQMatrix(w, n, k, h, dt, nil, GPTQOptions{PercDamp: 1e-12})
		if err != nil {
			t.Fatal(err)
		}
		want := encodeRows(dt, w, n, k)
		if !isGGML(dt) {
			if !bytes.Equal(got, want) {
				t.Errorf("%s: GPTQ with H = I differs from EncodeRow", dt)
			}
			continue
		}
		// Reference: each block's grid from EncodeRow, every weight rounded
		// to its nearest level.
		bs := dt.BlockSize()
		bb, _ := dt.RowBytes(bs)
		for b := 0; b < n*k/bs; b++ {
			g := qblock.ReadGrid(dt, want[b*bb:(b+1)*bb])
			q := make([]uint8, bs)
			for j := range q {
				q[j] = g.Quantize(j, w[b*bs+j])
			}
			g.Encode(want[b*bb:(b+1)*bb], q)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: GPTQ with H = I is not round to nearest on the encoder's grids", dt)
		}
	}
}

func isGGML(dt kernels.DType) bool {
	return dt != kernels.I4S_G32 && dt != kernels.I4S_G64 && dt != kernels.I4S_G128
}

// outputError is ||(W - deq(Q)) X^T||^2 over the rows of x.
func outputError(dt kernels.DType, w []float32, q []byte, n, k int, x []float32) float64 {
	rb, _ := dt.RowBytes(k)
	deq := make([]float32, k)
	var sum float64
	for r := 0; r < n; r++ {
		qblock.DecodeRow(dt, deq, q[r*rb:(r+1)*rb])
		for m := 0; m+k <= len(x); m += k {
			var d float64
			for j := 0; j < k; j++ {
				d += float64(w[r*k+j]-deq[j]) * float64(x[m+j])
			}
			sum += d * d
		}
	}
	return sum
}

// On correlated inputs GPTQ's output error is well below RTN's.
func TestGPTQBeatsRTN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n, k, m := 32, 256, 512
	const dirs = 32 // correlated inputs: 32 directions of decaying strength plus noise
	noise, outlier := 0.3, float32(4)
	w := randMatrix(r, n, k)
	// Inputs: a sample mixes the directions with its own weights z, plus an outlier channel.
	mix := randMatrix(r, dirs, k)
	x := make([]float32, m*k)
	z := make([]float64, dirs)
	for i := 0; i < m; i++ {
		for c := range z {
			z[c] = r.NormFloat64() / float64(c+1)
		}
		for j := 0; j < k; j++ {
			var v float64
			for c, zc := range z {
				v += zc * float64(mix[c*k+j])
			}
			x[i*k+j] = float32(v + noise*r.NormFloat64())
		}
		x[i*k+5] *= outlier
	}
	h := &hessian{k: k, sum: make([]float64, k*k)}
	h.add(x)
	for _, act := range []bool{false, true} {
		for _, dt := range GPTQTypes() {
			q, err := GPTQMatrix(w, n, k, h.matrix(), dt, nil, GPTQOptions{ActOrder: act})
			if err != nil {
				t.Fatal(err)
			}
			eg := outputError(dt, w, q, n, k, x)
			er := outputError(dt, w, encodeRows(dt, w, n, k), n, k, x)
			t.Logf("%s act=%v: GPTQ %.4g, RTN %.4g", dt, act, eg, er)
			if !(eg < 0.5*er) {
				t.Errorf("%s act=%v: GPTQ output error %.4g not well below RTN %.4g", dt, act, eg, er)
			}
		}
	}
}

func TestFactor(t *testing.T) {
	// U^T U must equal H^-1: check H U^T U = I on a random SPD matrix.
	r := rand.New(rand.NewPCG(5, 6))
	k := 20
	a := randMatrix(r, 40, k)
	hs := &hessian{k: k, sum: make([]float64, k*k)}
	hs.add(a)
	h := hs.matrix()
	u, err := gptqFactor(h, k)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			var s float64
			for l := 0; l < k; l++ {
				var inv float64 // (U^T U)[l][j]
				for m := 0; m < k; m++ {
					inv += u[m*k+l] * u[m*k+j]
				}
				s += h[i*k+l] * inv
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(s-want) > 1e-8 {
				t.Fatalf("(H U^T U)[%d][%d] = %g, want %g", i, j, s, want)
			}
		}
	}
	if _, err := gptqFactor(make([]float64, 4), 2); err == nil {
		t.Error("zero matrix factored without error")
	}
}

// stringsBuilder is a strings.Builder usable as an io.Writer in tests.
type stringsBuilder = bytes.Buffer

// countLM returns logits equal to the ids and counts its calls.
type countLM struct{ calls int }

func (c *countLM) Logits(dst []float32, ids []int32, B, T int) []float32 {
	c.calls++
	dst = dst[:0]
	for _, id := range ids {
		dst = append(dst, float32(id))
	}
	return dst
}
func (c *countLM) VocabSize() int { return 1 }
func (c *countLM) MaxSeqLen() int { return 8 }

// cachedLM replays a repeated call sequence, recomputes past its budget
// and on different ids.
func TestCachedLM(t *testing.T) {
	inner := &countLM{}
	c := &cachedLM{LM: inner, budget: 8} // two logits fit
	for pass := 0; pass < 2; pass++ {
		c.next = 0
		for _, ids := range [][]int32{{1, 2}, {3, 4}} {
			if got := c.Logits(nil, ids, 1, 2); got[0] != float32(ids[0]) || got[1] != float32(ids[1]) {
				t.Fatalf("pass %d: logits %v for ids %v", pass, got, ids)
			}
		}
	}
	if inner.calls != 3 { // {1,2} once, {3,4} twice (over budget)
		t.Errorf("%d inner calls, want 3", inner.calls)
	}
	c.next = 0
	if got := c.Logits(nil, []int32{9, 9}, 1, 2); got[0] != 9 {
		t.Errorf("different ids replayed the cache: %v", got)
	}
}
