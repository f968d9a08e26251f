package quant

import (
	"fmt"
	"github.com/distill-dev/distill/corpus"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/distill-dev/distill/eval"
	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// Row is what one method cost, measured against the unquantized model on
// the same token stream.
type Row struct {
	Method    string  `json:"method"`
	Bytes     int64   `json:"bytes"`                // weight storage, scales included
	FileBytes int64   `json:"file_bytes,omitempty"` // size of the exported file, when one was written
	BPW       float64 `json:"bits_per_weight"`      // 8 * Bytes / parameters
	PPL       float64 `json:"ppl"`
	DeltaPPL  float64 `json:"delta_ppl"`     // PPL - reference PPL
	DeltaPct  float64 `json:"delta_ppl_pct"` // 100 * DeltaPPL / reference PPL
	KL        float64 `json:"kl"`            // mean KL(reference || quantized), nats/token
	Top1      float64 `json:"top1_agreement"`
	// Types counts the matrices stored in each type.
	Types   map[string]int `json:"types"`
	Seconds float64        `json:"seconds"` // quantization time
}

// Report is the comparison of several methods with the reference model.
type Report struct {
	Params    int64       `json:"params"`
	Reference Row         `json:"reference"`
	Rows      []Row       `json:"methods"`
	Eval      eval.Result `json:"eval"` // the reference's evaluation (context, stride, tokens)
}

// Measure quantizes src with every method, runs each quantized model on b
// and compares it with the unquantized model on stream.
func Measure(cfg model.Config, src model.TensorSource, methods []Method, b kernels.Backend, stream corpus.Stream, eo eval.Options, o Options) (*Report, error) {
	ref, err := model.New(cfg, b, src)
	if err != nil {
		return nil, fmt.Errorf("quant: reference model: %w", err)
	}
	defer ref.Free()
	cached := &cachedLM{LM: ref, budget: refCacheBytes}
	res, err := eval.Perplexity(cached, stream, eo)
	if err != nil {
		return nil, err
	}
	params := int64(cfg.NumParams())
	refBytes := WeightBytes(cfg, src)
	r := &Report{Params: params, Eval: res, Reference: Row{Method: "reference", Bytes: refBytes,
		BPW: 8 * float64(refBytes) / float64(params), PPL: res.PPL, Top1: 1, Types: typeCounts(cfg, src)}}
	if o.Backend == nil {
		o.Backend = b
	}
	for _, m := range methods {
		start := time.Now()
		_, qs, err := Apply(cfg, src, m, o)
		if err != nil {
			return nil, err
		}
		cached.next = 0
		row, err := Compare(cached, cfg, qs, b, stream, eo)
		if err != nil {
			return nil, fmt.Errorf("quant: %s: %w", m.Name, err)
		}
		row.Method, row.Seconds = m.Name, time.Since(start).Seconds()
		r.Rows = append(r.Rows, row)
	}
	return r, nil
}

// refCacheBytes bounds the reference logits Measure keeps between methods.
const refCacheBytes = 512 << 20

// cachedLM replays the logits of an LM that is called with the same
// sequence of batches again (the reference, once per method), keeping the
// first budget bytes of them; later batches are recomputed.
type cachedLM struct {
	eval.LM
	budget int
	used   int
	calls  []cachedCall
	next   int
}

type cachedCall struct {
	ids    []int32
	logits []float32
}

func (c *cachedLM) Logits(dst []float32, ids []int32, B, T int) []float32 {
	i := c.next
	c.next++
	if i < len(c.calls) && slices.Equal(c.calls[i].ids, ids) {
		return append(dst[:0], c.calls[i].logits...)
	}
	dst = c.LM.Logits(dst, ids, B, T)
	if i == len(c.calls) && c.used+4*len(dst) <= c.budget {
		c.calls = append(c.calls, cachedCall{slices.Clone(ids), slices.Clone(dst)})
		c.used += 4 * len(dst)
	}
	return dst
}

// Compare loads the quantized tensors qs on b and measures them against
// ref on stream (Row.Method and Seconds are left to the caller).
func Compare(ref eval.LM, cfg model.Config, qs model.TensorSource, b kernels.Backend, stream corpus.Stream, eo eval.Options) (Row, error) {
	qm, err := model.New(cfg, b, qs)
	if err != nil {
		return Row{}, err
	}
	defer qm.Free()
	cmp, err := eval.Compare(ref, qm, stream, eo)
	if err != nil {
		return Row{}, err
	}
	params := int64(cfg.NumParams())
	bytes := WeightBytes(cfg, qs)
	return Row{
		Bytes: bytes, BPW: 8 * float64(bytes) / float64(params),
		PPL: cmp.Q.PPL, DeltaPPL: cmp.Q.PPL - cmp.P.PPL, DeltaPct: 100 * (cmp.Q.PPL - cmp.P.PPL) / cmp.P.PPL,
		KL: cmp.KL, Top1: cmp.Agreement, Types: typeCounts(cfg, qs),
	}, nil
}

func typeCounts(cfg model.Config, src model.TensorSource) map[string]int {
	c := map[string]int{}
	for _, p := range cfg.Params() {
		if t, ok := src.Lookup(p.Name); ok && len(p.Shape) >= 2 {
			c[t.DType.String()]++
		}
	}
	return c
}

// WriteTable prints the report as an aligned table.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\tbytes\tbpw\tppl\tΔppl\tΔppl %%\tKL\ttop-1\tmatrices\t\n")
	rows := append([]Row{r.Reference}, r.Rows...)
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.4f\t%+.4f\t%+.2f%%\t%.5f\t%.4f\t%s\t\n", row.Method, row.Bytes, row.BPW,
			row.PPL, row.DeltaPPL, row.DeltaPct, row.KL, row.Top1, formatTypes(row.Types))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d parameters; %d tokens scored (context %d, stride %d); KL = KL(reference || method) nats/token; top-1 = argmax agreement\n",
		r.Params, r.Eval.Tokens, r.Eval.Context, r.Eval.Stride)
	return err
}

func formatTypes(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, c[k])
	}
	return strings.Join(parts, ",")
}

// Find returns the row of the named method.
func (r *Report) Find(method string) (Row, bool) {
	i := slices.IndexFunc(r.Rows, func(x Row) bool { return x.Method == method })
	if i < 0 {
		return Row{}, false
	}
	return r.Rows[i], true
}
