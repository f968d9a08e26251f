package kernels

import (
	"fmt"
	"strings"
	"testing"
)

// fake is a shape-only tensor for testing the checks.
type fake struct {
	dt    DType
	shape []int
}

func (f *fake) DType() DType   { return f.dt }
func (f *fake) Shape() []int   { return f.shape }
func (f *fake) String() string { return fmt.Sprintf("fake(%s%v)", f.dt, f.shape) }

func ft(shape ...int) *fake { return &fake{F32, shape} }

func panicMsg(fn func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	fn()
	return ""
}

func TestMatMulDims(t *testing.T) {
	for _, c := range []struct {
		name           string
		out, a, b      *fake
		transA, transB bool
		want           MatMulShape
		panic          string // "" for none
	}{
		{"2d", ft(2, 4), ft(2, 3), ft(3, 4), false, false, MatMulShape{1, 2, 4, 3, true, false}, ""},
		{"flatten a", ft(2, 5, 4), ft(2, 5, 3), ft(4, 3), false, true, MatMulShape{1, 10, 4, 3, true, false}, ""},
		{"batched transA", ft(2, 3, 4), ft(2, 5, 3), ft(2, 5, 4), true, false, MatMulShape{2, 3, 4, 5, false, false}, ""},
		{"inner", ft(2, 4), ft(2, 3), ft(2, 4), false, false, MatMulShape{}, "inner dimensions differ"},
		{"out", ft(2, 3), ft(2, 3), ft(3, 4), false, false, MatMulShape{}, "out must hold 1 x [2, 4]"},
		{"shared a", ft(2, 2, 4), ft(2, 3), ft(2, 4, 3), false, true, MatMulShape{2, 2, 4, 3, false, true}, ""},
		{"batch", ft(2, 2, 4), ft(3, 2, 3), ft(2, 3, 4), false, false, MatMulShape{}, "batched b needs"},
		{"1-d b", ft(2), ft(2, 3), ft(3), false, false, MatMulShape{}, "b must be 2-d or 3-d"},
		{"block b", ft(2, 32), ft(2, 32), &fake{Q8_0, []int{32, 32}}, false, false, MatMulShape{}, "block-typed b needs transB"},
	} {
		var got MatMulShape
		msg := panicMsg(func() { got = MatMulDims(c.out, c.a, c.b, c.transA, c.transB) })
		switch {
		case c.panic == "" && msg != "":
			t.Errorf("%s: unexpected panic %q", c.name, msg)
		case c.panic != "" && (!strings.HasPrefix(msg, "kernels: MatMul(") || !strings.Contains(msg, c.panic)):
			t.Errorf("%s: panic %q, want one containing %q", c.name, msg, c.panic)
		case c.panic == "" && got != c.want:
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestViewBytes(t *testing.T) {
	q := &fake{Q8_0, []int{4, 64}} // 2 blocks of 34 bytes a row
	shape, inner := ViewShape(q, 1, 3, nil)
	if lo, hi := ViewBytes(q, 1, 3, shape, inner); lo != 68 || hi != 204 {
		t.Errorf("rows [1, 3) of %s: bytes [%d, %d), want [68, 204)", q, lo, hi)
	}
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"range", func() { ViewShape(q, 2, 5, nil) }},
		{"scalar", func() { ViewShape(ft(), 0, 0, nil) }},
		{"reshape count", func() { ViewShape(q, 0, 1, []int{3}) }},
		{"block layout", func() {
			s, in := ViewShape(q, 0, 1, []int{2, 32})
			ViewBytes(q, 0, 1, s, in) // fits: 2 rows of one block
			s, in = ViewShape(q, 0, 1, []int{4, 16})
			ViewBytes(q, 0, 1, s, in)
		}},
	} {
		if msg := panicMsg(c.fn); !strings.HasPrefix(msg, "kernels: View") {
			t.Errorf("%s: panic %q, want a kernels: View message", c.name, msg)
		}
	}
}

func TestOptionalNil(t *testing.T) {
	var none *fake
	// A nil optional tensor is skipped, a present one checked.
	MustNumel("Op", 3, none, ft(3))
	MustF32("Op", "rstd", none)
	if msg := panicMsg(func() { MustNotNil("Op", "x, w", ft(1), none) }); msg != "kernels: Op: nil tensor among x, w" {
		t.Errorf("MustNotNil: %q", msg)
	}
	if n, c := CheckRows("LayerNorm", ft(2, 3), ft(2, 3), ft(3), none, none, ft(2)); n != 2 || c != 3 {
		t.Errorf("CheckRows: %d, %d", n, c)
	}
}
