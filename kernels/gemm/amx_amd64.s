// Written by hand (not by gen_amd64.go: one short kernel, no unrolling).

#include "textflag.h"
#include "funcdata.h"

// func microAMXBF16_32x32(k int, a, b, c *float32, ldc int, alpha, beta float32)
// Tile instructions are raw bytes (checked with GNU as and objdump):
// TMM0-3 hold C (rows 0-15 | 16-31) x (cols 0-15 | 16-31), TMM4-5 the A
// tiles (SI, R10; stride R8 = 4k), TMM6-7 the B tiles (DI, DI+64; stride
// R9 = 128), the scratch rows at R11 (rows 0-15) and R12 (rows 16-31): the
// 4 KiB frame. The tile configurations are amxConfigs (amx_amd64.go).
// AMX_STEP: TILELOADD TMM4, (SI)(R8*1); TILELOADD TMM5, (R10)(R8*1);
// TILELOADD TMM6, (DI)(R9*1); TILELOADD TMM7, 64(DI)(R9*1);
// TDPBF16PS TMM0, TMM4, TMM6; TDPBF16PS TMM1, TMM4, TMM7;
// TDPBF16PS TMM2, TMM5, TMM6; TDPBF16PS TMM3, TMM5, TMM7.
#define AMX_STEP \
	BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x06; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x02; \
	BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x0f; \
	BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x7c; BYTE $0x0f; BYTE $0x40; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xd5; \
	BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd

// AMX_STORE_C: TILESTORED TMM0, (R11)(R9*1); TILESTORED TMM1, 64(R11)(R9*1);
// TILESTORED TMM2, (R12)(R9*1); TILESTORED TMM3, 64(R12)(R9*1).
#define AMX_STORE_C \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x04; BYTE $0x0b; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x4c; BYTE $0x0b; BYTE $0x40; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x14; BYTE $0x0c; \
	BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x5c; BYTE $0x0c; BYTE $0x40

TEXT ·microAMXBF16_32x32(SB), 0, $4096-48
	NO_LOCAL_POINTERS
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	LEAQ ·amxConfigs(SB), AX
	LEAQ 0(SP), R11
	LEAQ (CX*4), R8
	MOVQ $128, R9
	MOVQ R8, R10
	SHLQ $4, R10
	ADDQ SI, R10
	LEAQ 2048(R11), R12
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00 // LDTILECFG (AX)
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc0 // TILEZERO TMM0
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xc8 // TILEZERO TMM1
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0 // TILEZERO TMM2
	BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd8 // TILEZERO TMM3
	MOVQ CX, DX
	SHRQ $4, DX
	JZ   amx_tail
amx_loop:
	AMX_STEP
	ADDQ $64, SI
	ADDQ $64, R10
	ADDQ $2048, DI
	DECQ DX
	JNZ  amx_loop
amx_tail:
	AMX_STORE_C
	ANDQ $15, CX
	JZ   amx_done
	MOVQ CX, AX
	SHLQ $6, AX
	LEAQ ·amxConfigs(SB), BX
	ADDQ BX, AX
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00 // LDTILECFG (AX)
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x0b // TILELOADD TMM0, (R11)(R9*1)
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x4c; BYTE $0x0b; BYTE $0x40 // TILELOADD TMM1, 64(R11)(R9*1)
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x14; BYTE $0x0c // TILELOADD TMM2, (R12)(R9*1)
	BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x5c; BYTE $0x0c; BYTE $0x40 // TILELOADD TMM3, 64(R12)(R9*1)
	AMX_STEP
	AMX_STORE_C
amx_done:
	BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0 // TILERELEASE
	// C = alpha*S (+ beta*C), two zmm per row.
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), BX
	SHLQ $2, BX
	VBROADCASTSS alpha+40(FP), Z30
	VBROADCASTSS beta+44(FP), Z31
	MOVL beta+44(FP), AX
	ANDL $0x7fffffff, AX
	MOVQ $32, CX
	TESTL AX, AX
	JZ   amx_beta0
amx_beta:
	VMULPS (R11), Z30, Z0
	VMULPS 64(R11), Z30, Z1
	VFMADD231PS (DI), Z31, Z0
	VFMADD231PS 64(DI), Z31, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, R11
	ADDQ BX, DI
	DECQ CX
	JNZ  amx_beta
	VZEROUPPER
	RET
amx_beta0:
	VMULPS (R11), Z30, Z0
	VMULPS 64(R11), Z30, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, R11
	ADDQ BX, DI
	DECQ CX
	JNZ  amx_beta0
	VZEROUPPER
	RET
