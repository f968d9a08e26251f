//go:build amd64 && !purego

#include "textflag.h"

// Each constant is broadcast to 8 lanes (32 bytes): log2e, magic, c1, c2, p0, p1, p2, p3, p4, p5, one, lo, hi, bias, inf, zero.
DATA expc<>+0(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA expc<>+8(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA expc<>+16(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA expc<>+24(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA expc<>+32(SB)/8, $0x4b4000004b400000
DATA expc<>+40(SB)/8, $0x4b4000004b400000
DATA expc<>+48(SB)/8, $0x4b4000004b400000
DATA expc<>+56(SB)/8, $0x4b4000004b400000
DATA expc<>+64(SB)/8, $0x3f3180003f318000
DATA expc<>+72(SB)/8, $0x3f3180003f318000
DATA expc<>+80(SB)/8, $0x3f3180003f318000
DATA expc<>+88(SB)/8, $0x3f3180003f318000
DATA expc<>+96(SB)/8, $0xb95e8083b95e8083
DATA expc<>+104(SB)/8, $0xb95e8083b95e8083
DATA expc<>+112(SB)/8, $0xb95e8083b95e8083
DATA expc<>+120(SB)/8, $0xb95e8083b95e8083
DATA expc<>+128(SB)/8, $0x3950696739506967
DATA expc<>+136(SB)/8, $0x3950696739506967
DATA expc<>+144(SB)/8, $0x3950696739506967
DATA expc<>+152(SB)/8, $0x3950696739506967
DATA expc<>+160(SB)/8, $0x3ab743ce3ab743ce
DATA expc<>+168(SB)/8, $0x3ab743ce3ab743ce
DATA expc<>+176(SB)/8, $0x3ab743ce3ab743ce
DATA expc<>+184(SB)/8, $0x3ab743ce3ab743ce
DATA expc<>+192(SB)/8, $0x3c0889083c088908
DATA expc<>+200(SB)/8, $0x3c0889083c088908
DATA expc<>+208(SB)/8, $0x3c0889083c088908
DATA expc<>+216(SB)/8, $0x3c0889083c088908
DATA expc<>+224(SB)/8, $0x3d2aa9c13d2aa9c1
DATA expc<>+232(SB)/8, $0x3d2aa9c13d2aa9c1
DATA expc<>+240(SB)/8, $0x3d2aa9c13d2aa9c1
DATA expc<>+248(SB)/8, $0x3d2aa9c13d2aa9c1
DATA expc<>+256(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA expc<>+264(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA expc<>+272(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA expc<>+280(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA expc<>+288(SB)/8, $0x3f0000003f000000
DATA expc<>+296(SB)/8, $0x3f0000003f000000
DATA expc<>+304(SB)/8, $0x3f0000003f000000
DATA expc<>+312(SB)/8, $0x3f0000003f000000
DATA expc<>+320(SB)/8, $0x3f8000003f800000
DATA expc<>+328(SB)/8, $0x3f8000003f800000
DATA expc<>+336(SB)/8, $0x3f8000003f800000
DATA expc<>+344(SB)/8, $0x3f8000003f800000
DATA expc<>+352(SB)/8, $0xc2ae0000c2ae0000
DATA expc<>+360(SB)/8, $0xc2ae0000c2ae0000
DATA expc<>+368(SB)/8, $0xc2ae0000c2ae0000
DATA expc<>+376(SB)/8, $0xc2ae0000c2ae0000
DATA expc<>+384(SB)/8, $0x42b0000042b00000
DATA expc<>+392(SB)/8, $0x42b0000042b00000
DATA expc<>+400(SB)/8, $0x42b0000042b00000
DATA expc<>+408(SB)/8, $0x42b0000042b00000
DATA expc<>+416(SB)/8, $0x4b3fff814b3fff81
DATA expc<>+424(SB)/8, $0x4b3fff814b3fff81
DATA expc<>+432(SB)/8, $0x4b3fff814b3fff81
DATA expc<>+440(SB)/8, $0x4b3fff814b3fff81
DATA expc<>+448(SB)/8, $0x7f8000007f800000
DATA expc<>+456(SB)/8, $0x7f8000007f800000
DATA expc<>+464(SB)/8, $0x7f8000007f800000
DATA expc<>+472(SB)/8, $0x7f8000007f800000
DATA expc<>+480(SB)/8, $0x0000000000000000
DATA expc<>+488(SB)/8, $0x0000000000000000
DATA expc<>+496(SB)/8, $0x0000000000000000
DATA expc<>+504(SB)/8, $0x0000000000000000
GLOBL expc<>(SB), RODATA|NOPTR, $512

// EXPSETUP loads the constants (AX: expc) into Y4..Y11 (EXP8 reads the
// last two polynomial coefficients from memory, leaving Y12 and Y13 to
// the callers).
#define EXPSETUP \
	LEAQ    expc<>(SB), AX \
	VMOVUPS 0(AX), Y4      \
	VMOVUPS 32(AX), Y5     \
	VMOVUPS 64(AX), Y6     \
	VMOVUPS 96(AX), Y7     \
	VMOVUPS 128(AX), Y8    \
	VMOVUPS 160(AX), Y9    \
	VMOVUPS 192(AX), Y10   \
	VMOVUPS 224(AX), Y11

// EXP8 computes Y2 = e^Y0 on 8 lanes (Y1, Y3, Y14, Y15 scratch).
#define EXP8 \
	VMOVAPS      Y5, Y1                \
	VFMADD231PS  Y0, Y4, Y1            \
	VSUBPS       Y5, Y1, Y2            \
	VMOVAPS      Y0, Y3                \
	VFNMADD231PS Y2, Y6, Y3            \
	VFNMADD231PS Y2, Y7, Y3            \
	VMOVAPS      Y8, Y2                \
	VFMADD213PS  Y9, Y3, Y2            \
	VFMADD213PS  Y10, Y3, Y2           \
	VFMADD213PS  Y11, Y3, Y2           \
	VFMADD213PS  256(AX), Y3, Y2       \
	VFMADD213PS  288(AX), Y3, Y2       \
	VMULPS       Y3, Y3, Y14           \
	VFMADD213PS  Y3, Y14, Y2           \
	VADDPS       320(AX), Y2, Y2       \
	VPSUBD       416(AX), Y1, Y1       \
	VPSLLD       $23, Y1, Y1           \
	VMULPS       Y1, Y2, Y2            \
	VCMPPS       $1, 352(AX), Y0, Y15  \
	VBLENDVPS    Y15, 480(AX), Y2, Y2  \
	VCMPPS       $0x1e, 384(AX), Y0, Y15 \
	VBLENDVPS    Y15, 448(AX), Y2, Y2  \
	VCMPPS       $3, Y0, Y0, Y15       \
	VBLENDVPS    Y15, Y0, Y2, Y2

// func expAVX2(dst, src *float32, n int)
// for i := range n { dst[i] = e^src[i] }; n%8 == 0. The algorithm of expf
// (expf.go) on 8 lanes with FMA (EXP8): t = x log2e + 1.5*2^23, n = t -
// 1.5*2^23, r = x - n ln2 (in two parts), e^r by the degree-6 polynomial,
// times 2^n built from t's low mantissa bits. Lanes with x < -87 give 0,
// x > 88 +Inf, NaN stays NaN.
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPSETUP

loop:
	CMPQ    CX, $8
	JLT     done
	VMOVUPS (SI), Y0
	EXP8
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     loop

done:
	VZEROUPPER
	RET

// func expSubSumAVX2(dst, src *float32, n int, m float32) float32
// dst[i] = e^(src[i]-m) as expAVX2 does, n%8 == 0; returns their sum,
// added in 8 float32 lanes and then across them.
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-36
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Y12
	VXORPS       Y13, Y13, Y13
	EXPSETUP

sloop:
	CMPQ    CX, $8
	JLT     sdone
	VMOVUPS (SI), Y0
	VSUBPS  Y12, Y0, Y0
	EXP8
	VMOVUPS Y2, (DI)
	VADDPS  Y2, Y13, Y13
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     sloop

sdone:
	VEXTRACTF128 $1, Y13, X0
	VADDPS       X0, X13, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET

// func maxAVX2(dst *[8]float32, x *float32, n int)
// dst[l] = max over i%8 == l of x[i] (dst starts at -Inf); n%16 == 0, n > 0.
TEXT ·maxAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS (DI), Y0
	VMOVAPS Y0, Y1

maxloop:
	VMAXPS (SI), Y0, Y0
	VMAXPS 32(SI), Y1, Y1
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ  maxloop
	VMAXPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET
