package kerneltest

import "math"

// Naive float64 references for every Backend op, written as plainly as
// possible (llm.c style: flat slices, explicit sizes, a shape comment on each
// argument). Backward references accumulate (+=) like the Backend ops. They
// are checked against finite differences of the forward references in
// reference_test.go, and every backend is checked against them by Run.

// RefMatMul: out[bt][M,N] = alpha * op(a[bt]) @ op(b[bt]) + beta * out[bt].
// a [bt, M, K] (or [bt, K, M] when transA), b [bt, K, N] (or [bt, N, K] when
// transB; one shared matrix when bShared), out [bt, M, N].
func RefMatMul(out, a, b []float64, bt, M, N, K int, transA, transB, bShared bool, alpha, beta float64) {
	for i := 0; i < bt; i++ {
		ai := a[i*M*K:]
		bi := b
		if !bShared {
			bi = b[i*N*K:]
		}
		oi := out[i*M*N:]
		for m := 0; m < M; m++ {
			for n := 0; n < N; n++ {
				var s float64
				for k := 0; k < K; k++ {
					av := ai[m*K+k]
					if transA {
						av = ai[k*M+m]
					}
					bv := bi[k*N+n]
					if transB {
						bv = bi[n*K+k]
					}
					s += av * bv
				}
				if beta == 0 {
					oi[m*N+n] = alpha * s
				} else {
					oi[m*N+n] = alpha*s + beta*oi[m*N+n]
				}
			}
		}
	}
}

// RefRMSNorm: out [N,C] = x [N,C] * rstd[n] * w [C]; rstd [N].
func RefRMSNorm(out, rstd, x, w []float64, N, C int, eps float64) {
	for n := 0; n < N; n++ {
		xr := x[n*C : (n+1)*C]
		var ss float64
		for _, v := range xr {
			ss += v * v
		}
		s := 1 / math.Sqrt(ss/float64(C)+eps)
		for c, v := range xr {
			out[n*C+c] = v * s * w[c]
		}
		rstd[n] = s
	}
}

// RefRMSNormBackward accumulates dx [N,C] and dw [C] given dout [N,C].
func RefRMSNormBackward(dx, dw, dout, x, w, rstd []float64, N, C int) {
	for n := 0; n < N; n++ {
		s := rstd[n]
		var gx float64 // sum_c dout*w*xhat
		for c := 0; c < C; c++ {
			gx += dout[n*C+c] * w[c] * x[n*C+c] * s
		}
		gx /= float64(C)
		for c := 0; c < C; c++ {
			xh := x[n*C+c] * s
			dx[n*C+c] += s * (dout[n*C+c]*w[c] - xh*gx)
			dw[c] += dout[n*C+c] * xh
		}
	}
}

// RefLayerNorm: out [N,C] = (x - mean[n]) * rstd[n] * w [C] + b [C] (b may be nil).
func RefLayerNorm(out, mean, rstd, x, w, b []float64, N, C int, eps float64) {
	for n := 0; n < N; n++ {
		xr := x[n*C : (n+1)*C]
		var m float64
		for _, v := range xr {
			m += v
		}
		m /= float64(C)
		var vs float64
		for _, v := range xr {
			vs += (v - m) * (v - m)
		}
		s := 1 / math.Sqrt(vs/float64(C)+eps)
		for c, v := range xr {
			out[n*C+c] = (v - m) * s * w[c]
			if b != nil {
				out[n*C+c] += b[c]
			}
		}
		mean[n], rstd[n] = m, s
	}
}

// RefLayerNormBackward accumulates dx [N,C], dw [C], db [C] (db may be nil).
func RefLayerNormBackward(dx, dw, db, dout, x, w, mean, rstd []float64, N, C int) {
	for n := 0; n < N; n++ {
		var gm, gxm float64
		for c := 0; c < C; c++ {
			g := dout[n*C+c] * w[c]
			xh := (x[n*C+c] - mean[n]) * rstd[n]
			gm += g
			gxm += g * xh
		}
		gm /= float64(C)
		gxm /= float64(C)
		for c := 0; c < C; c++ {
			g := dout[n*C+c] * w[c]
			xh := (x[n*C+c] - mean[n]) * rstd[n]
			dx[n*C+c] += rstd[n] * (g - gm - xh*gxm)
			dw[c] += dout[n*C+c] * xh
			if db != nil {
				db[c] += dout[n*C+c]
			}
		}
	}
}

