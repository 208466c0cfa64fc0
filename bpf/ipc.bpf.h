/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Taint over local channels (issue 11), the same programs on both kernel
 * paths (tp_btf loads on the LSM kernels too): data a tainted process
 * writes into a pipe or FIFO, a Unix socket or a TCP connection to this
 * host taints the process that reads it, with the writer's derivable
 * classes (what it passes on to what it writes, as a derived file gets).
 *
 * Write side (sov_ipc_enter, at the entry of the writing call, before the
 * data moves): a tainted writer labels the object the reader will read
 * from, in sov_ipc (LRU hash):
 *   - pipe or FIFO: the pipe's inode (both ends share it);
 *   - Unix stream, seqpacket, connected datagram: the peer struct sock
 *     (unix_sk(sk)->peer), or for a datagram peer bound to a name, the name;
 *   - Unix datagram sent to a name (sendto, sendmsg's msg_name): the name,
 *     in sov_ipc_names (network namespace + the name as sent and bound);
 *   - TCP to this host (loopback, or the local address itself): the
 *     reader's connection by its own 4-tuple and network namespace, that
 *     is the writer's reversed.
 * Read side (sov_ipc_exit, at the exit of the reading call: data may have
 * arrived while the reader was blocked): the object the reader read from
 * is looked up and its classes taint the reader (taint event, hook
 * SOV_HOOK_IPC, path "pipe:[N]"/"socket:[N]"/the FIFO's path); the files it
 * holds open for writing derive (derive_on_taint()), and splice/tee label
 * the IPC object they forward into.
 *
 * Cost for processes that are not tainted: the write side pays the
 * syscall-number filter and one taint lookup; the read side pays the
 * number filter, then a gate (sov_ipc_state: no labelled IPC object was
 * ever recorded, an inlined array access), then one lookup.
 *
 * Forgetting: a read that returns 0 (end of stream: no writer left,
 * nothing queued) removes the object's label; a TCP connection's label goes
 * when the reader's socket reaches TCP_CLOSE after its close; the rest is
 * bounded by the LRU maps. A label is stamped with the object's
 * generation (the pipe inode's or socket inode's i_ino, unique per boot
 * for pseudo inodes) so an object that reuses a dead one's address does
 * not inherit its label.
 */
#ifndef SOV_IPC_BPF_H
#define SOV_IPC_BPF_H

#include "derive.bpf.h"
#include "ipc_rules.h"
#include "sysarch.bpf.h"
#ifndef AF_UNIX
#define AF_UNIX			SOV_AF_UNIX
#endif
#define SOV_IPC_S_IFIFO		0010000
#define SOV_IPC_S_IFSOCK	0140000
#define SOV_IPC_SOCK_DGRAM	2
#define SOV_IPC_TCP_CLOSE	7
#define SOV_IPC_NAME_MAX	108	/* sizeof(sun_path) */

/* The maps sov_ipc, sov_ipc_names, sov_ipc_state: bpf/maps.bpf.h. */

static __always_inline struct sov_ipc_state *ipc_state(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&sov_ipc_state, &k);
}

/* The inode number of a struct socket (struct socket_alloc's inode). */
static __always_inline __u32 ipc_socket_ino(struct socket *sock)
{
	struct inode *inode;

	if (!sock)
		return 0;
	inode = (struct inode *)((char *)sock + bpf_core_field_offset(struct socket_alloc,
								      vfs_inode));
	return (__u32)BPF_CORE_READ(inode, i_ino);
}

static __always_inline __u32 ipc_netns(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* A TCP socket's local and remote ends, addresses in the v6 form. */
static __always_inline void ipc_tcp_ends(struct sock *sk, __u16 family, __u32 l[4], __u32 r[4],
					 __u16 *lport, __u16 *rport)
{
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(l, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
		BPF_CORE_READ_INTO(r, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	} else {
		l[0] = r[0] = l[1] = r[1] = 0;
		l[2] = r[2] = bpf_htonl(0xffff);
		l[3] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		r[3] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	}
	*lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	*rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* A Unix socket's bound name into k (0 when it has none). */
static __always_inline int ipc_unix_name(struct sock *sk, struct sov_ipc_name_key *k)
{
	struct unix_address *addr = BPF_CORE_READ((struct unix_sock *)sk, addr);
	const char *path;
	int len;

	if (!addr)
		return 0;
	len = BPF_CORE_READ(addr, len) - 2;	/* less sun_family */
	if (len <= 0 || len > SOV_IPC_NAME_MAX)
		return 0;
	path = (const char *)addr + bpf_core_field_offset(struct unix_address, name) + 2;
	k->netns = ipc_netns(sk);
	if (bpf_probe_read_kernel(k->name, 1, path))
		return 0;
	if (k->name[0]) {
		/* a path name: up to its NUL */
		if (bpf_probe_read_kernel_str(k->name, SOV_IPC_NAME_MAX, path) <= 0)
			return 0;
		return 1;
	}
	k->len = len;
	return !bpf_probe_read_kernel(k->name, len & 0x7f, path);
}

/* The name a Unix datagram is sent to (sockaddr_un in user memory). */
static __always_inline int ipc_user_name(struct sock *sk, const char *uaddr, long ulen,
					 struct sov_ipc_name_key *k)
{
	int len = (int)ulen - 2;

	if (!uaddr || len <= 0 || len > SOV_IPC_NAME_MAX)
		return 0;
	k->netns = ipc_netns(sk);
	if (bpf_probe_read_user(k->name, 1, uaddr + 2))
		return 0;
	if (k->name[0])
		return bpf_probe_read_user_str(k->name, SOV_IPC_NAME_MAX, uaddr + 2) > 0;
	k->len = len;
	return !bpf_probe_read_user(k->name, len & 0x7f, uaddr + 2);
}

/*
 * Store or grow a label in map w (0: sov_ipc, 1: sov_ipc_names). The LRU
 * maps evict without a word, so a new label is judged against the entries
 * below which the LRU cannot evict (safe, written by sovd from the map's
 * size and the CPUs' local free lists). At or above it, an insert may
 * push out any label the map holds, whose reader would then go untainted:
 * every class the map ever held is lost (overflow_add(), SOV_LOST_IPC).
 */
static __always_inline void ipc_put(void *map, const void *key, __u64 classes, __u32 gen,
				    __u32 tgid, int w)
{
	struct sov_ipc_label *l, nl = { .classes = classes, .gen = gen, .tgid = tgid };
	struct sov_ipc_state *st;

	l = bpf_map_lookup_elem(map, key);
	if (l && l->gen == gen) {
		if (sov_classes_grow(l->classes, classes))
			sov_or(&l->classes, classes);
		l->tgid = tgid;
		return;
	}
	st = ipc_state();
	if (!st) {
		overflow_add(classes, SOV_LOST_IPC);
		return;
	}
	w &= 1;
	if (sov_classes_grow(st->seen[w], classes))
		sov_or(&st->seen[w], classes);
	/* a new entry where the LRU may evict: fail closed first */
	if (!l && st->held[w] >= st->safe[w])
		overflow_add(st->seen[w] | classes, SOV_LOST_IPC);
	if (bpf_map_update_elem(map, key, &nl, BPF_ANY)) {
		overflow_add(classes, SOV_LOST_IPC);
		return;
	}
	if (!l) {
		__sync_fetch_and_add(&st->records, 1);
		__sync_fetch_and_add(&st->held[w], 1);
	}
}

static __always_inline void ipc_forget(void *map, const void *key, int w)
{
	struct sov_ipc_state *st = ipc_state();

	if (bpf_map_delete_elem(map, key) || !st)
		return;
	w &= 1;
	if (st->records)
		__sync_fetch_and_add(&st->records, -1);
	if (st->held[w])
		__sync_fetch_and_add(&st->held[w], -1);
}

/* Where a datagram sent by the call in flight goes (sendto's and
 * sendmsg's name): user address and length, or 0. */
static __always_inline int ipc_send_name(struct pt_regs *regs, long nr, int compat,
					 const char **ua, long *ulen)
{
	struct { const char *name; int len; } mh;
	__u32 mh32[2];

#ifdef SOV_ARCH_X86
	if (compat) {
		if (nr == SOV_NR32_sendto) {
			*ua = (const char *)(unsigned long)SOV_SC32_ARG5(regs);
			*ulen = (int)SOV_SC32_ARG6(regs);
			return 1;
		}
		/* sendmsg, sendmmsg: compat msghdr */
		if (nr == SOV_NR32_sendmsg || nr == SOV_NR32_sendmmsg) {
			if (bpf_probe_read_user(mh32, sizeof(mh32),
						(void *)(unsigned long)SOV_SC32_ARG2(regs)))
				return 0;
			*ua = (const char *)(unsigned long)mh32[0];
			*ulen = (int)mh32[1];
			return 1;
		}
		return 0;
	}
#else
	(void)mh32;
	if (compat)
		return 0;
#endif
	if (nr == SOV_NR_sendto) {
		*ua = (const char *)SOV_SC_ARG5(regs);
		*ulen = (int)SOV_SC_ARG6(regs);
		return 1;
	}
	if (nr == SOV_NR_sendmsg || nr == SOV_NR_sendmmsg
#ifdef SOV_ARCH_X86
	    || nr == SOV_NRX32_sendmsg || nr == SOV_NRX32_sendmmsg
#endif
	    ) {
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)SOV_SC_ARG2(regs)))
			return 0;
		*ua = mh.name;
		*ulen = mh.len;
		return 1;
	}
	return 0;
}

/*
 * A tainted process writes 'classes' into the fd's file: label the object
 * its reader reads from. regs/nr/compat: the call, for a datagram's name.
 */
static __always_inline void ipc_label_file(struct file *file, __u64 classes, __u32 tgid,
					   struct pt_regs *regs, long nr, int compat)
{
	struct sov_ipc_key key = {};
	struct sov_ipc_name_key nk = {};
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct sock *sk, *peer;
	struct socket *sock;
	const char *ua = NULL;
	long ulen = 0;
	__u32 mode;
	__u16 family;

	if (!inode || !classes)
		return;
	mode = BPF_CORE_READ(inode, i_mode) & SOV_S_IFMT;
	if (mode == SOV_IPC_S_IFIFO) {
		key.obj = (__u64)(unsigned long)inode;
		ipc_put(&sov_ipc, &key, classes, (__u32)BPF_CORE_READ(inode, i_ino), tgid, 0);
		return;
	}
	if (mode != SOV_IPC_S_IFSOCK)
		return;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_UNIX) {
		peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		if (BPF_CORE_READ(sock, type) == SOV_IPC_SOCK_DGRAM) {
			/* a datagram reader bound to a name is labelled by
			 * its name (whoever sends there), else by itself */
			if (peer ? ipc_unix_name(peer, &nk) :
			    (ipc_send_name(regs, nr, compat, &ua, &ulen) &&
			     ipc_user_name(sk, ua, ulen, &nk))) {
				ipc_put(&sov_ipc_names, &nk, classes, 0, tgid, 1);
				return;
			}
		}
		if (!peer)
			return;
		key.obj = (__u64)(unsigned long)peer;
		ipc_put(&sov_ipc, &key, classes,
			ipc_socket_ino(BPF_CORE_READ(peer, sk_socket)), tgid, 0);
		return;
	}
	if ((family != AF_INET && family != AF_INET6) ||
	    BPF_CORE_READ(sk, sk_protocol) != SOV_IPPROTO_TCP)
		return;
	/* the reader's view: the writer's ends swapped */
	ipc_tcp_ends(sk, family, key.raddr, key.laddr, &key.rport, &key.lport);
	if (!sov_ipc_local_tcp(key.raddr, key.laddr))
		return;
	key.netns = ipc_netns(sk);
	ipc_put(&sov_ipc, &key, classes, 0, tgid, 0);
}

