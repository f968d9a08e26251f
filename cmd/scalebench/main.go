// Command scalebench measures distill at the real shapes of published
// models (SmolLM2-135M, Qwen2.5-0.5B, TinyLlama-1.1B: their config.json
// from testdata/configs) with random bf16 weights written in the HF
// safetensors layout (the largest sharded with an index): per model, load
// time, resident memory after loading, teacher forward tokens/s, `teach`
// tokens/s (top-k 64) and the tokens/s of a KD step of a half-depth
// student, each measured in a process of its own, with distill's memory
// estimate beside the process's measured peak resident set (VmHWM). It
// prints one markdown table (make scale, scripts/scale.sh):
//
//	go run ./cmd/scalebench -dir /tmp/distill-scale -threads 2
//
// The models (2.7 GB of bf16 for all three) are written under -dir and
// removed at the end unless -keep.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// options are the measurement's settings, shared by the driver and the
// measuring processes it starts.
type options struct {
	dir, data     string
	models        string
	only          string
	threads       int
	batch, seq    int
	reps, kdSteps int
	teachTokens   int
	keep          bool
	bf16Matmul    bool
	cpuProfile    string
	corpusMB      int
}

func (o *options) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.dir, "dir", os.TempDir()+"/distill-scale", "folder for the random models and scratch output (removed at the end unless -keep)")
	fs.StringVar(&o.data, "data", "testdata/quickstart/train.txt", "text for teach and KD (tokenised with each model's byte-level test vocabulary)")
	fs.StringVar(&o.models, "models", strings.Join(shapeNames(), ","), "shapes to measure")
	fs.StringVar(&o.only, "only", "forward,teach,kd", "measurements to run")
	fs.IntVar(&o.threads, "threads", 2, "compute threads")
	fs.IntVar(&o.batch, "batch", 4, "sequences per forward pass, teach pass and KD micro-batch")
	fs.IntVar(&o.seq, "seq", 128, "tokens per sequence")
	fs.IntVar(&o.reps, "reps", 3, "timed forward passes (after one warm-up); the median is reported")
	fs.IntVar(&o.kdSteps, "kd-steps", 3, "KD steps (the first is a warm-up; the median of the others is reported)")
	fs.IntVar(&o.teachTokens, "teach-tokens", 1024, "tokens teach labels")
	fs.BoolVar(&o.keep, "keep", false, "keep the models in -dir")
	fs.BoolVar(&o.bf16Matmul, "bf16-matmul", false, "multiply the bf16 weights in bf16 where the CPU has a native kernel (cpu.Options.BF16Compute, distill --bf16-matmul)")
	fs.IntVar(&o.corpusMB, "corpus-mb", 0, "also teach the first model from a generated text corpus of this many MiB (-data repeated), streamed from disk, and report its memory")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "measure: write a CPU profile of the timed part here")
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var o options
	if len(args) > 0 && args[0] == "measure" { // one measurement, in this process
		fs := flag.NewFlagSet("scalebench measure", flag.ContinueOnError)
		o.flags(fs)
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 2 {
			return fmt.Errorf("usage: scalebench measure [flags] forward|teach|kd MODEL_DIR")
		}
		return measureMain(fs.Arg(0), fs.Arg(1), o)
	}
	fs := flag.NewFlagSet("scalebench", flag.ContinueOnError)
	o.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return drive(o)
}
