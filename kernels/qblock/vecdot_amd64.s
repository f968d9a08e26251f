//go:build amd64 && !purego

#include "textflag.h"

// BLOCKDOT adds to Y0 one block: the 32 weight levels in Y1 (int8) times
// the 32 activation levels at DI, scaled by f16 (SI) * float32 (DX).
// Y7 holds int16 ones.
#define BLOCKDOT \
	VMOVDQU      (DI), Y2       \
	VPSIGNB      Y1, Y1, Y3     \
	VPSIGNB      Y1, Y2, Y4     \
	VPMADDUBSW   Y4, Y3, Y5     \
	VPMADDWD     Y7, Y5, Y5     \
	VCVTDQ2PS    Y5, Y5         \
	MOVWLZX      (SI), AX       \
	VMOVD        AX, X6         \
	VCVTPH2PS    X6, X6         \
	VMULSS       (DX), X6, X6   \
	VBROADCASTSS X6, Y6         \
	VFMADD231PS  Y6, Y5, Y0


// The integer dot products of IntDot for Q8_0 and Q4_0 weights against
// Q8_0 activations, llama.cpp's AVX2 way: |w| * (a * sign(w)) as unsigned
// by signed bytes (VPMADDUBSW, pairs summed to int16 without saturation:
// |w| <= 128, |a| <= 127), pairs of int16 summed to int32 (VPMADDWD), then
// converted and scaled per block by d_w * d_a (d_w widened from f16 by
// VCVTPH2PS, exact) with FMA.

// func q8q8DotAVX2(w *byte, a *byte, d *float32, nblocks int) float32
// w: nblocks Q8_0 blocks (34 bytes), a: 32*nblocks levels, d: their
// nblocks scales.
TEXT ·q8q8DotAVX2(SB), NOSPLIT, $0-36
	MOVQ     w+0(FP), SI
	MOVQ     a+8(FP), DI
	MOVQ     d+16(FP), DX
	MOVQ     nblocks+24(FP), CX
	VXORPS   Y0, Y0, Y0
	VPCMPEQW Y7, Y7, Y7
	VPSRLW   $15, Y7, Y7 // int16 ones

q8loop:
	TESTQ        CX, CX
	JZ           q8done
	VMOVDQU      2(SI), Y1
	BLOCKDOT
	ADDQ         $34, SI
	ADDQ         $32, DI
	ADDQ         $4, DX
	DECQ         CX
	JMP          q8loop

q8done:
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET

// func q4q8DotAVX2(w *byte, a *byte, d *float32, nblocks int) float32
// w: nblocks Q4_0 blocks (18 bytes: d, 16 bytes of nibbles, element j in
// the low nibble of byte j and element j+16 in its high nibble).
TEXT ·q4q8DotAVX2(SB), NOSPLIT, $0-36
	MOVQ         w+0(FP), SI
	MOVQ         a+8(FP), DI
	MOVQ         d+16(FP), DX
	MOVQ         nblocks+24(FP), CX
	VXORPS       Y0, Y0, Y0
	VPCMPEQW     Y7, Y7, Y7
	VPSRLW       $15, Y7, Y7 // int16 ones
	MOVL         $0x0F0F0F0F, AX
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8      // 0x0F bytes
	MOVL         $0x08080808, AX
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9      // 8s

q4loop:
	TESTQ        CX, CX
	JZ           q4done
	VMOVDQU      2(SI), X1
	VPSRLW       $4, X1, X2
	VINSERTI128  $1, X2, Y1, Y1
	VPAND        Y8, Y1, Y1
	VPSUBB       Y9, Y1, Y1
	BLOCKDOT
	ADDQ         $18, SI
	ADDQ         $32, DI
	ADDQ         $4, DX
	DECQ         CX
	JMP          q4loop

q4done:
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET
