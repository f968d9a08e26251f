//go:build amd64 && !purego

#include "textflag.h"
#include "tile_amd64.h"

// tileperm: the dword index vector [0 x4, 1 x4, 2 x4, 3 x4].
DATA ·tileperm+0(SB)/8, $0x0000000000000000
DATA ·tileperm+8(SB)/8, $0x0000000000000000
DATA ·tileperm+16(SB)/8, $0x0000000100000001
DATA ·tileperm+24(SB)/8, $0x0000000100000001
DATA ·tileperm+32(SB)/8, $0x0000000200000002
DATA ·tileperm+40(SB)/8, $0x0000000200000002
DATA ·tileperm+48(SB)/8, $0x0000000300000003
DATA ·tileperm+56(SB)/8, $0x0000000300000003
GLOBL ·tileperm(SB), RODATA|NOPTR, $64

// The k-quant tile kernels of IntDotRows (tile.go, tile_amd64.go): 4 Q4_K
// or Q6_K weight rows x 8 Q8_K activation rows per call, one 256-element
// block per iteration. Weight row r's bytes sit in 128-bit lane r of a
// vector (LOAD4X16) and each activation row's 16 levels are broadcast to
// the four lanes, so lane r of an accumulator collects partial sums of
// weight row r; the four lanes of a row are added at the end (Go).

// KSETUP loads the arguments (SI weights, R8 rb, R9 3rb, DI the tile's
// records, CX nb, R13 the weight rows 8 ahead: prefetched, since a group
// of 4 rows is too short a stream for the hardware prefetchers, and without
// it the kernels ran at less than half speed on weights not in cache) and
// clears Z0..Z7 and Z16..Z23; Z15 = 0x0F bytes.
#define KSETUP \
	MOVQ         w+0(FP), SI        \
	MOVQ         rb+8(FP), R8       \
	LEAQ         (R8)(R8*2), R9     \
	MOVQ         a+16(FP), DI       \
	MOVQ         nb+24(FP), CX      \
	LEAQ         (SI)(R8*8), R13    \
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)         \
	ZERO8(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23) \
	MOVL         $0x0F0F0F0F, AX    \
	VPBROADCASTD AX, Z15

// ROW8 runs ROW (K4ROW or K6ROW) with x for the 8 activation rows, into
// their int32 sums Z16..Z23.
#define ROW8(ROW, x) \
	ROW(0, x, Z16) \
	ROW(1, x, Z17) \
	ROW(2, x, Z18) \
	ROW(3, x, Z19) \
	ROW(4, x, Z20) \
	ROW(5, x, Z21) \
	ROW(6, x, Z22) \
	ROW(7, x, Z23)

// END8 closes the block for the 8 activation rows with END (K4END or
// K6END): int32 sums Z16..Z23, float sums Z0..Z7.
#define END8(END) \
	END(0, Z16, Z0) \
	END(1, Z17, Z1) \
	END(2, Z18, Z2) \
	END(3, Z19, Z3) \
	END(4, Z20, Z4) \
	END(5, Z21, Z5) \
	END(6, Z22, Z6) \
	END(7, Z23, Z7)

// PREFETCH9 prefetches the 9 cache lines at R13.
#define PREFETCH9 \
	PREFETCHT0 (R13)    \
	PREFETCHT0 64(R13)  \
	PREFETCHT0 128(R13) \
	PREFETCHT0 192(R13) \
	PREFETCHT0 256(R13) \
	PREFETCHT0 320(R13) \
	PREFETCHT0 384(R13) \
	PREFETCHT0 448(R13) \
	PREFETCHT0 512(R13)

// k4didx, k4mdidx: VPERMPS indexes spreading d (k4didx) and dmin
// (k4mdidx) of the 4 rows, widened as [d0, dmin0, d1, dmin1, ...], over
// their lanes.
DATA k4didx<>+0(SB)/8, $0x0000000000000000
DATA k4didx<>+8(SB)/8, $0x0000000000000000
DATA k4didx<>+16(SB)/8, $0x0000000200000002
DATA k4didx<>+24(SB)/8, $0x0000000200000002
DATA k4didx<>+32(SB)/8, $0x0000000400000004
DATA k4didx<>+40(SB)/8, $0x0000000400000004
DATA k4didx<>+48(SB)/8, $0x0000000600000006
DATA k4didx<>+56(SB)/8, $0x0000000600000006
GLOBL k4didx<>(SB), RODATA|NOPTR, $64