// RefRoPE rotates x [B,T,H*hd] in place; row (b,t) has position pos+t and
// pair i the angle p * theta^(-2i/hd) / factors[i] (factors nil: 1).
// halfStyle pairs (i, i+hd/2), else (2i, 2i+1). inverse rotates by the
// negative angle (the backward).
func RefRoPE(x []float64, B, T, H, hd int, halfStyle bool, theta float64, factors []float64, pos int, inverse bool) {
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			p := float64(pos + t)
			for h := 0; h < H; h++ {
				v := x[((b*T+t)*H+h)*hd:]
				for i := 0; i < hd/2; i++ {
					ang := p * math.Pow(theta, -2*float64(i)/float64(hd))
					if factors != nil {
						ang /= factors[i]
					}
					if inverse {
						ang = -ang
					}
					co, si := math.Cos(ang), math.Sin(ang)
					i0, i1 := 2*i, 2*i+1
					if halfStyle {
						i0, i1 = i, i+hd/2
					}
					x0, x1 := v[i0], v[i1]
					v[i0] = x0*co - x1*si
					v[i1] = x0*si + x1*co
				}
			}
		}
	}
}

// refAttnProbs writes into p the attention probabilities of query row t of
// head h in batch entry b over keys 0..pos+t (those of the sliding window
// when window > 0, the others getting 0), and returns their count and
// the log-sum-exp of the scaled logits. Shapes as RefAttention.
func refAttnProbs(p, q, k []float64, b, t, h, T, S, H, KVH, hd, pos, window int, scale float64) (n int, lse float64) {
	kh := h / (H / KVH)
	qr := q[((b*T+t)*H+h)*hd:][:hd]
	n = pos + t + 1
	lo := 0
	if window > 0 {
		lo = max(0, n-window)
	}
	mx := math.Inf(-1)
	for j := 0; j < lo; j++ {
		p[j] = math.Inf(-1)
	}
	for j := lo; j < n; j++ {
		kr := k[((b*S+j)*KVH+kh)*hd:][:hd]
		var s float64
		for c := range qr {
			s += qr[c] * kr[c]
		}
		p[j] = s * scale
		mx = math.Max(mx, p[j])
	}
	var sum float64
	for j := 0; j < n; j++ {
		p[j] = math.Exp(p[j] - mx)
		sum += p[j]
	}
	for j := 0; j < n; j++ {
		p[j] /= sum
	}
	return n, mx + math.Log(sum)
}

// RefAttention: q [B,T,H*hd], k, v [B,S,KVH*hd], out [B,T,H*hd], lse [B,H,T].
// Query row t (position pos+t) of head h attends to keys 0..pos+t of kv head
// h/(H/KVH) (only the last window of them when window > 0), with logits
// scale*q.k.
func RefAttention(out, lse, q, k, v []float64, B, T, S, H, KVH, hd, pos, window int, scale float64) {
	p := make([]float64, pos+T)
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			kh := h / (H / KVH)
			for t := 0; t < T; t++ {
				n, l := refAttnProbs(p, q, k, b, t, h, T, S, H, KVH, hd, pos, window, scale)
				or := out[((b*T+t)*H+h)*hd:][:hd]
				for c := range or {
					or[c] = 0
				}
				for j := 0; j < n; j++ {
					vr := v[((b*S+j)*KVH+kh)*hd:][:hd]
					for c := range or {
						or[c] += p[j] * vr[c]
					}
				}
				lse[(b*H+h)*T+t] = l
			}
		}
	}
}

// RefAttentionBackward accumulates dq [B,T,H*hd], dk, dv [B,S,KVH*hd] given
// dout [B,T,H*hd], recomputing the probabilities:
//
//	dv_j += p_j dout,  dp_j = dout.v_j,  ds_j = p_j (dp_j - sum_i p_i dp_i)
//	dq += scale sum_j ds_j k_j,  dk_j += scale ds_j q
func RefAttentionBackward(dq, dk, dv, dout, q, k, v []float64, B, T, S, H, KVH, hd, pos, window int, scale float64) {
	p := make([]float64, pos+T)
	dp := make([]float64, pos+T)
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			kh := h / (H / KVH)
			for t := 0; t < T; t++ {
				qi := ((b*T+t)*H + h) * hd
				n, _ := refAttnProbs(p, q, k, b, t, h, T, S, H, KVH, hd, pos, window, scale)
				var dsum float64 // sum_j p_j dp_j
				for j := 0; j < n; j++ {
					ki := ((b*S+j)*KVH + kh) * hd
					var s float64
					for c := 0; c < hd; c++ {
						s += dout[qi+c] * v[ki+c]
						dv[ki+c] += p[j] * dout[qi+c]
					}
					dp[j] = s
					dsum += p[j] * s
				}
				for j := 0; j < n; j++ {
					ds := p[j] * (dp[j] - dsum) * scale
					ki := ((b*S+j)*KVH + kh) * hd
					for c := 0; c < hd; c++ {
						dq[qi+c] += ds * k[ki+c]
						dk[ki+c] += ds * q[qi+c]
					}
				}
			}
		}
	}
}

