package model

import (
	"errors"
	"fmt"
	"math"
)

// RoPE scaling, the one home of its math. Every kind is expressed as a
// divisor of each pair's frequency (kernels.RoPEParams.FreqFactors, the
// rope_freqs tensor of llama.cpp's Llama 3 files): pair i of a head of
// width hd turns by p * theta^(-2i/hd) / factor_i at position p.
//
//   - linear (HF _compute_linear_scaling_rope_parameters): factor_i =
//     Factor for every pair, i.e. positions divided by Factor.
//   - llama3 (HF _compute_llama3_parameters): with the unscaled
//     frequency f_i and wavelength w_i = 2π/f_i, the original context
//     O = OriginalMaxSeqLen, lowW = O/LowFreqFactor, highW =
//     O/HighFreqFactor:
//     w_i < highW: 1 (high frequencies kept);
//     w_i > lowW: Factor (low frequencies stretched);
//     otherwise, with s = (O/w_i - Low)/(High - Low), the blend
//     1 / ((1-s)/Factor + s).
//   - dynamic (HF _compute_dynamic_ntk_parameters with
//     dynamic_rope_update): the divisors depend on the length L of the
//     call (positions 0..L-1, the KV cache included). Up to O =
//     OriginalMaxSeqLen (HF's max_position_embeddings) there is no
//     scaling; past it the base becomes theta * s^(hd/(hd-2)) with s =
//     Factor*L/O - (Factor-1), i.e. factor_i = s^(2i/(hd-2)). Keys
//     already in a KV cache keep the rotation of their own call, as in
//     HF generation. llama.cpp has no such mode (no GGUF export).

// Rope scaling kinds (HF rope_type values distill implements).
const (
	RopeScalingLinear  = "linear"
	RopeScalingLlama3  = "llama3"
	RopeScalingDynamic = "dynamic"
)

// validate checks the parameters a scaling kind needs.
func (r RopeScaling) validate() error {
	finitePos := func(v float32) bool { return v > 0 && !math.IsInf(float64(v), 0) }
	if !finitePos(r.Factor) {
		return fmt.Errorf("factor %g must be a finite number > 0", r.Factor)
	}
	switch r.Kind {
	case RopeScalingDynamic:
		if r.OriginalMaxSeqLen <= 0 {
			return fmt.Errorf("original max_position_embeddings %d must be > 0", r.OriginalMaxSeqLen)
		}
		return nil
	case RopeScalingLlama3:
	default:
		return nil
	}
	var errs []error
	if !finitePos(r.LowFreqFactor) || !finitePos(r.HighFreqFactor) || r.HighFreqFactor <= r.LowFreqFactor {
		errs = append(errs, fmt.Errorf("low_freq_factor %g and high_freq_factor %g must be finite with 0 < low < high",
			r.LowFreqFactor, r.HighFreqFactor))
	}
	if r.OriginalMaxSeqLen <= 0 {
		errs = append(errs, fmt.Errorf("original_max_position_embeddings %d must be > 0", r.OriginalMaxSeqLen))
	}
	return errors.Join(errs...)
}

// RopeFreqFactors returns the divisor of each RoPE pair's frequency
// (HeadDim/2 values) for c's RopeScaling, or nil when there is none or
// it depends on the length (dynamic: RopeFreqFactorsAt). c must be
// valid.
func (c Config) RopeFreqFactors() []float32 {
	r := c.RopeScaling
	if r.Kind == "" || r.Kind == RopeScalingDynamic {
		return nil
	}
	hd := c.HeadDim()
	out := make([]float32, hd/2)
	for i := range out {
		switch r.Kind {
		case RopeScalingLinear:
			out[i] = r.Factor
		case RopeScalingLlama3:
			f := math.Pow(float64(c.RopeTheta), -2*float64(i)/float64(hd))
			out[i] = float32(llama3Factor(f, float64(r.Factor), float64(r.LowFreqFactor), float64(r.HighFreqFactor), float64(r.OriginalMaxSeqLen)))
		default:
			panic("model: RopeFreqFactors: unvalidated rope scaling " + r.Kind)
		}
	}
	return out
}

// llama3Factor is Llama 3's divisor of frequency f (see the top of this
// file).
func llama3Factor(f, factor, low, high, orig float64) float64 {
	wavelen := 2 * math.Pi / f
	switch {
	case wavelen < orig/high:
		return 1
	case wavelen > orig/low:
		return factor
	}
	s := (orig/wavelen - low) / (high - low)
	return 1 / ((1-s)/factor + s)
}

// RopeFreqFactorsAt returns the frequency divisors of a call covering
// positions 0..seqLen-1: RopeFreqFactors, but for dynamic scaling those
// of seqLen (nil up to OriginalMaxSeqLen). c must be valid.
func (c Config) RopeFreqFactorsAt(seqLen int) []float32 {
	r := c.RopeScaling
	if r.Kind != RopeScalingDynamic {
		return c.RopeFreqFactors()
	}
	if seqLen <= r.OriginalMaxSeqLen {
		return nil
	}
	hd := float64(c.HeadDim())
	s := float64(r.Factor)*float64(seqLen)/float64(r.OriginalMaxSeqLen) - (float64(r.Factor) - 1)
	out := make([]float32, c.HeadDim()/2)
	out[0] = 1 // pair 0 turns at theta^0 whatever the base (and hd may be 2)
	for i := 1; i < len(out); i++ {
		out[i] = float32(math.Pow(s, 2*float64(i)/(hd-2)))
	}
	return out
}
