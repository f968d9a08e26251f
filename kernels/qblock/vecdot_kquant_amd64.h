// Macros shared by vecdot_kquant_amd64.s and vecdot_vnni_amd64.s: the
// per-block header work of the k-quant dot products against Q8_K
// activations, and the kernels' prologue and epilogue.

// KBLOCKSCALES: Y4 = d_w*d_a, Y5 = dmin_w*d_a from the f16 pair at (SI)
// and the float32 at (DX).
#define KBLOCKSCALES \
	MOVL         (SI), AX   \
	VMOVD        AX, X3     \
	VCVTPH2PS    X3, X3     \
	VBROADCASTSS (DX), X4   \
	VMULPS       X4, X3, X3 \
	VBROADCASTSS X3, Y4     \
	VMOVSHDUP    X3, X5     \
	VBROADCASTSS X5, Y5

// KSCALESMINS unpacks the 12 bytes at 4(SI) (llama.cpp's utmp/kmask way):
// the eight 6-bit scales as int16 in both lanes of Y2, and adds
// dmin * sum_j m_j * (bsums[2j] + bsums[2j+1]) (bsums at BX) to Y1.
#define KSCALESMINS \
	MOVL         4(SI), R8             \
	MOVL         8(SI), R9             \
	MOVL         12(SI), R10           \
	MOVL         R10, R11              \
	SHRL         $4, R11               \
	ANDL         $0x0f0f0f0f, R11      \
	MOVL         R9, R12               \
	SHRL         $6, R12               \
	ANDL         $0x03030303, R12      \
	SHLL         $4, R12               \
	ORL          R12, R11              \
	MOVL         R9, R12               \
	ANDL         $0x3f3f3f3f, R12      \
	MOVL         R10, R13              \
	ANDL         $0x0f0f0f0f, R13      \
	MOVL         R8, AX                \
	SHRL         $6, AX                \
	ANDL         $0x03030303, AX       \
	SHLL         $4, AX                \
	ORL          AX, R13               \
	ANDL         $0x3f3f3f3f, R8       \
	VMOVD        R12, X6               \
	VPINSRD      $1, R11, X6, X6       \
	VPMOVZXBD    X6, Y6                \
	VMOVDQU      (BX), Y7              \
	VPHADDD      32(BX), Y7, Y7        \
	VPERMQ       $0xD8, Y7, Y7         \
	VPMULLD      Y6, Y7, Y7            \
	VCVTDQ2PS    Y7, Y7                \
	VFMADD231PS  Y5, Y7, Y1            \
	VMOVD        R8, X2                \
	VPINSRD      $1, R13, X2, X2       \
	VPMOVZXBW    X2, X2                \
	VINSERTI128  $1, X2, Y2, Y2

// KINIT: Y0 (sum d*sumi) = Y1 (sum dmin*summ) = 0, Y15 = 0x0F bytes.
#define KINIT \
	MOVQ         w+0(FP), SI       \
	MOVQ         a+8(FP), DI       \
	MOVQ         d+16(FP), DX      \
	MOVQ         bsums+24(FP), BX  \
	MOVQ         nblocks+32(FP), CX \
	VXORPS       Y0, Y0, Y0        \
	VXORPS       Y1, Y1, Y1        \
	MOVL         $0x0F0F0F0F, AX   \
	VMOVD        AX, X15           \
	VPBROADCASTD X15, Y15

// KDONE returns the sum of Y0's lanes less Y1's.
#define KDONE \
	VSUBPS       Y1, Y0, Y0   \
	VEXTRACTF128 $1, Y0, X1   \
	VADDPS       X1, X0, X0   \
	VHADDPS      X0, X0, X0   \
	VHADDPS      X0, X0, X0   \
	VMOVSS       X0, ret+40(FP) \
	VZEROUPPER                \
	RET

// Q6BLOCKHEAD starts a Q6_K block at (SI): X4 = d_w*d_a (d_a at (DX)), X2
// = the 16 int8 scales, Y12 = -32 * sum_j sc_j * bsums[j] (bsums at BX):
// the levels are stored as q+32.
#define Q6BLOCKHEAD \
	MOVWLZX   208(SI), AX     \
	VMOVD     AX, X3          \
	VCVTPH2PS X3, X3          \
	VMULSS    (DX), X3, X4    \
	VMOVDQU   192(SI), X2     \
	VPMOVSXBD X2, Y6          \
	VPSRLDQ   $8, X2, X7      \
	VPMOVSXBD X7, Y7          \
	VPMULLD   (BX), Y6, Y6    \
	VPMULLD   32(BX), Y7, Y7  \
	VPADDD    Y7, Y6, Y6      \
	VPSLLD    $5, Y6, Y6      \
	VPXOR     Y12, Y12, Y12   \
	VPSUBD    Y6, Y12, Y12
