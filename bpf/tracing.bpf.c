// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The tracing + cgroup path, for kernels where BPF LSM programs do not load
 * (see docs/architecture.md). Opens are observed at syscall exit, when the
 * new fd is installed; egress is refused by cgroup sock_addr programs at the
 * scope cgroups; sockets connected before their owner's taint are cut off
 * by cgroup_skb/egress. Channels that cannot be judged by destination are
 * refused at cgroup/sock_create (raw, ping, other IP protocols) or, for
 * AF_PACKET and AF_XDP, which pass no cgroup hook, reported at socket()'s
 * exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "fork_exit.bpf.h"
#include "open.bpf.h"
#include "egress.bpf.h"
#include "procmem.bpf.h"	/* issue 11: process and shared memory */
#include "ipc.bpf.h"
#include "sysarch.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The syscall numbers (SOV_NR_*: the native table; SOV_NR32_*: x86's ia32
 * entry, chosen by TS_COMPAT, not by the binary: a 64-bit process may use
 * it too) are generated from the kernel UAPI headers (tools/gen-syscalls);
 * the arguments are read through sysarch.bpf.h.
 *
 * Calls that return a new fd for a path: open, creat, openat, openat2,
 * open_by_handle_at (arm64 has no open or creat). io_uring opens pass
 * sov_uring_complete instead (views.bpf.h).
 *
 * socket(): AF_PACKET, AF_XDP and the other non-IP channels pass no cgroup
 * hook, so this path sees them only at the syscall's exit (socket_exit()).
 *
 * Calls that install fds without an open (issue 11): recvmsg/recvmmsg
 * (SCM_RIGHTS, native table only: the ia32 and x32 calls use the compat
 * msghdr and socketcall; documented limit) and pidfd_getfd (same number in
 * both x86 tables).
 *
 * mmap (issue 11): a writable shared file mapping derives its file. The
 * native mmap and ia32 mmap2 (fd in the fifth argument; the ia32 old_mmap
 * takes a struct in memory: documented limit). */

#define AT_FDCWD		-100
#define ETH_P_IP		0x0800
#define ETH_P_IPV6		0x86DD
#define IP4_HLEN		20	/* an IPv4 header without options */
#define IP6_HLEN		40

/* file_of_fd(): bpf/derive.bpf.h */

/* The socket a new fd names: files[fd]->private_data. */
static __always_inline struct socket *socket_of_fd(struct task_struct *task, long fd)
{
	struct file *file = file_of_fd(task, fd);

	return file ? BPF_CORE_READ(file, private_data) : NULL;
}

/*
 * A socket of a family other than IP that is a channel (AF_PACKET, AF_XDP,
 * AF_VSOCK, AF_TIPC, ...: rules.h sov_channel()) made by a tainted process.
 * No cgroup hook runs for these families, and a syscall's exit cannot
 * refuse: the socket stays, and the channel is reported (verdict audit,
 * hook socket) so that the journal holds it. docs/threat-model.md says
 * what this path cannot stop. IP sockets and the families that stay on the
 * host (AF_UNIX, AF_NETLINK...) cost a few reads and no map lookup.
 */
static __always_inline void socket_exit(struct task_struct *task, long fd)
{
	struct sov_dst dst = { .hook = SOV_HOOK_SOCKET };
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sov_config *cfg;
	struct sov_taint *t;
	struct socket *sock;
	__u64 violated = 0;
	__u16 family;
	int verdict;

	sock = socket_of_fd(task, fd);
	if (!sock)
		return;
	family = BPF_CORE_READ(sock, sk, __sk_common.skc_family);
	/* inet sockets passed cgroup/sock_create; AF_UNIX and the other
	 * families that stay on the host are not channels */
	if (family == AF_INET || family == AF_INET6)
		return;
	dst.sotype = BPF_CORE_READ(sock, type);
	dst.proto = BPF_CORE_READ(sock, sk, sk_protocol);
	dst.channel = sov_channel(family, dst.sotype, dst.proto);
	if (dst.channel == SOV_CHAN_NONE)
		return;
	t = taint_judged(&tgid);
	if (!t)
		return;
	cfg = sov_cfg();
	if (!cfg)
		return;
	dst.family = family;
	verdict = channel_verdict(t, cfg, &dst, &violated);
	if (verdict == SOV_VERDICT_ALLOW)
		return;
	/* Not refused: say so, whatever the rule would have decided. */
	egress_emit(t, &dst, SOV_VERDICT_AUDIT, SOV_ZONE_UNKNOWN, violated);
}

/*
 * The sender is judged, not only the creator (issue 10). The send-family
 * syscalls of a tainted process record it as a writer of the socket
 * (sov_senders); cgroup_skb/egress then judges the union of the owner's
 * taint and the writers' classes. Which calls and which argument:
 * sov_send_fd_arg() in rules.h (x86-64, x32 and ia32 tables).
 */

