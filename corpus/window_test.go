package corpus

import (
	"slices"
	"testing"
)

func TestPlanScoresEveryTargetOnce(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for c := 1; c <= 12; c++ {
			for s := 1; s <= c; s++ {
				ws, err := Plan(n, c, s)
				if err != nil {
					t.Fatal(err)
				}
				seen := make([]int, n)
				for k, w := range ws {
					if w.Start != k*s || w.Len() < 1 || w.Len() > c || w.First-1 < w.Start || w.End > n-1 {
						t.Fatalf("n=%d c=%d s=%d: bad window %d %+v", n, c, s, k, w)
					}
					if k < len(ws)-1 && w.Len() != c {
						t.Fatalf("n=%d c=%d s=%d: window %d %+v is short but not last", n, c, s, k, w)
					}
					for p := w.First; p <= w.End; p++ {
						seen[p]++
						if h := p - w.Start; p > c && (h < c-s+1 || h > c) {
							t.Fatalf("n=%d c=%d s=%d: target %d has %d tokens of history", n, c, s, p, h)
						}
					}
				}
				for p := 1; p < n; p++ {
					if seen[p] != 1 {
						t.Fatalf("n=%d c=%d s=%d: target %d scored %d times", n, c, s, p, seen[p])
					}
				}
			}
		}
	}
}

// TestPlanIsTheLoop: the windows computed on demand are those of the
// definition's loop.
func TestPlanIsTheLoop(t *testing.T) {
	for n := 0; n <= 40; n++ {
		for c := 1; c <= 12; c++ {
			for s := 1; s <= c; s++ {
				var want []Window
				for b, prevEnd := 0, 0; prevEnd < n-1; b += s {
					e := min(b+c, n-1)
					want = append(want, Window{Start: b, End: e, First: prevEnd + 1})
					prevEnd = e
				}
				got, err := Plan(n, c, s)
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("Plan(%d, %d, %d) = %v, %v; want %v", n, c, s, got, err, want)
				}
			}
		}
	}
}

func TestPlanRejectsBadSettings(t *testing.T) {
	for _, cs := range [][2]int{{0, 1}, {4, 0}, {4, 5}, {-1, -1}} {
		if _, err := Plan(10, cs[0], cs[1]); err == nil {
			t.Errorf("Plan(10, %d, %d): no error", cs[0], cs[1])
		}
	}
}

func TestCalibrationWindows(t *testing.T) {
	ids := make([]int32, 100)
	for i := range ids {
		ids[i] = int32(i)
	}
	for _, tc := range []struct {
		n, t   int
		starts []int32
	}{
		{4, 10, []int32{0, 20, 40, 60}},
		{20, 10, []int32{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}},
		{3, 100, []int32{0}},
		{3, 101, nil},
		{0, 10, nil},
	} {
		ws := CalibrationWindows(ids, tc.n, tc.t)
		var starts []int32
		for _, w := range ws {
			if len(w) != tc.t || w[len(w)-1] != w[0]+int32(tc.t-1) {
				t.Fatalf("n=%d t=%d: window %v", tc.n, tc.t, w)
			}
			starts = append(starts, w[0])
		}
		if !slices.Equal(starts, tc.starts) {
			t.Errorf("n=%d t=%d: starts %v, want %v", tc.n, tc.t, starts, tc.starts)
		}
	}
}
