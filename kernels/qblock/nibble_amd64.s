//go:build amd64 && !purego

#include "textflag.h"

// func nibblesAVX2(y *float32, q *byte, n int, c *[4]float32, off int32)
// For j in [0, n), n a multiple of 8:
//	y[j]   = float32(c[0]*float32(int32(q[j]&15)+off)) + c[1]
//	y[j+n] = float32(c[2]*float32(int32(q[j]>>4)+off)) + c[3]
// VMULPS then VADDPS, each rounded: bit-identical to the Go loops.
TEXT ·nibblesAVX2(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ c+24(FP), AX
	MOVL off+32(FP), DX

	VBROADCASTSS 0(AX), Y10 // a1
	VBROADCASTSS 4(AX), Y11 // b1
	VBROADCASTSS 8(AX), Y12 // a2
	VBROADCASTSS 12(AX), Y13 // b2
	VMOVD        DX, X14
	VPBROADCASTD X14, Y14 // off
	MOVL         $15, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15 // nibble mask

	LEAQ (DI)(CX*4), R8 // y + n

loop:
	VPMOVZXBD (SI), Y0
	VPAND     Y15, Y0, Y1
	VPSRLD    $4, Y0, Y2
	VPADDD    Y14, Y1, Y1
	VPADDD    Y14, Y2, Y2
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VMULPS    Y10, Y1, Y1
	VMULPS    Y12, Y2, Y2
	VADDPS    Y11, Y1, Y1
	VADDPS    Y13, Y2, Y2
	VMOVUPS   Y1, (DI)
	VMOVUPS   Y2, (R8)
	ADDQ      $8, SI
	ADDQ      $32, DI
	ADDQ      $32, R8
	SUBQ      $8, CX
	JNZ       loop

	VZEROUPPER
	RET

// func int8sAVX2(y *float32, q *byte, n int, d float32)
// For j in [0, n), n a multiple of 8: y[j] = float32(int8(q[j])) * d.
TEXT ·int8sAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         q+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS d+24(FP), Y10

loop32:
	CMPQ      CX, $32
	JLT       loop8
	VPMOVSXBD 0(SI), Y0
	VPMOVSXBD 8(SI), Y1
	VPMOVSXBD 16(SI), Y2
	VPMOVSXBD 24(SI), Y3
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMULPS    Y10, Y0, Y0
	VMULPS    Y10, Y1, Y1
	VMULPS    Y10, Y2, Y2
	VMULPS    Y10, Y3, Y3
	VMOVUPS   Y0, 0(DI)
	VMOVUPS   Y1, 32(DI)
	VMOVUPS   Y2, 64(DI)
	VMOVUPS   Y3, 96(DI)
	ADDQ      $32, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       loop32

loop8:
	CMPQ      CX, $8
	JLT       done
	VPMOVSXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMULPS    Y10, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $8, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       loop8

done:
	VZEROUPPER
	RET

// func dotNibblesAVX2(x *float32, q *byte, n int, out *[4]float32)
// With n a multiple of 8, stores
//	out[0] = sum_j x[j]*(q[j]&15)    out[1] = sum_j x[j]
//	out[2] = sum_j x[j+n]*(q[j]>>4)  out[3] = sum_j x[j+n]
// (FMA, summed in 8 lanes: not bit-identical to a sequential loop).
TEXT ·dotNibblesAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), AX
	LEAQ (DI)(CX*4), R8 // x + n

	MOVL         $15, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VXORPS       Y8, Y8, Y8

