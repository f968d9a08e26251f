package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	dtok "github.com/distill-dev/distill/tokenizer"
	"github.com/distill-dev/distill/tokenizer/tokenizertest"
)

// familyParityModels are small random models in the real layer structure
// of each family of issue 11. Mistral's window is wider than the test's
// sequences: llama.cpp runs Mistral as a "llama" graph, which has no
// sliding window, so only full-window behaviour can be compared there
// (distill's window itself is checked against the float64 reference in
// package model).
var familyParityModels = []struct {
	name string
	cfg  model.Config
}{
	{"llama3.2", model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 128, NLayers: 2, NHeads: 4, NKVHeads: 2, ExplicitHeadDim: 32,
		VocabSize: 320, MaxSeqLen: 128, NormEps: 1e-5, RopeTheta: 500000, TiedEmbeddings: true, BOS: 1, EOS: 2,
		RopeScaling: model.RopeScaling{Kind: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxSeqLen: 8192}}},
	{"llama-linear", model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 128, NLayers: 2, NHeads: 4, NKVHeads: 4,
		VocabSize: 320, MaxSeqLen: 128, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2, RopeScaling: model.RopeScaling{Kind: "linear", Factor: 4}}},
	{"smollm2-tinyllama", model.Config{Arch: model.ArchLlama, Dim: 72, HiddenDim: 192, NLayers: 3, NHeads: 9, NKVHeads: 3,
		VocabSize: 320, MaxSeqLen: 128, NormEps: 1e-5, RopeTheta: 100000, BOS: 1, EOS: 2}},
	{"qwen2.5", model.Config{Arch: model.ArchQwen2, Dim: 64, HiddenDim: 160, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 320, MaxSeqLen: 128, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf, TiedEmbeddings: true, BOS: 1, EOS: 2}},
	{"qwen3", model.Config{Arch: model.ArchQwen3, Dim: 64, HiddenDim: 160, NLayers: 2, NHeads: 4, NKVHeads: 2, ExplicitHeadDim: 32,
		VocabSize: 320, MaxSeqLen: 128, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf, TiedEmbeddings: true, BOS: 1, EOS: 2}},
	{"mistral", model.Config{Arch: model.ArchMistral, Dim: 64, HiddenDim: 128, NLayers: 2, NHeads: 4, NKVHeads: 1, SlidingWindow: 96,
		VocabSize: 320, MaxSeqLen: 128, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2}},
}

// parityPrompts are token-id prompts (BOS first) given to both engines.
var parityPrompts = [][]int32{{1, 300, 17, 42}, {1, 5}, {1, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269}, {1}}

const parityTokens = 24

// nearTie is the top-2 logit gap (logits of magnitude ~3 to 10) below
// which a divergence from llama.cpp is accepted, with minAgree bounding how
// many there may be. Both engines compute in float32 (the script asks for
// an F32 KV cache and no flash attention); perturbing these models'
// weights by 1e-7 moves their logits by at most 8e-6, so summation order
// alone explains only gaps of about 1e-5. llama.cpp's probabilities then
// give top-2 gaps within 3e-6 of distill's (Qwen3's 2.3e-3 near tie
// after 17 tokens: 1e-6). With flash attention on
// (node-llama-cpp's "auto") llama.cpp's CPU kernel rounds to F16 whatever
// the cache type: gaps moved by ~1e-3 in every family and Qwen3 broke
// that tie the other way. Measured: all 574 tokens agree.
const nearTie = 1e-4

// maxProbDiff bounds |p(llama.cpp) - p(distill)| for the most probable
// tokens of every step both engines agree on: both compute in float32.
const maxProbDiff = 1e-5

// minAgree is the fraction of all continuations' tokens that must agree.
const minAgree = 0.98

