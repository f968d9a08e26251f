package checkpoint

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
	"github.com/distill-dev/distill/tokenizer/tokenizertest"
)

// crossConfigs are the random models written to every format: a Llama
// with GQA and an untied head (vocab large enough for tokenizertest.Tiny), and a
// GPT-2.
var crossConfigs = []model.Config{
	{Arch: model.ArchLlama, Dim: 32, HiddenDim: 72, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 300, MaxSeqLen: 32, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2},
	{Arch: model.ArchGPT2, Dim: 32, HiddenDim: 128, NLayers: 2, NHeads: 4, NKVHeads: 4,
		VocabSize: 300, MaxSeqLen: 32, NormEps: 1e-5, TiedEmbeddings: true, BOS: 299, EOS: 299},
	// Issue 11's families: Llama 3.2 (llama3 RoPE scaling, head_dim
	// wider than dim/heads, tied), Qwen2 (q/k/v biases), Qwen3 (q/k norms,
	// explicit head_dim), Mistral (a window shorter than the batch's 9
	// positions).
	{Arch: model.ArchLlama, Dim: 32, HiddenDim: 72, NLayers: 2, NHeads: 4, NKVHeads: 2, ExplicitHeadDim: 16,
		VocabSize: 300, MaxSeqLen: 32, NormEps: 1e-5, RopeTheta: 500000, TiedEmbeddings: true, BOS: 1, EOS: 2,
		RopeScaling: model.RopeScaling{Kind: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxSeqLen: 8192}},
	{Arch: model.ArchQwen2, Dim: 32, HiddenDim: 72, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 300, MaxSeqLen: 32, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf, TiedEmbeddings: true, BOS: -1, EOS: 2},
	{Arch: model.ArchQwen3, Dim: 32, HiddenDim: 72, NLayers: 2, NHeads: 4, NKVHeads: 2, ExplicitHeadDim: 16,
		VocabSize: 300, MaxSeqLen: 32, NormEps: 1e-6, RopeTheta: 1e6, RopeStyle: kernels.RoPEHalf, BOS: -1, EOS: 2},
	{Arch: model.ArchMistral, Dim: 32, HiddenDim: 72, NLayers: 2, NHeads: 4, NKVHeads: 1, SlidingWindow: 4,
		VocabSize: 300, MaxSeqLen: 32, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2},
}

// crossSeed seeds the random weights of every cross-format model.
const crossSeed = 11

var crossDTypes = []kernels.DType{kernels.F32, kernels.F16, kernels.BF16}

// crossSource is a random model of cfg stored in dt, and its logits on a
// fixed batch computed straight from memory.
func crossSource(t *testing.T, b kernels.Backend, cfg model.Config, dt kernels.DType) (*model.MapSource, []float32) {
	t.Helper()
	src := model.EncodeParams("memory", cfg, b, model.RandomParams(cfg, crossSeed), dt)
	m, err := model.New(cfg, b, src)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	return src, m.Logits(nil, crossIDs(cfg), 2, 9)
}

func crossIDs(cfg model.Config) []int32 {
	ids := make([]int32, 18)
	for i := range ids {
		ids[i] = int32((i*37 + 5) % cfg.VocabSize)
	}
	return ids
}

// writeHF writes src with WriteHF, in one file or in shards of at most
// shardBytes, with tokenizertest.Tiny's tokenizer for Llama.
func writeHF(t *testing.T, dir string, cfg model.Config, src model.TensorSource, shardBytes int64) {
	t.Helper()
	var tok tokenizer.Tokenizer
	if cfg.Arch == model.ArchLlama {
		tok = mustTok(t, tokenizertest.Tiny(cfg.VocabSize))
	}
	if err := WriteHF(dir, cfg, src, tok, HFOptions{ShardBytes: shardBytes}); err != nil {
		t.Fatal(err)
	}
}

// sameBits fails unless got and want are bit-identical.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d logits, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: logit %d = %g, in-memory model %g (not bit-identical)", what, i, got[i], want[i])
		}
	}
}

// loadLogits loads path and returns its logits on crossIDs.
func loadLogits(t *testing.T, path string, b kernels.Backend, cfg model.Config) (*Loaded, []float32) {
	t.Helper()
	tt, err := Load(path, b, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tt.Close() })
	return tt, tt.Model.Logits(nil, crossIDs(cfg), 2, 9)
}

