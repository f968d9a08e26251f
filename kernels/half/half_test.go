package half

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/x448/float16"
)

// path is one implementation of the four bulk conversions; nil fields are
// not provided by that path.
type path struct {
	name      string
	f16ToF32  func([]float32, []uint16)
	f32ToF16  func([]uint16, []float32)
	bf16ToF32 func([]float32, []uint16)
	f32ToBF16 func([]uint16, []float32)
}

func allPaths() []path {
	ps := []path{
		{"generic", f16ToF32Generic, f32ToF16Generic, bf16ToF32Generic, f32ToBF16Generic},
		{"dispatch", F16ToF32, F32ToF16, BF16ToF32, F32ToBF16},
	}
	return append(ps, archPaths()...)
}

// float32Patterns returns bit patterns covering every exponent of both signs
// with fractions at and around the binary16 and bfloat16 rounding points
// (ties, just below, just above, odd and even kept parts), plus random ones.
func float32Patterns() []uint32 {
	fracs := []uint32{
		0, 1, 2, 0x7fffff, 0x7ffffe, 0x400000, 0x400001, 0x3fffff,
		0x1000, 0x0fff, 0x1001, 0x3000, 0x2fff, 0x3001, 0x2000, 0x1fff, // binary16 ties
		0x8000, 0x7fff, 0x8001, 0x18000, 0x17fff, 0x18001, 0x10000, 0xffff, // bfloat16 ties
		0x7fe000, 0x7ff000, 0x7fefff, 0x7f8000, 0x7f7fff, 0x7fc000, 0x003fff,
	}
	r := rand.New(rand.NewPCG(1, 2))
	var ps []uint32
	for e := uint32(0); e < 256; e++ {
		for s := uint32(0); s < 2; s++ {
			for _, f := range fracs {
				ps = append(ps, s<<31|e<<23|f)
			}
			for range 16 {
				ps = append(ps, s<<31|e<<23|r.Uint32()&0x7fffff)
			}
		}
	}
	for range 1 << 18 {
		ps = append(ps, r.Uint32())
	}
	return ps
}

func TestWidenF16MatchesX448(t *testing.T) {
	for h := range 1 << 16 {
		got := math.Float32bits(WidenF16(uint16(h)))
		want := math.Float32bits(float16.Frombits(uint16(h)).Float32())
		if got != want {
			t.Fatalf("WidenF16(%#04x) = %#08x, x448 gives %#08x", h, got, want)
		}
	}
}

func TestRoundF16MatchesX448(t *testing.T) {
	for _, u := range float32Patterns() {
		f := math.Float32frombits(u)
		if got, want := RoundF16(f), float16.Fromfloat32(f).Bits(); got != want {
			t.Fatalf("RoundF16(%#08x) = %#04x, x448 gives %#04x", u, got, want)
		}
	}
}

func TestRoundBF16(t *testing.T) {
	tests := []struct {
		in   uint32
		want uint16
	}{
		{0x00000000, 0x0000},
		{0x80000000, 0x8000},
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, kept part even: down
		{0x3f818000, 0x3f82}, // tie, kept part odd: up
		{0x3f808001, 0x3f81}, // above the tie
		{0x3f807fff, 0x3f80}, // below the tie
		{0x7f7fffff, 0x7f80}, // max float32 rounds to +Inf
		{0xff7fffff, 0xff80},
		{0x7f800000, 0x7f80}, // +Inf
		{0xff800000, 0xff80}, // -Inf
		{0x7fc00000, 0x7fc0}, // quiet NaN
		{0xffc00001, 0xffc0}, // negative NaN keeps its sign
		{0x7f800001, 0x7fc0}, // NaN with payload only in the low half stays NaN
		{0x7fa00000, 0x7fe0}, // signalling NaN is quieted, payload kept
		{0x00000001, 0x0000}, // smallest subnormal rounds to +0
		{0x00008000, 0x0000}, // subnormal tie, even: down
		{0x00018000, 0x0002}, // subnormal tie, odd: up
		{0x007fffff, 0x0080}, // largest subnormal rounds to smallest normal
		{0x00400000, 0x0040}, // subnormal kept (not flushed)
	}
	for _, tt := range tests {
		if got := RoundBF16(math.Float32frombits(tt.in)); got != tt.want {
			t.Errorf("RoundBF16(%#08x) = %#04x, want %#04x", tt.in, got, tt.want)
		}
	}
	// Against a float64 round-to-nearest-even model for all finite patterns.
	for _, u := range float32Patterns() {
		f := math.Float32frombits(u)
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			continue
		}
		got := RoundBF16(f)
		if want := bf16Model(f); got != want {
			t.Fatalf("RoundBF16(%#08x) = %#04x, model gives %#04x", u, got, want)
		}
	}
}

// bf16Model rounds by comparing distances to the two bfloat16 neighbours.
func bf16Model(f float32) uint16 {
	u := math.Float32bits(f)
	lo := uint16(u >> 16)
	hi := lo + 1
	dl := math.Abs(float64(f) - float64(WidenBF16(lo)))
	vh := float64(WidenBF16(hi))
	if math.IsInf(vh, 0) {
		vh = math.Copysign(math.Ldexp(1, 128), vh) // IEEE: overflow rounds as if the exponent were unbounded
	}
	dh := math.Abs(vh - float64(f))
	switch {
	case dl < dh:
		return lo
	case dh < dl:
		return hi
	case lo&1 == 0:
		return lo
	}
	return hi
}

