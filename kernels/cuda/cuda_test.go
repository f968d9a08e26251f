//go:build cuda

package cuda

import (
	"math"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/kerneltest"
	"github.com/distill-dev/distill/model"
)

var (
	shared     *Backend
	sharedErr  error
	sharedOnce sync.Once
)

// gpu returns the test binary's one backend on device 0, or skips with the
// reason when no GPU (or driver, or cuBLAS) is usable. With
// DISTILL_CUDA_REQUIRED=1 (the emulator run, gpu-check.sh) a missing
// device fails instead, so a broken Open cannot pass as skipped tests.
func gpu(tb testing.TB) *Backend {
	sharedOnce.Do(func() {
		shared, sharedErr = Open("cuda")
		if sharedErr == nil {
			tb.Logf("kernels/cuda: %s", shared.Device())
		}
	})
	if sharedErr != nil {
		if os.Getenv("DISTILL_CUDA_REQUIRED") == "1" {
			tb.Fatalf("kernels/cuda: DISTILL_CUDA_REQUIRED=1 but Open failed: %v", sharedErr)
		}
		tb.Skipf("kernels/cuda: no usable GPU, skipping: %v", sharedErr)
	}
	return shared
}

// emulated reports whether g is the CPU emulator (kernels/cuda/emu), whose
// environment knobs (EMU_DEVICE_MEM, EMU_FAIL) some tests use.
func emulated(g *Backend) bool { return strings.HasPrefix(g.info.name, "Emulated") }

// TestOpenErrors runs everywhere: bad device strings are errors, and with
// no GPU or driver Open returns an error instead of exiting the process.
func TestOpenErrors(t *testing.T) {
	for _, dev := range []string{"cuda:x", "cuda:-1", "cuda:4096"} {
		if _, err := kernels.Open(dev); err == nil {
			t.Errorf("Open(%q): no error", dev)
		} else if !strings.HasPrefix(err.Error(), "kernels/cuda: device") {
			t.Errorf("Open(%q): error %q lacks the kernels/cuda prefix", dev, err)
		}
	}
	if _, err := kernels.Open("cuda"); err != nil {
		t.Logf("Open(\"cuda\") on this machine: %v", err)
	}
}

func TestSizeClass(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{1, 512}, {512, 512}, {513, 1024}, {4096, 4096}, {4097, 5120}, {8192, 8192}, {8193, 10240},
		{1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1<<18},
	} {
		if got := sizeClass(tc.n); got != tc.want {
			t.Errorf("sizeClass(%d) = %d, want %d", tc.n, got, tc.want)
		}
		if got := sizeClass(tc.n); got < tc.n || float64(got) > 1.25*float64(max(tc.n, 4096)) {
			t.Errorf("sizeClass(%d) = %d wastes more than 25%%", tc.n, got)
		}
	}
}

// TestCUDAConformance is the backend-independent suite (float64
// references, tolerances per dtype in kerneltest.Tol).
func TestCUDAConformance(t *testing.T) { kerneltest.Run(t, gpu(t)) }

// TestCUDAMatMulSplit checks F32 activations times BF16 and F16 weights
// (split into bf16 halves: two and three tensor-core GEMMs) against the CPU
// at float32 tolerance, and FastMatMul (activations rounded to the
// weights' type, one GEMM) at that type's tolerance.
func TestCUDAMatMulSplit(t *testing.T) {
	g := gpu(t)
	c := cpu.New(0)
	const M, N, K = 96, 80, 1024
	a := make([]float32, M*K)
	w := make([]float32, N*K)
	for i := range a {
		a[i] = float32(math.Sin(float64(i)*0.37)) * 3
	}
	for i := range w {
		w[i] = float32(math.Cos(float64(i)*0.11)) / 32
	}
	for _, wdt := range []kernels.DType{kernels.BF16, kernels.F16} {
		want := matmulOn(c, a, w, wdt, M, N, K)
		for _, fast := range []bool{false, true} {
			g.FastMatMul = fast
			got := matmulOn(g, a, w, wdt, M, N, K)
			g.FastMatMul = false
			tol := 1e-4
			if fast {
				tol = max(kerneltest.Tol(wdt), 4e-3)
			}
			if err := maxRelErr(got, want); err > tol {
				t.Errorf("%s weights, FastMatMul=%v: max error %.3g relative to max(1,|want|), tolerance %.3g", wdt, fast, err, tol)
			}
		}
	}
}

func matmulOn(b kernels.Backend, a, w []float32, wdt kernels.DType, M, N, K int) []float32 {
	at := b.FromFloat32(kernels.F32, a, M, K)
	wt := b.FromFloat32(wdt, w, N, K)
	o := b.Zeros(kernels.F32, M, N)
	b.MatMul(o, at, wt, false, true, 1, 0)
	return b.ToFloat32(o, nil)
}

// maxRelErr is max_i |got-want| / max(1, |want|).
func maxRelErr(got, want []float32) float64 {
	e := 0.0
	for i := range want {
		e = max(e, math.Abs(float64(got[i])-float64(want[i]))/max(1, math.Abs(float64(want[i]))))
	}
	return e
}

