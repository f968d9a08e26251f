// Package formattest holds the test helpers the checkpoint format packages
// (checkpoint/safetensors, checkpoint/gguf, checkpoint/llama2c) share: finding the
// real data in ../shared/data, running a table of malformed inputs through
// a reader, regenerating committed fuzz seed corpora, and running the node
// scripts that check files in external implementations (llama.cpp). Only
// tests import it.
//
// (It sits under internal/atomicfile only because of who owned which
// directory when it was written.)
package formattest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// SharedData returns the ../shared/data directory beside the module root
// (the directory holding go.mod), or skips the test when it is absent.
func SharedData(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("go.mod not found above the package: ../shared/data not found")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		t.Skip("../shared/data not found: real-data tests skipped")
	}
	return data
}

// BadInput is a malformed file and a fragment its error must contain.
type BadInput struct {
	Name string
	Data []byte
	Want string
}

// Case is BadInput or a package's own struct type with the same fields
// (declared locally so that its table may use unkeyed literals).
type Case interface {
	~struct {
		Name string
		Data []byte
		Want string
	}
}

// CheckBadInputs runs each case through read (in memory, named name) and
// through open (from a file on disk): a package's Read and Open. Both must
// fail: read with an error that starts with "pkg: name: " and contains
// Want, open with one naming the file's path. A panic fails the test.
func CheckBadInputs[C Case, F io.Closer](t *testing.T, pkg, name string, cases []C, read func(name string, data []byte) (F, error), open func(path string) (F, error)) {
	dir := t.TempDir()
	for _, c := range cases {
		tc := BadInput(c)
		t.Run(tc.Name, func(t *testing.T) {
			f, err := read(name, tc.Data)
			if err == nil {
				f.Close()
				t.Fatal("read succeeded")
			}
			prefix := pkg + ": " + name + ": "
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.Want) {
				t.Errorf("err = %q, want it to start with %q and say %q", msg, prefix, tc.Want)
			}
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, tc.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			if f, err := open(path); err == nil {
				f.Close()
				t.Error("open succeeded")
			} else if !strings.Contains(err.Error(), path) {
				t.Errorf("open err = %q does not name %s", err, path)
			}
		})
	}
}

// WriteFuzzSeeds regenerates testdata/fuzz/<target>/<seed> for each target
// when DISTILL_WRITE_FUZZ_SEEDS is set, and skips otherwise. Seed names are
// reduced to [a-zA-Z0-9-].
func WriteFuzzSeeds(t *testing.T, targets map[string]map[string][]byte) {
	if os.Getenv("DISTILL_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set DISTILL_WRITE_FUZZ_SEEDS=1 to regenerate testdata/fuzz")
	}
	clean := regexp.MustCompile("[^a-zA-Z0-9]+")
	for target, seeds := range targets {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			if err := os.WriteFile(filepath.Join(dir, clean.ReplaceAllString(name, "-")), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Seeds returns the valid inputs plus every bad input, keyed "bad-<name>".
func Seeds[C Case](valid map[string][]byte, bad []C) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range valid {
		out[k] = v
	}
	for _, c := range bad {
		tc := BadInput(c)
		out["bad-"+tc.Name] = tc.Data
	}
	return out
}

// RunNodeScript runs the node script at script (a file in the calling
// test's testdata) from a copy written into root, the folder whose
// node_modules its imports resolve from (node-llama-cpp for the llama.cpp
// checks), with args, and returns its standard output. It skips the test
// when node is not installed and fails it with the script's stderr when
// the script fails or runs past budget (a machine under load then fails
// with a message instead of go test killing the whole test binary).
func RunNodeScript(t testing.TB, root, script string, budget time.Duration, args ...string) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	runner := filepath.Join(root, filepath.Base(script))
	if err := os.WriteFile(runner, src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{runner}, args...)...)
	cmd.Dir = root
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v (machine overloaded?): %v\n%s", filepath.Base(script), budget, err, stderr.String())
	}
	if err != nil {
		t.Fatalf("node %s: %v\n%s", filepath.Base(script), err, stderr.String())
	}
	return out
}