DATA k4mdidx<>+0(SB)/8, $0x0000000100000001
DATA k4mdidx<>+8(SB)/8, $0x0000000100000001
DATA k4mdidx<>+16(SB)/8, $0x0000000300000003
DATA k4mdidx<>+24(SB)/8, $0x0000000300000003
DATA k4mdidx<>+32(SB)/8, $0x0000000500000005
DATA k4mdidx<>+40(SB)/8, $0x0000000500000005
DATA k4mdidx<>+48(SB)/8, $0x0000000700000007
DATA k4mdidx<>+56(SB)/8, $0x0000000700000007
GLOBL k4mdidx<>(SB), RODATA|NOPTR, $64

// k4shift: per lane [0, 4, 0, 4] (VPSRLVD: u2 and u2>>4).
DATA k4shift<>+0(SB)/8, $0x0000000400000000
DATA k4shift<>+8(SB)/8, $0x0000000400000000
DATA k4shift<>+16(SB)/8, $0x0000000400000000
DATA k4shift<>+24(SB)/8, $0x0000000400000000
DATA k4shift<>+32(SB)/8, $0x0000000400000000
DATA k4shift<>+40(SB)/8, $0x0000000400000000
DATA k4shift<>+48(SB)/8, $0x0000000400000000
DATA k4shift<>+56(SB)/8, $0x0000000400000000
GLOBL k4shift<>(SB), RODATA|NOPTR, $64

// k4mctl: VPSHUFB picking bytes 8..15 (the mins) of each lane as words.
DATA k4mctl<>+0(SB)/8, $0x800b800a80098008
DATA k4mctl<>+8(SB)/8, $0x800f800e800d800c
DATA k4mctl<>+16(SB)/8, $0x800b800a80098008
DATA k4mctl<>+24(SB)/8, $0x800f800e800d800c
DATA k4mctl<>+32(SB)/8, $0x800b800a80098008
DATA k4mctl<>+40(SB)/8, $0x800f800e800d800c
DATA k4mctl<>+48(SB)/8, $0x800b800a80098008
DATA k4mctl<>+56(SB)/8, $0x800f800e800d800c
GLOBL k4mctl<>(SB), RODATA|NOPTR, $64

