//go:build amd64 && !purego

#include "textflag.h"
#include "vecdot_kquant_amd64.h"

// vecdot_kquant_amd64.s's k-quant dot products on 512-bit registers with
// AVX-512 VNNI: the unsigned levels of 64 elements (two 32-element
// sub-blocks for Q4_K and Q5_K, four 16-element ones for Q6_K) times the
// activations in pairs to int16 (VPMADDUBSW), then times the sub-block
// scales, summed to int32 and accumulated in one instruction (VPDPWSSD),
// the scales spread over the words by VPERMW. The per-block header work
// (scales, mins, bsums terms) is the AVX2 kernels' own macros.

// k4wsel: word-index vectors [2j x16, 2j+1 x16], j = 0..3: VPERMW picks
// sub-block scales 2j, 2j+1 for the two halves; they double as Q5_K's
// per-half right shifts of the high bits.
DATA k4wsel<>+0(SB)/8, $0x0000000000000000
DATA k4wsel<>+8(SB)/8, $0x0000000000000000
DATA k4wsel<>+16(SB)/8, $0x0000000000000000
DATA k4wsel<>+24(SB)/8, $0x0000000000000000
DATA k4wsel<>+32(SB)/8, $0x0001000100010001
DATA k4wsel<>+40(SB)/8, $0x0001000100010001
DATA k4wsel<>+48(SB)/8, $0x0001000100010001
DATA k4wsel<>+56(SB)/8, $0x0001000100010001
DATA k4wsel<>+64(SB)/8, $0x0002000200020002
DATA k4wsel<>+72(SB)/8, $0x0002000200020002
DATA k4wsel<>+80(SB)/8, $0x0002000200020002
DATA k4wsel<>+88(SB)/8, $0x0002000200020002
DATA k4wsel<>+96(SB)/8, $0x0003000300030003
DATA k4wsel<>+104(SB)/8, $0x0003000300030003
DATA k4wsel<>+112(SB)/8, $0x0003000300030003
DATA k4wsel<>+120(SB)/8, $0x0003000300030003
DATA k4wsel<>+128(SB)/8, $0x0004000400040004
DATA k4wsel<>+136(SB)/8, $0x0004000400040004
DATA k4wsel<>+144(SB)/8, $0x0004000400040004
DATA k4wsel<>+152(SB)/8, $0x0004000400040004
DATA k4wsel<>+160(SB)/8, $0x0005000500050005
DATA k4wsel<>+168(SB)/8, $0x0005000500050005
DATA k4wsel<>+176(SB)/8, $0x0005000500050005
DATA k4wsel<>+184(SB)/8, $0x0005000500050005
DATA k4wsel<>+192(SB)/8, $0x0006000600060006
DATA k4wsel<>+200(SB)/8, $0x0006000600060006
DATA k4wsel<>+208(SB)/8, $0x0006000600060006
DATA k4wsel<>+216(SB)/8, $0x0006000600060006
DATA k4wsel<>+224(SB)/8, $0x0007000700070007
DATA k4wsel<>+232(SB)/8, $0x0007000700070007
DATA k4wsel<>+240(SB)/8, $0x0007000700070007
DATA k4wsel<>+248(SB)/8, $0x0007000700070007
GLOBL k4wsel<>(SB), RODATA|NOPTR, $256

