//go:build amd64 && !purego

#include "textflag.h"

// Q6_K: the 6-bit values of each 128-element half are rebuilt with byte
// arithmetic into a 128-byte stack buffer as int8 q-32, in element order
// (layout in kquant.go), then converted 16 at a time. s holds
// d*scales[j] for the 16 sub-blocks of each block.
#define Q6K_UNPACK \
	VMOVDQU (R11), Y0      \ // ql[0:32]
	VMOVDQU 32(R11), Y1    \ // ql[32:64]
	VMOVDQU (R12), Y2      \ // qh[0:32]
	VPAND   Y15, Y0, Y3    \
	VPSLLW  $4, Y2, Y4     \
	VPAND   Y14, Y4, Y4    \
	VPOR    Y4, Y3, Y3     \
	VPSUBB  Y13, Y3, Y3    \
	VMOVDQU Y3, 0(SP)      \ // elements 0-31: low nibbles, qh bits 0-1
	VPAND   Y15, Y1, Y3    \
	VPSLLW  $2, Y2, Y4     \
	VPAND   Y14, Y4, Y4    \
	VPOR    Y4, Y3, Y3     \
	VPSUBB  Y13, Y3, Y3    \
	VMOVDQU Y3, 32(SP)     \ // 32-63: low nibbles of ql[32:], bits 2-3
	VPSRLW  $4, Y0, Y3     \
	VPAND   Y15, Y3, Y3    \
	VPAND   Y14, Y2, Y4    \
	VPOR    Y4, Y3, Y3     \
	VPSUBB  Y13, Y3, Y3    \
	VMOVDQU Y3, 64(SP)     \ // 64-95: high nibbles, bits 4-5
	VPSRLW  $4, Y1, Y3     \
	VPAND   Y15, Y3, Y3    \
	VPSRLW  $2, Y2, Y4     \
	VPAND   Y14, Y4, Y4    \
	VPOR    Y4, Y3, Y3     \
	VPSUBB  Y13, Y3, Y3    \
	VMOVDQU Y3, 96(SP)       // 96-127: high nibbles of ql[32:], bits 6-7

#define Q6K_CONSTS \
	MOVL         $0x0f0f0f0f, DX \
	VMOVD        DX, X15         \
	VPBROADCASTD X15, Y15        \
	MOVL         $0x30303030, DX \
	VMOVD        DX, X14         \
	VPBROADCASTD X14, Y14        \
	MOVL         $0x20202020, DX \
	VMOVD        DX, X13         \
	VPBROADCASTD X13, Y13


// Whole-row kernels for the 4-bit formats whose blocks are
// "d f16 [| m f16] | nibbles[g/2]" (Q4_0, Q4_1, I4S_G*, I4A_G*): one call per
// row instead of one per block. hdr is 2 (no min: value = (q+off)*d + -0) or
// 4 (value = (q+off)*d + m); half = g/2 bytes of nibbles, a multiple of 8.

// func row4DecodeAVX2(y *float32, b *byte, nblocks, half, hdr int, off int32)
// Bit-identical to nibblesGeneric per block (VCVTPH2PS is exact).
TEXT ·row4DecodeAVX2(SB), NOSPLIT, $0-44
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ half+24(FP), R10
	MOVQ hdr+32(FP), R11
	MOVL off+40(FP), DX

	VMOVD        DX, X14
	VPBROADCASTD X14, Y14 // off
	MOVL         $15, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15 // nibble mask
	MOVL         $0x80000000, DX
	VMOVD        DX, X13
	VPBROADCASTD X13, Y13 // -0.0

block:
	MOVWLZX      0(SI), DX
	VMOVD        DX, X0
	VCVTPH2PS    X0, X0
	VBROADCASTSS X0, Y10 // d
	VMOVAPS      Y13, Y11 // -0 ...
	CMPQ         R11, $4
	JNE          body
	MOVWLZX      2(SI), DX // ... or m
	VMOVD        DX, X0
	VCVTPH2PS    X0, X0
	VBROADCASTSS X0, Y11

body:
	LEAQ (SI)(R11*1), AX  // nibbles
	LEAQ (DI)(R10*4), R8  // y + half
	MOVQ R10, CX

