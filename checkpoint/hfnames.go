package checkpoint

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// HF tensor names of LlamaForCausalLM, as pairs (HF suffix, canonical part)
// for the per-layer ones.
var hfLlamaLayer = [][2]string{
	{"input_layernorm.weight", model.AttnNorm + ".weight"},
	{"self_attn.q_proj.weight", model.AttnQ + ".weight"},
	{"self_attn.k_proj.weight", model.AttnK + ".weight"},
	{"self_attn.v_proj.weight", model.AttnV + ".weight"},
	{"self_attn.o_proj.weight", model.AttnOutput + ".weight"},
	{"post_attention_layernorm.weight", model.FFNNorm + ".weight"},
	{"mlp.gate_proj.weight", model.FFNGate + ".weight"},
	{"mlp.up_proj.weight", model.FFNUp + ".weight"},
	{"mlp.down_proj.weight", model.FFNDown + ".weight"},
}

var hfLlamaGlobal = [][2]string{
	{"model.embed_tokens.weight", model.NameTokenEmbd},
	{"model.norm.weight", model.NameOutputNorm},
	{"lm_head.weight", model.NameOutput},
}

// GPT2LMHeadModel per-layer names. transpose marks Conv1D weights, stored
// [in, out]; c_attn is split into q, k, v after transposing.
var hfGPT2Layer = []struct {
	hf, part  string
	transpose bool
}{
	{"ln_1", model.AttnNorm, false},
	{"attn.c_attn", "attn_qkv", true},
	{"attn.c_proj", model.AttnOutput, true},
	{"ln_2", model.FFNNorm, false},
	{"mlp.c_fc", model.FFNUp, true},
	{"mlp.c_proj", model.FFNDown, true},
}

var hfGPT2Global = [][2]string{
	{"wte.weight", model.NameTokenEmbd},
	{"wpe.weight", model.NamePosEmbd},
	{"ln_f.weight", model.NameOutputNorm},
	{"ln_f.bias", model.NameOutputBias},
}

var layerRE = regexp.MustCompile(`^(?:model\.layers|(?:transformer\.)?h)\.(\d+)\.(.+)$`)

// fromHF renames the tensors of an HF checkpoint to canonical names,
// transposing GPT-2's Conv1D weights and splitting its fused c_attn. It
// returns the source and, for error messages, the HF name of each
// canonical tensor. Tensors that carry no parameter (GPT-2's attn.bias
// masks, a tied lm_head) are dropped; unknown names are an error.
func fromHF(cfg model.Config, file string, tensors []model.HostTensor) (*model.MapSource, map[string]string, error) {
	src := &model.MapSource{Name: file}
	origin := map[string]string{}
	add := func(t model.HostTensor, canon, hf string) {
		t.Name = canon
		src.Add(t)
		origin[canon] = hf
	}
	for _, t := range tensors {
		if hfIgnored(cfg, t.Name) {
			continue
		}
		name := t.Name
		if cfg.Arch == model.ArchGPT2 {
			name = strings.TrimPrefix(name, "transformer.")
		}
		if canon, ok := lookupPair(hfGlobal(cfg), name); ok {
			add(t, canon, t.Name)
			continue
		}
		m := layerRE.FindStringSubmatch(name)
		if m == nil {
			return nil, nil, fmt.Errorf("checkpoint: %s: unexpected tensor %s for %s", file, t.Name, cfg.Arch)
		}
		l, err := strconv.Atoi(m[1])
		if err != nil || l >= cfg.NLayers {
			return nil, nil, fmt.Errorf("checkpoint: %s: tensor %s: layer %s out of range [0, %d)", file, t.Name, m[1], cfg.NLayers)
		}
		if cfg.Arch == model.ArchLlama {
			part, ok := lookupPair(hfLlamaLayer, m[2])
			if !ok {
				return nil, nil, fmt.Errorf("checkpoint: %s: unexpected tensor %s for llama", file, t.Name)
			}
			add(t, "blk."+m[1]+"."+part, t.Name)
			continue
		}
		done := false
		for _, p := range hfGPT2Layer {
			kind, ok := strings.CutPrefix(m[2], p.hf+".")
			if !ok || (kind != "weight" && kind != "bias") {
				continue
			}
			if p.transpose && kind == "weight" {
				if t, err = transpose2D(t); err != nil {
					return nil, nil, fmt.Errorf("checkpoint: %s: %w", file, err)
				}
			}
			if p.part != "attn_qkv" {
				add(t, model.LayerName(l, p.part, kind), t.Name)
			} else if err := splitQKV(t, l, kind, cfg, func(st model.HostTensor, canon string) { add(st, canon, t.Name) }); err != nil {
				return nil, nil, fmt.Errorf("checkpoint: %s: %w", file, err)
			}
			done = true
			break
		}
		if !done {
			return nil, nil, fmt.Errorf("checkpoint: %s: unexpected tensor %s for gpt2", file, t.Name)
		}
	}
	return src, origin, nil
}

