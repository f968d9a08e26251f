//go:build amd64 && !purego

#include "textflag.h"
#include "panel_amd64.h"
#include "go_asm.h"

// The Q4_K panel kernel of PanelDot (panel.go, panel_amd64.go): one panel
// of 16 weight rows x 8 activation rows (or 1) per call, one 256-element
// super-block per iteration, one 32-element sub-block s at a time. As in
// panel_amd64.s, Z8..Z15 hold the sub-block's levels in 8 steps of 4
// elements, one weight row per int32 lane, and VPDPBUSD broadcasts the
// activation levels itself. The sums are llama.cpp's (ggml_vec_dot_q4_K_q8_K):
// per lane and activation row, in int32, T = sum_s sc_s*isum_s (Z18..Z25)
// and M = sum_s m_s*bsum_s (Z0..Z7), bsum_s the sub-block's activation
// level sum from the record (its two halves); at the end of the super-block out += d*d_a*T -
// dmin*d_a*M, in memory (the 32 vector registers are all taken). DI,
// R8..R13 and AX point at the 8 activation rows' records, SI walks the
// panel's super-blocks (k4PanelBytes each, see panel.go; the layout
// offsets here are panel.go's constants, through go_asm.h), CX counts
// them.

// K4PLOW(j) and K4PHIGH(j) load the levels of sub-blocks 2j and 2j+1:
// the low and the high nibbles of pair j's 8 vectors (Z31: 0x0F bytes).
#define K4PLOW(j) \
	VPANDD (512*j)(SI), Z31, Z8     \
	VPANDD (512*j+64)(SI), Z31, Z9  \
	VPANDD (512*j+128)(SI), Z31, Z10 \
	VPANDD (512*j+192)(SI), Z31, Z11 \
	VPANDD (512*j+256)(SI), Z31, Z12 \
	VPANDD (512*j+320)(SI), Z31, Z13 \
	VPANDD (512*j+384)(SI), Z31, Z14 \
	VPANDD (512*j+448)(SI), Z31, Z15

#define K4PHIGH(j) \
	VPSRLW $4, (512*j)(SI), Z8      \
	VPSRLW $4, (512*j+64)(SI), Z9   \
	VPSRLW $4, (512*j+128)(SI), Z10 \
	VPSRLW $4, (512*j+192)(SI), Z11 \
	VPSRLW $4, (512*j+256)(SI), Z12 \
	VPSRLW $4, (512*j+320)(SI), Z13 \
	VPSRLW $4, (512*j+384)(SI), Z14 \
	VPSRLW $4, (512*j+448)(SI), Z15 \
	VPANDD Z31, Z8, Z8              \
	VPANDD Z31, Z9, Z9              \
	VPANDD Z31, Z10, Z10            \
	VPANDD Z31, Z11, Z11            \
	VPANDD Z31, Z12, Z12            \
	VPANDD Z31, Z13, Z13            \
	VPANDD Z31, Z14, Z14            \
	VPANDD Z31, Z15, Z15

// K4PSCALES loads sub-block s's 6-bit scales of the 16 rows as int32
// (Z16) and their mins as int16 pairs (m, m) (Z17), which VPDPWSSD
// multiplies with the record's two half sums.
#define K4PSCALES(s) KPSCALES(s, const_k4Levels, const_k4Levels+const_kMinsOff)

// KPSCALES is K4PSCALES for panels whose scales and mins start at
// scOff and mOff (Q5_K's after its byte levels).
#define KPSCALES(s, scOff, mOff) \
	VPMOVZXBD (scOff+16*s)(SI), Z16 \
	VPMOVZXBD (mOff+16*s)(SI), Z17  \
	VPSLLD    $16, Z17, Z30         \
	VPORD     Z30, Z17, Z17

// K4PROW adds sub-block s of activation row R (record at 40s(R)) to the
// row's sums T and M (acc scratch).
#define K4PROW(R, s, acc, T, M) \
	VPXORD        acc, acc, acc                  \
	DP4(R, 40*s, Z8, Z9, Z10, Z11, acc)          \
	DP4(R, 40*s+16, Z12, Z13, Z14, Z15, acc)     \
	VPMULLD       Z16, acc, acc          \
	VPADDD        acc, T, T              \
	VPDPWSSD.BCST (40*s+36)(R), Z17, M

