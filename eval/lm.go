package eval

// LM is what eval needs from a model: float32 logits for B windows of T
// tokens each.
//
// Logits writes the logits of every position of ids (B*T tokens, row-major
// [B, T]) into dst, grown as needed, and returns it as [B*T, V] row-major:
// row b*T+t holds the logits predicting the token after ids[b*T+t], given
// ids[b*T .. b*T+t] (causal, each window independent, positions from 0).
// VocabSize is V; MaxSeqLen is the largest T the model accepts.
//
// *model.Model satisfies it, and so does anything wrapping a quantized or
// remote model.
type LM interface {
	Logits(dst []float32, ids []int32, B, T int) []float32
	VocabSize() int
	MaxSeqLen() int
}
