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

// The Q6_K tile kernel of IntDotRows (tile.go, tile_amd64.go): 4 Q6_K
// weight rows x 8 Q8_K activation rows per call, one 256-element
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

// ROW8 runs ROW (K6ROW) with x for the 8 activation rows, into
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

// END8 closes the block for the 8 activation rows with END (K6END): int32 sums Z16..Z23, float sums Z0..Z7.
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
