package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// byteToRune is GPT-2's bytes_to_unicode: printable Latin-1 bytes map to
// themselves, the other 68 bytes to U+0100.. in byte order, so every byte
// string becomes a printable string (space -> "Ġ", newline -> "Ċ").
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := make(map[rune]byte, 256)
	n := rune(0)
	for b := range 256 {
		r := rune(b)
		if !('!' <= b && b <= '~' || 0xA1 <= b && b <= 0xAC || 0xAE <= b && b <= 0xFF) {
			r = 256 + n
			n++
		}
		b2r[b] = r
		r2b[r] = byte(b)
	}
	return b2r, r2b
}()

// byteLevelEncode maps each byte of s to its byte-level rune.
func byteLevelEncode(s string) string {
	out := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = byteToRune[s[i]]
	}
	return string(out)
}

// byteLevelDecode maps a byte-level string back to raw bytes; a rune
// outside the alphabet is kept as its UTF-8 bytes.
func byteLevelDecode(s string) string {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := runeToByte[r]; ok {
			out = append(out, b)
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	return string(out)
}

// Character classes of the GPT-2 pattern for ASCII, precomputed.
const (
	clsOther = iota // [^\s\p{L}\p{N}]
	clsSpace
	clsLetter
	clsNumber
)

var asciiClass = func() (t [128]uint8) {
	for c := range 128 {
		t[c] = classOf(rune(c))
	}
	return
}()

func classOf(r rune) uint8 {
	switch {
	case unicode.IsSpace(r):
		return clsSpace
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	}
	return clsOther
}

// runeAt decodes the character at s[i:] and its class. An invalid byte is
// one character of class other (it decodes to U+FFFD, a symbol).
func runeAt(s string, i int) (cls uint8, size int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return classOf(r), size
}

// splitGPT2 splits s as GPT-2's pre-tokenisation regex does,
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// by hand, because Go's regexp has no lookahead. Alternatives are tried in
// order at each position, as a backtracking engine does. The pieces
// concatenate to s.
func splitGPT2(s string, yield func(string)) {
	for i := 0; i < len(s); {
		n := matchGPT2(s, i)
		yield(s[i : i+n])
		i += n
	}
}

// matchGPT2 returns the length of the match of the pattern at s[i:] (> 0).
func matchGPT2(s string, i int) int {
	if s[i] == '\'' {
		if n := contraction(s[i+1:]); n > 0 {
			return n + 1
		}
	}
	j := i
	if s[j] == ' ' && j+1 < len(s) {
		j++ // " ?" then a letter, number or other run
	}
	if cls, _ := runeAt(s, j); cls != clsSpace {
		k := j
		for k < len(s) {
			c, size := runeAt(s, k)
			if c != cls {
				break
			}
			k += size
		}
		return k - i
	}
	// A whitespace run from i. \s+(?!\S) backtracks from the whole run
	// until no non-space follows: when one does, that leaves the run less
	// its last character (which then starts the next word, " ?\p{L}+" for
	// a space); a run of one falls through to \s+ and is taken whole.
	k, last := i, i
	for k < len(s) {
		c, size := runeAt(s, k)
		if c != clsSpace {
			break
		}
		last = k
		k += size
	}
	if k < len(s) && last > i {
		return last - i
	}
	return k - i
}

// contraction matches s|t|re|ve|m|ll|d (after the apostrophe), case-sensitive.
func contraction(s string) int {
	if len(s) >= 1 {
		switch s[0] {
		case 's', 't', 'm', 'd':
			return 1
		}
	}
	if len(s) >= 2 {
		switch s[:2] {
		case "re", "ve", "ll":
			return 2
		}
	}
	return 0
}
