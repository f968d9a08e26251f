package quant

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// ExportGGUF writes the model (config cfg, tensors src, tokenizer tok, nil
// for none) with checkpoint.WriteGGUF, then reloads the file on b and
// compares its logits (and tokenizer) with the in-memory model's.
func ExportGGUF(path string, cfg model.Config, src model.TensorSource, tok tokenizer.Tokenizer, b kernels.Backend, o checkpoint.GGUFOptions) (RoundTrip, error) {
	if err := checkpoint.WriteGGUF(path, cfg, src, tok, o); err != nil {
		return RoundTrip{}, err
	}
	rt, err := checkReload(path, cfg, src, b, tok)
	if st, serr := os.Stat(path); serr == nil {
		rt.FileBytes = st.Size()
	}
	return rt, err
}

// ExportHF stores every tensor of src as dt (F32, F16 or BF16; block types
// are decoded first) except GPTQ's int4 matrices (I4S_G*, written in the
// GPTQ layout transformers and vLLM load), writes an HF checkpoint in dir with
// checkpoint.WriteHF, then reloads it on b and compares its logits with
// those of the model built from src: the difference is what storing the
// weights as dt costs (0 for F32 of an F32 model).
func ExportHF(dir string, cfg model.Config, src model.TensorSource, tok tokenizer.Tokenizer, dt kernels.DType, b kernels.Backend) (RoundTrip, error) {
	if _, ok := safetensors.DTypeName(dt); !ok || !dt.IsFloat() {
		return RoundTrip{}, fmt.Errorf("quant: safetensors export needs f32, f16 or bf16, not %s", dt)
	}
	conv := &model.MapSource{Name: src.Where()}
	for _, p := range cfg.Params() {
		t, ok := src.Lookup(p.Name)
		if !ok {
			return RoundTrip{}, fmt.Errorf("quant: %s: missing tensor %s", src.Where(), p.Name)
		}
		if t.DType == kernels.I4S_G32 || t.DType == kernels.I4S_G64 || t.DType == kernels.I4S_G128 {
			conv.Add(t) // GPTQ matrices: written in the GPTQ layout as they are
			continue
		}
		c, err := Convert(t, dt)
		if err != nil {
			return RoundTrip{}, fmt.Errorf("quant: %w", err)
		}
		conv.Add(c)
	}
	if err := checkpoint.WriteHF(dir, cfg, conv, tok, checkpoint.HFOptions{}); err != nil {
		return RoundTrip{}, err
	}
	rt, err := checkReload(dir, cfg, src, b, tok)
	if st, serr := os.Stat(filepath.Join(dir, safetensors.SingleFileName)); serr == nil {
		rt.FileBytes = st.Size()
	}
	return rt, err
}
