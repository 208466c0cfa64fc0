// SPDX-License-Identifier: Apache-2.0
/*
 * The per-syscall tracepoints each kernel path attaches its syscall
 * programs to (build sov_sc_hooks.h, tools/gen-sc-hooks; issue 14): every
 * native number that a rule of bpf/rules.h or bpf/ipc_rules.h accepts must
 * have its tracepoint there, or that syscall would run no program once
 * sovd attaches per syscall. The calls the programs compare inline
 * (opens, socket, recvmsg, process memory...) are checked by name.
 */
#include <stdio.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "bpf/ipc_rules.h"
#include "sov_sc_hooks.h"

static int has_nr(const struct sov_sc_hook *h, long nr)
{
	for (; h->name; h++)
		if (h->nr == nr)
			return 1;
	return 0;
}

static int has_name(const struct sov_sc_hook *h, const char *name)
{
	for (; h->name; h++)
		if (!strcmp(h->name, name))
			return 1;
	return 0;
}

/*
 * Every number a native rule accepts; 1 when all are hooked. Below 512:
 * x86's 512 and up are the x32 table's own calls (the rules take x32
 * numbers with their bit cleared), which reach no per-syscall tracepoint;
 * sovd attaches there only where no x32 syscall runs.
 */
static int covers(const struct sov_sc_hook *h, int sends, char *miss, size_t len)
{
	for (long nr = 0; nr < 512; nr++) {
		int want = sov_ipc_write_fd_arg(nr, 0) || sov_ipc_reads(nr, 0) ||
			   sov_ipc_accepts(nr, 0) || sov_ipc_forward_fd_arg(nr, 0) ||
			   (sends && sov_send_fd_arg(nr, 0));

		if (want && !has_nr(h, nr)) {
			snprintf(miss, len, "%ld", nr);
			return 0;
		}
	}
	return 1;
}

int main(void)
{
	static const char *const tracing_calls[] = {
		"openat", "openat2", "open_by_handle_at", "socket", "recvmsg", "recvmmsg",
		"pidfd_getfd", "mmap", "read", "write", "sendfile", "splice", "tee",
#ifdef SOV_NR_open
		"open", "creat",
#endif
	};
	static const char *const both_calls[] = {
		"process_vm_readv", "process_vm_writev", "ptrace", "shmat", "memfd_create",
		"io_uring_setup", "openat", "openat2", "read", "readv", "write", "writev",
		"recvfrom", "recvmsg", "sendto", "sendmsg", "vmsplice",
	};
	char miss[32] = "";
	int n = 0;

	ASSERT_TRUE(covers(sov_sc_hooks_tracing, 1, miss, sizeof(miss)),
		    "tracing: every number the send and IPC rules accept has its tracepoint");
	if (miss[0])
		printf("# first number without one: %s\n", miss);
	miss[0] = '\0';
	ASSERT_TRUE(covers(sov_sc_hooks_lsm, 0, miss, sizeof(miss)),
		    "lsm: every number the IPC rules accept has its tracepoint");
	if (miss[0])
		printf("# first number without one: %s\n", miss);
	for (size_t i = 0; i < sizeof(tracing_calls) / sizeof(tracing_calls[0]); i++) {
		char name[96];

		snprintf(name, sizeof(name), "tracing hooks %s", tracing_calls[i]);
		ASSERT_TRUE(has_name(sov_sc_hooks_tracing, tracing_calls[i]), name);
	}
	for (size_t i = 0; i < sizeof(both_calls) / sizeof(both_calls[0]); i++) {
		char name[96];

		snprintf(name, sizeof(name), "tracing and lsm hook %s", both_calls[i]);
		ASSERT_TRUE(has_name(sov_sc_hooks_tracing, both_calls[i]) &&
			    has_name(sov_sc_hooks_lsm, both_calls[i]), name);
	}
	/* no duplicate: one tracepoint pair per number */
	for (const struct sov_sc_hook *h = sov_sc_hooks_tracing; h->name; h++, n++)
		for (const struct sov_sc_hook *g = h + 1; g->name; g++)
			if (g->nr == h->nr)
				n = -10000;
	ASSERT_TRUE(n > 20, "tracing: more than 20 syscalls, each number once");
	printf("# tracing hooks %d syscalls\n", n);
	return tap_done();
}
