//go:build ignore

// gen_amd64.go writes kernel_amd64.s and asm_amd64.go: the register-blocked
// micro-kernels (AVX-512 and AVX2+FMA) and the dot kernels of the m == 1
// path. Run it with go generate (see kernel_amd64.go) after editing.
//
// A micro-kernel keeps an mr x nr tile of C in vector registers (mr rows of
// nv vectors) and, for each of k steps, loads nv vectors of packed B,
// broadcasts each of the mr values of packed A and does mr*nv FMAs:
//
//	for p := 0; p < k; p++ {
//		for i := 0; i < mr; i++ {
//			for j := 0; j < nr; j++ {
//				acc[i][j] += a[p*mr+i] * b[p*nr+j]
//			}
//		}
//	}
//	C = alpha*acc + beta*C   (C not read when beta == 0)
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
)

// isa describes one vector extension.
type isa struct {
	name  string // AVX512 or AVX2
	reg   string // register prefix: Z or Y
	lanes int    // float32s per register
	regs  int    // vector registers
}

var (
	avx512 = isa{"AVX512", "Z", 16, 32}
	avx2   = isa{"AVX2", "Y", 8, 16}
)

// micro is one micro-kernel shape: mr rows of nv vectors.
type micro struct {
	isa    isa
	mr, nv int
	unroll int
	// bf16: packed A and B hold k-pairs of bfloat16 in each 32-bit lane
	// (low half the even k) and one step is one pair: VPBROADCASTD of A's
	// pair and VDPBF16PS (acc += a.lo*b.lo + a.hi*b.hi in float32).
	bf16 bool
}

func (m micro) nr() int { return m.nv * m.isa.lanes }
func (m micro) fn() string {
	name := m.isa.name
	if m.bf16 {
		name += "BF16"
	}
	return fmt.Sprintf("micro%s_%dx%d", name, m.mr, m.nr())
}

// micros are the kernels generated. Others shapes (12x32, 14x32 and 6x64
// AVX-512 were tried) reach the same in-cache speed (about 230 GFLOP/s on
// one Sapphire Rapids core) and were no faster in the full GEMM; 8x32 needs
// the fewest registers and packs A with the simplest transpose.
var micros = []micro{
	{avx512, 8, 2, 4, false},
	{avx2, 6, 2, 4, false},
	{avx512, 8, 2, 4, true},
}

var asm bytes.Buffer

// prefetchSteps is how many k steps before its end a micro-kernel
// prefetches its C tile: about a thousand cycles, time enough for lines
// from L3 or memory. Prefetched at the start of a kc = 256 loop, as
// before, the tile's lines had 2,000 cycles in which to be evicted, and
// with a power-of-two ldc all 16 lines of an 8x32 tile fall in one set of
// the 12-way L1: the later prefetch ran up to 3% faster on the shapes of
// the benchmark table, none slower beyond the +-1.5% noise (Zen 5,
// 2026-12-03, 1 and 2 threads, calls alternated with the older kernel in
// one process; 64 steps was slower, 192 alike).
const prefetchSteps = 128

func p(format string, args ...any) { fmt.Fprintf(&asm, format+"\n", args...) }

func reg(i isa, n int) string { return fmt.Sprintf("%s%d", i.reg, n) }

// vdpbf16ps writes VDPBF16PS Z<dst>, Z<src1>, Z<src2> (dst += pairwise
// bf16 dot products of src1 and src2, in float32) as the bytes of its EVEX
// encoding, EVEX.512.F3.0F38.W0 52 /r, which Go's assembler does not know.
// Checked against GNU as: vdpbf16ps zmm0, zmm16, zmm18 is 62 b2 7e 40 52 c2.
func vdpbf16ps(dst, src1, src2 int) string {
	bit := func(r, b int) int { return r >> b & 1 }
	p0 := (1-bit(dst, 3))<<7 | (1-bit(src2, 4))<<6 | (1-bit(src2, 3))<<5 | (1-bit(dst, 4))<<4 | 0b10
	p1 := (^src1&0xF)<<3 | 1<<2 | 0b10
	p2 := 0b10<<5 | (1-bit(src1, 4))<<3
	modrm := 0b11<<6 | (dst&7)<<3 | src2&7
	return fmt.Sprintf("BYTE $0x62; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x%02x; BYTE $0x52; BYTE $0x%02x // VDPBF16PS Z%d, Z%d, Z%d",
		p0, p1, p2, modrm, src2, src1, dst)
}

