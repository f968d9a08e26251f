//go:build amd64 && !purego

#include "textflag.h"
#include "vecdot_kquant_amd64.h"

// The integer dot products of IntDot for Q4_K, Q5_K and Q6_K weights
// against Q8_K activations (256-element blocks, one float32 scale d_a per
// block, bsums the sums of every 16 levels), llama.cpp's AVX2 way
// (ggml_vec_dot_q{4,5,6}_K_q8_K): the weight levels, unsigned, times the
// activation levels, signed, summed in pairs to int16 (VPMADDUBSW: no
// saturation, |q| <= 63, |a| <= 127), times each sub-block's integer scale
// summed to int32 (VPMADDWD), converted and scaled once per block by
// d_w * d_a. The offsets of the unsigned levels come in through bsums:
// Q4_K and Q5_K subtract dmin*d_a * sum_j m_j * bsum_j, Q6_K's levels are
// q+32, so it subtracts 32 * sum_j sc_j * bsum_j in int32.

// k4shuf: 32-byte VPSHUFB masks broadcasting int16 word i (scale i) to
// every word, i = 0..7.

DATA k4shuf<>+0(SB)/8, $0x0100010001000100
DATA k4shuf<>+8(SB)/8, $0x0100010001000100
DATA k4shuf<>+16(SB)/8, $0x0100010001000100
DATA k4shuf<>+24(SB)/8, $0x0100010001000100
DATA k4shuf<>+32(SB)/8, $0x0302030203020302
DATA k4shuf<>+40(SB)/8, $0x0302030203020302
DATA k4shuf<>+48(SB)/8, $0x0302030203020302
DATA k4shuf<>+56(SB)/8, $0x0302030203020302
DATA k4shuf<>+64(SB)/8, $0x0504050405040504
DATA k4shuf<>+72(SB)/8, $0x0504050405040504
DATA k4shuf<>+80(SB)/8, $0x0504050405040504
DATA k4shuf<>+88(SB)/8, $0x0504050405040504
DATA k4shuf<>+96(SB)/8, $0x0706070607060706
DATA k4shuf<>+104(SB)/8, $0x0706070607060706
DATA k4shuf<>+112(SB)/8, $0x0706070607060706
DATA k4shuf<>+120(SB)/8, $0x0706070607060706
DATA k4shuf<>+128(SB)/8, $0x0908090809080908
DATA k4shuf<>+136(SB)/8, $0x0908090809080908
DATA k4shuf<>+144(SB)/8, $0x0908090809080908
DATA k4shuf<>+152(SB)/8, $0x0908090809080908
DATA k4shuf<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shuf<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shuf<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shuf<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA k4shuf<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shuf<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shuf<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shuf<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA k4shuf<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shuf<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shuf<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA k4shuf<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL k4shuf<>(SB), RODATA|NOPTR, $256

