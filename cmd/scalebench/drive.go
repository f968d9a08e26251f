package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/distill-dev/distill/checkpoint"
	"github.com/distill-dev/distill/internal/units"
	"github.com/distill-dev/distill/student"
)

// drive writes each model, runs each measurement in a process of its own
// (this program with "measure") and prints the table.
func drive(o options) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	kinds := strings.Split(o.only, ",")
	fmt.Printf("scalebench %s: %d threads, batch %d x %d tokens, %s/%s, %d CPUs\n\n", time.Now().UTC().Format("2006-01-02"), o.threads, o.batch, o.seq, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Println("| model | params | file | load s | RSS after load | forward tok/s | GFLOP/s (per CPU-s) | teach tok/s (top-64) | KD tok/s (half depth) | measured peak RSS: forward / teach / KD | estimate: forward / teach / KD | peak / estimate |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, name := range strings.Split(o.models, ",") {
		s, err := findShape(name)
		if err != nil {
			return err
		}
		dir := filepath.Join(o.dir, name)
		t0 := time.Now()
		if err := s.write(dir); err != nil {
			return fmt.Errorf("%s: writing: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "scalebench: %s written in %.1fs\n", name, time.Since(t0).Seconds())
		info, err := checkpoint.Inspect(dir)
		if err != nil {
			return err
		}
		res := map[string]result{}
		for _, k := range kinds {
			r, err := measureChild(self, k, dir, o)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", name, k, err)
			}
			if k != "kd" { // KD's is the job's own (student.Job.Estimate)
				topK := 0
				if k == "teach" {
					topK = 64
				}
				est := student.EstimateInference(info.Config, student.TeacherBytesPerParam(info), o.batch, o.seq, topK)
				r.Estimate, r.Breakdown = est.Total(), est.String()
			}
			res[k] = r
			fmt.Fprintf(os.Stderr, "scalebench: %s %s: %.1f tok/s, peak %s, estimate %s\n%s", name, k, r.TokPerS, units.Bytes(r.Peak), units.Bytes(r.Estimate), r.Breakdown)
		}
		f := res["forward"]
		var peaks, ests, ratios []string
		for _, k := range kinds {
			r := res[k]
			peaks = append(peaks, units.Bytes(r.Peak))
			ests = append(ests, units.Bytes(r.Estimate))
			ratios = append(ratios, fmt.Sprintf("%.2f", float64(r.Peak)/float64(max(r.Estimate, 1))))
		}
		fmt.Printf("| %s | %.0fM | %s | %.2f | %s (%s mapped) | %.0f | %.0f (%.0f) | %.0f | %.0f | %s | %s | %s |\n", name, float64(info.NumParams)/1e6,
			units.Bytes(info.TotalBytes), f.LoadS, units.Bytes(f.RSSLoad), units.Bytes(f.FileLoad), f.TokPerS, f.GFLOPs, f.GFLOPCPU,
			res["teach"].TokPerS, res["kd"].TokPerS, strings.Join(peaks, " / "), strings.Join(ests, " / "), strings.Join(ratios, " / "))
		if !o.keep {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// measureChild runs one measurement in a new process and decodes its
// result.
func measureChild(self, kind, dir string, o options) (result, error) {
	args := []string{"measure", "-data", o.data, "-threads", fmt.Sprint(o.threads), "-batch", fmt.Sprint(o.batch),
		"-seq", fmt.Sprint(o.seq), "-reps", fmt.Sprint(o.reps), "-kd-steps", fmt.Sprint(o.kdSteps),
		"-teach-tokens", fmt.Sprint(o.teachTokens), kind, dir}
	cmd := exec.Command(self, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", o.threads))
	if err := cmd.Run(); err != nil {
		return result{}, err
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return r, fmt.Errorf("decoding %q: %w", out.String(), err)
	}
	return r, nil
}
