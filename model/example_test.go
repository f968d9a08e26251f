package model_test

import (
	"fmt"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// The parameters of stories260K (its llama2.c header's shape).
func ExampleConfig_Params() {
	c := model.Config{Arch: model.ArchLlama, Dim: 64, HiddenDim: 172, NLayers: 5, NHeads: 8, NKVHeads: 4, VocabSize: 512,
		MaxSeqLen: 512, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}
	ps := c.Params()
	fmt.Println(len(ps), "tensors,", c.NumParams(), "parameters")
	for _, p := range ps[:4] {
		fmt.Println(p.Name, p.Shape, p.Offset)
	}
	// Output:
	// 47 tensors, 260032 parameters
	// token_embd.weight [512 64] 0
	// blk.0.attn_norm.weight [64] 32768
	// blk.0.attn_q.weight [64 64] 32832
	// blk.0.attn_k.weight [32 64] 36928
}

// Prefill a prompt, then decode one token at a time with a KV cache.
func ExampleModel_Forward() {
	cfg := model.Config{Arch: model.ArchLlama, Dim: 32, HiddenDim: 64, NLayers: 2, NHeads: 4, NKVHeads: 2,
		VocabSize: 100, MaxSeqLen: 16, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: true, BOS: 1, EOS: 2}
	b := cpu.New(1)
	m, err := model.New(cfg, b, model.EncodeParams("random", cfg, b, model.RandomParams(cfg, 1), kernels.F32))
	if err != nil {
		panic(err)
	}
	cache := m.NewKVCache(1, cfg.MaxSeqLen)
	logits := m.Forward([]int32{1, 17, 42}, 1, 3, cache) // [3, 100]
	fmt.Println(logits.Shape(), cache.Pos)
	logits = m.Forward([]int32{7}, 1, 1, cache) // position 3
	fmt.Println(logits.Shape(), cache.Pos)
	// Output:
	// [3 100] 3
	// [1 100] 4
}
