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
// n < 2 (nothing to score).
func Plan(n, c, s int) ([]Window, error) {
	if c < 1 {
		return nil, fmt.Errorf("corpus: context length %d must be at least 1", c)
	}
	if s < 1 || s > c {
		return nil, fmt.Errorf("corpus: stride %d must be between 1 and the context length %d", s, c)
	}
	var ws []Window
	prevEnd := 0
	for b := 0; prevEnd < n-1; b += s {
		e := min(b+c, n-1)
		ws = append(ws, Window{Start: b, End: e, First: prevEnd + 1})
		prevEnd = e
	}
	return ws, nil
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
