package benchstat

import "testing"

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		x    []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), tc.x...)
		if got := Median(tc.x); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", in, got, tc.want)
		}
		for i := range in {
			if tc.x[i] != in[i] {
				t.Fatalf("Median reordered its input: %v, was %v", tc.x, in)
			}
		}
	}
}