// k4sctl: 8 VPSHUFB controls, 64 bytes each: control j spreads byte j
// (scale j) of each lane over its 8 words.
DATA k4sctl<>+0(SB)/8, $0x8000800080008000
DATA k4sctl<>+8(SB)/8, $0x8000800080008000
DATA k4sctl<>+16(SB)/8, $0x8000800080008000
DATA k4sctl<>+24(SB)/8, $0x8000800080008000
DATA k4sctl<>+32(SB)/8, $0x8000800080008000
DATA k4sctl<>+40(SB)/8, $0x8000800080008000
DATA k4sctl<>+48(SB)/8, $0x8000800080008000
DATA k4sctl<>+56(SB)/8, $0x8000800080008000
DATA k4sctl<>+64(SB)/8, $0x8001800180018001
DATA k4sctl<>+72(SB)/8, $0x8001800180018001
DATA k4sctl<>+80(SB)/8, $0x8001800180018001
DATA k4sctl<>+88(SB)/8, $0x8001800180018001
DATA k4sctl<>+96(SB)/8, $0x8001800180018001
DATA k4sctl<>+104(SB)/8, $0x8001800180018001
DATA k4sctl<>+112(SB)/8, $0x8001800180018001
DATA k4sctl<>+120(SB)/8, $0x8001800180018001
DATA k4sctl<>+128(SB)/8, $0x8002800280028002
DATA k4sctl<>+136(SB)/8, $0x8002800280028002
DATA k4sctl<>+144(SB)/8, $0x8002800280028002
DATA k4sctl<>+152(SB)/8, $0x8002800280028002
DATA k4sctl<>+160(SB)/8, $0x8002800280028002
DATA k4sctl<>+168(SB)/8, $0x8002800280028002
DATA k4sctl<>+176(SB)/8, $0x8002800280028002
DATA k4sctl<>+184(SB)/8, $0x8002800280028002
DATA k4sctl<>+192(SB)/8, $0x8003800380038003
DATA k4sctl<>+200(SB)/8, $0x8003800380038003
DATA k4sctl<>+208(SB)/8, $0x8003800380038003
DATA k4sctl<>+216(SB)/8, $0x8003800380038003
DATA k4sctl<>+224(SB)/8, $0x8003800380038003
DATA k4sctl<>+232(SB)/8, $0x8003800380038003
DATA k4sctl<>+240(SB)/8, $0x8003800380038003
DATA k4sctl<>+248(SB)/8, $0x8003800380038003
DATA k4sctl<>+256(SB)/8, $0x8004800480048004
DATA k4sctl<>+264(SB)/8, $0x8004800480048004
DATA k4sctl<>+272(SB)/8, $0x8004800480048004
DATA k4sctl<>+280(SB)/8, $0x8004800480048004
DATA k4sctl<>+288(SB)/8, $0x8004800480048004
DATA k4sctl<>+296(SB)/8, $0x8004800480048004
DATA k4sctl<>+304(SB)/8, $0x8004800480048004
DATA k4sctl<>+312(SB)/8, $0x8004800480048004
DATA k4sctl<>+320(SB)/8, $0x8005800580058005
DATA k4sctl<>+328(SB)/8, $0x8005800580058005
DATA k4sctl<>+336(SB)/8, $0x8005800580058005
DATA k4sctl<>+344(SB)/8, $0x8005800580058005
DATA k4sctl<>+352(SB)/8, $0x8005800580058005
DATA k4sctl<>+360(SB)/8, $0x8005800580058005
DATA k4sctl<>+368(SB)/8, $0x8005800580058005
DATA k4sctl<>+376(SB)/8, $0x8005800580058005
DATA k4sctl<>+384(SB)/8, $0x8006800680068006
DATA k4sctl<>+392(SB)/8, $0x8006800680068006
DATA k4sctl<>+400(SB)/8, $0x8006800680068006
DATA k4sctl<>+408(SB)/8, $0x8006800680068006
DATA k4sctl<>+416(SB)/8, $0x8006800680068006
DATA k4sctl<>+424(SB)/8, $0x8006800680068006
DATA k4sctl<>+432(SB)/8, $0x8006800680068006
DATA k4sctl<>+440(SB)/8, $0x8006800680068006
DATA k4sctl<>+448(SB)/8, $0x8007800780078007
DATA k4sctl<>+456(SB)/8, $0x8007800780078007
DATA k4sctl<>+464(SB)/8, $0x8007800780078007
DATA k4sctl<>+472(SB)/8, $0x8007800780078007
DATA k4sctl<>+480(SB)/8, $0x8007800780078007
DATA k4sctl<>+488(SB)/8, $0x8007800780078007
DATA k4sctl<>+496(SB)/8, $0x8007800780078007
DATA k4sctl<>+504(SB)/8, $0x8007800780078007
GLOBL k4sctl<>(SB), RODATA|NOPTR, $512

// K4ROW adds activation row r's sub-blocks 2i, 2i+1 (record at
// r*288(DI), levels at 64i) to iacc: unsigned weight levels (Z8..Z11)
// times the broadcast activation levels in int16 pairs (VPMADDUBSW), times
// the sub-block scales (Z12, Z13) summed to int32 (VPDPWSSD).
#define K4ROW(r, i, iacc) \
	VBROADCASTI32X4 (r*288+64*i)(DI), Z14    \
	VPMADDUBSW      Z14, Z8, Z25             \
	VPDPWSSD        Z12, Z25, iacc           \
	VBROADCASTI32X4 (r*288+64*i+16)(DI), Z24 \
	VPMADDUBSW      Z24, Z9, Z30             \
	VPDPWSSD        Z12, Z30, iacc           \
	VBROADCASTI32X4 (r*288+64*i+32)(DI), Z14 \
	VPMADDUBSW      Z14, Z10, Z25            \
	VPDPWSSD        Z13, Z25, iacc           \
	VBROADCASTI32X4 (r*288+64*i+48)(DI), Z24 \
	VPMADDUBSW      Z24, Z11, Z30            \
	VPDPWSSD        Z13, Z30, iacc

// K4SUB does sub-blocks 2i, 2i+1 (qs bytes 32i..32i+31 of each row: low
// nibbles sub-block 2i, high nibbles 2i+1) for the 8 activation rows.
#define K4SUB(i) \
	LOAD4X16((16+32*i), X8, Z8)                   \
	LOAD4X16((32+32*i), X9, Z9)                   \
	VPSRLW       $4, Z8, Z10                      \
	VPANDD       Z15, Z10, Z10                    \
	VPSRLW       $4, Z9, Z11                      \
	VPANDD       Z15, Z11, Z11                    \
	VPANDD       Z15, Z8, Z8                      \
	VPANDD       Z15, Z9, Z9                      \
	VPSHUFB      k4sctl<>+(128*i)(SB), Z26, Z12   \
	VPSHUFB      k4sctl<>+(128*i+64)(SB), Z26, Z13 \
	ROW8(K4ROW, i)