/* The fd of a call's argument 'arg' (SOV_SEND_FD_ARG1/ARG3, SOV_IPC_FD_ARG2). */
static __always_inline long ipc_fd_arg(struct pt_regs *regs, int arg, int compat)
{
#ifdef SOV_ARCH_X86
	if (compat)
		return arg == SOV_SEND_FD_ARG1 ? (int)SOV_SC32_ARG1(regs) :
		       arg == SOV_IPC_FD_ARG2 ? (int)SOV_SC32_ARG2(regs) :
		       arg == SOV_SEND_FD_ARG3 ? (int)SOV_SC32_ARG3(regs) : -1;
#else
	(void)compat;
#endif
	return arg == SOV_SEND_FD_ARG1 ? (int)SOV_SC_ARG1(regs) :
	       arg == SOV_IPC_FD_ARG2 ? (int)SOV_SC_ARG2(regs) :
	       arg == SOV_SEND_FD_ARG3 ? (int)SOV_SC_ARG3(regs) : -1;
}

static __always_inline void ipc_label_fd(struct task_struct *task, long fd, __u64 taint,
					 __u32 tgid, struct pt_regs *regs, long nr, int compat)
{
	struct sov_config *cfg = sov_cfg();
	struct file *file;

	if (!cfg)
		return;
	file = file_of_fd(task, fd);
	if (file)
		ipc_label_file(file, sov_derivable(taint, cfg), tgid, regs, nr, compat);
}

