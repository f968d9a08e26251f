package student

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/corpus"
	"github.com/distill-dev/distill/kernels/cpu"
)

// TestFP16RecoversFromHugeScale: Run (metrics written, as distill train
// does) starting at a loss scale of 1e30 backs off through the overflowing
// steps, recording each with a null gradient norm, and then trains.
func TestFP16RecoversFromHugeScale(t *testing.T) {
	o := kdOptions()
	o.Precision = FP16
	o.LossScale = LossScale{Initial: 1e30, Growth: 1000, GrowthFactor: 2, Backoff: 0.5}
	o.Steps = 6
	var metrics bytes.Buffer
	o.Metrics = &metrics
	tr := newRun(t, o)
	if err := tr.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if tr.Skipped == 0 || tr.Scale >= 1e30 || tr.Step != 6 {
		t.Fatalf("skipped %d, scale %g, step %d", tr.Skipped, tr.Scale, tr.Step)
	}
	nulls, lines := 0, 0
	sc := bufio.NewScanner(&metrics)
	for sc.Scan() {
		lines++
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("metrics line %d: %v", lines, err)
		}
		if row["grad_norm"] == nil {
			nulls++
		}
	}
	if lines != tr.Skipped+6 || nulls == 0 {
		t.Errorf("%d metric lines (%d null grad norms) for %d skipped + 6 steps", lines, nulls, tr.Skipped)
	}
	t.Logf("skipped %d steps, loss scale now %g", tr.Skipped, tr.Scale)
}

// TestHugeLRRecoversOrDiverges: lr 1000 either trains on or stops with
// "training diverged at step N"; never another error or a panic.
func TestHugeLRRecoversOrDiverges(t *testing.T) {
	for _, prec := range []string{FP32, FP16} {
		o := kdOptions()
		o.Precision, o.Schedule.LR, o.Steps = prec, 1000, 40
		o.Metrics = &bytes.Buffer{}
		tr := newRun(t, o)
		err := tr.Run(context.Background())
		if err != nil && !strings.Contains(err.Error(), "training diverged at step") {
			t.Errorf("%s: %v", prec, err)
		}
		t.Logf("%s: step %d, skipped %d, scale %g, err %v", prec, tr.Step, tr.Skipped, tr.Scale, err)
	}
}

// TestResumeRefusesCorruptState: a trainer state edited or corrupted in
// the checkpoint is refused with the field named, before Resume allocates
// anything from it.
func TestResumeRefusesCorruptState(t *testing.T) {
	o := kdOptions()
	_, tr := run(t, o, 2, nil)
	dir := t.TempDir()
	if err := tr.Save(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileOptimizer)
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var tensors []safetensors.Tensor
	for _, name := range []string{"master", "adam_m", "adam_v"} {
		ten, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		tensors = append(tensors, safetensors.Tensor{Name: name, DType: ten.DType, Shape: ten.Shape, Data: append([]byte(nil), ten.Data...)})
	}
	var state map[string]any
	if err := json.Unmarshal([]byte(f.Metadata()[metaState]), &state); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := []struct {
		edit func(map[string]any)
		want string
	}{
		{func(s map[string]any) { s["data_pos"] = -5 }, "data_pos -5 outside"},
		{func(s map[string]any) { s["data_pos"] = 1 << 40 }, "data_pos 1099511627776 outside"},
		{func(s map[string]any) { s["step"] = -5 }, "step -5 is negative"},
		{func(s map[string]any) { s["loss_scale"] = -1 }, "loss_scale -1 must be"},
		{func(s map[string]any) { s["loss_scale"] = 0 }, "loss_scale 0 must be"},
		{func(s map[string]any) { s["config"].(map[string]any)["dim"] = 1 << 20 }, "parameters but the master tensor is"},
		{func(s map[string]any) { s["config"].(map[string]any)["n_layers"] = 0 }, "config: model: invalid config"},
		{func(s map[string]any) { s["skipped"] = -1 }, "must be >= 0"},
	}
	for _, c := range cases {
		st := map[string]any{}
		b, _ := json.Marshal(state)
		json.Unmarshal(b, &st)
		c.edit(st)
		js, _ := json.Marshal(st)
		if err := safetensors.Write(path, tensors, map[string]string{metaState: string(js)}); err != nil {
			t.Fatal(err)
		}
		b2 := cpu.New(2)
		data, _ := corpus.NewSampler(randomTokens(4000, tr.Config.VocabSize, 5), 16, 4, 11)
		_, err := Resume(dir, b2, newTeacher(t, b2, tinyTeacher), data, o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", js, err, c.want)
		}
	}
}
