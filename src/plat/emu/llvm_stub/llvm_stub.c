/*
 * A stand-in for libLLVM, built as $(BUILD)/lib/libLLVM-<N>.so.1 and found
 * first through the programs' RPATH (Makefile, "A stand-in for libLLVM").
 *
 * dynarmic (Debian 6.4.5) links libLLVM for one thing: disassembling guest
 * AArch64/ARM instructions in debugging output (Jit::Disassemble, IR dumps
 * with very_verbose_debugging_output), which realmbox never asks for. Yet
 * loading the real library costs every process about 9 MiB resident (7.6
 * MiB of relocated data alone, plus its .bss and the z3, ICU and libxml2
 * libraries it pulls in), i.e. about a third of a container's memory.
 *
 * These are the 13 functions dynarmic imports, with LLVM's names (not the
 * tree's prefixes) and symbol version. The initialisers do nothing;
 * LLVMCreateDisasm returns no context, so a disassembly says it has none
 * ("<invalid instruction>" in dynarmic's output), and the first call of
 * any of them says on stderr that the disassembler is not linked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

static void not_linked(void)
{
	static int said;

	if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		fprintf(stderr, "realmbox: LLVM disassembler not linked (stub libLLVM): "
				"dynarmic disassembly unavailable\n");
}

void LLVMInitializeAArch64Disassembler(void);
void LLVMInitializeAArch64TargetInfo(void);
void LLVMInitializeAArch64TargetMC(void);
void LLVMInitializeARMDisassembler(void);
void LLVMInitializeARMTargetInfo(void);
void LLVMInitializeARMTargetMC(void);
void LLVMInitializeX86Disassembler(void);
void LLVMInitializeX86TargetInfo(void);
void LLVMInitializeX86TargetMC(void);
void *LLVMCreateDisasm(const char *triple, void *info, int tag_type, void *get_op_info,
		       void *symbol_lookup);
int LLVMSetDisasmOptions(void *dc, uint64_t options);
size_t LLVMDisasmInstruction(void *dc, uint8_t *bytes, uint64_t n, uint64_t pc, char *out,
			     size_t out_size);
void LLVMDisasmDispose(void *dc);

void LLVMInitializeAArch64Disassembler(void)
{
	not_linked();
}

void LLVMInitializeAArch64TargetInfo(void)
{
	not_linked();
}

void LLVMInitializeAArch64TargetMC(void)
{
	not_linked();
}

void LLVMInitializeARMDisassembler(void)
{
	not_linked();
}

void LLVMInitializeARMTargetInfo(void)
{
	not_linked();
}

void LLVMInitializeARMTargetMC(void)
{
	not_linked();
}

void LLVMInitializeX86Disassembler(void)
{
	not_linked();
}

void LLVMInitializeX86TargetInfo(void)
{
	not_linked();
}

void LLVMInitializeX86TargetMC(void)
{
	not_linked();
}

/* No context: the caller's disassembly has nothing to work with. */
void *LLVMCreateDisasm(const char *triple, void *info, int tag_type, void *get_op_info,
		       void *symbol_lookup)
{
	not_linked();
	return NULL;
}

int LLVMSetDisasmOptions(void *dc, uint64_t options)
{
	return 0; /* no option set */
}

/* 0 bytes disassembled: "not an instruction" to the caller. */
size_t LLVMDisasmInstruction(void *dc, uint8_t *bytes, uint64_t n, uint64_t pc, char *out,
			     size_t out_size)
{
	not_linked();
	if (out && out_size)
		out[0] = 0;
	return 0;
}

void LLVMDisasmDispose(void *dc)
{
}
