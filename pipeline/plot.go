package pipeline

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/distill-dev/distill/internal/atomicfile"
)

// series is one line of a plot.
type series struct {
	name   string
	xs, ys []float64
	dashed bool
}

// column extracts (step, key) pairs from metric rows, trying each key in
// turn (different trainers name the same quantity differently).
func column(rows []map[string]float64, keys ...string) (xs, ys []float64) {
	for _, k := range keys {
		for _, r := range rows {
			if v, ok := r[k]; ok {
				xs, ys = append(xs, r["step"]), append(ys, v)
			}
		}
		if len(xs) > 0 {
			return xs, ys
		}
	}
	return nil, nil
}

var palette = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 214, G: 39, B: 40, A: 255},
	color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 255, G: 127, B: 14, A: 255},
}

// plotPNG draws the non-empty series into a PNG at path, atomically. It
// reports false (and writes nothing) when every series is empty.
func plotPNG(path, title, ylabel string, logY bool, ss []series) (bool, error) {
	p := plot.New()
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = pow2Ticks{}
	}
	p.Title.Text = title
	p.X.Label.Text = "step"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	n := 0
	for i, s := range ss {
		if len(s.xs) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(s.xs))
		for j := range s.xs {
			pts[j].X, pts[j].Y = s.xs[j], s.ys[j]
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return false, fmt.Errorf("pipeline: plot %s: %w", title, err)
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		p.Add(l)
		if len(ss) > 1 {
			p.Legend.Add(s.name, l)
		}
		n++
	}
	if n == 0 {
		return false, nil
	}
	w, err := p.WriterTo(8*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return false, fmt.Errorf("pipeline: plot %s: %w", title, err)
	}
	if err := atomicfile.Write(path, func(f io.Writer) error { _, err := w.WriteTo(f); return err }); err != nil {
		return false, fmt.Errorf("pipeline: plot %s: %w", title, err)
	}
	return true, nil
}

// pow2Ticks labels every power of two in range (loss scales are powers of
// two; plot.LogTicks would label only the powers of ten).
type pow2Ticks struct{}

func (pow2Ticks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for e := math.Floor(math.Log2(lo)); math.Exp2(e) <= hi; e++ {
		if v := math.Exp2(e); v >= lo {
			t = append(t, plot.Tick{Value: v, Label: fmt.Sprintf("%g", v)})
		}
	}
	return t
}
