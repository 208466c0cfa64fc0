// SPDX-License-Identifier: Apache-2.0
/*
 * The sender rules of bpf/rules.h (issue 10), compiled for user space:
 * which syscalls record a tainted writer of a socket and where their fd is
 * (sov_send_fd_arg()), socketcall's sending calls, and when a released
 * socket's writers may be forgotten. The x86-64 numbers are checked
 * against the libc headers (<sys/syscall.h>); the ia32 and x32 ones
 * against the values of <asm/unistd_32.h> and <asm/unistd_x32.h>, which
 * cannot be included beside it. Built for arm64 (make ARCH=arm64), the
 * native cases check the generic table against that libc's headers.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/net.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

struct c {
	const char *name;
	long nr;
	int compat, want;
};

static const struct c cases[] = {
	/* x86-64: the send family, fd first */
	{ "write", SYS_write, 0, SOV_SEND_FD_ARG1 },
	{ "pwrite64", SYS_pwrite64, 0, SOV_SEND_FD_ARG1 },
	{ "writev", SYS_writev, 0, SOV_SEND_FD_ARG1 },
	{ "pwritev", SYS_pwritev, 0, SOV_SEND_FD_ARG1 },
	{ "pwritev2", SYS_pwritev2, 0, SOV_SEND_FD_ARG1 },
	{ "sendto", SYS_sendto, 0, SOV_SEND_FD_ARG1 },
	{ "sendmsg", SYS_sendmsg, 0, SOV_SEND_FD_ARG1 },
	{ "sendmmsg", SYS_sendmmsg, 0, SOV_SEND_FD_ARG1 },
	{ "sendfile (out_fd)", SYS_sendfile, 0, SOV_SEND_FD_ARG1 },
	{ "splice (fd_out is the third)", SYS_splice, 0, SOV_SEND_FD_ARG3 },
	/* x86-64: not sends */
	{ "read", SYS_read, 0, SOV_SEND_FD_NONE },
	{ "recvfrom", SYS_recvfrom, 0, SOV_SEND_FD_NONE },
	{ "connect", SYS_connect, 0, SOV_SEND_FD_NONE },
	{ "getppid", SYS_getppid, 0, SOV_SEND_FD_NONE },
	{ "getuid (ia32's socketcall number)", SYS_getuid, 0, SOV_SEND_FD_NONE },
	{ "vmsplice (into a pipe)", SYS_vmsplice, 0, SOV_SEND_FD_NONE },
	{ "io_uring_enter (a documented limit)", SYS_io_uring_enter, 0, SOV_SEND_FD_NONE },
#ifdef SOV_ARCH_X86
	/* the generated table is x86's (build/sov_syscalls.h, ARCH=x86) */
	{ "stat (ia32's write number)", SYS_stat, 0, SOV_SEND_FD_NONE },
	/* x32's own numbers (x32 bit cleared) */
	{ "x32 writev", 516, 0, SOV_SEND_FD_ARG1 },
	{ "x32 sendmsg", 518, 0, SOV_SEND_FD_ARG1 },
	{ "x32 pwritev", 535, 0, SOV_SEND_FD_ARG1 },
	{ "x32 sendmmsg", 538, 0, SOV_SEND_FD_ARG1 },
	{ "x32 pwritev2", 547, 0, SOV_SEND_FD_ARG1 },
	{ "x32 recvmsg", 519, 0, SOV_SEND_FD_NONE },
	/* ia32 (TS_COMPAT) */
	{ "ia32 write", 4, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 writev", 146, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 pwrite64", 181, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 sendfile", 187, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 sendfile64", 239, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 pwritev", 334, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 sendmmsg", 345, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 sendto", 369, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 sendmsg", 370, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 pwritev2", 379, 1, SOV_SEND_FD_ARG1 },
	{ "ia32 socketcall", 102, 1, SOV_SEND_FD_SOCKETCALL },
	{ "ia32 splice", 313, 1, SOV_SEND_FD_ARG3 },
	{ "ia32 read", 3, 1, SOV_SEND_FD_NONE },
	{ "ia32: x86-64's write number (exit)", 1, 1, SOV_SEND_FD_NONE },
	{ "ia32: x86-64's sendto number (ia32 fcntl)", 44, 1, SOV_SEND_FD_NONE },
	{ "ia32 recvmsg", 372, 1, SOV_SEND_FD_NONE },
#else
	/* arm64: no ia32 entry, compat is never set; no x32 */
	{ "compat write (no ia32 table)", SYS_write, 1, SOV_SEND_FD_NONE },
#endif
};

int main(void)
{
	char name[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "send fd argument: %s", cases[i].name);
		ASSERT_EQ(sov_send_fd_arg(cases[i].nr, cases[i].compat), cases[i].want, name);
	}

	ASSERT_TRUE(sov_socketcall_sends(SYS_SEND), "socketcall: SYS_SEND sends");
	ASSERT_TRUE(sov_socketcall_sends(SYS_SENDTO), "socketcall: SYS_SENDTO sends");
	ASSERT_TRUE(sov_socketcall_sends(SYS_SENDMSG), "socketcall: SYS_SENDMSG sends");
	ASSERT_TRUE(sov_socketcall_sends(SYS_SENDMMSG), "socketcall: SYS_SENDMMSG sends");
	ASSERT_TRUE(!sov_socketcall_sends(SYS_RECV), "socketcall: SYS_RECV does not");
	ASSERT_TRUE(!sov_socketcall_sends(SYS_CONNECT), "socketcall: SYS_CONNECT does not");
	ASSERT_TRUE(!sov_socketcall_sends(SYS_SOCKET), "socketcall: SYS_SOCKET does not");

	ASSERT_EQ(SOV_TCP_CLOSE, TCP_CLOSE, "TCP_CLOSE matches the kernel's");
	ASSERT_TRUE(sov_sender_forget_at_release(IPPROTO_UDP, TCP_ESTABLISHED),
		    "release: a connected UDP socket is forgotten at once");
	ASSERT_TRUE(sov_sender_forget_at_release(IPPROTO_ICMP, TCP_CLOSE),
		    "release: a ping socket is forgotten at once");
	ASSERT_TRUE(sov_sender_forget_at_release(IPPROTO_TCP, TCP_CLOSE),
		    "release: a TCP socket never connected (TCP_CLOSE) is forgotten at once");
	ASSERT_TRUE(!sov_sender_forget_at_release(IPPROTO_TCP, TCP_ESTABLISHED),
		    "release: an established TCP socket is kept (its queue still goes out)");
	ASSERT_TRUE(!sov_sender_forget_at_release(IPPROTO_TCP, TCP_CLOSE_WAIT),
		    "release: a TCP socket in CLOSE_WAIT is kept");
	return tap_done();
}