// K4END closes the block for activation row r: facc += d_w*d_a*iacc -
// dmin_w*d_a*sum_j m_j*(bsums pair j), iacc = 0.
#define K4END(r, iacc, facc) \
	VBROADCASTI32X4 (r*288+256)(DI), Z14    \
	VPXORD          Z25, Z25, Z25           \
	VPDPWSSD        Z14, Z29, Z25           \
	VCVTDQ2PS       iacc, iacc              \
	VCVTDQ2PS       Z25, Z25                \
	VMULPS.BCST     (r*288+272)(DI), Z27, Z24 \
	VFMADD231PS     Z24, iacc, facc         \
	VMULPS.BCST     (r*288+272)(DI), Z28, Z24 \
	VFNMADD231PS    Z24, Z25, facc          \
	VPXORD          iacc, iacc, iacc

// func k4TileVNNI(w *byte, rb int, a *byte, nb int, out *[128]float32)
// Q4_K: 4 weight rows (w + r*rb, nb blocks of 144 bytes: f16 d, f16 dmin,
// 12 bytes of 6-bit scales and mins, 128 bytes of nibbles) times the 8
// activation rows of a tile (nb groups of 8 records of 288 bytes: 256
// levels, 8 int16 sums of 32 levels, float32 d). Z0..Z7: float sums per
// activation row; Z16..Z23: the block's int32 sums; Z26: per lane the
// row's 8 scales and 8 mins (bytes); Z29: the mins as words; Z27, Z28: d
// and dmin per lane.
TEXT ·k4TileVNNI(SB), NOSPLIT, $0-40
	KSETUP

k4loop:
	PREFETCH9
	ADDQ         $576, R13
	// d and dmin of the 4 rows
	VMOVD        (SI), X14
	VPINSRD      $1, (SI)(R8*1), X14, X14
	VPINSRD      $2, (SI)(R8*2), X14, X14
	VPINSRD      $3, (SI)(R9*1), X14, X14
	VCVTPH2PS    X14, Y14
	VMOVDQU32    k4didx<>(SB), Z24
	VPERMPS      Z14, Z24, Z27
	VMOVDQU32    k4mdidx<>(SB), Z24
	VPERMPS      Z14, Z24, Z28

	// scales and mins (llama.cpp's utmp/kmask unpacking, per lane: the
	// row's 12 bytes as dwords u0, u1, u2): sc0-3 = u0 & 0x3f, m0-3 = u1 &
	// 0x3f, sc4-7 = (u2 & 0xf) | ((u0 >> 6) & 3) << 4, m4-7 = ((u2 >> 4)
	// & 0xf) | ((u1 >> 6) & 3) << 4.
	LOAD4X16(4, X30, Z30)
	MOVL         $0x3f3f3f3f, AX
	VPBROADCASTD AX, Z24
	VPANDD       Z24, Z30, Z26
	VPSRLD       $6, Z30, Z31
	MOVL         $0x03030303, AX
	VPBROADCASTD AX, Z24
	VPANDD       Z24, Z31, Z31
	VPSLLD       $4, Z31, Z31
	VPSHUFD      $0xAA, Z30, Z29
	VPSRLVD      k4shift<>(SB), Z29, Z29
	VPANDD       Z15, Z29, Z29
	VPORD        Z31, Z29, Z29
	VPUNPCKLDQ   Z29, Z26, Z26
	VPSHUFB      k4mctl<>(SB), Z26, Z29

	K4SUB(0)
	K4SUB(1)
	K4SUB(2)
	K4SUB(3)
	END8(K4END)
	ADDQ         $144, SI
	ADDQ         $2304, DI
	DECQ         CX
	JNZ          k4loop

	STORE8OUT(out+32)
	RET

