//go:build amd64 && !purego

#include "textflag.h"

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

// func levelsAVX2(y *float32, q *byte, n int, d, c float32)
// For j in [0, n), n a multiple of 8: y[j] = float32(d*float32(q[j])) + c
// (q unsigned; the product rounded before the add, as the reference).
TEXT ·levelsAVX2(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), DI
	MOVQ         q+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS d+24(FP), Y10
	VBROADCASTSS c+28(FP), Y11

lloop:
	VPMOVZXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMULPS    Y10, Y0, Y0
	VADDPS    Y11, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $8, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       lloop
	VZEROUPPER
	RET