loop:
	VPMOVZXBD (AX), Y0
	VPAND     Y15, Y0, Y1
	VPSRLD    $4, Y0, Y2
	VPADDD    Y14, Y1, Y1
	VPADDD    Y14, Y2, Y2
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VMULPS    Y10, Y1, Y1
	VMULPS    Y10, Y2, Y2
	VADDPS    Y11, Y1, Y1
	VADDPS    Y11, Y2, Y2
	VMOVUPS   Y1, (DI)
	VMOVUPS   Y2, (R8)
	ADDQ      $8, AX
	ADDQ      $32, DI
	ADDQ      $32, R8
	SUBQ      $8, CX
	JNZ       loop

	MOVQ R8, DI          // next block's output follows the high half
	ADDQ R11, SI
	ADDQ R10, SI
	DECQ R9
	JNZ  block

	VZEROUPPER
	RET

// func row4DotFMA(x *float32, b *byte, nblocks, half, hdr int, off int32) float32
// sum over blocks of d*sum_j (q_j+off)*x_j [+ m*sum_j x_j] (FMA, 8 lanes).
TEXT ·row4DotFMA(SB), NOSPLIT, $0-52
	MOVQ x+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ half+24(FP), R10
	MOVQ hdr+32(FP), R11
	MOVL off+40(FP), DX

	VMOVD        DX, X14
	VPBROADCASTD X14, Y14 // off
	MOVL         $15, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15 // nibble mask
	VXORPS       Y12, Y12, Y12 // total

block:
	LEAQ   (SI)(R11*1), AX
	LEAQ   (DI)(R10*4), R8
	MOVQ   R10, CX
	VXORPS Y5, Y5, Y5 // sum (q+off)*x
	VXORPS Y6, Y6, Y6 // sum x

loop:
	VPMOVZXBD   (AX), Y0
	VPAND       Y15, Y0, Y1
	VPSRLD      $4, Y0, Y2
	VPADDD      Y14, Y1, Y1
	VPADDD      Y14, Y2, Y2
	VCVTDQ2PS   Y1, Y1
	VCVTDQ2PS   Y2, Y2
	VMOVUPS     (DI), Y3
	VMOVUPS     (R8), Y4
	VFMADD231PS Y3, Y1, Y5
	VFMADD231PS Y4, Y2, Y5
	VADDPS      Y3, Y6, Y6
	VADDPS      Y4, Y6, Y6
	ADDQ        $8, AX
	ADDQ        $32, DI
	ADDQ        $32, R8
	SUBQ        $8, CX
	JNZ         loop

	MOVWLZX      0(SI), DX
	VMOVD        DX, X0
	VCVTPH2PS    X0, X0
	VBROADCASTSS X0, Y10
	VFMADD231PS  Y10, Y5, Y12 // total += d * sum (q+off)*x
	CMPQ         R11, $4
	JNE          next
	MOVWLZX      2(SI), DX
	VMOVD        DX, X0
	VCVTPH2PS    X0, X0
	VBROADCASTSS X0, Y11
	VFMADD231PS  Y11, Y6, Y12 // total += m * sum x

next:
	MOVQ R8, DI
	ADDQ R11, SI
	ADDQ R10, SI
	DECQ R9
	JNZ  block

	VEXTRACTF128 $1, Y12, X0
	VADDPS       X0, X12, X12
	VHADDPS      X12, X12, X12
	VHADDPS      X12, X12, X12
	VMOVSS       X12, ret+48(FP)
	VZEROUPPER
	RET

// func row8DecodeAVX2(y *float32, b *byte, nblocks int)
// Q8_0 rows (34-byte blocks "d f16 | 32 x int8"): y = float32(q) * d.
TEXT ·row8DecodeAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9

block:
	MOVWLZX      0(SI), DX
	VMOVD        DX, X0
	VCVTPH2PS    X0, X0
	VBROADCASTSS X0, Y10
	VPMOVSXBD    2(SI), Y0
	VPMOVSXBD    10(SI), Y1
	VPMOVSXBD    18(SI), Y2
	VPMOVSXBD    26(SI), Y3
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VCVTDQ2PS    Y2, Y2
	VCVTDQ2PS    Y3, Y3
	VMULPS       Y10, Y0, Y0
	VMULPS       Y10, Y1, Y1
	VMULPS       Y10, Y2, Y2
	VMULPS       Y10, Y3, Y3
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 64(DI)
	VMOVUPS      Y3, 96(DI)
	ADDQ         $34, SI
	ADDQ         $128, DI
	DECQ         R9
	JNZ          block

	VZEROUPPER
	RET

