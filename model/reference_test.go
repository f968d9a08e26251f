package model

import (
	"math"

	"github.com/distill-dev/distill/kernels"
	"github.com/distill-dev/distill/kernels/qblock"
)

// refModel is the naive float64 Transformer every backend forward is tested
// against: llm.c-style loops over flat slices, one function per layer
// operation, no caching, nothing clever. w holds each parameter by
// canonical name, row-major with the shapes of Config.Params.
type refModel struct {
	cfg Config
	w   map[string][]float64
	// callLen, when not nil, is the total length of the forward call that
	// first saw position t of a T-token sequence (KV-cache generation);
	// nil: T, one full forward. Dynamic RoPE scaling depends on it.
	callLen func(t, T int) int
	// actQuant, when set, is the block type of the matrices whose inputs
	// the backend quantizes to 8 bits first (qblock.QuantizeAct, as
	// llama.cpp): the reference multiplies them with those activations.
	actQuant kernels.DType
}

// matVec is refMatVec after quantizing x as the backend does when actQuant
// is set.
func (r *refModel) matVec(w, x []float64, n int) []float64 {
	if r.actQuant != 0 {
		xf := make([]float32, len(x))
		for i, v := range x {
			xf[i] = float32(v)
		}
		var a qblock.Act
		qblock.QuantizeAct(&a, r.actQuant, xf)
		a.Decode(xf)
		x = make([]float64, len(x))
		for i, v := range xf {
			x[i] = float64(v)
		}
	}
	return refMatVec(w, x, n)
}

// logits returns [B*T][V] for ids [B*T] (positions 0..T-1 in each row).
func (r *refModel) logits(ids []int32, B, T int) [][]float64 {
	c := r.cfg
	C := c.Dim
	out := make([][]float64, 0, B*T)
	for b := 0; b < B; b++ {
		x := make([][]float64, T)
		for t := 0; t < T; t++ {
			x[t] = append([]float64(nil), r.w[NameTokenEmbd][int(ids[b*T+t])*C:][:C]...)
			if c.Family().Pos == Learned {
				pos := r.w[NamePosEmbd][t*C:][:C]
				for i := range x[t] {
					x[t][i] += pos[i]
				}
			}
		}
		for l := 0; l < c.NLayers; l++ {
			x = r.layer(l, x)
		}
		for t := 0; t < T; t++ {
			xn := r.norm(x[t], NameOutputNorm, NameOutputBias)
			cls := r.w[NameOutput]
			if c.TiedEmbeddings {
				cls = r.w[NameTokenEmbd]
			}
			out = append(out, r.matVec(cls, xn, c.VocabSize))
		}
	}
	return out
}

func (r *refModel) layer(l int, x [][]float64) [][]float64 {
	c := r.cfg
	T, H, KVH, hd := len(x), c.NHeads, c.NKVHeads, c.HeadDim()
	q := make([][]float64, T)
	k := make([][]float64, T)
	v := make([][]float64, T)
	for t := range x {
		xn := r.norm(x[t], LayerName(l, AttnNorm, "weight"), LayerName(l, AttnNorm, "bias"))
		q[t] = r.linear(l, AttnQ, xn)
		k[t] = r.linear(l, AttnK, xn)
		v[t] = r.linear(l, AttnV, xn)
		if c.Family().QKNorm {
			r.headNorm(q[t], hd, LayerName(l, AttnQNorm, "weight"))
			r.headNorm(k[t], hd, LayerName(l, AttnKNorm, "weight"))
		}
		if c.Family().Pos == RoPE {
			L := T
			if r.callLen != nil {
				L = r.callLen(t, T)
			}
			refRoPE(q[t], H, hd, t, float64(c.RopeTheta), r.ropeFactors(L), c.RopeStyle == 1)
			refRoPE(k[t], KVH, hd, t, float64(c.RopeTheta), r.ropeFactors(L), c.RopeStyle == 1)
		}
	}
	scale := 1 / math.Sqrt(float64(hd))
	y := make([][]float64, T)
	for t := 0; t < T; t++ {
		att := make([]float64, H*hd)
		first := 0 // the sliding window's first key
		if c.SlidingWindow > 0 {
			first = max(0, t-c.SlidingWindow+1)
		}
		for h := 0; h < H; h++ {
			kh := h / (H / KVH)
			s := make([]float64, t+1)
			maxs := math.Inf(-1)
			for u := range first {
				s[u] = math.Inf(-1)
			}
			for u := first; u <= t; u++ {
				for i := 0; i < hd; i++ {
					s[u] += q[t][h*hd+i] * k[u][kh*hd+i]
				}
				s[u] *= scale
				maxs = math.Max(maxs, s[u])
			}
			sum := 0.0
			for u := range s {
				s[u] = math.Exp(s[u] - maxs)
				sum += s[u]
			}
			for u := range s {
				for i := 0; i < hd; i++ {
					att[h*hd+i] += s[u] / sum * v[u][kh*hd+i]
				}
			}
		}
		y[t] = append([]float64(nil), x[t]...)
		refAdd(y[t], r.linear(l, AttnOutput, att))
		xn := r.norm(y[t], LayerName(l, FFNNorm, "weight"), LayerName(l, FFNNorm, "bias"))
		var hid []float64
		if c.Family().FFN == SwiGLU {
			g, u := r.linear(l, FFNGate, xn), r.linear(l, FFNUp, xn)
			hid = make([]float64, len(g))
			for i := range g {
				hid[i] = g[i] / (1 + math.Exp(-g[i])) * u[i]
			}
		} else {
			hid = r.linear(l, FFNUp, xn)
			for i, a := range hid {
				hid[i] = 0.5 * a * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(a+0.044715*a*a*a)))
			}
		}
		refAdd(y[t], r.linear(l, FFNDown, hid))
	}
	return y
}

