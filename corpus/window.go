package corpus

import "fmt"

// Window is one model call's worth of a sliding-window evaluation: the model
// is fed stream positions [Start, End) and the targets First..End (inclusive)
// are scored, target p being predicted by the logits at position p-1.
type Window struct {
	Start, End int // input positions [Start, End)
	First      int // first scored target; targets First..End are scored
}

// Len is the number of input tokens of w.
func (w Window) Len() int { return w.End - w.Start }

// Plan returns the windows that evaluate a stream of n tokens with context
// length c and stride s, as defined in the package documentation. Every
// target 1..n-1 is in exactly one window's [First, End]. It returns nil when
// n < 2 (nothing to score). NewWindows gives the same windows one at a
// time, without the slice.
func Plan(n, c, s int) ([]Window, error) {
	p, err := NewWindows(n, c, s)
	if err != nil {
		return nil, err
	}
	var ws []Window
	for k := range p.Len() {
		ws = append(ws, p.At(k))
	}
	return ws, nil
}

// Windows is Plan's windows computed on demand, so that planning a stream
// costs no memory however long it is: window k starts at b_k = k*s, ends
// at e_k = min(b_k+c, n-1) and scores from e_{k-1}+1 (from 1 for k = 0).
type Windows struct {
	n, c, s, count int
}

// NewWindows checks the context length c and stride s and returns the
// windows of a stream of n tokens.
func NewWindows(n, c, s int) (Windows, error) {
	if c < 1 {
		return Windows{}, fmt.Errorf("corpus: context length %d must be at least 1", c)
	}
	if s < 1 || s > c {
		return Windows{}, fmt.Errorf("corpus: stride %d must be between 1 and the context length %d", s, c)
	}
	p := Windows{n: n, c: c, s: s}
	if n >= 2 {
		// the first k with e_k = n-1: k*s + c >= n-1
		p.count = 1 + max(0, (n-1-c+s-1)/s)
	}
	return p, nil
}

// Len is the number of windows.
func (p Windows) Len() int { return p.count }

// At returns window k (0 <= k < Len()).
func (p Windows) At(k int) Window {
	first := 1
	if k > 0 {
		first = min((k-1)*p.s+p.c, p.n-1) + 1
	}
	return Window{Start: k * p.s, End: min(k*p.s+p.c, p.n-1), First: first}
}

// CalibrationWindows cuts a token stream into n disjoint windows of t
// tokens spread evenly over it (fewer when the stream is short; none when
// it is shorter than t).
func CalibrationWindows(ids []int32, n, t int) [][]int32 {
	if t <= 0 || n <= 0 || len(ids) < t {
		return nil
	}
	avail := len(ids) / t
	n = min(n, avail)
	step := avail / n
	out := make([][]int32, n)
	for i := range out {
		s := i * step * t
		out[i] = ids[s : s+t : s+t]
	}
	return out
}