static __noinline int ipc_on_enter(struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct sov_taint *t;
	int arg, compat;
	__u32 tgid;
	long nr;

	nr = id & ~SOV_X32_SYSCALL_BIT;
	if (!sov_ipc_write_fd_arg(nr, 0) && !sov_ipc_write_fd_arg(nr, 1))
		return 0;
	task = sov_current_task();
	compat = sov_task_compat(task);
	arg = sov_ipc_write_fd_arg(nr, compat);
	if (arg == SOV_SEND_FD_NONE || arg == SOV_SEND_FD_SOCKETCALL)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	t = taint_of(&tgid);
	if (!t)
		return 0;
	ipc_label_fd(task, ipc_fd_arg(regs, arg, compat), t->classes, tgid, regs, nr, compat);
	return 0;
}

/* The object the reader's file reads from: which map and key, and the
 * generation the label must carry. 0: not an IPC object. */
static __always_inline int ipc_reader_key(struct file *file, struct sov_ipc_key *key,
					  struct sov_ipc_name_key **nkp, __u32 *gen, int *dgram)
{
	struct sov_ipc_name_key *nk;
	__u32 zero = 0;
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct socket *sock;
	struct sock *sk;
	__u32 mode;
	__u16 family;

	if (!inode)
		return 0;
	mode = BPF_CORE_READ(inode, i_mode) & SOV_S_IFMT;
	if (mode == SOV_IPC_S_IFIFO) {
		key->obj = (__u64)(unsigned long)inode;
		*gen = (__u32)BPF_CORE_READ(inode, i_ino);
		return 1;
	}
	if (mode != SOV_IPC_S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_UNIX) {
		*dgram = BPF_CORE_READ(sock, type) == SOV_IPC_SOCK_DGRAM;
		if (*dgram) {
			nk = bpf_map_lookup_elem(&sov_ipc_scratch, &zero);
			if (!nk)
				return 0;
			__builtin_memset(nk, 0, sizeof(*nk));
			if (ipc_unix_name(sk, nk)) {
				*nkp = nk;
				return 2;
			}
		}
		key->obj = (__u64)(unsigned long)sk;
		*gen = (__u32)BPF_CORE_READ(inode, i_ino);
		return 1;
	}
	if ((family != AF_INET && family != AF_INET6) ||
	    BPF_CORE_READ(sk, sk_protocol) != SOV_IPPROTO_TCP)
		return 0;
	ipc_tcp_ends(sk, family, key->laddr, key->raddr, &key->lport, &key->rport);
	key->netns = ipc_netns(sk);
	return 1;
}

