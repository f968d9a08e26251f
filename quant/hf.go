package quant

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/teacher"
	"github.com/distill-dev/distill/teacher/safetensors"
	"github.com/distill-dev/distill/teacher/tokenizer"
)

// WriteHF writes the model as an HF transformers checkpoint in dir
// (created if needed): model.safetensors with LlamaForCausalLM or
// GPT2LMHeadModel tensor names (q/k rows permuted for rotate_half, GPT-2
// Conv1D weights transposed and q/k/v fused), every tensor stored as dt
// (F32, F16 or BF16; block types are decoded first), config.json,
// generation_config.json and, when tok is not nil, tokenizer.json,
// tokenizer_config.json and special_tokens_map.json. Each file is written
// atomically. The checkpoint is then reloaded with teacher.Load on b and
// its logits compared with those of the model built from src: the
// difference is what storing the weights as dt costs (0 for F32 of an F32
// model).
func WriteHF(dir string, cfg model.Config, src model.TensorSource, tok tokenizer.Tokenizer, dt kernels.DType, b kernels.Backend) (RoundTrip, error) {
	stName, ok := safetensors.DTypeName(dt)
	if !ok || !dt.IsFloat() {
		return RoundTrip{}, fmt.Errorf("quant: safetensors export needs f32, f16 or bf16, not %s", dt)
	}
	conv := &model.MapSource{Name: src.Where()}
	for _, p := range cfg.Params() {
		t, ok := src.Lookup(p.Name)
		if !ok {
			return RoundTrip{}, fmt.Errorf("quant: %s: missing tensor %s", src.Where(), p.Name)
		}
		c, err := Convert(t, dt)
		if err != nil {
			return RoundTrip{}, fmt.Errorf("quant: %w", err)
		}
		conv.Add(c)
	}
	hts, err := teacher.HFTensors(cfg, conv)
	if err != nil {
		return RoundTrip{}, fmt.Errorf("quant: %w", err)
	}
	sts := make([]safetensors.Tensor, len(hts))
	for i, t := range hts {
		sts[i] = safetensors.Tensor{Name: t.Name, DType: stName, Shape: t.Shape, Data: t.Data}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return RoundTrip{}, fmt.Errorf("quant: %w", err)
	}
	weights := filepath.Join(dir, "model.safetensors")
	if err := safetensors.Write(weights, sts, map[string]string{"format": "pt"}); err != nil {
		return RoundTrip{}, fmt.Errorf("quant: %w", err)
	}
	files, err := hfSideFiles(cfg, tok, dt)
	if err != nil {
		return RoundTrip{}, err
	}
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
			return RoundTrip{}, fmt.Errorf("quant: %w", err)
		}
	}
	rt, err := checkReload(dir, cfg, src, b, tok)
	if st, serr := os.Stat(weights); serr == nil {
		rt.FileBytes = st.Size()
	}
	return rt, err
}

type sideFile struct {
	name  string
	write func(w io.Writer) error
}

func jsonFile(name string, v any) sideFile {
	return sideFile{name, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // "<s>", not "\u003cs\u003e"
		return enc.Encode(v)
	}}
}

// hfSideFiles returns config.json, generation_config.json and the
// tokenizer files of an HF checkpoint.
func hfSideFiles(cfg model.Config, tok tokenizer.Tokenizer, dt kernels.DType) ([]sideFile, error) {
	raw, err := cfg.HFConfigJSON()
	if err != nil {
		return nil, fmt.Errorf("quant: config.json: %w", err)
	}
	var conf map[string]any
	if err := json.Unmarshal(raw, &conf); err != nil {
		return nil, fmt.Errorf("quant: config.json: %w", err)
	}
	conf["torch_dtype"] = map[kernels.DType]string{kernels.F32: "float32", kernels.F16: "float16", kernels.BF16: "bfloat16"}[dt]
	gen := map[string]any{"_from_model_config": true}
	if cfg.BOS >= 0 {
		gen["bos_token_id"] = cfg.BOS
	}
	if cfg.EOS >= 0 {
		gen["eos_token_id"] = cfg.EOS
	}
	files := []sideFile{jsonFile("config.json", conf), jsonFile("generation_config.json", gen)}
	if tok == nil {
		return files, nil
	}
	v := tokenizer.VocabOf(tok)
	if v == nil {
		return nil, fmt.Errorf("quant: the tokenizer (%T) cannot be exported", tok)
	}
	special := map[string]any{}
	for key, id := range map[string]int32{"bos_token": v.BOS, "eos_token": v.EOS, "unk_token": v.UNK, "pad_token": v.PAD} {
		if id >= 0 && int(id) < len(v.Tokens) {
			special[key] = v.Tokens[id]
		}
	}
	tc := map[string]any{
		"tokenizer_class":              "PreTrainedTokenizerFast",
		"add_bos_token":                v.AddBOS,
		"add_eos_token":                false,
		"clean_up_tokenization_spaces": false,
		"model_max_length":             cfg.MaxSeqLen,
	}
	for k, s := range special {
		tc[k] = s
	}
	files = append(files,
		sideFile{"tokenizer.json", func(w io.Writer) error { return tokenizer.WriteHFTokenizerJSON(w, v) }},
		jsonFile("tokenizer_config.json", tc),
		jsonFile("special_tokens_map.json", special))
	return files, nil
}
