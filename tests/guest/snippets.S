/*
 * Small code fragments for test_cpu, each entered by setting pc to its
 * symbol. Most end with `brk #0x100` ("done"), which the test expects.
 * Not a runnable program on its own (_start just exits).
 */
	.arch armv8.1-a
	.text

	.globl _start
_start:
	mov x0, #0
	mov x8, #94
	svc #0

#define DONE brk #0x100

/* x0 = address: loads x1 from [x0, #8]; x2 += 1 afterwards */
	.globl ld_off8
ld_off8:
	ldr x1, [x0, #8]
	add x2, x2, #1
	DONE

/* x0 = address, x1 = value: stores; x2 += 1 afterwards */
	.globl st_x1
st_x1:
	str x1, [x0]
	add x2, x2, #1
	DONE

/* LDP with post-index writeback: x0 must stay unchanged when it faults */
	.globl ldp_post
ldp_post:
	ldp x3, x4, [x0], #16
	add x2, x2, #1
	DONE

/* several instructions before the faulting one, in one block */
	.globl add_then_ld
add_then_ld:
	add x5, x5, #1
	add x6, x6, #2
	ldr x1, [x0]
	add x7, x7, #3
	DONE

/* x0 = target: branch to it */
	.globl br_x0
br_x0:
	br x0

	.globl undef_insn
undef_insn:
	udf #0x1234
	DONE

	.globl brk_42
brk_42:
	brk #0x42
	DONE

/* svc with a non-zero immediate (Linux ignores it; the ESR carries it) */
	.globl svc_imm
svc_imm:
	svc #0x77
	add x2, x2, #1
	DONE

	.globl wfx_hints
wfx_hints:
	yield
	add x2, x2, #1
	wfi
	add x2, x2, #1
	wfe
	add x2, x2, #1
	sevl
	sev
	add x2, x2, #1
	DONE

/* endless loops for timeslices and halts */
	.globl spin
spin:
	add x1, x1, #1
	b spin

/* a loop made only of indirect branches (return-stack / fast-dispatch paths) */
	.globl spin_br
spin_br:
	adr x3, 1f
1:	add x1, x1, #1
	br x3

	.globl spin_ret
spin_ret:
	adr x30, 2f
2:	add x1, x1, #1
	bl 3f
	b 2b
3:	ret

/* x0 = counter, x1 = n: n increments with LDXR/STXR, then done */
	.globl inc_ldxr
inc_ldxr:
1:	ldxr x2, [x0]
	add x2, x2, #1
	stxr w3, x2, [x0]
	cbnz w3, 1b
	subs x1, x1, #1
	b.ne 1b
	DONE

/* x0 = counter, x1 = n: n increments with LDADD (LSE) */
	.globl inc_ldadd
inc_ldadd:
	mov x2, #1
1:	ldadd x2, x3, [x0]
	subs x1, x1, #1
	b.ne 1b
	DONE

/* x0 = counter, x1 = n: n increments with plain load/store (racy on purpose) */
	.globl inc_plain
inc_plain:
1:	ldr x2, [x0]
	add x2, x2, #1
	str x2, [x0]
	subs x1, x1, #1
	b.ne 1b
	DONE

/* system registers: TPIDR_EL0/TPIDRRO_EL0 reads and a TPIDR_EL0 write */
	.globl sysregs
sysregs:
	mrs x0, tpidr_el0
	mrs x1, tpidrro_el0
	msr tpidr_el0, x2
	mrs x3, cntvct_el0
	mrs x4, cntfrq_el0
	mrs x5, fpcr
	mrs x6, ctr_el0
	mrs x7, dczid_el0
	DONE

/* FP/SIMD: d0 = d1 * d2 + d3; v4 = v5 + v6 (4s); NZCV from a compare */
	.globl fpsimd
fpsimd:
	fmul d0, d1, d2
	fadd d0, d0, d3
	add v4.4s, v5.4s, v6.4s
	fcmp d1, d2
	DONE

/* x0 = address: DC ZVA (zeroes a 64-byte block) */
	.globl dczva
dczva:
	dc zva, x0
	add x2, x2, #1
	DONE

/* x0 = address: LDXR alone (exclusive read path), x2 += 1 */
	.globl ldxr_only
ldxr_only:
	ldxr x1, [x0]
	add x2, x2, #1
	DONE

/* x0 = address: LDXR then STXR to it (exclusive write path), x2 += 1 */
	.globl stxr_only
stxr_only:
	ldxr x1, [x0]
	stxr w3, x1, [x0]
	add x2, x2, #1
	DONE

/* returns a constant in x0 (rewritten by the self-modifying-code test) */
	.globl patchme
patchme:
	mov x0, #1
	DONE

/*
 * x0 = address of patchme's first instruction, w1 = new instruction word:
 * store it, clean + invalidate as Linux user code must, run it.
 */
	.globl selfmod
selfmod:
	mov x9, x30
	str w1, [x0]
	dc cvau, x0
	dsb ish
	ic ivau, x0
	dsb ish
	isb
	br x0

/* reads x1 words at x0 in a loop x2 times (R-only vs RW page cost) */
	.globl readloop
readloop:
	mov x5, #0
1:	mov x3, x0
	mov x4, x1
2:	ldr x6, [x3], #8
	add x5, x5, x6
	subs x4, x4, #1
	b.ne 2b
	subs x2, x2, #1
	b.ne 1b
	DONE

/* stores x1 words at x0 in a loop x2 times */
	.globl writeloop
writeloop:
1:	mov x3, x0
	mov x4, x1
2:	str x4, [x3], #8
	subs x4, x4, #1
	b.ne 2b
	subs x2, x2, #1
	b.ne 1b
	DONE

/* eight calls from one site fill the return-stack buffer, then RET forever */
	.globl spin_rsb
spin_rsb:
	mov x2, #8
0:	bl 1f
2:	add x1, x1, #1
	ret
1:	subs x2, x2, #1
	b.ne 0b
	ret
