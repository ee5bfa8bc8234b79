/*
 * System-call round trips: `svc #0` in a loop (x8 = 172, getpid), x1 counts
 * the calls that returned. test_plat_a64 times plat_pe_run against cpu_run
 * with it; under a real kernel it never ends.
 */
	.text
	.globl _start
_start:
	mov x8, #172
	mov x1, #0
1:	svc #0
	add x1, x1, #1
	b 1b
