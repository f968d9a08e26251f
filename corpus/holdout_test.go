package corpus

import (
	"fmt"
	"strings"
	"testing"
)

// The default calibration windows (the held-out documents, cut as distill
// quantize cuts them: 128 windows of 256 tokens) and the evaluation
// windows (context 512, stride 512, and stride 1) share no token position.
func TestHoldOutDisjointFromEvaluation(t *testing.T) {
	var docs []string
	for d := range 600 { // documents of 100..299 tokens
		var b strings.Builder
		for range 100 + (d*37)%200 {
			b.WriteString("7 ")
		}
		docs = append(docs, b.String())
	}
	s := Tokenize(numbers{}, docs, BOSDocument)
	for p := range s.IDs { // each token's id is its stream position
		s.IDs[p] = int32(p)
	}
	const windows, length = 128, 256
	ev, cal, err := HoldOut(s, windows*length)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Docs()+cal.Docs() != s.Docs() || cal.Docs() > s.Docs()/2 || cal.Len() < windows*length {
		t.Fatalf("split %d + %d documents (%d calibration tokens) of %d", ev.Docs(), cal.Docs(), cal.Len(), s.Docs())
	}
	calib := map[int32]bool{}
	cw := CalibrationWindows(cal.IDs, windows, length)
	if len(cw) != windows {
		t.Fatalf("%d calibration windows, want %d", len(cw), windows)
	}
	for _, w := range cw {
		for _, p := range w {
			calib[p] = true
		}
	}
	for _, stride := range []int{512, 1} {
		ws, err := Plan(ev.Len(), 512, stride)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			for p := w.Start; p <= w.End; p++ { // inputs and targets
				if calib[ev.IDs[p]] {
					t.Fatalf("stride %d: evaluation window %+v uses position %d, a calibration position", stride, w, ev.IDs[p])
				}
			}
		}
	}
}

func TestHoldOutSizes(t *testing.T) {
	doc := func(n int) string { return strings.Repeat("7 ", n) }
	for _, tc := range []struct {
		docs     []int // tokens per document
		want     int   // tokens asked for
		calibDoc int   // documents held out
	}{
		{[]int{10, 10}, 1, 1},
		{[]int{10, 10}, 100, 1},            // never more than half
		{[]int{10, 10, 10, 10, 10}, 15, 2}, // 11+11 tokens with BOS
		{[]int{10, 10, 10, 10, 10}, 1000, 2},
		{[]int{50, 10, 10, 10}, 12, 2},
	} {
		var docs []string
		for _, n := range tc.docs {
			docs = append(docs, doc(n))
		}
		s := Tokenize(numbers{}, docs, BOSDocument)
		ev, cal, err := HoldOut(s, tc.want)
		if err != nil || cal.Docs() != tc.calibDoc || ev.Len()+cal.Len() != s.Len() {
			t.Errorf("%v want %d: %d calibration documents (%v), want %d", tc.docs, tc.want, cal.Docs(), err, tc.calibDoc)
		}
	}
	if _, _, err := HoldOut(Tokenize(numbers{}, []string{"5 6"}, BOSDocument), 1); err == nil || !strings.Contains(err.Error(), "calibration file") {
		t.Errorf("one document: %v", fmt.Sprint(err))
	}
}
