// Package model defines distill's Transformer: its configuration, the
// layout of its parameters, and its forward pass, written once against
// kernels.Backend so the same code runs on every device.
//
// # Families
//
// Every family runs one block definition (per block, x the residual stream
// [B, T, C]), shared by inference (Forward) and training (ForwardTrain):
//
//	Llama:  h = x + Wo · attn(rope(Wq·n1), rope(Wk·n1), Wv·n1),  n1 = rmsnorm(x) ⊙ g1
//	        x' = h + Wdown · (silu(Wgate·n2) ⊙ (Wup·n2)),        n2 = rmsnorm(h) ⊙ g2
//	GPT-2:  the same with layernorm(·)·g + b for rmsnorm, biases on every
//	        projection, no RoPE but learned positions added to the token
//	        embedding, and gelu_tanh(Wup·n2 + bup) for the gated unit.
//
// What differs is declared once per family in a Family value (norm kind,
// FFN kind, positional encoding, biases, q/k norm, tied head, grouped-query
// attention, optional features such as RoPE scaling, and the family's names
// in HF and GGUF files), registered by its file (family_llama.go,
// family_gpt2.go). The forward, backward, parameter layout and package
// checkpoint's readers and writers read these traits; none switches on the
// family's name, so a new family is one new file. Traits a family may
// declare before distill implements them (q/k norm, RoPE scaling, sliding
// windows) are refused by Config.Validate with an error naming them.
//
// rmsnorm(x) = x / sqrt(mean(x²) + eps); attn is causal softmax(q kᵀ/√hd) v
// per head, query head h reading key/value head h/(H/KVH) (grouped-query
// attention). The classifier is logits = Wout · norm(x), Wout being the
// token embedding when the head is tied.
//
// RoPE rotates pairs of a head's channels by pos·θ^(-2i/hd): the pairs
// (2i, 2i+1) with kernels.RoPEInterleaved (llama2.c, Meta, GGUF) or
// (i, i+hd/2) with kernels.RoPEHalf (HF transformers, whose checkpoints have
// q/k rows permuted by checkpoint.HFRopePermutation so both give the same
// model).
//
// # Parameters
//
// Config.Params lists every tensor with its canonical name (GGUF's:
// token_embd.weight, blk.N.attn_q.weight, ..., output.weight) and shape
// ([out, in] for matrices, y = W x), with offsets into one flat block so
// trainers can lay gradients and optimizer moments out the same way
// (NewParamBlock allocates such a block with a view per tensor). GPT-2's
// fused c_attn is stored split as attn_q/attn_k/attn_v, and its Conv1D
// weights transposed to [out, in], by the loaders; the forward never sees
// HF's layout.
//
// Projections that read one input (q/k/v; a gated FFN's gate/up) run as
// one MatMul per group where their weights are stacked in one tensor
// (fuse.go): views of a parameter block whose layout puts them back to
// back, or one upload by New on a backend that asks for it
// (kernels.WeightStacker, the CUDA backend). The per-name tensors stay,
// as views, so checkpoints, exports and gradients keep Params' layout.
//
// # Loading and running
//
// New uploads the tensors of a TensorSource (any checkpoint reader, after
// renaming to canonical names), checking each one's presence, shape, dtype
// and finiteness; matrices keep their storage dtype (F32, F16, BF16 or a
// block type, decoded by MatMul), vectors are widened to F32.
// NewFromTensors wraps tensors already on the backend.
//
// Forward(ids, B, T, cache) returns the logits [B*T, V] in F32. Activation
// buffers (the activations struct, every intermediate named) are kept
// between calls and reused, so steady-state decoding allocates nothing; a
// training forward that keeps one set per layer and a Backward beside it fit
// the same structure. A KVCache (NewKVCache) stores each layer's keys and
// values so that generation feeds one token per step.
//
// The tests compare every logit with a naive float64 reference
// implementation (reference_test.go) on tiny random configs of both
// families, in F32, F16 and BF16 storage, and KV-cached decoding with the
// full forward.
package model
