package generate

import (
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
	"github.com/distill-dev/distill/tokenizer/tokenizertest"
)

// tinyModel is a random Llama model with tokenizertest.Tiny's tokenizer.
type tinyModel struct {
	Model     *model.Model
	Tokenizer tokenizer.Tokenizer
}

func tinyTeacher(t testing.TB) *tinyModel {
	t.Helper()
	cfg := model.Config{Arch: model.ArchLlama, Dim: 32, HiddenDim: 48, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 300, MaxSeqLen: 64, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}
	b := cpu.New(2)
	tok, err := tokenizer.FromVocab("tiny", tokenizertest.Tiny(cfg.VocabSize))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cfg, b, model.EncodeParams("tiny", cfg, b, model.RandomParams(cfg, 3), kernels.F32))
	if err != nil {
		t.Fatal(err)
	}
	return &tinyModel{Model: m, Tokenizer: tok}
}

func TestGenerateGreedyMatchesFullForward(t *testing.T) {
	tt := tinyTeacher(t)
	var pieces []string
	ids, text, _, err := Text(tt.Model, tt.Tokenizer, "the tea", Options{MaxTokens: 20, IgnoreEOS: true}, func(p string) { pieces = append(pieces, p) })
	if err != nil {
		t.Fatal(err)
	}
	prompt := tt.Tokenizer.Encode("the tea", true, false)
	if !slices.Equal(ids[:len(prompt)], prompt) || len(ids) != len(prompt)+20 {
		t.Fatalf("ids %v do not start with the prompt %v or have the wrong length", ids, prompt)
	}
	// Each generated token is the argmax of a cache-free forward over its prefix.
	m, V := tt.Model, tt.Model.VocabSize()
	for i := len(prompt); i < len(ids); i++ {
		logits := m.Logits(nil, ids[:i], 1, i)
		last := logits[(i-1)*V:]
		best := 0
		for v := range last {
			if last[v] > last[best] {
				best = v
			}
		}
		if int32(best) != ids[i] {
			t.Fatalf("token %d: generated %d, full forward argmax %d", i, ids[i], best)
		}
	}
	if want := tt.Tokenizer.Decode(prompt) + strings.Join(pieces, ""); text != want || len(pieces) != 20 {
		t.Errorf("text %q, want decoded prompt + %d pieces = %q", text, len(pieces), want)
	}
}

func TestGenerateSeeded(t *testing.T) {
	tt := tinyTeacher(t)
	gen := func(o Options) []int32 {
		o.MaxTokens, o.IgnoreEOS = 30, true
		ids, _, _, err := Text(tt.Model, tt.Tokenizer, "a", o, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	a := gen(Options{Temperature: 1.5, Seed: 7})
	if b := gen(Options{Temperature: 1.5, Seed: 7}); !slices.Equal(a, b) {
		t.Errorf("same seed, different tokens:\n%v\n%v", a, b)
	}
	if c := gen(Options{Temperature: 1.5, Seed: 8}); slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 gave the same 30 tokens")
	}
	if p, g := gen(Options{Temperature: 1, TopP: 1e-6, Seed: 1}), gen(Options{}); !slices.Equal(p, g) {
		t.Errorf("top-p 1e-6 should be greedy:\n%v\n%v", p, g)
	}
	prompt := PromptIDs(tt.Tokenizer, "a", Options{})
	for _, id := range gen(Options{Temperature: 2, Seed: 3, VocabLimit: 270})[len(prompt):] {
		if id >= 270 {
			t.Errorf("VocabLimit 270: generated id %d", id)
		}
	}
}

func TestGenerateIDsStopsAtEOS(t *testing.T) {
	tt := tinyTeacher(t)
	prompt := []int32{1, 270, 280}
	all, why, err := IDs(tt.Model, prompt, Options{MaxTokens: 5}, nil)
	if err != nil || why != StopMaxTokens {
		t.Fatalf("%v, %v", why, err)
	}
	stop := all[len(prompt)+1] // pretend the second new token ends the text
	got, why, err := IDs(tt.Model, prompt, Options{MaxTokens: 5, Stop: []int32{299, stop}}, nil)
	if err != nil || why != StopEOS {
		t.Fatalf("%v, %v", why, err)
	}
	end := len(prompt)
	for all[end] != stop {
		end++
	}
	if want := all[:end+1]; !slices.Equal(got, want) {
		t.Errorf("stopping at %d: got %v, want %v", stop, got, want)
	}
	// IgnoreEOS goes on past it.
	if got, why, err := IDs(tt.Model, prompt, Options{MaxTokens: 5, Stop: []int32{stop}, IgnoreEOS: true}, nil); err != nil || why != StopMaxTokens || !slices.Equal(got, all) {
		t.Errorf("IgnoreEOS: %v (%s, %v), want %v", got, why, err, all)
	}
	// Filling the context: MaxTokens 0 generates until MaxSeqLen.
	full, why, err := IDs(tt.Model, prompt, Options{}, nil)
	if err != nil || len(full) != tt.Model.MaxSeqLen() || why != StopContext {
		t.Errorf("until full: %d tokens, err %v; want %d", len(full), err, tt.Model.MaxSeqLen())
	}
	for _, bad := range []struct {
		ids  []int32
		opts Options
		want string
	}{
		{nil, Options{}, "empty prompt"},
		{[]int32{1, 999}, Options{}, "outside the vocabulary"},
		{make([]int32, 64), Options{}, "no room"},
		{prompt, Options{Temperature: -1}, "temperature"},
	} {
		if _, _, err := IDs(tt.Model, bad.ids, bad.opts, nil); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("IDs(%v, %+v) err = %v, want %q", bad.ids, bad.opts, err, bad.want)
		}
	}
}

// TestHugeClaimedContext: a model whose header claims a context of 2^40
// positions generates with a cache sized for prompt + MaxTokens, and
// "until the context is full" is refused with a message instead of
// allocating terabytes.
func TestHugeClaimedContext(t *testing.T) {
	tt := tinyTeacher(t)
	tt.Model.Config.MaxSeqLen = 1 << 40
	ids, _, _, err := Text(tt.Model, tt.Tokenizer, "the tea", Options{MaxTokens: 5, IgnoreEOS: true}, nil)
	if err != nil || len(ids) != len(PromptIDs(tt.Tokenizer, "the tea", Options{}))+5 {
		t.Fatalf("MaxTokens 5: %d ids, %v", len(ids), err)
	}
	_, _, _, err = Text(tt.Model, tt.Tokenizer, "the tea", Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), "generating until it is full") || !strings.Contains(err.Error(), "KV cache") {
		t.Fatalf("MaxTokens 0 with a 2^40 context: %v", err)
	}
}