// TestLlamaCppFamilies writes a random model of each family as an HF
// checkpoint, converts it with `distill export --format gguf`, checks that
// distill gives bit-identical logits from the HF and the GGUF copy, then
// continues several prompts greedily in distill and in llama.cpp
// (node-llama-cpp's binaries; runs under `make test-llamacpp`): the tokens
// must be identical.
func TestLlamaCppFamilies(t *testing.T) {
	root := os.Getenv("DISTILL_LLAMA_CPP")
	if root == "" {
		t.Skip("DISTILL_LLAMA_CPP is not set: run `make test-llamacpp` to check the families in llama.cpp")
	}
	b := cpu.New(2)
	dir := t.TempDir()
	type specEntry struct {
		Path    string    `json:"path"`
		Prompts [][]int32 `json:"prompts"`
		N       int       `json:"n"`
	}
	var spec []specEntry
	want := map[string][][]int32{}
	gaps := map[string][][]float32{}
	probs := map[string][][][]float64{} // [model][prompt][step][token]
	for i, fm := range familyParityModels {
		cfg := fm.cfg
		tok, err := dtok.FromVocab("tiny", tokenizertest.Tiny(cfg.VocabSize))
		if err != nil {
			t.Fatal(err)
		}
		hf := filepath.Join(dir, fm.name)
		params := model.RandomParams(cfg, uint64(100+i))
		for name, v := range params {
			// Blocks whose outputs outweigh the token's own embedding in
			// the residual: otherwise a tied model's greedy choice is the
			// input token, forever, and the comparison proves little.
			if strings.Contains(name, model.AttnOutput) || strings.Contains(name, model.FFNDown) {
				for j := range v {
					v[j] *= 6
				}
			}
		}
		src := model.EncodeParams("random", cfg, b, params, kernels.F32)
		if err := checkpoint.WriteHF(hf, cfg, src, tok, checkpoint.HFOptions{}); err != nil {
			t.Fatalf("%s: %v", fm.name, err)
		}
		gg := filepath.Join(dir, fm.name+".gguf")
		runReal(t, "export", hf, "--format", "gguf", "--dtype", "f32", "--out", gg)
		fromHF, fromGGUF := loadForParity(t, hf, b), loadForParity(t, gg, b)
		if fromGGUF.Config.Arch != cfg.Arch {
			t.Errorf("%s: the GGUF reads back as %s", fm.name, fromGGUF.Config.Arch)
		}
		ids := parityPrompts[2]
		lh := fromHF.Model.Logits(nil, ids, 1, len(ids))
		lg := fromGGUF.Model.Logits(nil, ids, 1, len(ids))
		for j := range lh {
			if math.Float32bits(lh[j]) != math.Float32bits(lg[j]) {
				t.Fatalf("%s: HF and GGUF logits differ at %d: %g vs %g", fm.name, j, lh[j], lg[j])
			}
		}
		for _, p := range parityPrompts {
			ids, gap, prob := greedyIDs(fromGGUF.Model, p, parityTokens, cfg.EOS)
			want[gg] = append(want[gg], ids)
			gaps[gg] = append(gaps[gg], gap)
			probs[gg] = append(probs[gg], prob)
		}
		spec = append(spec, specEntry{Path: gg, Prompts: parityPrompts, N: parityTokens})
	}
	specPath := filepath.Join(dir, "spec.json")
	js, _ := json.Marshal(spec)
	if err := os.WriteFile(specPath, js, 0o644); err != nil {
		t.Fatal(err)
	}
	out := formattest.RunNodeScript(t, root, filepath.Join("testdata", "llamacpp_tokens.mjs"), llamaCppBudget(t), specPath)
	seen, agreed, total := 0, 0, 0
	maxDP, compared := 0.0, 0
	distinct := map[string][]int32{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct {
			Path   string         `json:"path"`
			Prompt int            `json:"prompt"`
			IDs    []int32        `json:"ids"`
			Probs  [][][2]float64 `json:"probs"` // per step: [id, probability] pairs
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("llama.cpp output %q: %v", sc.Text(), err)
		}
		seen++
		w, gap := want[r.Path][r.Prompt], gaps[r.Path][r.Prompt]
		name := fmt.Sprintf("%s prompt %d", filepath.Base(r.Path), r.Prompt)
		// llama.cpp ends at an end-of-generation token without reporting it.
		if n := len(w); n > 0 && n < parityTokens && len(r.IDs) == n-1 {
			w, gap = w[:n-1], gap[:n-1]
		}
		same := 0
		for same < min(len(r.IDs), len(w)) && r.IDs[same] == w[same] {
			same++
		}
		switch {
		case same == len(w) && len(r.IDs) == len(w):
			t.Logf("%s: %d greedy tokens identical: %v", name, len(w), w)
		case same < len(w) && gap[same] < nearTie:
			// Two float32 engines summing in different orders may break a
			// near tie differently; past it the sequences are unrelated.
			t.Logf("%s: %d greedy tokens identical, then a near tie (distill's top-2 logit gap %.2g)", name, same, gap[same])
		default:
			g := float32(0)
			if same < len(gap) {
				g = gap[same]
			}
			t.Errorf("%s: llama.cpp continues with %v, distill with %v (first difference at %d, distill's top-2 logit gap there %.2g)", name, r.IDs, w, same, g)
		}
		// Where both engines took the same path, llama.cpp's probabilities
		// of its most probable tokens are distill's.
		for step := 0; step < same && step < len(r.Probs); step++ {
			row := probs[r.Path][r.Prompt][step]
			for _, pair := range r.Probs[step] {
				id := int(pair[0])
				if id < 0 || id >= len(row) {
					t.Fatalf("%s: llama.cpp reports token %d, vocabulary %d", name, id, len(row))
				}
				maxDP = max(maxDP, math.Abs(pair[1]-row[id]))
				compared++
			}
		}
		distinct[r.Path] = append(distinct[r.Path], w[:same]...)
		agreed, total = agreed+same, total+len(w)
	}
	t.Logf("%d of %d greedy tokens identical before any divergence", agreed, total)
	t.Logf("max |p(llama.cpp) - p(distill)| over %d top-token probabilities: %.3g", compared, maxDP)
	if compared == 0 || maxDP > maxProbDiff {
		t.Errorf("llama.cpp's probabilities differ from distill's by up to %.3g over %d values (limit %g)", maxDP, compared, maxProbDiff)
	}
	if float64(agreed) < minAgree*float64(total) {
		t.Errorf("only %d of %d greedy tokens agree before the first difference", agreed, total)
	}
	// A model stuck on one token would agree trivially.
	for path, ids := range distinct {
		slices.Sort(ids)
		if n := len(slices.Compact(ids)); n < 8 {
			t.Errorf("%s: only %d distinct tokens in its continuations: the parity check is weak", filepath.Base(path), n)
		}
	}
	if n := len(familyParityModels) * len(parityPrompts); seen != n {
		t.Errorf("llama.cpp reported %d continuations, want %d:\n%s", seen, n, out)
	}
}

