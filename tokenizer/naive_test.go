package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Naive references the fast code is tested against.

// llama2cEncodeNaive is llama2.c run.c's encode (and llama2c_ref.py's)
// written out directly: O(n^2) scans for the best-scoring adjacent pair.
func llama2cEncodeNaive(pieces []string, scores []float32, text string) []int32 {
	index := map[string]int32{}
	for i, p := range pieces {
		if _, ok := index[p]; !ok {
			index[p] = int32(i)
		}
	}
	var ids []int32
	if text != "" {
		ids = append(ids, index[" "])
	}
	for i := 0; i < len(text); {
		_, n := utf8.DecodeRuneInString(text[i:])
		if id, ok := index[text[i:i+n]]; ok {
			ids = append(ids, id)
		} else {
			for k := i; k < i+n; k++ {
				ids = append(ids, int32(text[k])+3)
			}
		}
		i += n
	}
	for {
		best, bestID, bestI := llama2cMinScore, int32(-1), -1
		for i := 0; i+1 < len(ids); i++ {
			if j, ok := index[pieces[ids[i]]+pieces[ids[i+1]]]; ok && scores[j] > best {
				best, bestID, bestI = scores[j], j, i
			}
		}
		if bestI < 0 {
			return ids
		}
		ids[bestI] = bestID
		ids = append(ids[:bestI+1], ids[bestI+2:]...)
	}
}

// gpt2BPENaive is OpenAI encoder.py's bpe(): find the lowest-ranked
// bigram, merge every occurrence left to right, repeat.
func gpt2BPENaive(ranks map[[2]string]int, word string) []string {
	parts := strings.Split(byteLevelEncode(word), "")
	for len(parts) > 1 {
		best, bestRank := [2]string{}, -1
		for i := 0; i+1 < len(parts); i++ {
			if r, ok := ranks[[2]string{parts[i], parts[i+1]}]; ok && (bestRank < 0 || r < bestRank) {
				best, bestRank = [2]string{parts[i], parts[i+1]}, r
			}
		}
		if bestRank < 0 {
			break
		}
		var next []string
		for i := 0; i < len(parts); i++ {
			if i+1 < len(parts) && parts[i] == best[0] && parts[i+1] == best[1] {
				next = append(next, best[0]+best[1])
				i++
			} else {
				next = append(next, parts[i])
			}
		}
		parts = next
	}
	return parts
}

// gpt2SplitNaive splits like splitGPT2 but by trying the regex alternatives
// literally with a small backtracking matcher over runes.
func gpt2SplitNaive(s string) []string {
	var out []string
	rs := []rune(s)
	isS := func(i int) bool { return i < len(rs) && classOf(rs[i]) == clsSpace }
	cls := func(i int) uint8 { return classOf(rs[i]) }
	for i := 0; i < len(rs); {
		n := 0
		for _, c := range []string{"s", "t", "re", "ve", "m", "ll", "d"} {
			if rs[i] == '\'' && strings.HasPrefix(string(rs[i+1:]), c) {
				n = 1 + len(c)
				break
			}
		}
		for _, want := range []uint8{clsLetter, clsNumber, clsOther} {
			if n > 0 {
				break
			}
			for _, sp := range []int{1, 0} { // " ?" is greedy
				j := i
				if sp == 1 {
					if rs[j] != ' ' {
						continue
					}
					j++
				}
				k := j
				for k < len(rs) && cls(k) == want {
					k++
				}
				if k > j {
					n = k - i
					break
				}
			}
		}
		if n == 0 { // \s+(?!\S) by backtracking, then \s+
			k := i
			for isS(k) {
				k++
			}
			for e := k; e > i; e-- {
				if e == len(rs) || isS(e) {
					n = e - i
					break
				}
			}
			if n == 0 {
				n = k - i
			}
		}
		out = append(out, string(rs[i:i+n]))
		i += n
	}
	return out
}
