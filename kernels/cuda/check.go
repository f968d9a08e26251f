//go:build cuda

package cuda

import (
	"fmt"
	"slices"
)

// Argument checks: caller mistakes panic with a "kernels:" prefix, with the
// same conditions as the CPU backend.

func mustSameShape(op string, a *tensor, ts ...*tensor) {
	for _, t := range ts {
		if !slices.Equal(a.shape, t.shape) {
			panic(fmt.Sprintf("kernels: %s: shape mismatch %s vs %s", op, a, t))
		}
	}
}

func mustNumel(op string, n int, ts ...*tensor) {
	for _, t := range ts {
		if t != nil && t.numel() != n {
			panic(fmt.Sprintf("kernels: %s: %s does not hold %d elements", op, t, n))
		}
	}
}

func mustNotNil(op, names string, ts ...*tensor) {
	for _, t := range ts {
		if t == nil {
			panic(fmt.Sprintf("kernels: %s: %s must not be nil", op, names))
		}
	}
}

func mustF32(op, name string, t *tensor) {
	if t != nil && t.dt != 0 {
		panic(fmt.Sprintf("kernels: %s: %s %s must be F32", op, name, t))
	}
}

// batchRows splits a [B, T, C] tensor's shape (a 2-d one is B = 1).
func batchRows(t *tensor) (B, T, C int) {
	switch len(t.shape) {
	case 2:
		return 1, t.shape[0], t.shape[1]
	case 3:
		return t.shape[0], t.shape[1], t.shape[2]
	}
	panic(fmt.Sprintf("kernels: %s is not [B, T, C] or [T, C]", t))
}

// checkIDs panics when an id (or target, when allowNeg lets negatives
// through as "ignore") is outside [0, n).
func checkIDs(op, what string, ids []int32, n int, allowNeg bool) {
	for i, id := range ids {
		if (id < 0 && !allowNeg) || int(id) >= n {
			panic(fmt.Sprintf("kernels: %s: %s[%d] = %d outside [0, %d)", op, what, i, id, n))
		}
	}
}