/*
 * accept() returned the fd of a Unix stream socket that was an embryo in
 * the listener's queue until now: a tainted client that wrote before the
 * accept labelled it with generation 0 (no inode yet). The label takes the
 * new inode's number, so it matches this socket only, never a later sock
 * at the same address (ipc_reader_key() compares generations exactly).
 */
static __always_inline void ipc_accept_exit(struct task_struct *task, long fd,
					    struct sov_ipc_key *key)
{
	struct sov_ipc_label *l;
	struct socket *sock;
	struct inode *inode;
	struct file *file;
	struct sock *sk;

	file = file_of_fd(task, fd);
	if (!file)
		return;
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode || (BPF_CORE_READ(inode, i_mode) & SOV_S_IFMT) != SOV_IPC_S_IFSOCK)
		return;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_UNIX)
		return;
	key->obj = (__u64)(unsigned long)sk;
	l = bpf_map_lookup_elem(&sov_ipc, key);
	if (l && !l->gen)
		l->gen = (__u32)BPF_CORE_READ(inode, i_ino);
}

static __noinline int ipc_on_exit(struct pt_regs *regs, long ret)
{
	struct sov_ipc_key key = {};
	struct sov_ipc_name_key *nk = NULL;
	struct sov_inode_key ik = {};
	struct sov_ipc_state *st;
	struct sov_ipc_label *l;
	struct task_struct *task;
	struct file *file;
	__u64 classes;
	__u32 gen = 0, tgid;
	int compat, kind, dgram = 0, arg;
	long nr, fd;

	if (ret < 0)
		return 0;
	nr = SOV_SC_ID(regs) & ~SOV_X32_SYSCALL_BIT;
	if (!sov_ipc_reads(nr, 0) && !sov_ipc_reads(nr, 1) &&
	    !sov_ipc_accepts(nr, 0) && !sov_ipc_accepts(nr, 1))
		return 0;
	st = ipc_state();
	if (!st || !st->records)
		return 0;
	task = sov_current_task();
	compat = sov_task_compat(task);
	if (sov_ipc_accepts(nr, compat)) {
		ipc_accept_exit(task, ret, &key);
		return 0;
	}
	if (!sov_ipc_reads(nr, compat))
		return 0;
#ifdef SOV_ARCH_X86
	fd = compat ? (int)SOV_SC32_ARG1(regs) : (int)SOV_SC_ARG1(regs);
#else
	fd = (int)SOV_SC_ARG1(regs);
#endif
	file = file_of_fd(task, fd);
	if (!file)
		return 0;
	kind = ipc_reader_key(file, &key, &nk, &gen, &dgram);
	if (!kind)
		return 0;
	if (kind == 2 && nk)
		l = bpf_map_lookup_elem(&sov_ipc_names, nk);
	else
		l = bpf_map_lookup_elem(&sov_ipc, &key);
	if (!l)
		return 0;
	/* a label of a dead object whose address this one reuses, or of an
	 * embryo never accepted (generation 0; ipc_accept_exit()) */
	if (l->gen != gen)
		return 0;
	if (sov_ipc_eof(ret, dgram)) {
		if (kind == 2 && nk)
			ipc_forget(&sov_ipc_names, nk, 1);
		else
			ipc_forget(&sov_ipc, &key, 0);
		return 0;
	}
	classes = l->classes;
	tgid = bpf_get_current_pid_tgid() >> 32;
	ik.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	ik.ino = BPF_CORE_READ(file, f_inode, i_ino);
	if (!taint_grow_hook(tgid, &classes, NULL, &ik, fd, NULL, -1, SOV_HOOK_IPC))
		return 0;
	derive_on_taint(classes);
	/* splice/tee moved the data on: an IPC object there is labelled */
	arg = sov_ipc_forward_fd_arg(nr, compat);
	if (arg != SOV_SEND_FD_NONE)
		ipc_label_fd(task, ipc_fd_arg(regs, arg, compat), classes, tgid, regs, nr, compat);
	return 0;
}

