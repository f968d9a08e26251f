package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/distill-dev/distill/generate"
	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// storiesRef is ref_once_upon.json and its logits.
type storiesRef struct {
	Prompt    string  `json:"prompt"`
	PromptIDs []int32 `json:"prompt_ids"`
	Tokens    []int32 `json:"tokens"`
	Text      string  `json:"text"`
	Shape     [2]int  `json:"logits_shape"`
	logits    []float32
}

func loadStoriesRef(t *testing.T, dir string) *storiesRef {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(dir, "ref_once_upon.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r storiesRef
	if err := json.Unmarshal(js, &r); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "ref_once_upon.f32"))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*r.Shape[0]*r.Shape[1] {
		t.Fatalf("ref_once_upon.f32: %d bytes for shape %v", len(raw), r.Shape)
	}
	r.logits = make([]float32, len(raw)/4)
	for i := range r.logits {
		r.logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return &r
}

// TestStories260KParity is the key check: the real stories260K
// model, as llama2.c .bin and as GGUF, tokenizes the prompt to the
// reference ids, matches every float64 reference logit within 1e-4, and
// reproduces the 60-token greedy continuation exactly.
func TestStories260KParity(t *testing.T) {
	data := filepath.Join(formattest.SharedData(t), "stories260K")
	ref := loadStoriesRef(t, data)
	b := cpu.New(runtime.GOMAXPROCS(0))
	for _, tc := range []struct {
		file   string
		opts   LoadOptions
		format string
	}{
		{"stories260K.bin", LoadOptions{Tokenizer: filepath.Join(data, "tok512.bin")}, FormatLlama2C},
		{"stories260K.bin", LoadOptions{}, FormatLlama2C}, // finds tok512.bin beside it
		{"stories260K.gguf", LoadOptions{}, FormatGGUF},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tt, err := Load(filepath.Join(data, tc.file), b, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer tt.Close()
			if tt.Format != tc.format || tt.Tokenizer == nil {
				t.Fatalf("format %q, tokenizer %v", tt.Format, tt.Tokenizer)
			}
			if ids := tt.Tokenizer.Encode(ref.Prompt, false, false); !slices.Equal(ids, ref.PromptIDs) {
				t.Errorf("prompt ids %v, want %v", ids, ref.PromptIDs)
			}
			T, V := ref.Shape[0], ref.Shape[1]
			if tt.Model.VocabSize() != V {
				t.Fatalf("vocab %d, want %d", tt.Model.VocabSize(), V)
			}
			got := tt.Model.Logits(nil, ref.Tokens, 1, T)
			worst, at := 0.0, 0
			for i := range got {
				if d := math.Abs(float64(got[i] - ref.logits[i])); d > worst || math.IsNaN(d) {
					worst, at = d, i
				}
			}
			if worst > 1e-4 {
				t.Errorf("max |logit - reference| = %g > 1e-4 at position %d, token %d", worst, at/V, at%V)
			}
			t.Logf("%s: max |logit - float64 reference| = %.3g", tc.file, worst)
			n := len(ref.Tokens) - len(ref.PromptIDs) - 1
			ids, text, _, err := generate.Text(tt.Model, tt.Tokenizer, ref.Prompt, generate.Options{MaxTokens: n, IgnoreEOS: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, ref.Tokens) {
				t.Errorf("greedy ids\n%v\nwant\n%v", ids, ref.Tokens)
			}
			if text != ref.Text {
				t.Errorf("greedy text\n%q\nwant\n%q", text, ref.Text)
			}
		})
	}
}

// TestStories260KInspect checks Inspect on the real files: 260,032
// parameters (the README's 264,128 float32 values include two unused RoPE
// tables of 512 x 4), all F32.
func TestStories260KInspect(t *testing.T) {
	data := filepath.Join(formattest.SharedData(t), "stories260K")
	for _, file := range []string{"stories260K.bin", "stories260K.gguf"} {
		info, err := Inspect(filepath.Join(data, file))
		if err != nil {
			t.Fatal(err)
		}
		c := info.Config
		params := 260032
		if !c.TiedEmbeddings { // the GGUF file stores output.weight separately
			params += 512 * 64
		}
		if info.NumParams != params || c.Dim != 64 || c.NLayers != 5 || c.NKVHeads != 4 || c.VocabSize != 512 {
			t.Errorf("%s: %d params, config %s", file, info.NumParams, c)
		}
		var n int64
		for _, ti := range info.Tensors {
			if ti.DType.String() != "F32" || !ti.Supported {
				t.Errorf("%s: tensor %s has dtype %s", file, ti.Name, ti.FileType)
			}
			n += ti.Bytes
		}
		if want := int64(4 * params); n != info.TotalBytes || n != want {
			t.Errorf("%s: tensors sum to %d bytes, TotalBytes %d, want %d", file, n, info.TotalBytes, want)
		}
	}
}

// TestGPT2GenerateRealTokenizer loads a random GPT-2 (HF layout, vocab
// padded to 50304 as llm.c does) with the real GPT-2 tokenizer from
// ../shared/data/gpt2-bpe: no BOS is prepended, sampling never leaves the
// tokenizer's 50257 ids, and the streamed pieces add up to the text.
func TestGPT2GenerateRealTokenizer(t *testing.T) {
	bpe := filepath.Join(formattest.SharedData(t), "gpt2-bpe")
	cfg := model.Config{Arch: model.ArchGPT2, Dim: 16, HiddenDim: 32, NLayers: 1, NHeads: 2, NKVHeads: 2,
		VocabSize: 50304, MaxSeqLen: 64, NormEps: 1e-5, TiedEmbeddings: true, BOS: 50256, EOS: 50256}
	b := cpu.New(2)
	dir := t.TempDir()
	writeHF(t, dir, cfg, model.EncodeParams("memory", cfg, b, model.RandomParams(cfg, 5), kernels.BF16), 0)
	tt, err := Load(dir, b, LoadOptions{Tokenizer: filepath.Join(bpe, "encoder.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer tt.Close()
	var pieces string
	ids, text, _, err := generate.Text(tt.Model, tt.Tokenizer, "Hello world", generate.Options{MaxTokens: 40, Temperature: 5, Seed: 1, IgnoreEOS: true},
		func(p string) { pieces += p })
	if err != nil {
		t.Fatal(err)
	}
	prompt := generate.PromptIDs(tt.Tokenizer, "Hello world", generate.Options{})
	if want := []int32{15496, 995}; !slices.Equal(prompt, want) || !slices.Equal(ids[:2], want) {
		t.Errorf("prompt ids %v, want %v (no BOS)", ids[:2], want)
	}
	for _, id := range ids {
		if id >= 50257 {
			t.Errorf("generated id %d beyond the tokenizer", id)
		}
	}
	if text != "Hello world"+pieces {
		t.Errorf("text %q != prompt + pieces %q", text, pieces)
	}
}
