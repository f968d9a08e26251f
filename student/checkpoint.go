package student

import (
	"encoding/json"
	"fmt"
	"github.com/distill-dev/distill/corpus"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/checkpoint/safetensors"
	"github.com/distill-dev/distill/internal/atomicfile"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// Checkpoint files. The student is an HF checkpoint (model.safetensors +
// config.json, written by checkpoint.WriteHF) that checkpoint.Load reads; optimizer.safetensors holds the
// float32 master weights and AdamW moments as flat [NumParams] tensors in
// model.Config.Params order, with the trainer state (step, loss scale, data
// epoch and position) in its metadata: that one file, written atomically
// and last, is what Resume reads, so a crash at any point leaves a
// consistent checkpoint (the previous one or the new one).
// trainer_state.json repeats the state for people and tools.
const (
	FileOptimizer = "optimizer.safetensors"
	FileState     = "trainer_state.json"
	metaState     = "trainer_state"
)

// trainerState is trainer_state.json.
type trainerState struct {
	Step      int     `json:"step"`
	Epoch     int     `json:"data_epoch"`
	Pos       int     `json:"data_pos"`
	Seed      uint64  `json:"data_seed"`
	Scale     float64 `json:"loss_scale"`
	GoodSteps int     `json:"good_steps"`
	Skipped   int     `json:"skipped"`
	Tokens    int64   `json:"tokens"`
	// Batches keys the on-policy generators (see onpolicy.go).
	Batches         int64 `json:"batches"`
	OnPolicyBatches int64 `json:"on_policy_batches"`
	// QAD and QADFrom record the fake quantization (qad.go): the method,
	// and the step after which it is on (0: from the start); "": none.
	QAD     string       `json:"qad,omitempty"`
	QADFrom int          `json:"qad_from,omitempty"`
	Config  model.Config `json:"config"`
}

// Save writes a checkpoint of the trainer to dir, each file atomically.
func (t *Trainer) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("student: checkpoint: %w", err)
	}
	b, cfg := t.b, t.Config
	src := &model.MapSource{Name: "student"}
	for _, s := range cfg.Params() {
		src.Add(model.HostTensor{Name: s.Name, DType: kernels.F32, Shape: s.Shape, Data: b.ReadBytes(t.Master.Views[s.Name])})
	}
	var ho checkpoint.HFOptions
	if h := t.Opts.TokenizerHash; h != "" {
		ho.Metadata = map[string]string{checkpoint.MetaTokenizerHash: h}
	}
	if err := checkpoint.WriteHF(dir, cfg, src, nil, ho); err != nil {
		return fmt.Errorf("student: checkpoint %s: %w", dir, err)
	}
	st := trainerState{Step: t.Step, Epoch: t.Data.Epoch, Pos: t.Data.Pos, Seed: t.Data.Seed, Scale: t.Scale,
		GoodSteps: t.GoodSteps, Skipped: t.Skipped, Tokens: t.Tokens,
		Batches: t.Batches, OnPolicyBatches: t.OnPolicyBatches, Config: cfg}
	if t.qad != nil {
		st.QAD, st.QADFrom = t.Opts.QAD, t.Opts.qadFrom()
	}
	js, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("student: checkpoint %s: %w", dir, err)
	}
	n := cfg.NumParams()
	flat := func(name string, p *model.ParamBlock) safetensors.Tensor {
		return safetensors.Tensor{Name: name, DType: "F32", Shape: []int{n}, Data: b.ReadBytes(p.Flat)}
	}
	opt := []safetensors.Tensor{flat("master", t.Master), flat("adam_m", t.M), flat("adam_v", t.V)}
	for i, pj := range t.proj {
		if pj == nil {
			continue
		}
		for j, x := range []kernels.Tensor{pj.W, pj.M, pj.V} {
			opt = append(opt, safetensors.Tensor{Name: projName(i, j), DType: "F32", Shape: x.Shape(), Data: b.ReadBytes(x)})
		}
	}
	if err := safetensors.Write(filepath.Join(dir, FileOptimizer), opt, map[string]string{metaState: string(js)}); err != nil {
		return fmt.Errorf("student: checkpoint %s: %w", dir, err)
	}
	return writeFile(filepath.Join(dir, FileState), js)
}

func writeFile(path string, data []byte) error {
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("student: writing %s: %w", path, err)
	}
	return nil
}

// Resume rebuilds a trainer from the checkpoint in dir: master weights,
// AdamW moments, step, loss scale and data position (data must be a
// sampler over the same tokens with the same seed, batch and sequence
// length), all from optimizer.safetensors. Training then continues exactly
// as if never stopped.
func Resume(dir string, b kernels.Backend, teacherModel *model.Model, data *corpus.Sampler, o Options) (*Trainer, error) {
	path := filepath.Join(dir, FileOptimizer)
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("student: resume: %w", err)
	}
	defer f.Close()
	var st trainerState
	if err := json.Unmarshal([]byte(f.Metadata()[metaState]), &st); err != nil {
		return nil, fmt.Errorf("student: resume: %s: trainer state: %w", path, err)
	}
	if st.Seed != data.Seed {
		return nil, fmt.Errorf("student: resume: checkpoint data seed %d, sampler seed %d", st.Seed, data.Seed)
	}
	if err := st.check(path, f, data); err != nil {
		return nil, err
	}
	if err := st.checkQAD(path, o); err != nil {
		return nil, err
	}
	loadInto := func(name string, dst kernels.Tensor) error {
		ten, err := f.Tensor(name)
		if err != nil {
			return fmt.Errorf("student: resume: %w", err)
		}
		if want := dst.Shape(); ten.DType != "F32" || !slices.Equal(ten.Shape, want) {
			return fmt.Errorf("student: resume: %s: tensor %s is %s%v, want F32%v", path, name, ten.DType, ten.Shape, want)
		}
		tmp := b.FromBytes(kernels.F32, append([]byte(nil), ten.Data...), ten.Shape...)
		b.Copy(dst, tmp)
		b.Free(tmp)
		return nil
	}
	load := func(name string, p *model.ParamBlock) error { return loadInto(name, p.Flat) }
	master, err := model.AllocParams(st.Config, b, kernels.F32)
	if err != nil {
		return nil, fmt.Errorf("student: resume: %w", err)
	}
	if err := load("master", master); err != nil {
		return nil, err
	}
	t, err := NewTrainer(b, teacherModel, master, data, o)
	if err != nil {
		return nil, err
	}
	if err := load("adam_m", t.M); err != nil {
		return nil, err
	}
	if err := load("adam_v", t.V); err != nil {
		return nil, err
	}
	for i, pj := range t.proj {
		if pj == nil {
			continue
		}
		for j, x := range []kernels.Tensor{pj.W, pj.M, pj.V} {
			if err := loadInto(projName(i, j), x); err != nil {
				return nil, err
			}
		}
	}
	t.Step, t.Scale, t.GoodSteps, t.Skipped, t.Tokens = st.Step, st.Scale, st.GoodSteps, st.Skipped, st.Tokens
	t.Batches, t.OnPolicyBatches = st.Batches, st.OnPolicyBatches
	t.syncRun() // after Step: the QAD phase depends on it
	data.Epoch, data.Pos = st.Epoch, st.Pos
	return t, nil
}

// projName names tensor j (weight, m, v) of hidden projection i in
// optimizer.safetensors.
func projName(i, j int) string {
	return fmt.Sprintf("hidden_proj.%d%s", i, [3]string{"", ".adam_m", ".adam_v"}[j])
}
