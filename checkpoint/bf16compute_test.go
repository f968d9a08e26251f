package checkpoint

import (
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/kernels/gemm"
	"github.com/distill-dev/distill/model"
)

// TestStories260KBF16Compute: stories260K cast to BF16 keeps the float64
// reference logits (of the float32 model) within 1% relative L2 error and
// the reference argmax at every position, with cpu.Options.BF16Compute on
// (activations rounded to bf16) and off; on a CPU with a native bf16
// kernel the option changes the logits, so the test exercises it. Measured
// 2026-12: about 0.3% either way.
func TestStories260KBF16Compute(t *testing.T) {
	data := filepath.Join(formattest.SharedData(t), "stories260K")
	ref := loadStoriesRef(t, data)
	ck, err := open(filepath.Join(data, "stories260K.bin"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.closeFile()
	host := cpu.New(1)
	params := map[string][]float32{}
	for _, p := range ck.cfg.Params() {
		ht, ok := ck.src.Lookup(p.Name)
		if !ok {
			t.Fatalf("%s: no tensor %s", ck.file, p.Name)
		}
		x := host.FromBytes(ht.DType, ht.Data, ht.Shape...)
		params[p.Name] = host.ToFloat32(x, nil)
	}
	src := model.EncodeParams("stories260K (bf16)", ck.cfg, host, params, kernels.BF16)
	T, V := ref.Shape[0], ref.Shape[1]
	logits := map[bool][]float32{}
	for _, on := range []bool{false, true} {
		b := cpu.NewWith(cpu.Options{Threads: runtime.GOMAXPROCS(0), BF16Compute: on})
		m, err := model.New(ck.cfg, b, src)
		if err != nil {
			t.Fatal(err)
		}
		got := m.Logits(nil, ref.Tokens, 1, T)
		logits[on] = got
		var d2, r2 float64
		agree := 0
		for p := 0; p < T; p++ {
			g, r := got[p*V:(p+1)*V], ref.logits[p*V:(p+1)*V]
			for i := range g {
				d := float64(g[i] - r[i])
				d2 += d * d
				r2 += float64(r[i]) * float64(r[i])
			}
			if slices.Index(g, slices.Max(g)) == slices.Index(r, slices.Max(r)) {
				agree++
			}
		}
		rel := math.Sqrt(d2 / r2)
		t.Logf("BF16Compute=%v: logits rel. L2 error %.3g%%, argmax %d/%d", on, 100*rel, agree, T)
		if !(rel <= 0.01) || agree != T {
			t.Errorf("BF16Compute=%v: rel. L2 error %.3g (want <= 0.01), argmax agrees at %d of %d positions (want all)", on, rel, agree, T)
		}
	}
	if gemm.BF16Native() && slices.Equal(logits[false], logits[true]) {
		t.Error("BF16Compute changed no logit on a CPU with a native bf16 kernel: the option is not used")
	}
}
