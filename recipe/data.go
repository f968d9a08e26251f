package recipe

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/distill-dev/distill/corpus"
)

// Split is the data section as package corpus reads it: the one data path
// the stages and the training job tokenise text through.
func (d Data) Split() corpus.Split {
	bos, _, _ := corpus.ParseBOS(d.BOS) // checked by Validate
	return corpus.Split{Train: string(d.Train), Validation: string(d.Validation), ValidationFraction: d.ValidationSplit,
		Read: d.ReadOptions(), BOS: bos}
}

// ReadOptions says how the data files are cut into documents.
func (d Data) ReadOptions() corpus.ReadOptions {
	return corpus.ReadOptions{Format: corpus.Format(d.Format), Separator: d.Separator, TextField: d.TextField}
}

// Warnings are the deprecated spellings the recipe uses, each with its
// position; the recipe still runs.
func (r *Recipe) Warnings() Errors { return r.warnings }

// canonicalBOS replaces a deprecated data.bos spelling by its name and
// records a warning.
func (r *Recipe) canonicalBOS() {
	if b, note, err := corpus.ParseBOS(r.Data.BOS); err == nil && note != "" {
		r.Data.BOS = b.String()
		r.warnings = append(r.warnings, r.Errorf("data.bos", "%s", note))
	}
}

// checkCalibration refuses calibration text that is the evaluated text:
// the validation or evaluation file, or the training file while the
// validation documents are held out of it.
func (r *Recipe) checkCalibration(errs *errorList) {
	q := r.Quantization
	if q == nil {
		return
	}
	if q.Calibration == "" {
		if r.Evaluation.Data != "" && sameFile(r.Evaluation.Data, r.Data.Train) && slices.ContainsFunc(q.Methods, Method.Calibrated) {
			r.bad(errs, "quantization.methods", "gptq-int4, gptq and plan calibrate on the training documents, and evaluation.data is data.train: give quantization.calibration a file that is not evaluated")
		}
		return
	}
	for _, o := range []struct {
		field string
		p     Path
	}{{"data.validation", r.Data.Validation}, {"evaluation.data", r.Evaluation.Data}} {
		if o.p != "" && sameFile(q.Calibration, o.p) {
			r.bad(errs, "quantization.calibration", "%s is the %s text: calibration must never see the text quantized students are evaluated on (give another file, or leave calibration out to use the training documents)", q.Calibration, o.field)
			return
		}
	}
	if r.Data.Validation == "" && sameFile(q.Calibration, r.Data.Train) {
		r.bad(errs, "quantization.calibration", "%s is data.train, whose last validation_split documents are the validation text: leave calibration out to calibrate on the training documents without them", q.Calibration)
	}
}

// sameFile reports whether two recipe paths name one file.
func sameFile(a, b Path) bool {
	if filepath.Clean(string(a)) == filepath.Clean(string(b)) {
		return true
	}
	fa, errA := os.Stat(string(a))
	fb, errB := os.Stat(string(b))
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