func TestWidenBF16(t *testing.T) {
	for b := range 1 << 16 {
		if got := math.Float32bits(WidenBF16(uint16(b))); got != uint32(b)<<16 {
			t.Fatalf("WidenBF16(%#04x) = %#08x", b, got)
		}
	}
}

func TestPathsExhaustiveWiden(t *testing.T) {
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	dst := make([]float32, len(src))
	for _, p := range allPaths() {
		if p.f16ToF32 != nil {
			p.f16ToF32(dst, src)
			for i, h := range src {
				if got, want := math.Float32bits(dst[i]), math.Float32bits(WidenF16(h)); got != want {
					t.Fatalf("%s F16ToF32(%#04x) = %#08x, want %#08x", p.name, h, got, want)
				}
			}
		}
		if p.bf16ToF32 != nil {
			p.bf16ToF32(dst, src)
			for i, h := range src {
				if got := math.Float32bits(dst[i]); got != uint32(h)<<16 {
					t.Fatalf("%s BF16ToF32(%#04x) = %#08x", p.name, h, got)
				}
			}
		}
	}
}

func TestPathsNarrow(t *testing.T) {
	pats := float32Patterns()
	src := make([]float32, len(pats))
	for i, u := range pats {
		src[i] = math.Float32frombits(u)
	}
	dst := make([]uint16, len(src))
	for _, p := range allPaths() {
		if p.f32ToF16 != nil {
			p.f32ToF16(dst, src)
			for i, f := range src {
				if got, want := dst[i], float16.Fromfloat32(f).Bits(); got != want {
					t.Fatalf("%s F32ToF16(%#08x) = %#04x, x448 gives %#04x", p.name, pats[i], got, want)
				}
			}
		}
		if p.f32ToBF16 != nil {
			p.f32ToBF16(dst, src)
			for i, f := range src {
				if got, want := dst[i], RoundBF16(f); got != want {
					t.Fatalf("%s F32ToBF16(%#08x) = %#04x, want %#04x", p.name, pats[i], got, want)
				}
			}
		}
	}
}

// TestPathsTails checks every length up to a few vectors, with guard values
// after dst[:n] that must stay untouched.
func TestPathsTails(t *testing.T) {
	const maxN, guard = 70, 0x5a5a
	r := rand.New(rand.NewPCG(3, 4))
	f := make([]float32, maxN)
	h := make([]uint16, maxN)
	for i := range f {
		f[i] = float32(r.NormFloat64())
		if i%5 == 0 {
			f[i] *= 1e-40 // subnormal, to exercise the BF16 fix-up
		}
		h[i] = uint16(r.Uint32())
	}
	for _, p := range allPaths() {
		for n := 0; n <= maxN-2; n++ {
			d16 := make([]uint16, n+2)
			d32 := make([]float32, n+2)
			check16 := func(op string, want func(int) uint16) {
				for i := range n {
					if d16[i] != want(i) {
						t.Fatalf("%s %s n=%d: dst[%d] = %#04x, want %#04x", p.name, op, n, i, d16[i], want(i))
					}
				}
				if d16[n] != guard || d16[n+1] != guard {
					t.Fatalf("%s %s n=%d wrote past the end", p.name, op, n)
				}
			}
			check32 := func(op string, want func(int) float32) {
				for i := range n {
					if math.Float32bits(d32[i]) != math.Float32bits(want(i)) {
						t.Fatalf("%s %s n=%d: dst[%d] = %v, want %v", p.name, op, n, i, d32[i], want(i))
					}
				}
				if math.Float32bits(d32[n]) != guard || math.Float32bits(d32[n+1]) != guard {
					t.Fatalf("%s %s n=%d wrote past the end", p.name, op, n)
				}
			}
			reset := func() {
				for i := range d16 {
					d16[i], d32[i] = guard, math.Float32frombits(guard)
				}
			}
			if p.f32ToF16 != nil {
				reset()
				p.f32ToF16(d16, f[:n])
				check16("F32ToF16", func(i int) uint16 { return RoundF16(f[i]) })
			}
			if p.f32ToBF16 != nil {
				reset()
				p.f32ToBF16(d16, f[:n])
				check16("F32ToBF16", func(i int) uint16 { return RoundBF16(f[i]) })
			}
			if p.f16ToF32 != nil {
				reset()
				p.f16ToF32(d32, h[:n])
				check32("F16ToF32", func(i int) float32 { return WidenF16(h[i]) })
			}
			if p.bf16ToF32 != nil {
				reset()
				p.bf16ToF32(d32, h[:n])
				check32("BF16ToF32", func(i int) float32 { return WidenBF16(h[i]) })
			}
		}
	}
}

func TestShortDstPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("F32ToF16 with a short dst did not panic")
		}
	}()
	F32ToF16(make([]uint16, 3), make([]float32, 4))
}