/* sk_flags moved into sock_common (skc_flags) after 6.12 */
struct sock___sk_flags {
	unsigned long sk_flags;
} __attribute__((preserve_access_index));

struct sock_common___skc_flags {
	unsigned long skc_flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long ipc_sk_flags(const struct sock *sk)
{
	const struct sock___sk_flags *o = (const void *)sk;
	const struct sock_common___skc_flags *n = (const void *)sk;

	if (bpf_core_field_exists(o->sk_flags))
		return BPF_CORE_READ(o, sk_flags);
	return BPF_CORE_READ(n, skc_flags);
}

/* A TCP connection closed by its reader (SOCK_DEAD: no fd left) reaches
 * TCP_CLOSE: its label, keyed by its own ends, is forgotten. A reset
 * connection that is still open may hold unread data: it keeps its label
 * until its end of stream is read or the LRU drops it. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sov_ipc_tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct sov_ipc_key key = {};
	struct sov_ipc_state *st;
	__u16 family;

	if (newstate != SOV_IPC_TCP_CLOSE)
		return 0;
	st = ipc_state();
	if (!st || !st->records)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != SOV_IPPROTO_TCP ||
	    !(ipc_sk_flags(sk) & (1UL << SOCK_DEAD)))
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ipc_tcp_ends((struct sock *)sk, family, key.laddr, key.raddr, &key.lport, &key.rport);
	key.netns = ipc_netns((struct sock *)sk);
	ipc_forget(&sov_ipc, &key, 0);
	return 0;
}

#endif