// k6wsel: [4c x8, 4c+1 x8, 4c+2 x8, 4c+3 x8], c = 0..3: Q6_K scales of
// the 64-element chunk c; then the qh shifts: left [4 x16, 2 x16], right
// [0 x16, 2 x16].
DATA k6wsel<>+0(SB)/8, $0x0000000000000000
DATA k6wsel<>+8(SB)/8, $0x0000000000000000
DATA k6wsel<>+16(SB)/8, $0x0001000100010001
DATA k6wsel<>+24(SB)/8, $0x0001000100010001
DATA k6wsel<>+32(SB)/8, $0x0002000200020002
DATA k6wsel<>+40(SB)/8, $0x0002000200020002
DATA k6wsel<>+48(SB)/8, $0x0003000300030003
DATA k6wsel<>+56(SB)/8, $0x0003000300030003
DATA k6wsel<>+64(SB)/8, $0x0004000400040004
DATA k6wsel<>+72(SB)/8, $0x0004000400040004
DATA k6wsel<>+80(SB)/8, $0x0005000500050005
DATA k6wsel<>+88(SB)/8, $0x0005000500050005
DATA k6wsel<>+96(SB)/8, $0x0006000600060006
DATA k6wsel<>+104(SB)/8, $0x0006000600060006
DATA k6wsel<>+112(SB)/8, $0x0007000700070007
DATA k6wsel<>+120(SB)/8, $0x0007000700070007
DATA k6wsel<>+128(SB)/8, $0x0008000800080008
DATA k6wsel<>+136(SB)/8, $0x0008000800080008
DATA k6wsel<>+144(SB)/8, $0x0009000900090009
DATA k6wsel<>+152(SB)/8, $0x0009000900090009
DATA k6wsel<>+160(SB)/8, $0x000a000a000a000a
DATA k6wsel<>+168(SB)/8, $0x000a000a000a000a
DATA k6wsel<>+176(SB)/8, $0x000b000b000b000b
DATA k6wsel<>+184(SB)/8, $0x000b000b000b000b
DATA k6wsel<>+192(SB)/8, $0x000c000c000c000c
DATA k6wsel<>+200(SB)/8, $0x000c000c000c000c
DATA k6wsel<>+208(SB)/8, $0x000d000d000d000d
DATA k6wsel<>+216(SB)/8, $0x000d000d000d000d
DATA k6wsel<>+224(SB)/8, $0x000e000e000e000e
DATA k6wsel<>+232(SB)/8, $0x000e000e000e000e
DATA k6wsel<>+240(SB)/8, $0x000f000f000f000f
DATA k6wsel<>+248(SB)/8, $0x000f000f000f000f
DATA k6wsel<>+256(SB)/8, $0x0004000400040004
DATA k6wsel<>+264(SB)/8, $0x0004000400040004
DATA k6wsel<>+272(SB)/8, $0x0004000400040004
DATA k6wsel<>+280(SB)/8, $0x0004000400040004
DATA k6wsel<>+288(SB)/8, $0x0002000200020002
DATA k6wsel<>+296(SB)/8, $0x0002000200020002
DATA k6wsel<>+304(SB)/8, $0x0002000200020002
DATA k6wsel<>+312(SB)/8, $0x0002000200020002
DATA k6wsel<>+320(SB)/8, $0x0000000000000000
DATA k6wsel<>+328(SB)/8, $0x0000000000000000
DATA k6wsel<>+336(SB)/8, $0x0000000000000000
DATA k6wsel<>+344(SB)/8, $0x0000000000000000
DATA k6wsel<>+352(SB)/8, $0x0002000200020002
DATA k6wsel<>+360(SB)/8, $0x0002000200020002
DATA k6wsel<>+368(SB)/8, $0x0002000200020002
DATA k6wsel<>+376(SB)/8, $0x0002000200020002
GLOBL k6wsel<>(SB), RODATA|NOPTR, $384

// ZINIT: KINIT, plus Z15 = 0x0F bytes in all 64.
#define ZINIT \
	KINIT                 \
	VPBROADCASTD X15, Z15

// ZDONE folds Z0's upper half into Y0 and returns as KDONE.
#define ZDONE \
	VEXTRACTF64X4 $1, Z0, Y3 \
	VADDPS        Y3, Y0, Y0 \
	KDONE

// ZPAIR adds to Z12 the 64 levels in Z6 (sub-blocks 2j, 2j+1) times the
// activations at aoff(DI), times the scales Z2's words picked by zsel.
#define ZPAIR(aoff, zsel) \
	VPMADDUBSW aoff(DI), Z6, Z6 \
	VPERMW     Z2, zsel, Z8     \
	VPDPWSSD   Z8, Z6, Z12

// ZQ4: Z6 = [low nibbles, high nibbles] of the 32 bytes at qoff(SI).
#define ZQ4(qoff) \
	VMOVDQU      qoff(SI), Y6      \
	VPSRLW       $4, Y6, Y7        \
	VINSERTI64X4 $1, Y7, Z6, Z6    \
	VPANDD       Z15, Z6, Z6

#define ZLOADSEL(name) \
	VMOVDQU64 name<>+0(SB), Z16   \
	VMOVDQU64 name<>+64(SB), Z17  \
	VMOVDQU64 name<>+128(SB), Z18 \
	VMOVDQU64 name<>+192(SB), Z19

// ZBLOCKEND: Z0 += d * float(Z12), then the next block.
#define ZBLOCKEND(bytes) \
	VCVTDQ2PS    Z12, Z12     \
	VBROADCASTSS X4, Z4       \
	VFMADD231PS  Z4, Z12, Z0  \
	ADDQ         $bytes, SI   \
	ADDQ         $256, DI     \
	ADDQ         $4, DX       \
	ADDQ         $64, BX      \
	DECQ         CX

// func q4kq8kDotVNNI(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32
// q4kq8kDotAVX2 with AVX-512 VNNI.
TEXT ·q4kq8kDotVNNI(SB), NOSPLIT, $0-44
	ZINIT
	ZLOADSEL(k4wsel)

zq4kloop:
	TESTQ CX, CX
	JZ    zq4kdone
	KBLOCKSCALES
	KSCALESMINS
	VPXOR Y12, Y12, Y12
	ZQ4(16)
	ZPAIR(0, Z16)
	ZQ4(48)
	ZPAIR(64, Z17)
	ZQ4(80)
	ZPAIR(128, Z18)
	ZQ4(112)
	ZPAIR(192, Z19)
	ZBLOCKEND(144)
	JMP zq4kloop

zq4kdone:
	ZDONE

// func q5kq8kDotVNNI(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32
// q5kq8kDotAVX2 with AVX-512 VNNI: the high bits of sub-blocks 2j, 2j+1
// are bits 2j, 2j+1 of [qh, qh] (Z13), moved to bit 4 by a per-half right
// shift (k4wsel's words) and a left shift by 4.
TEXT ·q5kq8kDotVNNI(SB), NOSPLIT, $0-44
	ZINIT
	ZLOADSEL(k4wsel)
	MOVL         $0x10101010, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Z14

zq5kloop:
	TESTQ           CX, CX
	JZ              zq5kdone
	KBLOCKSCALES
	KSCALESMINS
	VBROADCASTI64X4 16(SI), Z13
	VPXOR           Y12, Y12, Y12
	ZQ4(48)
	VPSRLVW Z16, Z13, Z9
	VPSLLW  $4, Z9, Z9
	VPANDD  Z14, Z9, Z9
	VPORD   Z9, Z6, Z6
	ZPAIR(0, Z16)
	ZQ4(80)
	VPSRLVW Z17, Z13, Z9
	VPSLLW  $4, Z9, Z9
	VPANDD  Z14, Z9, Z9
	VPORD   Z9, Z6, Z6
	ZPAIR(64, Z17)
	ZQ4(112)
	VPSRLVW Z18, Z13, Z9
	VPSLLW  $4, Z9, Z9
	VPANDD  Z14, Z9, Z9
	VPORD   Z9, Z6, Z6
	ZPAIR(128, Z18)
	ZQ4(144)
	VPSRLVW Z19, Z13, Z9
	VPSLLW  $4, Z9, Z9
	VPANDD  Z14, Z9, Z9
	VPORD   Z9, Z6, Z6
	ZPAIR(192, Z19)
	ZBLOCKEND(176)
	JMP zq5kloop

zq5kdone:
	ZDONE

// func q6kq8kDotVNNI(w *byte, a *byte, d *float32, bsums *int32, nblocks int) float32
// q6kq8kDotAVX2 with AVX-512 VNNI: per half h, [ql low nibbles | qh bits]
// of elements 128h..128h+63 from the 64 bytes of ql and [qh, qh] shifted
// left by [4, 2], and of 128h+64..128h+127 from ql's high nibbles and
// [qh, qh] shifted right by [0, 2].
TEXT ·q6kq8kDotVNNI(SB), NOSPLIT, $0-44
	ZINIT
	ZLOADSEL(k6wsel)
	VMOVDQU64    k6wsel<>+256(SB), Z20
	VMOVDQU64    k6wsel<>+320(SB), Z21
	MOVL         $0x30303030, AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Z14

zq6kloop:
	TESTQ        CX, CX
	JZ           zq6kdone
	Q6BLOCKHEAD
	VPMOVSXBW    X2, Y2
	VMOVDQU64       0(SI), Z10
	VBROADCASTI64X4 128(SI), Z11
	VPANDD          Z15, Z10, Z6
	VPSLLVW         Z20, Z11, Z7
	VPANDD          Z14, Z7, Z7
	VPORD           Z7, Z6, Z6
	ZPAIR(0, Z16)
	VPSRLW          $4, Z10, Z6
	VPANDD          Z15, Z6, Z6
	VPSRLVW         Z21, Z11, Z7
	VPANDD          Z14, Z7, Z7
	VPORD           Z7, Z6, Z6
	ZPAIR(64, Z17)
	VMOVDQU64       64(SI), Z10
	VBROADCASTI64X4 160(SI), Z11
	VPANDD          Z15, Z10, Z6
	VPSLLVW         Z20, Z11, Z7
	VPANDD          Z14, Z7, Z7
	VPORD           Z7, Z6, Z6
	ZPAIR(128, Z18)
	VPSRLW          $4, Z10, Z6
	VPANDD          Z15, Z6, Z6
	VPSRLVW         Z21, Z11, Z7
	VPANDD          Z14, Z7, Z7
	VPORD           Z7, Z6, Z6
	ZPAIR(192, Z19)
	ZBLOCKEND(210)
	JMP zq6kloop

zq6kdone:
	ZDONE
