// Package llama2c reads and writes llama2.c checkpoints (Karpathy's
// llama2.c run.c / export.py .bin files): a Llama model stored as float32
// arrays behind a small header.
//
// # Legacy format (version 0)
//
// A header of seven little-endian int32
//
//	dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//
// where a negative vocab_size means the classifier is stored separately
// (unshared) and a positive one that it is the token embedding. Then float32
// arrays, each layer-stacked array holding all n_layers layers back to back:
//
//	token_embedding [vocab, dim]
//	rms_att [L, dim]   wq [L, dim, dim]   wk [L, kv_dim, dim]
//	wv [L, kv_dim, dim]   wo [L, dim, dim]   rms_ffn [L, dim]
//	w1 [L, hidden, dim]   w2 [L, dim, hidden]   w3 [L, hidden, dim]
//	rms_final [dim]
//	freq_cis_real [seq_len, head_size/2]   freq_cis_imag [seq_len, head_size/2]
//	wcls [vocab, dim]   (only when vocab_size < 0)
//
// with head_size = dim/n_heads and kv_dim = n_kv_heads*head_size. The two
// RoPE tables are legacy and unused (run.c recomputes RoPE); they are
// validated for size but not exposed.
//
// # Version 1
//
// export.py --version 1 writes a 256-byte header: uint32 magic 0x616b3432
// ("ak42"), int32 version 1, the same seven int32 (vocab_size positive), a
// uint8 shared_classifier flag, zero padding to 256 bytes. Then float32
// arrays: rms_att[L], rms_ffn[L], rms_final, token_embedding, wq[L], wk[L],
// wv[L], wo[L], w1[L], w2[L], w3[L], and wcls when not shared. Version 2
// (int8 Q8_0 groups) is recognised and refused.
//
// # Tensors
//
// The reader exposes each layer's slice under its GGUF name with shape
// [out, in] (y = W x), as views into the memory-mapped file:
//
//	token_embd.weight           [vocab, dim]
//	blk.N.attn_norm.weight      [dim]
//	blk.N.attn_q.weight         [dim, dim]
//	blk.N.attn_k.weight         [kv_dim, dim]
//	blk.N.attn_v.weight         [kv_dim, dim]
//	blk.N.attn_output.weight    [dim, dim]
//	blk.N.ffn_norm.weight       [dim]
//	blk.N.ffn_gate.weight (w1)  [hidden, dim]
//	blk.N.ffn_down.weight (w2)  [dim, hidden]
//	blk.N.ffn_up.weight (w3)    [hidden, dim]
//	output_norm.weight          [dim]
//	output.weight               [vocab, dim]   (only when unshared)
//
// The file size must equal the size the header implies exactly; absurd or
// inconsistent dimensions (non-positive, n_heads not dividing dim, n_kv_heads
// not dividing n_heads, odd head size) are refused with an error naming the
// file and field.
package llama2c