// linear is W x (+ b) for the layer tensor part.
func (r *refModel) linear(l int, part string, x []float64) []float64 {
	w := r.w[LayerName(l, part, "weight")]
	y := r.matVec(w, x, len(w)/len(x))
	if b, ok := r.w[LayerName(l, part, "bias")]; ok {
		refAdd(y, b)
	}
	return y
}

// norm is RMSNorm (llama) or LayerNorm (gpt2) of one row.
func (r *refModel) norm(x []float64, wname, bname string) []float64 {
	w := r.w[wname]
	eps := float64(r.cfg.NormEps)
	n := float64(len(x))
	y := make([]float64, len(x))
	if r.cfg.Family().Norm == RMSNorm {
		ss := 0.0
		for _, v := range x {
			ss += v * v
		}
		rs := 1 / math.Sqrt(ss/n+eps)
		for i := range x {
			y[i] = x[i] * rs * w[i]
		}
		return y
	}
	mean, vr := 0.0, 0.0
	for _, v := range x {
		mean += v
	}
	mean /= n
	for _, v := range x {
		vr += (v - mean) * (v - mean)
	}
	rs := 1 / math.Sqrt(vr/n+eps)
	b := r.w[bname]
	for i := range x {
		y[i] = (x[i]-mean)*rs*w[i] + b[i]
	}
	return y
}

// headNorm is the per-head RMSNorm of q or k (QKNorm families), in place.
func (r *refModel) headNorm(x []float64, hd int, wname string) {
	w := r.w[wname]
	for h := 0; h < len(x)/hd; h++ {
		v := x[h*hd : (h+1)*hd]
		ss := 0.0
		for _, e := range v {
			ss += e * e
		}
		rs := 1 / math.Sqrt(ss/float64(hd)+float64(r.cfg.NormEps))
		for i := range v {
			v[i] *= rs * w[i]
		}
	}
}

// ropeFactors are the RoPE scaling divisors in float64 of a call of total
// length L, written out from HF's formulas (modeling_rope_utils) rather
// than taken from Config.RopeFreqFactors.
func (r *refModel) ropeFactors(L int) []float64 {
	c, rs := r.cfg, r.cfg.RopeScaling
	hd := c.HeadDim()
	var out []float64
	for i := 0; i < hd/2 && rs.Kind != ""; i++ {
		f := math.Pow(float64(c.RopeTheta), -2*float64(i)/float64(hd))
		d := float64(rs.Factor)
		switch rs.Kind {
		case "dynamic":
			// _compute_dynamic_ntk_parameters: seq_len is at least
			// max_position_embeddings, base grows past it.
			maxPos, factor := float64(rs.OriginalMaxSeqLen), float64(rs.Factor)
			seqLen := math.Max(float64(L), maxPos)
			base := float64(c.RopeTheta) * math.Pow(factor*seqLen/maxPos-(factor-1), float64(hd)/float64(hd-2))
			d = f / math.Pow(base, -2*float64(i)/float64(hd))
		case "llama3":
			orig, lo, hi := float64(rs.OriginalMaxSeqLen), float64(rs.LowFreqFactor), float64(rs.HighFreqFactor)
			wl := 2 * math.Pi / f
			scaled := f
			if wl > orig/lo {
				scaled = f / d
			}
			if !(wl < orig/hi) && !(wl > orig/lo) {
				sm := (orig/wl - lo) / (hi - lo)
				scaled = (1-sm)*scaled/d + sm*scaled
			}
			d = f / scaled
		}
		out = append(out, d)
	}
	return out
}

// refRoPE rotates each head of x at position pos: pairs (2i, 2i+1), or
// (i, i+hd/2) when half, by pos * theta^(-2i/hd) / factors[i] (factors
// nil: 1).
func refRoPE(x []float64, nHeads, hd, pos int, theta float64, factors []float64, half bool) {
	for h := 0; h < nHeads; h++ {
		for i := 0; i < hd/2; i++ {
			a, b := h*hd+2*i, h*hd+2*i+1
			if half {
				a, b = h*hd+i, h*hd+i+hd/2
			}
			ang := float64(pos) * math.Pow(theta, -2*float64(i)/float64(hd))
			if factors != nil {
				ang /= factors[i]
			}
			cs, sn := math.Cos(ang), math.Sin(ang)
			x[a], x[b] = x[a]*cs-x[b]*sn, x[a]*sn+x[b]*cs
		}
	}
}

// refMatVec is y = W x for W [n, len(x)].
func refMatVec(w, x []float64, n int) []float64 {
	y := make([]float64, n)
	for o := range y {
		row := w[o*len(x):][:len(x)]
		for i, v := range x {
			y[o] += row[i] * v
		}
	}
	return y
}

func refAdd(y, x []float64) {
	for i := range y {
		y[i] += x[i]
	}
}