// K4PAHEAD(base, s) prefetches 5 of the 37 cache lines of the super-block
// at base(SI), the ones sub-block s asks for (the 8-row loop asks for the
// next super-block's lines; the one-row loop, which reads each byte once,
// for those two super-blocks ahead).
#define K4PAHEAD(base, s) \
	PREFETCHT0 (base+320*s)(SI)     \
	PREFETCHT0 (base+320*s+64)(SI)  \
	PREFETCHT0 (base+320*s+128)(SI) \
	PREFETCHT0 (base+320*s+192)(SI) \
	PREFETCHT0 (base+320*s+256)(SI)

// K4PROW8 runs K4PROW for the 8 activation rows.
#define K4PROW8(s) \
	K4PROW(DI, s, Z26, Z18, Z0)       \
	K4PROW(R8, s, Z27, Z19, Z1)       \
	K4PROW(R9, s, Z28, Z20, Z2)       \
	K4PROW(R10, s, Z29, Z21, Z3)      \
	K4PROW(R11, s, Z26, Z22, Z4)      \
	K4PROW(R12, s, Z27, Z23, Z5)      \
	K4PROW(R13, s, Z28, Z24, Z6)      \
	K4PROW(AX, s, Z29, Z25, Z7)

#define K4PROWS8(s) \
	K4PAHEAD(const_k4PanelBytes, s)                 \
	K4PROW8(s)

#define K4PROWS1(s) \
	K4PAHEAD(2*const_k4PanelBytes, s)                 \
	K4PROW(DI, s, Z26, Z18, Z0)

// K4PBLOCK does the 8 sub-blocks of a super-block for ROWS (K4PROWS8 or
// K4PROWS1).
#define K4PBLOCK(ROWS) \
	K4PLOW(0)      \
	K4PSCALES(0)   \
	ROWS(0)        \
	K4PHIGH(0)     \
	K4PSCALES(1)   \
	ROWS(1)        \
	K4PLOW(1)      \
	K4PSCALES(2)   \
	ROWS(2)        \
	K4PHIGH(1)     \
	K4PSCALES(3)   \
	ROWS(3)        \
	K4PLOW(2)      \
	K4PSCALES(4)   \
	ROWS(4)        \
	K4PHIGH(2)     \
	K4PSCALES(5)   \
	ROWS(5)        \
	K4PLOW(3)      \
	K4PSCALES(6)   \
	ROWS(6)        \
	K4PHIGH(3)     \
	K4PSCALES(7)   \
	ROWS(7)

// K4PEND closes the super-block for activation row R, sums T and M, the
// row's 16 outputs at DX (then the next row's): out += d*d_a*T -
// dmin*d_a*M, T = M = 0 (Z26, Z27: the rows' d and dmin; Z28, Z29
// scratch; BX: the out row stride in bytes).
#define K4PEND(R, T, M) \
	VCVTDQ2PS    T, T             \
	VCVTDQ2PS    M, M             \
	VMULPS.BCST  32(R), Z26, Z28  \
	VMULPS.BCST  32(R), Z27, Z29  \
	VMULPS       Z28, T, T        \
	VFNMADD231PS Z29, M, T        \
	VADDPS       (DX), T, T       \
	VMOVUPS      T, (DX)          \
	ADDQ         BX, DX           \
	VPXORD       T, T, T          \
	VPXORD       M, M, M

#define K4PDSCALES KPDSCALES(const_k4Levels+const_kDOff, const_k4Levels+const_kDminOff)

// KPDSCALES loads the 16 rows' d (from dOff) and dmin (dminOff) for
// K4PEND.
#define KPDSCALES(dOff, dminOff) \
	VCVTPH2PS dOff(SI), Z26    \
	VCVTPH2PS dminOff(SI), Z27 \
	MOVQ      out+32(FP), DX

