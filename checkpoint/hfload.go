package checkpoint

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/tokenizer"
)

// openHF opens an HF checkpoint directory: config.json and the safetensors
// weights (single file or sharded index), tokenizer files beside them.
// Without weights, q/k rows are not reordered (reorderSourceQK counts
// them).
func openHF(dir string, weights bool) (*checkpoint, error) {
	cfgPath := filepath.Join(dir, "config.json")
	js, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	cfg, err := ParseHFConfig(js)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", cfgPath, err)
	}
	end, err := hfEndIDs(dir, js)
	if err != nil {
		return nil, err
	}
	f, err := safetensors.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	ck := &checkpoint{format: FormatSafetensors, file: f.Path(), cfg: cfg, end: end, meta: f.Metadata(), close: f.Close}
	gptqGroup, err := hfGPTQGroup(js)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("checkpoint: %s: %w", cfgPath, err)
	}
	var hts []model.HostTensor
	gptq := map[string]map[string]model.HostTensor{} // base name -> suffix -> tensor
	for i := range f.Tensors() {
		t := &f.Tensors()[i]
		if base, suffix, ok := gptqPart(t.Name); ok && gptqGroup > 0 {
			if gptq[base] == nil {
				gptq[base] = map[string]model.HostTensor{}
			}
			gptq[base][suffix] = model.HostTensor{Name: t.Name, Shape: t.Shape, Data: t.Data}
			continue
		}
		dt, err := ck.record(t.Name, t.Shape, t.DType, t)
		if hfIgnored(cfg, t.Name) {
			continue
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		hts = append(hts, model.HostTensor{Name: t.Name, DType: dt, Shape: t.Shape, Data: t.Data})
	}
	for base, parts := range gptq {
		t, err := fromGPTQ(base, parts, gptqGroup)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("checkpoint: %s: %w", f.Path(), err)
		}
		hts = append(hts, t)
	}
	ck.src, ck.origin, err = fromHF(cfg, f.Path(), hts)
	if err != nil {
		f.Close()
		return nil, err
	}
	ck.fileName = func(canon string) string { return hfName(cfg, canon) }
	if cfg.Family().Pos == model.RoPE {
		ck.hostBytes = reorderSourceQK(&ck.cfg, ck.src, weights)
	}
	if tokenizerIn(dir) {
		ck.tok = func() (tokenizer.Tokenizer, error) { return tokenizer.Load(dir) }
	}
	return ck, nil
}

// hfGPTQGroup returns the group size of config.json's GPTQ
// quantization_config, 0 when it has none; a quantization distill cannot
// read is an error.
func hfGPTQGroup(js []byte) (int, error) {
	var c struct {
		Q *struct {
			Method    string `json:"quant_method"`
			Bits      int    `json:"bits"`
			GroupSize int    `json:"group_size"`
			DescAct   bool   `json:"desc_act"`
			Sym       *bool  `json:"sym"`
		} `json:"quantization_config"`
	}
	if err := json.Unmarshal(js, &c); err != nil || c.Q == nil {
		return 0, nil
	}
	q := c.Q
	if q.Method != "gptq" || q.Bits != 4 || q.DescAct || (q.Sym != nil && !*q.Sym) || q.GroupSize != 32 && q.GroupSize != 64 && q.GroupSize != 128 {
		return 0, fmt.Errorf("quantization_config %+v: distill reads GPTQ with bits 4, sym true, desc_act false and group_size 32, 64 or 128", *q)
	}
	return q.GroupSize, nil
}

// gptqPart splits a GPTQ tensor name into its matrix base and suffix.
func gptqPart(name string) (base, suffix string, ok bool) {
	for _, s := range gptqSuffixes {
		if b, found := strings.CutSuffix(name, s); found {
			return b, s, true
		}
	}
	return "", "", false
}

// reorderSourceQK moves the q/k rows of src from cfg's RoPE pairing to
// the family's own (RopeOrder) and sets cfg to it. HF Llama checkpoints
// store the rows permuted for rotate_half; the model is the same either
// way, but in the family's own order the attention scores are summed in
// the same order as for a GGUF or llama2.c file of the same weights, so all
// formats give bit-identical logits, and the tensors export to GGUF
// unchanged. It costs a host copy of q and k, whose bytes it returns;
// without apply it only counts them, and src keeps the file's rows.
func reorderSourceQK(cfg *model.Config, src *model.MapSource, apply bool) int64 {
	to := cfg.Family().RopeOrder
	if cfg.RopeStyle == to {
		return 0
	}
	var n int64
	for l := range cfg.NLayers {
		for _, part := range []string{model.AttnQ, model.AttnK} {
			for _, kind := range []string{"weight", "bias"} {
				if t, ok := src.Lookup(model.LayerName(l, part, kind)); ok {
					if !apply {
						if reordersQK(*cfg, t, part) {
							n += int64(len(t.Data))
						}
						continue
					}
					r := reorderQK(*cfg, t, part, cfg.RopeStyle, to)
					if unsafe.SliceData(r.Data) != unsafe.SliceData(t.Data) {
						n += int64(len(r.Data))
					}
					src.Add(r)
				}
			}
		}
	}
	cfg.RopeStyle = to
	return n
}

// tokenizerIn reports whether dir holds a tokenizer that tokenizer.Load
// finds.
func tokenizerIn(dir string) bool {
	for _, names := range [][]string{{"tokenizer.json"}, {"encoder.json", "vocab.bpe"}, {"tokenizer.bin"}} {
		all := true
		for _, n := range names {
			if st, err := os.Stat(filepath.Join(dir, n)); err != nil || st.IsDir() {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}
