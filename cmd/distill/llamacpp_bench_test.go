package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/internal/benchstat"
	"github.com/distill-dev/distill/internal/cputime"
	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
	"github.com/distill-dev/distill/quant"
)

// sideBySideConfig is the ~100M-parameter random Llama of the quantized
// speed comparison: dim 1024, 8 layers of 16 heads (8 key/value heads), FFN
// 2816, 95M parameters, with stories260K's 512-token vocabulary (so the
// comparison is the transformer's matmuls, not a large output layer).
var sideBySideConfig = model.Config{
	Arch: model.ArchLlama, Dim: 1024, HiddenDim: 2816, NLayers: 8, NHeads: 16, NKVHeads: 8,
	VocabSize: 512, MaxSeqLen: 1024, NormEps: 1e-5, RopeTheta: 10000, BOS: 1, EOS: 2,
}

// BenchmarkQuantizedGGUF times prompt processing (pp: one batch of
// DISTILL_BENCH_PP tokens, default 128) and generation (tg: DISTILL_BENCH_TG
// one-token steps after it, default 32) of distill on GGUF files, and, when
// DISTILL_LLAMA_CPP names node-llama-cpp's folder (make test-llamacpp), of
// llama.cpp (node-llama-cpp 3.22.1's binaries, testdata/llamacpp_bench.mjs)
// on the same files, alternating DISTILL_BENCH_ROUNDS times (default 5),
// both on DISTILL_LLAMA_THREADS threads (default 2). It reports the medians
// in tokens/s, per wall second and per second of the process's CPU time
// (-cpu-tok/s: with one thread, the work itself whatever share of a shared
// machine the process got; with more, llama.cpp's spinning thread pool
// counts too). The files are sideBySideConfig's random model in Q4_K_M,
// Q8_0 and Q4_0, written (once) to DISTILL_BENCH_DIR (default a temporary
// folder), or the GGUF files listed in DISTILL_BENCH_GGUF. Use -benchtime
// 1x.
func BenchmarkQuantizedGGUF(b *testing.B) {
	root := os.Getenv("DISTILL_LLAMA_CPP") // llama.cpp too when set
	pp, tg, rounds := envInt(b, "DISTILL_BENCH_PP", 128), envInt(b, "DISTILL_BENCH_TG", 32), envInt(b, "DISTILL_BENCH_ROUNDS", 5)
	threads := envInt(b, "DISTILL_LLAMA_THREADS", 2)
	dir := os.Getenv("DISTILL_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	var paths []string
	if list := os.Getenv("DISTILL_BENCH_GGUF"); list != "" {
		paths = filepath.SplitList(list)
	} else {
		paths = sideBySideFiles(b, dir)
	}
	for _, p := range paths {
		b.Run(filepath.Base(p), func(b *testing.B) {
			be := cpu.New(threads)
			l, err := checkpoint.Load(p, be, checkpoint.LoadOptions{NoTokenizer: true})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			var d, lc speeds
			for range rounds {
				d.add(pp, tg, distillSpeed(l.Model, pp, tg))
				if root == "" {
					continue
				}
				lc.add(pp, tg, llamaCppSpeed(b, root, p, pp, tg))
			}
			d.report(b, "distill")
			if root == "" {
				b.Logf("%s: pp%d distill %v; tg%d distill %v (tok/s, %d rounds)", filepath.Base(p), pp, round1(d.pp), tg, round1(d.tg), rounds)
				return
			}
			lc.report(b, "llamacpp")
			b.Logf("%s: pp%d distill %v llama.cpp %v; tg%d distill %v llama.cpp %v (tok/s, %d rounds); per CPU second: pp distill %v llama.cpp %v, tg distill %v llama.cpp %v",
				filepath.Base(p), pp, round1(d.pp), round1(lc.pp), tg, round1(d.tg), round1(lc.tg), rounds,
				round1(d.ppCPU), round1(lc.ppCPU), round1(d.tgCPU), round1(lc.tgCPU))
		})
	}
}

// timing is one round's seconds of wall time and of process CPU time (0:
// not measured) for prompt processing and generation.
type timing struct{ pp, tg, ppCPU, tgCPU float64 }

// speeds collects tokens/s per round: per wall second and per CPU second
// of the process (all its threads: on one thread the work itself, whatever
// share of the machine the process got).
type speeds struct{ pp, tg, ppCPU, tgCPU []float64 }

func (s *speeds) add(pp, tg int, t timing) {
	s.pp, s.tg = append(s.pp, float64(pp)/t.pp), append(s.tg, float64(tg)/t.tg)
	if t.ppCPU > 0 && t.tgCPU > 0 {
		s.ppCPU, s.tgCPU = append(s.ppCPU, float64(pp)/t.ppCPU), append(s.tgCPU, float64(tg)/t.tgCPU)
	}
}

// report reports the medians as who-pp-tok/s, who-tg-tok/s and, where
// measured, who-pp-cpu-tok/s, who-tg-cpu-tok/s.
func (s *speeds) report(b *testing.B, who string) {
	b.ReportMetric(benchstat.Median(s.pp), who+"-pp-tok/s")
	b.ReportMetric(benchstat.Median(s.tg), who+"-tg-tok/s")
	if len(s.ppCPU) > 0 {
		b.ReportMetric(benchstat.Median(s.ppCPU), who+"-pp-cpu-tok/s")
		b.ReportMetric(benchstat.Median(s.tgCPU), who+"-tg-cpu-tok/s")
	}
}

// llamaCppSpeed runs testdata/llamacpp_bench.mjs on the file p and returns
// its pp and tg seconds.
func llamaCppSpeed(b *testing.B, root, p string, pp, tg int) timing {
	out := formattest.RunNodeScript(b, root, filepath.Join("testdata", "llamacpp_bench.mjs"), 10*time.Minute,
		strconv.Itoa(pp), strconv.Itoa(tg), p)
	sc := bufio.NewScanner(bytes.NewReader(out))
	var t timing
	for sc.Scan() {
		var line struct {
			PP    float64 `json:"pp_s"`
			TG    float64 `json:"tg_s"`
			PPCPU float64 `json:"pp_cpu_s"`
			TGCPU float64 `json:"tg_cpu_s"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			b.Fatalf("llama.cpp output %q: %v", sc.Text(), err)
		}
		t = timing{line.PP, line.TG, line.PPCPU, line.TGCPU}
	}
	if t.pp <= 0 || t.tg <= 0 {
		b.Fatalf("llama.cpp printed no timings: %s", out)
	}
	return t
}

// distillSpeed returns the seconds distill takes for llamacpp_bench.mjs's
// work: a warm-up, then the prompt (ids 1 + 7919i mod 500) in one Forward
// and tg one-token Forward calls, each followed by a greedy pick.
func distillSpeed(m *model.Model, pp, tg int) timing {
	prompt := make([]int32, pp)
	for i := range prompt {
		prompt[i] = int32(1 + (i*7919)%500)
	}
	cache := m.NewKVCache(1, pp+tg+16)
	defer cache.Free()
	var logits []float32
	var t timing
	run := func() {
		cache.Reset()
		t0, c0 := time.Now(), cputime.Process()
		m.Forward(prompt, 1, pp, cache)
		m.Backend.Sync()
		t.pp, t.ppCPU = time.Since(t0).Seconds(), (cputime.Process() - c0).Seconds()
		id := prompt[pp-1]
		t0, c0 = time.Now(), cputime.Process()
		for range tg {
			logits = m.Backend.ToFloat32(m.Forward([]int32{id}, 1, 1, cache), logits)
			id = int32(argmax(logits))
		}
		t.tg, t.tgCPU = time.Since(t0).Seconds(), (cputime.Process() - c0).Seconds()
	}
	run()
	run()
	return t
}

// sideBySideFiles writes (when absent) sideBySideConfig's random model as
// GGUF in Q4_K_M, Q8_0 and Q4_0 into dir, with stories260K's tokenizer.
func sideBySideFiles(b *testing.B, dir string) []string {
	bin, _ := stories(b)
	tok, err := checkpoint.LoadTokenizer(bin, checkpoint.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := sideBySideConfig
	var src model.TensorSource
	var paths []string
	for _, method := range []string{"q4_k_m", "q8_0", "q4_0"} {
		p := filepath.Join(dir, fmt.Sprintf("random95M-%s.gguf", method))
		paths = append(paths, p)
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if src == nil {
			src = model.EncodeParams("random95M", cfg, cpu.New(0), model.RandomParams(cfg, 7), kernels.F32)
		}
		m, err := quant.ParseMethod(method)
		if err != nil {
			b.Fatal(err)
		}
		_, qs, err := quant.Apply(cfg, src, m, quant.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := checkpoint.WriteGGUF(p, cfg, qs, tok, checkpoint.GGUFOptions{FileType: method}); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}

func envInt(b *testing.B, key string, def int) int {
	s := os.Getenv(key)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", key, s)
	}
	return n
}

func round1(v []float64) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(int(x*10+0.5)) / 10
	}
	return o
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