func loadForParity(t *testing.T, path string, b kernels.Backend) *checkpoint.Loaded {
	t.Helper()
	l, err := checkpoint.Load(path, b, checkpoint.LoadOptions{NoTokenizer: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// greedyIDs continues prompt with the argmax token n times through the KV
// cache, stopping after eos (llama.cpp's evaluate stops at end of
// generation too), and returns each step's gap between the two largest
// logits and its softmax (computed in float64).
func greedyIDs(m *model.Model, prompt []int32, n int, eos int32) (ids []int32, gaps []float32, probs [][]float64) {
	cache := m.NewKVCache(1, len(prompt)+n)
	logits := m.Backend.ToFloat32(m.Forward(prompt, 1, len(prompt), cache), nil)
	V := m.VocabSize()
	for {
		row := logits[len(logits)-V:]
		next, second := int32(0), float32(math.Inf(-1))
		for j, v := range row {
			if v > row[next] {
				second = row[next]
				next = int32(j)
			} else if j > 0 && v > second {
				second = v
			}
		}
		ids, gaps, probs = append(ids, next), append(gaps, row[next]-second), append(probs, softmax64(row))
		if len(ids) == n || next == eos {
			return ids, gaps, probs
		}
		logits = m.Backend.ToFloat32(m.Forward([]int32{next}, 1, 1, cache), logits)
	}
}

// softmax64 is the softmax of a row of logits in float64.
func softmax64(row []float32) []float64 {
	top := float64(slices.Max(row))
	p := make([]float64, len(row))
	sum := 0.0
	for i, v := range row {
		p[i] = math.Exp(float64(v) - top)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}