/* The struct sock an fd names when it is an AF_INET/AF_INET6 socket, as a
 * scalar (the sov_senders key), else 0 (derive.bpf.h inet_sock_of_file()). */
static __always_inline __u64 inet_sock_of_fd(struct task_struct *task, long fd)
{
	return inet_sock_of_file(file_of_fd(task, fd));
}

static __always_inline struct sov_sender_state *sender_state(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&sov_sender_state, &k);
}

/*
 * A tainted process writes to the socket 'key': it joins the socket's
 * writers. A full map fails closed: the classes join the overflow, which
 * cgroup_skb judges on every socket, and the loss is counted.
 */
static __always_inline void sender_record(__u64 key, const struct sov_taint *t, __u32 tgid)
{
	struct sov_sender_state *st;
	struct sov_sender *s, ns = {};

	s = bpf_map_lookup_elem(&sov_senders, &key);
	if (!s) {
		ns.classes = t->classes;
		sock_owner_fill(&ns.who, tgid);
		st = sender_state();
		if (!bpf_map_update_elem(&sov_senders, &key, &ns, BPF_NOEXIST)) {
			if (st)
				__sync_fetch_and_add(&st->records, 1);
			return;
		}
		s = bpf_map_lookup_elem(&sov_senders, &key);
		if (!s) {
			if (st)
				sov_or(&st->overflow, t->classes);
			count(SOV_CNT_MAP_FULL);
			return;
		}
	}
	if ((s->classes | t->classes) != s->classes)
		sov_or(&s->classes, t->classes);
	if (s->who.tgid != tgid)
		sock_owner_fill(&s->who, tgid);
}

/* A socket that can send no more leaves sov_senders. */
static __always_inline void sender_forget(__u64 key)
{
	struct sov_sender_state *st = sender_state();

	if (!st || !st->records)
		return;
	if (!bpf_map_delete_elem(&sov_senders, &key))
		__sync_fetch_and_add(&st->records, -1);
}

/*
 * Entry of every syscall: the send family of a tainted process records it
 * as a writer of the socket (before the data moves: cgroup_skb sees the
 * record for the first packet). Other syscalls: a switch on the number;
 * untainted processes: one lookup (their taint).
 */
static __noinline int tracing_on_enter(struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct sov_taint *t;
	int arg, compat;
	__u32 tgid, args[1];
	long fd, nr;
	__u64 key;

	nr = id & ~SOV_X32_SYSCALL_BIT;
	if (!sov_send_fd_arg(nr, 0) && !sov_send_fd_arg(nr, 1))
		return 0;
	/* The tables overlap (ia32's write is x86-64's stat): the one in
	 * force is chosen before the lookup. */
	task = sov_current_task();
	compat = sov_task_compat(task);
	arg = sov_send_fd_arg(nr, compat);
	if (!arg)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	t = taint_of(&tgid);
	if (!t)
		return 0;
#ifdef SOV_ARCH_X86
	if (compat) {
		if (arg == SOV_SEND_FD_ARG1) {
			fd = (int)SOV_SC32_ARG1(regs);
		} else if (arg == SOV_SEND_FD_ARG3) {
			fd = (int)SOV_SC32_ARG3(regs);
		} else if (arg == SOV_SEND_FD_SOCKETCALL) {
			if (!sov_socketcall_sends(SOV_SC32_ARG1(regs)))
				return 0;
			if (bpf_probe_read_user(args, sizeof(args),
						(void *)(unsigned long)SOV_SC32_ARG2(regs)))
				return 0;
			fd = (int)args[0];
		} else {
			return 0;
		}
	} else
#else
	(void)args;
#endif
	{
		if (arg == SOV_SEND_FD_ARG1)
			fd = (int)SOV_SC_ARG1(regs);
		else if (arg == SOV_SEND_FD_ARG3)
			fd = (int)SOV_SC_ARG3(regs);
		else
			return 0;
	}
	key = inet_sock_of_fd(task, fd);
	if (key)
		sender_record(key, t, tgid);
	return 0;
}

/* A TCP socket reaching TCP_CLOSE sends no more data (a time-wait socket
 * only acknowledges): its writers are forgotten. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sov_inet_state, const struct sock *sk, const int oldstate, const int newstate)
{
	if (newstate != SOV_TCP_CLOSE)
		return 0;
	sender_forget((__u64)(unsigned long)sk);
	return 0;
}

/*
 * close() of the last fd of an inet socket. A non-TCP socket sends nothing
 * after it (corked UDP data is dropped); a TCP socket that is not yet
 * closed still sends its queue: inet_sock_set_state forgets it later.
 */