// PANELKSETUP loads panelK4VNNI's and panelK6VNNI's arguments, clears the
// sums and, for 8 rows (else only the first), the 8 out rows; it jumps to
// one for one row.
#define PANELKSETUP(one) \
	MOVQ         w+0(FP), SI                       \
	ACTROWS8(a+8(FP), astride+16(FP))              \
	MOVQ         nb+24(FP), CX                     \
	MOVQ         ldo+40(FP), BX                    \
	SHLQ         $2, BX                            \
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)          \
	ZERO8(Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25)  \
	VPXORD       Z30, Z30, Z30                     \
	MOVQ         out+32(FP), DX                    \
	VMOVUPS      Z30, (DX)                         \
	CMPB         one+48(FP), $0                    \
	JNE          one                               \
	ADDQ         BX, DX                            \
	VMOVUPS      Z30, (DX)                         \
	ADDQ         BX, DX                            \
	VMOVUPS      Z30, (DX)                         \
	ADDQ         BX, DX                            \
	VMOVUPS      Z30, (DX)                         \
	ADDQ         BX, DX                            \
	VMOVUPS      Z30, (DX)                         \
	ADDQ         BX, DX                            \
	VMOVUPS      Z30, (DX)                         \
	ADDQ         BX, DX                            \
	VMOVUPS      Z30, (DX)                         \
	ADDQ         BX, DX                            \
	VMOVUPS      Z30, (DX)

// PENDS8 closes the super-block for the 8 activation rows with END
// (K4PEND or K6PEND): sums T in Z18..Z25, M in Z0..Z7.
#define PENDS8(END) \
	END(DI, Z18, Z0)  \
	END(R8, Z19, Z1)  \
	END(R9, Z20, Z2)  \
	END(R10, Z21, Z3) \
	END(R11, Z22, Z4) \
	END(R12, Z23, Z5) \
	END(R13, Z24, Z6) \
	END(AX, Z25, Z7)

// ADVANCE8 moves SI on by a super-block of the panel (bytes) and the 8
// activation rows' pointers by one of theirs.
#define ADVANCE8(bytes) \
	ADDQ $bytes, SI \
	ADDQ $320, DI   \
	ADDQ $320, R8   \
	ADDQ $320, R9   \
	ADDQ $320, R10  \
	ADDQ $320, R11  \
	ADDQ $320, R12  \
	ADDQ $320, R13  \
	ADDQ $320, AX

// func panelK4VNNI(w, a *byte, astride, nb int, out *float32, ldo int, one bool)
TEXT ·panelK4VNNI(SB), NOSPLIT, $0-49
	MOVL         $0x0F0F0F0F, AX
	VPBROADCASTD AX, Z31
	PANELKSETUP(k4one)

k4eight:
	K4PBLOCK(K4PROWS8)
	K4PDSCALES
	PENDS8(K4PEND)
	ADVANCE8(const_k4PanelBytes)
	DECQ CX
	JNZ  k4eight
	VZEROUPPER
	RET

k4one:
	K4PBLOCK(K4PROWS1)
	K4PDSCALES
	K4PEND(DI, Z18, Z0)
	ADDQ $const_k4PanelBytes, SI
	ADDQ $320, DI
	DECQ CX
	JNZ  k4one
	VZEROUPPER
	RET

// The Q6_K panel kernel: as panelK4VNNI, one 32-element chunk c of the
// super-block at a time, its levels stored as bytes (q+32, Z8..Z15, no
// unpacking), its two 16-element sub-blocks' int8 scales as int32 (Z16,
// Z17) and as int16 pairs (Z30). Per lane and activation row, in int32,
// T = sum_s sc_s*isum_s (Z18..Z25) and M = sum_s sc_s*bsum_s (Z0..Z7,
// VPDPWSSD with the record's two half sums); at the end of the
// super-block out += d*d_a*(T - 32*M): llama.cpp's sums for q-32.

// K6PCHUNK loads chunk c's levels and scales.
#define K6PCHUNK(c) \
	BYTELEVELS(c)                   \
	VPMOVSXBD (const_byteLevels+64*c)(SI), Z16  \
	VPMOVSXBD (const_byteLevels+64*c+16)(SI), Z17 \
	VPMOVSXBW (const_byteLevels+64*c+32)(SI), Z30

