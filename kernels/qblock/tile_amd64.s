//go:build amd64 && !purego

#include "textflag.h"
#include "tile_amd64.h"

// The tile kernels of IntDotRows (tile.go, tile_amd64.go): 4 weight rows
// x 8 activation rows per call, one 32-element block per iteration.
// The block's unsigned weight levels sit in Z10 (elements 0..15 of row r
// in 128-bit lane r) and Z11 (elements 16..31); each activation row's 16
// levels are broadcast to the four lanes (VBROADCASTI32X4), so VPDPBUSD
// leaves in lane r of the int32 accumulator four partial sums of weight
// row r's block dot product. The accumulator starts at c/4 per dword (the
// offset correction, see tile.go), is converted to float once per block,
// and scaled by d_w (Z12: f16 scales of the 4 rows, spread over their
// lanes) times d_a (broadcast from the record) into Z0..Z7, one per
// activation row.

// tileperm: the dword index vector [0 x4, 1 x4, 2 x4, 3 x4] (also used
// by tile_k_amd64.s).
DATA ·tileperm+0(SB)/8, $0x0000000000000000
DATA ·tileperm+8(SB)/8, $0x0000000000000000
DATA ·tileperm+16(SB)/8, $0x0000000100000001
DATA ·tileperm+24(SB)/8, $0x0000000100000001
DATA ·tileperm+32(SB)/8, $0x0000000200000002
DATA ·tileperm+40(SB)/8, $0x0000000200000002
DATA ·tileperm+48(SB)/8, $0x0000000300000003
DATA ·tileperm+56(SB)/8, $0x0000000300000003
GLOBL ·tileperm(SB), RODATA|NOPTR, $64

// TILESETUP loads the arguments: SI weights, R8 rb, R9 3rb, DI and R10
// activation rows 0 and 4, DX astride, R11 3astride, CX nb, R13 the
// weight rows 8 ahead (prefetched: a group of 4 rows is too short a
// stream for the hardware prefetchers, and without it the kernel ran at
// less than half speed on weights not in cache); clears the accumulators.
#define TILESETUP \
	MOVQ      w+0(FP), SI          \
	MOVQ      rb+8(FP), R8         \
	LEAQ      (R8)(R8*2), R9       \
	MOVQ      a+16(FP), DI         \
	MOVQ      astride+24(FP), DX   \
	LEAQ      (DX)(DX*2), R11      \
	LEAQ      (DI)(DX*4), R10      \
	LEAQ      (SI)(R8*8), R13      \
	MOVQ      nb+32(FP), CX        \
	VMOVDQU32 ·tileperm(SB), Z16  \
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

// WSCALES builds Z12: the f16 scales at (SI) of the 4 weight rows, widened
// and spread over their lanes.
#define WSCALES \
	VMOVD     (SI), X12                   \
	VPINSRW   $1, (SI)(R8*1), X12, X12    \
	VPINSRW   $2, (SI)(R8*2), X12, X12    \
	VPINSRW   $3, (SI)(R9*1), X12, X12    \
	VCVTPH2PS X12, X12                    \
	VPERMD    Z12, Z16, Z12

// ACTROW adds one activation row's block (record at m0; m16, m32, m36 its
// byte offsets 16, 32, 36) to acc.
#define ACTROW(m0, m16, m32, m36, acc) \
	VPBROADCASTD    m36, Z13       \
	VBROADCASTI32X4 m0, Z14        \
	VPDPBUSD        Z14, Z10, Z13  \
	VBROADCASTI32X4 m16, Z18       \
	VPDPBUSD        Z18, Z11, Z13  \
	VCVTDQ2PS       Z13, Z13       \
	VMULPS.BCST     m32, Z12, Z17  \
	VFMADD231PS     Z17, Z13, acc

#define ACTROWS \
	ACTROW((DI), 16(DI), 32(DI), 36(DI), Z0)                                 \
	ACTROW((DI)(DX*1), 16(DI)(DX*1), 32(DI)(DX*1), 36(DI)(DX*1), Z1)         \
	ACTROW((DI)(DX*2), 16(DI)(DX*2), 32(DI)(DX*2), 36(DI)(DX*2), Z2)         \
	ACTROW((DI)(R11*1), 16(DI)(R11*1), 32(DI)(R11*1), 36(DI)(R11*1), Z3)     \
	ACTROW((R10), 16(R10), 32(R10), 36(R10), Z4)                             \
	ACTROW((R10)(DX*1), 16(R10)(DX*1), 32(R10)(DX*1), 36(R10)(DX*1), Z5)     \
	ACTROW((R10)(DX*2), 16(R10)(DX*2), 32(R10)(DX*2), 36(R10)(DX*2), Z6)     \
	ACTROW((R10)(R11*1), 16(R10)(R11*1), 32(R10)(R11*1), 36(R10)(R11*1), Z7)

