// Package generate continues a prompt with a model and its tokenizer,
// one token per step through a KV cache: greedy at temperature 0,
// otherwise softmax(logits/temperature) optionally truncated to the top-p
// nucleus, drawn from a PCG generator seeded by Options.Seed, so a seed
// always gives the same text. Text works on strings (tokenizing the prompt,
// streaming decoded pieces); IDs on token ids.
package generate