// k6sctl: 16 VPSHUFB controls, 64 bytes each: control j puts byte j
// (scale j) of each lane in the high byte of its 8 words (VPSRAW $8 then
// sign-extends it).
DATA k6sctl<>+0(SB)/8, $0x0080008000800080
DATA k6sctl<>+8(SB)/8, $0x0080008000800080
DATA k6sctl<>+16(SB)/8, $0x0080008000800080
DATA k6sctl<>+24(SB)/8, $0x0080008000800080
DATA k6sctl<>+32(SB)/8, $0x0080008000800080
DATA k6sctl<>+40(SB)/8, $0x0080008000800080
DATA k6sctl<>+48(SB)/8, $0x0080008000800080
DATA k6sctl<>+56(SB)/8, $0x0080008000800080
DATA k6sctl<>+64(SB)/8, $0x0180018001800180
DATA k6sctl<>+72(SB)/8, $0x0180018001800180
DATA k6sctl<>+80(SB)/8, $0x0180018001800180
DATA k6sctl<>+88(SB)/8, $0x0180018001800180
DATA k6sctl<>+96(SB)/8, $0x0180018001800180
DATA k6sctl<>+104(SB)/8, $0x0180018001800180
DATA k6sctl<>+112(SB)/8, $0x0180018001800180
DATA k6sctl<>+120(SB)/8, $0x0180018001800180
DATA k6sctl<>+128(SB)/8, $0x0280028002800280
DATA k6sctl<>+136(SB)/8, $0x0280028002800280
DATA k6sctl<>+144(SB)/8, $0x0280028002800280
DATA k6sctl<>+152(SB)/8, $0x0280028002800280
DATA k6sctl<>+160(SB)/8, $0x0280028002800280
DATA k6sctl<>+168(SB)/8, $0x0280028002800280
DATA k6sctl<>+176(SB)/8, $0x0280028002800280
DATA k6sctl<>+184(SB)/8, $0x0280028002800280
DATA k6sctl<>+192(SB)/8, $0x0380038003800380
DATA k6sctl<>+200(SB)/8, $0x0380038003800380
DATA k6sctl<>+208(SB)/8, $0x0380038003800380
DATA k6sctl<>+216(SB)/8, $0x0380038003800380
DATA k6sctl<>+224(SB)/8, $0x0380038003800380
DATA k6sctl<>+232(SB)/8, $0x0380038003800380
DATA k6sctl<>+240(SB)/8, $0x0380038003800380
DATA k6sctl<>+248(SB)/8, $0x0380038003800380
DATA k6sctl<>+256(SB)/8, $0x0480048004800480
DATA k6sctl<>+264(SB)/8, $0x0480048004800480
DATA k6sctl<>+272(SB)/8, $0x0480048004800480
DATA k6sctl<>+280(SB)/8, $0x0480048004800480
DATA k6sctl<>+288(SB)/8, $0x0480048004800480
DATA k6sctl<>+296(SB)/8, $0x0480048004800480
DATA k6sctl<>+304(SB)/8, $0x0480048004800480
DATA k6sctl<>+312(SB)/8, $0x0480048004800480
DATA k6sctl<>+320(SB)/8, $0x0580058005800580
DATA k6sctl<>+328(SB)/8, $0x0580058005800580
DATA k6sctl<>+336(SB)/8, $0x0580058005800580
DATA k6sctl<>+344(SB)/8, $0x0580058005800580
DATA k6sctl<>+352(SB)/8, $0x0580058005800580
DATA k6sctl<>+360(SB)/8, $0x0580058005800580
DATA k6sctl<>+368(SB)/8, $0x0580058005800580
DATA k6sctl<>+376(SB)/8, $0x0580058005800580
DATA k6sctl<>+384(SB)/8, $0x0680068006800680
DATA k6sctl<>+392(SB)/8, $0x0680068006800680
DATA k6sctl<>+400(SB)/8, $0x0680068006800680
DATA k6sctl<>+408(SB)/8, $0x0680068006800680
DATA k6sctl<>+416(SB)/8, $0x0680068006800680
DATA k6sctl<>+424(SB)/8, $0x0680068006800680
DATA k6sctl<>+432(SB)/8, $0x0680068006800680
DATA k6sctl<>+440(SB)/8, $0x0680068006800680
DATA k6sctl<>+448(SB)/8, $0x0780078007800780
DATA k6sctl<>+456(SB)/8, $0x0780078007800780
DATA k6sctl<>+464(SB)/8, $0x0780078007800780
DATA k6sctl<>+472(SB)/8, $0x0780078007800780
DATA k6sctl<>+480(SB)/8, $0x0780078007800780
DATA k6sctl<>+488(SB)/8, $0x0780078007800780
DATA k6sctl<>+496(SB)/8, $0x0780078007800780
DATA k6sctl<>+504(SB)/8, $0x0780078007800780
DATA k6sctl<>+512(SB)/8, $0x0880088008800880
DATA k6sctl<>+520(SB)/8, $0x0880088008800880
DATA k6sctl<>+528(SB)/8, $0x0880088008800880
DATA k6sctl<>+536(SB)/8, $0x0880088008800880
DATA k6sctl<>+544(SB)/8, $0x0880088008800880
DATA k6sctl<>+552(SB)/8, $0x0880088008800880
DATA k6sctl<>+560(SB)/8, $0x0880088008800880
DATA k6sctl<>+568(SB)/8, $0x0880088008800880
DATA k6sctl<>+576(SB)/8, $0x0980098009800980
DATA k6sctl<>+584(SB)/8, $0x0980098009800980
DATA k6sctl<>+592(SB)/8, $0x0980098009800980
DATA k6sctl<>+600(SB)/8, $0x0980098009800980
DATA k6sctl<>+608(SB)/8, $0x0980098009800980
DATA k6sctl<>+616(SB)/8, $0x0980098009800980
DATA k6sctl<>+624(SB)/8, $0x0980098009800980
DATA k6sctl<>+632(SB)/8, $0x0980098009800980
DATA k6sctl<>+640(SB)/8, $0x0a800a800a800a80
DATA k6sctl<>+648(SB)/8, $0x0a800a800a800a80
DATA k6sctl<>+656(SB)/8, $0x0a800a800a800a80
DATA k6sctl<>+664(SB)/8, $0x0a800a800a800a80
DATA k6sctl<>+672(SB)/8, $0x0a800a800a800a80
DATA k6sctl<>+680(SB)/8, $0x0a800a800a800a80
DATA k6sctl<>+688(SB)/8, $0x0a800a800a800a80
DATA k6sctl<>+696(SB)/8, $0x0a800a800a800a80
DATA k6sctl<>+704(SB)/8, $0x0b800b800b800b80
DATA k6sctl<>+712(SB)/8, $0x0b800b800b800b80
DATA k6sctl<>+720(SB)/8, $0x0b800b800b800b80
DATA k6sctl<>+728(SB)/8, $0x0b800b800b800b80
DATA k6sctl<>+736(SB)/8, $0x0b800b800b800b80
DATA k6sctl<>+744(SB)/8, $0x0b800b800b800b80
DATA k6sctl<>+752(SB)/8, $0x0b800b800b800b80
DATA k6sctl<>+760(SB)/8, $0x0b800b800b800b80
DATA k6sctl<>+768(SB)/8, $0x0c800c800c800c80
DATA k6sctl<>+776(SB)/8, $0x0c800c800c800c80
DATA k6sctl<>+784(SB)/8, $0x0c800c800c800c80
DATA k6sctl<>+792(SB)/8, $0x0c800c800c800c80
DATA k6sctl<>+800(SB)/8, $0x0c800c800c800c80
DATA k6sctl<>+808(SB)/8, $0x0c800c800c800c80
DATA k6sctl<>+816(SB)/8, $0x0c800c800c800c80
DATA k6sctl<>+824(SB)/8, $0x0c800c800c800c80
DATA k6sctl<>+832(SB)/8, $0x0d800d800d800d80
DATA k6sctl<>+840(SB)/8, $0x0d800d800d800d80
DATA k6sctl<>+848(SB)/8, $0x0d800d800d800d80
DATA k6sctl<>+856(SB)/8, $0x0d800d800d800d80
DATA k6sctl<>+864(SB)/8, $0x0d800d800d800d80
DATA k6sctl<>+872(SB)/8, $0x0d800d800d800d80
DATA k6sctl<>+880(SB)/8, $0x0d800d800d800d80
DATA k6sctl<>+888(SB)/8, $0x0d800d800d800d80
DATA k6sctl<>+896(SB)/8, $0x0e800e800e800e80
DATA k6sctl<>+904(SB)/8, $0x0e800e800e800e80
DATA k6sctl<>+912(SB)/8, $0x0e800e800e800e80
DATA k6sctl<>+920(SB)/8, $0x0e800e800e800e80
DATA k6sctl<>+928(SB)/8, $0x0e800e800e800e80
DATA k6sctl<>+936(SB)/8, $0x0e800e800e800e80
DATA k6sctl<>+944(SB)/8, $0x0e800e800e800e80
DATA k6sctl<>+952(SB)/8, $0x0e800e800e800e80
DATA k6sctl<>+960(SB)/8, $0x0f800f800f800f80
DATA k6sctl<>+968(SB)/8, $0x0f800f800f800f80
DATA k6sctl<>+976(SB)/8, $0x0f800f800f800f80
DATA k6sctl<>+984(SB)/8, $0x0f800f800f800f80
DATA k6sctl<>+992(SB)/8, $0x0f800f800f800f80
DATA k6sctl<>+1000(SB)/8, $0x0f800f800f800f80
DATA k6sctl<>+1008(SB)/8, $0x0f800f800f800f80
DATA k6sctl<>+1016(SB)/8, $0x0f800f800f800f80
GLOBL k6sctl<>(SB), RODATA|NOPTR, $1024

