// Macros shared by the panel kernels (panel_amd64.s, panel_k_amd64.s).

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

// DP4 adds to each int32 lane of acc the products of its 4 unsigned weight
// bytes in w0..w3 (4 steps) with activation row R's 4 levels of each step
// at off(R), off+4(R), ... broadcast by VPDPBUSD itself.
#define DP4(R, off, w0, w1, w2, w3, acc) \
	VPDPBUSD.BCST (off)(R), w0, acc    \
	VPDPBUSD.BCST (off+4)(R), w1, acc  \
	VPDPBUSD.BCST (off+8)(R), w2, acc  \
	VPDPBUSD.BCST (off+12)(R), w3, acc