// TestCrossFormatSafetensors writes random Llama and GPT-2 models as HF
// checkpoints (single file and sharded; F32, F16, BF16) and checks that
// each loads back to logits bit-identical to the in-memory model.
func TestCrossFormatSafetensors(t *testing.T) {
	b := cpu.New(2)
	for _, cfg := range crossConfigs {
		for _, dt := range crossDTypes {
			src, want := crossSource(t, b, cfg, dt)
			for _, shardBytes := range []int64{0, 4096} {
				t.Run(fmt.Sprintf("%s/%s/%s/shard%d", cfg.Arch, cfg.RopeScaling.Kind, dt, shardBytes), func(t *testing.T) {
					dir := t.TempDir()
					writeHF(t, dir, cfg, src, shardBytes)
					if _, err := os.Stat(filepath.Join(dir, safetensors.IndexFileName)); (err == nil) != (shardBytes > 0) {
						t.Fatalf("index file: %v with shard size %d", err, shardBytes)
					}
					tt, got := loadLogits(t, dir, b, cfg)
					sameBits(t, dir, got, want)
					if tt.Format != FormatSafetensors || tt.Config.Dim != cfg.Dim {
						t.Errorf("format %q, config %v", tt.Format, tt.Config)
					}
					if (tt.Tokenizer != nil) != (cfg.Arch == model.ArchLlama) {
						t.Errorf("tokenizer %v", tt.Tokenizer)
					}
					if cfg.Arch == model.ArchGPT2 && shardBytes == 0 {
						// Some GPT-2 checkpoints drop the "transformer." prefix.
						rewriteST(t, dir, func(ts []safetensors.Tensor) []safetensors.Tensor {
							for i := range ts {
								ts[i].Name = strings.TrimPrefix(ts[i].Name, "transformer.")
							}
							return ts
						})
						_, got := loadLogits(t, dir, b, cfg)
						sameBits(t, dir+" without prefix", got, want)
					}
					info, err := Inspect(filepath.Join(dir, "config.json"))
					if err != nil {
						t.Fatal(err)
					}
					if info.NumParams != cfg.NumParams() || info.TotalBytes <= 0 || len(info.Tensors) == 0 {
						t.Errorf("Inspect: %d params (want %d), %d bytes, %d tensors", info.NumParams, cfg.NumParams(), info.TotalBytes, len(info.Tensors))
					}
				})
			}
		}
	}
}

// rewriteST rewrites dir/model.safetensors through edit.
func rewriteST(t *testing.T, dir string, edit func([]safetensors.Tensor) []safetensors.Tensor) {
	t.Helper()
	path := filepath.Join(dir, safetensors.SingleFileName)
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, x := range f.Tensors() {
		ts = append(ts, safetensors.Tensor{Name: x.Name, DType: x.DType, Shape: x.Shape, Data: append([]byte(nil), x.Data...)})
	}
	f.Close()
	if err := safetensors.Write(path, edit(ts), nil); err != nil {
		t.Fatal(err)
	}
}

// editTensor applies fn to the named tensor.
func editTensor(name string, fn func(*safetensors.Tensor)) func([]safetensors.Tensor) []safetensors.Tensor {
	return func(ts []safetensors.Tensor) []safetensors.Tensor {
		for i := range ts {
			if ts[i].Name == name {
				fn(&ts[i])
			}
		}
		return ts
	}
}

