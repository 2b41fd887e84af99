//go:build !purego

#include "textflag.h"

// func reluAVX512(dst, x *float32, n int, tail uint16)
// dst = x * (x >= 0 ? 1 : 0), 16 values at a time; the last n%16 under the
// mask tail.
TEXT ·reluAVX512(SB), NOSPLIT, $0-26
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	MOVWLZX tail+24(FP), AX
	KMOVW AX, K2
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z1
	VPXORD Z2, Z2, Z2
	SHRQ $4, CX
	JZ relutail
reluloop:
	VMOVUPS (SI), Z0
	VCMPPS $0x1d, Z2, Z0, K1
	VMOVAPS.Z Z1, K1, Z3
	VMULPS Z3, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ reluloop
relutail:
	VMOVUPS.Z (SI), K2, Z0
	VCMPPS $0x1d, Z2, Z0, K1
	VMOVAPS.Z Z1, K1, Z3
	VMULPS Z3, Z0, Z0
	VMOVUPS Z0, K2, (DI)
	VZEROUPPER
	RET

// func reluGradAVX512(dst, x, dy *float32, n int, tail uint16)
// dst = (x >= 0 ? 1 : 0) * dy.
TEXT ·reluGradAVX512(SB), NOSPLIT, $0-34
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	MOVWLZX tail+32(FP), AX
	KMOVW AX, K2
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z1
	VPXORD Z2, Z2, Z2
	SHRQ $4, CX
	JZ gradtail
gradloop:
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z4
	VCMPPS $0x1d, Z2, Z0, K1
	VMOVAPS.Z Z1, K1, Z3
	VMULPS Z4, Z3, Z3
	VMOVUPS Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ CX
	JNZ gradloop
gradtail:
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (DX), K2, Z4
	VCMPPS $0x1d, Z2, Z0, K1
	VMOVAPS.Z Z1, K1, Z3
	VMULPS Z4, Z3, Z3
	VMOVUPS Z3, K2, (DI)
	VZEROUPPER
	RET

// func maxPool2x2AVX512(out *float32, idx *int32, top, bottom *float32, groups int, topAt, bottomAt int32, perm *int32, inLo, inHi, outMask uint16)
// groups groups of 16 outputs, each from 32 values of top and of bottom
// (loaded under inLo and inHi), stored under outMask. perm holds the even
// lanes 0,2,..,30, the odd lanes 1,3,..,31 and the offsets 0,2,..,30.
// Z6 holds each window's maximum so far, Z7 its index, as in the Go scan.
TEXT ·maxPool2x2AVX512(SB), NOSPLIT, $0-62
	MOVQ out+0(FP), DI
	MOVQ idx+8(FP), R8
	MOVQ top+16(FP), SI
	MOVQ bottom+24(FP), DX
	MOVQ groups+32(FP), CX
	MOVQ perm+48(FP), AX
	VMOVDQU32 (AX), Z20
	VMOVDQU32 64(AX), Z21
	VMOVDQU32 128(AX), Z22
	MOVL topAt+40(FP), AX
	VPBROADCASTD AX, Z25
	VPADDD Z22, Z25, Z25
	MOVL bottomAt+44(FP), AX
	VPBROADCASTD AX, Z26
	VPADDD Z22, Z26, Z26
	MOVL $0xff7fffff, AX
	VPBROADCASTD AX, Z23
	MOVL $-1, AX
	VPBROADCASTD AX, Z24
	MOVL $32, AX
	VPBROADCASTD AX, Z27
	MOVL $1, AX
	VPBROADCASTD AX, Z28
	MOVWLZX inLo+56(FP), AX
	KMOVW AX, K3
	MOVWLZX inHi+58(FP), AX
	KMOVW AX, K4
	MOVWLZX outMask+60(FP), AX
	KMOVW AX, K5
poolloop:
	VMOVUPS.Z (SI), K3, Z0
	VMOVUPS.Z 64(SI), K4, Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z20, Z2
	VMOVAPS Z0, Z3
	VPERMT2PS Z1, Z21, Z3
	VMOVUPS.Z (DX), K3, Z0
	VMOVUPS.Z 64(DX), K4, Z1
	VMOVAPS Z0, Z4
	VPERMT2PS Z1, Z20, Z4
	VMOVAPS Z0, Z5
	VPERMT2PS Z1, Z21, Z5
	VMOVAPS Z23, Z6
	VMOVDQA32 Z24, Z7
	VCMPPS $0x1e, Z6, Z2, K1
	VMOVAPS Z2, K1, Z6
	VMOVDQA32 Z25, K1, Z7
	VPADDD Z28, Z25, Z8
	VCMPPS $0x1e, Z6, Z3, K1
	VMOVAPS Z3, K1, Z6
	VMOVDQA32 Z8, K1, Z7
	VCMPPS $0x1e, Z6, Z4, K1
	VMOVAPS Z4, K1, Z6
	VMOVDQA32 Z26, K1, Z7
	VPADDD Z28, Z26, Z8
	VCMPPS $0x1e, Z6, Z5, K1
	VMOVAPS Z5, K1, Z6
	VMOVDQA32 Z8, K1, Z7
	VMOVUPS Z6, K5, (DI)
	VMOVDQU32 Z7, K5, (R8)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $64, DI
	ADDQ $64, R8
	VPADDD Z27, Z25, Z25
	VPADDD Z27, Z26, Z26
	DECQ CX
	JNZ poolloop
	VZEROUPPER
	RET
