package corpus

import (
	"fmt"
	"math"
)

// Split names a training text and its validation text, as the command line
// and recipes both describe them; Streams turns it into token streams.
type Split struct {
	Train string
	// Validation is the validation file; "" holds out the last
	// ValidationFraction of Train's documents instead (none when 0).
	Validation         string
	ValidationFraction float64
	Read               ReadOptions
	BOS                BOS
}

// Streams tokenises the training and validation texts. With a held-out
// fraction the last ceil(fraction x documents) documents of Train are the
// validation stream and the rest the training stream.
func (sp Split) Streams(enc Encoder) (train, valid Stream, err error) {
	if train, err = TokenizeFile(sp.Train, sp.Read, enc, sp.BOS); err != nil {
		return Stream{}, Stream{}, err
	}
	if sp.Validation != "" {
		valid, err = TokenizeFile(sp.Validation, sp.Read, enc, sp.BOS)
		return train, valid, err
	}
	d := train.Docs()
	n := int(math.Ceil(sp.ValidationFraction * float64(d)))
	if n == 0 {
		return train, Stream{}, nil
	}
	if n >= d {
		return Stream{}, Stream{}, fmt.Errorf("corpus: %s: %d documents, too few to hold out %g of them for validation", sp.Train, d, sp.ValidationFraction)
	}
	return train.Slice(0, d-n), train.Slice(d-n, d), nil
}