// func row8DotFMA(x *float32, b *byte, nblocks int) float32
// Q8_0: sum over blocks of d * sum_j q_j*x_j (FMA, 8 lanes).
TEXT ·row8DotFMA(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), DI
	MOVQ   b+8(FP), SI
	MOVQ   nblocks+16(FP), R9
	VXORPS Y12, Y12, Y12

block:
	VPMOVSXBD    2(SI), Y0
	VPMOVSXBD    10(SI), Y1
	VPMOVSXBD    18(SI), Y2
	VPMOVSXBD    26(SI), Y3
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VCVTDQ2PS    Y2, Y2
	VCVTDQ2PS    Y3, Y3
	VMULPS       0(DI), Y0, Y0
	VFMADD231PS  32(DI), Y1, Y0
	VMULPS       64(DI), Y2, Y2
	VFMADD231PS  96(DI), Y3, Y2
	VADDPS       Y2, Y0, Y0
	MOVWLZX      0(SI), DX
	VMOVD        DX, X4
	VCVTPH2PS    X4, X4
	VBROADCASTSS X4, Y10
	VFMADD231PS  Y10, Y0, Y12
	ADDQ         $34, SI
	ADDQ         $128, DI
	DECQ         R9
	JNZ          block

	VEXTRACTF128 $1, Y12, X0
	VADDPS       X0, X12, X12
	VHADDPS      X12, X12, X12
	VHADDPS      X12, X12, X12
	VMOVSS       X12, ret+24(FP)
	VZEROUPPER
	RET

// func q4kRowAVX2(y *float32, b *byte, nblocks int, c *float32)
// Q4_K rows: c holds, per block and per sub-block pair i, the four values
// {d*sc_2i, -(dmin*m_2i), d*sc_2i+1, -(dmin*m_2i+1)} (16 per block). For
// each pair, y[64i+l] = c0*lo + c1 and y[64i+32+l] = c2*hi + c3 over the 32
// bytes qs[32i:32i+32]: bit-identical to nibblesGeneric.
TEXT ·q4kRowAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ c+24(FP), BX

	MOVL         $15, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15

block:
	LEAQ 16(SI), AX // qs
	MOVQ $4, R10

pair:
	VBROADCASTSS 0(BX), Y10
	VBROADCASTSS 4(BX), Y11
	VBROADCASTSS 8(BX), Y12
	VBROADCASTSS 12(BX), Y13
	MOVQ         $4, CX

loop:
	VPMOVZXBD (AX), Y0
	VPAND     Y15, Y0, Y1
	VPSRLD    $4, Y0, Y2
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VMULPS    Y10, Y1, Y1
	VMULPS    Y12, Y2, Y2
	VADDPS    Y11, Y1, Y1
	VADDPS    Y13, Y2, Y2
	VMOVUPS   Y1, (DI)
	VMOVUPS   Y2, 128(DI)
	ADDQ      $8, AX
	ADDQ      $32, DI
	DECQ      CX
	JNZ       loop

	ADDQ $128, DI // skip the high half just written
	ADDQ $16, BX
	DECQ R10
	JNZ  pair

	ADDQ $144, SI
	DECQ R9
	JNZ  block

	VZEROUPPER
	RET

// func q4kDotFMA(x *float32, b *byte, nblocks int, c *float32) float32
// Q4_K dot product with c laid out as for q4kRowAVX2: sum over sub-blocks
// of c0*sum q*x + c1*sum x (FMA, 8 lanes).
TEXT ·q4kDotFMA(SB), NOSPLIT, $0-36
	MOVQ x+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ c+24(FP), BX

	MOVL         $15, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15
	VXORPS       Y14, Y14, Y14 // total

block:
	LEAQ 16(SI), AX
	MOVQ $4, R10

pair:
	VXORPS Y5, Y5, Y5 // sum lo*x
	VXORPS Y6, Y6, Y6 // sum x (lo)
	VXORPS Y7, Y7, Y7 // sum hi*x
	VXORPS Y8, Y8, Y8 // sum x (hi)
	MOVQ   $4, CX

