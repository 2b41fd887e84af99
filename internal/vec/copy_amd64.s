//go:build !purego

#include "textflag.h"

// func copyAVX512(dst, src *float32, n, rows, dstStride, srcStride int, tail uint16)
// Each run: whole 16-value blocks, then the last n%16 values under the
// mask tail (K1), which neither reads nor writes past the run.
TEXT ·copyAVX512(SB), NOSPLIT, $0-50
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ rows+24(FP), R9
	MOVQ dstStride+32(FP), R10
	MOVQ srcStride+40(FP), R11
	SHLQ $2, R10
	SHLQ $2, R11
	MOVWLZX tail+48(FP), AX
	KMOVW AX, K1
	MOVQ CX, R8
	SHRQ $4, R8            // whole blocks per run
row:
	MOVQ DI, DX
	MOVQ SI, AX
	MOVQ R8, BX
	TESTQ BX, BX
	JZ tail
block:
	VMOVUPS (AX), Z0
	VMOVUPS Z0, (DX)
	ADDQ $64, AX
	ADDQ $64, DX
	DECQ BX
	JNZ block
tail:
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS Z0, K1, (DX)
	ADDQ R10, DI
	ADDQ R11, SI
	DECQ R9
	JNZ row
	VZEROUPPER
	RET

// func addAVX512(dst, src *float32, n, rows, dstStride, srcStride int, tail uint16)
// Each run: dst += src, 16 values at a time, the last n%16 under tail.
TEXT ·addAVX512(SB), NOSPLIT, $0-50
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ rows+24(FP), R9
	MOVQ dstStride+32(FP), R10
	MOVQ srcStride+40(FP), R11
	SHLQ $2, R10
	SHLQ $2, R11
	MOVWLZX tail+48(FP), AX
	KMOVW AX, K1
	MOVQ CX, R8
	SHRQ $4, R8
addrow:
	MOVQ DI, DX
	MOVQ SI, AX
	MOVQ R8, BX
	TESTQ BX, BX
	JZ addtail
addblock:
	VMOVUPS (DX), Z0
	VADDPS (AX), Z0, Z0
	VMOVUPS Z0, (DX)
	ADDQ $64, AX
	ADDQ $64, DX
	DECQ BX
	JNZ addblock
addtail:
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS.Z (AX), K1, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DX)
	ADDQ R10, DI
	ADDQ R11, SI
	DECQ R9
	JNZ addrow
	VZEROUPPER
	RET