// TestCUDATeacherForward runs whole model forwards (Llama with GQA and
// both RoPE styles, GPT-2) on the GPU and the CPU from the same weights
// and compares the logits. Activations are F32 on both, so the tolerance
// is float32 accumulation-order noise through the layers, wider for
// block-quantized weights only by the dequantized values' own rounding.
// The CPU reference multiplies block-typed weights with float activations,
// as this backend does (it dequantizes them), rather than with llama.cpp's
// 8-bit ones (Q8_0's logits differed by 0.024).
func TestCUDATeacherForward(t *testing.T) {
	forwardParity(t, gpu(t), cpu.NewWith(cpu.Options{FloatActivations: true}))
}

// TestParityHarness runs the parity tests' harnesses with the CPU backend
// on both sides (other thread counts), so their set-up is checked on
// machines without a GPU too.
func TestParityHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	t.Run("forward", func(t *testing.T) {
		forwardParity(t, cpu.NewWith(cpu.Options{Threads: 1, FloatActivations: true}), cpu.NewWith(cpu.Options{FloatActivations: true}))
	})
	t.Run("trainstep", func(t *testing.T) { trainStepParity(t, cpu.New(1), cpu.New(0)) })
}

// forwardParity compares whole forwards on g against c.
func forwardParity(t *testing.T, g, c kernels.Backend) {
	llama := model.Config{Arch: model.ArchLlama, Dim: 256, HiddenDim: 512, NLayers: 2, NHeads: 8, NKVHeads: 2,
		VocabSize: 512, MaxSeqLen: 128, NormEps: 1e-5, RopeTheta: 10000, BOS: -1, EOS: -1}
	llamaHalf := llama
	llamaHalf.RopeStyle = kernels.RoPEHalf
	gpt2 := model.Config{Arch: model.ArchGPT2, Dim: 192, HiddenDim: 768, NLayers: 2, NHeads: 6, NKVHeads: 6,
		VocabSize: 384, MaxSeqLen: 128, NormEps: 1e-5, TiedEmbeddings: true, BOS: -1, EOS: -1}
	// Stacked q/k/v with per-part biases (Qwen2) and with per-head q/k
	// norms after the split (Qwen3).
	qwen2 := llama
	qwen2.Arch, qwen2.RopeStyle = model.ArchQwen2, kernels.RoPEHalf
	qwen3 := qwen2
	qwen3.Arch = model.ArchQwen3
	cases := []struct {
		name string
		cfg  model.Config
		dt   kernels.DType
		tol  float64
	}{
		{"llama/F32", llama, kernels.F32, 1e-3},
		{"llama/BF16", llama, kernels.BF16, 1e-3},
		{"llama/F16", llama, kernels.F16, 1e-3},
		{"llama/Q8_0", llama, kernels.Q8_0, 1e-3},
		{"llama-rope-half/BF16", llamaHalf, kernels.BF16, 1e-3},
		{"gpt2/F32", gpt2, kernels.F32, 1e-3},
		{"gpt2/BF16", gpt2, kernels.BF16, 1e-3},
		{"qwen2/BF16", qwen2, kernels.BF16, 1e-3},
		{"qwen3/F16", qwen3, kernels.F16, 1e-3},
	}
	const B, T = 2, 96
	ids := make([]int32, B*T)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := range ids {
				ids[i] = int32((i*7919 + 13) % tc.cfg.VocabSize)
			}
			params := model.RandomParams(tc.cfg, 7)
			src := model.EncodeParams("random", tc.cfg, c, params, tc.dt)
			mc, err := model.New(tc.cfg, c, src)
			if err != nil {
				t.Fatal(err)
			}
			mg, err := model.New(tc.cfg, g, src)
			if err != nil {
				t.Fatal(err)
			}
			// A backend that stacks weights runs q/k/v as one product
			// (and gate/up, for gated FFNs).
			if w := mg.W.Layers[0]; kernels.StacksWeights(g) && (w.QKV == nil || (w.GateUp == nil) == tc.cfg.Family().FFN.Gated()) {
				t.Fatalf("%s on %s: QKV %v, GateUp %v: projections not stacked", tc.name, g.Name(), w.QKV, w.GateUp)
			}
			want := mc.Logits(nil, ids, B, T)
			got := mg.Logits(nil, ids, B, T)
			if e := maxRelErr(got, want); e > tc.tol {
				t.Errorf("logits differ from the CPU backend's by %.3g (relative to max(1,|want|)), tolerance %.3g", e, tc.tol)
			} else {
				t.Logf("max logit error %.3g", e)
			}
		})
	}
}

// TestTrainOpsImplemented runs everywhere: the backend must keep up with
// kernels.TrainOps (it is not asserted at compile time; see train.go).
func TestTrainOpsImplemented(t *testing.T) {
	var b kernels.Backend = (*Backend)(nil)
	if _, ok := b.(kernels.TrainOps); !ok {
		t.Fatal("*cuda.Backend does not implement kernels.TrainOps: kernels/train.go changed; update kernels/cuda/train.go")
	}
}

// TestCUDATrainConformance is kerneltest's training-ops suite.
func TestCUDATrainConformance(t *testing.T) { kerneltest.RunTrain(t, gpu(t)) }
