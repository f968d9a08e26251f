package tokenizer

import "strings"

// llama3Pattern and qwen2Pattern are the pre-tokenisation regexes of Llama 3
// (tiktoken's cl100k_base) and Qwen2/Qwen3, which differ only in how many
// digits one piece takes; splitLlama3 implements them.
const (
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Pattern  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// splitLlama3 splits s as the Llama 3 regex does (maxDigits 3; 1 for Qwen),
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// by hand, as splitGPT2 does (Go's regexp has no lookahead): at each
// position the first alternative that matches wins. The pieces
// concatenate to s.
func splitLlama3(s string, maxDigits int, yield func(string)) {
	for i := 0; i < len(s); {
		n := matchLlama3(s, i, maxDigits)
		yield(s[i : i+n])
		i += n
	}
}

// matchLlama3 returns the length of the match at s[i:] (> 0).
func matchLlama3(s string, i, maxDigits int) int {
	if s[i] == '\'' {
		if n := contraction(asciiLower(s[i+1 : min(len(s), i+3)])); n > 0 {
			return n + 1
		}
	}
	cls, size := runeAt(s, i)
	// [^\r\n\p{L}\p{N}]?\p{L}+: an optional non-letter, non-digit
	// character other than CR/LF, then letters.
	j := i
	if cls != clsLetter && cls != clsNumber && !isCRLF(s[i]) && i+size < len(s) {
		j = i + size
	}
	if c, _ := runeAt(s, j); c == clsLetter {
		return run(s, j, clsLetter) - i
	}
	switch cls {
	case clsNumber: // \p{N}{1,maxDigits}
		k := i
		for n := 0; n < maxDigits && k < len(s); n++ {
			c, size := runeAt(s, k)
			if c != clsNumber {
				break
			}
			k += size
		}
		return k - i
	case clsOther: // " ?[^\s\p{L}\p{N}]+[\r\n]*" without the space
		return crlfRun(s, run(s, i, clsOther)) - i
	}
	if s[i] == ' ' && i+1 < len(s) {
		if c, _ := runeAt(s, i+1); c == clsOther {
			return crlfRun(s, run(s, i+1, clsOther)) - i
		}
	}
	// A whitespace run s[i:k]. \s*[\r\n]+ ends after its last CR or LF;
	// else \s+(?!\S) leaves the last character to the next word when a
	// non-space follows a run of two or more; else \s+ takes it whole.
	k, last, lastCRLF := i, i, -1
	for k < len(s) {
		c, size := runeAt(s, k)
		if c != clsSpace {
			break
		}
		if isCRLF(s[k]) {
			lastCRLF = k
		}
		last = k
		k += size
	}
	switch {
	case lastCRLF >= 0:
		return lastCRLF + 1 - i
	case k < len(s) && last > i:
		return last - i
	}
	return k - i
}

func isCRLF(c byte) bool { return c == '\r' || c == '\n' }

// run returns the end of the run of characters of class cls from s[i:].
func run(s string, i int, cls uint8) int {
	for i < len(s) {
		c, size := runeAt(s, i)
		if c != cls {
			break
		}
		i += size
	}
	return i
}

// crlfRun returns the end of the run of CR and LF bytes from s[i:].
func crlfRun(s string, i int) int {
	for i < len(s) && isCRLF(s[i]) {
		i++
	}
	return i
}

// asciiLower lowercases ASCII letters only ((?i) on the ASCII
// contractions).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// splitString is HF's Split pre-tokenizer with a string pattern: s is cut
// around every occurrence of pat, which is dropped ("Removed"), its own
// piece ("Isolated"), joined to the piece before it ("MergedWithPrevious")
// or to the one after it ("MergedWithNext"). Empty pieces are dropped.
func splitString(pat, behavior string) (func(s string, yield func(string)), bool) {
	switch behavior {
	case "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext":
	default:
		return nil, false
	}
	return func(s string, yield func(string)) {
		emit := func(p string) {
			if p != "" {
				yield(p)
			}
		}
		start := 0 // start of the pending piece
		for i := 0; ; {
			j := strings.Index(s[i:], pat)
			if j < 0 {
				break
			}
			m, e := i+j, i+j+len(pat)
			switch behavior {
			case "Removed":
				emit(s[start:m])
				start = e
			case "Isolated":
				emit(s[start:m])
				emit(s[m:e])
				start = e
			case "MergedWithPrevious":
				emit(s[start:e])
				start = e
			case "MergedWithNext":
				emit(s[start:m])
				start = m
			}
			i = e
		}
		emit(s[start:])
	}, true
}
