package corpus

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitStreams(t *testing.T) {
	train := writeFile(t, "train.txt", "2 3\n\n4\n\n5 6\n\n7\n")
	valid := writeFile(t, "valid.txt", "8 9\n")
	for _, tc := range []struct {
		sp             Split
		tr, va         []int32
		trDocs, vaDocs int
	}{
		{Split{Train: train, Validation: valid}, []int32{1, 2, 3, 1, 4, 1, 5, 6, 1, 7}, []int32{1, 8, 9}, 4, 1},
		{Split{Train: train, ValidationFraction: 0.25}, []int32{1, 2, 3, 1, 4, 1, 5, 6}, []int32{1, 7}, 3, 1},
		{Split{Train: train, ValidationFraction: 0.3}, []int32{1, 2, 3, 1, 4}, []int32{1, 5, 6, 1, 7}, 2, 2},
		{Split{Train: train}, []int32{1, 2, 3, 1, 4, 1, 5, 6, 1, 7}, nil, 4, 0},
		{Split{Train: train, ValidationFraction: 0.5, BOS: BOSNone}, []int32{2, 3, 4}, []int32{5, 6, 7}, 2, 2},
	} {
		tr, va, err := tc.sp.Streams(numbers{})
		if err != nil || !slices.Equal(tr.IDs, tc.tr) || !slices.Equal(va.IDs, tc.va) || tr.Docs() != tc.trDocs || va.Docs() != tc.vaDocs {
			t.Errorf("%+v: train %v valid %v (%v), want %v %v", tc.sp, tr.IDs, va.IDs, err, tc.tr, tc.va)
		}
	}
	if _, _, err := (Split{Train: train, ValidationFraction: 0.9}).Streams(numbers{}); err == nil || !strings.Contains(err.Error(), "too few") {
		t.Errorf("fraction 0.9 of 4 documents: %v", err)
	}
}
