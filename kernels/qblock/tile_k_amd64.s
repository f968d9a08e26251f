//go:build amd64 && !purego

#include "textflag.h"
#include "tile_amd64.h"

// The k-quant tile kernel of IntDotRows (tile.go, tile_amd64.go): 4 Q4_K
// weight rows x 8 Q8_K activation rows per call, one 256-element block
// per iteration, the weight rows in the 128-bit lanes as in tile_amd64.s.

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
	K4ROW(0, i, Z16)                              \
	K4ROW(1, i, Z17)                              \
	K4ROW(2, i, Z18)                              \
	K4ROW(3, i, Z19)                              \
	K4ROW(4, i, Z20)                              \
	K4ROW(5, i, Z21)                              \
	K4ROW(6, i, Z22)                              \
	K4ROW(7, i, Z23)

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
	MOVQ         w+0(FP), SI
	MOVQ         rb+8(FP), R8
	LEAQ         (R8)(R8*2), R9
	MOVQ         a+16(FP), DI
	MOVQ         nb+24(FP), CX
	LEAQ         (SI)(R8*8), R13 // prefetch: the group of 4 rows after next
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ZERO8(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	MOVL         $0x0F0F0F0F, AX
	VPBROADCASTD AX, Z15

k4loop:
	PREFETCHT0   (R13)
	PREFETCHT0   64(R13)
	PREFETCHT0   128(R13)
	PREFETCHT0   192(R13)
	PREFETCHT0   256(R13)
	PREFETCHT0   320(R13)
	PREFETCHT0   384(R13)
	PREFETCHT0   448(R13)
	PREFETCHT0   512(R13)
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
	K4END(0, Z16, Z0)
	K4END(1, Z17, Z1)
	K4END(2, Z18, Z2)
	K4END(3, Z19, Z3)
	K4END(4, Z20, Z4)
	K4END(5, Z21, Z5)
	K4END(6, Z22, Z6)
	K4END(7, Z23, Z7)
	ADDQ         $144, SI
	ADDQ         $2304, DI
	DECQ         CX
	JNZ          k4loop

	STORE8OUT(out+32)
	RET
