package llama2c

import "fmt"

// array is one float32 array of the file: a single tensor, or n_layers
// tensors back to back when perLayer.
type array struct {
	name     string // GGUF name; "%d" stands for the layer when perLayer
	perLayer bool
	shape    []int // of one tensor
}

// ropeCos and ropeSin name the legacy RoPE tables, which are validated
// and written but not exposed.
const (
	ropeCos = "rope.freq_cis_real"
	ropeSin = "rope.freq_cis_imag"
)

// layout lists the arrays of a file in order.
func layout(h Header) []array {
	d, hd, kv, v := h.Dim, h.HiddenDim, h.KVDim(), h.VocabSize
	var (
		emb     = array{"token_embd.weight", false, []int{v, d}}
		attNorm = array{"blk.%d.attn_norm.weight", true, []int{d}}
		wq      = array{"blk.%d.attn_q.weight", true, []int{d, d}}
		wk      = array{"blk.%d.attn_k.weight", true, []int{kv, d}}
		wv      = array{"blk.%d.attn_v.weight", true, []int{kv, d}}
		wo      = array{"blk.%d.attn_output.weight", true, []int{d, d}}
		ffnNorm = array{"blk.%d.ffn_norm.weight", true, []int{d}}
		w1      = array{"blk.%d.ffn_gate.weight", true, []int{hd, d}}
		w2      = array{"blk.%d.ffn_down.weight", true, []int{d, hd}}
		w3      = array{"blk.%d.ffn_up.weight", true, []int{hd, d}}
		norm    = array{"output_norm.weight", false, []int{d}}
		cls     = array{"output.weight", false, []int{v, d}}
	)
	var out []array
	if h.Version == 0 {
		rope := []int{h.SeqLen, h.HeadSize() / 2}
		out = []array{emb, attNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, norm,
			{ropeCos, false, rope}, {ropeSin, false, rope}}
	} else {
		out = []array{attNorm, ffnNorm, norm, emb, wq, wk, wv, wo, w1, w2, w3}
	}
	if !h.SharedClassifier {
		out = append(out, cls)
	}
	return out
}

// tensorNames expands a layout into tensor names and shapes, in file order.
func tensorNames(h Header) []Tensor {
	var out []Tensor
	for _, a := range layout(h) {
		n := 1
		if a.perLayer {
			n = h.NLayers
		}
		for l := 0; l < n; l++ {
			name := a.name
			if a.perLayer {
				name = fmt.Sprintf(a.name, l)
			}
			out = append(out, Tensor{Name: name, Shape: a.shape})
		}
	}
	return out
}

func numel(shape []int) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= int64(d)
	}
	return n
}

// fileSize returns the exact size of a file with header h. Header bounds
// keep it far below overflow.
func fileSize(h Header) int64 {
	size := int64(legacySize)
	if h.Version != 0 {
		size = versionedSize
	}
	for _, t := range tensorNames(h) {
		size += 4 * numel(t.Shape)
	}
	return size
}

func isRope(name string) bool { return name == ropeCos || name == ropeSin }
