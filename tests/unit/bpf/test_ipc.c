// SPDX-License-Identifier: Apache-2.0
/*
 * The rules of taint over local channels (bpf/ipc_rules.h, issue 11),
 * compiled for user space: which calls write into an fd and where the fd
 * is, which calls read one, which forward it (splice, tee), which TCP
 * connection stays on the host, and what an end of stream is. x86-64
 * numbers against <sys/syscall.h>; ia32 and x32 against the values of
 * <asm/unistd_32.h> and <asm/unistd_x32.h>.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <arpa/inet.h>

#include "tests/lib/tap.h"
#include "bpf/ipc_rules.h"

struct c {
	const char *name;
	long nr;
	int compat, want;
};

static const struct c writes[] = {
	{ "write", SYS_write, 0, SOV_SEND_FD_ARG1 },
	{ "writev", SYS_writev, 0, SOV_SEND_FD_ARG1 },
	{ "sendto", SYS_sendto, 0, SOV_SEND_FD_ARG1 },
	{ "sendmsg", SYS_sendmsg, 0, SOV_SEND_FD_ARG1 },
	{ "sendmmsg", SYS_sendmmsg, 0, SOV_SEND_FD_ARG1 },
	{ "sendfile", SYS_sendfile, 0, SOV_SEND_FD_ARG1 },
	{ "splice (fd_out third)", SYS_splice, 0, SOV_SEND_FD_ARG3 },
	{ "vmsplice", SYS_vmsplice, 0, SOV_SEND_FD_ARG1 },
	{ "tee (fd_out second)", SYS_tee, 0, SOV_IPC_FD_ARG2 },
	{ "read", SYS_read, 0, SOV_SEND_FD_NONE },
	{ "recvmsg", SYS_recvmsg, 0, SOV_SEND_FD_NONE },
#ifdef SOV_ARCH_X86
	{ "x32 vmsplice", 532, 0, SOV_SEND_FD_ARG1 },
	{ "ia32 write", 4, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 vmsplice", 316, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 tee", 315, 1, SOV_IPC_FD_ARG2 },
	{ "ia32 splice", 313, 1, SOV_SEND_FD_ARG3 },
	{ "ia32: x86-64's tee number (another ia32 call)", 276, 1,
	  SOV_SEND_FD_NONE },
#else
	{ "compat tee (no ia32 table)", SYS_tee, 1, SOV_SEND_FD_NONE },
#endif
};

static const struct c reads[] = {
	{ "read", SYS_read, 0, 1 },
	{ "readv", SYS_readv, 0, 1 },
	{ "recvfrom", SYS_recvfrom, 0, 1 },
	{ "recvmsg", SYS_recvmsg, 0, 1 },
	{ "recvmmsg", SYS_recvmmsg, 0, 1 },
	{ "splice", SYS_splice, 0, 1 },
	{ "tee", SYS_tee, 0, 1 },
	{ "write", SYS_write, 0, 0 },
	{ "pread64 (no pipe or socket)", SYS_pread64, 0, 0 },
	{ "openat", SYS_openat, 0, 0 },
#ifdef SOV_ARCH_X86
	{ "x32 readv", 515, 0, 1 },
	{ "x32 recvmsg", 519, 0, 1 },
	{ "x32 recvmmsg", 537, 0, 1 },
	{ "ia32 read", 3, 1, 1 },
	{ "ia32 readv", 145, 1, 1 },
	{ "ia32 splice", 313, 1, 1 },
	{ "ia32 tee", 315, 1, 1 },
	{ "ia32 recvfrom", 371, 1, 1 },
	{ "ia32 recvmsg", 372, 1, 1 },
	{ "ia32 recvmmsg", 337, 1, 1 },
	{ "ia32 recvmmsg_time64", 417, 1, 1 },
	{ "ia32: x86-64's read number (ia32 restart_syscall)", 0, 1, 0 },
	{ "ia32: x86-64's recvmsg number (ia32 getgid)", 47, 1, 0 },
	{ "ia32 socketcall (a documented limit)", 102, 1, 0 },
#else
	{ "compat read (no ia32 table)", SYS_read, 1, 0 },
#endif
};

static void v6(uint32_t a[4], const char *s)
{
	inet_pton(AF_INET6, s, a);
}

int main(void)
{
	char name[160];
	uint32_t l[4], r[4];

	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		snprintf(name, sizeof(name), "ipc write fd argument: %s", writes[i].name);
		ASSERT_EQ(sov_ipc_write_fd_arg(writes[i].nr, writes[i].compat), writes[i].want, name);
	}
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		snprintf(name, sizeof(name), "ipc reads: %s", reads[i].name);
		ASSERT_EQ(sov_ipc_reads(reads[i].nr, reads[i].compat), reads[i].want, name);
	}
	ASSERT_EQ(sov_ipc_forward_fd_arg(SYS_splice, 0), SOV_SEND_FD_ARG3, "forward: splice's fd_out");
	ASSERT_EQ(sov_ipc_forward_fd_arg(SYS_tee, 0), SOV_IPC_FD_ARG2, "forward: tee's fd_out");
#ifdef SOV_ARCH_X86
	ASSERT_EQ(sov_ipc_forward_fd_arg(313, 1), SOV_SEND_FD_ARG3, "forward: ia32 splice");
	ASSERT_EQ(sov_ipc_forward_fd_arg(315, 1), SOV_IPC_FD_ARG2, "forward: ia32 tee");
#endif
	ASSERT_EQ(sov_ipc_forward_fd_arg(SYS_read, 0), SOV_SEND_FD_NONE, "forward: read does not");

	v6(l, "::ffff:10.0.0.1");
	v6(r, "::ffff:127.0.0.1");
	ASSERT_TRUE(sov_ipc_local_tcp(l, r), "local tcp: to 127.0.0.1");
	v6(r, "::ffff:127.3.2.1");
	ASSERT_TRUE(sov_ipc_local_tcp(l, r), "local tcp: to 127/8");
	v6(r, "::1");
	ASSERT_TRUE(sov_ipc_local_tcp(l, r), "local tcp: to ::1");
	v6(r, "::ffff:10.0.0.1");
	ASSERT_TRUE(sov_ipc_local_tcp(l, r), "local tcp: to its own local address");
	v6(r, "::ffff:10.20.0.2");
	ASSERT_TRUE(!sov_ipc_local_tcp(l, r), "local tcp: not to another host");
	v6(r, "::2");
	ASSERT_TRUE(!sov_ipc_local_tcp(l, r), "local tcp: not to ::2");
	v6(r, "::ffff:128.0.0.1");
	ASSERT_TRUE(!sov_ipc_local_tcp(l, r), "local tcp: not to 128.0.0.1");
	v6(r, "fd00:20::2");
	ASSERT_TRUE(!sov_ipc_local_tcp(l, r), "local tcp: not to a v6 host");

	ASSERT_TRUE(sov_ipc_eof(0, 0), "eof: a stream read of 0");
	ASSERT_TRUE(!sov_ipc_eof(0, 1), "eof: not an empty datagram");
	ASSERT_TRUE(!sov_ipc_eof(5, 0), "eof: not a read of data");
	return tap_done();
}
