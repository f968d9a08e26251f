package student

import (
	"fmt"
	"github.com/distill-dev/distill/corpus"
	"math"
	"sort"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/model"
)

// InitImportance copies the chosen teacher layers while slicing the widths
// that shrink, keeping the most important parts (Minitron's width pruning).
// Importance comes from weight norms (Build) or from activations on
// calibration batches (BuildImportance):
//
//	                  weights                                   activations
//	residual chan c:  ||token_embd[:, c]||                      sum over blocks, tokens of out_l[c]^2
//	kv head g:        ||attn_k rows of g|| ||attn_v rows of g|| sum of its query heads' scores
//	query head h:     ||attn_q rows of h|| ||attn_output cols||  sum over tokens of ||att_h||^2
//	FFN channel j:    ||ffn_up[j]|| ||ffn_down[:, j]|| (||ffn_gate[j]||)  sum over tokens of hid[j]^2
//
// Query heads are chosen within the kept kv groups, so each student kv head
// keeps NHeads/NKVHeads of its own query heads. The head width must stay the
// teacher's (and query width is the model width, so fewer heads means a
// narrower residual stream). Kept indices stay in increasing order, so a
// student that shrinks nothing is the layer-subset copy.
const InitImportance = "importance"

// host is a teacher tensor in host memory.
type host struct {
	v     []float32
	shape []int
}

func (h host) row(r int) []float32 { c := h.shape[len(h.shape)-1]; return h.v[r*c : (r+1)*c] }

// rowNorm and colNorm are the L2 norms of row r and column c of a matrix.
func (h host) rowNorm(r int) float64 { return norm2(h.row(r)) }
func (h host) colNorm(c int) float64 {
	var s float64
	for r := range h.shape[0] {
		x := float64(h.row(r)[c])
		s += x * x
	}
	return math.Sqrt(s)
}