SEC("cgroup/sock_release")
int sov_sock_release(struct bpf_sock *sk)
{
	if (!sov_sender_forget_at_release(sk->protocol, sk->state))
		return 1;
	sender_forget((__u64)(unsigned long)sk);
	return 1;
}

/*
 * SCM_RIGHTS fds received by recvmsg()/recvmmsg() (issue 11). At the exit,
 * the kernel has written the control messages into the user's buffer and
 * the used length into msg_controllen; the fds it names are installed. A
 * walk over the messages, their cmsg headers and the fds of each
 * SCM_RIGHTS message, one step per bpf_loop iteration (a state machine,
 * so the verifier sees one iteration), gathers the union of the classes
 * of the labelled files received; one taint_grow() follows. A message
 * without control data costs one 16-byte user read and no lookup.
 */
#define SOV_MSGHDR_CONTROL	32	/* offsetof(struct user_msghdr, msg_control) */
#define SOV_MMSGHDR_SIZE	64	/* sizeof(struct mmsghdr) on x86-64 and arm64 */
#define SOV_RECV_STEPS		1024	/* bpf_loop iterations at most */

struct recv_walk {
	struct task_struct *task;
	const char *msgs;	/* the user's msghdr (recvmsg) or mmsghdr array */
	__u32 n_msgs;		/* messages received */
	__u32 stride;		/* 0 for recvmsg, SOV_MMSGHDR_SIZE for recvmmsg */
	/* The walk's state, from here to the end: zero at the start, but
	 * written by a probe read (recv_exit()) so that the verifier sees
	 * unknown values. Verifiers before 6.7 check a bpf_loop callback
	 * once, with the caller's stack as it is at the call; with known
	 * zeros they would prove the later steps dead and remove them (6.1
	 * did: no fd was ever walked). */
	const char *ctl;	/* the current message's control buffer */
	struct sov_inode_key key;	/* a labelled file received */
	__u64 classes;		/* union of the labelled files' classes */
	__u64 ctl_len;		/* its used length */
	__u64 pos;		/* offset of the next cmsg header or fd */
	__u64 fd_end;		/* end of the current SCM_RIGHTS data, 0 if none */
	__u32 msg;		/* the current message */
	int fd;			/* the labelled file's fd (set with the first class) */
	int loaded;		/* ctl/ctl_len hold message 'msg' */
	int writes;		/* a regular file open for writing was received */
};
#define RECV_STATE_OFF	__builtin_offsetof(struct recv_walk, ctl)

static long recv_walk_cb(__u32 i, void *ctx)
{
	struct recv_walk *w = ctx;
	struct { __u64 len; int level; int type; } cm;
	struct { const char *ctl; __u64 len; } mc;
	struct sov_inode_key key = {};
	struct file *file;
	__u64 classes, next = 0;
	int fd, step;

	(void)i;
	if (!w->loaded) {
		if (w->msg >= w->n_msgs)
			return 1;
		if (bpf_probe_read_user(&mc, sizeof(mc), w->msgs +
					(__u64)w->msg * w->stride + SOV_MSGHDR_CONTROL))
			return 1;
		w->ctl = mc.ctl;
		w->ctl_len = mc.len;
		w->pos = 0;
		w->fd_end = 0;
		w->loaded = 1;
		return 0;
	}
	if (w->fd_end) {
		/* the next fd of an SCM_RIGHTS message */
		if (w->pos + SOV_CMSG_FD > w->fd_end) {
			w->pos = sov_cmsg_after(w->fd_end);
			w->fd_end = 0;
			return 0;
		}
		if (bpf_probe_read_user(&fd, sizeof(fd), w->ctl + w->pos))
			return 1;
		w->pos += SOV_CMSG_FD;
		file = file_of_fd(w->task, fd);
		if (!file)
			return 0;
		classes = receive_label_noview(file, &key);
		if (classes) {
			if (!w->classes) {
				w->key = key;
				w->fd = fd;
			}
			w->classes |= classes;
		}
		/* a regular file open for writing: derived after the walk
		 * (recv_exit()); no lookup here, and the callback's stack
		 * stays small */
		if (receive_writes(file))
			w->writes = 1;
		return 0;
	}
	/* the next cmsg header, or the next message */
	if (!sov_recv_may_have_fds((__u64)(unsigned long)w->ctl, w->ctl_len) ||
	    !sov_cmsg_fits(w->pos, w->ctl_len) ||
	    bpf_probe_read_user(&cm, sizeof(cm), w->ctl + w->pos))
		step = -1;
	else
		step = sov_cmsg_step(w->pos, w->ctl_len, cm.len, cm.level, cm.type, &next);
	if (step < 0) {
		w->msg++;
		w->loaded = 0;
	} else if (step) {
		w->fd_end = next;
		w->pos += SOV_CMSG_HDR;
	} else {
		w->pos = next;
	}
	return 0;
}
SOV_WALK_FN(recv_walk_cb, struct recv_walk, SOV_WALK_SLOT_RECV)

