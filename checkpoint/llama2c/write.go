package llama2c

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/distill-dev/distill/internal/atomicfile"
)

// Write writes a checkpoint atomically. weights maps every tensor name the
// header implies (see the package doc; output.weight only when
// !h.SharedClassifier) to its row-major values. The legacy RoPE tables of
// version 0 are computed as llama2.c's model.py does (theta 10000).
func Write(path string, h Header, weights map[string][]float32) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		return Encode(w, h, weights)
	})
	if err != nil {
		return fmt.Errorf("llama2c: %s: %w", path, err)
	}
	return nil
}

// Encode writes a checkpoint to w; see Write.
func Encode(w io.Writer, h Header, weights map[string][]float32) error {
	if err := h.Validate(); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	names := tensorNames(h)
	want := map[string]bool{}
	for _, t := range names {
		want[t.Name] = true
		if isRope(t.Name) {
			continue
		}
		v, ok := weights[t.Name]
		if !ok {
			return fmt.Errorf("tensor %q is missing", t.Name)
		}
		if int64(len(v)) != numel(t.Shape) {
			return fmt.Errorf("tensor %q has %d values, shape %v needs %d", t.Name, len(v), t.Shape, numel(t.Shape))
		}
	}
	for name := range weights {
		if !want[name] {
			return fmt.Errorf("tensor %q is not part of this checkpoint (shared classifier %v)", name, h.SharedClassifier)
		}
	}
	if _, err := w.Write(encodeHeader(h)); err != nil {
		return err
	}
	cos, sin := ropeTables(h)
	buf := make([]byte, 0, 1<<16)
	for _, t := range names {
		v := weights[t.Name]
		switch t.Name {
		case ropeCos:
			v = cos
		case ropeSin:
			v = sin
		}
		for len(v) > 0 {
			n := min(len(v), cap(buf)/4)
			buf = buf[:4*n]
			for i, x := range v[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
			v = v[n:]
		}
	}
	return nil
}

// ropeTables returns llama2.c's legacy freq_cis tables [seq_len,
// head_size/2]: cos and sin of t / 10000^(2i/head_size).
func ropeTables(h Header) (cos, sin []float32) {
	if h.Version != 0 {
		return nil, nil
	}
	half := h.HeadSize() / 2
	cos = make([]float32, h.SeqLen*half)
	sin = make([]float32, h.SeqLen*half)
	for t := 0; t < h.SeqLen; t++ {
		for i := 0; i < half; i++ {
			freq := 1 / math.Pow(10000, float64(2*i)/float64(h.HeadSize()))
			cos[t*half+i] = float32(math.Cos(float64(t) * freq))
			sin[t*half+i] = float32(math.Sin(float64(t) * freq))
		}
	}
	return cos, sin
}