func norm2(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// topK returns the indices of the k largest scores, in increasing order.
func topK(scores []float64, k int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	idx = idx[:k]
	sort.Ints(idx)
	return idx
}

// expand turns head indices into their row indices (hd rows each).
func expand(heads []int, hd int) []int {
	var out []int
	for _, h := range heads {
		for i := range hd {
			out = append(out, h*hd+i)
		}
	}
	return out
}

// slice returns h restricted to rows (nil: all) and, for a matrix, columns
// (nil: all).
func (h host) slice(rows, cols []int) []float32 {
	if len(h.shape) == 1 {
		if rows == nil {
			return append([]float32(nil), h.v...)
		}
		out := make([]float32, len(rows))
		for i, r := range rows {
			out[i] = h.v[r]
		}
		return out
	}
	if rows == nil {
		rows = iota(h.shape[0])
	}
	if cols == nil {
		cols = iota(h.shape[1])
	}
	out := make([]float32, 0, len(rows)*len(cols))
	for _, r := range rows {
		src := h.row(r)
		for _, c := range cols {
			out = append(out, src[c])
		}
	}
	return out
}

func iota(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// importance holds the scores of InitImportance: residual channels, and per
// teacher layer query heads, kv groups and FFN channels.
type importance struct {
	ch         []float64
	q, kv, ffn [][]float64
}

// teacherHost reads a float teacher tensor to the host.
func teacherHost(b kernels.Backend, t *model.Model, name string) (host, error) {
	x := t.Param(name)
	if x == nil {
		return host{}, fmt.Errorf("student: teacher has no tensor %s", name)
	}
	if x.DType().IsQuantized() {
		return host{}, fmt.Errorf("student: teacher tensor %s is %s; distill from a float checkpoint", name, x.DType())
	}
	return host{b.ToFloat32(x, nil), x.Shape()}, nil
}

// weightImportance scores by weight norms.
func weightImportance(b kernels.Backend, t *model.Model) (*importance, error) {
	tc := t.Config
	hd := tc.HeadDim()
	emb, err := teacherHost(b, t, model.NameTokenEmbd)
	if err != nil {
		return nil, err
	}
	imp := &importance{ch: make([]float64, tc.Dim)}
	for c := range imp.ch {
		imp.ch[c] = emb.colNorm(c)
	}
	for l := range tc.NLayers {
		w := map[string]host{}
		for _, part := range []string{model.AttnQ, model.AttnK, model.AttnV, model.AttnOutput, model.FFNGate, model.FFNUp, model.FFNDown} {
			if part == model.FFNGate && !tc.Family().FFN.Gated() {
				continue
			}
			if w[part], err = teacherHost(b, t, model.LayerName(l, part, "weight")); err != nil {
				return nil, err
			}
		}
		q, k, v, o := w[model.AttnQ], w[model.AttnK], w[model.AttnV], w[model.AttnOutput]
		qs, gs := make([]float64, tc.NHeads), make([]float64, tc.NKVHeads)
		for h := range qs {
			qs[h] = math.Sqrt(headEnergy(h, hd, q.rowNorm) * headEnergy(h, hd, o.colNorm))
		}
		for g := range gs {
			gs[g] = math.Sqrt(headEnergy(g, hd, k.rowNorm) * headEnergy(g, hd, v.rowNorm))
		}
		up, down := w[model.FFNUp], w[model.FFNDown]
		fs := make([]float64, tc.HiddenDim)
		for j := range fs {
			fs[j] = up.rowNorm(j) * down.colNorm(j)
			if g, ok := w[model.FFNGate]; ok {
				fs[j] *= g.rowNorm(j)
			}
		}
		imp.q, imp.kv, imp.ffn = append(imp.q, qs), append(imp.kv, gs), append(imp.ffn, fs)
	}
	return imp, nil
}

// activationImportance scores by activation energy over batches of calib.
func activationImportance(t *model.Model, calib *corpus.Sampler, batches int) *importance {
	tc, b := t.Config, t.Backend
	hd, rep := tc.HeadDim(), tc.NHeads/tc.NKVHeads
	imp := &importance{ch: make([]float64, tc.Dim)}
	for range tc.NLayers {
		imp.q = append(imp.q, make([]float64, tc.NHeads))
		imp.kv = append(imp.kv, make([]float64, tc.NKVHeads))
		imp.ffn = append(imp.ffn, make([]float64, tc.HiddenDim))
	}
	n := calib.Batch * calib.SeqLen
	ids, targets := make([]int32, n), make([]int32, n)
	var st model.TrainState
	defer st.Free()
	var buf []float32
	// addCols adds the squared column values of a [n, width] tensor into
	// score[col / group].
	addCols := func(x kernels.Tensor, score []float64, group int) {
		buf = b.ToFloat32(x, buf)
		width := len(buf) / n
		for r := range n {
			for c, v := range buf[r*width : (r+1)*width] {
				score[c/group] += float64(v) * float64(v)
			}
		}
	}
	for range batches {
		calib.Next(ids, targets)
		t.ForwardTrain(&st, ids, calib.Batch, calib.SeqLen)
		for l := range tc.NLayers {
			addCols(st.Hidden(l), imp.ch, 1)
			addCols(st.AttentionOut(l), imp.q[l], hd)
			addCols(st.FFNHidden(l), imp.ffn[l], 1)
		}
	}
	for l := range tc.NLayers {
		for h, v := range imp.q[l] {
			imp.kv[l][h/rep] += v
		}
	}
	return imp
}

// BuildImportance is Build with InitImportance, scoring by activations on
// batches of calib (a sampler over the training data) instead of weights.
func BuildImportance(b kernels.Backend, cfg model.Config, t *model.Model, layers []int, calib *corpus.Sampler, batches int) (*model.ParamBlock, error) {
	if t == nil || calib == nil || batches < 1 {
		return nil, fmt.Errorf("student: activation importance needs the teacher and at least one calibration batch")
	}
	if err := checkImportance(cfg, t.Config, layers); err != nil {
		return nil, err
	}
	if calib.SeqLen > t.Config.MaxSeqLen {
		return nil, fmt.Errorf("student: calibration seq_len %d exceeds the teacher's %d", calib.SeqLen, t.Config.MaxSeqLen)
	}
	p, err := model.AllocParams(cfg, b, kernels.F32)
	if err != nil {
		return nil, fmt.Errorf("student: %w", err)
	}
	if err := sliceTeacher(b, p, cfg, t, layers, activationImportance(t, calib, batches)); err != nil {
		return nil, err
	}
	return p, nil
}

func checkImportance(cfg, tc model.Config, layers []int) error {
	if cfg.Arch != tc.Arch || cfg.HeadDim() != tc.HeadDim() {
		return fmt.Errorf("student: init importance keeps the teacher's architecture and head width %d (student %d)", tc.HeadDim(), cfg.HeadDim())
	}
	if cfg.Dim > tc.Dim || cfg.HiddenDim > tc.HiddenDim || cfg.NHeads > tc.NHeads || cfg.NKVHeads > tc.NKVHeads {
		return fmt.Errorf("student: init importance only shrinks widths (teacher %v, student %v)", tc, cfg)
	}
	if tc.NHeads/tc.NKVHeads < cfg.NHeads/cfg.NKVHeads {
		return fmt.Errorf("student: init importance: %d query heads per kv head exceed the teacher's %d", cfg.NHeads/cfg.NKVHeads, tc.NHeads/tc.NKVHeads)
	}
	if _, err := CheckVocab(tc.VocabSize, cfg.VocabSize, 0); err != nil {
		return err
	}
	if len(layers) != cfg.NLayers {
		return fmt.Errorf("student: %d layers chosen for a %d-layer student", len(layers), cfg.NLayers)
	}
	return nil
}

// buildImportance fills p from teacher t by weight importance.
func buildImportance(b kernels.Backend, p *model.ParamBlock, cfg model.Config, t *model.Model, layers []int) error {
	if err := checkImportance(cfg, t.Config, layers); err != nil {
		return err
	}
	imp, err := weightImportance(b, t)
	if err != nil {
		return err
	}
	return sliceTeacher(b, p, cfg, t, layers, imp)
}

// sliceTeacher copies into p the parts of t that imp ranks highest.
func sliceTeacher(b kernels.Backend, p *model.ParamBlock, cfg model.Config, t *model.Model, layers []int, imp *importance) error {
	tc := t.Config
	hd := tc.HeadDim()
	ch := topK(imp.ch, cfg.Dim)
	rep, repS := tc.NHeads/tc.NKVHeads, cfg.NHeads/cfg.NKVHeads
	// rows and columns kept of each tensor of student layer l (nil: all).
	sel := make([]map[string][2][]int, cfg.NLayers)
	for l, tl := range layers {
		groups := topK(imp.kv[tl], cfg.NKVHeads)
		var qHeads []int
		for _, g := range groups {
			for _, j := range topK(imp.q[tl][g*rep:(g+1)*rep], repS) {
				qHeads = append(qHeads, g*rep+j)
			}
		}
		qRows, kvRows := expand(qHeads, hd), expand(groups, hd)
		ffn := topK(imp.ffn[tl], cfg.HiddenDim)
		sel[l] = map[string][2][]int{
			model.AttnNorm: {ch, nil}, model.FFNNorm: {ch, nil},
			model.AttnQ: {qRows, ch}, model.AttnK: {kvRows, ch}, model.AttnV: {kvRows, ch}, model.AttnOutput: {ch, qRows},
			model.FFNGate: {ffn, ch}, model.FFNUp: {ffn, ch}, model.FFNDown: {ch, ffn},
		}
	}
	vals := make(map[string][]float32)
	for _, s := range cfg.Params() {
		name := s.Name
		rows, cols := []int(nil), ch // embeddings and classifier: [V or T, C]
		if len(s.Shape) == 1 {
			rows, cols = ch, nil
		}
		if l, rest, ok := layerOf(name); ok {
			name = model.LayerName(layers[l], rest[0], rest[1])
			rc := sel[l][rest[0]]
			rows, cols = rc[0], rc[1]
		}
		h, err := teacherHost(b, t, name)
		if err != nil {
			return err
		}
		vals[s.Name] = h.slice(rows, cols)
	}
	return p.Set(b, vals)
}

func sq(x float64) float64 { return x * x }

// headEnergy is sum over the hd rows (or columns) of head h of norm^2.
func headEnergy(h, hd int, norm func(int) float64) float64 {
	var s float64
	for i := range hd {
		s += sq(norm(h*hd + i))
	}
	return s
}
