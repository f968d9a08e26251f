package pipeline

import (
	"fmt"
	"os"

	"github.com/distill-dev/distill/internal/finitejson"
	"github.com/distill-dev/distill/internal/tfevents"
)

// events mirrors the training metrics into a TensorBoard event file, so
// `tensorboard --logdir <run>` follows a run as it trains.
type events struct{ w *tfevents.Writer }

// openEvents starts a fresh event file in dir and replays rows (the metrics
// kept from before a resume) into it: a resumed run then shows each step
// once, as an uninterrupted one does.
func openEvents(dir string, rows []map[string]float64) (*events, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("pipeline: tensorboard: %w", err)
	}
	w, err := tfevents.Create(dir)
	if err != nil {
		return nil, err
	}
	e := &events{w}
	for _, r := range rows {
		if err := e.row(r); err != nil {
			w.Close()
			return nil, err
		}
	}
	return e, w.Flush()
}

// row writes every field of a metrics row but the step as train/<key>.
func (e *events) row(r map[string]float64) error {
	vals := make(map[string]float64, len(r))
	for k, v := range r {
		if k != "step" {
			vals["train/"+k] = v
		}
	}
	return e.w.Scalars(int64(r["step"]), vals)
}

// log writes v (a metrics struct or map with a step field) and flushes.
func (e *events) log(v any) error {
	b, err := finitejson.Marshal(v) // non-finite values are left out
	if err != nil {
		return fmt.Errorf("pipeline: tensorboard: %w", err)
	}
	r, err := numericFields(b)
	if err != nil {
		return fmt.Errorf("pipeline: tensorboard: %w", err)
	}
	if err := e.row(r); err != nil {
		return err
	}
	return e.w.Flush()
}

func (e *events) Close() error { return e.w.Close() }