loop:
	VPMOVZXBD   (AX), Y0
	VPAND       Y15, Y0, Y1
	VPSRLD      $4, Y0, Y2
	VCVTDQ2PS   Y1, Y1
	VCVTDQ2PS   Y2, Y2
	VMOVUPS     (DI), Y3
	VMOVUPS     128(DI), Y4
	VFMADD231PS Y3, Y1, Y5
	VADDPS      Y3, Y6, Y6
	VFMADD231PS Y4, Y2, Y7
	VADDPS      Y4, Y8, Y8
	ADDQ        $8, AX
	ADDQ        $32, DI
	DECQ        CX
	JNZ         loop

	VBROADCASTSS 0(BX), Y10
	VBROADCASTSS 4(BX), Y11
	VBROADCASTSS 8(BX), Y12
	VBROADCASTSS 12(BX), Y13
	VFMADD231PS  Y10, Y5, Y14
	VFMADD231PS  Y11, Y6, Y14
	VFMADD231PS  Y12, Y7, Y14
	VFMADD231PS  Y13, Y8, Y14
	ADDQ         $128, DI
	ADDQ         $16, BX
	DECQ         R10
	JNZ          pair

	ADDQ $144, SI
	DECQ R9
	JNZ  block

	VEXTRACTF128 $1, Y14, X0
	VADDPS       X0, X14, X14
	VHADDPS      X14, X14, X14
	VHADDPS      X14, X14, X14
	VMOVSS       X14, ret+32(FP)
	VZEROUPPER
	RET

// func q6kRowAVX2(y *float32, b *byte, nblocks int, s *float32)
// y[16g+i] = float32(q-32) * s[g]: bit-identical to decodeQ6K.
TEXT ·q6kRowAVX2(SB), NOSPLIT, $128-32
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ s+24(FP), BX
	Q6K_CONSTS

block:
	MOVQ SI, R11      // ql
	LEAQ 128(SI), R12 // qh
	MOVQ $2, R10

halfblk:
	Q6K_UNPACK
	XORQ CX, CX

group:
	VBROADCASTSS (BX), Y10
	VPMOVSXBD    0(SP)(CX*1), Y0
	VPMOVSXBD    8(SP)(CX*1), Y1
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VMULPS       Y10, Y0, Y0
	VMULPS       Y10, Y1, Y1
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y1, 32(DI)
	ADDQ         $4, BX
	ADDQ         $64, DI
	ADDQ         $16, CX
	CMPQ         CX, $128
	JLT          group

	ADDQ $64, R11
	ADDQ $32, R12
	DECQ R10
	JNZ  halfblk

	ADDQ $210, SI
	DECQ R9
	JNZ  block

	VZEROUPPER
	RET

// func q6kDotFMA(x *float32, b *byte, nblocks int, s *float32) float32
// sum over sub-blocks g of s[g] * sum_i x[16g+i]*(q-32) (FMA, 8 lanes).
TEXT ·q6kDotFMA(SB), NOSPLIT, $128-36
	MOVQ x+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ s+24(FP), BX
	Q6K_CONSTS
	VXORPS Y12, Y12, Y12

block:
	MOVQ SI, R11
	LEAQ 128(SI), R12
	MOVQ $2, R10

halfblk:
	Q6K_UNPACK
	XORQ CX, CX

group:
	VBROADCASTSS (BX), Y10
	VPMOVSXBD    0(SP)(CX*1), Y0
	VPMOVSXBD    8(SP)(CX*1), Y1
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VMULPS       0(DI), Y0, Y0
	VFMADD231PS  32(DI), Y1, Y0
	VFMADD231PS  Y10, Y0, Y12
	ADDQ         $4, BX
	ADDQ         $64, DI
	ADDQ         $16, CX
	CMPQ         CX, $128
	JLT          group

	ADDQ $64, R11
	ADDQ $32, R12
	DECQ R10
	JNZ  halfblk

	ADDQ $210, SI
	DECQ R9
	JNZ  block

	VEXTRACTF128 $1, Y12, X0
	VADDPS       X0, X12, X12
	VHADDPS      X12, X12, X12
	VHADDPS      X12, X12, X12
	VMOVSS       X12, ret+32(FP)
	VZEROUPPER
	RET