// BYTELEVELS loads 32-element chunk c's levels stored as bytes (Q6_K,
// Q5_K: 8 vectors at 512c).
#define BYTELEVELS(c) \
	VMOVDQU32 (512*c)(SI), Z8       \
	VMOVDQU32 (512*c+64)(SI), Z9    \
	VMOVDQU32 (512*c+128)(SI), Z10  \
	VMOVDQU32 (512*c+192)(SI), Z11  \
	VMOVDQU32 (512*c+256)(SI), Z12  \
	VMOVDQU32 (512*c+320)(SI), Z13  \
	VMOVDQU32 (512*c+384)(SI), Z14  \
	VMOVDQU32 (512*c+448)(SI), Z15

// K6PROW adds chunk c of activation row R to its sums T and M (a, b
// scratch).
#define K6PROW(R, c, a, b, T, M) \
	VPXORD        a, a, a                        \
	VPXORD        b, b, b                        \
	DP4(R, 40*c, Z8, Z9, Z10, Z11, a)            \
	DP4(R, 40*c+16, Z12, Z13, Z14, Z15, b)       \
	VPMULLD       Z16, a, a            \
	VPADDD        a, T, T              \
	VPMULLD       Z17, b, b            \
	VPADDD        b, T, T              \
	VPDPWSSD.BCST (40*c+36)(R), Z30, M

// K6PAHEAD(base, c) prefetches 9 of the 73 cache lines of the
// super-block at base(SI), the ones chunk c asks for.
#define K6PAHEAD(base, c) \
	PREFETCHT0 (base+576*c)(SI)     \
	PREFETCHT0 (base+576*c+64)(SI)  \
	PREFETCHT0 (base+576*c+128)(SI) \
	PREFETCHT0 (base+576*c+192)(SI) \
	PREFETCHT0 (base+576*c+256)(SI) \
	PREFETCHT0 (base+576*c+320)(SI) \
	PREFETCHT0 (base+576*c+384)(SI) \
	PREFETCHT0 (base+576*c+448)(SI) \
	PREFETCHT0 (base+576*c+512)(SI)

#define K6PROWS8(c) \
	K6PCHUNK(c)                            \
	K6PAHEAD(const_k6PanelBytes, c)                      \
	K6PROW(DI, c, Z26, Z27, Z18, Z0)       \
	K6PROW(R8, c, Z28, Z29, Z19, Z1)       \
	K6PROW(R9, c, Z26, Z27, Z20, Z2)       \
	K6PROW(R10, c, Z28, Z29, Z21, Z3)      \
	K6PROW(R11, c, Z26, Z27, Z22, Z4)      \
	K6PROW(R12, c, Z28, Z29, Z23, Z5)      \
	K6PROW(R13, c, Z26, Z27, Z24, Z6)      \
	K6PROW(AX, c, Z28, Z29, Z25, Z7)

#define K6PROWS1(c) \
	K6PCHUNK(c)                            \
	K6PAHEAD(2*const_k6PanelBytes, c)                      \
	K6PROW(DI, c, Z26, Z27, Z18, Z0)

#define K6PBLOCK(ROWS) \
	ROWS(0) \
	ROWS(1) \
	ROWS(2) \
	ROWS(3) \
	ROWS(4) \
	ROWS(5) \
	ROWS(6) \
	ROWS(7)

// K6PEND closes the super-block for activation row R (Z26: the rows' d,
// Z28 scratch, DX the row's outputs, then the next row's; BX their
// stride).
#define K6PEND(R, T, M) \
	VPSLLD      $5, M, M         \
	VPSUBD      M, T, T          \
	VCVTDQ2PS   T, T             \
	VMULPS.BCST 32(R), Z26, Z28  \
	VMULPS      Z28, T, T        \
	VADDPS      (DX), T, T       \
	VMOVUPS     T, (DX)          \
	ADDQ        BX, DX           \
	VPXORD      T, T, T          \
	VPXORD      M, M, M

// func panelK6VNNI(w, a *byte, astride, nb int, out *float32, ldo int, one bool)
TEXT ·panelK6VNNI(SB), NOSPLIT, $0-49
	PANELKSETUP(k6one)

