package student

import (
	"context"
	"encoding/json"
	"github.com/distill-dev/distill/corpus"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/kernels/cpu"
)

// killSteps is the length of the run TestKillResume kills and resumes.
const killSteps = 14

func killOptions() Options {
	o := kdOptions()
	o.Schedule = Schedule{Kind: ScheduleCosine, LR: 3e-3, Warmup: 2, Total: killSteps, MinRatio: 0.1}
	o.CheckpointEvery = 1
	// Half the micro-batches sampled from the student (on-policy KD): its
	// generators' state must survive the kill too.
	o.OnPolicy = &OnPolicyOptions{Lambda: 0.5, MaxNewTokens: 6, Temperature: 1}
	// QAD on the second half (steps 8-14): the child is killed at step 5
	// or later, so most resumes cross the switch to fake quantization.
	o.QAD, o.QADSteps = "q4_0", killSteps/2
	return o
}

// TestKillResume runs training (on-policy for some batches, QAD on the
// last half) in a child process that checkpoints every step, kills it with SIGKILL mid-run,
// resumes from its checkpoint and checks that the final weights equal
// those of a run never stopped. It also
// checks that the checkpoint's model.safetensors loads with checkpoint.Load.
func TestKillResume(t *testing.T) {
	if dir := os.Getenv("STUDENT_KILL_CHILD"); dir != "" {
		// The child: train slowly so the parent can kill it mid-run.
		o := killOptions()
		o.CheckpointDir = dir
		o.OnStep = func(Metrics) { time.Sleep(40 * time.Millisecond) }
		o.Steps = killSteps
		tr := newRun(t, o)
		if err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestKillResume$")
	cmd.Env = append(os.Environ(), "STUDENT_KILL_CHILD="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killedAt := 0
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var st trainerState
		if js, err := os.ReadFile(filepath.Join(dir, FileState)); err == nil && json.Unmarshal(js, &st) == nil && st.Step >= 5 {
			cmd.Process.Kill() // SIGKILL
			killedAt = st.Step
			break
		}
	}
	cmd.Wait()
	if killedAt == 0 {
		t.Fatal("the child wrote no checkpoint at step >= 5 within 20 s")
	}

	b := cpu.New(2)
	tch := newTeacher(t, b, tinyTeacher)
	data, _ := corpus.NewSampler(randomTokens(4000, tinyTeacher.VocabSize, 5), 16, 4, 11)
	o := killOptions()
	o.Steps = killSteps
	o.CheckpointDir = dir // the final checkpoint is written at step 14
	tr, err := Resume(dir, b, tch, data, o)
	if err != nil {
		t.Fatal(err)
	}
	resumedFrom := tr.Step
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, ref := run(t, killOptions(), killSteps, nil)
	if !slices.Equal(b.ToFloat32(tr.Master.Flat, nil), ref.b.ToFloat32(ref.Master.Flat, nil)) {
		t.Errorf("killed at step >= %d, resumed from %d: final weights differ from an uninterrupted run", killedAt, resumedFrom)
	}
	if resumedFrom >= killSteps {
		t.Errorf("the child finished (step %d) before it was killed", resumedFrom)
	}
	t.Logf("child killed after checkpoint %d, resumed from step %d", killedAt, resumedFrom)

	// The exported student loads as an HF checkpoint with the same logits.
	loaded, err := checkpoint.Load(dir, b, checkpoint.LoadOptions{NoTokenizer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	ids := randomTokens(16, tinyTeacher.VocabSize, 2)
	want := tr.Master.Model(b).Logits(nil, ids, 1, 16) // the fp32 master weights (the student runs fake-quantized)
	got := loaded.Model.Logits(nil, ids, 1, 16)
	for i := range want {
		if d := got[i] - want[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("logit %d of the loaded checkpoint %v, trainer %v", i, got[i], want[i])
		}
	}
}