// func q5kRowAVX2(y *float32, b *byte, nblocks int, c *float32)
// Q5_K rows, c laid out as for q4kRowAVX2 (Q5_K has Q4_K's header): the
// level of y[64i+l] is the low nibble of qs[32i+l] plus 16 times bit 2i of
// qh[l], that of y[64i+32+l] the high nibble plus 16 times bit 2i+1.
TEXT ·q5kRowAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ c+24(FP), BX

	MOVL         $15, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15 // nibble mask
	MOVL         $1, DX
	VMOVD        DX, X9
	VPBROADCASTD X9, Y9   // bit mask

q5block:
	LEAQ 48(SI), AX // qs
	MOVQ $0, R12    // 2i
	MOVQ $4, R10

q5pair:
	VBROADCASTSS 0(BX), Y10
	VBROADCASTSS 4(BX), Y11
	VBROADCASTSS 8(BX), Y12
	VBROADCASTSS 12(BX), Y13
	VMOVQ        R12, X14
	LEAQ         16(SI), R13 // qh
	MOVQ         $4, CX

q5loop:
	VPMOVZXBD (AX), Y0
	VPMOVZXBD (R13), Y3
	VPSRLD    X14, Y3, Y3
	VPAND     Y9, Y3, Y4
	VPSLLD    $4, Y4, Y4
	VPSRLD    $1, Y3, Y5
	VPAND     Y9, Y5, Y5
	VPSLLD    $4, Y5, Y5
	VPAND     Y15, Y0, Y1
	VPOR      Y4, Y1, Y1
	VPSRLD    $4, Y0, Y2
	VPOR      Y5, Y2, Y2
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VMULPS    Y10, Y1, Y1
	VMULPS    Y12, Y2, Y2
	VADDPS    Y11, Y1, Y1
	VADDPS    Y13, Y2, Y2
	VMOVUPS   Y1, (DI)
	VMOVUPS   Y2, 128(DI)
	ADDQ      $8, AX
	ADDQ      $8, R13
	ADDQ      $32, DI
	DECQ      CX
	JNZ       q5loop

	ADDQ $128, DI // skip the high half just written
	ADDQ $16, BX
	ADDQ $2, R12
	DECQ R10
	JNZ  q5pair

	ADDQ $176, SI
	DECQ R9
	JNZ  q5block

	VZEROUPPER
	RET

// func q3kRowAVX2(y *float32, b *byte, nblocks int, c *float32)
// Q3_K rows: c holds d*(s_j-32) for the 16 sub-blocks of each block. The
// element 128h + 32k + l has the level ((qs[32h+l] >> 2k) & 3) +
// 4*((hmask[l] >> (4h+k)) & 1) - 4 and y = c[8h + 2k + l/16] * level:
// bit-identical to dequantize_row_q3_K.
TEXT ·q3kRowAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ c+24(FP), BX

	MOVL         $3, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15 // 2-bit mask
	MOVL         $1, DX
	VMOVD        DX, X9
	VPBROADCASTD X9, Y9   // bit mask
	MOVL         $4, DX
	VMOVD        DX, X8
	VPBROADCASTD X8, Y8   // level offset

q3block:
	LEAQ 32(SI), AX // qs of this half
	MOVQ $0, R12    // hmask shift 4h+k
	MOVQ $2, R10

q3half:
	MOVQ $0, R11 // qs shift 2k
	MOVQ $4, R14

q3group:
	VMOVQ R11, X13
	VMOVQ R12, X14
	MOVQ  AX, R13
	MOVQ  SI, DX
	MOVQ  $2, CX

q3sub:
	VBROADCASTSS (BX), Y10
	VPMOVZXBD    (R13), Y0
	VPMOVZXBD    8(R13), Y2
	VPSRLD       X13, Y0, Y0
	VPSRLD       X13, Y2, Y2
	VPAND        Y15, Y0, Y0
	VPAND        Y15, Y2, Y2
	VPMOVZXBD    (DX), Y1
	VPMOVZXBD    8(DX), Y3
	VPSRLD       X14, Y1, Y1
	VPSRLD       X14, Y3, Y3
	VPAND        Y9, Y1, Y1
	VPAND        Y9, Y3, Y3
	VPSLLD       $2, Y1, Y1
	VPSLLD       $2, Y3, Y3
	VPOR         Y1, Y0, Y0
	VPOR         Y3, Y2, Y2
	VPSUBD       Y8, Y0, Y0
	VPSUBD       Y8, Y2, Y2
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y2, Y2
	VMULPS       Y10, Y0, Y0
	VMULPS       Y10, Y2, Y2
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y2, 32(DI)
	ADDQ         $16, R13
	ADDQ         $16, DX
	ADDQ         $64, DI
	ADDQ         $4, BX
	DECQ         CX
	JNZ          q3sub

	ADDQ $2, R11
	INCQ R12
	DECQ R14
	JNZ  q3group

	ADDQ $32, AX
	DECQ R10
	JNZ  q3half

	ADDQ $110, SI
	DECQ R9
	JNZ  q3block

	VZEROUPPER
	RET

