package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The attack suite of issue 10: hostile files through every command,
// hostile recipes, and a full disk. Every case must end in an error
// message ("distill: ...", exit 1), never a panic or a stack trace. Kill
// and resume are attacked in pipeline/kill_test.go and
// student/kill_test.go, concurrent runs in pipeline/rundir_test.go.

// runGuarded is runDistill turning a panic into a test failure (the panic
// would otherwise end the whole test binary).
func runGuarded(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("distill %q panicked: %v", args, p)
			code = -1
		}
	}()
	return runDistill(args...)
}

// malformedModels writes broken variants of the quickstart teacher
// (llama2.c, with its tokenizer beside) and of a GGUF export of it.
func malformedModels(t *testing.T) map[string]string {
	t.Helper()
	dir, model := quickstartCopy(t)
	good, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	gg := filepath.Join(dir, "good.gguf")
	if code, stderr := runDistill("export", model, "--format", "gguf", "--dtype", "q8_0", "--out", gg); code != 0 {
		t.Fatal(stderr)
	}
	ggb, err := os.ReadFile(gg)
	if err != nil {
		t.Fatal(err)
	}
	header := func(field int, v int32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[4*field:], uint32(v))
		return b
	}
	u64at := func(src []byte, off int, v uint64) []byte {
		b := bytes.Clone(src)
		binary.LittleEndian.PutUint64(b[off:], v)
		return b
	}
	variants := map[string][]byte{
		"empty.bin":           {},
		"short-header.bin":    good[:20],
		"half.bin":            good[:len(good)/2],
		"dim-2^30.bin":        header(0, 1<<30),
		"layers-negative.bin": header(2, -3),
		"heads-0.bin":         header(3, 0),
		"vocab-2^31-1.bin":    header(5, 1<<31-1),
		"seq_len-2^31-1.bin":  header(6, 1<<31-1),
		"random.bin":          bytes.Repeat([]byte{0x9d, 0x13, 0x77, 0xe1}, 4096),
		"gguf-truncated.gguf": ggb[:100],
		"gguf-half.gguf":      ggb[:len(ggb)/2],
		"gguf-tensors-2^63":   u64at(ggb, 8, 1<<63),
		"gguf-kv-2^40.gguf":   u64at(ggb, 16, 1<<40),
		"gguf-bad-version.gguf": func() []byte {
			b := bytes.Clone(ggb)
			binary.LittleEndian.PutUint32(b[4:], 99)
			return b
		}(),
	}
	paths := map[string]string{}
	for name, b := range variants {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	hf := filepath.Join(dir, "hf-bad")
	os.MkdirAll(hf, 0o755)
	os.WriteFile(filepath.Join(hf, "config.json"), []byte(`{"architectures":["LlamaForCausalLM"],"hidden_size":1e300}`), 0o644)
	os.WriteFile(filepath.Join(hf, "model.safetensors"), u64at(make([]byte, 64), 0, 1<<62), 0o644)
	paths["hf-bad"] = hf
	return paths
}

// TestAttackMalformedModels runs every command that reads a model on
// every malformed file: each must fail with a message.
func TestAttackMalformedModels(t *testing.T) {
	models := malformedModels(t)
	work := t.TempDir()
	data := filepath.Join(work, "data.txt")
	os.WriteFile(data, bytes.Repeat([]byte("Once upon a time there was a cat. "), 40), 0o644)
	commands := map[string]func(m, out string) []string{
		"inspect":  func(m, _ string) []string { return []string{"inspect", m} },
		"eval":     func(m, _ string) []string { return []string{"eval", m, "--data", data} },
		"generate": func(m, _ string) []string { return []string{"generate", m, "--prompt", "Once", "--max-tokens", "2"} },
		"quantize": func(m, _ string) []string { return []string{"quantize", m, "--method", "q8_0", "--data", data} },
		"export":   func(m, out string) []string { return []string{"export", m, "--format", "gguf", "--out", out + ".gguf"} },
		"teach": func(m, out string) []string {
			return []string{"teach", m, "--data", data, "--out", out, "--seq-len", "16"}
		},
		"train": func(m, out string) []string {
			return []string{"train", m, "--data", data, "--out", out, "--steps", "1", "--seq-len", "16", "--batch", "1"}
		},
	}
	n := 0
	for name, m := range models {
		for cmd, args := range commands {
			n++
			out := filepath.Join(work, fmt.Sprintf("%s-%s", cmd, name))
			a := args(m, out)
			code, stderr := runGuarded(t, a...)
			if code != exitError || !strings.HasPrefix(stderr, "distill: ") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("%s on %s: exit %d, stderr %q", cmd, name, code, stderr)
			}
		}
	}
	t.Logf("%d malformed-model runs, every one an error message", n)
}

