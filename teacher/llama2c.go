package teacher

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/teacher/llama2c"
	"github.com/distill-dev/distill/teacher/tokenizer"
)

// openLlama2C opens a llama2.c checkpoint (legacy or version 1 header)
// through package llama2c, whose tensors already carry canonical names.
func openLlama2C(path string) (*checkpoint, error) {
	f, err := llama2c.Open(path)
	if err != nil {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	h := f.Header
	vocab := h.VocabSize
	if !h.SharedClassifier {
		vocab = -vocab
	}
	cfg, err := model.ConfigFromLlama2C(model.Llama2CHeader{Dim: int32(h.Dim), HiddenDim: int32(h.HiddenDim),
		NLayers: int32(h.NLayers), NHeads: int32(h.NHeads), NKVHeads: int32(h.NKVHeads), VocabSize: int32(vocab), SeqLen: int32(h.SeqLen)})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("teacher: %s: %w", path, err)
	}
	ck := &checkpoint{format: FormatLlama2C, file: path, cfg: cfg, src: &model.MapSource{Name: path}, close: f.Close}
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