// func q2kRowAVX2(y *float32, b *byte, nblocks int, c *float32)
// Q2_K rows: c holds {d*sc_j, -(dmin*m_j)} for the 16 sub-blocks of each
// block (32 per block). The element 128h + 32k + l has the level
// (qs[32h+l] >> 2k) & 3 and y = c0*level + c1 of sub-block 8h + 2k + l/16:
// bit-identical to dequantize_row_q2_K.
TEXT ·q2kRowAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ c+24(FP), BX

	MOVL         $3, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15 // 2-bit mask

q2block:
	LEAQ 16(SI), AX // qs of this half
	MOVQ $2, R10

q2half:
	MOVQ $0, R11 // qs shift 2k
	MOVQ $4, R14

q2group:
	VMOVQ R11, X13
	MOVQ  AX, R13
	MOVQ  $2, CX

q2sub:
	VBROADCASTSS (BX), Y10
	VBROADCASTSS 4(BX), Y11
	VPMOVZXBD    (R13), Y0
	VPMOVZXBD    8(R13), Y2
	VPSRLD       X13, Y0, Y0
	VPSRLD       X13, Y2, Y2
	VPAND        Y15, Y0, Y0
	VPAND        Y15, Y2, Y2
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y2, Y2
	VMULPS       Y10, Y0, Y0
	VMULPS       Y10, Y2, Y2
	VADDPS       Y11, Y0, Y0
	VADDPS       Y11, Y2, Y2
	VMOVUPS      Y0, (DI)
	VMOVUPS      Y2, 32(DI)
	ADDQ         $16, R13
	ADDQ         $64, DI
	ADDQ         $8, BX
	DECQ         CX
	JNZ          q2sub

	ADDQ $2, R11
	DECQ R14
	JNZ  q2group

	ADDQ $32, AX
	DECQ R10
	JNZ  q2half

	ADDQ $84, SI
	DECQ R9
	JNZ  q2block

	VZEROUPPER
	RET

// The bit index of each element's 5th bit in a Q5_0/Q5_1 qh word:
// elements 0-7, 8-15 (low nibbles) and 16-23, 24-31 (high nibbles).
DATA q5bits<>+0(SB)/4, $0
DATA q5bits<>+4(SB)/4, $1
DATA q5bits<>+8(SB)/4, $2
DATA q5bits<>+12(SB)/4, $3
DATA q5bits<>+16(SB)/4, $4
DATA q5bits<>+20(SB)/4, $5
DATA q5bits<>+24(SB)/4, $6
DATA q5bits<>+28(SB)/4, $7
DATA q5bits<>+32(SB)/4, $8
DATA q5bits<>+36(SB)/4, $9
DATA q5bits<>+40(SB)/4, $10
DATA q5bits<>+44(SB)/4, $11
DATA q5bits<>+48(SB)/4, $12
DATA q5bits<>+52(SB)/4, $13
DATA q5bits<>+56(SB)/4, $14
DATA q5bits<>+60(SB)/4, $15
DATA q5bits<>+64(SB)/4, $16
DATA q5bits<>+68(SB)/4, $17
DATA q5bits<>+72(SB)/4, $18
DATA q5bits<>+76(SB)/4, $19
DATA q5bits<>+80(SB)/4, $20
DATA q5bits<>+84(SB)/4, $21
DATA q5bits<>+88(SB)/4, $22
DATA q5bits<>+92(SB)/4, $23
DATA q5bits<>+96(SB)/4, $24
DATA q5bits<>+100(SB)/4, $25
DATA q5bits<>+104(SB)/4, $26
DATA q5bits<>+108(SB)/4, $27
DATA q5bits<>+112(SB)/4, $28
DATA q5bits<>+116(SB)/4, $29
DATA q5bits<>+120(SB)/4, $30
DATA q5bits<>+124(SB)/4, $31
GLOBL q5bits<>(SB), RODATA|NOPTR, $128

