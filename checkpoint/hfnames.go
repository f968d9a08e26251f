package checkpoint

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// The HF names of each family are declared in its model.Family (HF
// field); the functions here read those tables for every family.

// fromHF renames the tensors of an HF checkpoint to canonical names,
// transposing Conv1D weights and splitting fused q/k/v as the family's
// table says. It returns the source and, for error messages, the HF name
// of each canonical tensor. Tensors that carry no parameter (the family's
// ignored buffers, a tied lm_head) are dropped; unknown names are an error.
func fromHF(cfg model.Config, file string, tensors []model.HostTensor) (*model.MapSource, map[string]string, error) {
	fam := cfg.Family()
	src := &model.MapSource{Name: file}
	origin := map[string]string{}
	add := func(t model.HostTensor, canon, hf string) {
		t.Name = canon
		src.Add(t)
		origin[canon] = hf
	}
	layerPrefix := fam.HF.Layer + "."
	for _, t := range tensors {
		if hfIgnored(cfg, t.Name) {
			continue
		}
		name := strings.TrimPrefix(t.Name, fam.HF.Prefix)
		if ht, ok := lookupHF(fam.HF.Globals, name); ok {
			add(t, ht.Canon, t.Name)
			continue
		}
		rest, ok := strings.CutPrefix(name, layerPrefix)
		num, suffix, ok2 := strings.Cut(rest, ".")
		if !ok || !ok2 {
			return nil, nil, fmt.Errorf("checkpoint: %s: unexpected tensor %s for %s", file, t.Name, cfg.Arch)
		}
		l, err := strconv.Atoi(num)
		if err != nil || l < 0 || l >= cfg.NLayers {
			return nil, nil, fmt.Errorf("checkpoint: %s: tensor %s: layer %s out of range [0, %d)", file, t.Name, num, cfg.NLayers)
		}
		ht, ok := lookupHF(fam.HF.Layers, suffix)
		if !ok {
			return nil, nil, fmt.Errorf("checkpoint: %s: unexpected tensor %s for %s", file, t.Name, cfg.Arch)
		}
		if ht.Transpose {
			if t, err = transpose2D(t); err != nil {
				return nil, nil, fmt.Errorf("checkpoint: %s: %w", file, err)
			}
		}
		part, kind, _ := strings.Cut(ht.Canon, ".")
		if part != model.AttnQKV {
			add(t, model.LayerName(l, part, kind), t.Name)
		} else if err := splitQKV(t, l, kind, cfg, func(st model.HostTensor, canon string) { add(st, canon, t.Name) }); err != nil {
			return nil, nil, fmt.Errorf("checkpoint: %s: %w", file, err)
		}
	}
	return src, origin, nil
}

// hfName returns the HF name of a canonical tensor (the fused tensor for a
// fused q, k or v), for error messages about tensors a file lacks.
func hfName(cfg model.Config, canon string) string {
	fam := cfg.Family()
	for _, g := range fam.HF.Globals {
		if g.Canon == canon {
			return fam.HF.Prefix + g.HF
		}
	}
	l, part, kind, ok := model.ParseLayerName(canon)
	if !ok {
		return canon
	}
	for _, p := range []string{part, model.AttnQKV} {
		for _, lt := range fam.HF.Layers {
			if lt.Canon == p+"."+kind {
				return fmt.Sprintf("%s%s.%d.%s", fam.HF.Prefix, fam.HF.Layer, l, lt.HF)
			}
		}
	}
	return canon
}

