package quant

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/checkpoint/gguf"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// llama.cpp's own quantizer is the reference for the GGML methods: with
// QUANT_LLAMACPP_QUANTIZE set to a command that runs llama_model_quantize
// (called as CMD IN.gguf OUT.gguf FTYPE; the one used was a small C program,
// not in this repository, that dlopen()s libllama.so from the npm package
// node-llama-cpp 3.22.1), TestLlamaCppQuantize writes random models as F32
// GGUF, has llama.cpp quantize each into every mix, and checks that distill
// writes the same file: every tensor of the same type with the same bytes.
// It also writes the per-tensor types llama.cpp chose to
// $QUANT_LLAMACPP_PLANS when set, which is how testdata/llamacpp_plans.txt
// was made; TestLlamaCppPlans checks NewPlan against that table in every
// run.

// llamaCppModels are the shapes compared: real widths with GQA 2 (16
// layers, so that the n/8 and n/16 rules pick layers) and GQA 4, GPT-2
// (fused attn_qkv), and stories260K's widths, which fit no 256-element
// block and exercise the fallbacks.
func llamaCppModels() map[string]model.Config {
	gqa4 := llamaConfig(256, 768, 4, true)
	gqa4.NHeads, gqa4.NKVHeads = 8, 2
	stories := llamaConfig(64, 172, 5, true)
	stories.NHeads, stories.NKVHeads, stories.VocabSize = 8, 4, 512
	return map[string]model.Config{
		"llama-256": llamaConfig(256, 512, 16, false), "llama-gqa4": gqa4, "gpt2-256": gpt2Config(), "stories-shape": stories,
	}
}

// llamaCppFTypes are the methods compared with their llama_ftype. llama.cpp
// refuses the 32-element types for rows that fit no 32 block (stories'
// 172), so those run on the real widths only.
var llamaCppFTypes = []struct {
	method  string
	ftype   int
	anyRows bool
}{
	{"q2_k", 10, true}, {"q3_k", 11, true}, {"q3_k_m", 12, true}, {"q4_k_s", 14, true}, {"q4_k_m", 15, true},
	{"q5_k_s", 16, true}, {"q5_k_m", 17, true}, {"q6_k", 18, true},
	{"q8_0", 7, false}, {"q4_0", 2, false}, {"q4_1", 3, false}, {"q5_0", 8, false}, {"q5_1", 9, false},
}

func TestLlamaCppQuantize(t *testing.T) {
	cmdline := os.Getenv("QUANT_LLAMACPP_QUANTIZE")
	if cmdline == "" {
		t.Skip("QUANT_LLAMACPP_QUANTIZE is not set (a command running llama.cpp's llama_model_quantize)")
	}
	dir := t.TempDir()
	var table []string
	models := llamaCppModels()
	names := make([]string, 0, len(models))
	for n := range models {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		cfg := models[name]
		src := model.EncodeParams(name, cfg, cpu.New(1), model.RandomParams(cfg, 11), kernels.F32)
		in := filepath.Join(dir, name+".gguf")
		if err := checkpoint.WriteGGUF(in, cfg, src, nil, checkpoint.GGUFOptions{FileType: "f32"}); err != nil {
			t.Fatal(err)
		}
		for _, ft := range llamaCppFTypes {
			if !ft.anyRows && cfg.HiddenDim%32 != 0 {
				continue
			}
			ref := filepath.Join(dir, name+"."+ft.method+".llamacpp.gguf")
			args := append(strings.Fields(cmdline)[1:], in, ref, fmt.Sprint(ft.ftype))
			if out, err := exec.Command(strings.Fields(cmdline)[0], args...).CombinedOutput(); err != nil {
				t.Fatalf("%s %s: llama.cpp: %v\n%s", name, ft.method, err, out)
			}
			m, err := ParseMethod(ft.method)
			if err != nil {
				t.Fatal(err)
			}
			_, qs, err := Apply(cfg, src, m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ours := filepath.Join(dir, name+"."+ft.method+".gguf")
			if err := checkpoint.WriteGGUF(ours, cfg, qs, nil, checkpoint.GGUFOptions{FileType: ft.method}); err != nil {
				t.Fatal(err)
			}
			table = append(table, compareGGUF(t, name+" "+ft.method, ref, ours)...)
		}
	}
	if p := os.Getenv("QUANT_LLAMACPP_PLANS"); p != "" {
		if err := os.WriteFile(p, []byte(strings.Join(table, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// compareGGUF checks that ours holds every tensor of ref with the same type
// and bytes, and returns lines "what tensor TYPE" of ref's matrices.
func compareGGUF(t *testing.T, what, ref, ours string) []string {
	t.Helper()
	a, err := gguf.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := gguf.Open(ours)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var lines []string
	diffs := 0
	for _, ta := range a.Tensors() {
		if len(ta.Shape) >= 2 {
			lines = append(lines, fmt.Sprintf("%s %s %s", what, ta.Name, ta.Type))
		}
		tb, err := b.Tensor(ta.Name)
		if err != nil {
			t.Errorf("%s: %s missing in distill's file", what, ta.Name)
			continue
		}
		if ta.Type != tb.Type || !bytes.Equal(ta.Data, tb.Data) {
			if diffs++; diffs <= 5 {
				t.Errorf("%s: %s: llama.cpp %s, distill %s (same bytes: %v)", what, ta.Name, ta.Type, tb.Type, bytes.Equal(ta.Data, tb.Data))
			}
		}
	}
	if len(a.Tensors()) != len(b.Tensors()) {
		t.Errorf("%s: llama.cpp wrote %d tensors, distill %d", what, len(a.Tensors()), len(b.Tensors()))
	}
	return lines
}

// TestLlamaCppPlans checks NewPlan against the per-tensor types
// llama.cpp's llama_model_quantize chose (testdata/llamacpp_plans.txt, see
// TestLlamaCppQuantize). A fused attn_qkv is checked against attn_q.
func TestLlamaCppPlans(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "llamacpp_plans.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	models := llamaCppModels()
	plans := map[string]*Plan{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var name, method, tensor, typ string
		if _, err := fmt.Sscan(sc.Text(), &name, &method, &tensor, &typ); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		key := name + " " + method
		p := plans[key]
		if p == nil {
			m, err := ParseMethod(method)
			if err != nil {
				t.Fatal(err)
			}
			if p, err = NewPlan(models[name], m, PlanOptions{}); err != nil {
				t.Fatal(err)
			}
			plans[key] = p
		}
		want, err := kernels.ParseDType(typ)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.DType(strings.Replace(tensor, "attn_qkv", "attn_q", 1))
		if !ok || got != want {
			t.Errorf("%s: %s is %s in distill's plan, %s in llama.cpp's", key, tensor, got, want)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no lines in testdata/llamacpp_plans.txt")
	}
}