k6eight:
	K6PBLOCK(K6PROWS8)
	VCVTPH2PS const_k6DOff(SI), Z26
	MOVQ      out+32(FP), DX
	PENDS8(K6PEND)
	ADVANCE8(const_k6PanelBytes)
	DECQ CX
	JNZ  k6eight
	VZEROUPPER
	RET

k6one:
	K6PBLOCK(K6PROWS1)
	VCVTPH2PS const_k6DOff(SI), Z26
	MOVQ      out+32(FP), DX
	K6PEND(DI, Z18, Z0)
	ADDQ $const_k6PanelBytes, SI
	ADDQ $320, DI
	DECQ CX
	JNZ  k6one
	VZEROUPPER
	RET

// The Q5_K panel kernel: panelK4VNNI's sums (Q5_K's value is Q4_K's with
// a fifth bit) on levels stored as bytes as Q6_K's are (BYTELEVELS), the
// scales, mins, d and dmin after them (panel.go), k5PanelBytes per
// super-block.
#define K5PROWS8(s) \
	BYTELEVELS(s)                     \
	KPSCALES(s, const_byteLevels, const_byteLevels+const_kMinsOff)           \
	K6PAHEAD(const_k5PanelBytes, s)                 \
	K4PROW8(s)

#define K5PROWS1(s) \
	BYTELEVELS(s)                     \
	KPSCALES(s, const_byteLevels, const_byteLevels+const_kMinsOff)           \
	K6PAHEAD(2*const_k5PanelBytes, s)                 \
	K4PROW(DI, s, Z26, Z18, Z0)

// func panelK5VNNI(w, a *byte, astride, nb int, out *float32, ldo int, one bool)
TEXT ·panelK5VNNI(SB), NOSPLIT, $0-49
	PANELKSETUP(k5one)

k5eight:
	K6PBLOCK(K5PROWS8)
	KPDSCALES(const_byteLevels+const_kDOff, const_byteLevels+const_kDminOff)
	PENDS8(K4PEND)
	ADVANCE8(const_k5PanelBytes)
	DECQ CX
	JNZ  k5eight
	VZEROUPPER
	RET

k5one:
	K6PBLOCK(K5PROWS1)
	KPDSCALES(const_byteLevels+const_kDOff, const_byteLevels+const_kDminOff)
	K4PEND(DI, Z18, Z0)
	ADDQ $const_k5PanelBytes, SI
	ADDQ $320, DI
	DECQ CX
	JNZ  k5one
	VZEROUPPER
	RET

// KREC writes record c of the block at DI: levels of x[32c:32c+32] (SI)
// times iscale (Z4), d (X5) and the sums of the two halves' levels
// (int16 each).
#define KREC(c) \
	VMULPS       (128*c)(SI), Z4, Z0  \
	VMULPS       (128*c+64)(SI), Z4, Z1 \
	VCVTPS2DQ    Z0, Z0               \
	VCVTPS2DQ    Z1, Z1               \
	VPMINSD      Z30, Z0, Z0          \
	VPMINSD      Z30, Z1, Z1          \
	VPMOVSDB     Z0, (40*c)(DI)       \
	VPMOVSDB     Z1, (40*c+16)(DI)    \
	VEXTRACTI64X4 $1, Z0, Y2          \
	VPADDD       Y2, Y0, Y2           \
	VEXTRACTI64X4 $1, Z1, Y3          \
	VPADDD       Y3, Y1, Y3           \
	VPHADDD      Y3, Y2, Y2           \
	VEXTRACTI128 $1, Y2, X3           \
	VPADDD       X3, X2, X2           \
	VPHADDD      X2, X2, X2           \
	VPACKSSDW    X2, X2, X2           \
	VMOVD        X2, (40*c+36)(DI)    \
	VMOVSS       X5, (40*c+32)(DI)

