package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/distill-dev/distill/recipe"
)

// words encodes space-separated integers as those ids; BOS is 1.
type words struct{}

func (words) BOS() int32 { return 1 }
func (words) Encode(text string, addBOS, addEOS bool) []int32 {
	var out []int32
	for _, f := range strings.Fields(text) {
		n, _ := strconv.Atoi(f)
		out = append(out, int32(n))
	}
	return out
}

// With the validation documents held out of data.train, gptq calibration
// reads the training documents and never a validation token; the
// evaluation reads exactly the validation documents.
func TestCalibrationNeverSeesValidation(t *testing.T) {
	dir := t.TempDir()
	var docs []string
	for d := range 20 {
		docs = append(docs, strconv.Itoa(100+d)+" "+strconv.Itoa(200+d))
	}
	if err := os.WriteFile(filepath.Join(dir, "train.txt"), []byte(strings.Join(docs, "\n\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "teacher: {path: t.bin}\ndata: {train: train.txt, validation_split: 0.2}\nstudent: {}\ntraining: {steps: 1}\n" +
		"quantization: {methods: [gptq-int4]}\n"
	r, err := recipe.Parse(filepath.Join(dir, "r.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	calib, err := calibrationStream(r, words{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := evalStream(r, words{})
	if err != nil {
		t.Fatal(err)
	}
	if calib.Docs() != 16 || ev.Docs() != 4 || !slices.Equal(ev.IDs[:3], []int32{1, 116, 216}) {
		t.Fatalf("calibration %d documents, evaluation %d (%v)", calib.Docs(), ev.Docs(), ev.IDs)
	}
	for _, id := range ev.IDs {
		if id != 1 && slices.Contains(calib.IDs, id) {
			t.Errorf("token %d is in both the calibration and the evaluation text", id)
		}
	}
}