loop:
	VPMOVZXBD   (SI), Y0
	VPAND       Y15, Y0, Y1
	VPSRLD      $4, Y0, Y2
	VCVTDQ2PS   Y1, Y1
	VCVTDQ2PS   Y2, Y2
	VMOVUPS     (DI), Y3
	VMOVUPS     (R8), Y4
	VFMADD231PS Y3, Y1, Y5
	VADDPS      Y3, Y6, Y6
	VFMADD231PS Y4, Y2, Y7
	VADDPS      Y4, Y8, Y8
	ADDQ        $8, SI
	ADDQ        $32, DI
	ADDQ        $32, R8
	SUBQ        $8, CX
	JNZ         loop

	// Horizontal sums.
	VEXTRACTF128 $1, Y5, X0
	VADDPS       X0, X5, X5
	VHADDPS      X5, X5, X5
	VHADDPS      X5, X5, X5
	VMOVSS       X5, 0(AX)
	VEXTRACTF128 $1, Y6, X0
	VADDPS       X0, X6, X6
	VHADDPS      X6, X6, X6
	VHADDPS      X6, X6, X6
	VMOVSS       X6, 4(AX)
	VEXTRACTF128 $1, Y7, X0
	VADDPS       X0, X7, X7
	VHADDPS      X7, X7, X7
	VHADDPS      X7, X7, X7
	VMOVSS       X7, 8(AX)
	VEXTRACTF128 $1, Y8, X0
	VADDPS       X0, X8, X8
	VHADDPS      X8, X8, X8
	VHADDPS      X8, X8, X8
	VMOVSS       X8, 12(AX)
	VZEROUPPER
	RET

// func dotInt8AVX2(x *float32, q *byte, n int) float32
// sum_j x[j]*float32(int8(q[j])) for n a multiple of 16 (FMA, 16 lanes).
TEXT ·dotInt8AVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), DI
	MOVQ   q+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6

loop:
	VPMOVSXBD   0(SI), Y0
	VPMOVSXBD   8(SI), Y1
	VCVTDQ2PS   Y0, Y0
	VCVTDQ2PS   Y1, Y1
	VFMADD231PS 0(DI), Y0, Y5
	VFMADD231PS 32(DI), Y1, Y6
	ADDQ        $16, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         loop

	VADDPS       Y6, Y5, Y5
	VEXTRACTF128 $1, Y5, X0
	VADDPS       X0, X5, X5
	VHADDPS      X5, X5, X5
	VHADDPS      X5, X5, X5
	VMOVSS       X5, ret+24(FP)
	VZEROUPPER
	RET

// func int8sBy16AVX2(y *float32, q *byte, s *float32, groups int)
// For g < groups, i < 16: y[16g+i] = float32(int8(q[16g+i])) * s[g].
TEXT ·int8sBy16AVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ s+16(FP), AX
	MOVQ groups+24(FP), CX

loop:
	VBROADCASTSS (AX), Y10
	VPMOVSXBD    0(SI), Y0
	VPMOVSXBD    8(SI), Y1
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VMULPS       Y10, Y0, Y0
	VMULPS       Y10, Y1, Y1
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y1, 32(DI)
	ADDQ         $16, SI
	ADDQ         $64, DI
	ADDQ         $4, AX
	DECQ         CX
	JNZ          loop

	VZEROUPPER
	RET

// func dotInt8By16AVX2(x *float32, q *byte, s *float32, groups int) float32
// sum over g < groups of s[g] * sum_{i<16} x[16g+i]*float32(int8(q[16g+i])).
TEXT ·dotInt8By16AVX2(SB), NOSPLIT, $0-36
	MOVQ   x+0(FP), DI
	MOVQ   q+8(FP), SI
	MOVQ   s+16(FP), AX
	MOVQ   groups+24(FP), CX
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6

loop:
	VBROADCASTSS (AX), Y10
	VPMOVSXBD    0(SI), Y0
	VPMOVSXBD    8(SI), Y1
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VMULPS       0(DI), Y0, Y0
	VMULPS       32(DI), Y1, Y1
	VFMADD231PS  Y10, Y0, Y5
	VFMADD231PS  Y10, Y1, Y6
	ADDQ         $16, SI
	ADDQ         $64, DI
	ADDQ         $4, AX
	DECQ         CX
	JNZ          loop

	VADDPS       Y6, Y5, Y5
	VEXTRACTF128 $1, Y5, X0
	VADDPS       X0, X5, X5
	VHADDPS      X5, X5, X5
	VHADDPS      X5, X5, X5
	VMOVSS       X5, ret+32(FP)
	VZEROUPPER
	RET
