// SPDX-License-Identifier: Apache-2.0
/*
 * archfilter e|k PROGRAM ARG...: runs PROGRAM under a seccomp filter that
 * refuses every syscall of another ABI than x86-64's own (ia32, x32) with
 * EPERM (e) or kills the process (k), as systemd's
 * SystemCallArchitectures=native does. Run by tests/agent/unit.t to check
 * that sovd's ia32/x32 probe (agent/probe.c) takes such a refusal for "the
 * host runs them" (fail closed), not for "the kernel lacks them".
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

int main(int argc, char **argv)
{
#if defined(__x86_64__)
	unsigned int ret;

	if (argc < 3 || (strcmp(argv[1], "e") && strcmp(argv[1], "k"))) {
		fprintf(stderr, "usage: archfilter e|k PROGRAM ARG...\n");
		return 2;
	}
	ret = argv[1][0] == 'k' ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ERRNO | EPERM;
	struct sock_filter f[] = {
		/* ia32 (int $0x80) has its own audit arch */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, ret),
		/* x32 shares x86-64's, with __X32_SYSCALL_BIT in the number */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, ret),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "archfilter: failed to install the filter: %s\n", strerror(errno));
		return 2;
	}
	execv(argv[2], argv + 2);
	fprintf(stderr, "archfilter: failed to run %s: %s\n", argv[2], strerror(errno));
	return 2;
#else
	(void)argc;
	(void)argv;
	fprintf(stderr, "archfilter: x86-64 only\n");
	return 77;
#endif
}
