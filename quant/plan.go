package quant

import (
	"fmt"
	"io"
	"path"
	"text/tabwriter"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// TensorPlan is the storage type chosen for one parameter and why.
type TensorPlan struct {
	Name  string
	Shape []int
	DType kernels.DType
	Why   string // e.g. "base", "keep", "q4_k_m: attn_v use_more_bits", "fallback Q4_K->Q5_0->F16: row 172"
}

// Plan maps every parameter of a model to a storage type.
type Plan struct {
	Method  Method
	Config  model.Config
	Tensors []TensorPlan // in Config.Params order
	index   map[string]int
}

// DType returns the planned type of the named tensor.
func (p *Plan) DType(name string) (kernels.DType, bool) {
	i, ok := p.index[name]
	if !ok {
		return 0, false
	}
	return p.Tensors[i].DType, true
}

// Override forces the tensors whose canonical name matches Pattern
// (path.Match syntax, e.g. "blk.*.ffn_down.weight") to DType.
type Override struct {
	Pattern string
	DType   kernels.DType
}

// PlanOptions adjusts NewPlan.
type PlanOptions struct {
	// Keep lists patterns of tensors kept in KeepDType. Nil means the
	// method family's default (DefaultKeep); an empty non-nil slice keeps
	// nothing but the 1-D tensors.
	Keep []string
	// KeepDType is the type of kept tensors (the zero value is F32).
	KeepDType kernels.DType
	// Overrides are applied last, in order, and win over every rule (a
	// row length that does not fit the type is still an error then).
	Overrides []Override
}

// DefaultKeep returns the patterns of tensors a family keeps in higher
// precision: embeddings and classifier for distill's methods; only the
// position table for the GGML ones (llama.cpp quantizes token_embd and
// output.weight too). 1-D tensors (norms, biases) are always kept.
func DefaultKeep(family string) []string {
	switch family {
	case FamilyDistill:
		return []string{model.NameTokenEmbd, model.NamePosEmbd, model.NameOutput}
	case FamilyGGUF:
		return []string{model.NamePosEmbd}
	}
	return nil
}

// NewPlan chooses a storage type for every parameter of cfg under method
// m: the keep patterns, then the method's per-tensor rules (llama.cpp's
// for the GGML family), then the fallback for rows that do not fit the
// block size, then the overrides.
func NewPlan(cfg model.Config, m Method, o PlanOptions) (*Plan, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("quant: %w", err)
	}
	if !o.KeepDType.IsFloat() {
		return nil, fmt.Errorf("quant: keep dtype %s is not a float type", o.KeepDType)
	}
	keep := o.Keep
	if keep == nil {
		keep = DefaultKeep(m.Family)
	}
	for _, pat := range keep {
		if _, err := path.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("quant: keep pattern %q: %w", pat, err)
		}
	}
	p := &Plan{Method: m, Config: cfg, index: map[string]int{}}
	for _, ps := range cfg.Params() {
		tp := TensorPlan{Name: ps.Name, Shape: ps.Shape}
		switch {
		case len(ps.Shape) < 2:
			tp.DType, tp.Why = kernels.F32, "1-D"
		case matchAny(keep, ps.Name):
			tp.DType, tp.Why = o.KeepDType, "keep"
		default:
			tp.DType, tp.Why = ruleType(cfg, m, ps.Name)
			tp.DType, tp.Why = fitRow(tp.DType, tp.Why, ps.Shape[len(ps.Shape)-1])
		}
		if dt, ok := m.Types[ps.Name]; ok && len(ps.Shape) >= 2 {
			tp.DType, tp.Why = dt, m.Name
		}
		for _, ov := range o.Overrides {
			ok, err := path.Match(ov.Pattern, ps.Name)
			if err != nil {
				return nil, fmt.Errorf("quant: override pattern %q: %w", ov.Pattern, err)
			}
			if ok {
				tp.DType, tp.Why = ov.DType, "override "+ov.Pattern
			}
		}
		if _, err := tp.DType.RowBytes(ps.Shape[len(ps.Shape)-1]); err != nil && len(ps.Shape) >= 2 {
			return nil, fmt.Errorf("quant: tensor %s %v: %w", ps.Name, ps.Shape, err)
		}
		if len(ps.Shape) < 2 && !tp.DType.IsFloat() {
			return nil, fmt.Errorf("quant: tensor %s %v: 1-D tensors need a float type, not %s", ps.Name, ps.Shape, tp.DType)
		}
		p.index[ps.Name] = len(p.Tensors)
		p.Tensors = append(p.Tensors, tp)
	}
	return p, nil
}

