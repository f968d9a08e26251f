package student

import (
	"fmt"
	"math"
	"strings"

	"github.com/distill-dev/distill/model"
)

// Learning-rate schedules.
const (
	ScheduleCosine   = "cosine"
	ScheduleLinear   = "linear"
	ScheduleConstant = "constant"
)

// Schedule is a linear warmup from 0 to LR over Warmup steps, then a decay
// to MinRatio*LR at step Total (cosine or linear), or constant.
type Schedule struct {
	Kind     string
	LR       float64
	Warmup   int
	Total    int
	MinRatio float64
}

// At returns the learning rate of optimizer step (1-based):
//
//	step <= Warmup:  LR * step / Warmup
//	cosine:          min + (LR - min) * (1 + cos(pi * f)) / 2
//	linear:          LR - (LR - min) * f
//
// with f = (step - Warmup) / (Total - Warmup) clamped to [0, 1] and
// min = MinRatio * LR.
func (s Schedule) At(step int) float64 {
	if step <= s.Warmup && s.Warmup > 0 {
		return s.LR * float64(step) / float64(s.Warmup)
	}
	lo := s.MinRatio * s.LR
	f := 1.0
	if s.Total > s.Warmup {
		f = math.Min(1, math.Max(0, float64(step-s.Warmup)/float64(s.Total-s.Warmup)))
	}
	switch s.Kind {
	case ScheduleCosine:
		return lo + (s.LR-lo)*(1+math.Cos(math.Pi*f))/2
	case ScheduleLinear:
		return s.LR - (s.LR-lo)*f
	}
	return s.LR
}

// Validate reports an unknown kind or negative values.
func (s Schedule) Validate() error {
	switch s.Kind {
	case ScheduleCosine, ScheduleLinear, ScheduleConstant:
	default:
		return fmt.Errorf("student: unknown schedule %q (want cosine, linear or constant)", s.Kind)
	}
	if !(s.LR > 0) || s.Warmup < 0 || s.MinRatio < 0 || s.MinRatio > 1 {
		return fmt.Errorf("student: schedule lr %g, warmup %d, min ratio %g out of range", s.LR, s.Warmup, s.MinRatio)
	}
	return nil
}

// Decays reports whether parameter name gets weight decay: matrices do;
// norm weights, biases and embeddings (token and position) do not unless
// decayAll. A tied classifier is the token embedding, so it is not decayed.
func Decays(name string, shape []int, decayAll bool) bool {
	if decayAll {
		return true
	}
	if len(shape) < 2 || strings.HasSuffix(name, ".bias") {
		return false
	}
	return name != model.NameTokenEmbd && name != model.NamePosEmbd
}
