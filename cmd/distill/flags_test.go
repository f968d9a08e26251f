package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestFlagRanges: out-of-range and non-finite flags are refused before
// any file is opened (the models named here do not exist).
func TestFlagRanges(t *testing.T) {
	train := []string{"train", "missing.bin", "--data", "missing.txt", "--out", t.TempDir() + "/o"}
	cases := []struct {
		args []string
		want string
	}{
		{append(train, "--lr", "inf"), "--lr +Inf: want a finite number"},
		{append(train, "--lr", "NaN"), "--lr NaN: want a finite number"},
		{append(train, "--lr", "0"), "--lr 0: out of range, want a value in (0, ∞]"},
		{append(train, "--beta", "0"), "--beta 0: out of range, want a value in (0, 1)"},
		{append(train, "--alpha", "1.5"), "--alpha 1.5: out of range"},
		{append(train, "--temperature", "0"), "--temperature 0: out of range"},
		{append(train, "--batch", "9223372036854775807"), "--batch 9223372036854775807: out of range, want a value in [1, 65536]"},
		{append(train, "--grad-accum", "4611686018427387904"), "--grad-accum 4611686018427387904: out of range"},
		{append(train, "--steps", "-5"), "--steps -5: out of range"},
		{append(train, "--batch", "65536", "--seq-len", "1048576"), "--batch: 65536 sequences of 1048576 tokens per micro-batch exceed"},
		{append(train, "--batch", "32768", "--seq-len", "1024", "--grad-accum", "65536"), "--grad-accum: 65536 micro-batches"},
		{append(train, "--top-k", "-1"), "--top-k -1: out of range"},
		{[]string{"teach", "missing.bin", "--data", "x", "--out", "y", "--top-k", "0"}, "--top-k 0: out of range, want a value in [1, 1048576]"},
		{[]string{"generate", "flat", "--prompt", "a", "--top-p", "0"}, "--top-p 0: out of range"},
		{[]string{"generate", "flat", "--prompt", "a", "--temperature", "-1"}, "--temperature -1: out of range, want a value in [0, 1000]"},
		{[]string{"generate", "flat", "--prompt", "a", "--max-tokens", "-1"}, "--max-tokens -1: out of range"},
		{[]string{"eval", "flat", "--data", "x", "--context", "-2"}, "--context -2: out of range"},
		{[]string{"quantize", "flat", "--data", "x", "--percdamp", "inf"}, "--percdamp +Inf: want a finite number"},
		{[]string{"--threads", "100000", "inspect", "flat"}, "--threads 100000: want 0 (every core) to"},
		{[]string{"--threads", "-1", "inspect", "flat"}, "--threads -1: want 0"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != exitError || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", c.args, code, stderr, c.want)
		}
	}
	// In-range values pass the check (and reach the fake model).
	if code, _, stderr := runCLI(t, "generate", "flat", "--prompt", "a", "--temperature", "0", "--max-tokens", "3"); code != 0 {
		t.Errorf("generate: %s", stderr)
	}
}

// TestKernelPanicBecomesError: an argument-check panic that escaped a
// command's validation ends as an error naming the command, not a trace.
func TestKernelPanicBecomesError(t *testing.T) {
	app := &cli.App{Name: "distill", Commands: []*cli.Command{{Name: "boom", Action: func(*cli.Context) error {
		panic("kernels: DistillLoss: JSD beta 0 must be in (0, 1)")
	}}}}
	err := runApp(app, []string{"distill", "boom"})
	if err == nil || !strings.Contains(err.Error(), "distill boom:") || !strings.Contains(err.Error(), "JSD beta 0") {
		t.Fatalf("err = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a panic that is no argument check was swallowed")
		}
	}()
	app.Commands[0].Action = func(*cli.Context) error {
		panic("tokenizer: an internal invariant broke") // not an argument-check package
	}
	runApp(app, []string{"distill", "boom"})
}