// func quantQ8KRecAVX512(x *float32, rec *byte, nblocks int) int
// The Q4_K and Q6_K panel records (actrows.go: actRecord) of nblocks
// blocks of 256 activations quantized as QuantizeAct does for those weights
// (quantize_row_q8_K): max = the element of largest magnitude, iscale =
// -127/max, levels min(127, round_half_even(iscale*x)), d = 1/iscale;
// each 32-element record gets the levels, d and its two half sums. Where +a
// and -a both reach the magnitude (which sign is max depends on which
// comes first) it stops and returns the number of blocks written before
// it; the caller does that block in Go. Otherwise it returns nblocks.
TEXT ·quantQ8KRecAVX512(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         rec+8(FP), DI
	MOVQ         nblocks+16(FP), CX
	MOVL         $127, AX
	VPBROADCASTD AX, Z30
	MOVL         $0xc2fe0000, AX // -127.0
	VMOVD        AX, X29
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X28

kq:
	VMOVUPS (SI), Z0
	VMOVUPS Z0, Z1
	VMAXPS  64(SI), Z0, Z0
	VMINPS  64(SI), Z1, Z1
	VMAXPS  128(SI), Z0, Z0
	VMINPS  128(SI), Z1, Z1
	VMAXPS  192(SI), Z0, Z0
	VMINPS  192(SI), Z1, Z1
	VMAXPS  256(SI), Z0, Z0
	VMINPS  256(SI), Z1, Z1
	VMAXPS  320(SI), Z0, Z0
	VMINPS  320(SI), Z1, Z1
	VMAXPS  384(SI), Z0, Z0
	VMINPS  384(SI), Z1, Z1
	VMAXPS  448(SI), Z0, Z0
	VMINPS  448(SI), Z1, Z1
	VMAXPS  512(SI), Z0, Z0
	VMINPS  512(SI), Z1, Z1
	VMAXPS  576(SI), Z0, Z0
	VMINPS  576(SI), Z1, Z1
	VMAXPS  640(SI), Z0, Z0
	VMINPS  640(SI), Z1, Z1
	VMAXPS  704(SI), Z0, Z0
	VMINPS  704(SI), Z1, Z1
	VMAXPS  768(SI), Z0, Z0
	VMINPS  768(SI), Z1, Z1
	VMAXPS  832(SI), Z0, Z0
	VMINPS  832(SI), Z1, Z1
	VMAXPS  896(SI), Z0, Z0
	VMINPS  896(SI), Z1, Z1
	VMAXPS  960(SI), Z0, Z0
	VMINPS  960(SI), Z1, Z1
	VEXTRACTF64X4 $1, Z0, Y2
	VMAXPS        Y2, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y3
	VMINPS        Y3, Y1, Y1
	VEXTRACTF128  $1, Y0, X2
	VMAXPS        X2, X0, X0
	VEXTRACTF128  $1, Y1, X3
	VMINPS        X3, X1, X1
	VMOVHLPS      X0, X0, X2
	VMAXPS        X2, X0, X0
	VMOVHLPS      X1, X1, X3
	VMINPS        X3, X1, X1
	VMOVSHDUP     X0, X2
	VMAXSS        X2, X0, X0 // largest element
	VMOVSHDUP     X1, X3
	VMINSS        X3, X1, X1 // smallest element
	VXORPS        X2, X2, X2
	VSUBSS        X1, X2, X3 // -smallest
	VUCOMISS      X3, X0
	JEQ           ktie       // +a and -a (or all zero)
	JA            kpos
	VMOVSS        X1, X0, X0 // max = smallest: the larger magnitude

kpos:
	VDIVSS       X0, X29, X4 // iscale = -127/max
	VDIVSS       X4, X28, X5 // d = 1/iscale
	VBROADCASTSS X4, Z4
	KREC(0)
	KREC(1)
	KREC(2)
	KREC(3)
	KREC(4)
	KREC(5)
	KREC(6)
	KREC(7)

knext:
	ADDQ $1024, SI
	ADDQ $320, DI
	DECQ CX
	JNZ  kq
	MOVQ nblocks+16(FP), AX
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

ktie:
	VUCOMISS  X2, X0
	JNE       kfail
	VPXORD    Z6, Z6, Z6 // all zero: zero levels, d and sums
	VMOVDQU32 Z6, (DI)
	VMOVDQU32 Z6, 64(DI)
	VMOVDQU32 Z6, 128(DI)
	VMOVDQU32 Z6, 192(DI)
	VMOVDQU32 Z6, 256(DI)
	JMP       knext

kfail:
	MOVQ nblocks+16(FP), AX
	SUBQ CX, AX
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET
