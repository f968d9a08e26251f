package student

import (
	"errors"
	"fmt"
	"math"

	"github.com/distill-dev/distill/model"
)

// Shape describes a student relative to its teacher. Zero widths mean the
// teacher's. At most one of EveryK, Layers and NLayers picks the depth; with
// none the student keeps every layer.
type Shape struct {
	EveryK    int   // keep teacher layers k-1, 2k-1, ... (DistilBERT)
	Layers    []int // explicit, increasing teacher layer indices
	NLayers   int   // evenly spaced teacher layers, first and last included
	Dim       int
	NHeads    int
	NKVHeads  int // 0: the teacher's; with NHeads set, the most that group NHeads evenly, up to the teacher's
	HiddenDim int
	// Init is InitTeacherLayers, InitImportance or InitRandom; it adds the
	// rules that initialisation needs (copied layers keep the teacher's
	// widths, importance slicing keeps its head width). Empty: no such
	// rules (Build then copies teacher layers).
	Init string
}

// ShapeError is one reason a student shape cannot be built. Setting names
// the Shape field at fault as the recipe's student section spells it
// ("n_kv_heads", "layers[2]"), so recipe validation can point at the line
// and the command line at the flag; it is empty when no single setting is.
type ShapeError struct {
	Setting string
	Msg     string
}

func (e *ShapeError) Error() string {
	if e.Setting == "" {
		return "student: " + e.Msg
	}
	return "student: " + e.Setting + ": " + e.Msg
}

// ShapeErrors lists the *ShapeError values in an error of Resolve.
func ShapeErrors(err error) []*ShapeError {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else if err != nil {
		list = []error{err}
	}
	var out []*ShapeError
	for _, e := range list {
		var se *ShapeError
		if errors.As(e, &se) {
			out = append(out, se)
		} else {
			out = append(out, &ShapeError{Msg: e.Error()})
		}
	}
	return out
}

// Resolve is the one place a student's shape is decided: recipe validation
// approves exactly what the trainer then builds, because both call it. It
// returns the student's config (the teacher's, with the widths of s and the
// depth of the kept layers; vocabulary, tokenizer ids, RoPE and norm
// settings always come from the teacher) and the teacher layer each student
// layer comes from. Every problem is reported, each a *ShapeError joined
// into the error (see ShapeErrors).
func Resolve(teacher model.Config, s Shape) (model.Config, []int, error) {
	if err := teacher.Validate(); err != nil {
		return model.Config{}, nil, fmt.Errorf("student: the teacher's %w", err)
	}
	var errs []error
	bad := func(setting, format string, args ...any) {
		errs = append(errs, &ShapeError{Setting: setting, Msg: fmt.Sprintf(format, args...)})
	}
	layers := selectLayers(teacher.NLayers, s, bad)
	c := teacher
	c.NLayers = len(layers)
	or := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	c.Dim, c.NHeads, c.HiddenDim = or(s.Dim, teacher.Dim), or(s.NHeads, teacher.NHeads), or(s.HiddenDim, teacher.HiddenDim)
	c.NKVHeads = teacher.NKVHeads
	if s.NHeads > 0 {
		c.NKVHeads = groupKV(c.NHeads, teacher.NKVHeads)
	}
	c.NKVHeads = or(s.NKVHeads, c.NKVHeads)

	for _, w := range []struct {
		setting                  string
		given, resolved, teacher int
	}{
		{"dim", s.Dim, c.Dim, teacher.Dim},
		{"n_heads", s.NHeads, c.NHeads, teacher.NHeads},
		{"n_kv_heads", s.NKVHeads, c.NKVHeads, teacher.NKVHeads},
		{"hidden_dim", s.HiddenDim, c.HiddenDim, teacher.HiddenDim},
	} {
		switch {
		case w.resolved > w.teacher:
			bad(w.setting, "%d is larger than the teacher's %d", w.resolved, w.teacher)
		case w.given > 0 && w.given != w.teacher && s.Init == InitTeacherLayers:
			bad(w.setting, "%d differs from the teacher's %d: init teacher_layers copies whole layers (use init importance or random)", w.given, w.teacher)
		}
	}
	// A width the teacher gave can clash with one given: blame the given one.
	headsAt, groupAt := "n_heads", "n_heads"
	if s.Dim > 0 || s.NHeads == 0 {
		headsAt = "dim"
	}
	if s.NKVHeads > 0 {
		groupAt = "n_kv_heads"
	}
	dim := c.Dim
	if c.ExplicitHeadDim > 0 {
		dim = 0 // heads of an explicit width need not divide the model width
	}
	switch {
	case !checkHeads(dim, c.NHeads, c.NKVHeads, headsAt, bad):
	case s.Init == InitImportance && c.HeadDim() != teacher.HeadDim():
		bad(headsAt, "dim %d / n_heads %d gives heads of width %d: init importance keeps whole teacher heads of width %d",
			c.Dim, c.NHeads, c.HeadDim(), teacher.HeadDim())
	case s.Init == InitImportance && c.NHeads/c.NKVHeads > teacher.NHeads/teacher.NKVHeads:
		bad(groupAt, "%d query heads per kv head exceed the teacher's %d: init importance keeps whole kv heads",
			c.NHeads/c.NKVHeads, teacher.NHeads/teacher.NKVHeads)
	}
	if len(errs) == 0 {
		if err := c.Validate(); err != nil {
			bad(firstGiven(s), "%v", err)
		}
	}
	if len(errs) > 0 {
		return model.Config{}, nil, errors.Join(errs...)
	}
	return c, layers, nil
}

// CheckGiven reports the widths that s sets together and that cannot go
// together, before the teacher is known (recipe validation without a
// teacher); Resolve checks the same and more.
func CheckGiven(s Shape) error {
	var errs []error
	checkHeads(s.Dim, s.NHeads, s.NKVHeads, "dim", func(setting, format string, args ...any) {
		errs = append(errs, &ShapeError{Setting: setting, Msg: fmt.Sprintf(format, args...)})
	})
	return errors.Join(errs...)
}

// checkHeads reports (and returns false) when heads does not divide dim or
// kv does not divide heads; zero widths are unknown. headsAt is the setting
// to blame for the first ("dim", or "n_heads" when dim is the teacher's).
func checkHeads(dim, heads, kv int, headsAt string, bad func(setting, format string, args ...any)) bool {
	switch {
	case dim > 0 && heads > 0 && dim%heads != 0:
		if headsAt == "dim" {
			bad("dim", "%d is not a multiple of n_heads %d", dim, heads)
		} else {
			bad("n_heads", "%d does not divide the teacher's dim %d", heads, dim)
		}
	case heads > 0 && kv > 0 && heads%kv != 0:
		bad("n_kv_heads", "n_heads %d is not a multiple of n_kv_heads %d", heads, kv)
	default:
		return true
	}
	return false
}

// groupKV is the number of KV heads of a student with heads query heads:
// the most, up to the teacher's teacherKV, that group the query heads
// evenly (so importance slicing keeps whole KV heads).
func groupKV(heads, teacherKV int) int {
	for kv := min(heads, max(teacherKV, 1)); kv > 1; kv-- {
		if heads%kv == 0 {
			return kv
		}
	}
	return 1
}

// firstGiven names the first width s sets, to blame for a config the model
// refuses ("" when s sets none).
func firstGiven(s Shape) string {
	for _, w := range []struct {
		name string
		v    int
	}{{"dim", s.Dim}, {"n_heads", s.NHeads}, {"n_kv_heads", s.NKVHeads}, {"hidden_dim", s.HiddenDim}} {
		if w.v > 0 {
			return w.name
		}
	}
	return ""
}

// selectLayers returns the teacher layers a student of shape s keeps
// (teacher depth n), reporting problems through bad.
func selectLayers(n int, s Shape, bad func(setting, format string, args ...any)) []int {
	var set []string
	for _, d := range []struct {
		name string
		on   bool
	}{{"every_k", s.EveryK > 0}, {"layers", len(s.Layers) > 0}, {"n_layers", s.NLayers > 0}} {
		if d.on {
			set = append(set, d.name)
		}
	}
	if len(set) > 1 {
		bad(set[1], "give only one of every_k, layers and n_layers (%s is set too)", set[0])
		return nil
	}
	var out []int
	switch {
	case s.EveryK > 0:
		for l := s.EveryK - 1; l < n; l += s.EveryK {
			out = append(out, l)
		}
		if len(out) == 0 {
			bad("every_k", "%d selects no layer of the teacher's %d", s.EveryK, n)
		}
	case len(s.Layers) > 0:
		for i, l := range s.Layers {
			at := fmt.Sprintf("layers[%d]", i)
			switch {
			case l < 0 || l >= n:
				bad(at, "layer %d out of range for the teacher's %d layers (0..%d)", l, n, n-1)
			case i > 0 && l <= s.Layers[i-1]:
				bad(at, "layer %d after %d: layers must be increasing", l, s.Layers[i-1])
			}
		}
		out = append(out, s.Layers...)
	case s.NLayers > n:
		bad("n_layers", "%d is more than the teacher's %d layers", s.NLayers, n)
	case s.NLayers == 1:
		out = []int{n - 1}
	case s.NLayers > 1:
		for i := range s.NLayers {
			out = append(out, int(math.Round(float64(i*(n-1))/float64(s.NLayers-1))))
		}
	default:
		for l := range n {
			out = append(out, l)
		}
	}
	return out
}