func matchAny(patterns []string, name string) bool {
	for _, pat := range patterns {
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}

// ruleType is the method's type for a matrix before the row-length
// fallback: the base type, or llama.cpp's llama_tensor_get_type_impl
// choices for the GGML family (src/llama-quant.cpp of ggml-org/llama.cpp at
// commit 007dbbf3fd17eefe9b47fee45f48f7ba5e62b714, for a dense model: no
// experts, not Falcon, not a 70B).
func ruleType(cfg model.Config, m Method, name string) (kernels.DType, string) {
	if m.Family != FamilyGGUF {
		return m.Base, "base"
	}
	if name == model.NameOutput || (cfg.TiedEmbeddings && name == model.NameTokenEmbd) {
		// The classifier: Q8_0 when its rows do not fit the base type's
		// block, else Q6_K unless the file is Q8_0.
		if cfg.Dim%m.Base.BlockSize() != 0 {
			return kernels.Q8_0, "classifier: row % block"
		}
		if m.Base != kernels.Q8_0 {
			return kernels.Q6_K, "classifier"
		}
		return m.Base, "base"
	}
	l, part, _, ok := model.ParseLayerName(name)
	if m.Mix == "" || !ok {
		return m.Base, "base"
	}
	if cfg.Family().GGUF.FusedQKV && (part == model.AttnQ || part == model.AttnK) {
		// q, k and v are stored fused as attn_qkv, which llama.cpp
		// treats as an attn_v tensor; they must share one type.
		part = model.AttnV
	}
	if dt, why := mixType(m.Mix, part, l, cfg.NLayers, cfg.NHeads/cfg.NKVHeads); why != "" {
		return dt, m.Mix + ": " + why
	}
	return m.Base, "base"
}

// mixType is the per-tensor rule of a llama.cpp mix (LLAMA_FTYPE_MOSTLY_*)
// for the part of layer l of n, with nGQA query heads per key/value head;
// why is empty when the mix keeps its base type there. llama.cpp counts
// attn_v and ffn_down tensors in file order, which is layer order for a
// dense model.
func mixType(mix, part string, l, n, nGQA int) (kernels.DType, string) {
	switch part {
	case model.AttnV:
		switch {
		case mix == "q2_k" && nGQA >= 4:
			return kernels.Q4_K, "attn_v, n_gqa >= 4"
		case mix == "q2_k":
			return kernels.Q3_K, "attn_v"
		case mix == "q3_k_m" && l < 2:
			return kernels.Q5_K, "attn_v of the first 2 layers"
		case mix == "q3_k_m":
			return kernels.Q4_K, "attn_v"
		case (mix == "q4_k_m" || mix == "q5_k_m") && useMoreBits(l, n):
			return kernels.Q6_K, "attn_v use_more_bits"
		case mix == "q4_k_s" && l < 4:
			return kernels.Q5_K, "attn_v of the first 4 layers"
		}
	case model.FFNDown:
		switch {
		case mix == "q2_k":
			return kernels.Q3_K, "ffn_down"
		case mix == "q3_k_m" && l < n/16:
			return kernels.Q5_K, "ffn_down of the first sixteenth"
		case mix == "q3_k_m":
			return kernels.Q4_K, "ffn_down"
		case (mix == "q4_k_m" || mix == "q5_k_m") && useMoreBits(l, n):
			return kernels.Q6_K, "ffn_down use_more_bits"
		case mix == "q4_k_s" && l < n/8:
			return kernels.Q5_K, "ffn_down of the first eighth"
		}
	case model.AttnOutput:
		switch mix {
		case "q2_k":
			return kernels.Q3_K, "attn_output"
		case "q3_k_m":
			return kernels.Q4_K, "attn_output"
		}
	}
	return 0, ""
}

// useMoreBits is llama.cpp's use_more_bits: the first and last eighth of
// the layers, and every third layer in between.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// fitRow applies the fallback for a row of k elements that is not a
// multiple of dt's block. The k-quants fall back as llama.cpp's
// tensor_type_fallback does: Q2_K and Q3_K to Q4_0, Q4_K to Q5_0, Q5_K to
// Q5_1, Q6_K to Q8_0, and to F16 when the row does not fit 32 either. The
// GGML 32-element types go to F16 (llama.cpp refuses to write such a file);
// distill's int4 groups to I8CH.
func fitRow(dt kernels.DType, why string, k int) (kernels.DType, string) {
	chain := ""
	for {
		if _, err := dt.RowBytes(k); err == nil {
			if chain == "" {
				return dt, why
			}
			if why != "base" {
				chain = why + "; " + chain
			}
			return dt, fmt.Sprintf("%s->%s: row %d", chain, dt, k)
		}
		next := kernels.F16
		switch dt {
		case kernels.Q2_K, kernels.Q3_K:
			next = kernels.Q4_0
		case kernels.Q4_K:
			next = kernels.Q5_0
		case kernels.Q5_K:
			next = kernels.Q5_1
		case kernels.Q6_K:
			next = kernels.Q8_0
		case kernels.I4S_G32, kernels.I4S_G64, kernels.I4S_G128, kernels.I4A_G32, kernels.I4A_G64, kernels.I4A_G128:
			next = kernels.I8CH
		}
		if chain == "" {
			chain = "fallback " + dt.String()
		} else {
			chain += "->" + dt.String()
		}
		dt = next
	}
}

// Bytes is the storage size of the planned tensors.
func (p *Plan) Bytes() int64 {
	var n int64
	for _, t := range p.Tensors {
		b, _ := t.DType.Bytes(t.Shape)
		n += int64(b)
	}
	return n
}

// Counts returns how many tensors (of two or more dimensions) each type
// stores, for summaries.
func (p *Plan) Counts() map[kernels.DType]int {
	c := map[kernels.DType]int{}
	for _, t := range p.Tensors {
		if len(t.Shape) >= 2 {
			c[t.DType]++
		}
	}
	return c
}

// WriteTable prints one line per tensor: name, shape, type and why.
func (p *Plan) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "tensor\tshape\ttype\twhy\n")
	for _, t := range p.Tensors {
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\n", t.Name, t.Shape, t.DType, t.Why)
	}
	return tw.Flush()
}