// k6cctl: VPSHUFB controls putting bytes 0..7 (k6cctl) and 8..15
// (+64) of each lane in the high bytes of its words.
DATA k6cctl<>+0(SB)/8, $0x0380028001800080
DATA k6cctl<>+8(SB)/8, $0x0780068005800480
DATA k6cctl<>+16(SB)/8, $0x0380028001800080
DATA k6cctl<>+24(SB)/8, $0x0780068005800480
DATA k6cctl<>+32(SB)/8, $0x0380028001800080
DATA k6cctl<>+40(SB)/8, $0x0780068005800480
DATA k6cctl<>+48(SB)/8, $0x0380028001800080
DATA k6cctl<>+56(SB)/8, $0x0780068005800480
DATA k6cctl<>+64(SB)/8, $0x0b800a8009800880
DATA k6cctl<>+72(SB)/8, $0x0f800e800d800c80
DATA k6cctl<>+80(SB)/8, $0x0b800a8009800880
DATA k6cctl<>+88(SB)/8, $0x0f800e800d800c80
DATA k6cctl<>+96(SB)/8, $0x0b800a8009800880
DATA k6cctl<>+104(SB)/8, $0x0f800e800d800c80
DATA k6cctl<>+112(SB)/8, $0x0b800a8009800880
DATA k6cctl<>+120(SB)/8, $0x0f800e800d800c80
GLOBL k6cctl<>(SB), RODATA|NOPTR, $128