// k6shuf: 16-byte VPSHUFB masks: 8 copies of byte 2p, 8 of byte 2p+1.
DATA k6shuf<>+0(SB)/8, $0x0000000000000000
DATA k6shuf<>+8(SB)/8, $0x0101010101010101
DATA k6shuf<>+16(SB)/8, $0x0202020202020202
DATA k6shuf<>+24(SB)/8, $0x0303030303030303
DATA k6shuf<>+32(SB)/8, $0x0404040404040404
DATA k6shuf<>+40(SB)/8, $0x0505050505050505
DATA k6shuf<>+48(SB)/8, $0x0606060606060606
DATA k6shuf<>+56(SB)/8, $0x0707070707070707
DATA k6shuf<>+64(SB)/8, $0x0808080808080808
DATA k6shuf<>+72(SB)/8, $0x0909090909090909
DATA k6shuf<>+80(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA k6shuf<>+88(SB)/8, $0x0b0b0b0b0b0b0b0b
DATA k6shuf<>+96(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA k6shuf<>+104(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA k6shuf<>+112(SB)/8, $0x0e0e0e0e0e0e0e0e
DATA k6shuf<>+120(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL k6shuf<>(SB), RODATA|NOPTR, $128

// KPAIR adds to Y12 the sub-blocks 2j (levels in Y6) and 2j+1 (Y7) times
// the activations at aoff(DI) and aoff+32(DI), scaled by words 2j, 2j+1 of
// Y2 (s0, s1: the k4shuf offsets 64j, 64j+32).
#define KPAIR(aoff, aoff1, s0, s1) \
	VPMADDUBSW aoff(DI), Y6, Y6        \
	VPMADDUBSW aoff1(DI), Y7, Y7       \
	VPSHUFB    k4shuf<>+s0(SB), Y2, Y8 \
	VPSHUFB    k4shuf<>+s1(SB), Y2, Y9 \
	VPMADDWD   Y8, Y6, Y6              \
	VPMADDWD   Y9, Y7, Y7              \
	VPADDD     Y6, Y12, Y12            \
	VPADDD     Y7, Y12, Y12

// Q4NIBBLES: Y6, Y7 = the low and high nibbles of the 32 bytes at qoff(SI).
#define Q4NIBBLES(qoff) \
	VMOVDQU qoff(SI), Y6 \
	VPSRLW  $4, Y6, Y7   \
	VPAND   Y15, Y6, Y6  \
	VPAND   Y15, Y7, Y7

// func q4kq8kDotAVX2(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32
// w: nblocks Q4_K blocks (144 bytes: d, dmin f16, 12 bytes of scales and
// mins, 128 bytes of nibbles: sub-block 2j in the low nibbles of bytes
// 32j..32j+31, 2j+1 in their high nibbles).
TEXT ·q4kq8kDotAVX2(SB), NOSPLIT, $0-44
	KINIT

q4kloop:
	TESTQ CX, CX
	JZ    q4kdone
	KBLOCKSCALES
	KSCALESMINS
	VPXOR Y12, Y12, Y12
	Q4NIBBLES(16)
	KPAIR(0, 32, 0, 32)
	Q4NIBBLES(48)
	KPAIR(64, 96, 64, 96)
	Q4NIBBLES(80)
	KPAIR(128, 160, 128, 160)
	Q4NIBBLES(112)
	KPAIR(192, 224, 192, 224)
	VCVTDQ2PS   Y12, Y12
	VFMADD231PS Y4, Y12, Y0
	ADDQ        $144, SI
	ADDQ        $256, DI
	ADDQ        $4, DX
	ADDQ        $64, BX
	DECQ        CX
	JMP         q4kloop

q4kdone:
	KDONE

// Q5HIGH ors bit b of the bytes of Y13 (the 32 bytes of high bits) into bit
// 4 of dst's bytes: shift moves bit b to bit 4 (word shifts keep it in its
// byte), Y14 holds 0x10 bytes.
#define Q5HIGH(shift, n, dst) \
	shift $n, Y13, Y8 \
	VPAND Y14, Y8, Y8 \
	VPOR  Y8, dst, dst

// func q5kq8kDotAVX2(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32
// w: nblocks Q5_K blocks (176 bytes: Q4_K's header, 32 bytes of high bits
// (bit 2j of byte l for element 64j+l, bit 2j+1 for 64j+32+l), then Q4_K's
// 128 bytes of nibbles).
TEXT ·q5kq8kDotAVX2(SB), NOSPLIT, $0-44
	KINIT
	MOVL         $0x10101010, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14

q5kloop:
	TESTQ   CX, CX
	JZ      q5kdone
	KBLOCKSCALES
	KSCALESMINS
	VMOVDQU 16(SI), Y13
	VPXOR   Y12, Y12, Y12
	Q4NIBBLES(48)
	Q5HIGH(VPSLLW, 4, Y6)
	Q5HIGH(VPSLLW, 3, Y7)
	KPAIR(0, 32, 0, 32)
	Q4NIBBLES(80)
	Q5HIGH(VPSLLW, 2, Y6)
	Q5HIGH(VPSLLW, 1, Y7)
	KPAIR(64, 96, 64, 96)
	Q4NIBBLES(112)
	VPAND   Y14, Y13, Y8
	VPOR    Y8, Y6, Y6
	Q5HIGH(VPSRLW, 1, Y7)
	KPAIR(128, 160, 128, 160)
	Q4NIBBLES(144)
	Q5HIGH(VPSRLW, 2, Y6)
	Q5HIGH(VPSRLW, 3, Y7)
	KPAIR(192, 224, 192, 224)
	VCVTDQ2PS   Y12, Y12
	VFMADD231PS Y4, Y12, Y0
	ADDQ        $176, SI
	ADDQ        $256, DI
	ADDQ        $4, DX
	ADDQ        $64, BX
	DECQ        CX
	JMP         q5kloop

q5kdone:
	KDONE

// Q6CHUNK adds to Y12 the 32 levels (q+32, 0..63) in Y6 times the
// activations at aoff(DI), scaled by the int8 scales 2p (first 16) and
// 2p+1 (last 16) of X2 (soff = 16p, the k6shuf offset).
#define Q6CHUNK(aoff, soff) \
	VPMADDUBSW aoff(DI), Y6, Y6         \
	VPSHUFB    k6shuf<>+soff(SB), X2, X11 \
	VPMOVSXBW  X11, Y11                 \
	VPMADDWD   Y11, Y6, Y6              \
	VPADDD     Y6, Y12, Y12

// func q6kq8kDotAVX2(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32
// w: nblocks Q6_K blocks (210 bytes: 128 bytes of low nibbles ql, 64 of
// high bit pairs qh, 16 int8 scales, d f16). Half h (128 elements):
// element 128h+32c+l has low nibble from ql[64h+32(c&1)+l] (low nibble
// for c < 2, high for c >= 2) and bits 2c..2c+1 of qh[32h+l].
TEXT ·q6kq8kDotAVX2(SB), NOSPLIT, $0-44
	KINIT
	MOVL         $0x30303030, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14

q6kloop:
	TESTQ        CX, CX
	JZ           q6kdone
	Q6BLOCKHEAD
	VBROADCASTSS X4, Y4
	VMOVDQU      0(SI), Y8
	VMOVDQU      32(SI), Y9
	VMOVDQU      128(SI), Y10
	VPAND        Y15, Y8, Y6
	VPSLLW       $4, Y10, Y7
	VPAND        Y14, Y7, Y7
	VPOR         Y7, Y6, Y6
	Q6CHUNK(0, 0)
	VPAND        Y15, Y9, Y6
	VPSLLW       $2, Y10, Y7
	VPAND        Y14, Y7, Y7
	VPOR         Y7, Y6, Y6
	Q6CHUNK(32, 16)
	VPSRLW       $4, Y8, Y6
	VPAND        Y15, Y6, Y6
	VPAND        Y14, Y10, Y7
	VPOR         Y7, Y6, Y6
	Q6CHUNK(64, 32)
	VPSRLW       $4, Y9, Y6
	VPAND        Y15, Y6, Y6
	VPSRLW       $2, Y10, Y7
	VPAND        Y14, Y7, Y7
	VPOR         Y7, Y6, Y6
	Q6CHUNK(96, 48)
	VMOVDQU      64(SI), Y8
	VMOVDQU      96(SI), Y9
	VMOVDQU      160(SI), Y10
	VPAND        Y15, Y8, Y6
	VPSLLW       $4, Y10, Y7
	VPAND        Y14, Y7, Y7
	VPOR         Y7, Y6, Y6
	Q6CHUNK(128, 64)
	VPAND        Y15, Y9, Y6
	VPSLLW       $2, Y10, Y7
	VPAND        Y14, Y7, Y7
	VPOR         Y7, Y6, Y6
	Q6CHUNK(160, 80)
	VPSRLW       $4, Y8, Y6
	VPAND        Y15, Y6, Y6
	VPAND        Y14, Y10, Y7
	VPOR         Y7, Y6, Y6
	Q6CHUNK(192, 96)
	VPSRLW       $4, Y9, Y6
	VPAND        Y15, Y6, Y6
	VPSRLW       $2, Y10, Y7
	VPAND        Y14, Y7, Y7
	VPOR         Y7, Y6, Y6
	Q6CHUNK(224, 112)
	VCVTDQ2PS    Y12, Y12
	VFMADD231PS  Y4, Y12, Y0
	ADDQ         $210, SI
	ADDQ         $256, DI
	ADDQ         $4, DX
	ADDQ         $64, BX
	DECQ         CX
	JMP          q6kloop

q6kdone:
	KDONE
