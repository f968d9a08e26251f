package kernels

import (
	"encoding/binary"
	"math"
)

// RoPETable returns the rotation angles' cosines and sines [npos, hd/2]
// for positions [0, npos): pair i of position p turns by
// p * theta^(-2i/hd) / factors[i] (factors nil: 1), computed in float64
// and rounded once, so every backend rotates by the same float32 values.
func RoPETable(theta float32, hd, npos int, factors []float32) (cos, sin []float32) {
	half := hd / 2
	freq := make([]float64, half)
	for i := range freq {
		freq[i] = math.Pow(float64(theta), -2*float64(i)/float64(hd))
		if factors != nil {
			freq[i] /= float64(factors[i])
		}
	}
	cos, sin = make([]float32, npos*half), make([]float32, npos*half)
	for p := 0; p < npos; p++ {
		for i, f := range freq {
			s, c := math.Sincos(float64(p) * f)
			cos[p*half+i], sin[p*half+i] = float32(c), float32(s)
		}
	}
	return cos, sin
}

// RoPEFactorKey encodes frequency factors as a map key for caching tables
// ("" for none).
func RoPEFactorKey(f []float32) string {
	if f == nil {
		return ""
	}
	b := make([]byte, 0, 4*len(f))
	for _, v := range f {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return string(b)
}