// k6m30: 0x30 bytes (the high bit pair's place in a level).
DATA k6m30<>+0(SB)/4, $0x30303030
GLOBL k6m30<>(SB), RODATA|NOPTR, $4


// K6ROW adds activation row r's four 16-element groups at element e,
// e+32, e+64, e+96 (record at r*304(DI)) to iacc: the unsigned weight
// levels (Z8..Z11) times the broadcast activation levels in int16 pairs
// (VPMADDUBSW), times the sub-block scales (Z12, Z13, Z28, Z29) summed to
// int32 (VPDPWSSD).
#define K6ROW(r, e, iacc) \
	VBROADCASTI32X4 (r*304+e)(DI), Z14      \
	VPMADDUBSW      Z14, Z8, Z25           \
	VPDPWSSD        Z12, Z25, iacc         \
	VBROADCASTI32X4 (r*304+e+32)(DI), Z24   \
	VPMADDUBSW      Z24, Z9, Z30           \
	VPDPWSSD        Z13, Z30, iacc         \
	VBROADCASTI32X4 (r*304+e+64)(DI), Z14   \
	VPMADDUBSW      Z14, Z10, Z25          \
	VPDPWSSD        Z28, Z25, iacc         \
	VBROADCASTI32X4 (r*304+e+96)(DI), Z24   \
	VPMADDUBSW      Z24, Z11, Z30          \
	VPDPWSSD        Z29, Z30, iacc

// K6SCALE sets dst to sub-block j's scale, sign-extended, in every word of
// each row's lane (Z26: the rows' 16 int8 scales).
#define K6SCALE(j, dst) \
	VPSHUFB k6sctl<>+(64*j)(SB), Z26, dst \
	VPSRAW  $8, dst, dst

