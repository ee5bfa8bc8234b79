/*
 * Feature probes: one leaf function per optional A64 feature, each
 * computing with the feature's instructions on fixed inputs and storing
 * 64 bytes of results at x0. _start runs them all (x19 = probe index) and
 * writes the results to stdout, so the output under qemu-aarch64 -cpu max
 * is the reference the engine's output is compared with. With an argument
 * N only probe N runs (qemu dies of SIGILL on what it does not implement). A probe whose
 * instruction is undefined on the engine is marked unsupported by the test,
 * which resumes at x30.
 */
	.arch armv8.5-a+crypto+sha3+sm4+fp16+fp16fml+rcpc+lse+dotprod+rng+i8mm+bf16+flagm
	.arch_extension memtag

	.section .rodata
	.balign 16
inp:
	.quad 0x0123456789abcdef, 0xfedcba9876543210
	.quad 0x3ff8000000000000, 0x4002000000000000   /* 1.5, 2.25 */
	.quad 0xdeadbeefcafebabe, 0x0f1e2d3c4b5a6978
	.quad 0x3c003e0040004200, 0x4400450046004700   /* half: 1,1.5,2,3,4,5,6,7 */

	.data
	.balign 16
scratch:
	.quad 5, 7, 0, 0, 0, 0, 0, 0
out:
	.space 64 * 32

	.text
	.globl _start
_start:
	adr x20, table
	adr x21, out
	mov x19, #0
	ldr x1, [sp]            /* argc */
	cmp x1, #2
	b.lt 1f
	/* one probe only: index = argv[1] (decimal) */
	ldr x2, [sp, #16]
	mov x19, #0
3:	ldrb w3, [x2], #1
	cbz w3, 4f
	sub w3, w3, #'0'
	mov x4, #10
	madd x19, x19, x4, x3
	b 3b
4:	ldr x9, [x20, x19, lsl #3]
	mov x0, x21
	blr x9
	mov x19, #1
	b 2f
1:	ldr x9, [x20, x19, lsl #3]
	cbz x9, 2f
	add x0, x21, x19, lsl #6
	blr x9
	add x19, x19, #1
	b 1b
2:	/* write(1, out, 64 * n) */
	mov x0, #1
	mov x1, x21
	lsl x2, x19, #6
	mov x8, #64
	svc #0
	mov x0, #0
	mov x8, #94
	svc #0

/* load the inputs: v16..v19 = inp, x10..x13 = first words */
.macro INPUTS
	adr x15, inp
	ld1 {v16.16b, v17.16b, v18.16b, v19.16b}, [x15]
	ldp x10, x11, [x15]
	ldp x12, x13, [x15, #32]
.endm

.macro STORE4
	st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x0]
.endm

p_fp:	INPUTS
	fmov d0, x12
	ldr d1, [x15, #16]
	ldr d2, [x15, #24]
	fadd d3, d1, d2
	fmul d4, d1, d2
	fdiv d5, d1, d2
	fsqrt d6, d2
	fmadd d7, d1, d2, d3
	fcvtzs x1, d7
	scvtf d0, x1
	frintm d1, d5
	fcvt s2, d4
	mov v0.d[1], v3.d[0]
	mov v1.d[1], v4.d[0]
	mov v2.d[1], v6.d[0]
	mov v3.16b, v7.16b
	STORE4
	ret

p_asimd:
	INPUTS
	add v0.4s, v16.4s, v17.4s
	mul v1.8h, v16.8h, v18.8h
	tbl v2.16b, {v17.16b}, v16.16b
	uzp1 v3.16b, v16.16b, v18.16b
	fmla v3.2d, v17.2d, v17.2d
	addv s4, v0.4s
	ins v2.s[0], v4.s[0]
	STORE4
	ret

p_aes:	INPUTS
	mov v0.16b, v16.16b
	aese v0.16b, v18.16b
	aesmc v1.16b, v0.16b
	mov v2.16b, v17.16b
	aesd v2.16b, v16.16b
	aesimc v3.16b, v2.16b
	STORE4
	ret

p_pmull:
	INPUTS
	pmull v0.1q, v16.1d, v18.1d
	pmull2 v1.1q, v16.2d, v18.2d
	pmull v2.8h, v16.8b, v17.8b
	pmull2 v3.8h, v16.16b, v17.16b
	STORE4
	ret

p_sha1:	INPUTS
	mov v0.16b, v16.16b
	sha1c q0, s17, v18.4s
	mov v1.16b, v16.16b
	sha1p q1, s17, v18.4s
	mov v2.16b, v16.16b
	sha1m q2, s17, v18.4s
	sha1h s3, s16
	mov v4.16b, v17.16b
	sha1su0 v4.4s, v16.4s, v18.4s
	sha1su1 v4.4s, v19.4s
	ins v3.d[1], v4.d[1]
	STORE4
	ret

p_sha2:	INPUTS
	mov v0.16b, v16.16b
	sha256h q0, q17, v18.4s
	mov v1.16b, v17.16b
	sha256h2 q1, q16, v18.4s
	mov v2.16b, v16.16b
	sha256su0 v2.4s, v17.4s
	mov v3.16b, v18.16b
	sha256su1 v3.4s, v16.4s, v19.4s
	STORE4
	ret

p_crc32:
	INPUTS
	mov w1, #0xffffffff
	crc32b w1, w1, w10
	crc32h w1, w1, w11
	crc32w w1, w1, w12
	crc32x w1, w1, x13
	mov w2, #0xffffffff
	crc32cb w2, w2, w10
	crc32ch w2, w2, w11
	crc32cw w2, w2, w12
	crc32cx w2, w2, x13
	stp x1, x2, [x0]
	stp xzr, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_atomics:
	adr x1, scratch
	mov x2, #3
	ldadd x2, x3, [x1]          /* 5 -> 8, x3 = 5 */
	mov x4, #8
	mov x5, #100
	cas x4, x5, [x1]            /* 8 == 8 -> 100 */
	mov x6, #42
	swp x6, x7, [x1]            /* 100 -> 42 */
	mov x9, #0xf0
	add x8, x1, #8
	ldset x9, x10, [x8]         /* 7 | 0xf0 */
	ldclr x2, x11, [x8]
	ldeor x2, x12, [x8]
	ldsmax x2, x13, [x8]
	ldr x14, [x1]
	ldr x15, [x1, #8]
	stp x3, x4, [x0]
	stp x7, x10, [x0, #16]
	stp x11, x12, [x0, #32]
	stp x13, x14, [x0, #48]
	eor x15, x15, x14
	str x15, [x0, #56]
	mov x2, #5                  /* restore scratch for a rerun */
	mov x3, #7
	stp x2, x3, [x1]
	ret

p_fphp:	INPUTS
	ldr h1, [x15, #48]
	ldr h2, [x15, #50]
	fadd h3, h1, h2
	fmul h4, h1, h2
	fdiv h5, h1, h2
	fcvt s6, h5
	fsqrt h7, h2
	movi v0.2d, #0
	movi v1.2d, #0
	movi v2.2d, #0
	ins v0.h[0], v3.h[0]
	ins v0.h[1], v4.h[0]
	ins v0.h[2], v5.h[0]
	ins v0.h[3], v7.h[0]
	ins v1.s[0], v6.s[0]
	mov v3.16b, v19.16b
	STORE4
	ret

p_asimdhp:
	INPUTS
	fadd v0.8h, v19.8h, v19.8h
	fmul v1.8h, v19.8h, v0.8h
	fmaxnmv h2, v19.8h
	fcvtzs v3.8h, v1.8h
	ins v2.h[4], v0.h[3]
	STORE4
	ret

p_asimdrdm:
	INPUTS
	mov v0.16b, v16.16b
	sqrdmlah v0.8h, v17.8h, v18.8h
	mov v1.16b, v17.16b
	sqrdmlsh v1.4s, v16.4s, v18.4s
	mov v2.16b, v18.16b
	sqrdmlah v2.4s, v16.4s, v17.s[1]
	mov v3.16b, v19.16b
	STORE4
	ret

p_jscvt:
	INPUTS
	ldr d1, [x15, #16]
	fjcvtzs w1, d1
	fmov d2, x10
	fjcvtzs w2, d2
	stp x1, x2, [x0]
	stp xzr, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_fcma:	INPUTS
	ld1 {v4.2d}, [x15]
	ldr q5, [x15, #16]
	mov v0.16b, v17.16b
	fcmla v0.2d, v5.2d, v5.2d, #90
	fcadd v1.2d, v5.2d, v5.2d, #90
	mov v2.16b, v19.16b
	fcmla v2.8h, v19.8h, v19.8h, #0
	fcadd v3.8h, v19.8h, v19.8h, #270
	STORE4
	ret

p_lrcpc:
	adr x1, scratch
	ldapr x2, [x1]
	add x5, x1, #8
	ldaprb w3, [x5]
	ldaprh w4, [x1]
	stp x2, x3, [x0]
	stp x4, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_dcpop:
	adr x1, scratch
	dc cvap, x1
	mov x2, #1
	stp x2, xzr, [x0]
	stp xzr, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_sha3:	INPUTS
	eor3 v0.16b, v16.16b, v17.16b, v18.16b
	rax1 v1.2d, v16.2d, v18.2d
	xar v2.2d, v16.2d, v17.2d, #13
	bcax v3.16b, v16.16b, v17.16b, v18.16b
	STORE4
	ret

p_sm3:	INPUTS
	sm3ss1 v0.4s, v16.4s, v17.4s, v18.4s
	mov v1.16b, v16.16b
	sm3tt1a v1.4s, v17.4s, v18.s[1]
	sm3tt1b v1.4s, v19.4s, v16.s[3]
	mov v2.16b, v16.16b
	sm3tt2b v2.4s, v17.4s, v18.s[2]
	sm3tt2a v2.4s, v19.4s, v17.s[0]
	mov v3.16b, v16.16b
	sm3partw1 v3.4s, v17.4s, v18.4s
	sm3partw2 v3.4s, v17.4s, v19.4s
	STORE4
	ret

p_sm4:	INPUTS
	mov v0.16b, v16.16b
	sm4e v0.4s, v17.4s
	sm4ekey v1.4s, v16.4s, v18.4s
	mov v2.16b, v19.16b
	sm4e v2.4s, v18.4s
	mov v3.16b, v16.16b
	STORE4
	ret

p_asimddp:
	INPUTS
	mov v0.16b, v18.16b
	sdot v0.4s, v16.16b, v17.16b
	mov v1.16b, v18.16b
	udot v1.4s, v16.16b, v17.16b
	mov v2.16b, v19.16b
	udot v2.4s, v16.16b, v17.4b[2]
	mov v3.16b, v17.16b
	sdot v3.4s, v18.16b, v16.4b[1]
	sdot v3.2s, v19.8b, v17.8b
	STORE4
	ret

p_sha512:
	INPUTS
	mov v0.16b, v16.16b
	sha512h q0, q17, v18.2d
	mov v1.16b, v16.16b
	sha512h2 q1, q17, v18.2d
	mov v2.16b, v16.16b
	sha512su0 v2.2d, v17.2d
	mov v3.16b, v16.16b
	sha512su1 v3.2d, v17.2d, v18.2d
	STORE4
	ret

p_asimdfhm:
	INPUTS
	mov v0.16b, v17.16b
	fmlal v0.4s, v19.4h, v19.4h
	mov v1.16b, v17.16b
	fmlsl2 v1.4s, v19.4h, v19.4h
	mov v2.16b, v17.16b
	mov v7.16b, v19.16b
	fmlal2 v2.4s, v19.4h, v7.h[3]
	mov v3.16b, v19.16b
	STORE4
	ret

p_flagm:
	mov x1, #0
	msr nzcv, x1
	cfinv
	mrs x2, nzcv
	mov x3, #0x5
	rmif x3, #1, #0xf
	mrs x4, nzcv
	mov w5, #0x80
	setf8 w5
	mrs x6, nzcv
	mov w7, #0x8000
	setf16 w7
	mrs x8, nzcv
	stp x2, x4, [x0]
	stp x6, x8, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_ilrcpc:
	adr x1, scratch
	ldapur x2, [x1, #8]
	stlur x2, [x1, #16]
	ldr x3, [x1, #16]
	stp x2, x3, [x0]
	stp xzr, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_dit:	msr dit, #1
	mrs x1, dit
	msr dit, #0
	mrs x2, dit
	stp x1, x2, [x0]
	stp xzr, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_sb:	sb
	mov x1, #1
	stp x1, xzr, [x0]
	stp xzr, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_frint:
	INPUTS
	ldr d1, [x15, #16]
	fmov d2, #-2.5
	frint32z d3, d1
	frint64x d4, d2
	frint32x v5.2d, v17.2d
	movi v0.2d, #0
	ins v0.d[0], v3.d[0]
	ins v0.d[1], v4.d[0]
	mov v1.16b, v5.16b
	mov v2.16b, v17.16b
	mov v3.16b, v18.16b
	STORE4
	ret

p_flagm2:
	mov x1, #0x60000000
	msr nzcv, x1
	axflag
	mrs x2, nzcv
	mov x1, #0x20000000
	msr nzcv, x1
	xaflag
	mrs x3, nzcv
	stp x2, x3, [x0]
	stp xzr, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

p_i8mm:	INPUTS
	mov v0.16b, v18.16b
	smmla v0.4s, v16.16b, v17.16b
	mov v1.16b, v18.16b
	usdot v1.4s, v16.16b, v17.16b
	mov v2.16b, v19.16b
	ummla v2.4s, v16.16b, v17.16b
	mov v3.16b, v16.16b
	STORE4
	ret

p_bf16:	INPUTS
	mov v0.16b, v17.16b
	bfdot v0.4s, v16.8h, v18.8h
	bfcvtn v1.4h, v17.4s
	mov v2.16b, v17.16b
	bfmmla v2.4s, v16.8h, v18.8h
	mov v3.16b, v18.16b
	STORE4
	ret

p_rng:	mrs x1, rndr
	cset x2, ne
	stp xzr, x2, [x0]
	stp xzr, xzr, [x0, #16]
	stp xzr, xzr, [x0, #32]
	stp xzr, xzr, [x0, #48]
	ret

	.section .rodata
	.balign 8
	.globl table
table:
	.quad p_fp, p_asimd, p_aes, p_pmull, p_sha1, p_sha2, p_crc32, p_atomics
	.quad p_fphp, p_asimdhp, p_asimdrdm, p_jscvt, p_fcma, p_lrcpc, p_dcpop, p_sha3
	.quad p_sm3, p_sm4, p_asimddp, p_sha512, p_asimdfhm, p_flagm, p_ilrcpc, p_dit
	.quad p_sb, p_frint, p_flagm2, p_i8mm, p_bf16, p_rng
	.quad 0
