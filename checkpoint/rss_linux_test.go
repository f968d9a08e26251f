//go:build linux

package checkpoint

import (
	"testing"

	"github.com/distill-dev/distill/internal/sysmem"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/cpu"
	"github.com/distill-dev/distill/model"
)

// TestLoadMapsWeights: a bf16 HF checkpoint is used where it is mapped:
// loading adds the file's pages (RssFile) and almost no anonymous memory
// (the q/k rows reordered out of HF's layout and bookkeeping), not a
// second copy of the weights.
func TestLoadMapsWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and loads a 40 MB model")
	}
	cfg := model.Config{Arch: model.ArchLlama, Dim: 256, HiddenDim: 1024, NLayers: 4, NHeads: 4, NKVHeads: 2, VocabSize: 32000,
		MaxSeqLen: 64, NormEps: 1e-5, RopeTheta: 1e4, BOS: 1, EOS: 2}
	b := cpu.New(1)
	dir := t.TempDir()
	if err := WriteHF(dir, cfg, model.RandomSource("r", cfg, b, kernels.BF16, 1), nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, err := sysmem.Status()
	if err != nil {
		t.Skip(err)
	}
	l, err := Load(dir, b, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	after, _ := sysmem.Status()
	anon, file := after["RssAnon"]-before["RssAnon"], after["RssFile"]-before["RssFile"]
	t.Logf("file %d MB: anonymous +%d MB, mapped file pages +%d MB (q/k copies %d MB)", info.TotalBytes>>20, anon>>20, file>>20, info.HostBytes>>20)
	if anon > info.TotalBytes/4 {
		t.Errorf("loading added %d bytes of anonymous memory for a %d-byte file: the weights were copied", anon, info.TotalBytes)
	}
	if file < info.TotalBytes*3/4 {
		t.Errorf("loading mapped only %d bytes of file pages for a %d-byte file", file, info.TotalBytes)
	}
}
