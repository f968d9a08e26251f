package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/formattest"
)

// llamaCppBudget is how long llama.cpp may run: 5 minutes, less when go
// test's own deadline is nearer (a minute is kept for the report).
func llamaCppBudget(t *testing.T) time.Duration {
	budget := 5 * time.Minute
	if d, ok := t.Deadline(); ok {
		budget = min(budget, time.Until(d)-time.Minute)
	}
	return max(budget, time.Second)
}

// llamaCppResult is one line of testdata/llamacpp_generate.mjs's output.
type llamaCppResult struct {
	Path      string  `json:"path"`
	PromptIDs []int32 `json:"prompt_ids"`
	IDs       []int32 `json:"ids"`
	Text      string  `json:"text"`
}

// TestLlamaCppLoadsExports writes stories260K as GGUF in several types with
// `distill export` and checks that llama.cpp loads each file, tokenizes the
// prompt to the same ids and continues it greedily with the same tokens as
// distill does on the same file. llama.cpp comes from the npm package
// node-llama-cpp (its prebuilt CPU binaries); the test runs only when
// DISTILL_LLAMA_CPP names a folder whose node_modules holds it
// (`make test-llamacpp` sets that up).
func TestLlamaCppLoadsExports(t *testing.T) {
	root := os.Getenv("DISTILL_LLAMA_CPP")
	if root == "" {
		t.Skip("DISTILL_LLAMA_CPP is not set: run `make test-llamacpp` to check GGUF exports in llama.cpp")
	}
	bin, _ := stories(t)
	dir := t.TempDir()
	const prompt, n = "Once upon a time", 40
	// Exact agreement is expected where llama.cpp computes as distill does;
	// its quantized matmuls quantize the activations to 8 bits, so there
	// only most tokens must agree. (stories260K's rows, 64 and 172 wide,
	// fit no 256-element k-quant block: the 32-element types are the ones
	// this model can check.)
	// The calibrated files (GPTQ onto Q4_0, GPTQ Q4_K_M, which on these rows
	// is GPTQ onto Q5_0 and Q8_0, imatrix-weighted Q5_0) come
	// from `quantize --out`, calibrated on a little of the shared text.
	text := filepath.Join(formattest.SharedData(t), "tinystories-gen")
	calibrated := []string{"--data", filepath.Join(text, "valid.txt"), "--limit", "512",
		"--calib", filepath.Join(text, "train.txt"), "--calib-windows", "8", "--calib-len", "128"}
	types := []struct {
		dtype string
		exact bool
		quant []string // quantize flags besides --method: a calibrated file
		model string   // "" for stories260K
	}{{"f32", true, nil, ""}, {"f16", true, nil, ""}, {"q8_0", false, nil, ""}, {"q4_0", false, nil, ""}, {"q5_0", false, nil, ""}, {"q5_1", false, nil, ""},
		{"gptq-q4_0", false, calibrated, ""}, {"gptq-q4_k_m", false, calibrated, ""}, {"q5_0+imatrix", false, append([]string{"--imatrix-calib"}, calibrated...), ""}}
	// The real-width teacher, whose rows fill the k-quant super-blocks:
	// GPTQ onto Q4_K and Q6_K blocks (its Q4_K_M mix), when it is there.
	if st3 := filepath.Join("..", "..", "testdata", "stories3M", "stories3M.gguf"); statOK(st3) {
		types = append(types, struct {
			dtype string
			exact bool
			quant []string
			model string
		}{"gptq-q4_k_m", false, calibrated, st3})
	}
	var paths []string
	want := map[string]generateReport{}
	for i, ty := range types {
		p := filepath.Join(dir, fmt.Sprintf("stories-%d.gguf", i))
		src := bin
		if ty.model != "" {
			src = ty.model
		}
		if ty.quant != nil {
			method, _, _ := strings.Cut(ty.dtype, "+")
			runReal(t, append([]string{"quantize", src, "--method", method, "--out", p}, ty.quant...)...)
		} else {
			runReal(t, "export", src, "--format", "gguf", "--dtype", ty.dtype, "--out", p)
		}
		var r generateReport
		decodeJSON(t, runReal(t, "generate", p, "--prompt", prompt, "--max-tokens", "40", "--json"), &r)
		want[p] = r
		paths = append(paths, p)
	}
	// llama.cpp gets a deadline well inside go test's, so a machine under
	// load fails this test with a message instead of killing the package's
	// whole test binary at -timeout.
	out := formattest.RunNodeScript(t, root, filepath.Join("testdata", "llamacpp_generate.mjs"), llamaCppBudget(t), append([]string{prompt, "40"}, paths...)...)
	got := map[string]llamaCppResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r llamaCppResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("llama.cpp output %q: %v", sc.Text(), err)
		}
		got[r.Path] = r
	}
	for i, ty := range types {
		p := paths[i]
		g, ok := got[p]
		if !ok {
			t.Errorf("%s: llama.cpp printed nothing for it", ty.dtype)
			continue
		}
		w := want[p]
		// distill's prompt ids include BOS; llama.cpp's tokenize does not.
		if !reflect.DeepEqual(g.PromptIDs, w.PromptIDs[1:]) {
			t.Errorf("%s: llama.cpp tokenizes the prompt as %v, distill as %v", ty.dtype, g.PromptIDs, w.PromptIDs[1:])
		}
		same := 0
		for j := range min(len(g.IDs), len(w.IDs)) {
			if g.IDs[j] != w.IDs[j] {
				break
			}
			same++
		}
		t.Logf("%s %s: %d/%d greedy tokens identical; llama.cpp: %q", filepath.Base(cmp.Or(ty.model, bin)), ty.dtype, same, n, strings.TrimSpace(g.Text))
		if ty.exact && same != n {
			t.Errorf("%s: llama.cpp continues with %v, distill with %v", ty.dtype, g.IDs, w.IDs)
		}
		if !ty.exact && same < n/4 {
			t.Errorf("%s: only the first %d greedy tokens agree", ty.dtype, same)
		}
	}
}

func statOK(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
