// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Feature probes. sovd loads one program at a time, attaches it, makes a
 * syscall that should trigger it and reads 'hits': a kernel that accepts a
 * program but never runs it (bpf missing from lsm=) is caught this way.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "sysarch.bpf.h"	/* SOV_SC_ID, SOV_NR_getppid */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 target_tgid = 0;
__u64 hits = 0;

static __always_inline void hit(void)
{
	if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
		__sync_fetch_and_add(&hits, 1);
}

/* BPF LSM: needs CONFIG_BPF_LSM and bpf in the active LSM list. */
SEC("lsm/socket_create")
int BPF_PROG(probe_lsm, int family, int type, int protocol, int kern, int ret)
{
	hit();
	return ret;
}

/* BTF-typed tracepoints: the tracing path's observation hooks. */
SEC("tp_btf/sys_enter")
int BPF_PROG(probe_tp_btf, struct pt_regs *regs, long id)
{
	hit();
	return 0;
}

/* Per-syscall tracepoints (issue 14): the syscall programs' second attach
 * point. Needs tracefs, CONFIG_FTRACE_SYSCALLS and bpf_task_pt_regs()
 * (5.15); ran only when the registers it reads are getppid's. */
SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_sc_tp(void *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	/* the programs read the registers, not the context (sysarch.bpf.h) */
	if (SOV_SC_ID(regs) == SOV_NR_getppid)
		hit();
	return 0;
}

/* Trampolines: not needed by either path, reported for operators. */
SEC("fentry/__sys_socket")
int BPF_PROG(probe_fentry)
{
	hit();
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_rb SEC(".maps");
