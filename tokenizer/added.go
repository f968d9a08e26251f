package tokenizer

import (
	"sort"
	"strings"
)

// addedMatcher finds added tokens (<s>, <|endoftext|>, ...) in raw text
// before any other processing, as HF tokenizers does: leftmost match first,
// the longest token on ties.
type addedMatcher struct {
	first [256]bool
	byte0 map[byte][]addedToken // candidates by first byte, longest first
}

type addedToken struct {
	content string
	id      int32
}

func newAddedMatcher(toks []addedToken) *addedMatcher {
	if len(toks) == 0 {
		return nil
	}
	m := &addedMatcher{byte0: make(map[byte][]addedToken)}
	for _, t := range toks {
		if t.content == "" {
			continue
		}
		c := t.content[0]
		m.first[c] = true
		m.byte0[c] = append(m.byte0[c], t)
	}
	for _, l := range m.byte0 {
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].content) > len(l[j].content) })
	}
	return m
}

// split calls f for every match [i, j) of an added token in s, in order.
func (m *addedMatcher) split(s string, f func(i, j int, id int32)) {
	for i := 0; i < len(s); i++ {
		if !m.first[s[i]] {
			continue
		}
		for _, t := range m.byte0[s[i]] {
			if strings.HasPrefix(s[i:], t.content) {
				f(i, i+len(t.content), t.id)
				i += len(t.content) - 1
				break
			}
		}
	}
}
