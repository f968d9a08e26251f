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

// The lane order VPACKSSDW/VPACKSSWB leave, undone (llama.cpp's perm).
DATA q8perm<>+0(SB)/4, $0
DATA q8perm<>+4(SB)/4, $4
DATA q8perm<>+8(SB)/4, $1
DATA q8perm<>+12(SB)/4, $5
DATA q8perm<>+16(SB)/4, $2
DATA q8perm<>+20(SB)/4, $6
DATA q8perm<>+24(SB)/4, $3
DATA q8perm<>+28(SB)/4, $7
GLOBL q8perm<>(SB), RODATA|NOPTR, $32

// Q8LEVELS quantizes the block of 32 floats at SI as llama.cpp's AVX2
// quantize_row_q8_0 does: m = max|x| (X4), d = m/127 (X6, unrounded), the
// levels round_half_even(x * (127/m)) (0 when m = 0) as int32 in Y0..Y3.
// Y15: the abs mask, X14: 127.0; scaled: a label of the caller's.
#define Q8LEVELS(scaled) \
	VMOVUPS      (SI), Y0    \
	VMOVUPS      32(SI), Y1  \
	VMOVUPS      64(SI), Y2  \
	VMOVUPS      96(SI), Y3  \
	VANDPS       Y15, Y0, Y4 \
	VANDPS       Y15, Y1, Y5 \
	VMAXPS       Y5, Y4, Y4  \
	VANDPS       Y15, Y2, Y5 \
	VMAXPS       Y5, Y4, Y4  \
	VANDPS       Y15, Y3, Y5 \
	VMAXPS       Y5, Y4, Y4  \
	VEXTRACTF128 $1, Y4, X5  \
	VMAXPS       X5, X4, X4  \
	VMOVHLPS     X4, X4, X5  \
	VMAXPS       X5, X4, X4  \
	VMOVSHDUP    X4, X5      \
	VMAXSS       X5, X4, X4  \
	VDIVSS       X14, X4, X6 \
	VXORPS       X7, X7, X7  \
	VUCOMISS     X7, X4      \
	JEQ          scaled      \
	VDIVSS       X4, X14, X7 \
scaled:                      \
	VBROADCASTSS X7, Y7      \
	VMULPS       Y7, Y0, Y0  \
	VMULPS       Y7, Y1, Y1  \
	VMULPS       Y7, Y2, Y2  \
	VMULPS       Y7, Y3, Y3  \
	VROUNDPS     $0, Y0, Y0  \
	VROUNDPS     $0, Y1, Y1  \
	VROUNDPS     $0, Y2, Y2  \
	VROUNDPS     $0, Y3, Y3  \
	VCVTPS2DQ    Y0, Y0      \
	VCVTPS2DQ    Y1, Y1      \
	VCVTPS2DQ    Y2, Y2      \
	VCVTPS2DQ    Y3, Y3

// Q8STORE packs the levels in Y0..Y3 to bytes and stores them at DI
// (Y13: q8perm).
#define Q8STORE \
	VPACKSSDW Y1, Y0, Y0  \
	VPACKSSDW Y3, Y2, Y2  \
	VPACKSSWB Y2, Y0, Y0  \
	VPERMD    Y0, Y13, Y0 \
	VMOVDQU   Y0, (DI)

// Q8SETUP loads Q8LEVELS's and Q8STORE's constants.
#define Q8SETUP \
	MOVL         $0x7fffffff, AX \
	VMOVD        AX, X15         \
	VPBROADCASTD X15, Y15        \
	MOVL         $0x42fe0000, AX \
	VMOVD        AX, X14         \
	VMOVDQU      q8perm<>(SB), Y13

// func quantQ8AVX2(x *float32, q *byte, d *float32, nblocks int)
// Q8LEVELS per block of 32; d is stored unrounded (the caller rounds it
// to f16).
TEXT ·quantQ8AVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ nblocks+24(FP), CX
	Q8SETUP

qq:
	Q8LEVELS(scaled)
	VMOVSS X6, (DX)
	Q8STORE
	ADDQ   $128, SI
	ADDQ   $32, DI
	ADDQ   $4, DX
	DECQ   CX
	JNZ    qq
	VZEROUPPER
	RET

// func quantQ8RecAVX2(x *float32, rec *byte, nblocks int, off int)
// quantQ8AVX2 writing ActRows records (tile.go: actRecord bytes per
// block): the 32 levels, d rounded to f16 and widened back (as QuantizeAct
// keeps it; VCVTPS2PH rounds to nearest even like half.RoundF16), and
// off times the sum of the levels (the offset correction c).
TEXT ·quantQ8RecAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ rec+8(FP), DI
	MOVQ nblocks+16(FP), CX
	MOVQ off+24(FP), R8
	Q8SETUP

rq:
	Q8LEVELS(rscaled)
	VCVTPS2PH    $0, X6, X6
	VCVTPH2PS    X6, X6
	VMOVSS       X6, 32(DI)
	VPADDD       Y1, Y0, Y8
	VPADDD       Y3, Y2, Y9
	VPADDD       Y9, Y8, Y8
	VEXTRACTI128 $1, Y8, X9
	VPADDD       X9, X8, X8
	VPSHUFD      $0x4E, X8, X9
	VPADDD       X9, X8, X8
	VPSHUFD      $0xB1, X8, X9
	VPADDD       X9, X8, X8
	VMOVD        X8, AX
	IMULL        R8, AX
	MOVL         AX, 36(DI)
	Q8STORE
	ADDQ         $128, SI
	ADDQ         $40, DI
	DECQ         CX
	JNZ          rq
	VZEROUPPER
	RET