#define TILESTORE STORE8OUT(out+40)

// Q8WEIGHTS loads a Q8_0 block (f16 d, 32 int8 levels) of the 4 weight
// rows into Z10, Z11, flipped to unsigned (xor 0x80, Z15).
#define Q8WEIGHTS \
	VMOVDQU      2(SI), Y8                  \
	VINSERTI64X4 $1, 2(SI)(R8*1), Z8, Z8    \
	VMOVDQU      2(SI)(R8*2), Y9            \
	VINSERTI64X4 $1, 2(SI)(R9*1), Z9, Z9    \
	VSHUFI64X2   $0x88, Z9, Z8, Z10         \
	VSHUFI64X2   $0xDD, Z9, Z8, Z11         \
	VPXORD       Z15, Z10, Z10              \
	VPXORD       Z15, Z11, Z11

// Q4WEIGHTS loads a Q4_0 block (f16 d, 16 bytes: element j in the low
// nibble of byte j, element j+16 in its high nibble) of the 4 weight rows
// into Z10, Z11 (Z15: 0x0F bytes).
#define Q4WEIGHTS \
	LOAD4X16(2, X8, Z8)                     \
	VPANDD       Z15, Z8, Z10               \
	VPSRLW       $4, Z8, Z11                \
	VPANDD       Z15, Z11, Z11

#define Q8CONST \
	MOVL         $0x80808080, AX \
	VPBROADCASTD AX, Z15

#define Q4CONST \
	MOVL         $0x0F0F0F0F, AX \
	VPBROADCASTD AX, Z15

// TILE8 and TILE1 are the kernels' loops for 8 and 1 activation rows:
// weights of blockBytes bytes per block.
#define TILE8(label, weights, blockBytes) \
label:                    \
	PREFETCHT0 (R13)      \
	PREFETCHT0 64(R13)    \
	PREFETCHT0 128(R13)   \
	ADDQ $(4*blockBytes), R13 \
	WSCALES               \
	weights               \
	ACTROWS               \
	ADDQ $blockBytes, SI  \
	ADDQ $40, DI          \
	ADDQ $40, R10         \
	DECQ CX               \
	JNZ  label            \
	TILESTORE

#define TILE1(label, weights, blockBytes) \
label:                                            \
	PREFETCHT0 (R13)                              \
	PREFETCHT0 64(R13)                            \
	PREFETCHT0 128(R13)                           \
	ADDQ    $(4*blockBytes), R13                  \
	WSCALES                                       \
	weights                                       \
	ACTROW((DI), 16(DI), 32(DI), 36(DI), Z0)      \
	ADDQ    $blockBytes, SI                       \
	ADDQ    $40, DI                               \
	DECQ    CX                                    \
	JNZ     label                                 \
	MOVQ    out+40(FP), AX                        \
	VMOVUPS Z0, (AX)                              \
	VZEROUPPER

// TILES runs TILE8 or, when BX is set, TILE1, and returns.
#define TILES(l8, l1, lone, weights, blockBytes) \
	TESTQ BX, BX                    \
	JNZ   lone                      \
	TILE8(l8, weights, blockBytes)  \
	RET                             \
lone:                               \
	TILE1(l1, weights, blockBytes)  \
	RET

// func tileVNNI(w *byte, rb int, a *byte, astride int, nb int, out *[128]float32, q4 bool, one bool)
// q4: Q4_0 weights, else Q8_0; one: one activation row (out[0:16]), else 8.
TEXT ·tileVNNI(SB), NOSPLIT, $0-50
	TILESETUP
	MOVBLZX one+49(FP), BX
	CMPB    q4+48(FP), $0
	JNE     q4
	Q8CONST
	TILES(q8t8, q8t1, q8one, Q8WEIGHTS, 34)

q4:
	Q4CONST
	TILES(q4t8, q4t1, q4one, Q4WEIGHTS, 18)
