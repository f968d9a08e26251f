// Package eval measures language models on a token stream: perplexity, and
// the agreement and divergence between two models (student vs teacher, or a
// quantized model vs its float original).
//
// Everything is written against the small LM interface (logits for a batch of
// token windows), so a teacher, a student, a quantized model or a fake in a
// test are evaluated by the same code.
//
// # Definitions
//
// The stream. Text becomes a token stream x_0 .. x_{N-1} through package
// corpus, the one data path of distill (documents, BOS placement document /
// stream / none, and the window plan are defined there). Every text token
// that has at least one token before it in the stream is scored; inserted
// BOS tokens are never scored (they are not part of the text). So with BOS
// none the first token of the stream is not scored, and with document or
// stream every text token is.
//
// Token-level negative log-likelihood, natural log, with logits z of the
// position before token x_i (V = vocabulary size):
//
//	nll_i = logsumexp_v(z_v) - z_{x_i}
//	NLL   = (1/|S|) sum_{i in S} nll_i      (S = scored positions)
//	PPL   = exp(NLL)
//
// Context and sliding window. The model sees at most C tokens at once (the
// context length, default its maximum sequence length); the logits at stream
// position p predict token p+1. Window k feeds the model positions
// [b_k, e_k) with b_k = k*s and e_k = min(b_k+C, N-1), where the stride s
// (default C) satisfies 1 <= s <= C, and scores the targets in
// (e_{k-1}, e_k] (e_{-1} = 0): exactly those no earlier window scored
// (corpus.Plan). Every scorable token is scored exactly once, with between
// C-s+1 and C tokens of history (fewer at the start of the stream). s = C
// gives disjoint windows (the cheapest, and how llama2.c chunks its
// training data); s = 1 gives every token C tokens of history at C times
// the compute. This is the Hugging Face "perplexity of fixed-length models"
// method with max_length = C+1 (HF counts the target inside its window;
// here the window is what the model is fed).
//
// Numerics: logits are float32 from the model; log-sum-exp subtracts the row
// maximum and accumulates in float64, and all sums over tokens are float64
// and taken in stream order, so eval's own arithmetic does not depend on the
// batch size or the number of goroutines (a model's logits may, slightly).
//
// # Reproducing the llama2.c reference
//
// The data README gives stories260K's perplexity on
// tinystories/valid-head.txt "as one stream" as about 5.05 (NLL 1.619),
// from a float64 reference. These settings reproduce it: the whole file,
// untrimmed, as one document (corpus.ReadOptions.Whole, "distill eval
// --split-docs=false"), tokenised as llama2.c's run.c encode does (one
// dummy-prefix space token first), BOS before the stream (stream, or
// document, the same with one document), context 512 (the model's
// seq_len) and stride 512. That is 393,019 stream tokens, 393,018 scored,
// NLL 1.61912, PPL 5.0486 in float64 (a scratch float64 implementation kept
// outside the repository); each window of 512 inputs predicts the next 512
// tokens, llama2.c's own chunking of its training data. The default of
// every command is blank-line documents with a BOS each (how the model was
// trained), which scores the same text differently. The README's precision does
// not single them out: without BOS the same gives NLL 1.61948 (PPL 5.0505),
// and HF's variant (history up to 511, the first token of each window
// unscored) gives 1.61905 over 392,251 tokens, so results are only
// comparable with the definitions printed beside them.
//
// # Comparing two models
//
// Compare runs models P (reference, e.g. the teacher) and Q (e.g. the
// student) on the same windows and, at every scored position i with
// p = softmax(z^P), q = softmax(z^Q):
//
//	agreement = (1/|S|) sum_i [argmax_v p_v == argmax_v q_v]
//	KL(P||Q)  = (1/|S|) sum_i sum_v p_v (log p_v - log q_v)   (nats/token)
//	KL(Q||P)  = (1/|S|) sum_i sum_v q_v (log q_v - log p_v)   (reverse)
//
// plus each model's NLL and PPL as above. Ties in argmax go to the lowest id.
package eval
