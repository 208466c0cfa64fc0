/* SPDX-License-Identifier: Apache-2.0 */
/* What the kernel can do (probe.c), and the choice of kernel path. */
#ifndef SOVD_FEATURES_H
#define SOVD_FEATURES_H

#include <stdio.h>
#include "agent/kpath.h"

struct sovd_features {
	int btf;
	int bpf_lsm;		/* an lsm/ program loaded, attached and ran */
	int tp_btf;
	int trampolines;
	int ringbuf;
	int bpf_loop;		/* the bpf_loop() helper (Linux 5.17) */
	int cgdev_pid;		/* cgroup/dev programs have bpf_get_current_pid_tgid() (6.1) */
	int sc_tp;		/* a per-syscall tracepoint program ran with the task's
				 * registers (tracefs, FTRACE_SYSCALLS, bpf_task_pt_regs: 5.15) */
	int ia32;		/* x86: an ia32 syscall (int $0x80) ran */
	int x32;		/* x86: an x32 syscall ran */
	/* Set by the caller before probe_choose(): SOVD_SC_AUTO, _RAW or
	 * _TRACEPOINTS (--syscall-hooks); probe_choose() leaves _RAW or
	 * _TRACEPOINTS in sc_hooks (kpath_syscalls.c), and in sc_why what
	 * decided. */
	int sc_hooks;
	char sc_why[96];
	/* Set by the caller before probe_choose(): -1 auto (the 5.10 build
	 * where bpf_loop() is missing), 0 the current build, 1 the 5.10 one
	 * (--bpf-build). probe_choose() leaves 0 or 1 in k510. */
	int k510;
	char cgroup2[256];	/* cgroup2 mount point, "" if none */
};

int probe_features(struct sovd_features *f);
/* The kernel path for want (auto: LSM where it runs); on failure prints
 * one sentence with the cause and the fix. */
int probe_choose(struct sovd_features *f, enum sovd_kpath want, enum sovd_kpath *chosen);
/* Where the syscall programs attach on path k (sets sc_hooks, sc_why);
 * fails only when --syscall-hooks tracepoints cannot be had. */
int probe_choose_sc_hooks(struct sovd_features *f, enum sovd_kpath k);
int probe_print(const struct sovd_features *f, enum sovd_kpath chosen, FILE *out);

#endif
