package main

import (
	"fmt"
	"math"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/recipe"
)

// flagRange bounds a numeric flag; open ends exclude the bound.
type flagRange struct {
	lo, hi         float64
	openLo, openHi bool
}

func (r flagRange) String() string {
	lb, rb := "[", "]"
	if r.openLo {
		lb = "("
	}
	if r.openHi {
		rb = ")"
	}
	num := func(x float64) string {
		if math.IsInf(x, 0) {
			return "∞"
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return lb + num(r.lo) + ", " + num(r.hi) + rb
}

func (r flagRange) holds(x float64) bool {
	return !(x < r.lo || x > r.hi || r.openLo && x == r.lo || r.openHi && x == r.hi)
}

const maxSize = 1 << 20 // widths, lengths, windows: far above any model distill runs

// flagRanges bounds the numeric flags of every command, by name, or by
// "command.name" where a command differs. Every float flag must also be
// finite; an integer flag without an entry must be >= 0. These are the
// checks that need no model; a command checks against the model it loads
// (--top-k against the vocabulary, --seq-len against the context).
var flagRanges = map[string]flagRange{
	"batch":               {lo: 0, hi: 1 << 16}, // eval: 0 = automatic
	"train.batch":         {lo: 1, hi: 1 << 16},
	"teach.batch":         {lo: 1, hi: 1 << 16},
	"grad-accum":          {lo: 1, hi: 1 << 16},
	"seq-len":             {lo: 2, hi: maxSize},
	"steps":               {lo: 1, hi: recipe.MaxSteps},
	"warmup":              {lo: 0, hi: recipe.MaxSteps},
	"checkpoint-every":    {lo: 1, hi: recipe.MaxSteps},
	"top-k":               {lo: 0, hi: maxSize},
	"teach.top-k":         {lo: 1, hi: maxSize},
	"shard-windows":       {lo: 0, hi: maxSize}, // 0 = about 64 MiB per shard
	"calibration-batches": {lo: 1, hi: 1 << 16},
	"calib-windows":       {lo: 1, hi: maxSize},
	"calib-len":           {lo: 1, hi: maxSize},
	"context":             {lo: 0, hi: maxSize},
	"stride":              {lo: 0, hi: maxSize},
	"max-tokens":          {lo: 0, hi: 1 << 40},
	"generate.max-tokens": {lo: 0, hi: maxSize},
	"limit":               {lo: 0, hi: 1 << 40},
	"n-layers":            {lo: 0, hi: maxSize},
	"every-k":             {lo: 0, hi: maxSize},
	"dim":                 {lo: 0, hi: maxSize},
	"heads":               {lo: 0, hi: maxSize},
	"kv-heads":            {lo: 0, hi: maxSize},
	"hidden-dim":          {lo: 0, hi: maxSize},

	"lr":                    {lo: 0, hi: math.Inf(1), openLo: true},
	"alpha":                 {lo: 0, hi: 1},
	"beta":                  {lo: 0, hi: 1, openLo: true, openHi: true},
	"temperature":           {lo: 0, hi: 1e3, openLo: true},
	"generate.temperature":  {lo: 0, hi: 1e3}, // 0 = greedy
	"top-p":                 {lo: 0, hi: 1, openLo: true},
	"grad-clip":             {lo: 0, hi: math.Inf(1)},
	"weight-decay":          {lo: 0, hi: math.Inf(1)},
	"min-lr-ratio":          {lo: 0, hi: 1},
	"percdamp":              {lo: 0, hi: 1, openLo: true},
	"hidden-weight":         {lo: 0, hi: math.Inf(1), openLo: true},
	"on-policy":             {lo: 0, hi: 1},
	"on-policy-tokens":      {lo: 1, hi: maxSize},
	"on-policy-temperature": {lo: 0, hi: 1e3}, // 0 = greedy
}

// checkFlags is every command's Before: each numeric flag finite and in its
// range, and the training sizes' products in range, before any file is
// opened.
func checkFlags(c *cli.Context) error {
	cmd := c.Command.Name
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		var x float64
		var shown string
		switch f.(type) {
		case *cli.Float64Flag:
			x = c.Float64(name)
			shown = strconv.FormatFloat(x, 'g', -1, 64)
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("--%s %s: want a finite number", name, shown)
			}
		case *cli.IntFlag:
			x, shown = float64(c.Int(name)), strconv.Itoa(c.Int(name))
		case *cli.Int64Flag:
			x, shown = float64(c.Int64(name)), strconv.FormatInt(c.Int64(name), 10)
		default:
			continue
		}
		r, ok := flagRanges[cmd+"."+name]
		if !ok {
			r, ok = flagRanges[name]
		}
		if !ok {
			r = flagRange{lo: 0, hi: math.MaxInt64}
		}
		if !r.holds(x) {
			return fmt.Errorf("--%s %s: out of range, want a value in %s", name, shown, r)
		}
	}
	if cmd == "train" {
		if e := recipe.CheckTrainingSize(int64(c.Int("batch")), int64(c.Int("seq-len")), int64(c.Int("grad-accum")), int64(c.Int("steps"))); e != nil {
			flag := map[string]string{"batch_size": "--batch", "grad_accum": "--grad-accum", "steps": "--steps"}[e.Field]
			return fmt.Errorf("%s: %s", flag, e.Msg)
		}
	}
	return nil
}

// checkThreads validates the global --threads flag.
func checkThreads(n int) error { return kernels.CheckThreads("--threads", n) }
