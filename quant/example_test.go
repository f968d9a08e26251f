package quant

import (
	"fmt"

	"github.com/distill-dev/distill/model"
)

// ExampleNewPlan shows the plan a method makes for stories260K-sized
// shapes (rows of 64 and 172 fit no 256-element k-quant block).
func ExampleNewPlan() {
	cfg := model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 172, NLayers: 1, NHeads: 8, NKVHeads: 4,
		VocabSize: 512, MaxSeqLen: 512, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}
	m, _ := ParseMethod("q4_k_m")
	p, _ := NewPlan(cfg, m, PlanOptions{})
	for _, t := range p.Tensors {
		fmt.Printf("%-22s %-5s %s\n", t.Name, t.DType, t.Why)
	}
	// Output:
	// token_embd.weight      Q8_0  classifier: row % block
	// blk.0.attn_norm.weight F32   1-D
	// blk.0.attn_q.weight    Q5_0  fallback Q4_K->Q5_0: row 64
	// blk.0.attn_k.weight    Q5_0  fallback Q4_K->Q5_0: row 64
	// blk.0.attn_v.weight    Q8_0  q4_k_m: attn_v use_more_bits; fallback Q6_K->Q8_0: row 64
	// blk.0.attn_output.weight Q5_0  fallback Q4_K->Q5_0: row 64
	// blk.0.ffn_norm.weight  F32   1-D
	// blk.0.ffn_gate.weight  Q5_0  fallback Q4_K->Q5_0: row 64
	// blk.0.ffn_up.weight    Q5_0  fallback Q4_K->Q5_0: row 64
	// blk.0.ffn_down.weight  F16   q4_k_m: ffn_down use_more_bits; fallback Q6_K->Q8_0->F16: row 172
	// output_norm.weight     F32   1-D
}