static __always_inline void recv_exit(struct task_struct *task, const char *msgs,
				      __u32 n_msgs, __u32 stride)
{
	struct recv_walk w = {
		.task = task,
		.msgs = msgs,
		.n_msgs = n_msgs,
		.stride = stride,
	};
#ifndef SOV_K510
	struct recv_walk zero = {};
#endif
	struct { const char *ctl; __u64 len; } mc;

	/* The fast path of a single message: no control data, no walk. */
	if (n_msgs == 1) {
		if (bpf_probe_read_user(&mc, sizeof(mc), msgs + SOV_MSGHDR_CONTROL) ||
		    !sov_recv_may_have_fds((__u64)(unsigned long)mc.ctl, mc.len))
			return;
	}
#ifndef SOV_K510
	/* (the 5.10 build's walk state is in a map value: unknown anyway) */
	if (bpf_probe_read_kernel((char *)&w + RECV_STATE_OFF, sizeof(w) - RECV_STATE_OFF,
				  (char *)&zero + RECV_STATE_OFF))
		return;
#endif
	sov_walk(SOV_RECV_STEPS, SOV_K510_RECV_STEPS, recv_walk_cb, &w, SOV_WALK_SLOT_RECV);
	on_receive(w.classes, &w.key, w.fd);
	if (w.writes)
		receive_writes_walk();
}

/* pidfd_getfd(): the return value is the new fd. */
static __always_inline void getfd_exit(struct task_struct *task, long fd)
{
	struct sov_inode_key key = {};
	struct file *file = file_of_fd(task, fd);

	if (file) {
		on_receive(receive_label(file, &key), &key, fd);
		receive_write(file, fd);
	}
}

/* mmap()/mmap2() succeeded: the flags first (most mappings are private or
 * anonymous and stop here), then the fd's file, then derive_on_map(). */
static __always_inline void mmap_exit(struct task_struct *task, struct pt_regs *regs,
				      int compat)
{
	unsigned long prot, flags;
	struct file *file;
	int fd;

#ifdef SOV_ARCH_X86
	if (compat) {
		prot = SOV_SC32_ARG3(regs);
		flags = SOV_SC32_ARG4(regs);
		fd = (int)SOV_SC32_ARG5(regs);
	} else
#endif
	{
		(void)compat;
		prot = SOV_SC_ARG3(regs);
		flags = SOV_SC_ARG4(regs);
		fd = (int)SOV_SC_ARG5(regs);
	}
	if (fd < 0 || !sov_map_writes(prot, flags))
		return;
	file = file_of_fd(task, fd);
	if (file)
		derive_on_map(file, fd);
}