// RefSwiGLU: out = gate * sigmoid(gate) * up (all [N]).
func RefSwiGLU(out, gate, up []float64) {
	for i, g := range gate {
		out[i] = g / (1 + math.Exp(-g)) * up[i]
	}
}

// RefSwiGLUBackward accumulates dgate, dup [N].
func RefSwiGLUBackward(dgate, dup, dout, gate, up []float64) {
	for i, g := range gate {
		sig := 1 / (1 + math.Exp(-g))
		dup[i] += dout[i] * g * sig
		dgate[i] += dout[i] * up[i] * sig * (1 + g*(1-sig))
	}
}

// RefGELU: out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
func RefGELU(out, x []float64) {
	s := math.Sqrt(2 / math.Pi)
	for i, v := range x {
		out[i] = 0.5 * v * (1 + math.Tanh(s*(v+0.044715*v*v*v)))
	}
}

// RefGELUBackward accumulates dx [N].
func RefGELUBackward(dx, dout, x []float64) {
	s := math.Sqrt(2 / math.Pi)
	for i, v := range x {
		th := math.Tanh(s * (v + 0.044715*v*v*v))
		grad := 0.5*(1+th) + 0.5*v*(1-th*th)*s*(1+3*0.044715*v*v)
		dx[i] += grad * dout[i]
	}
}

// RefEmbedding: out [N,C] row i = table [V,C] row ids[i] + pos [P,C] row
// posStart + i%T (pos may be nil).
func RefEmbedding(out, table, pos []float64, ids []int32, C, T, posStart int) {
	for i, id := range ids {
		for c := 0; c < C; c++ {
			out[i*C+c] = table[int(id)*C+c]
			if pos != nil {
				out[i*C+c] += pos[(posStart+i%T)*C+c]
			}
		}
	}
}

// RefEmbeddingBackward accumulates dtable [V,C] and dpos [P,C] (may be nil).
func RefEmbeddingBackward(dtable, dpos, dout []float64, ids []int32, C, T, posStart int) {
	for i, id := range ids {
		for c := 0; c < C; c++ {
			dtable[int(id)*C+c] += dout[i*C+c]
			if dpos != nil {
				dpos[(posStart+i%T)*C+c] += dout[i*C+c]
			}
		}
	}
}

// refLSE is log(sum(exp(x))) of one row, computed with the maximum removed.
func refLSE(x []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// RefLogSoftmax: out [N,C] = x - logsumexp(x row).
func RefLogSoftmax(out, x []float64, N, C int) {
	for n := 0; n < N; n++ {
		l := refLSE(x[n*C : (n+1)*C])
		for c := 0; c < C; c++ {
			out[n*C+c] = x[n*C+c] - l
		}
	}
}

// RefCrossEntropy: losses [N] = logsumexp(logits row) - logits[n, target];
// 0 for targets < 0.
func RefCrossEntropy(losses, logits []float64, targets []int32, N, C int) {
	for n := 0; n < N; n++ {
		if targets[n] < 0 {
			losses[n] = 0
			continue
		}
		losses[n] = refLSE(logits[n*C:(n+1)*C]) - logits[n*C+int(targets[n])]
	}
}

// RefCrossEntropyBackward accumulates dlogits [N,C] += scale*(softmax - onehot).
func RefCrossEntropyBackward(dlogits, logits []float64, targets []int32, N, C int, scale float64) {
	for n := 0; n < N; n++ {
		if targets[n] < 0 {
			continue
		}
		l := refLSE(logits[n*C : (n+1)*C])
		for c := 0; c < C; c++ {
			d := math.Exp(logits[n*C+c] - l)
			if c == int(targets[n]) {
				d--
			}
			dlogits[n*C+c] += scale * d
		}
	}
}

// RefBiasBackward accumulates dbias [C] += column sums of dout [N,C].
func RefBiasBackward(dbias, dout []float64, N, C int) {
	for n := 0; n < N; n++ {
		for c := 0; c < C; c++ {
			dbias[c] += dout[n*C+c]
		}
	}
}
