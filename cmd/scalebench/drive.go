package main

import (
	"bufio"
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
	"github.com/distill-dev/distill/kernels/gemm"
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
	matmul := "fp32 matmul"
	if o.bf16Matmul {
		matmul = "bf16 matmul (-bf16-matmul)"
		if !gemm.BF16Native() {
			matmul = "fp32 matmul (-bf16-matmul: no native bf16 kernel on this CPU)"
		}
	}
	fmt.Printf("scalebench %s: %d threads, batch %d x %d tokens, %s, %s/%s, %d CPUs\n\n", time.Now().UTC().Format("2006-01-02"), o.threads, o.batch, o.seq, matmul, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Println("| model | params | file | load s | RSS after load | forward tok/s | GFLOP/s (per CPU-s) | teach tok/s (top-64) | KD tok/s (half depth) | measured peak RSS: forward / teach / KD | estimate: forward / teach / KD | peak / estimate |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	var streamed []string
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
		if o.corpusMB > 0 && streamed == nil {
			if streamed, err = streamRow(self, name, dir, o); err != nil {
				return err
			}
		}
		if !o.keep {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
		}
	}
	if streamed != nil {
		fmt.Printf("\nteach (top-64, %d tokens labelled) from a text file tokenised and streamed from disk, as any corpus over 256 MiB is:\n\n", o.teachTokens)
		fmt.Println("| model | text | process s | RSS after tokenising | peak anonymous RSS | peak RSS (VmHWM) |")
		fmt.Println("|---|---|---|---|---|---|")
		for _, l := range streamed {
			fmt.Println(l)
		}
	}
	return nil
}

// streamRow teaches the model in dir from a generated corpus of
// o.corpusMB MiB and from -data itself, and returns the lines reporting
// the memory of both.
func streamRow(self, name, dir string, o options) ([]string, error) {
	path := filepath.Join(o.dir, "corpus.txt")
	if err := writeCorpus(path, o.data, int64(o.corpusMB)<<20); err != nil {
		return nil, err
	}
	defer os.Remove(path)
	var lines []string
	for _, data := range []string{o.data, path} {
		st, err := os.Stat(data)
		if err != nil {
			return nil, err
		}
		oo := o
		oo.data = data
		t0 := time.Now()
		r, err := measureChild(self, "teach", dir, oo)
		if err != nil {
			return nil, fmt.Errorf("%s: teach from %s: %w", name, data, err)
		}
		lines = append(lines, fmt.Sprintf("| %s | %s | %.0f | %s | %s | %s |", name, units.Bytes(st.Size()), time.Since(t0).Seconds(),
			units.Bytes(r.RSSLoad), units.Bytes(r.PeakAnon), units.Bytes(r.Peak)))
	}
	return lines, nil
}

// writeCorpus writes the text of sample over and over (blank-line
// documents) to path until it holds n bytes.
func writeCorpus(path, sample string, n int64) error {
	text, err := os.ReadFile(sample)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for written := int64(0); written < n; written += int64(len(text)) + 2 {
		w.Write(text)
		w.WriteString("\n\n")
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// measureChild runs one measurement in a new process and decodes its
// result.
func measureChild(self, kind, dir string, o options) (result, error) {
	args := []string{"measure", "-data", o.data, "-threads", fmt.Sprint(o.threads), "-batch", fmt.Sprint(o.batch),
		"-seq", fmt.Sprint(o.seq), "-reps", fmt.Sprint(o.reps), "-kd-steps", fmt.Sprint(o.kdSteps),
		"-teach-tokens", fmt.Sprint(o.teachTokens), fmt.Sprintf("-bf16-matmul=%v", o.bf16Matmul), kind, dir}
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