// func row5DecodeAVX2(y *float32, b *byte, nblocks, hdr int, off int32)
// Q5_0 (hdr 2, off -16) and Q5_1 (hdr 4, off 0) rows: the level of
// element j is its nibble plus 16 times bit j of qh, and y = d*(level+off)
// + c with c = -0 (Q5_0) or m (Q5_1): bit-identical to dequantize_row_q5_*.
TEXT ·row5DecodeAVX2(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ nblocks+16(FP), R9
	MOVQ hdr+24(FP), R11
	MOVL off+32(FP), DX

	VMOVD        DX, X14
	VPBROADCASTD X14, Y14 // off
	MOVL         $15, DX
	VMOVD        DX, X15
	VPBROADCASTD X15, Y15 // nibble mask
	MOVL         $1, DX
	VMOVD        DX, X12
	VPBROADCASTD X12, Y12 // bit mask
	MOVL         $0x80000000, DX
	VMOVD        DX, X13
	VPBROADCASTD X13, Y13 // -0.0
	VMOVDQU      q5bits<>+0(SB), Y4
	VMOVDQU      q5bits<>+32(SB), Y5
	VMOVDQU      q5bits<>+64(SB), Y6
	VMOVDQU      q5bits<>+96(SB), Y7

block5:
	MOVWLZX      0(SI), DX
	VMOVD        DX, X0
	VCVTPH2PS    X0, X0
	VBROADCASTSS X0, Y10 // d
	VMOVAPS      Y13, Y11 // -0 ...
	CMPQ         R11, $4
	JNE          body5
	MOVWLZX      2(SI), DX // ... or m
	VMOVD        DX, X0
	VCVTPH2PS    X0, X0
	VBROADCASTSS X0, Y11

body5:
	VPBROADCASTD (SI)(R11*1), Y3 // qh
	LEAQ         4(SI)(R11*1), AX // qs

	VPMOVZXBD (AX), Y0 // elements 0-7 and 16-23
	VPSRLVD   Y4, Y3, Y8
	VPSRLVD   Y6, Y3, Y9
	VPAND     Y12, Y8, Y8
	VPAND     Y12, Y9, Y9
	VPSLLD    $4, Y8, Y8
	VPSLLD    $4, Y9, Y9
	VPAND     Y15, Y0, Y1
	VPSRLD    $4, Y0, Y2
	VPOR      Y8, Y1, Y1
	VPOR      Y9, Y2, Y2
	VPADDD    Y14, Y1, Y1
	VPADDD    Y14, Y2, Y2
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VMULPS    Y10, Y1, Y1
	VMULPS    Y10, Y2, Y2
	VADDPS    Y11, Y1, Y1
	VADDPS    Y11, Y2, Y2
	VMOVUPS   Y1, (DI)
	VMOVUPS   Y2, 64(DI)

	VPMOVZXBD 8(AX), Y0 // elements 8-15 and 24-31
	VPSRLVD   Y5, Y3, Y8
	VPSRLVD   Y7, Y3, Y9
	VPAND     Y12, Y8, Y8
	VPAND     Y12, Y9, Y9
	VPSLLD    $4, Y8, Y8
	VPSLLD    $4, Y9, Y9
	VPAND     Y15, Y0, Y1
	VPSRLD    $4, Y0, Y2
	VPOR      Y8, Y1, Y1
	VPOR      Y9, Y2, Y2
	VPADDD    Y14, Y1, Y1
	VPADDD    Y14, Y2, Y2
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VMULPS    Y10, Y1, Y1
	VMULPS    Y10, Y2, Y2
	VADDPS    Y11, Y1, Y1
	VADDPS    Y11, Y2, Y2
	VMOVUPS   Y1, 32(DI)
	VMOVUPS   Y2, 96(DI)

	ADDQ $128, DI
	LEAQ 20(SI)(R11*1), SI
	DECQ R9
	JNZ  block5

	VZEROUPPER
	RET
