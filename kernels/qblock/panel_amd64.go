//go:build amd64 && !purego

package qblock

import "github.com/distill-dev/distill/kernels"

// panelVNNI multiplies one panel's nb blocks (levels at w, f16 scales at
// s; q4: Q4_0, else Q8_0) by the 8 activation rows a, a+astride, ...,
// a+7astride (nb ActRows records each; only the first when one) and
// stores activation row i's 16 sums at out + i*ldo floats.
//
//go:noescape
func panelVNNI(w, s, a *byte, astride, nb int, out *float32, ldo int, q4, one bool)

// panelArch: the panel kernel needs AVX-512 VNNI (and F16C, FMA).
var panelArch = useVNNI

// panel1Below is the activation row count under which PanelDot runs rows
// one by one on the one-row loop rather than padded to a group of 8.
var panel1Below = 3

// panelK4VNNI and panelK6VNNI are panelVNNI for a Q4_K and a Q6_K panel
// of nb super-blocks at w.
//
//go:noescape
func panelK4VNNI(w, a *byte, astride, nb int, out *float32, ldo int, one bool)

//go:noescape
func panelK6VNNI(w, a *byte, astride, nb int, out *float32, ldo int, one bool)

// panelK5VNNI is panelK4VNNI for a Q5_K panel.
//
//go:noescape
func panelK5VNNI(w, a *byte, astride, nb int, out *float32, ldo int, one bool)

//go:noescape
func quantQ8KRecAVX512(x *float32, rec *byte, nblocks int) int

// quantQ8KRecArch is quantQ8KRecords in AVX-512 assembly: it returns the
// number of blocks it wrote (it stops at a block it leaves to Go).
func quantQ8KRecArch(rec []byte, x []float32) int {
	if !panelArch || len(x) == 0 {
		return 0
	}
	_ = rec[len(x)/qkK*8*actRecord-1]
	return quantQ8KRecAVX512(&x[0], &rec[0], len(x)/qkK)
}

//go:noescape
func quantQ8RecAVX2(x *float32, rec *byte, nblocks, off int)

// quantQ8RecArch is quantQ8Records in AVX2 assembly.
func quantQ8RecArch(rec []byte, x []float32, off int) bool {
	if !useRow4 || len(x) == 0 {
		return false
	}
	quantQ8RecAVX2(&x[0], &rec[0], len(x)/32, off)
	return true
}

// panelDotArch is PanelDot on panelVNNI: each panel meets every group of
// 8 activation rows while its levels are in L1 (the activations stream
// from L2); the sums of a full panel and a full group go straight to out,
// partial ones through a buffer.
func panelDotArch(p *Panels, row0, n int, ar *ActRows, out []float32, ldo int) {
	qb := panelQuantBytes(p.dt)
	q4 := p.dt == kernels.Q4_0
	astride := ar.nb * actRecord
	var t [groupRows * panelRows]float32
	kernel := func(w, s, a *byte, astride int, out *float32, ldo int, one bool) {
		switch p.dt {
		case kernels.Q4_K:
			panelK4VNNI(w, a, astride, p.nb, out, ldo, one)
		case kernels.Q5_K:
			panelK5VNNI(w, a, astride, p.nb, out, ldo, one)
		case kernels.Q6_K:
			panelK6VNNI(w, a, astride, p.nb, out, ldo, one)
		default:
			panelVNNI(w, s, a, astride, p.nb, out, ldo, q4, one)
		}
	}
	for pi := row0 / panelRows; pi*panelRows < row0+n; pi++ {
		j := pi*panelRows - row0
		cols := min(panelRows, n-j)
		pan := p.buf[pi*p.stride:]
		w, s := &pan[0], &pan[0]
		if superPanelBytes(p.dt) == 0 {
			s = &pan[p.nb*qb]
		}
		for i0 := 0; i0 < ar.m; {
			rows := min(groupRows, ar.m-i0)
			one := rows < panel1Below
			if one {
				rows = 1
			}
			a := &ar.buf[i0*astride]
			if cols == panelRows && (one || rows == groupRows) {
				kernel(w, s, a, astride, &out[i0*ldo+j], ldo, one)
				i0 += rows
				continue
			}
			kernel(w, s, a, astride, &t[0], panelRows, one)
			for i := range rows {
				copy(out[(i0+i)*ldo+j:(i0+i)*ldo+j+cols], t[i*panelRows:i*panelRows+cols])
			}
			i0 += rows
		}
	}
}
