package qblock

import "math"

// The scale searches of llama.cpp's k-quants (ggml-quants.c at commit
// 01243c587feceaa5d6a6c2305535ef2f549c48b8 of ggml-org/llama.cpp), ported
// operation for operation: the same float32 operations in the same order,
// with float32() around every product that feeds a sum so that no FMA is
// formed. Do not "simplify" the arithmetic: the encoded bytes depend on it.

// groupMaxEps is GROUP_MAX_EPS: a group whose largest magnitude is below it
// is treated as all zero.
const groupMaxEps = 1e-15

// nearestInt is llama.cpp's nearest_int: round to nearest, ties to even, by
// adding 1.5*2^23 and reading the low mantissa bits. Valid for |f| <= 2^22-1;
// outside that it returns the same garbage as the C code.
func nearestInt(f float32) int32 {
	v := f + 12582912
	return int32(math.Float32bits(v)&0x007fffff) - 0x00400000
}

func sqrtf(f float32) float32 { return float32(math.Sqrt(float64(f))) }

// makeQXQuants is make_qx_quants with rmse_type 1: symmetric quantization of
// x to L[i]-nmax in [-nmax, nmax-1], minimising sum w_i (x_i - s*l_i)^2 with
// w = qw (or x^2 when qw is nil) over 19 candidate scales. It returns s.
func makeQXQuants(nmax int, x []float32, L []int8, qw []float32) float32 {
	n := len(x)
	L = L[:n]
	max, amax := signedAbsMax(x)
	if amax < groupMaxEps {
		clear(L)
		return 0
	}
	weight := func(i int) float32 {
		if qw != nil {
			return qw[i]
		}
		return float32(x[i] * x[i])
	}
	fnmax := float32(nmax)
	clampL := func(iscale, v float32) int32 {
		return max32(int32(-nmax), min32(int32(nmax-1), nearestInt(float32(iscale*v))))
	}
	iscale := float32(-nmax) / max
	var sumlx, suml2 float32
	for i, v := range x {
		l := clampL(iscale, v)
		L[i] = int8(int32(nmax) + l)
		w := weight(i)
		fl := float32(l)
		sumlx += float32(float32(w*v) * fl)
		suml2 += float32(float32(w*fl) * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fnmax + float32(0.1*float32(is))) / max
		sumlx, suml2 = 0, 0
		for i, v := range x {
			l := clampL(iscale, v)
			w := weight(i)
			fl := float32(l)
			sumlx += float32(float32(w*v) * fl)
			suml2 += float32(float32(w*fl) * fl)
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i, v := range x {
				L[i] = int8(int32(nmax) + clampL(iscale, v))
			}
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}

// makeQKXQuants is make_qkx2_quants (safe == false) and make_qkx3_quants
// (safe == true, which guards nearest_int against huge arguments): asymmetric
// quantization x ~ scale*L + min, L in [0, nmax], min <= 0, minimising
// sum w_i (x_i - scale*L_i - min)^2 over nstep+1 candidate scales
// (rmin + rdelta*is + nmax)/(max - min), each refined by weighted least
// squares. It returns scale and -min. Laux is scratch of len(x). With mad
// the error is sum w_i |x_i - scale*L_i - min| (use_mad, Q2_K's choice).
func makeQKXQuants(nmax int, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int, safe, mad bool) (scale, negMin float32) {
	n := len(x)
	L, Laux, weights = L[:n], Laux[:n], weights[:n]
	mn, mx := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < mn {
			mn = x[i]
		}
		if x[i] > mx {
			mx = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn || (safe && mx <= mn) {
		clear(L)
		return 0, -mn
	}
	fnmax := float32(nmax)
	iscale := fnmax / (mx - mn)
	scale = 1 / iscale
	var bestErr float32
	for i, v := range x {
		l := clampU(nearestInt(float32(iscale*(v-mn))), nmax)
		L[i] = uint8(l)
		diff := float32(float32(scale*float32(l))+mn) - v
		bestErr += float32(weights[i] * errTerm(diff, mad))
	}
	if nstep < 1 {
		return scale, -mn
	}
	for is := 0; is <= nstep; is++ {
		iscale = (float32(rmin+float32(rdelta*float32(is))) + fnmax) / (mx - mn)
		var sumL, sumL2, sumXL float32
		for i, v := range x {
			var l int32
			if safe {
				if t := float32(iscale * (v - mn)); t > 0 {
					l = nearestInt(min(t, fnmax))
				}
			} else {
				l = clampU(nearestInt(float32(iscale*(v-mn))), nmax)
			}
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			wl := float32(w * fl)
			sumL += wl
			sumL2 += float32(wl * fl)
			sumXL += float32(wl * v)
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curErr float32
			for i, v := range x {
				diff := float32(float32(thisScale*float32(Laux[i]))+thisMin) - v
				curErr += float32(weights[i] * errTerm(diff, mad))
			}
			if curErr < bestErr {
				copy(L, Laux)
				bestErr = curErr
				scale = thisScale
				mn = thisMin
			}
		}
	}
	return scale, -mn
}

// errTerm is make_qkx2_quants' per-element error: |diff| with use_mad,
// else diff^2.
func errTerm(diff float32, mad bool) float32 {
	if mad {
		return abs32(diff)
	}
	return float32(diff * diff)
}

// makeQPQuants is make_qp_quants: non-negative x ~ scale*L, L in [0, nmax],
// weighted by qw, with a coordinate-descent refinement. Used to quantize the
// sub-block scales and mins of Q2_K, Q4_K and Q5_K in the
// importance-weighted encoders.
func makeQPQuants(nmax int, x []float32, L []uint8, qw []float32) float32 {
	n := len(x)
	L, qw = L[:n], qw[:n]
	var max float32
	for _, v := range x {
		max = cmax(max, v)
	}
	if max < groupMaxEps {
		clear(L)
		return 0
	}
	fnmax := float32(nmax)
	iscale := fnmax / max
	for i, v := range x {
		L[i] = uint8(nearestInt(float32(iscale * v)))
	}
	scale := 1 / iscale
	var bestMSE float32
	for i, v := range x {
		diff := v - float32(scale*float32(L[i]))
		bestMSE += float32(float32(qw[i]*diff) * diff)
	}
	for is := -4; is <= 4; is++ {
		if is == 0 {
			continue
		}
		iscaleIs := (float32(0.1*float32(is)) + fnmax) / max
		scaleIs := 1 / iscaleIs
		var mse float32
		for i, v := range x {
			l := min32(int32(nmax), nearestInt(float32(iscaleIs*v)))
			diff := v - float32(scaleIs*float32(l))
			mse += float32(float32(qw[i]*diff) * diff)
		}
		if mse < bestMSE {
			bestMSE = mse
			iscale = iscaleIs
		}
	}
	var sumlx, suml2 float32
	for i, v := range x {
		l := min32(int32(nmax), nearestInt(float32(iscale*v)))
		L[i] = uint8(l)
		w := qw[i]
		fl := float32(l)
		sumlx += float32(float32(w*v) * fl)
		suml2 += float32(float32(w*fl) * fl)
	}
	for range 5 {
		changed := 0
		for i, v := range x {
			w := qw[i]
			fL := float32(L[i])
			slx := sumlx - float32(float32(w*v)*fL)
			sl2 := suml2 - float32(float32(w*fL)*fL)
			if slx > 0 && sl2 > 0 {
				newL := min32(int32(nmax), nearestInt(float32(v*sl2)/slx))
				if newL != int32(L[i]) {
					fn := float32(newL)
					slx += float32(float32(w*v) * fn)
					sl2 += float32(float32(w*fn) * fn)
					if float32(float32(slx*slx)*suml2) > float32(float32(sumlx*sumlx)*sl2) {
						L[i] = uint8(newL)
						sumlx, suml2 = slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}

// clampU is MAX(0, MIN(nmax, l)).
func clampU(l int32, nmax int) int32 { return max32(0, min32(int32(nmax), l)) }

func min32(a, b int32) int32 {
	if a < b {
		return a
	}
	return b
}

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}