// TestHFErrors checks that broken HF checkpoints give errors naming the
// file and the tensor, never a panic.
func TestHFErrors(t *testing.T) {
	b := cpu.New(2)
	cfg := crossConfigs[0]
	src, _ := crossSource(t, b, cfg, kernels.F32)
	q0 := "model.layers.0.self_attn.q_proj.weight"
	cases := []struct {
		name string
		edit func(t *testing.T, dir string)
		want []string
	}{
		{"unknown-arch", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"architectures":["BertModel"]}`), 0o644)
		}, []string{"config.json", "unknown architecture"}},
		{"config-shape", func(t *testing.T, dir string) {
			c := cfg
			c.HiddenDim = 70
			js, _ := HFConfigJSON(c)
			os.WriteFile(filepath.Join(dir, "config.json"), js, 0o644)
		}, []string{"model.safetensors", "model.layers.0.mlp.gate_proj.weight", "shape [72 32]", "[70 32]"}},
		{"missing", func(t *testing.T, dir string) {
			rewriteST(t, dir, func(ts []safetensors.Tensor) []safetensors.Tensor {
				var out []safetensors.Tensor
				for _, x := range ts {
					if x.Name != "model.layers.1.mlp.down_proj.weight" {
						out = append(out, x)
					}
				}
				return out
			})
		}, []string{"model.safetensors", "missing tensor model.layers.1.mlp.down_proj.weight"}},
		{"dtype", func(t *testing.T, dir string) {
			rewriteST(t, dir, editTensor(q0, func(x *safetensors.Tensor) { x.DType = "I16"; x.Shape = []int{32, 64} }))
		}, []string{"model.safetensors", q0, "I16"}},
		{"nan", func(t *testing.T, dir string) {
			rewriteST(t, dir, editTensor(q0, func(x *safetensors.Tensor) { copy(x.Data[4*40:], []byte{0, 0, 0xc0, 0x7f}) }))
		}, []string{"model.safetensors", "blk.0.attn_q.weight", "NaN"}},
		{"extra", func(t *testing.T, dir string) {
			rewriteST(t, dir, func(ts []safetensors.Tensor) []safetensors.Tensor {
				return append(ts, safetensors.Tensor{Name: "model.layers.7.mlp.up_proj.weight", DType: "F32", Shape: []int{1}, Data: make([]byte, 4)})
			})
		}, []string{"model.safetensors", "model.layers.7.mlp.up_proj.weight", "layer 7 out of range"}},
		{"no-weights", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, safetensors.SingleFileName))
		}, []string{dir(t)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			writeHF(t, d, cfg, src, 0)
			tc.edit(t, d)
			_, err := Load(d, b, LoadOptions{})
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("err = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func dir(*testing.T) string { return "safetensors" }

// writeGGUF writes src (canonical names) with WriteGGUF, with tokenizertest.Tiny's
// tokenizer embedded for Llama.
func writeGGUF(t *testing.T, path string, cfg model.Config, src *model.MapSource) {
	t.Helper()
	if err := WriteGGUF(path, cfg, src, ggufTestTokenizer(t, cfg), GGUFOptions{}); err != nil {
		t.Fatal(err)
	}
}

func ggufTestTokenizer(t *testing.T, cfg model.Config) tokenizer.Tokenizer {
	if cfg.Arch != model.ArchLlama {
		return nil
	}
	return mustTok(t, tokenizertest.Tiny(cfg.VocabSize))
}

// ggufParts returns the metadata and tensors WriteGGUF writes, for tests
// that edit them before writing.
func ggufParts(t *testing.T, cfg model.Config, src *model.MapSource) ([]gguf.KV, []gguf.Tensor) {
	t.Helper()
	var v *tokenizer.Vocab
	if cfg.Arch == model.ArchLlama {
		v = tokenizertest.Tiny(cfg.VocabSize)
	}
	ts, err := ggufTensors(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := GGUFMetadata(cfg, v, "test", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return kv, ts
}

// TestCrossFormatGGUF writes the same random models as GGUF (F32, F16,
// BF16) and checks bit-identical logits, the embedded tokenizer, and that
// the GGUF and safetensors copies of one model agree.
func TestCrossFormatGGUF(t *testing.T) {
	b := cpu.New(2)
	for _, cfg := range crossConfigs {
		for _, dt := range crossDTypes {
			src, want := crossSource(t, b, cfg, dt)
			t.Run(fmt.Sprintf("%s/%s/%s", cfg.Arch, cfg.RopeScaling.Kind, dt), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "model.gguf")
				writeGGUF(t, path, cfg, src)
				tt, got := loadLogits(t, path, b, cfg)
				sameBits(t, path, got, want)
				if tt.Format != FormatGGUF || tt.Config != cfg {
					t.Errorf("format %q, config\n%+v, want\n%+v", tt.Format, tt.Config, cfg)
				}
				if cfg.Arch == model.ArchLlama {
					if tt.Tokenizer == nil {
						t.Fatal("no embedded tokenizer")
					}
					want := tokenizer.VocabOf(mustTok(t, tokenizertest.Tiny(cfg.VocabSize)))
					if got := tokenizer.VocabOf(tt.Tokenizer); !slices.Equal(got.Tokens, want.Tokens) || got.BOS != want.BOS || !got.AddBOS {
						t.Errorf("embedded vocabulary differs")
					}
				}
			})
		}
	}
}

func mustTok(t *testing.T, v *tokenizer.Vocab) tokenizer.Tokenizer {
	tok, err := tokenizer.FromVocab("test", v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestGGUFFusedQKV writes GPT-2 as llama.cpp does, with q, k, v fused in
// blk.N.attn_qkv and the tied head stored again as output.weight.
func TestGGUFFusedQKV(t *testing.T) {
	b := cpu.New(2)
	cfg := crossConfigs[1]
	src, want := crossSource(t, b, cfg, kernels.F16)
	kv, ts := ggufParts(t, cfg, src)
	var fused []gguf.Tensor
	for i := 0; i < len(ts); i++ {
		var l int
		var kind string
		if n, _ := fmt.Sscanf(ts[i].Name, "blk.%d.attn_q.%s", &l, &kind); n == 2 {
			qkv := ts[i]
			qkv.Name = fmt.Sprintf("blk.%d.attn_qkv.%s", l, kind)
			qkv.Shape = append([]int{3 * cfg.Dim}, qkv.Shape[1:]...)
			for _, part := range []string{"attn_k", "attn_v"} {
				qkv.Data = append(append([]byte(nil), qkv.Data...), src.Tensors[fmt.Sprintf("blk.%d.%s.%s", l, part, kind)].Data...)
			}
			fused = append(fused, qkv)
			continue
		}
		if strings.Contains(ts[i].Name, ".attn_k.") || strings.Contains(ts[i].Name, ".attn_v.") {
			continue
		}
		fused = append(fused, ts[i])
	}
	embd := src.Tensors[model.NameTokenEmbd]
	fused = append(fused, gguf.Tensor{Name: model.NameOutput, Type: fused[0].Type, Shape: embd.Shape, Data: embd.Data})
	path := filepath.Join(t.TempDir(), "gpt2.gguf")
	if err := gguf.Write(path, kv, fused); err != nil {
		t.Fatal(err)
	}
	_, got := loadLogits(t, path, b, cfg)
	sameBits(t, path, got, want)
}

// TestGGUFQuantized loads GGUF files whose matrices are Q8_0 and Q4_0 and
// checks bit-identical logits with the same blocks held in memory.
func TestGGUFQuantized(t *testing.T) {
	b := cpu.New(2)
	cfg := model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 96, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 300, MaxSeqLen: 32, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2}
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		src, want := crossSource(t, b, cfg, dt)
		path := filepath.Join(t.TempDir(), "q.gguf")
		writeGGUF(t, path, cfg, src)
		_, got := loadLogits(t, path, b, cfg)
		sameBits(t, path+" "+dt.String(), got, want)
		info, err := Inspect(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range info.Tensors {
			if len(ti.Shape) == 2 && (ti.DType != dt || ti.FileType != dt.String() || !ti.Supported) {
				t.Errorf("Inspect: %s is %s/%s, want %s", ti.Name, ti.FileType, ti.DType, dt)
			}
		}
	}
}

// TestGGUFErrors checks that broken GGUF files give errors naming the file
// and the tensor or key, never a panic.
func TestGGUFErrors(t *testing.T) {
	b := cpu.New(2)
	cfg := crossConfigs[0]
	src, _ := crossSource(t, b, cfg, kernels.F32)
	setKV := func(key string, v any) func([]gguf.KV, []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
		return func(kv []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
			for i := range kv {
				if kv[i].Key == key {
					kv[i].Value = v
				}
			}
			return kv, ts
		}
	}
	dropTensor := func(name string) func([]gguf.KV, []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
		return func(kv []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
			return kv, slices.DeleteFunc(ts, func(x gguf.Tensor) bool { return x.Name == name })
		}
	}
	cases := []struct {
		name string
		edit func([]gguf.KV, []gguf.Tensor) ([]gguf.KV, []gguf.Tensor)
		want string
	}{
		{"unknown-arch", setKV("general.architecture", "falcon"), `unknown architecture "falcon"`},
		{"shape", setKV("llama.feed_forward_length", uint32(70)), "blk.0.ffn_gate.weight has shape [72 32], config wants [70 32]"},
		{"missing", dropTensor("blk.1.attn_v.weight"), "missing tensor blk.1.attn_v.weight"},
		{"no-embedding", dropTensor("token_embd.weight"), "token_embd.weight"},
		{"extra", func(kv []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
			return kv, append(ts, gguf.Tensor{Name: "blk.0.attn_q_norm.weight", Type: ts[0].Type, Shape: []int{8}, Data: make([]byte, 32)})
		}, "unexpected tensor blk.0.attn_q_norm.weight"},
		{"rope-freqs-without-keys", func(kv []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
			return kv, append(ts, gguf.Tensor{Name: "rope_freqs.weight", Type: ts[0].Type, Shape: []int{4}, Data: make([]byte, 16)})
		}, "tensor rope_freqs.weight (Llama 3 RoPE scaling): model: invalid config: rope_scaling \"llama3\": factor 0 must be"},
		{"nan", func(kv []gguf.KV, ts []gguf.Tensor) ([]gguf.KV, []gguf.Tensor) {
			for i := range ts {
				if ts[i].Name == "blk.1.ffn_up.weight" {
					d := append([]byte(nil), ts[i].Data...)
					copy(d[4:], []byte{0, 0, 0x80, 0x7f}) // +Inf
					ts[i].Data = d
				}
			}
			return kv, ts
		}, "blk.1.ffn_up.weight: non-finite value +Inf at element 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kv, ts := ggufParts(t, cfg, src)
			kv, ts = tc.edit(kv, ts)
			path := filepath.Join(t.TempDir(), "bad.gguf")
			if err := gguf.Write(path, kv, ts); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path, b, LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want it to name the file and mention %q", err, tc.want)
			}
		})
	}
}
