//go:build amd64 && !purego

#include "textflag.h"
#include "panel_amd64.h"

// The panel kernel of PanelDot (panel.go, panel_amd64.go): one panel of 16
// weight rows x 8 activation rows (or 1) per call, one 32-element block
// per iteration. Z8..Z15 hold the block's levels in 8 steps of 4
// elements, one weight row per int32 lane (step s in Z(8+s)); activation
// row i's four levels of step s are broadcast from its record (offset 4s)
// by VPDPBUSD itself, which adds the 4 products to each lane. Each row's
// integer sum starts at the record's offset correction c (tile.go), is converted to float once per block and
// multiplied by the 16 weight scales (Z16) times the row's scale (from the
// record) into Z0..Z7. DI, R8..R13 and AX point at the 8 activation rows'
// records, SI at the panel's levels, BX at its scales, CX counts blocks.

// PROW adds activation row R's block to the row's 16 sums f (acc and t
// scratch).
#define PROW(R, acc, t, f) \
	VPBROADCASTD  36(R), acc      \
	DP4(R, 0, Z8, Z9, Z10, Z11, acc)   \
	DP4(R, 16, Z12, Z13, Z14, Z15, acc) \
	VCVTDQ2PS     acc, acc        \
	VMULPS.BCST   32(R), Z16, t   \
	VFMADD231PS   t, acc, f

// Q4STEPS unpacks a Q4_0 block (4 vectors of nibbles, Z31: 0x0F bytes):
// low nibbles are steps 0..3, high nibbles steps 4..7.
#define Q4STEPS \
	VPANDD (SI), Z31, Z8    \
	VPSRLW $4, (SI), Z12    \
	VPANDD Z31, Z12, Z12    \
	VPANDD 64(SI), Z31, Z9  \
	VPSRLW $4, 64(SI), Z13  \
	VPANDD Z31, Z13, Z13    \
	VPANDD 128(SI), Z31, Z10 \
	VPSRLW $4, 128(SI), Z14 \
	VPANDD Z31, Z14, Z14    \
	VPANDD 192(SI), Z31, Z11 \
	VPSRLW $4, 192(SI), Z15 \
	VPANDD Z31, Z15, Z15

// Q8STEPS loads a Q8_0 block (8 vectors of unsigned levels).
#define Q8STEPS \
	VMOVDQU32 (SI), Z8     \
	VMOVDQU32 64(SI), Z9   \
	VMOVDQU32 128(SI), Z10 \
	VMOVDQU32 192(SI), Z11 \
	VMOVDQU32 256(SI), Z12 \
	VMOVDQU32 320(SI), Z13 \
	VMOVDQU32 384(SI), Z14 \
	VMOVDQU32 448(SI), Z15

// Q4AHEAD and Q8AHEAD prefetch the levels 16 and 4 blocks ahead (4 KiB,
// 2 KiB) for the one-row loop, which reads each byte once (the 8-row loop
// reuses a panel for every group of activation rows). One thread, a 38 MB
// Q4_0 matrix times one row, 2026-12-02: 17-21 GB/s without, 24-26 with
// 4 KiB (2 KiB: 15-18, 8 KiB: 22-24); Q8_0 with 2 KiB 35 GB/s, about what
// a plain read of the matrix reaches (38-41).
#define Q4AHEAD \
	PREFETCHT0 4096(SI) \
	PREFETCHT0 4160(SI) \
	PREFETCHT0 4224(SI) \
	PREFETCHT0 4288(SI)

#define Q8AHEAD \
	PREFETCHT0 2048(SI) \
	PREFETCHT0 2112(SI) \
	PREFETCHT0 2176(SI) \
	PREFETCHT0 2240(SI) \
	PREFETCHT0 2304(SI) \
	PREFETCHT0 2368(SI) \
	PREFETCHT0 2432(SI) \
	PREFETCHT0 2496(SI)

// PANEL8 and PANEL1 are the loops for 8 and 1 activation rows, for
// weights of quantBytes level bytes per block.
#define PANEL8(label, steps, quantBytes) \
label:                             \
	VCVTPH2PS (BX), Z16            \
	steps                          \
	PROW(DI, Z17, Z25, Z0)         \
	PROW(R8, Z18, Z26, Z1)         \
	PROW(R9, Z19, Z27, Z2)         \
	PROW(R10, Z20, Z28, Z3)        \
	PROW(R11, Z21, Z25, Z4)        \
	PROW(R12, Z22, Z26, Z5)        \
	PROW(R13, Z23, Z27, Z6)        \
	PROW(AX, Z24, Z28, Z7)         \
	ADDQ $quantBytes, SI           \
	ADDQ $32, BX                   \
	ADDQ $40, DI                   \
	ADDQ $40, R8                   \
	ADDQ $40, R9                   \
	ADDQ $40, R10                  \
	ADDQ $40, R11                  \
	ADDQ $40, R12                  \
	ADDQ $40, R13                  \
	ADDQ $40, AX                   \
	DECQ CX                        \
	JNZ  label                     \
	MOVQ    out+40(FP), DX         \
	MOVQ    ldo+48(FP), CX         \
	SHLQ    $2, CX                 \
	VMOVUPS Z0, (DX)               \
	ADDQ    CX, DX                 \
	VMOVUPS Z1, (DX)               \
	ADDQ    CX, DX                 \
	VMOVUPS Z2, (DX)               \
	ADDQ    CX, DX                 \
	VMOVUPS Z3, (DX)               \
	ADDQ    CX, DX                 \
	VMOVUPS Z4, (DX)               \
	ADDQ    CX, DX                 \
	VMOVUPS Z5, (DX)               \
	ADDQ    CX, DX                 \
	VMOVUPS Z6, (DX)               \
	ADDQ    CX, DX                 \
	VMOVUPS Z7, (DX)               \
	VZEROUPPER                     \
	RET

#define PANEL1(label, steps, quantBytes, prefetch) \
label:                             \
	prefetch                       \
	VCVTPH2PS (BX), Z16            \
	steps                          \
	PROW(DI, Z17, Z25, Z0)         \
	ADDQ $quantBytes, SI           \
	ADDQ $32, BX                   \
	ADDQ $40, DI                   \
	DECQ CX                        \
	JNZ  label                     \
	MOVQ    out+40(FP), DX         \
	VMOVUPS Z0, (DX)               \
	VZEROUPPER                     \
	RET

// func panelVNNI(w *byte, s *byte, a *byte, astride int, nb int, out *float32, ldo int, q4 bool, one bool)
TEXT ·panelVNNI(SB), NOSPLIT, $0-58
	MOVL         $0x0F0F0F0F, AX
	VPBROADCASTD AX, Z31
	MOVQ         w+0(FP), SI
	MOVQ         s+8(FP), BX
	ACTROWS8(a+16(FP), astride+24(FP))
	MOVQ         nb+32(FP), CX
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	CMPB         one+57(FP), $0
	JNE          one
	CMPB         q4+56(FP), $0
	JNE          q4eight
	PANEL8(q8eight, Q8STEPS, 512)

q4eight:
	PANEL8(q4loop8, Q4STEPS, 256)

one:
	CMPB q4+56(FP), $0
	JNE  q4one
	PANEL1(q8loop1, Q8STEPS, 512, Q8AHEAD)

q4one:
	PANEL1(q4loop1, Q4STEPS, 256, Q4AHEAD)