// hfName returns the HF name of a canonical tensor (c_attn for GPT-2's
// q, k and v), for error messages about tensors a file lacks.
func hfName(cfg model.Config, canon string) string {
	prefix := ""
	if cfg.Arch == model.ArchGPT2 {
		prefix = "transformer."
	}
	for _, p := range hfGlobal(cfg) {
		if p[1] == canon {
			return prefix + p[0]
		}
	}
	var l int
	var rest string
	if n, _ := fmt.Sscanf(canon, "blk.%d.", &l); n != 1 {
		return canon
	}
	rest = strings.TrimPrefix(canon, fmt.Sprintf("blk.%d.", l))
	if cfg.Arch == model.ArchLlama {
		for _, p := range hfLlamaLayer {
			if p[1] == rest {
				return fmt.Sprintf("model.layers.%d.%s", l, p[0])
			}
		}
		return canon
	}
	part, kind, _ := strings.Cut(rest, ".")
	if part == model.AttnQ || part == model.AttnK || part == model.AttnV {
		part = "attn_qkv"
	}
	for _, p := range hfGPT2Layer {
		if p.part == part {
			return fmt.Sprintf("transformer.h.%d.%s.%s", l, p.hf, kind)
		}
	}
	return canon
}

// hfIgnored reports whether an HF tensor carries no parameter: GPT-2's
// causal-mask buffers (attn.bias, attn.masked_bias), Llama's
// rotary_emb.inv_freq, and a tied lm_head that some checkpoints store
// anyway.
func hfIgnored(cfg model.Config, name string) bool {
	if name == "lm_head.weight" {
		return cfg.TiedEmbeddings
	}
	if strings.HasSuffix(name, ".rotary_emb.inv_freq") {
		return true // RoPE frequency buffer of older Llama checkpoints
	}
	return cfg.Arch == model.ArchGPT2 && (strings.HasSuffix(name, ".attn.bias") || strings.HasSuffix(name, ".attn.masked_bias"))
}

func hfGlobal(cfg model.Config) [][2]string {
	if cfg.Arch == model.ArchGPT2 {
		return hfGPT2Global
	}
	return hfLlamaGlobal
}

func lookupPair(pairs [][2]string, key string) (string, bool) {
	for _, p := range pairs {
		if p[0] == key {
			return p[1], true
		}
	}
	return "", false
}

// splitQKV splits a fused [3C, C] weight (or [3C] bias) by rows into the
// q, k and v tensors of layer l (views of t's storage).
func splitQKV(t model.HostTensor, l int, kind string, cfg model.Config, add func(model.HostTensor, string)) error {
	C, KV := cfg.Dim, cfg.KVDim()
	rows := []int{C, KV, KV}
	if len(t.Shape) == 0 || t.Shape[0] != C+2*KV {
		return fmt.Errorf("tensor %s has shape %v, want first dimension %d (q, k, v fused)", t.Name, t.Shape, C+2*KV)
	}
	rowBytes := len(t.Data) / t.Shape[0]
	off := 0
	for i, part := range []string{model.AttnQ, model.AttnK, model.AttnV} {
		shape := append([]int{rows[i]}, t.Shape[1:]...)
		n := rows[i] * rowBytes
		add(model.HostTensor{Name: t.Name, DType: t.DType, Shape: shape, Data: t.Data[off : off+n]}, model.LayerName(l, part, kind))
		off += n
	}
	return nil
}

