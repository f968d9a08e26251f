package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/internal/finitejson"
)

// Files the stages write that the summary, gates and report read, relative
// to the run directory.
const (
	EvalMetricsFile    = "eval/metrics.json"     // EvalMetrics
	QuantMetricsFile   = "quantize/metrics.json" // QuantMetrics
	TrainMetricsFile   = "train/metrics.jsonl"   // one JSON object per step
	SummaryFile        = "summary.json"
	ReportFile         = "report/report.md"
	TensorBoardDir     = "train/tensorboard"
	teacherInfoFile    = "teach/teacher.json"
	studentWeightsFile = "train/student.safetensors"
)

// ModelMetrics are the measurements of one model on the evaluation text.
// KL and agreement are against the teacher; absent for the teacher itself.
type ModelMetrics struct {
	Label     string   `json:"label"`
	Path      string   `json:"path,omitempty"` // checkpoint, relative to the run directory when inside it
	Params    int64    `json:"params,omitempty"`
	SizeBytes int64    `json:"size_bytes,omitempty"`
	PPL       float64  `json:"ppl,omitempty"`
	NLL       float64  `json:"nll,omitempty"`
	KL        *float64 `json:"kl,omitempty"`
	Agreement *float64 `json:"agreement,omitempty"`
	Tokens    int64    `json:"tokens,omitempty"` // scored tokens
	TokPerSec float64  `json:"tokens_per_s,omitempty"`
	// QuantKL is KL(unquantized student || this quantized student) per
	// token on the evaluation text (plan methods, or with a quant_kl_max
	// gate).
	QuantKL *float64 `json:"quant_kl,omitempty"`
}

// EvalMetrics is what the eval stage writes.
type EvalMetrics struct {
	Teacher ModelMetrics `json:"teacher"`
	Student ModelMetrics `json:"student"`
}

// QuantMetrics is what the quantize stage writes: one entry per method,
// labelled as recipe.Method.Label.
type QuantMetrics struct {
	Methods []ModelMetrics `json:"methods"`
}

// Summary is summary.json: every metric of the run, for machines.
type Summary struct {
	Name      string             `json:"name"`
	Recipe    string             `json:"recipe"`
	Teacher   *ModelMetrics      `json:"teacher,omitempty"`
	Student   *ModelMetrics      `json:"student,omitempty"`
	Quantized []ModelMetrics     `json:"quantized,omitempty"`
	Exports   []Output           `json:"exports,omitempty"`
	Training  *TrainingSummary   `json:"training,omitempty"`
	Stages    map[string]float64 `json:"stage_seconds,omitempty"`
	Gates     []GateResult       `json:"gates,omitempty"`
	Passed    bool               `json:"passed"`
}

// TrainingSummary is the last step of the training metrics.
type TrainingSummary struct {
	Steps     int     `json:"steps"`
	FinalLoss float64 `json:"final_loss"`
	Tokens    int64   `json:"tokens"`
	TokPerSec float64 `json:"tokens_per_s"`
}

// readJSON decodes path into v; a missing file leaves v untouched and
// returns false.
func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pipeline: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("pipeline: %s: %w", path, err)
	}
	return true, nil
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	// A diverged student's perplexity is +Inf: written as null, not an
	// error that loses every other metric.
	b, err := finitejson.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("pipeline: writing %s: %w", path, err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return fmt.Errorf("pipeline: writing %s: %w", path, err)
	}
	return nil
}

// BuildSummary collects the metrics the stages of a run directory wrote.
func BuildSummary(env *Env) (*Summary, error) {
	s := &Summary{Name: env.Recipe.Name, Recipe: env.Recipe.File(), Stages: map[string]float64{}}
	var em EvalMetrics
	ok, err := readJSON(env.Path(EvalMetricsFile), &em)
	if err != nil {
		return nil, err
	}
	if ok {
		s.Teacher, s.Student = &em.Teacher, &em.Student
	}
	var qm QuantMetrics
	if _, err := readJSON(env.Path(QuantMetricsFile), &qm); err != nil {
		return nil, err
	}
	s.Quantized = qm.Methods
	if rec := env.Manifest.Stage(StageExport); rec != nil && rec.Status == StatusDone {
		s.Exports = rec.Outputs
	}
	for _, rec := range env.Manifest.Stages {
		if rec.Status == StatusDone {
			s.Stages[rec.Name] = rec.Seconds
		}
	}
	steps, err := ReadMetrics(env.Path(TrainMetricsFile))
	if err != nil {
		return nil, err
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if l, ok := steps[i]["loss"]; ok {
			last := steps[i]
			s.Training = &TrainingSummary{Steps: int(last["step"]), FinalLoss: l, Tokens: int64(last["tokens"]), TokPerSec: last["tokens_per_s"]}
			break
		}
	}
	return s, nil
}
