package corpus

import "fmt"

// HoldOut splits s by whole documents into the part to evaluate and the
// part that calibrates: the last documents of s, as few as hold tokens
// tokens (at least one document), but never more than half of them. The
// parts share no token position: eval is documents [0, k), calib [k, D).
// It is an error when s has fewer than two documents.
func HoldOut(s Stream, tokens int) (eval, calib Stream, err error) {
	d := s.Docs()
	if d < 2 {
		return Stream{}, Stream{}, fmt.Errorf("corpus: %d document(s): too few to hold some out for calibration (give a separate calibration file)", d)
	}
	k := d - 1
	for k > d-d/2 && s.Len()-s.Starts[k] < tokens {
		k--
	}
	return s.Slice(0, k), s.Slice(k, d), nil
}
