#include "textflag.h"

// func pairScan(b []byte) (i int, hit bool)
//
// For each block of 32 positions i: compare b[i:i+32] with '"' and
// b[i+8:i+40] with '{' (AVX2), and stop at the first position where both
// match. The caller checks the other seven bytes of the marker.
TEXT ·pairScan(SB), NOSPLIT, $0-33
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	XORQ DI, DI
	SUBQ $40, CX // a block at DI reads up to DI+40
	JL   none
	MOVL $0x22, AX
	MOVD AX, X0
	VPBROADCASTB X0, Y0 // '"' in every byte
	MOVL $0x7b, AX
	MOVD AX, X1
	VPBROADCASTB X1, Y1 // '{' in every byte

loop:
	VPCMPEQB (SI)(DI*1), Y0, Y2
	VPCMPEQB 8(SI)(DI*1), Y1, Y3
	VPAND    Y2, Y3, Y3
	VPMOVMSKB Y3, AX
	TESTL    AX, AX
	JNZ      found
	ADDQ     $32, DI
	CMPQ     DI, CX
	JLE      loop
	VZEROUPPER

none:
	MOVQ DI, i+24(FP)
	MOVB $0, hit+32(FP)
	RET

found:
	VZEROUPPER
	BSFL AX, AX
	ADDQ AX, DI
	MOVQ DI, i+24(FP)
	MOVB $1, hit+32(FP)
	RET
