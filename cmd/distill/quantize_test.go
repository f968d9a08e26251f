package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-dev/distill/internal/formattest"
)

// eval and quantize read text through one data path: on the same file with
// the same flags they report the same fp32 perplexity, whatever the flags
// (here the defaults, and one stream with BOS before it), on the teacher
// and text the repository ships.
func TestEvalAndQuantizeAgree(t *testing.T) {
	bin := filepath.Join("..", "..", "testdata", "quickstart", "teacher.bin")
	data := filepath.Join("..", "..", "testdata", "quickstart", "valid.txt")
	calib := filepath.Join("..", "..", "testdata", "quickstart", "train.txt")
	for _, flags := range [][]string{
		{"--limit", "2049"},
		{"--limit", "2049", "--split-docs=false", "--bos", "stream", "--context", "64", "--stride", "32"},
	} {
		var er evalReport
		decodeJSON(t, runReal(t, append([]string{"eval", bin, "--data", data, "--json"}, flags...)...), &er)
		for _, methods := range [][]string{
			{"--method", "q8_0"},
			{"--method", "gptq-int4-g32", "--calib", calib, "--calib-windows", "4", "--calib-len", "64"},
		} {
			var qr quantizeReport
			decodeJSON(t, runReal(t, append(append([]string{"quantize", bin, "--data", data, "--json"}, flags...), methods...)...), &qr)
			if qr.Data != er.Data || qr.Report.Eval.Tokens != er.Result.Tokens || math.Abs(qr.Report.Reference.PPL-er.Result.PPL) > 1e-9 {
				t.Errorf("%v %v: quantize data %+v fp32 ppl %.6f over %d tokens; eval %+v ppl %.6f over %d",
					flags, methods, qr.Data, qr.Report.Reference.PPL, qr.Report.Eval.Tokens, er.Data, er.Result.PPL, er.Result.Tokens)
			}
		}
	}
}

// Without --calib, GPTQ calibrates on the last documents of --data, which
// are then not evaluated (package corpus tests that the two share no token
// position); both sizes are reported.
func TestRealQuantizeHoldsOutCalibration(t *testing.T) {
	bin, _ := stories(t)
	data := filepath.Join(formattest.SharedData(t), "tinystories/valid-head.txt")
	args := []string{"quantize", bin, "--data", data, "--method", "gptq-int4-g32", "--calib-windows", "8", "--limit", "2049"}
	var qr quantizeReport
	decodeJSON(t, runReal(t, append(args, "--json")...), &qr)
	ca := qr.Calibration
	if ca == nil || ca.Source != "held out of "+data || ca.Windows != 8 || ca.WindowLen != 256 || ca.Tokens < 8*256 || ca.Documents < 1 {
		t.Fatalf("calibration %+v", ca)
	}
	if qr.Data.Tokens != 2049 || qr.Report.Eval.Tokens >= 2049 {
		t.Errorf("evaluated %+v, %d tokens scored", qr.Data, qr.Report.Eval.Tokens)
	}
	out := runReal(t, args...)
	for _, want := range []string{"evaluated on " + data, "calibrated on held out of " + data, "8 windows of 256"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// Requests quantize cannot honour fail with a message naming the cause and
// leave no --out file: GPTQ onto a type it has no grid for, a quality
// target no choice of the candidate types reaches (the error names the
// limiting tensors and the best achievable KL), malformed targets.
func TestQuantizeBadRequestsLeaveNoFile(t *testing.T) {
	bin := filepath.Join("..", "..", "testdata", "quickstart", "teacher.bin")
	data := filepath.Join("..", "..", "testdata", "quickstart", "valid.txt")
	calib := filepath.Join("..", "..", "testdata", "quickstart", "train.txt")
	base := []string{"quantize", bin, "--data", data, "--limit", "512", "--calib", calib, "--calib-windows", "4", "--calib-len", "64"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--method", "gptq-q3_k_m"}, []string{"Q3_K", "GPTQ cannot write"}},
		{[]string{"--method", "q3_k_m", "--gptq"}, []string{"Q3_K", "GPTQ cannot write"}},
		{[]string{"--target-kl", "1e-9", "--target-types", "q4_0,q5_0"}, []string{"cannot be reached", "best achievable predicted KL", "limit it", "blk."}},
		{[]string{"--target-kl", "-1"}, []string{"--target-kl"}},
		{[]string{"--target-kl", "0.01", "--target-ppl-delta", "1"}, []string{"exactly one"}},
		{[]string{"--target-kl", "0.01", "--method", "q4_0"}, []string{"leave --method out"}},
		{[]string{"--target-kl", "0.01", "--target-types", "int8"}, []string{"--target-types"}},
	} {
		out := filepath.Join(t.TempDir(), "out.gguf")
		var stdout, stderr bytes.Buffer
		full := append(append(append([]string{"distill", "--progress", "none"}, base...), tc.args...), "--out", out)
		if code := run(full, &stdout, &stderr, teacherHooks()); code == 0 {
			t.Errorf("%v: exit 0", tc.args)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("%v: stderr %q does not mention %q", tc.args, stderr.String(), w)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v left %s behind", tc.args, out)
		}
	}
}