// K6GROUP does elements e + 0..15, +32, +64, +96 (e = 128h + l0, l0 = 0 or
// 16: ql bytes 64h+l0 (A) and 64h+32+l0 (B), qh bytes 128+32h+l0 (H)) for
// the 8 activation rows: levels (A & 15 | (H & 3) << 4), (B & 15 | (H >> 2
// & 3) << 4), (A >> 4 | (H >> 4 & 3) << 4), (B >> 4 | (H >> 6) << 4); the
// sub-blocks e/16, +2, +4, +6.
#define K6GROUP(h, l0) \
	LOAD4X16((64*h+l0), X8, Z8)            \
	LOAD4X16((64*h+32+l0), X9, Z9)         \
	LOAD4X16((128+32*h+l0), X31, Z31)      \
	VPSRLW       $4, Z8, Z10               \
	VPSRLW       $4, Z9, Z11               \
	VPANDD       Z15, Z8, Z8               \
	VPANDD       Z15, Z9, Z9               \
	VPANDD       Z15, Z10, Z10             \
	VPANDD       Z15, Z11, Z11             \
	VPSLLW       $4, Z31, Z12              \
	VPANDD.BCST  k6m30<>(SB), Z12, Z12     \
	VPORD        Z12, Z8, Z8               \
	VPSLLW       $2, Z31, Z12              \
	VPANDD.BCST  k6m30<>(SB), Z12, Z12     \
	VPORD        Z12, Z9, Z9               \
	VPANDD.BCST  k6m30<>(SB), Z31, Z12     \
	VPORD        Z12, Z10, Z10             \
	VPSRLW       $2, Z31, Z12              \
	VPANDD.BCST  k6m30<>(SB), Z12, Z12     \
	VPORD        Z12, Z11, Z11             \
	K6SCALE((8*h+l0/16), Z12)              \
	K6SCALE((8*h+l0/16+2), Z13)            \
	K6SCALE((8*h+l0/16+4), Z28)            \
	K6SCALE((8*h+l0/16+6), Z29)            \
	ROW8(K6ROW, (128*h+l0))

// K6END closes the block for activation row r: iacc += sum_j (-32 sc_j) *
// bsums_j (Z8, Z9: -32 sc_j as words, j = 0..7 and 8..15), facc +=
// d_w*d_a*iacc, iacc = 0.
#define K6END(r, iacc, facc) \
	VBROADCASTI32X4 (r*304+256)(DI), Z14     \
	VPDPWSSD        Z8, Z14, iacc            \
	VBROADCASTI32X4 (r*304+272)(DI), Z24     \
	VPDPWSSD        Z9, Z24, iacc            \
	VCVTDQ2PS       iacc, iacc               \
	VMULPS.BCST     (r*304+288)(DI), Z27, Z25 \
	VFMADD231PS     Z25, iacc, facc          \
	VPXORD          iacc, iacc, iacc

// func k6TileVNNI(w *byte, rb int, a *byte, nb int, out *[128]float32)
// Q6_K: 4 weight rows (w + r*rb, nb blocks of 210 bytes: 128 bytes of low
// nibbles, 64 of high bit pairs, 16 int8 scales, f16 d; levels stored as
// q+32) times the 8 activation rows of a tile (nb groups of 8 records of
// 304 bytes: 256 levels, 16 int16 sums of 16 levels, float32 d). Z0..Z7:
// float sums per activation row; Z16..Z23: the block's int32 sums; Z26:
// per lane the row's 16 scales; Z27: d per lane.
TEXT ·k6TileVNNI(SB), NOSPLIT, $0-40
	KSETUP

k6loop:
	PREFETCH9
	PREFETCHT0   576(R13)
	PREFETCHT0   640(R13)
	PREFETCHT0   704(R13)
	PREFETCHT0   768(R13)
	PREFETCHT0   832(R13)
	ADDQ         $840, R13

	// d of the 4 rows, spread over their lanes
	MOVWLZX      208(SI), AX
	MOVWLZX      208(SI)(R8*1), BX
	SHLL         $16, BX
	ORL          BX, AX
	MOVWLZX      208(SI)(R8*2), BX
	MOVWLZX      208(SI)(R9*1), R12
	SHLL         $16, R12
	ORL          R12, BX
	SHLQ         $32, BX
	ORQ          BX, AX
	VMOVQ        AX, X14
	VCVTPH2PS    X14, X14
	VMOVDQU32    ·tileperm(SB), Z24
	VPERMD       Z14, Z24, Z27
	LOAD4X16(192, X26, Z26)

	K6GROUP(0, 0)
	K6GROUP(0, 16)
	K6GROUP(1, 0)
	K6GROUP(1, 16)

	// -32 * scales as words for the bsums terms
	VPSHUFB      k6cctl<>(SB), Z26, Z8
	VPSRAW       $8, Z8, Z8
	VPSLLW       $5, Z8, Z8
	VPXORD       Z14, Z14, Z14
	VPSUBW       Z8, Z14, Z8
	VPSHUFB      k6cctl<>+64(SB), Z26, Z9
	VPSRAW       $8, Z9, Z9
	VPSLLW       $5, Z9, Z9
	VPSUBW       Z9, Z14, Z9
	END8(K6END)
	ADDQ         $210, SI
	ADDQ         $2432, DI
	DECQ         CX
	JNZ          k6loop

	STORE8OUT(out+32)
	RET
