/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The rules of taint over local channels (issue 11, bpf/ipc.bpf.h), as pure
 * functions like bpf/rules.h (tests/unit/bpf/test_ipc.c compiles them with
 * gcc): which system calls write into a pipe or socket and where their fd
 * is, which read from one, and which TCP connection stays on the host.
 */
#ifndef SOV_BPF_IPC_RULES_H
#define SOV_BPF_IPC_RULES_H

#include "rules.h"

/* Where a writing call's fd is: sov_send_fd_arg()'s values, plus the
 * second argument (tee's fd_out). */
#define SOV_IPC_FD_ARG2		4

/*
 * The calls that write data into an fd (the send family of rules.h, and
 * vmsplice and tee, which fill a pipe): the argument that holds the fd, or
 * SOV_SEND_FD_NONE. compat: the ia32 table (TS_COMPAT).
 */
static __always_inline int sov_ipc_write_fd_arg(long nr, int compat)
{
	int arg = sov_send_fd_arg(nr, compat);

	if (arg != SOV_SEND_FD_NONE)
		return arg;
	if (compat) {
#ifdef SOV_ARCH_X86
		if (nr == SOV_NR32_vmsplice)
			return SOV_SEND_FD_ARG1;
		if (nr == SOV_NR32_tee)
			return SOV_IPC_FD_ARG2;
#endif
		return SOV_SEND_FD_NONE;
	}
	if (nr == SOV_NR_vmsplice)
		return SOV_SEND_FD_ARG1;
#ifdef SOV_ARCH_X86
	if (nr == SOV_NRX32_vmsplice)
		return SOV_SEND_FD_ARG1;
#endif
	if (nr == SOV_NR_tee)
		return SOV_IPC_FD_ARG2;
	return SOV_SEND_FD_NONE;
}

/*
 * The calls that read data out of an fd into the process (or, for splice
 * and tee, on to another fd): the fd is their first argument. 1 when nr is
 * one, else 0. The ia32 socketcall(2) multiplexer is not read (documented
 * limit, as for the senders' records it is).
 */
static __always_inline int sov_ipc_reads(long nr, int compat)
{
	if (compat) {
#ifdef SOV_ARCH_X86
		return nr == SOV_NR32_read || nr == SOV_NR32_readv ||
		       nr == SOV_NR32_splice || nr == SOV_NR32_tee ||
		       nr == SOV_NR32_recvmmsg || nr == SOV_NR32_recvfrom ||
		       nr == SOV_NR32_recvmsg || nr == SOV_NR32_recvmmsg_time64;
#else
		return 0;
#endif
	}
	return nr == SOV_NR_read || nr == SOV_NR_readv || nr == SOV_NR_recvfrom ||
	       nr == SOV_NR_recvmsg || nr == SOV_NR_splice || nr == SOV_NR_tee ||
	       nr == SOV_NR_recvmmsg
#ifdef SOV_ARCH_X86
	       || nr == SOV_NRX32_readv || nr == SOV_NRX32_recvmsg || nr == SOV_NRX32_recvmmsg
#endif
	       ;
}

/* accept(2) and accept4(2): the new socket gets its inode only here, so a
 * label put on it while it was still an embryo (a tainted client wrote
 * before the accept) takes its generation now. 1 when nr is one. */
static __always_inline int sov_ipc_accepts(long nr, int compat)
{
	if (compat) {
#ifdef SOV_ARCH_X86
		return nr == SOV_NR32_accept4;
#else
		return 0;
#endif
	}
	return nr == SOV_NR_accept || nr == SOV_NR_accept4;
}

/* splice and tee move data on to their fd_out: an IPC object there is
 * labelled when the call tainted the process. The argument, or NONE. */
static __always_inline int sov_ipc_forward_fd_arg(long nr, int compat)
{
#ifdef SOV_ARCH_X86
	if (nr == (compat ? SOV_NR32_splice : SOV_NR_splice))
		return SOV_SEND_FD_ARG3;
	if (nr == (compat ? SOV_NR32_tee : SOV_NR_tee))
		return SOV_IPC_FD_ARG2;
#else
	if (compat)
		return SOV_SEND_FD_NONE;
	if (nr == SOV_NR_splice)
		return SOV_SEND_FD_ARG3;
	if (nr == SOV_NR_tee)
		return SOV_IPC_FD_ARG2;
#endif
	return SOV_SEND_FD_NONE;
}

/*
 * A TCP connection whose other end is on this host, seen from the writer:
 * the remote address is a loopback address (127/8, ::1, ::ffff:127/104) or
 * the local address itself. Addresses in the v6 form (IPv4 as
 * ::ffff:a.b.c.d), network order, as 4 words.
 */
static __always_inline int sov_ipc_local_tcp(const __u32 laddr[4], const __u32 raddr[4])
{
	const unsigned char *r = (const unsigned char *)raddr;

	if (laddr[0] == raddr[0] && laddr[1] == raddr[1] && laddr[2] == raddr[2] &&
	    laddr[3] == raddr[3])
		return 1;
	if (!raddr[0] && !raddr[1] && !raddr[2] && r[12] == 0 && r[13] == 0 &&
	    r[14] == 0 && r[15] == 1)
		return 1;	/* ::1 */
	return !raddr[0] && !raddr[1] && r[8] == 0 && r[9] == 0 && r[10] == 0xff &&
	       r[11] == 0xff && r[12] == 127;
}

/* A read that returned 0 on a stream (pipe, FIFO, Unix stream, TCP) is the
 * end of the data: every writer is gone and nothing is queued, so the
 * object's label is forgotten. Not for datagrams (an empty datagram). */
static __always_inline int sov_ipc_eof(long ret, int dgram)
{
	return ret == 0 && !dgram;
}

#endif