static __noinline int tracing_on_exit(struct pt_regs *regs, long ret)
{
	const char *upath = NULL;
	struct task_struct *task;
	const void *how = NULL;
	struct file *file;
	int dirfd = AT_FDCWD;
	__u64 oflags = 0;
	long nr;

	if (ret < 0)
		return 0;
	/* Every syscall of the host passes here: a direct (BTF) load and a
	 * few compares decide for all but the open calls. */
	nr = SOV_SC_ID(regs) & ~SOV_X32_SYSCALL_BIT;
	if (nr != SOV_NR_openat && nr != SOV_NR_openat2 && nr != SOV_NR_open_by_handle_at &&
#ifdef SOV_NR_open
	    nr != SOV_NR_open && nr != SOV_NR_creat &&
#endif
#ifdef SOV_ARCH_X86
	    nr != SOV_NR32_open && nr != SOV_NR32_creat && nr != SOV_NR32_openat &&
	    nr != SOV_NR32_open_by_handle_at && nr != SOV_NR32_socket && nr != SOV_NR32_mmap2 &&
#endif
	    nr != SOV_NR_socket && nr != SOV_NR_recvmsg && nr != SOV_NR_recvmmsg &&
	    nr != SOV_NR_pidfd_getfd && nr != SOV_NR_mmap)
		return 0;
	task = sov_current_task();
#ifdef SOV_ARCH_X86
	if (nr == SOV_NR_mmap || nr == SOV_NR32_mmap2) {
		/* 9 is link() and 192 lgetxattr() in the other table */
		if ((nr == SOV_NR32_mmap2) == sov_task_compat(task))
			mmap_exit(task, regs, nr == SOV_NR32_mmap2);
		return 0;
	}
#else
	if (nr == SOV_NR_mmap) {
		mmap_exit(task, regs, 0);
		return 0;
	}
#endif
	if (nr == SOV_NR_pidfd_getfd) {
		getfd_exit(task, ret);
		return 0;
	}
	if (nr == SOV_NR_recvmsg || nr == SOV_NR_recvmmsg) {
		/* x86: other calls in the ia32 table */
		if (sov_task_compat(task))
			return 0;
		if (nr == SOV_NR_recvmsg)
			recv_exit(task, (const char *)SOV_SC_ARG2(regs), 1, 0);
		else if (ret > 0)
			recv_exit(task, (const char *)SOV_SC_ARG2(regs), (__u32)ret, SOV_MMSGHDR_SIZE);
		return 0;
	}
#ifdef SOV_ARCH_X86
	if (nr == SOV_NR_socket || nr == SOV_NR32_socket) {
		if ((nr == SOV_NR32_socket) == sov_task_compat(task))
			socket_exit(task, ret);
		return 0;
	}
	if (sov_task_compat(task)) {
		if (nr == SOV_NR32_open || nr == SOV_NR32_creat) {
			upath = (const char *)(unsigned long)SOV_SC32_ARG1(regs);
			oflags = nr == SOV_NR32_creat ? SOV_O_CREAT : SOV_SC32_ARG2(regs);
		} else if (nr == SOV_NR32_openat || nr == SOV_NR32_openat2) {
			dirfd = (int)SOV_SC32_ARG1(regs);
			upath = (const char *)(unsigned long)SOV_SC32_ARG2(regs);
			how = (const void *)(unsigned long)SOV_SC32_ARG3(regs);
			oflags = SOV_SC32_ARG3(regs);
		} else if (nr != SOV_NR32_open_by_handle_at) {
			return 0;
		}
	} else
#else
	if (nr == SOV_NR_socket) {
		socket_exit(task, ret);
		return 0;
	}
#endif
	{
#ifdef SOV_NR_open
		if (nr == SOV_NR_open || nr == SOV_NR_creat) {
			upath = (const char *)SOV_SC_ARG1(regs);
			oflags = nr == SOV_NR_creat ? SOV_O_CREAT : SOV_SC_ARG2(regs);
		} else
#endif
		if (nr == SOV_NR_openat || nr == SOV_NR_openat2) {
			dirfd = (int)SOV_SC_ARG1(regs);
			upath = (const char *)SOV_SC_ARG2(regs);
			how = (const void *)SOV_SC_ARG3(regs);
			oflags = SOV_SC_ARG3(regs);
		} else if (nr != SOV_NR_open_by_handle_at) {
			return 0;
		}
	}
	/* openat2's flags are the first field of its struct open_how */
	if (nr == SOV_NR_openat2 && bpf_probe_read_user(&oflags, sizeof(oflags), how))
		oflags = SOV_O_CREAT;	/* unreadable: walk (fail closed) */

	file = file_of_fd(task, ret);
	if (!file)
		return 0;
	/* Labels at creation (label.bpf.h): before the open is judged, so a
	 * file made below new directories is labelled when it is judged. */
	if (sov_open_creates(oflags))
		label_on_create(file, (oflags & SOV_O_TMPFILE) == SOV_O_TMPFILE);
	on_open(file, ret, upath, dirfd);
	return 0;
}

/* Remember who owns the socket, for cgroup_skb/egress after a late taint:
 * the packet may leave in softirq context, where "current" is anyone. */
static __always_inline struct sov_sock_owner *sock_owner_set(struct bpf_sock *sk, __u32 tgid)
{
	struct sov_sock_owner *o;

	if (!sk)
		return NULL;
	o = bpf_sk_storage_get(&sov_sock_owner, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o || o->tgid == tgid)
		return o;
	sock_owner_fill(o, tgid);
	return o;
}

static __always_inline int sock_addr_decide(struct bpf_sock_addr *ctx,
					    struct sov_dst *dst, int own)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sov_sock_owner *o = NULL;
	struct sov_config *cfg;
	struct sov_taint *t;
	int verdict;

	if (own)
		o = sock_owner_set(ctx->sk, tgid);
	t = taint_judged(&tgid);
	if (!t)
		return 1;
	cfg = sov_cfg();
	if (!cfg)
		return 1;
	dst->proto = ctx->protocol;
	dst->dport = bpf_ntohs((__u16)ctx->user_port);
	verdict = egress_decide(t, cfg, dst);
	/* An audit was just reported: cgroup_skb need not report it again. */
	if (o && verdict == SOV_VERDICT_AUDIT && !o->denied)
		o->denied = SOV_SOCK_REPORTED;
	return verdict == SOV_VERDICT_DENY ? 0 : 1;
}

SEC("cgroup/connect4")
int sov_connect4(struct bpf_sock_addr *ctx)
{
	struct sov_dst dst = { .family = AF_INET, .hook = SOV_HOOK_CONNECT };

	dst.addr[0] = ctx->user_ip4;
	return sock_addr_decide(ctx, &dst, 1);
}

SEC("cgroup/connect6")
int sov_connect6(struct bpf_sock_addr *ctx)
{
	struct sov_dst dst = { .family = AF_INET6, .hook = SOV_HOOK_CONNECT };

	dst.addr[0] = ctx->user_ip6[0];
	dst.addr[1] = ctx->user_ip6[1];
	dst.addr[2] = ctx->user_ip6[2];
	dst.addr[3] = ctx->user_ip6[3];
	return sock_addr_decide(ctx, &dst, 1);
}

SEC("cgroup/sendmsg4")
int sov_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct sov_dst dst = { .family = AF_INET, .hook = SOV_HOOK_SENDMSG };

	dst.addr[0] = ctx->user_ip4;
	return sock_addr_decide(ctx, &dst, 1);
}

SEC("cgroup/sendmsg6")
int sov_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct sov_dst dst = { .family = AF_INET6, .hook = SOV_HOOK_SENDMSG };

	dst.addr[0] = ctx->user_ip6[0];
	dst.addr[1] = ctx->user_ip6[1];
	dst.addr[2] = ctx->user_ip6[2];
	dst.addr[3] = ctx->user_ip6[3];
	return sock_addr_decide(ctx, &dst, 1);
}

/*
 * Every inet socket has an owner from its creation (cgroup_skb judges a
 * raw or ping socket tainted later by it), and a tainted process is
 * refused the channels that cannot be judged by destination (raw, ping,
 * other IP protocols). This hook runs for AF_INET/AF_INET6 sockets only
 * (inet_create): AF_PACKET and AF_XDP pass no cgroup hook on this path
 * (docs/threat-model.md). TCP and UDP sockets pay the owner record only.
 */
SEC("cgroup/sock_create")
int sov_sock_create(struct bpf_sock *sk)
{
	struct sov_dst dst = { .hook = SOV_HOOK_SOCKET };
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sov_config *cfg;
	struct sov_taint *t;

	sock_owner_set(sk, tgid);
	dst.channel = sov_channel(sk->family, sk->type, sk->protocol);
	if (dst.channel == SOV_CHAN_NONE)
		return 1;
	t = taint_judged(&tgid);
	if (!t)
		return 1;
	cfg = sov_cfg();
	if (!cfg)
		return 1;
	dst.family = sk->family;
	dst.sotype = sk->type;
	dst.proto = sk->protocol;
	return channel_decide(t, cfg, &dst) == SOV_VERDICT_DENY ? 0 : 1;
}

/* bind: only records the owner (listeners pass it on to accepted sockets). */
SEC("cgroup/bind4")
int sov_bind4(struct bpf_sock_addr *ctx)
{
	sock_owner_set(ctx->sk, bpf_get_current_pid_tgid() >> 32);
	return 1;
}

SEC("cgroup/bind6")
int sov_bind6(struct bpf_sock_addr *ctx)
{
	sock_owner_set(ctx->sk, bpf_get_current_pid_tgid() >> 32);
	return 1;
}

static __always_inline int skb_load_ext(const void *ctx, __u32 off, __u8 b[2])
{
	return bpf_skb_load_bytes((struct __sk_buff *)ctx, IP6_HLEN + off, b, 2);
}

/*
 * A packet whose header does not name where it goes (rules.h): IPv4
 * options with a source route (LSRR, SSRR) or an IPv6 routing header, set
 * with IP_OPTIONS or IPV6_RTHDR on the socket or per message. The header's
 * destination is then only the first hop, so such a packet of a tainted
 * owner is judged as the unknown zone; other options and extension headers
 * (hop-by-hop, destination options) do not change the destination. A
 * packet without options costs one byte read.
 */
static __always_inline int skb_reroutes(struct __sk_buff *skb, __u16 family)
{
	__u8 opts[SOV_IPOPT_BUF];
	__u8 b;
	__u32 len;

	if (family == AF_INET) {
		if (bpf_skb_load_bytes(skb, 0, &b, 1))
			return 1;
		len = (__u32)(b & 0xf) * 4;
		/* one compare with a constant: the verifier must see len >= 1
		 * for the variable-size read below */
		if (len <= IP4_HLEN)
			return len < IP4_HLEN;
		len -= IP4_HLEN;
		if (len > SOV_IPOPT_MAX || bpf_skb_load_bytes(skb, IP4_HLEN, opts, len))
			return 1;
		return sov_ip4_opts_reroute(opts, len);
	}
	if (bpf_skb_load_bytes(skb, 6, &b, 1))
		return 1;
	return sov_ip6_reroutes(skb, b, skb_load_ext);
}

/*
 * The writers of a socket (sov_senders) and the overflow of a full map:
 * 0 without a lookup of sov_senders while no record exists.
 */
static __always_inline __u64 sender_classes(struct bpf_sock *sk, struct sov_sender **sp)
{
	struct sov_sender_state *st = sender_state();
	struct sov_sender *s;
	__u64 key;

	*sp = NULL;
	if (!st || (!st->records && !st->overflow))
		return 0;
	if (!st->records)
		return st->overflow;
	key = (__u64)(unsigned long)sk;
	s = bpf_map_lookup_elem(&sov_senders, &key);
	*sp = s;
	return st->overflow | (s ? s->classes : 0);
}

/*
 * Late taint: a socket connected (and allowed) while its owner was
 * untainted. Once the owner is tainted, its packets to a zone the taint
 * does not allow are dropped here. The destination is read from the packet
 * so unconnected sockets are judged per datagram too. No helper about the
 * current task is used: this runs in whatever context sends the packet
 * (and 6.1 offers none of them to cgroup_skb); the owner recorded at
 * connect time speaks for the socket.
 * The sender is judged too (issue 10): a socket written by a tainted
 * process other than its owner (inherited, passed) is judged by the union
 * of the owner's taint and its writers' classes (sov_senders, recorded at
 * sys_enter), and the event names the writer when its classes are
 * violated. Once refused, the socket stays refused (the stream holds the
 * writer's bytes), also for its untainted owner.
 */
SEC("cgroup_skb/egress")
int sov_skb_egress(struct __sk_buff *skb)
{
	struct sov_dst dst = { .hook = SOV_HOOK_SKB };
	const struct sov_sock_owner *who;
	struct sov_sock_owner *o;
	struct sov_sender *s;
	struct sov_config *cfg;
	struct sov_taint u = {};
	struct sov_event *e;
	struct bpf_sock *sk;
	struct sov_taint *t = NULL;
	__u64 violated = 0, sclasses;
	__u32 zone = 0;
	int verdict;

	sk = skb->sk;
	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	/* A listener only answers handshakes (SYN-ACK, RST), no data: the
	 * accepted socket carries the data and is judged. */
	if (!sk || sk->state == BPF_TCP_LISTEN)
		return 1;
	o = bpf_sk_storage_get(&sov_sock_owner, sk, 0, 0);
	/* The owner's taint, also once it exited (sov_taint_exited). */
	if (o)
		t = taint_of_owner(&o->tgid);
	sclasses = sender_classes(sk, &s);
	if (!t && !sclasses) {
		/* A refused socket stays refused, whatever became of its owner. */
		if (o && o->denied == SOV_SOCK_DENIED) {
			count(SOV_CNT_PKT_DROP);
			return 0;
		}
		return 1;
	}
	cfg = sov_cfg();
	if (!cfg)
		return 1;
	if (!o)
		o = bpf_sk_storage_get(&sov_sock_owner, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	u.classes = sclasses;
	if (t)
		u.classes |= t->classes;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		dst.family = AF_INET;
		if (bpf_skb_load_bytes(skb, 16, &dst.addr[0], 4))
			return 1;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		dst.family = AF_INET6;
		if (bpf_skb_load_bytes(skb, 24, dst.addr, 16))
			return 1;
	} else {
		return 1;
	}
	dst.proto = sk->protocol;
	dst.dport = bpf_ntohs(sk->dst_port);

	/* A raw, ping or other-protocol socket created before its owner's
	 * taint: judged as a channel, whatever the destination. */
	dst.channel = sov_channel(sk->family, sk->type, sk->protocol);
	if (dst.channel != SOV_CHAN_NONE) {
		dst.sotype = sk->type;
		verdict = channel_verdict(&u, cfg, &dst, &violated);
	} else {
		dst.unsure = skb_reroutes(skb, dst.family);
		verdict = egress_verdict(&u, cfg, &dst, &zone, &violated);
	}
	if (verdict == SOV_VERDICT_ALLOW)
		return 1;
	/* Report once per socket and verdict (an audit once, a later deny
	 * again); drop every packet of a deny. The event names the writer
	 * whose classes are violated, else the owner. */
	if (o && egress_sock_reports(o, verdict)) {
		count_verdict(verdict);
		who = o;
		if (s && (violated & s->classes) && !(t && (violated & t->classes)))
			who = &s->who;
		e = event_of_owner(SOV_EV_EGRESS, who);
		if (e) {
			egress_fill(e, &u, &dst, verdict, zone, violated);
			event_submit(e);
		}
	}
	if (verdict != SOV_VERDICT_DENY)
		return 1;
	count(SOV_CNT_PKT_DROP);
	return 0;
}

/* ---------------------------------------------------------------- devices */
#include "device.bpf.h"

/* uapi bpf.h's device cgroup constants (anonymous enums: not in vmlinux.h) */
#define DEVCG_ACC_READ		(1 << 1)
#define DEVCG_ACC_WRITE		(1 << 2)
#define DEVCG_DEV_CHAR		2

/*
 * RDMA devices (device.bpf.h): the device cgroup check runs in
 * inode_permission(), before the driver's open, in the context of the
 * process that opens; returning 0 makes the open fail with EPERM. mknod and
 * block devices pass without a lookup, character devices of an untainted
 * process with one. cgroup_current_func_proto() (6.1 and later) gives these
 * programs the current task's pid/tgid, uid, comm and cgroup. An fd opened
 * before the taint never passes here again (docs/architecture.md).
 */
static __always_inline int dev_check(struct bpf_cgroup_dev_ctx *ctx, __u32 tgid,
				     const struct sov_cur *cur)
{
	__u32 type = ctx->access_type & 0xFFFF;
	__u32 access = ctx->access_type >> 16;
	struct sov_config *cfg;
	struct sov_taint *t;

	if (type != DEVCG_DEV_CHAR ||
	    !(access & (DEVCG_ACC_READ | DEVCG_ACC_WRITE)))
		return 1;
	t = taint_judged(&tgid);
	if (!t)
		return 1;
	if (!rdma_dev(ctx->major, ctx->minor))
		return 1;
	cfg = sov_cfg();
	if (!cfg)
		return 1;
	return device_decide(t, cfg, ctx->major, ctx->minor, 0, cur) == SOV_VERDICT_DENY ? 0 : 1;
}

SEC("cgroup/dev")
int sov_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	return dev_check(ctx, bpf_get_current_pid_tgid() >> 32, NULL);
}

/*
 * Kernels whose cgroup/dev programs have no current-task helper (before
 * 6.1; sovd probes, agent/kpath_tracing.c): sov_sched_switch writes the
 * process each CPU switches to into sov_cur (per CPU), and
 * sov_dev_switched reads it there. A device program runs in the opener's
 * context without a switch in between, so the slot names the opener. Only
 * loaded on such kernels: every context switch pays a few loads.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(sov_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 k = 0;
	struct sov_cur *c = bpf_map_lookup_elem(&sov_cur, &k);

	if (!c)
		return 0;
	c->tgid = next->tgid;
	c->pid = next->pid;
	c->uid = BPF_CORE_READ(next, real_cred, uid.val);
	c->cgroup_id = BPF_CORE_READ(next, cgroups, dfl_cgrp, kn, id);
	__builtin_memcpy(c->comm, next->comm, sizeof(c->comm));
	return 0;
}

SEC("cgroup/dev")
int sov_dev_switched(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 k = 0;
	struct sov_cur *c = bpf_map_lookup_elem(&sov_cur, &k);

	if (!c)
		return 1;
	return dev_check(ctx, c->tgid, c);
}

/* ------------------------------------------------------------ views */
/* io_uring's opens, reads and writes (issue 11): views.bpf.h. */
#define SOV_VIEWS_PROGS 1
#include "views.bpf.h"

/*
 * One program on each raw syscall tracepoint (issue 14): every syscall of
 * the host enters a BPF program once at its entry and once at its exit,
 * whatever part of sovd wants it; each part filters the number itself
 * (subprograms: they keep their own stack frames). Five programs before
 * cost about 300 ns per unrelated syscall (docs/performance.md).
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(sov_sys_enter, struct pt_regs *regs, long id)
{
	tracing_on_enter(regs, id);
	ipc_on_enter(regs, id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sov_sys_exit, struct pt_regs *regs, long ret)
{
	tracing_on_exit(regs, ret);
	procmem_on_exit(regs, ret);
	ipc_on_exit(regs, ret);
	return 0;
}

/*
 * The same parts from the per-syscall tracepoints (issue 14): sovd
 * attaches sov_sc_enter to syscalls/sys_enter_NAME and sov_sc_exit to
 * sys_exit_NAME for every native syscall the parts name (build
 * sov_sc_hooks.h), instead of the two programs above, where no ia32 or
 * x32 syscall can be entered (agent/kpath_syscalls.c). An unrelated
 * syscall then runs no BPF: the kernel's syscall tracing tests its number
 * in a bitmap. One of the two pairs is loaded.
 */
SEC("tracepoint")
int sov_sc_enter(void *ctx)
{
	struct pt_regs *regs = sov_sc_task_regs();

	tracing_on_enter(regs, SOV_SC_ID(regs));
	ipc_on_enter(regs, SOV_SC_ID(regs));
	return 0;
}

SEC("tracepoint")
int sov_sc_exit(void *ctx)
{
	struct pt_regs *regs = sov_sc_task_regs();

	tracing_on_exit(regs, SOV_SC_RET(regs));
	procmem_on_exit(regs, SOV_SC_RET(regs));
	ipc_on_exit(regs, SOV_SC_RET(regs));
	return 0;
}
