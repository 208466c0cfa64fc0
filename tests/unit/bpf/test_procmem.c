// SPDX-License-Identifier: Apache-2.0
/*
 * The process-memory rules of bpf/rules.h (issue 11, bpf/procmem.bpf.h),
 * compiled for user space and checked against the C library's own ptrace
 * and shm constants: which ptrace requests move data out of the tracee
 * (the tracer is tainted), which move data in (the tracee is), which move
 * none; when shmat() attaches writable (the segment is labelled).
 */
#include <sys/ptrace.h>
#include <sys/shm.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

static void test_ptrace(void)
{
	static const struct { long req; int dir; const char *name; } cases[] = {
		{ PTRACE_PEEKTEXT, SOV_MEM_READ, "PEEKTEXT reads" },
		{ PTRACE_PEEKDATA, SOV_MEM_READ, "PEEKDATA reads" },
		{ PTRACE_PEEKUSER, SOV_MEM_READ, "PEEKUSER reads" },
#if defined(__x86_64__)	/* arm64 has only the REGSET requests */
		{ PTRACE_GETREGS, SOV_MEM_READ, "GETREGS reads" },
		{ PTRACE_GETFPREGS, SOV_MEM_READ, "GETFPREGS reads" },
#endif
		{ PTRACE_GETREGSET, SOV_MEM_READ, "GETREGSET reads" },
		{ PTRACE_POKETEXT, SOV_MEM_WRITE, "POKETEXT writes" },
		{ PTRACE_POKEDATA, SOV_MEM_WRITE, "POKEDATA writes" },
		{ PTRACE_POKEUSER, SOV_MEM_WRITE, "POKEUSER writes" },
#if defined(__x86_64__)
		{ PTRACE_SETREGS, SOV_MEM_WRITE, "SETREGS writes" },
		{ PTRACE_SETFPREGS, SOV_MEM_WRITE, "SETFPREGS writes" },
#endif
		{ PTRACE_SETREGSET, SOV_MEM_WRITE, "SETREGSET writes" },
		{ PTRACE_TRACEME, 0, "TRACEME moves no data" },
		{ PTRACE_ATTACH, 0, "ATTACH moves no data" },
		{ PTRACE_SEIZE, 0, "SEIZE moves no data" },
		{ PTRACE_DETACH, 0, "DETACH moves no data" },
		{ PTRACE_CONT, 0, "CONT moves no data" },
		{ PTRACE_SETOPTIONS, 0, "SETOPTIONS moves no data" },
		{ PTRACE_INTERRUPT, 0, "INTERRUPT moves no data" },
		{ -1, 0, "a negative request moves no data" },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_EQ(sov_ptrace_dir(cases[i].req), cases[i].dir, cases[i].name);
}

static void test_shmat(void)
{
	ASSERT_EQ(SHM_RDONLY, SOV_SHM_RDONLY, "layout: SHM_RDONLY");
	ASSERT_EQ(sov_shmat_writes(0), 1, "shmat: flags 0 attach writable");
	ASSERT_EQ(sov_shmat_writes(SHM_RND), 1, "shmat: SHM_RND attaches writable");
	ASSERT_EQ(sov_shmat_writes(SHM_RDONLY), 0, "shmat: SHM_RDONLY does not write");
	ASSERT_EQ(sov_shmat_writes(SHM_RDONLY | SHM_RND), 0, "shmat: SHM_RDONLY|SHM_RND does not write");
}

int main(void)
{
	test_ptrace();
	test_shmat();
	return tap_done();
}
