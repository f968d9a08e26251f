// Macros shared by the tile and panel kernels (tile_k_amd64.s,
// panel_amd64.s, panel_k_amd64.s).

// ZERO8 clears eight registers.
#define ZERO8(a, b, c, d, e, f, g, h) \
	VPXORD a, a, a \
	VPXORD b, b, b \
	VPXORD c, c, c \
	VPXORD d, d, d \
	VPXORD e, e, e \
	VPXORD f, f, f \
	VPXORD g, g, g \
	VPXORD h, h, h

// STORE8OUT stores Z0..Z7 (8 x 16 floats) to the out argument at off (as
// out+40(FP) is written: STORE8OUT(out+40)).
#define STORE8OUT(off) \
	MOVQ    off(FP), AX \
	VMOVUPS Z0, (AX)    \
	VMOVUPS Z1, 64(AX)  \
	VMOVUPS Z2, 128(AX) \
	VMOVUPS Z3, 192(AX) \
	VMOVUPS Z4, 256(AX) \
	VMOVUPS Z5, 320(AX) \
	VMOVUPS Z6, 384(AX) \
	VMOVUPS Z7, 448(AX) \
	VZEROUPPER

// LOAD4X16 loads 16 bytes at off of each of the 4 weight rows (SI + r*R8,
// R9 = 3*R8) into the 128-bit lanes of Z (X its low lane).
#define LOAD4X16(off, X, Z) \
	VMOVDQU32    off(SI), X               \
	VINSERTI32X4 $1, off(SI)(R8*1), Z, Z  \
	VINSERTI32X4 $2, off(SI)(R8*2), Z, Z  \
	VINSERTI32X4 $3, off(SI)(R9*1), Z, Z

// ACTROWS8 points DI, R8..R13 and AX at 8 activation rows: the first at
// the argument a, one every astride bytes (DX = astride).
#define ACTROWS8(a, astride) \
	MOVQ a, DI                \
	MOVQ astride, DX          \
	LEAQ (DI)(DX*1), R8       \
	LEAQ (R8)(DX*1), R9       \
	LEAQ (R9)(DX*1), R10      \
	LEAQ (R10)(DX*1), R11     \
	LEAQ (R11)(DX*1), R12     \
	LEAQ (R12)(DX*1), R13     \
	LEAQ (R13)(DX*1), AX
