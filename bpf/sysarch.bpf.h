/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The architecture of the syscall hooks (tp_btf/sys_enter, sys_exit): the
 * numbers come from build/sov_syscalls.h (tools/gen-syscalls, from the
 * kernel UAPI headers of the target), the arguments from struct pt_regs
 * by direct BTF loads (no helper call on the fast path).
 *
 *   x86 (__TARGET_ARCH_x86): the x86-64 table, x32 (its bit cleared) and
 *     the ia32 entry (TS_COMPAT in thread_info.status, arguments in
 *     ebx, ecx, edx, esi, edi, ebp).
 *   arm64 (__TARGET_ARCH_arm64): the generic table. x0 holds the return
 *     value at the exit, so the first argument is read from orig_x0 (as
 *     libbpf's PT_REGS_PARM1_CORE_SYSCALL does). AArch32 tasks (compat,
 *     the arm EABI table) are not decoded: docs/kernels.md.
 *
 * The same parts also run from per-syscall tracepoints (issue 14:
 * syscalls/sys_enter_NAME, sys_exit_NAME, where sovd attaches them
 * there): sov_sc_task_regs() gives them the registers tp_btf passes.
 *
 * SOV_SC_ID(regs), SOV_SC_RET(regs): the number, and at the exit the
 * return value (what the kernel gives sys_exit: syscall_get_return_value()).
 * SOV_SC_ARGn(regs): argument n (1..6) of the native table, as the
 * register's full 64-bit value. SOV_SC32_ARGn(regs): of the ia32 entry
 * (x86 only). sov_task_compat(task): 1 when the syscall in flight came
 * through the ia32 entry; always 0 on arm64.
 */
#ifndef SOV_SYSARCH_BPF_H
#define SOV_SYSARCH_BPF_H

#include "sov_syscalls.h"

#if defined(__TARGET_ARCH_x86)
#ifndef SOV_ARCH_X86
#error "sov_syscalls.h was generated for another ARCH than x86"
#endif

#define SOV_SC_ID(regs)		((long)(regs)->orig_ax)
#define SOV_SC_RET(regs)	((long)(regs)->ax)
#define SOV_SC_ARG1(regs)	((regs)->di)
#define SOV_SC_ARG2(regs)	((regs)->si)
#define SOV_SC_ARG3(regs)	((regs)->dx)
#define SOV_SC_ARG4(regs)	((regs)->r10)
#define SOV_SC_ARG5(regs)	((regs)->r8)
#define SOV_SC_ARG6(regs)	((regs)->r9)

#define SOV_SC32_ARG1(regs)	((__u32)(regs)->bx)
#define SOV_SC32_ARG2(regs)	((__u32)(regs)->cx)
#define SOV_SC32_ARG3(regs)	((__u32)(regs)->dx)
#define SOV_SC32_ARG4(regs)	((__u32)(regs)->si)
#define SOV_SC32_ARG5(regs)	((__u32)(regs)->di)
#define SOV_SC32_ARG6(regs)	((__u32)(regs)->bp)

#define SOV_TS_COMPAT		0x0002	/* arch/x86: thread_info.status, the syscall in flight */

static __always_inline int sov_task_compat(struct task_struct *task)
{
#ifdef SOV_K510
	/* 5.10: a plain task pointer (bpf/compat.bpf.h) */
	return !!(BPF_CORE_READ(task, thread_info.status) & SOV_TS_COMPAT);
#else
	return !!(task->thread_info.status & SOV_TS_COMPAT);
#endif
}

#elif defined(__TARGET_ARCH_arm64)
#ifndef SOV_ARCH_ARM64
#error "sov_syscalls.h was generated for another ARCH than arm64"
#endif

#define SOV_SC_ID(regs)		((long)(regs)->syscallno)
#define SOV_SC_RET(regs)	((long)(regs)->regs[0])
#define SOV_SC_ARG1(regs)	((regs)->orig_x0)
#define SOV_SC_ARG2(regs)	((regs)->regs[1])
#define SOV_SC_ARG3(regs)	((regs)->regs[2])
#define SOV_SC_ARG4(regs)	((regs)->regs[3])
#define SOV_SC_ARG5(regs)	((regs)->regs[4])
#define SOV_SC_ARG6(regs)	((regs)->regs[5])

static __always_inline int sov_task_compat(struct task_struct *task)
{
	(void)task;
	return 0;
}

#else
#error "sovd's syscall hooks know x86 and arm64 (set __TARGET_ARCH_x86 or __TARGET_ARCH_arm64)"
#endif

/*
 * The syscall's user registers in a per-syscall tracepoint program: the
 * same struct pt_regs that tp_btf/sys_enter and sys_exit pass (the
 * task's, saved at kernel entry), a BTF pointer as theirs is
 * (bpf_task_pt_regs(), Linux 5.15: sovd probes it before it attaches
 * there). The programs read the number and the return value there too,
 * not in their context: a syscall tracepoint's record is as long as its
 * arguments, and the kernel refuses to attach a program that reads past
 * the shortest record (getppid's: EACCES). Only native syscalls reach
 * these tracepoints (the kernel skips
 * ia32 and x32 ones: ARCH_TRACE_IGNORE_COMPAT_SYSCALLS, a number past the
 * table), so such programs see what the raw ones see of the native table.
 */
static __always_inline struct pt_regs *sov_sc_task_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

#endif
