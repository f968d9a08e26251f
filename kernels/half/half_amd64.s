//go:build amd64 && !purego

#include "textflag.h"

// func f16ToF32F16C(dst *float32, src *uint16, n int)
// for i := range n { dst[i] = WidenF16(src[i]) }; n%8 == 0.
TEXT ·f16ToF32F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

loop32:
	CMPQ CX, $32
	JLT  loop8
	VCVTPH2PS 0(SI), Y0
	VCVTPH2PS 16(SI), Y1
	VCVTPH2PS 32(SI), Y2
	VCVTPH2PS 48(SI), Y3
	VMOVUPS   Y0, 0(DI)
	VMOVUPS   Y1, 32(DI)
	VMOVUPS   Y2, 64(DI)
	VMOVUPS   Y3, 96(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       loop32

loop8:
	CMPQ      CX, $8
	JLT       done
	VCVTPH2PS (SI), Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       loop8

done:
	VZEROUPPER
	RET

// func f32ToF16F16C(dst *uint16, src *float32, n int)
// for i := range n { dst[i] = RoundF16(src[i]) }; n%8 == 0.
// imm8 = 0: round to nearest even, independent of MXCSR.
TEXT ·f32ToF16F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

loop32:
	CMPQ      CX, $32
	JLT       loop8
	VMOVUPS   0(SI), Y0
	VMOVUPS   32(SI), Y1
	VMOVUPS   64(SI), Y2
	VMOVUPS   96(SI), Y3
	VCVTPS2PH $0, Y0, 0(DI)
	VCVTPS2PH $0, Y1, 16(DI)
	VCVTPS2PH $0, Y2, 32(DI)
	VCVTPS2PH $0, Y3, 48(DI)
	ADDQ      $128, SI
	ADDQ      $64, DI
	SUBQ      $32, CX
	JMP       loop32

loop8:
	CMPQ      CX, $8
	JLT       done
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JMP       loop8

done:
	VZEROUPPER
	RET

// func bf16ToF32AVX2(dst *float32, src *uint16, n int)
// for i := range n { dst[i] = bits(src[i]) << 16 }; n%8 == 0.
TEXT ·bf16ToF32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

loop32:
	CMPQ      CX, $32
	JLT       loop8
	VPMOVZXWD 0(SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPMOVZXWD 32(SI), Y2
	VPMOVZXWD 48(SI), Y3
	VPSLLD    $16, Y0, Y0
	VPSLLD    $16, Y1, Y1
	VPSLLD    $16, Y2, Y2
	VPSLLD    $16, Y3, Y3
	VMOVDQU   Y0, 0(DI)
	VMOVDQU   Y1, 32(DI)
	VMOVDQU   Y2, 64(DI)
	VMOVDQU   Y3, 96(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       loop32

loop8:
	CMPQ      CX, $8
	JLT       done
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       loop8

done:
	VZEROUPPER
	RET

// func f32ToBF16AVX2(dst *uint16, src *float32, n int)
// for i := range n { dst[i] = RoundBF16(src[i]) }; n%8 == 0.
// Integer rounding: (u + 0x7FFF + (u>>16)&1) >> 16; NaN lanes take
// (u>>16) | 0x40 instead.
TEXT ·f32ToBF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

	MOVL         $1, AX
	VMOVD        AX, X6
	VPBROADCASTD X6, Y6 // 1
	MOVL         $0x7fff, AX
	VMOVD        AX, X5
	VPBROADCASTD X5, Y5 // rounding bias
	MOVL         $0x7fffffff, AX
	VMOVD        AX, X7
	VPBROADCASTD X7, Y7 // abs mask
	MOVL         $0x7f800000, AX
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8 // +Inf
	MOVL         $0x40, AX
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9 // quiet bit

loop8:
	CMPQ      CX, $8
	JLT       done
	VMOVDQU   (SI), Y0
	VPSRLD    $16, Y0, Y4       // u >> 16
	VPAND     Y6, Y4, Y1        // lsb of the kept part
	VPADDD    Y0, Y1, Y1
	VPADDD    Y5, Y1, Y1
	VPSRLD    $16, Y1, Y1       // rounded
	VPAND     Y7, Y0, Y2
	VPCMPGTD  Y8, Y2, Y3        // NaN lanes: |u| > Inf
	VPOR      Y9, Y4, Y4        // quieted NaN
	VPBLENDVB Y3, Y4, Y1, Y1
	VPACKUSDW Y1, Y1, Y1        // words 0-3 in qword 0, 4-7 in qword 2
	VPERMQ    $0x08, Y1, Y1
	VMOVDQU   X1, (DI)
	ADDQ      $32, SI
	ADDQ      $16, DI
	SUBQ      $8, CX
	JMP       loop8

done:
	VZEROUPPER
	RET

// func f32ToBF16AVX512BF16(dst *uint16, src *float32, n int)
// for i := range n { dst[i] = RoundBF16(src[i]) }; n%16 == 0.
// VCVTNEPS2BF16 rounds to nearest even and quiets NaNs like RoundBF16, but
// flushes subnormal inputs to ±0: a vector holding a subnormal lane gets
// those lanes redone with the integer rounding.
TEXT ·f32ToBF16AVX512BF16(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

	MOVL         $1, AX
	VMOVD        AX, X6
	VPBROADCASTD X6, Z6 // 1
	MOVL         $0x7fff, AX
	VMOVD        AX, X5
	VPBROADCASTD X5, Z5 // rounding bias
	MOVL         $0x7f800000, AX
	VMOVD        AX, X10
	VPBROADCASTD X10, Z10 // exponent mask
	MOVL         $0x007fffff, AX
	VMOVD        AX, X11
	VPBROADCASTD X11, Z11 // fraction mask

loop16:
	CMPQ      CX, $16
	JLT       done
	VMOVDQU32 (SI), Z0
	// VCVTNEPS2BF16 Z0, Y1 (EVEX.512.F3.0F38.W0 72 /r), unknown to the Go assembler.
	BYTE $0x62; BYTE $0xF2; BYTE $0x7E; BYTE $0x48; BYTE $0x72; BYTE $0xC8
	VPTESTNMD Z10, Z0, K1     // exponent == 0
	VPTESTMD  Z11, Z0, K1, K2 // ... and fraction != 0: subnormal
	KORTESTW  K2, K2
	JNZ       fixup

store:
	VMOVDQU   Y1, (DI)
	ADDQ      $64, SI
	ADDQ      $32, DI
	SUBQ      $16, CX
	JMP       loop16

fixup:
	VPSRLD    $16, Z0, Z2
	VPANDD    Z6, Z2, Z2
	VPADDD    Z0, Z2, Z2
	VPADDD    Z5, Z2, Z2
	VPSRLD    $16, Z2, Z2
	VPMOVDW   Z2, Y3
	VMOVDQU16 Y3, K2, Y1
	JMP       store

done:
	VZEROUPPER
	RET
