package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// runReal runs distill in-process with the real model loaders.
func runReal(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append([]string{"distill", "--progress", "none"}, args...), &out, &errb, teacherHooks()); code != 0 {
		t.Fatalf("distill %q: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

func stories(t testing.TB) (bin, gguf string) {
	d := formattest.SharedData(t)
	return filepath.Join(d, "stories260K/stories260K.bin"), filepath.Join(d, "stories260K/stories260K.gguf")
}

func TestRealInspect(t *testing.T) {
	bin, _ := stories(t)
	var info inspectInfo
	decodeJSON(t, runReal(t, "inspect", bin, "--json"), &info)
	// 264,128 floats in the file less the two unused RoPE tables [512, 4].
	if info.Params != 264128-2*512*4 || info.Format != "llama2c" || len(info.Tensors) == 0 {
		t.Errorf("inspect: params %d format %q, %d tensors", info.Params, info.Format, len(info.Tensors))
	}
	runReal(t, "inspect", bin) // the text form works too
}

// Greedy generation reproduces the float64 reference continuation.
func TestRealGenerateGreedy(t *testing.T) {
	bin, _ := stories(t)
	raw, err := os.ReadFile(filepath.Join(formattest.SharedData(t), "stories260K/ref_once_upon.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Prompt string  `json:"prompt"`
		Tokens []int32 `json:"tokens"`
		Text   string  `json:"text"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	var r generateReport
	decodeJSON(t, runReal(t, "generate", bin, "--prompt", ref.Prompt, "--max-tokens", "60", "--json"), &r)
	if !reflect.DeepEqual(r.PromptIDs, ref.Tokens[:5]) || !reflect.DeepEqual(r.IDs, ref.Tokens[5:]) || ref.Prompt+r.Text != ref.Text {
		t.Errorf("generate: prompt ids %v ids %v text %q;\nwant %v %v %q", r.PromptIDs, r.IDs, ref.Prompt+r.Text, ref.Tokens[:5], ref.Tokens[5:], ref.Text)
	}
}

// llama2.c models end a story by starting the next with BOS: greedy
// generation with room for 400 tokens stops right after the first BOS and
// says so; with --ignore-eos it goes on to the 400 tokens.
func TestRealGenerateStopsAtEndOfText(t *testing.T) {
	bin, gguf := stories(t)
	var r, all generateReport
	decodeJSON(t, runReal(t, "generate", bin, "--prompt", "Once upon a time", "--max-tokens", "400", "--json"), &r)
	decodeJSON(t, runReal(t, "generate", bin, "--prompt", "Once upon a time", "--max-tokens", "400", "--json", "--ignore-eos"), &all)
	const bos = 1
	n := len(r.IDs)
	if r.StopReason != "eos" || n == 0 || n >= 400 || r.IDs[n-1] != bos || slices.Index(r.IDs, bos) != n-1 {
		t.Fatalf("stop %q after %d tokens (last %v)", r.StopReason, n, r.IDs[max(0, n-3):])
	}
	if all.StopReason != "max_tokens" || len(all.IDs) != 400 || !slices.Equal(all.IDs[:n], r.IDs) || !all.Options.IgnoreEOS {
		t.Errorf("--ignore-eos: stop %q after %d tokens", all.StopReason, len(all.IDs))
	}
	t.Logf("first BOS after %d generated tokens", n)
	// GGUF defines its own end-of-text ids (eos 2 here), which this model
	// does not emit so soon: without BOS as a terminator it runs on.
	var g generateReport
	decodeJSON(t, runReal(t, "generate", gguf, "--prompt", "Once upon a time", "--max-tokens", "400", "--json"), &g)
	if !slices.Equal(g.IDs[:n], r.IDs) {
		t.Errorf("gguf and bin generate different tokens")
	}
}

// eval on a prefix of the validation text, and --compare of the .bin
// against the .gguf holding the same weights.
func TestRealEvalCompare(t *testing.T) {
	bin, gguf := stories(t)
	data := filepath.Join(formattest.SharedData(t), "tinystories/valid-head.txt")
	var r evalReport
	decodeJSON(t, runReal(t, "eval", bin, "--data", data, "--split-docs=false", "--limit", "8193", "--compare", gguf, "--context", "512", "--json"), &r)
	c := r.Comparison
	if r.Result.Tokens != 8192 || r.Result.Context != 512 || c == nil || c.Agreement < 0.9999 || c.KL > 1e-9 || !(r.Result.NLL > 1 && r.Result.NLL < 2) {
		t.Errorf("eval --compare: %+v %+v", r.Result, c)
	}
}
