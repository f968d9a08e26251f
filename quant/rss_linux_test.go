//go:build linux

package quant

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/internal/sysmem"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// rssEnv names the GGUF file the helper process loads.
const rssEnv = "QUANT_RSS_MODEL"

// TestHelperRSS is not a test: run by BenchmarkPeakRSS in a fresh process,
// it loads one GGUF file, runs a forward of 128 tokens and prints its peak
// resident set size.
func TestHelperRSS(t *testing.T) {
	path := os.Getenv(rssEnv)
	if path == "" {
		t.Skip("helper process for BenchmarkPeakRSS")
	}
	tc, err := checkpoint.Load(path, cpu.New(0), checkpoint.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tc.Model.Forward(probeTokens(128, tc.Config.VocabSize), 1, 128, nil)
	// VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over
	// fork and exec, so a child would report at least its parent's peak.
	st, err := sysmem.Status()
	if err != nil || st["VmHWM"] == 0 {
		t.Fatal("no VmHWM in /proc/self/status", err)
	}
	fmt.Printf("maxrss-kib %d\n", st["VmHWM"]>>10)
	tc.Close()
}

// BenchmarkPeakRSS reports the peak RSS of a process that loads the
// benchmark model of BenchmarkForward from a GGUF file of each type and
// runs one forward (weights memory-mapped, as deployed): the helper's
// VmHWM.
func BenchmarkPeakRSS(b *testing.B) {
	cfg := model.Config{Arch: model.ArchLlama, Dim: 512, HiddenDim: 1536, NLayers: 4, NHeads: 8, NKVHeads: 8,
		VocabSize: 4096, MaxSeqLen: 256, NormEps: 1e-5, RopeTheta: 10000, TiedEmbeddings: false, BOS: 1, EOS: 2}
	be := cpu.New(0)
	src := model.EncodeParams("random", cfg, be, model.RandomParams(cfg, 3), kernels.F32)
	dir := b.TempDir()
	for _, name := range []string{"f32", "f16", "q8_0", "q4_0", "q4_k_m"} {
		b.Run(name, func(b *testing.B) {
			m, _ := ParseMethod(name)
			_, qs, err := Apply(cfg, src, m, Options{})
			if err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(dir, name+".gguf")
			rt, err := ExportGGUF(path, cfg, qs, nil, be, checkpoint.GGUFOptions{FileType: name})
			if err != nil {
				b.Fatal(err)
			}
			var kib int64
			for b.Loop() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRSS$", "-test.v")
				cmd.Env = append(os.Environ(), rssEnv+"="+path)
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("helper: %v\n%s", err, out)
				}
				_, after, ok := strings.Cut(string(out), "maxrss-kib ")
				if !ok {
					b.Fatalf("helper printed no maxrss:\n%s", out)
				}
				kib, _ = strconv.ParseInt(strings.Fields(after)[0], 10, 64)
			}
			b.ReportMetric(float64(kib)/1024, "peak-RSS-MiB")
			b.ReportMetric(float64(rt.FileBytes)/(1<<20), "file-MiB")
		})
	}
}