func genMicro(m micro) {
	i := m.isa
	vb := i.lanes * 4 // bytes per vector
	nacc := m.mr * m.nv
	if nacc+m.nv+1 > i.regs {
		log.Fatalf("%s needs %d registers", m.fn(), nacc+m.nv+1)
	}
	acc := func(r, v int) string { return reg(i, r*m.nv+v) }
	breg := func(v int) string { return reg(i, nacc+v) }
	// One or two broadcast registers, alternating, after the B registers.
	bcn := func(r int) int {
		if nacc+m.nv+1 < i.regs {
			return nacc + m.nv + r%2
		}
		return nacc + m.nv
	}
	bc := func(r int) string { return reg(i, bcn(r)) }
	step := func(u int) {
		for v := 0; v < m.nv; v++ {
			p("\tVMOVUPS %d(BX), %s", (u*m.nr()+v*i.lanes)*4, breg(v))
		}
		for r := 0; r < m.mr; r++ {
			if m.bf16 {
				p("\tVPBROADCASTD %d(SI), %s", (u*m.mr+r)*4, bc(r))
				for v := 0; v < m.nv; v++ {
					p("\t%s", vdpbf16ps(r*m.nv+v, nacc+v, bcn(r)))
				}
				continue
			}
			p("\tVBROADCASTSS %d(SI), %s", (u*m.mr+r)*4, bc(r))
			for v := 0; v < m.nv; v++ {
				p("\tVFMADD231PS %s, %s, %s", breg(v), bc(r), acc(r, v))
			}
		}
	}
	// loop runs unrolled steps while CX >= unroll (at least once).
	loop := func(label string) {
		p("%s_%s:", m.fn(), label)
		for u := 0; u < m.unroll; u++ {
			step(u)
		}
		p("\tADDQ $%d, SI", m.unroll*m.mr*4)
		p("\tADDQ $%d, BX", m.unroll*m.nr()*4)
		p("\tSUBQ $%d, CX", m.unroll)
		p("\tCMPQ CX, $%d", m.unroll)
		p("\tJGE %s_%s", m.fn(), label)
	}
	p("// func %s(k int, a, b, c *float32, ldc int, alpha, beta float32)", m.fn())
	p("TEXT ·%s(SB), NOSPLIT, $0-48", m.fn())
	p("\tMOVQ k+0(FP), CX")
	p("\tMOVQ a+8(FP), SI")
	p("\tMOVQ b+16(FP), BX")
	p("\tMOVQ c+24(FP), DI")
	p("\tMOVQ ldc+32(FP), DX")
	p("\tSHLQ $2, DX")
	for r := 0; r < m.mr; r++ {
		for v := 0; v < m.nv; v++ {
			a := acc(r, v)
			if i.reg == "Z" {
				p("\tVPXORD %s, %s, %s", a, a, a)
			} else {
				p("\tVXORPS %s, %s, %s", a, a, a)
			}
		}
	}
	// The steps before the prefetch, when there are prefetchSteps more.
	pf := prefetchSteps
	p("\tCMPQ CX, $%d", pf+m.unroll)
	p("\tJLT %s_prefetch", m.fn())
	p("\tSUBQ $%d, CX", pf)
	loop("early")
	p("\tADDQ $%d, CX", pf)
	p("%s_prefetch:", m.fn())
	// Touch the C tile now so its lines arrive while the last steps run.
	p("\tMOVQ DI, R8")
	for r := 0; r < m.mr; r++ {
		for off := 0; off < m.nr()*4; off += 64 {
			p("\tPREFETCHT0 %d(R8)", off)
		}
		if r < m.mr-1 {
			p("\tADDQ DX, R8")
		}
	}
	p("\tCMPQ CX, $%d", m.unroll)
	p("\tJLT %s_tail", m.fn())
	loop("loop")
	p("%s_tail:", m.fn())
	p("\tTESTQ CX, CX")
	p("\tJEQ %s_epilogue", m.fn())
	p("%s_tail1:", m.fn())
	step(0)
	p("\tADDQ $%d, SI", m.mr*4)
	p("\tADDQ $%d, BX", m.nr()*4)
	p("\tDECQ CX")
	p("\tJNE %s_tail1", m.fn())
	p("%s_epilogue:", m.fn())
	alpha, beta := breg(0), reg(i, nacc+m.nv-1+1)
	if m.nv > 1 {
		beta = breg(1)
	}
	p("\tVBROADCASTSS alpha+40(FP), %s", alpha)
	for r := 0; r < m.mr; r++ {
		for v := 0; v < m.nv; v++ {
			p("\tVMULPS %s, %s, %s", alpha, acc(r, v), acc(r, v))
		}
	}
	// beta == 0 (either sign): shifting out the sign leaves zero.
	p("\tMOVL beta+44(FP), AX")
	p("\tSHLL $1, AX")
	p("\tJEQ %s_store", m.fn())
	p("\tVBROADCASTSS beta+44(FP), %s", beta)
	for r := 0; r < m.mr; r++ {
		for v := 0; v < m.nv; v++ {
			p("\tVFMADD231PS %d(DI), %s, %s", v*vb, beta, acc(r, v))
			p("\tVMOVUPS %s, %d(DI)", acc(r, v), v*vb)
		}
		if r < m.mr-1 {
			p("\tADDQ DX, DI")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
	p("%s_store:", m.fn())
	for r := 0; r < m.mr; r++ {
		for v := 0; v < m.nv; v++ {
			p("\tVMOVUPS %s, %d(DI)", acc(r, v), v*vb)
		}
		if r < m.mr-1 {
			p("\tADDQ DX, DI")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// genDot4 writes dot4<ISA>(k int, x, b *float32, ldb int, out *[4]float32):
// out[r] = sum_p x[p]*b[r*ldb+p], r < 4, two vectors per row per step.
func genDot4(i isa) {
	fn := "dot4" + i.name
	vb := i.lanes * 4
	p("// func %s(k int, x, b *float32, ldb int, out *[4]float32)", fn)
	p("TEXT ·%s(SB), NOSPLIT, $0-40", fn)
	p("\tMOVQ k+0(FP), CX")
	p("\tMOVQ x+8(FP), SI")
	p("\tMOVQ b+16(FP), R8")
	p("\tMOVQ ldb+24(FP), DX")
	p("\tSHLQ $2, DX")
	p("\tLEAQ (R8)(DX*1), R9")
	p("\tLEAQ (R9)(DX*1), R10")
	p("\tLEAQ (R10)(DX*1), R11")
	rows := []string{"R8", "R9", "R10", "R11"}
	for r := 0; r < 8; r++ {
		p("\tVXORPS %s, %s, %s", reg(i, r), reg(i, r), reg(i, r))
	}
	p("\tXORQ AX, AX") // byte offset
	p("\tMOVQ CX, BX")
	p("\tANDQ $-%d, BX", 2*i.lanes)
	p("\tSHLQ $2, BX") // bytes covered by the two-vector loop
	p("\tJEQ %s_one", fn)
	p("%s_two:", fn)
	p("\tVMOVUPS (SI)(AX*1), %s", reg(i, 8))
	p("\tVMOVUPS %d(SI)(AX*1), %s", vb, reg(i, 9))
	for r, rr := range rows {
		p("\tVFMADD231PS (%s)(AX*1), %s, %s", rr, reg(i, 8), reg(i, r))
		p("\tVFMADD231PS %d(%s)(AX*1), %s, %s", vb, rr, reg(i, 9), reg(i, r+4))
	}
	p("\tADDQ $%d, AX", 2*vb)
	p("\tCMPQ AX, BX")
	p("\tJLT %s_two", fn)
	p("%s_one:", fn)
	for r := 0; r < 4; r++ {
		p("\tVADDPS %s, %s, %s", reg(i, r+4), reg(i, r), reg(i, r))
	}
	// At most one full vector is left, then fewer than lanes values.
	p("\tMOVQ CX, BX")
	p("\tANDQ $-%d, BX", i.lanes)
	p("\tSHLQ $2, BX")
	p("\tCMPQ AX, BX")
	p("\tJEQ %s_rest", fn)
	p("\tVMOVUPS (SI)(AX*1), %s", reg(i, 8))
	for r, rr := range rows {
		p("\tVFMADD231PS (%s)(AX*1), %s, %s", rr, reg(i, 8), reg(i, r))
	}
	p("\tADDQ $%d, AX", vb)
	p("%s_rest:", fn)
	p("\tANDQ $%d, CX", i.lanes-1) // values left
	if i.reg == "Z" {
		// Masked loads read only the lanes left and never fault.
		p("\tJEQ %s_reduce", fn)
		p("\tMOVL $1, BX")
		p("\tSHLL CX, BX")
		p("\tDECL BX")
		p("\tKMOVW BX, K1")
		p("\tVMOVUPS.Z (SI)(AX*1), K1, Z8")
		for r, rr := range rows {
			p("\tVMOVUPS.Z (%s)(AX*1), K1, Z9", rr)
			p("\tVFMADD231PS Z9, Z8, %s", reg(i, r))
		}
		p("%s_reduce:", fn)
		// Sum each Z register's 16 lanes into lane 0 of its X register.
		for r := 0; r < 4; r++ {
			p("\tVEXTRACTF64X4 $1, Z%d, Y8", r)
			p("\tVADDPS Y8, Y%d, Y%d", r, r)
		}
	}
	for r := 0; r < 4; r++ {
		p("\tVEXTRACTF128 $1, Y%d, X8", r)
		p("\tVADDPS X8, X%d, X%d", r, r)
		p("\tVHADDPS X%d, X%d, X%d", r, r, r)
		p("\tVHADDPS X%d, X%d, X%d", r, r, r)
	}
	if i.reg == "Y" {
		// Scalar tail: fewer than 8 values left.
		p("\tTESTQ CX, CX")
		p("\tJEQ %s_store", fn)
		p("%s_scalar:", fn)
		p("\tVMOVSS (SI)(AX*1), X8")
		for r, rr := range rows {
			p("\tVFMADD231SS (%s)(AX*1), X8, X%d", rr, r)
		}
		p("\tADDQ $4, AX")
		p("\tDECQ CX")
		p("\tJNE %s_scalar", fn)
		p("%s_store:", fn)
	}
	p("\tMOVQ out+32(FP), DI")
	for r := 0; r < 4; r++ {
		p("\tVMOVSS X%d, %d(DI)", r, 4*r)
	}
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// packTPrologue starts a packT function: it loads the arguments (CX = kc,
// DI = dst, DX = ld in bytes) and points R8, R11, R12, R13 at rows 0, 4, 8
// and 12 of src (R10 = 3 rows in bytes). It returns those base registers and
// the address of row r (r < 16) at the current k.
func packTPrologue(fn string) (bases []string, rowAddr func(r int) string) {
	p("// func %s(kc int, src *float32, ld int, dst *float32)", fn)
	p("TEXT ·%s(SB), NOSPLIT, $0-32", fn)
	p("\tMOVQ kc+0(FP), CX")
	p("\tMOVQ src+8(FP), R8")
	p("\tMOVQ ld+16(FP), DX")
	p("\tMOVQ dst+24(FP), DI")
	p("\tSHLQ $2, DX")
	p("\tLEAQ (DX)(DX*2), R10")
	p("\tLEAQ (R8)(DX*4), R11")
	p("\tLEAQ (R11)(DX*4), R12")
	p("\tLEAQ (R12)(DX*4), R13")
	bases = []string{"R8", "R11", "R12", "R13"}
	return bases, func(r int) string {
		b := bases[r/4]
		return [...]string{"(" + b + ")", "(" + b + ")(DX*1)", "(" + b + ")(DX*2)", "(" + b + ")(R10*1)"}[r%4]
	}
}

// transpose16 writes the transpose of the 16x16 block in Z0..Z15 (row r
// in Zr): store(q, reg) is called for each step q with the register that
// holds column q (16 values, one per row). It uses Z16..Z23.
func transpose16(store func(q int, reg string)) {
	// Stage 1: a[2i], a[2i+1] interleave rows 2i and 2i+1 (Z16..Z31).
	for i := 0; i < 8; i++ {
		p("\tVUNPCKLPS Z%d, Z%d, Z%d", 2*i+1, 2*i, 16+2*i)
		p("\tVUNPCKHPS Z%d, Z%d, Z%d", 2*i+1, 2*i, 16+2*i+1)
	}
	// Stage 2: b[4j+c] lane l = column 4l+c of rows 4j..4j+3 (Z0..Z15).
	for j := 0; j < 4; j++ {
		a := 16 + 4*j
		p("\tVUNPCKLPD Z%d, Z%d, Z%d", a+2, a, 4*j)
		p("\tVUNPCKHPD Z%d, Z%d, Z%d", a+2, a, 4*j+1)
		p("\tVUNPCKLPD Z%d, Z%d, Z%d", a+3, a+1, 4*j+2)
		p("\tVUNPCKHPD Z%d, Z%d, Z%d", a+3, a+1, 4*j+3)
	}
	// Stage 3: for each c, transpose the 4x4 grid of 128-bit lanes of
	// b[c], b[4+c], b[8+c], b[12+c]; output l (Z20+l) is step 4l+c.
	for c := 0; c < 4; c++ {
		x0, x1, x2, x3 := c, 4+c, 8+c, 12+c
		p("\tVSHUFF32X4 $0x44, Z%d, Z%d, Z16", x1, x0)
		p("\tVSHUFF32X4 $0xEE, Z%d, Z%d, Z17", x1, x0)
		p("\tVSHUFF32X4 $0x44, Z%d, Z%d, Z18", x3, x2)
		p("\tVSHUFF32X4 $0xEE, Z%d, Z%d, Z19", x3, x2)
		p("\tVSHUFF32X4 $0x88, Z18, Z16, Z20")
		p("\tVSHUFF32X4 $0xDD, Z18, Z16, Z21")
		p("\tVSHUFF32X4 $0x88, Z19, Z17, Z22")
		p("\tVSHUFF32X4 $0xDD, Z19, Z17, Z23")
		for l := 0; l < 4; l++ {
			store(4*l+c, fmt.Sprintf("Z%d", 20+l))
		}
	}
}

// genPackT writes packT<nr>AVX512(kc int, src *float32, ld int, dst *float32):
// dst[q*nr+r] = src[r*ld+q] for r < 16, q < kc, the transposing copy that
// packs 16 rows of a B stored [N, K] into a panel of width nr. It moves
// 16x16 blocks through registers: load 16 rows of 16 values, transpose (in
// 128-bit lanes with unpack, then across lanes with shuffles), store 16
// steps of 16 values. The last block loads with a mask and stores only the
// steps that exist.
func genPackT(nr int) {
	fn := fmt.Sprintf("packT%dAVX512", nr)
	stride := nr * 4
	bases, rowAddr := packTPrologue(fn)
	genTransposeBlocks(fn, bases, rowAddr, func(q int, reg string) {
		p("\tVMOVUPS %s, %d(DI)", reg, q*stride)
	}, []string{"DI"}, 16*stride)
}

// genPackA8 writes packA8x2AVX512(kc int, src *float32, ld int, dst *float32):
// two A panels of mr = 8 from 16 rows of a row-major A, dst[q*8+r] =
// src[r*ld+q] (rows 0-7) and dst[8*kc+q*8+r-8] = src[r*ld+q] (rows 8-15),
// q < kc. The same 16x16 transposes as genPackT; each step's low 8 values
// go to the first panel and the high 8 to the second.
func genPackA8() {
	fn := "packA8x2AVX512"
	bases, rowAddr := packTPrologue(fn)
	p("\tMOVQ CX, R9")
	p("\tSHLQ $5, R9")
	p("\tADDQ DI, R9") // second panel: dst + kc*8 floats
	genTransposeBlocks(fn, bases, rowAddr, func(q int, reg string) {
		p("\tVMOVUPS Y%s, %d(DI)", reg[1:], q*32)
		p("\tVEXTRACTF64X4 $1, %s, %d(R9)", reg, q*32)
	}, []string{"DI", "R9"}, 16*32)
}

// genTransposeBlocks writes the body of a packT function after its
// prologue: 16x16 blocks (16 rows of 16 values from the bases) transposed
// and handed to store step by step, the destination registers dsts
// advanced by step bytes per block; the last block loads with a mask and
// stores only the steps that exist.
func genTransposeBlocks(fn string, bases []string, rowAddr func(r int) string, store func(q int, reg string), dsts []string, step int) {
	p("\tCMPQ CX, $16")
	p("\tJLT %s_tail", fn)
	p("%s_loop:", fn)
	for r := 0; r < 16; r++ {
		p("\tVMOVUPS %s, Z%d", rowAddr(r), r)
	}
	transpose16(store)
	for _, b := range bases {
		p("\tADDQ $64, %s", b)
	}
	for _, d := range dsts {
		p("\tADDQ $%d, %s", step, d)
	}
	p("\tSUBQ $16, CX")
	p("\tCMPQ CX, $16")
	p("\tJGE %s_loop", fn)
	p("%s_tail:", fn)
	p("\tTESTQ CX, CX")
	p("\tJEQ %s_done", fn)
	p("\tMOVL $1, AX")
	p("\tSHLL CX, AX")
	p("\tDECL AX")
	p("\tKMOVW AX, K1")
	for r := 0; r < 16; r++ {
		p("\tVMOVUPS.Z %s, K1, Z%d", rowAddr(r), r)
	}
	// Store step q only if q < kc%16.
	transpose16(func(q int, reg string) {
		p("\tCMPQ CX, $%d", q)
		p("\tJLE %s_skip%d", fn, q)
		store(q, reg)
		p("%s_skip%d:", fn, q)
	})
	p("%s_done:", fn)
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// genCopy32 writes copy32AVX512(kc int, src *float32, ld int, dst *float32):
// dst[q*32+j] = src[q*ld+j], j < 32, q < kc, the packing of a B panel
// that is not transposed (32 contiguous values of each of kc rows).
func genCopy32() {
	fn := "copy32AVX512"
	p("// func %s(kc int, src *float32, ld int, dst *float32)", fn)
	p("TEXT ·%s(SB), NOSPLIT, $0-32", fn)
	p("\tMOVQ kc+0(FP), CX")
	p("\tMOVQ src+8(FP), SI")
	p("\tMOVQ ld+16(FP), DX")
	p("\tMOVQ dst+24(FP), DI")
	p("\tSHLQ $2, DX")
	p("\tTESTQ CX, CX")
	p("\tJEQ %s_done", fn)
	p("%s_loop:", fn)
	p("\tVMOVUPS (SI), Z0")
	p("\tVMOVUPS 64(SI), Z1")
	p("\tVMOVUPS Z0, (DI)")
	p("\tVMOVUPS Z1, 64(DI)")
	p("\tADDQ DX, SI")
	p("\tADDQ $128, DI")
	p("\tDECQ CX")
	p("\tJNE %s_loop", fn)
	p("%s_done:", fn)
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// genPackAT writes packATAVX512(kc int, src *float32, ld int, dst *float32, pairs int):
// 2*pairs A panels of mr = 8 from a transposed A (op(A)[i, q] = A[q, i]),
// dst[r*8*kc+q*8+i] = src[q*ld+r*8+i], r < 2*pairs, i < 8, q < kc: for
// each step, one row of A, 16*pairs values read in 64-byte pieces, each
// split between two panels.
func genPackAT() {
	fn := "packATAVX512"
	p("// func %s(kc int, src *float32, ld int, dst *float32, pairs int)", fn)
	p("TEXT ·%s(SB), NOSPLIT, $0-40", fn)
	p("\tMOVQ kc+0(FP), CX")
	p("\tMOVQ src+8(FP), SI")
	p("\tMOVQ ld+16(FP), DX")
	p("\tMOVQ dst+24(FP), DI")
	p("\tMOVQ pairs+32(FP), R8")
	p("\tSHLQ $2, DX")
	p("\tMOVQ CX, R9")
	p("\tSHLQ $5, R9") // panel stride in bytes: kc*8 floats
	p("\tTESTQ CX, CX")
	p("\tJEQ %s_done", fn)
	p("\tTESTQ R8, R8")
	p("\tJEQ %s_done", fn)
	p("%s_step:", fn)
	p("\tMOVQ SI, AX")
	p("\tMOVQ DI, BX")
	p("\tMOVQ R8, R10")
	p("%s_pair:", fn)
	p("\tVMOVUPS (AX), Z0")
	p("\tVMOVUPS Y0, (BX)")
	p("\tVEXTRACTF64X4 $1, Z0, (BX)(R9*1)")
	p("\tADDQ $64, AX")
	p("\tLEAQ (BX)(R9*2), BX")
	p("\tDECQ R10")
	p("\tJNE %s_pair", fn)
	p("\tADDQ DX, SI")
	p("\tADDQ $32, DI")
	p("\tDECQ CX")
	p("\tJNE %s_step", fn)
	p("%s_done:", fn)
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
}

// genPackTAVX2 writes packT16AVX2(kc int, src *float32, ld int, dst *float32),
// packT16 for panels 16 wide with AVX2: per 8 steps of k, two 8x8
// transposes (rows 0-7, then 8-15), each unpack, shuffle, then swap 128-bit
// halves. The last partial block loads through a mask (no fault past the
// rows' ends) and stores only the steps that exist.
func genPackTAVX2() {
	const fn, stride = "packT16AVX2", 16 * 4
	bases, rowAddr := packTPrologue(fn)
	// block transposes rows 8h..8h+7 (loaded by load) and stores step q
	// (Y8+q) with store.
	block := func(h int, load func(r int), store func(q, h int)) {
		for r := 0; r < 8; r++ {
			load(8*h + r)
		}
		for i := 0; i < 4; i++ {
			p("\tVUNPCKLPS Y%d, Y%d, Y%d", 2*i+1, 2*i, 8+2*i)
			p("\tVUNPCKHPS Y%d, Y%d, Y%d", 2*i+1, 2*i, 9+2*i)
		}
		for g := 0; g < 2; g++ {
			t := 8 + 4*g
			p("\tVSHUFPS $0x44, Y%d, Y%d, Y%d", t+2, t, 4*g)
			p("\tVSHUFPS $0xEE, Y%d, Y%d, Y%d", t+2, t, 4*g+1)
			p("\tVSHUFPS $0x44, Y%d, Y%d, Y%d", t+3, t+1, 4*g+2)
			p("\tVSHUFPS $0xEE, Y%d, Y%d, Y%d", t+3, t+1, 4*g+3)
		}
		for c := 0; c < 4; c++ {
			p("\tVPERM2F128 $0x20, Y%d, Y%d, Y%d", 4+c, c, 8+c)
			p("\tVPERM2F128 $0x31, Y%d, Y%d, Y%d", 4+c, c, 12+c)
		}
		for q := 0; q < 8; q++ {
			store(q, h)
		}
	}
	p("\tCMPQ CX, $8")
	p("\tJLT %s_tail", fn)
	p("%s_loop:", fn)
	for h := 0; h < 2; h++ {
		block(h, func(r int) { p("\tVMOVUPS %s, Y%d", rowAddr(r), r%8) },
			func(q, h int) { p("\tVMOVUPS Y%d, %d(DI)", 8+q, q*stride+32*h) })
	}
	for _, b := range bases {
		p("\tADDQ $32, %s", b)
	}
	p("\tADDQ $%d, DI", 8*stride)
	p("\tSUBQ $8, CX")
	p("\tCMPQ CX, $8")
	p("\tJGE %s_loop", fn)
	p("%s_tail:", fn)
	p("\tTESTQ CX, CX")
	p("\tJEQ %s_done", fn)
	p("\tLEAQ packTMask<>(SB), AX")
	p("\tMOVQ $8, BX")
	p("\tSUBQ CX, BX")
	for h := 0; h < 2; h++ {
		p("\tVMOVDQU (AX)(BX*4), Y15")
		block(h, func(r int) { p("\tVMASKMOVPS %s, Y15, Y%d", rowAddr(r), r%8) },
			func(q, h int) {
				p("\tCMPQ CX, $%d", q)
				p("\tJLE %s_skip%d_%d", fn, h, q)
				p("\tVMOVUPS Y%d, %d(DI)", 8+q, q*stride+32*h)
				p("%s_skip%d_%d:", fn, h, q)
			})
	}
	p("%s_done:", fn)
	p("\tVZEROUPPER")
	p("\tRET")
	p("")
	// packTMask: eight all-ones lanes then eight zero lanes; loading 8
	// lanes from lane 8-rem gives the mask of the first rem lanes.
	for i := 0; i < 16; i++ {
		v := "0xffffffff"
		if i >= 8 {
			v = "0"
		}
		p("DATA packTMask<>+%d(SB)/4, $%s", 4*i, v)
	}
	p("GLOBL packTMask<>(SB), RODATA|NOPTR, $64")
	p("")
}

func main() {
	p("// Code generated by gen_amd64.go; DO NOT EDIT.")
	p("")
	p("#include \"textflag.h\"")
	p("")
	var decl bytes.Buffer
	fmt.Fprintf(&decl, "// Code generated by gen_amd64.go; DO NOT EDIT.\n\npackage gemm\n\n")
	for _, m := range micros {
		genMicro(m)
		fmt.Fprintf(&decl, "//go:noescape\nfunc %s(k int, a, b, c *float32, ldc int, alpha, beta float32)\n\n", m.fn())
	}
	for _, nr := range []int{32} {
		genPackT(nr)
		fmt.Fprintf(&decl, "//go:noescape\nfunc packT%dAVX512(kc int, src *float32, ld int, dst *float32)\n\n", nr)
	}
	genPackA8()
	fmt.Fprintf(&decl, "//go:noescape\nfunc packA8x2AVX512(kc int, src *float32, ld int, dst *float32)\n\n")
	genCopy32()
	fmt.Fprintf(&decl, "//go:noescape\nfunc copy32AVX512(kc int, src *float32, ld int, dst *float32)\n\n")
	genPackAT()
	fmt.Fprintf(&decl, "//go:noescape\nfunc packATAVX512(kc int, src *float32, ld int, dst *float32, pairs int)\n\n")
	genPackTAVX2()
	fmt.Fprintf(&decl, "//go:noescape\nfunc packT16AVX2(kc int, src *float32, ld int, dst *float32)\n\n")
	for _, i := range []isa{avx512, avx2} {
		genDot4(i)
		fmt.Fprintf(&decl, "//go:noescape\nfunc dot4%s(k int, x, b *float32, ldb int, out *[4]float32)\n\n", i.name)
	}
	src, err := format.Source(decl.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("asm_amd64.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("kernel_amd64.s", asm.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
