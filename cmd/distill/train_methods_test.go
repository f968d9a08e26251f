package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// TestRealTrainMethods trains stories260K students briefly with QAD (whose
// rows of 172 fall back, which the run says) and on-policy KD, and checks
// that bad settings are refused before training with the flag named.
func TestRealTrainMethods(t *testing.T) {
	bin, _ := stories(t)
	data := filepath.Join(formattest.SharedData(t), "tinystories-gen/train.txt")
	dir := t.TempDir()
	common := []string{bin, "--data", data, "--max-tokens", "20000", "--seq-len", "32", "--n-layers", "2", "--batch", "2", "--steps", "2"}
	train := func(out string, args ...string) (int, string) {
		var o, e bytes.Buffer
		code := run(append(append([]string{"distill", "--progress", "none", "train", "--out", filepath.Join(dir, out)}, common...), args...), &o, &e, teacherHooks())
		return code, e.String()
	}
	if code, stderr := train("qad", "--qad", "q4_0"); code != 0 || !strings.Contains(stderr, "blk.0.ffn_down.weight [64 172]: fallback Q4_0->F16: row 172") {
		t.Errorf("--qad q4_0: exit %d, stderr %q", code, stderr)
	}
	if code, stderr := train("qad-tail", "--qad", "q4_0", "--qad-steps", "1"); code != 0 || !strings.Contains(stderr, "for the last 1 of 2 steps (from step 2)") {
		t.Errorf("--qad q4_0 --qad-steps 1: exit %d, stderr %q", code, stderr)
	}
	if code, stderr := train("onpolicy", "--on-policy", "1", "--on-policy-tokens", "8"); code != 0 {
		t.Errorf("--on-policy 1: exit %d, stderr %q", code, stderr)
	}
	for _, tc := range []struct{ args, want string }{
		{"--on-policy 1.5", "--on-policy 1.5: out of range, want a value in [0, 1]"},
		{"--on-policy -0.5", "--on-policy -0.5: out of range, want a value in [0, 1]"},
		{"--on-policy 0.5 --on-policy-tokens 33", "--on-policy-tokens 33 is beyond --seq-len 32"},
		{"--on-policy 0.5 --on-policy-tokens 8 --soft-labels x", "--on-policy needs the online teacher"},
		{"--on-policy 0.5 --on-policy-tokens 8 --alpha 0", "on-policy distillation needs alpha > 0"},
		{"--qad q4_z", `--qad: student: qad: quant: unknown method "q4_z"`},
		{"--qad q4_0 --qad-steps 3", "--qad-steps 3: want --qad and 0 <= N <= --steps 2"},
		{"--qad q4_0 --qad-steps -1", "--qad-steps -1: out of range"},
		{"--qad-steps 1", "--qad-steps 1: want --qad and 0 <= N <= --steps 2"},
		{"--qad gptq-int4", "--qad: student: qad gptq-int4: GPTQ weights are calibrated at export"},
	} {
		if code, stderr := train("bad", strings.Fields(tc.args)...); code != exitError || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}