// TestAttackRecipes: hostile recipes are refused by validate and run
// before any work, with the file position of the fault; a run into a
// folder that is not distill's deletes nothing.
func TestAttackRecipes(t *testing.T) {
	dir, model := quickstartCopy(t)
	data := filepath.Join(dir, "train.txt")
	os.WriteFile(data, bytes.Repeat([]byte("Once upon a time.\n\n"), 50), 0o644)
	base := fmt.Sprintf("name: attack\nteacher: {path: %s}\ndata: {train: %s, seq_len: 16}\nstudent: {every_k: 2}\n", model, data)
	cases := []struct {
		name, yaml, want string
	}{
		{"lr .inf", "training: {steps: 2, optimizer: {lr: .inf}}\n", "training.optimizer.lr: +Inf is not a finite number"},
		{"alpha NaN", "training: {steps: 2}\ndistillation: {alpha: .nan}\n", "distillation.alpha: NaN is not a finite number"},
		{"batch_size 2^63-1", "training: {steps: 2, batch_size: 9223372036854775807}\n", "training.batch_size"},
		{"tokens 2^63-1", "training: {tokens: 9223372036854775807}\n", "training.tokens"},
		{"grad_accum 2^62", "training: {steps: 2, grad_accum: 4611686018427387904}\n", "training.grad_accum"},
		{"calibration_batches 2^63-1", "training: {steps: 2}\nstudent: {every_k: 2, init: importance, calibration_batches: 9223372036854775807}\n", ""},
		{"threads 100000", "training: {steps: 2, threads: 100000}\n", "training.threads"},
		{"negative memory", "training: {steps: 2, memory_limit: -5}\n", "training.memory_limit"},
		{"unknown key", "training: {steps: 2, stpes: 3}\n", `did you mean "steps"?`},
		{"gate inf", "training: {steps: 2}\ngates: {kl_max: .inf}\n", "gates.kl_max: +Inf is not a finite number"},
	}
	for _, c := range cases {
		src := base + c.yaml
		if strings.HasPrefix(c.yaml, "training: {steps: 2}\nstudent:") {
			src = strings.Replace(base, "student: {every_k: 2}\n", "", 1) + c.yaml
		}
		p := filepath.Join(dir, "r.yaml")
		os.WriteFile(p, []byte(src), 0o644)
		for _, cmd := range [][]string{{"validate", p}, {"run", "--dry-run", p}} {
			code, stderr := runGuarded(t, cmd...)
			if code != exitError || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "r.yaml:") {
				t.Errorf("%s, %s: exit %d, %q; want %q", c.name, cmd[0], code, stderr, c.want)
			}
		}
	}
	// output: ../../ into a folder that is not distill's: refused, and its
	// stage-named folders survive even with --force.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "train"), 0o755)
	os.WriteFile(filepath.Join(root, "train", "precious.txt"), []byte("mine"), 0o644)
	rdir := filepath.Join(root, "a", "b")
	os.MkdirAll(rdir, 0o755)
	p := filepath.Join(rdir, "r.yaml")
	os.WriteFile(p, []byte(base+"output: ../../\ntraining: {steps: 2}\n"), 0o644)
	if code, stderr := runGuarded(t, "run", p); code != exitError || !strings.Contains(stderr, "--force") {
		t.Errorf("run into a foreign folder: exit %d, %q", code, stderr)
	}
	if code, stderr := runGuarded(t, "run", "--force", p); code != exitError || !strings.Contains(stderr, "not created by distill") {
		t.Errorf("run --force into a foreign folder holding train/: exit %d, %q", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(root, "train", "precious.txt")); string(b) != "mine" {
		t.Errorf("the user's file: %q, %v", b, err)
	}
}

// TestAttackDiskFull writes an export and a run onto a 256 KiB tmpfs: each
// fails with "no space left on device" and leaves no partial file. It
// needs the privilege to mount a tmpfs and skips without it.
func TestAttackDiskFull(t *testing.T) {
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("mounting a 256 KiB tmpfs at %s: %v (needs root or CAP_SYS_ADMIN; the disk-full attack is not run)", mnt, err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	_, model := quickstartCopy(t)
	out := filepath.Join(mnt, "m.gguf")
	code, stderr := runGuarded(t, "export", model, "--format", "gguf", "--out", out)
	if code != exitError || !strings.Contains(stderr, "no space left") {
		t.Errorf("export onto a full disk: exit %d, %q", code, stderr)
	}
	ents, _ := os.ReadDir(mnt)
	for _, e := range ents {
		t.Errorf("left behind on the full disk: %s", e.Name())
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial export: %v", err)
	}
}
