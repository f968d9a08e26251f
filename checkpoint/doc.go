// Package checkpoint is the one home of distill's checkpoint formats, in
// both directions: it loads a checkpoint (a teacher, a trained student, an
// export being verified) into a model.Model with its tokenizer, inspects
// one without loading it, and writes models back (WriteHF, WriteGGUF). The
// byte-level readers and writers live in checkpoint/safetensors,
// checkpoint/gguf and checkpoint/llama2c; this package maps them onto
// model.Config (ParseHFConfig / HFConfigJSON, ConfigFromGGUF, ConfigFromLlama2C)
// and onto the canonical tensor names (HF name tables, the q/k
// permutation, GPT-2's fused c_attn and Conv1D layout), and embeds
// tokenizers (GGUF tokenizer.ggml.* keys, HF tokenizer.json).
//
// Load detects the format:
//
//   - llama2.c .bin (legacy header of 7 int32, shared or separate classifier),
//     tokenizer tokenizer.bin or tok*.bin beside it;
//   - HF: a directory (or its config.json / *.safetensors / index file) with
//     config.json and model.safetensors or model.safetensors.index.json
//     shards, for LlamaForCausalLM and GPT2LMHeadModel (with or without the
//     "transformer." prefix), tokenizer.json or encoder.json+vocab.bpe beside;
//   - GGUF (the registered families' architectures), tokenizer embedded in the
//     tokenizer.ggml.* keys.
//
// All of them are mapped to the canonical (GGUF) tensor names and layout of
// package model, reading only the family's declaration (model.Family: HF
// names and config.json keys, GGUF architecture, fused q/k/v, RoPE row
// order), never switching on the family. HF Llama checkpoints store q/k
// rows permuted for rotate_half (kernels.RoPEHalf, the family's
// HF.RopeOrder); Load moves them back to the family's own order
// (RopeOrder, kernels.RoPEInterleaved for Llama) like llama2.c and GGUF
// files, so that one set of weights gives bit-identical logits whatever
// file it came from (in another order the q·k sums would run differently
// and differ in the last bits), at the cost of a host copy of q and k. HF
// GPT-2's Conv1D weights ([in, out]) are transposed and its fused c_attn is
// split into q/k/v. Weights keep their stored dtype (F32/F16/BF16, GGUF
// block types).
//
// Every error names the file and, where one is at fault, the tensor (by its
// name in the file): unknown architecture, config/shape mismatch,
// unsupported dtype, missing tensor, NaN or Inf weights.
//
// WriteHF and WriteGGUF are the only writers of those formats: export,
// quantize, training checkpoints and the tests all call them. Their options
// carry extra metadata (HFOptions.Metadata, GGUFOptions.Metadata) for
// provenance keys such as a tokenizer hash.
//
// The parity tests run the real stories260K model (../shared/data) and
// check every logit against float64 reference logits within 1e-4 and the
// greedy continuation against the reference text; the cross-format tests
// write one random model as safetensors (F32/F16/BF16, single and sharded)
// and GGUF and check that every file loads back to the same logits.
package checkpoint