// hfIgnored reports whether an HF tensor carries no parameter: a suffix
// the family declares ignored (causal-mask buffers, RoPE frequency
// tables), or a tied classifier that some checkpoints store anyway.
func hfIgnored(cfg model.Config, name string) bool {
	fam := cfg.Family()
	if cfg.TiedEmbeddings {
		if ht, ok := lookupHF(fam.HF.Globals, strings.TrimPrefix(name, fam.HF.Prefix)); ok && ht.Canon == model.NameOutput {
			return true
		}
	}
	for _, suffix := range fam.HF.Ignored {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

func lookupHF(table []model.HFTensor, name string) (model.HFTensor, bool) {
	for _, t := range table {
		if t.HF == name {
			return t, true
		}
	}
	return model.HFTensor{}, false
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
// an HF checkpoint of the family stores them: its names (with its prefix),
// q/k rows permuted for rotate_half when the family stores them so and
// cfg uses interleaved RoPE, Conv1D weights transposed to [in, out] and
// fused q/k/v concatenated. WriteHF writes them.
func hfTensors(cfg model.Config, src model.TensorSource) ([]model.HostTensor, error) {
	fam := cfg.Family()
	get := func(name string) (model.HostTensor, error) {
		t, ok := src.Lookup(name)
		if !ok {
			return t, fmt.Errorf("checkpoint: %s: missing tensor %s", src.Where(), name)
		}
		return t, nil
	}
	var out []model.HostTensor
	for _, g := range fam.HF.Globals {
		if g.Canon == model.NameOutput && cfg.TiedEmbeddings {
			continue
		}
		t, err := get(g.Canon)
		if err != nil {
			return nil, err
		}
		t.Name = fam.HF.Prefix + g.HF
		out = append(out, t)
	}
	for l := range cfg.NLayers {
		for _, lt := range fam.HF.Layers {
			part, kind, _ := strings.Cut(lt.Canon, ".")
			var t model.HostTensor
			var err error
			if part == model.AttnQKV {
				var parts []model.HostTensor
				for _, p := range []string{model.AttnQ, model.AttnK, model.AttnV} {
					pt, err := get(model.LayerName(l, p, kind))
					if err != nil {
						return nil, err
					}
					parts = append(parts, pt)
				}
				t = concatRows(parts)
			} else if t, err = get(model.LayerName(l, part, kind)); err != nil {
				return nil, err
			}
			if fam.Pos == model.RoPE {
				t = reorderQK(cfg, t, part, cfg.RopeStyle, fam.HF.RopeOrder)
			}
			if lt.Transpose {
				if t, err = transpose2D(t); err != nil {
					return nil, err
				}
			}
			t.Name = fmt.Sprintf("%s%s.%d.%s", fam.HF.Prefix, fam.HF.Layer, l, lt.HF)
			out = append(out, t)
		}
	}
	return out, nil
}

// reorderQK returns t, a tensor of canonical part of layer weights, with
// its rows moved from RoPE pairing from to pairing to when it is a q or k
// projection (weight or bias) and the two differ (HFRopePermutation);
// other tensors are returned as they are.
func reorderQK(cfg model.Config, t model.HostTensor, part string, from, to kernels.RoPEStyle) model.HostTensor {
	if from == to || !reordersQK(cfg, t, part) {
		return t
	}
	heads := qkHeads(cfg, part)
	perm := HFRopePermutation(heads, cfg.HeadDim())
	if to == kernels.RoPEHalf {
		return permuteRows(t, perm)
	}
	return unpermuteRows(t, perm)
}

// reordersQK reports whether t, the weight or bias of part, has rows RoPE
// rotates (which reorderQK moves).
func reordersQK(cfg model.Config, t model.HostTensor, part string) bool {
	heads := qkHeads(cfg, part)
	return heads != 0 && len(t.Shape) > 0 && t.Shape[0] == heads*cfg.HeadDim()
}

// qkHeads is the head count of a q or k projection (whose weight and bias
// rows RoPE rotates), 0 for any other part.
func qkHeads(cfg model.Config, part string) int {
	switch part {
	case model.AttnQ:
		return cfg.NHeads
	case model.AttnK:
		return cfg.NKVHeads
	}
	return 0
}

// HFRopePermutation returns the row permutation that HF's Llama conversion
// applies to q and k projection weights so that rotate_half RoPE
// (kernels.RoPEHalf) equals the original interleaved RoPE: row r of the HF
// weight is row perm[r] of the original. Within each head of width hd, HF
// row j*hd/2 + i comes from original row 2i + j.
func HFRopePermutation(nHeads, headDim int) []int {
	perm := make([]int, nHeads*headDim)
	half := headDim / 2
	for h := 0; h < nHeads; h++ {
		for j := 0; j < 2; j++ {
			for i := 0; i < half; i++ {
				perm[h*headDim+j*half+i] = h*headDim + 2*i + j
			}
		}
	}
	return perm
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