// transpose2D returns t [r, c] transposed to [c, r] in new storage. Only
// plain types can be transposed element-wise.
func transpose2D(t model.HostTensor) (model.HostTensor, error) {
	if len(t.Shape) != 2 || t.DType.IsQuantized() {
		return t, fmt.Errorf("tensor %s (%s %v) cannot be transposed", t.Name, t.DType, t.Shape)
	}
	r, c := t.Shape[0], t.Shape[1]
	es := map[kernels.DType]int{kernels.F32: 4, kernels.F16: 2, kernels.BF16: 2, kernels.I32: 4}[t.DType]
	if es == 0 || len(t.Data) != r*c*es {
		return t, fmt.Errorf("tensor %s: %d bytes of %s for shape %v", t.Name, len(t.Data), t.DType, t.Shape)
	}
	out := make([]byte, len(t.Data))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			copy(out[(j*r+i)*es:][:es], t.Data[(i*c+j)*es:][:es])
		}
	}
	return model.HostTensor{Name: t.Name, DType: t.DType, Shape: []int{c, r}, Data: out}, nil
}

// hfTensors returns the parameters of src (canonical names, config cfg) as
// an HF checkpoint stores them: LlamaForCausalLM names with q/k rows
// permuted for rotate_half when cfg uses interleaved RoPE, or
// GPT2LMHeadModel names ("transformer." prefix) with Conv1D weights
// transposed to [in, out] and q/k/v fused into c_attn. Write them with
// HFConfigJSON(cfg) beside to make an HF checkpoint that Load reads back.
func hfTensors(cfg model.Config, src model.TensorSource) ([]model.HostTensor, error) {
	var out []model.HostTensor
	get := func(name string) (model.HostTensor, error) {
		t, ok := src.Lookup(name)
		if !ok {
			return t, fmt.Errorf("checkpoint: %s: missing tensor %s", src.Where(), name)
		}
		return t, nil
	}
	if cfg.Arch == model.ArchLlama {
		for _, p := range hfLlamaGlobal {
			if p[1] == model.NameOutput && cfg.TiedEmbeddings {
				continue
			}
			t, err := get(p[1])
			if err != nil {
				return nil, err
			}
			t.Name = p[0]
			out = append(out, t)
		}
		for l := range cfg.NLayers {
			for _, p := range hfLlamaLayer {
				t, err := get(fmt.Sprintf("blk.%d.%s", l, p[1]))
				if err != nil {
					return nil, err
				}
				heads := map[string]int{model.AttnQ + ".weight": cfg.NHeads, model.AttnK + ".weight": cfg.NKVHeads}[p[1]]
				if heads > 0 && cfg.RopeStyle == kernels.RoPEInterleaved {
					t = permuteRows(t, model.HFRopePermutation(heads, cfg.HeadDim()))
				}
				t.Name = fmt.Sprintf("model.layers.%d.%s", l, p[0])
				out = append(out, t)
			}
		}
		return out, nil
	}
	for _, p := range hfGPT2Global {
		t, err := get(p[1])
		if err != nil {
			return nil, err
		}
		t.Name = "transformer." + p[0]
		out = append(out, t)
	}
	for l := range cfg.NLayers {
		for _, p := range hfGPT2Layer {
			for _, kind := range []string{"weight", "bias"} {
				var t model.HostTensor
				if p.part == "attn_qkv" {
					var parts []model.HostTensor
					for _, part := range []string{model.AttnQ, model.AttnK, model.AttnV} {
						pt, err := get(model.LayerName(l, part, kind))
						if err != nil {
							return nil, err
						}
						parts = append(parts, pt)
					}
					t = concatRows(parts)
				} else {
					var err error
					if t, err = get(model.LayerName(l, p.part, kind)); err != nil {
						return nil, err
					}
				}
				if p.transpose && kind == "weight" {
					var err error
					if t, err = transpose2D(t); err != nil {
						return nil, err
					}
				}
				t.Name = fmt.Sprintf("transformer.h.%d.%s.%s", l, p.hf, kind)
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// permuteRows returns t with row r taken from row perm[r].
func permuteRows(t model.HostTensor, perm []int) model.HostTensor {
	rb := len(t.Data) / t.Shape[0]
	out := make([]byte, len(t.Data))
	for r, from := range perm {
		copy(out[r*rb:][:rb], t.Data[from*rb:][:rb])
	}
	t.Data = out
	return t
}

// concatRows stacks tensors of equal trailing shape along the first dim.
func concatRows(ts []model.HostTensor) model.HostTensor {
	out := model.HostTensor{DType: ts[0].DType, Shape: append([]int{0}, ts[0].Shape[1:]...)}
	for _, t := range ts {
		out.Shape[0] += t.Shape[0]
		out.Data = append(out.Data, t.Data...)
	}
	return out
}
