package pipeline

import (
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"
)

// TestReport runs the report stage on a synthetic metrics file and metrics
// JSON: report.md must hold the model table and the gates, each plot must
// be a PNG of the expected size, and the TensorBoard file must parse.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	r := testRecipe(t, dir, "gates: {kl_max: 0.1}\n")
	env := &Env{Recipe: r, RunDir: dir, Log: os.Stderr, Manifest: &Manifest{}, stage: StageReport}
	os.MkdirAll(env.Path("train"), 0o755)
	var b strings.Builder
	for s := 1; s <= 100; s++ {
		kd, ce := 3*math.Exp(-float64(s)/30)+0.5, 2*math.Exp(-float64(s)/50)+1
		fmt.Fprintf(&b, `{"step":%d,"loss":%g,"kd":%g,"ce":%g,"lr":%g,"loss_scale":%d}`+"\n", s, 0.7*kd+0.3*ce, kd, ce, 1e-3*float64(min(s, 10))/10, 1<<(16-s/25))
		if s%20 == 0 {
			fmt.Fprintf(&b, `{"step":%d,"val_ppl":%g,"teacher_ppl":4.5}`+"\n", s, 4.5+40*math.Exp(-float64(s)/25))
		}
	}
	b.WriteString(`{"step":101,"lo`) // torn last line of a killed run
	os.WriteFile(env.Path(TrainMetricsFile), []byte(b.String()), 0o644)
	s := testSummary()
	os.MkdirAll(env.Path("eval"), 0o755)
	writeJSON(env.Path(EvalMetricsFile), EvalMetrics{Teacher: *s.Teacher, Student: *s.Student})
	os.MkdirAll(env.Path("quantize"), 0o755)
	writeJSON(env.Path(QuantMetricsFile), QuantMetrics{Methods: s.Quantized})
	os.MkdirAll(env.Dir(), 0o755)

	outs, err := Report{}.Run(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"report/loss.png", "report/lr.png", "report/loss_scale.png", "report/val_ppl.png", ReportFile}
	if strings.Join(outs, ",") != strings.Join(want, ",") {
		t.Fatalf("outputs %v", outs)
	}
	for _, o := range outs[:4] {
		f, err := os.Open(env.Path(o))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 500 || img.Bounds().Dy() < 300 {
			t.Errorf("%s: %v %v", o, err, img.Bounds())
		}
	}
	md, _ := os.ReadFile(env.Path(ReportFile))
	for _, w := range []string{
		"| teacher | — | — | 4.000 |",
		"| student | — | 1.91 MiB | 5.000 | 0.2000 | 70.00% |",
		"| q4_k_m |",
		"| kl_max | student | 0.2 | <= 0.1 | **FAIL** |",
		"![val_ppl](val_ppl.png)",
		"Training: 100 steps",
	} {
		if !strings.Contains(string(md), w) {
			t.Errorf("report.md lacks %q:\n%s", w, md)
		}
	}
}
