package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distill-dev/distill/checkpoint/llama2c"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// openLlama2C opens a llama2.c checkpoint (legacy or version 1 header)
// through package llama2c, whose tensors already carry canonical names.
func openLlama2C(path string) (*checkpoint, error) {
	f, err := llama2c.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	cfg, err := ConfigFromLlama2C(f.Header)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	ck := &checkpoint{format: FormatLlama2C, file: path, cfg: cfg, src: &model.MapSource{Name: path}, end: llama2cEndIDs(cfg.BOS), close: f.Close}
	for _, t := range f.Tensors() {
		ck.src.Add(model.HostTensor{Name: t.Name, DType: kernels.F32, Shape: t.Shape, Data: t.Data})
		ck.tensors = append(ck.tensors, TensorInfo{Name: t.Name, FileType: "F32", DType: kernels.F32, Supported: true, Shape: t.Shape, Bytes: int64(len(t.Data))})
	}
	if tok := llama2cTokenizer(path); tok != "" {
		ck.tok = func() (tokenizer.Tokenizer, error) { return tokenizer.LoadLlama2C(tok, cfg.VocabSize) }
	}
	return ck, nil
}

// llama2cTokenizer finds the tokenizer beside a llama2.c checkpoint:
// tokenizer.bin, else the only tok*.bin.
func llama2cTokenizer(path string) string {
	dir := filepath.Dir(path)
	if p := filepath.Join(dir, "tokenizer.bin"); fileExists(p) {
		return p
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "tok*.bin"))
	var out []string
	for _, m := range matches {
		if m != path && !strings.HasSuffix(m, "tokenizer.bin") {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	if len(out) == 1 {
		return out[0]
	}
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// ConfigFromLlama2C maps a llama2.c header onto a Config: Llama with
// RMSNorm eps 1e-5, interleaved RoPE with theta 10000, BOS 1 and EOS 2, as
// llama2.c's run.c hard-codes them.
func ConfigFromLlama2C(h llama2c.Header) (model.Config, error) {
	c := model.Config{
		Arch: model.ArchLlama, Dim: h.Dim, HiddenDim: h.HiddenDim, NLayers: h.NLayers,
		NHeads: h.NHeads, NKVHeads: h.NKVHeads, VocabSize: h.VocabSize, MaxSeqLen: h.SeqLen,
		NormEps: 1e-5, RopeTheta: 10000, RopeStyle: kernels.RoPEInterleaved, TiedEmbeddings: h.SharedClassifier,
		BOS: 1, EOS: 2,
	}
	if c.VocabSize <= 2 {
		c.BOS, c.EOS = -1, -1
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("llama2.c header: %w", err)
	}
	return c, nil
}

// Llama2CHeader returns the llama2.c header of c, which must be a Llama
// config with interleaved RoPE (the only kind llama2.c runs).
func Llama2CHeader(c model.Config) (llama2c.Header, error) {
	if c.Arch != model.ArchLlama || c.RopeStyle != kernels.RoPEInterleaved {
		return llama2c.Header{}, fmt.Errorf("checkpoint: llama2.c holds only llama models with interleaved RoPE, not %s", c)
	}
	return llama2c.Header{Dim: c.Dim, HiddenDim: c.HiddenDim, NLayers: c.NLayers, NHeads: c.NHeads,
		NKVHeads: c.NKVHeads, VocabSize: c.VocabSize, SeqLen: c.MaxSeqLen, SharedClassifier: c.TiedEmbeddings}, nil
}
