package tokenizer

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// mergeRule says what an adjacent pair of symbols merges into.
type mergeRule struct {
	rank int32 // lower merges first; equal ranks merge leftmost first
	id   int32 // the merged token
}

// pairTable maps an ordered pair of token ids (pairKey) to its merge.
type pairTable map[uint64]mergeRule

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// llama2cMinScore is llama2.c's initial best score: a pair whose merged token
// scores at or below it (or is NaN) is never merged.
const llama2cMinScore = float32(-1e10)

// maxMergedLen bounds the pieces pairsFromScores splits: finding the rules
// of a piece costs O(len^2), and no real vocabulary merges pieces this
// long (SentencePiece's default limit is 16 characters).
const maxMergedLen = 1024

// pairsFromScores derives the merge rules of a SentencePiece/llama2.c
// vocabulary: every split of a token T into two tokens a+b is a rule a,b -> T
// whose priority is T's score. Scores become dense ranks (equal scores share
// a rank), so ties resolve leftmost first exactly as llama2.c's linear scan.
func pairsFromScores(tokens []string, scores []float32, ids map[string]int32) pairTable {
	distinct := make([]float32, 0, len(scores))
	for _, s := range scores {
		if s > llama2cMinScore {
			distinct = append(distinct, s)
		}
	}
	sort.Slice(distinct, func(i, j int) bool { return distinct[i] > distinct[j] })
	rankOf := make(map[float32]int32, len(distinct))
	for _, s := range distinct {
		if _, ok := rankOf[s]; !ok {
			rankOf[s] = int32(len(rankOf))
		}
	}
	pairs := make(pairTable, 2*len(tokens))
	for t, piece := range tokens {
		if !(scores[t] > llama2cMinScore) || ids[piece] != int32(t) || len(piece) > maxMergedLen {
			continue // never merged, a duplicate piece that lookup never returns, or absurdly long
		}
		rank := rankOf[scores[t]]
		for k := 1; k < len(piece); k++ {
			a, okA := ids[piece[:k]]
			b, okB := ids[piece[k:]]
			if okA && okB {
				pairs[pairKey(a, b)] = mergeRule{rank, int32(t)}
			}
		}
	}
	return pairs
}

// pairsFromMerges builds the rules of a ranked merge list ("a b" lines, best
// first; or pairs). The first occurrence of a pair keeps its rank, as in HF
// tokenizers.
func pairsFromMerges(merges [][2]string, ids map[string]int32) (pairTable, error) {
	pairs := make(pairTable, len(merges))
	for i, m := range merges {
		a, okA := ids[m[0]]
		b, okB := ids[m[1]]
		t, okT := ids[m[0]+m[1]]
		switch {
		case !okA:
			return nil, fmt.Errorf("merge %d (%q %q): token %q not in vocabulary", i, m[0], m[1], m[0])
		case !okB:
			return nil, fmt.Errorf("merge %d (%q %q): token %q not in vocabulary", i, m[0], m[1], m[1])
		case !okT:
			return nil, fmt.Errorf("merge %d (%q %q): merged token %q not in vocabulary", i, m[0], m[1], m[0]+m[1])
		}
		k := pairKey(a, b)
		if _, dup := pairs[k]; !dup {
			pairs[k] = mergeRule{int32(i), t}
		}
	}
	return pairs, nil
}

// splitMerges parses "a b" merge lines.
func splitMerges(lines []string) ([][2]string, error) {
	out := make([][2]string, len(lines))
	for i, l := range lines {
		a, b, ok := strings.Cut(l, " ")
		if !ok || a == "" || b == "" || strings.Contains(b, " ") {
			return nil, fmt.Errorf("merge %d %q: want two tokens separated by one space", i, l)
		}
		out[i] = [2]string{a, b}
	}
	return out, nil
}

// candidate is a possible merge of the symbol at pos with its right
// neighbour; left and right are the ids seen when it was queued, so a stale
// entry (either side merged since) is recognised and dropped when popped.
type candidate struct {
	rank, pos, left, right, id int32
}

func (c candidate) before(d candidate) bool {
	return c.rank < d.rank || c.rank == d.rank && c.pos < d.pos
}

// mergeState is the scratch of one merge run: a doubly linked list of
// symbols over syms and a binary min-heap of candidates.
type mergeState struct {
	prev, next []int32
	heap       []candidate
}

var mergePool = sync.Pool{New: func() any { return new(mergeState) }}

// merge applies the rules to syms in place and returns the merged prefix.
// Each step merges the pair of lowest rank, leftmost on ties, until no
// adjacent pair has a rule: the greedy loop of llama2.c's encode and of HF
// tokenizers' BPE, in O(n log n) instead of O(n^2). mergeNaive (tests) is
// the direct loop it must equal.
func (p pairTable) merge(syms []int32) []int32 {
	n := len(syms)
	if n < 2 || len(p) == 0 {
		return syms
	}
	st := mergePool.Get().(*mergeState)
	defer mergePool.Put(st)
	if cap(st.prev) < n {
		st.prev = make([]int32, n)
		st.next = make([]int32, n)
	}
	prev, next := st.prev[:n], st.next[:n]
	for i := range n {
		prev[i] = int32(i) - 1
		next[i] = int32(i) + 1
	}
	next[n-1] = -1
	st.heap = st.heap[:0]
	for i := 0; i+1 < n; i++ {
		st.push(p, syms, int32(i), int32(i+1))
	}
	for len(st.heap) > 0 {
		c := st.pop()
		r := next[c.pos]
		if syms[c.pos] != c.left || r < 0 || syms[r] != c.right {
			continue
		}
		syms[c.pos] = c.id
		syms[r] = -1
		nr := next[r]
		next[c.pos] = nr
		if nr >= 0 {
			prev[nr] = c.pos
			st.push(p, syms, c.pos, nr)
		}
		if pl := prev[c.pos]; pl >= 0 {
			st.push(p, syms, pl, c.pos)
		}
	}
	out := syms[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}

func (st *mergeState) push(p pairTable, syms []int32, l, r int32) {
	m, ok := p[pairKey(syms[l], syms[r])]
	if !ok {
		return
	}
	h := append(st.heap, candidate{m.rank, l, syms[l], syms[r], m.id})
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h[i].before(h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
	st.heap = h
}

func (st *mergeState) pop() candidate {
	h := st.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].before(h[l]) {
			m = r
		}
		if !h[m].before(h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	st.heap = h
	return top
}
