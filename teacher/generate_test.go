package teacher

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/teacher/tokenizer"
)

// tinyVocab is a llama-style vocabulary: <unk>, <s>, </s>, the 256 byte
// tokens, then a few pieces, n tokens in all.
func tinyVocab(n int) *tokenizer.Vocab {
	v := &tokenizer.Vocab{Model: tokenizer.ModelLlama, BOS: 1, EOS: 2, UNK: 0, PAD: -1, AddBOS: true}
	add := func(s string, typ tokenizer.TokenType) {
		v.Tokens = append(v.Tokens, s)
		v.Types = append(v.Types, typ)
		v.Scores = append(v.Scores, float32(-len(v.Tokens)))
	}
	add("<unk>", tokenizer.TokenUnknown)
	add("<s>", tokenizer.TokenControl)
	add("</s>", tokenizer.TokenControl)
	for i := range 256 {
		add(fmt.Sprintf("<0x%02X>", i), tokenizer.TokenByte)
	}
	pieces := []string{"▁", "e", "t", "a", "o", "n", "▁t", "he", "▁the", "▁a", "in", "s", "r", "d"}
	for i := 0; len(v.Tokens) < n; i++ {
		p := pieces[i%len(pieces)]
		if i >= len(pieces) {
			p = fmt.Sprintf("%s%d", p, i)
		}
		add(p, tokenizer.TokenNormal)
	}
	return v
}

// tinyTeacher is a random Llama model with tinyVocab's tokenizer.
func tinyTeacher(t testing.TB) *Teacher {
	t.Helper()
	cfg := model.Config{Arch: model.ArchLlama, Dim: 32, HiddenDim: 48, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 300, MaxSeqLen: 64, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}
	b := cpu.New(2)
	tok, err := tokenizer.FromVocab("tiny", tinyVocab(cfg.VocabSize))
	if err != nil {
		t.Fatal(err)
	}
	return &Teacher{Model: randomModel(t, cfg, b, 3), Tokenizer: tok, Config: cfg}
}

func TestGenerateGreedyMatchesFullForward(t *testing.T) {
	tt := tinyTeacher(t)
	var pieces []string
	ids, text, err := Generate(tt, "the tea", GenerateOptions{MaxTokens: 20, IgnoreEOS: true}, func(p string) { pieces = append(pieces, p) })
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
	gen := func(o GenerateOptions) []int32 {
		o.MaxTokens, o.IgnoreEOS = 30, true
		ids, _, err := Generate(tt, "a", o, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	a := gen(GenerateOptions{Temperature: 1.5, Seed: 7})
	if b := gen(GenerateOptions{Temperature: 1.5, Seed: 7}); !slices.Equal(a, b) {
		t.Errorf("same seed, different tokens:\n%v\n%v", a, b)
	}
	if c := gen(GenerateOptions{Temperature: 1.5, Seed: 8}); slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 gave the same 30 tokens")
	}
	if p, g := gen(GenerateOptions{Temperature: 1, TopP: 1e-6, Seed: 1}), gen(GenerateOptions{}); !slices.Equal(p, g) {
		t.Errorf("top-p 1e-6 should be greedy:\n%v\n%v", p, g)
	}
	prompt := PromptIDs(tt.Tokenizer, "a", GenerateOptions{})
	for _, id := range gen(GenerateOptions{Temperature: 2, Seed: 3, VocabLimit: 270})[len(prompt):] {
		if id >= 270 {
			t.Errorf("VocabLimit 270: generated id %d", id)
		}
	}
}

func TestGenerateIDsStopsAtEOS(t *testing.T) {
	tt := tinyTeacher(t)
	prompt := []int32{1, 270, 280}
	all, err := GenerateIDs(tt.Model, prompt, -1, GenerateOptions{MaxTokens: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := all[len(prompt)+1] // pretend the second new token is EOS
	got, err := GenerateIDs(tt.Model, prompt, stop, GenerateOptions{MaxTokens: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	end := len(prompt)
	for all[end] != stop {
		end++
	}
	if want := all[:end+1]; !slices.Equal(got, want) {
		t.Errorf("stopping at %d: got %v, want %v", stop, got, want)
	}
	// Filling the context: MaxTokens 0 generates until MaxSeqLen.
	full, err := GenerateIDs(tt.Model, prompt, -1, GenerateOptions{}, nil)
	if err != nil || len(full) != tt.Model.MaxSeqLen() {
		t.Errorf("until full: %d tokens, err %v; want %d", len(full), err, tt.Model.MaxSeqLen())
	}
	for _, bad := range []struct {
		ids  []int32
		opts GenerateOptions
		want string
	}{
		{nil, GenerateOptions{}, "empty prompt"},
		{[]int32{1, 999}, GenerateOptions{}, "outside the vocabulary"},
		{make([]int32, 64), GenerateOptions{}, "no room"},
		{prompt, GenerateOptions{Temperature: -1}, "temperature"},
	} {
		if _, err := GenerateIDs(tt.Model, bad.ids, -1, bad.opts, nil); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("GenerateIDs(%v, %+v) err = %v, want %q", bad.ids, bad.opts, err, bad.want)
		}
	}
}
