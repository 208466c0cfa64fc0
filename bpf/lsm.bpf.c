// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The LSM path, for kernels where BPF LSM programs load (bpf in lsm=).
 * Decisions are made in the LSM hooks, in the context of the task that
 * asks: file_open sees every open (io_uring included), socket_connect and
 * socket_sendmsg every connect and send, so a socket connected before a
 * late taint is refused at its next send with EPERM; socket_create refuses
 * a tainted process the channels that cannot be judged by destination.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
/* Events take the file's path from bpf_d_path() (event_path()). */
#define SOV_LSM_PATH 1
#include "fork_exit.bpf.h"
#include "open.bpf.h"
#include "egress.bpf.h"
#include "device.bpf.h"
#include "procmem.bpf.h"	/* issue 11: process and shared memory */
#include "ipc.bpf.h"
#include "selfprot.bpf.h"

#define SOCK_STREAM	1
#define SOCK_DGRAM	2
#define IPPROTO_UDP	17
#define EPERM		1

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("lsm/file_open")
int BPF_PROG(sov_file_open, struct file *file)
{
	/* An RDMA device refused to a tainted process (device.bpf.h). */
	if (dev_permission_check(file, 0))
		return -EPERM;
	/* sovd's journal and key, written by sovd only (selfprot.bpf.h) */
	if (self_file_open(file))
		return -EPERM;
	on_open(file, -1, NULL, -1);
	return 0;
}

/*
 * Labels at creation (issue 11, label.bpf.h): a dentry that gets its inode
 * (mkdir, create, mknod, symlink, link, O_TMPFILE's linkat; a lookup that
 * reads an inode into the dcache) takes its labelled parent's classes. A
 * void hook: it cannot refuse.
 */
SEC("lsm/d_instantiate")
int BPF_PROG(sov_d_instantiate, struct dentry *dentry, struct inode *inode)
{
	label_on_instantiate(dentry, inode);
	return 0;
}

/* What is moved into a labelled directory takes its classes (before the
 * move; RENAME_EXCHANGE passes here once for each side). Never refuses. */
SEC("lsm/inode_rename")
int BPF_PROG(sov_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry)
{
	label_on_move(BPF_CORE_READ(old_dentry, d_inode), new_dir);
	return 0;
}

/*
 * A deleted inode's label goes with the inode (issue 12): the last iput of
 * an inode without links frees it here, so its (dev, ino) can be reused
 * by a new file that must not find a label (label.bpf.h label_reclaim()).
 * An inode evicted from the cache while it still has links keeps its
 * label. A void hook: it cannot refuse.
 */
SEC("lsm/inode_free_security")
int BPF_PROG(sov_inode_free, struct inode *inode)
{
	label_reclaim(inode);
	return 0;
}

/*
 * An fd that arrives without an open (issue 11): SCM_RIGHTS (scm_detach_fds
 * -> receive_fd) and pidfd_getfd() both call security_file_receive() in
 * the receiver's context before the fd is installed. The receiver is
 * tainted as by an open for reading (open.bpf.h receive_label()); a
 * tainted receiver of a regular file's fd open for writing makes the file
 * a derivative (receive_write()). Never refuses.
 */
SEC("lsm/file_receive")
int BPF_PROG(sov_file_receive, struct file *file)
{
	struct sov_inode_key key = {};
	__u64 classes = receive_label(file, &key);

	on_receive(classes, &key, -1);
	receive_write(file, -1);
	return 0;
}

/*
 * An earlier BPF LSM program's refusal stands. It is returned as -EPERM, a
 * constant: 6.12's verifier wants every return provably in [-4095, 0], and
 * clang's 32-bit moves of the incoming value lose the range it knows.
 */
static __always_inline int prev_verdict(int ret)
{
	(void)ret;
	return -EPERM;
}

/*
 * -EPERM or 0, built so the verifier sees a constant on each path: clang
 * turns "deny ? -EPERM : 0" into a negation, whose range 6.12's verifier
 * does not track, and LSM returns must be provably in [-4095, 0].
 */
static __always_inline int lsm_ret(long deny)
{
	long r;

	asm volatile("%[r] = 0\n\t"
		     "if %[d] == 0 goto +1\n\t"
		     "%[r] = -1"
		     : [r] "=&r"(r)
		     : [d] "r"(deny));
	return (int)r;
}

/* The tracing path gets scope from where its cgroup programs are attached;
 * LSM hooks are global, so they check the scope cgroups themselves. */
static __always_inline long under_scope_cgroup(__u32 i)
{
	return bpf_current_task_under_cgroup(&sov_scope, i);
}

static __always_inline int in_scope(const struct sov_config *cfg)
{
	return sov_in_scope(cfg, under_scope_cgroup);
}

/*
 * What every egress hook asks first: the current process's taint, when it
 * has one and runs inside the scope (the untainted fast path is the one
 * taint lookup). *cfgp gets the configuration in force.
 */
static __always_inline struct sov_taint *tainted_in_scope(struct sov_config **cfgp)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sov_taint *t = taint_judged(&tgid);
	struct sov_config *cfg;

	if (!t)
		return NULL;
	cfg = sov_cfg();
	if (!cfg || !in_scope(cfg))
		return NULL;
	*cfgp = cfg;
	return t;
}

/* Reads an AF_INET/AF_INET6 sockaddr into dst; -1 for other families. */
static __always_inline int dst_from_sockaddr(struct sockaddr *sa, struct sov_dst *dst)
{
	__u16 family = BPF_CORE_READ(sa, sa_family);

	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)sa;

		dst->family = AF_INET;
		dst->addr[0] = BPF_CORE_READ(sin, sin_addr.s_addr);
		dst->dport = bpf_ntohs(BPF_CORE_READ(sin, sin_port));
		return 0;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)sa;

		dst->family = AF_INET6;
		BPF_CORE_READ_INTO(&dst->addr, sin6, sin6_addr.in6_u.u6_addr32);
		dst->dport = bpf_ntohs(BPF_CORE_READ(sin6, sin6_port));
		return 0;
	}
	return -1;
}

/* How socket_sendmsg judges a send on a TCP or UDP socket (send_dst()). */
#define SEND_PEER	0	/* the connected peer */
#define SEND_DST	1	/* *dst: sendto()'s name or a pending cork */

/*
 * sendto()'s name as the kernel reads it for a socket of family sk_family
 * (rules.h sov_name_kind()): AF_UNSPEC is AF_INET on an IPv4 socket and
 * "no name" on an IPv6 one, an AF_INET name on an IPv6 socket goes out
 * over IPv4, and a name that cannot be parsed is the unknown zone.
 */
static __always_inline int dst_from_name(__u16 sk_family, struct sockaddr *sa, int namelen,
					 struct sov_dst *dst)
{
	int kind = sov_name_kind(sk_family, BPF_CORE_READ(sa, sa_family),
				 namelen < 0 ? 0 : namelen);

	if (kind == SOV_NAME_PEER)
		return SEND_PEER;
	if (kind == SOV_NAME_V4) {
		struct sockaddr_in *sin = (void *)sa;

		dst->family = AF_INET;
		dst->addr[0] = BPF_CORE_READ(sin, sin_addr.s_addr);
		dst->dport = bpf_ntohs(BPF_CORE_READ(sin, sin_port));
	} else if (kind == SOV_NAME_V6) {
		struct sockaddr_in6 *sin6 = (void *)sa;

		dst->family = AF_INET6;
		BPF_CORE_READ_INTO(&dst->addr, sin6, sin6_addr.in6_u.u6_addr32);
		dst->dport = bpf_ntohs(BPF_CORE_READ(sin6, sin6_port));
	} else {
		dst->family = sk_family;
		dst->unsure = 1;
	}
	return SEND_DST;
}

/*
 * A UDP socket with a corked datagram pending (UDP_CORK, MSG_MORE): the
 * kernel appends whatever is sent, with or without a name, to that
 * datagram, which leaves for the destination of the cork's flow, judged
 * here (the cork may have been made before the taint). up->pending is read
 * without the socket lock: a cork made by another thread during this send
 * is the one race left (docs/architecture.md).
 */
static __always_inline int dst_from_cork(struct sock *sk, struct sov_dst *dst)
{
	struct udp_sock *up = (void *)sk;
	int pending = BPF_CORE_READ(up, pending);

	if (pending == AF_INET) {
		dst->family = AF_INET;
		dst->addr[0] = BPF_CORE_READ(up, inet.cork.fl.u.ip4.daddr);
		dst->dport = bpf_ntohs(BPF_CORE_READ(up, inet.cork.fl.u.ip4.uli.ports.dport));
		return 1;
	}
	if (pending == AF_INET6) {
		dst->family = AF_INET6;
		BPF_CORE_READ_INTO(&dst->addr, up, inet.cork.fl.u.ip6.daddr.in6_u.u6_addr32);
		dst->dport = bpf_ntohs(BPF_CORE_READ(up, inet.cork.fl.u.ip6.uli.ports.dport));
		return 1;
	}
	return 0;
}

/*
 * A source route set on the socket (IP_OPTIONS with LSRR/SSRR,
 * IPV6_RTHDR): its packets go first to hops the destination does not
 * name, so the send is judged as the unknown zone (and so is one given
 * per message: msg_source_routed()).
 */
static __always_inline int sock_source_routed(struct sock *sk, __u16 family)
{
	struct inet_sock *inet = (void *)sk;
	struct ip_options_rcu *opt = BPF_CORE_READ(inet, inet_opt);
	struct ipv6_txoptions *opt6;
	struct ipv6_pinfo *np;

	if (opt && BPF_CORE_READ(opt, opt.srr))
		return 1;
	if (family != AF_INET6)
		return 0;
	np = BPF_CORE_READ(inet, pinet6);
	if (!np)
		return 0;
	opt6 = BPF_CORE_READ(np, opt);
	return opt6 && BPF_CORE_READ(opt6, srcrt) != NULL;
}

/* Control messages that carry a source route for one send. */
#define SOL_IP			0
#define SOL_IPV6		41
#define IP_RETOPTS		7
#define IPV6_2292RTHDR		5
#define IPV6_RTHDR		57
#define MSG_CMSG_MAX		8	/* control messages walked before giving up */

struct cmsg_head {			/* struct cmsghdr on 64-bit kernels */
	__u64 len;
	__s32 level;
	__s32 type;
};

/*
 * A source route given for this send only: an IP_RETOPTS control message
 * whose options hold LSRR/SSRR (rules.h sov_ip4_opts_reroute(); the kernel
 * takes at most 40 bytes of it), or an IPv6 routing header
 * (IPV6_RTHDR, IPV6_2292RTHDR). ____sys_sendmsg() has copied the control
 * messages into the kernel before this hook; a user pointer here, more
 * than MSG_CMSG_MAX messages, a malformed one or two IP_RETOPTS cannot be
 * judged: fail closed. A send without control messages costs one read.
 */
static __always_inline int msg_source_routed(struct msghdr *msg)
{
	__u64 len = BPF_CORE_READ(msg, msg_controllen), off = 0, optoff = 0, optlen = 0;
	__u8 opts[SOV_IPOPT_BUF];
	struct cmsg_head h;
	int nopts = 0;
	void *ctl;

	if (!len)
		return 0;
	if (BPF_CORE_READ_BITFIELD_PROBED(msg, msg_control_is_user))
		return 1;
	ctl = BPF_CORE_READ(msg, msg_control);
	for (int i = 0; i < MSG_CMSG_MAX; i++) {
		if (off + sizeof(h) > len)
			break;
		if (bpf_probe_read_kernel(&h, sizeof(h), ctl + off) ||
		    h.len < sizeof(h) || h.len > len - off)
			return 1;
		if (h.level == SOL_IPV6 && (h.type == IPV6_RTHDR || h.type == IPV6_2292RTHDR))
			return 1;
		if (h.level == SOL_IP && h.type == IP_RETOPTS) {
			if (nopts++)
				return 1;
			optoff = off + sizeof(h);
			optlen = h.len - sizeof(h);
		}
		off += (h.len + 7) & ~7ULL;
	}
	if (off + sizeof(h) <= len)
		return 1;
	if (!optlen)
		return 0;
	if (bpf_probe_read_kernel(opts, SOV_IPOPT_MAX, ctl + optoff))
		return 1;
	return sov_ip4_opts_reroute(opts, optlen > SOV_IPOPT_MAX ? SOV_IPOPT_MAX : optlen);
}

/* A connected TCP socket ignores sendto()'s name. */
static __always_inline int stream_connected(struct sock *sk, __u16 family)
{
	if (family == AF_INET)
		return BPF_CORE_READ(sk, __sk_common.skc_daddr) != 0;
	return BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[3]) != 0 ||
	       BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[2]) != 0;
}

/*
 * Where a send on a TCP or UDP socket goes, when it is not simply the
 * connected peer: a pending UDP cork, else sendto()'s name (TCP reads one
 * only before it is connected: Fast Open). dst->unsure marks a send with
 * a source route (the socket's or this message's), whichever destination
 * is judged.
 */
static __always_inline int send_dst(struct sock *sk, __u16 family, struct msghdr *msg,
				    struct sov_dst *dst)
{
	void *name;

	dst->unsure = sock_source_routed(sk, family) || msg_source_routed(msg);
	if (dst->sotype == SOCK_DGRAM && dst->proto == IPPROTO_UDP && dst_from_cork(sk, dst))
		return SEND_DST;
	name = BPF_CORE_READ(msg, msg_name);
	if (!name)
		return SEND_PEER;
	if (dst->sotype == SOCK_STREAM && stream_connected(sk, family))
		return SEND_PEER;
	return dst_from_name(family, name, BPF_CORE_READ(msg, msg_namelen), dst);
}

/*
 * A tainted process is refused, at creation, the channels that cannot be
 * judged by destination (rules.h sov_channel()): raw and ping sockets,
 * AF_PACKET, AF_XDP, IP protocols other than TCP and UDP. Everything else
 * costs no map lookup here.
 */
SEC("lsm/socket_create")
int BPF_PROG(sov_socket_create, int family, int type, int protocol, int kern, int ret)
{
	struct sov_dst dst = { .hook = SOV_HOOK_SOCKET };
	struct sov_config *cfg;
	struct sov_taint *t;

	if (ret)
		return prev_verdict(ret);
	if (kern)
		return 0;
	dst.channel = sov_channel(family, type, protocol);
	if (dst.channel == SOV_CHAN_NONE)
		return 0;
	t = tainted_in_scope(&cfg);
	if (!t)
		return 0;
	dst.family = family;
	dst.sotype = type & SOV_SOCK_TYPE_MASK;
	dst.proto = protocol;
	return lsm_ret(channel_decide(t, cfg, &dst) == SOV_VERDICT_DENY);
}

/*
 * Every socket has an owner from its creation: the per-socket report state
 * of socket_sendmsg lives there, and the owner names the socket's events.
 */
SEC("lsm/socket_post_create")
int BPF_PROG(sov_socket_post_create, struct socket *sock, int family, int type,
	     int protocol, int kern, int ret)
{
	struct sov_sock_owner *o;
	struct sock *sk;

	if (ret || kern)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	o = bpf_sk_storage_get(&sov_sock_owner, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o)
		sock_owner_fill(o, bpf_get_current_pid_tgid() >> 32);
	return 0;
}

SEC("lsm/socket_connect")
int BPF_PROG(sov_socket_connect, struct socket *sock, struct sockaddr *address,
	     int addrlen, int ret)
{
	struct sov_dst dst = { .hook = SOV_HOOK_CONNECT };
	struct sov_config *cfg;
	struct sov_taint *t;

	if (ret)
		return prev_verdict(ret);
	t = tainted_in_scope(&cfg);
	if (!t)
		return 0;
	if (dst_from_sockaddr(address, &dst))
		return 0;
	dst.proto = BPF_CORE_READ(sock, sk, sk_protocol);
	return lsm_ret(egress_decide(t, cfg, &dst) == SOV_VERDICT_DENY);
}

/*
 * A send on a connected socket by a tainted process, whoever created or
 * connected the socket (inherited over fork, passed over SCM_RIGHTS, taken
 * with pidfd_getfd): its peer was judged at connect time, maybe for
 * another process or before this one was tainted. Judged again now for the
 * sender. dst carries the hook, protocol and type; returns the LSM verdict.
 * Shared by socket_sendmsg and file_permission (sendfile/splice on 6.1).
 */
static __always_inline int connected_send_verdict(struct sock *sk, const struct sov_taint *t,
						  const struct sov_config *cfg,
						  struct sov_dst *dst, __u16 family, __u32 tgid,
						  const int btf_sk)
{
	struct sov_sock_owner *o;
	__u64 violated = 0;
	__u32 zone = 0;
	int verdict;

	dst->family = family;
	dst->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		dst->addr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (!dst->addr[0])
			return 0;
	} else {
		BPF_CORE_READ_INTO(&dst->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	}
	verdict = egress_verdict(t, cfg, dst, &zone, &violated);
	if (verdict == SOV_VERDICT_ALLOW)
		return 0;
	/* Report once per socket and verdict; refuse every send of a deny.
	 * Without a BTF socket pointer (5.10's file_permission) there is no
	 * socket storage: every refused or audited send is reported. */
	if (!btf_sk) {
		egress_emit(t, dst, verdict, zone, violated);
		return lsm_ret(verdict == SOV_VERDICT_DENY);
	}
	o = bpf_sk_storage_get(&sov_sock_owner, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o && egress_sock_reports(o, verdict)) {
		o->tgid = tgid;
		egress_emit(t, dst, verdict, zone, violated);
	}
	return lsm_ret(verdict == SOV_VERDICT_DENY);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(sov_socket_sendmsg, struct socket *sock, struct msghdr *msg,
	     int size, int ret)
{
	struct sov_dst dst = { .hook = SOV_HOOK_SENDMSG };
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sov_sock_owner *o;
	struct sov_config *cfg;
	struct sov_taint *t;
	struct sock *sk;
	__u64 violated = 0;
	void *name;
	__u16 family;
	int verdict;

	if (ret)
		return prev_verdict(ret);
	t = taint_judged(&tgid);
	if (!t)
		return 0;
	/* A direct (BTF) dereference: bpf_sk_storage_get() below needs the
	 * typed socket pointer, not a probe-read value. */
	sk = sock->sk;
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	dst.proto = BPF_CORE_READ(sk, sk_protocol);
	dst.sotype = BPF_CORE_READ(sk, sk_type);
	dst.channel = sov_channel(family, dst.sotype, dst.proto);
	if (family != AF_INET && family != AF_INET6 && dst.channel == SOV_CHAN_NONE)
		return 0;
	cfg = sov_cfg();
	if (!cfg || !in_scope(cfg))
		return 0;

	/* A channel held since before the taint (raw, ping, packet, XDP,
	 * other protocols): refused whatever the destination, reported once
	 * per socket and verdict. */
	if (dst.channel != SOV_CHAN_NONE) {
		dst.family = family;
		/* the event names sendto()'s address when it is an IP one */
		name = BPF_CORE_READ(msg, msg_name);
		if (name && (family == AF_INET || family == AF_INET6))
			dst_from_sockaddr(name, &dst);
		verdict = channel_verdict(t, cfg, &dst, &violated);
		o = bpf_sk_storage_get(&sov_sock_owner, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (o && egress_sock_reports(o, verdict))
			egress_emit(t, &dst, verdict, SOV_ZONE_UNKNOWN, violated);
		return lsm_ret(verdict == SOV_VERDICT_DENY);
	}

	/* An explicit destination (sendto()'s name, a pending cork):
	 * decided and reported like the cgroup sendmsg hooks do. */
	if (send_dst(sk, family, msg, &dst) == SEND_DST)
		return lsm_ret(egress_decide(t, cfg, &dst) == SOV_VERDICT_DENY);

	/* A connected socket: its peer was judged at connect time, maybe
	 * before this process was tainted. Judge it again now. */
	return connected_send_verdict(sk, t, cfg, &dst, family, tgid, 1);
}

#define MAY_WRITE	0x2
#define S_IFMT		00170000
#define S_IFSOCK	0140000

/*
 * A write to a socket file: write(), and on 6.1 sendfile() and splice() to
 * a TCP or UDP socket, which reach the socket through sendpage and never
 * pass socket_sendmsg (rw_verify_area() calls this hook for the output
 * file). Judged for the writing task like socket_sendmsg's connected
 * branch (hook "send"). Every other file access costs a few compares and
 * no map lookup; an untainted writer to a socket one (its taint).
 */
#ifdef SOV_K510
#define SOV_BTF_SOCK	0	/* file_permission's socket: a plain pointer */
#else
#define SOV_BTF_SOCK	1
#endif

SEC("lsm/file_permission")
int BPF_PROG(sov_file_permission, struct file *file, int mask, int ret)
{
	struct sov_dst dst = { .hook = SOV_HOOK_SEND };
	__u32 mode;
	__u32 tgid;
	struct sov_config *cfg;
	struct sov_taint *t;
	struct socket *sock;
	struct sock *sk;
	__u16 family;

	if (ret)
		return prev_verdict(ret);
	mode = file->f_inode->i_mode & S_IFMT;
	/* an RDMA device held since before the taint (device.bpf.h) */
	if (mode == SOV_S_IFCHR)
		return lsm_ret(dev_permission_check(file, 1));
	if (!(mask & MAY_WRITE) || mode != S_IFSOCK)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	t = taint_judged(&tgid);
	if (!t)
		return 0;
#ifdef SOV_K510
	/* 5.10 has no bpf_sock_from_file() (5.11): the socket of a socket
	 * file is its private_data, read as a plain pointer */
	(void)sock;
	sk = (struct sock *)(unsigned long)inet_sock_of_file(file);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	dst.proto = BPF_CORE_READ(sk, sk_protocol);
	dst.sotype = BPF_CORE_READ(sk, sk_type);
#else
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	dst.proto = sk->sk_protocol;
	dst.sotype = sk->sk_type;
#endif
	/* raw, ping, other protocols: socket_sendmsg judges them as channels */
	if (sov_channel(family, dst.sotype, dst.proto) != SOV_CHAN_NONE)
		return 0;
	cfg = sov_cfg();
	if (!cfg || !in_scope(cfg))
		return 0;
	/* As socket_sendmsg's send_dst() without a message: a source route
	 * set on the socket makes the peer unsure, and sendfile()/splice()
	 * to a UDP socket with a pending cork append to the cork (6.1's
	 * udp_sendpage), which a later setsockopt(UDP_CORK, 0) sends without
	 * any send hook: judged by the cork's destination. */
	dst.unsure = sock_source_routed(sk, family);
	if (dst.sotype == SOCK_DGRAM && dst.proto == IPPROTO_UDP && dst_from_cork(sk, &dst))
		return lsm_ret(egress_decide(t, cfg, &dst) == SOV_VERDICT_DENY);
	return connected_send_verdict(sk, t, cfg, &dst, family, tgid, SOV_BTF_SOCK);
}

/*
 * RDMA devices held since before the taint (device.bpf.h): the verbs and
 * rdma_cm command channels are write() and ioctl(); queues and doorbells
 * are mmap'd. Any other file costs a few loads and no lookup here.
 */
SEC("lsm/file_ioctl")
int BPF_PROG(sov_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return prev_verdict(ret);
	return lsm_ret(dev_permission_check(file, 1));
}


/*
 * Also a writable shared mapping of a regular file by a tainted process
 * makes it a derivative (derive_on_map()): the flag tests first, then the
 * file's mode and the taint lookup. A mapping that a later check refuses
 * has labelled the file anyway (fail closed: more labelled, never less).
 */
SEC("lsm/mmap_file")
int BPF_PROG(sov_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct file *f = NULL;

	if (ret)
		return prev_verdict(ret);
	/* file is NULL for an anonymous mapping; read as a plain value (a
	 * verifier that takes the argument as never NULL would drop the
	 * test and load through NULL), then only probe reads follow. */
	bpf_probe_read_kernel(&f, sizeof(f), &ctx[0]);
	if (!f)
		return 0;
	if (sov_map_writes(prot, flags))
		derive_on_map(f, -1);
	return lsm_ret(dev_permission_check(f, 1));
}

/* ------------------------------------------------------------ views */
/* io_uring's reads and writes of fixed files (issue 11): views.bpf.h. A
 * tp_btf program: it loads where the LSM programs load (6.1, 6.12). */
#define SOV_VIEWS_PROGS 1
#include "views.bpf.h"

/* One program on each raw syscall tracepoint (issue 14, as on the tracing
 * path): process and shared memory, and taint over local channels. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sov_sys_enter, struct pt_regs *regs, long id)
{
	ipc_on_enter(regs, id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sov_sys_exit, struct pt_regs *regs, long ret)
{
	procmem_on_exit(regs, ret);
	ipc_on_exit(regs, ret);
	return 0;
}

/* The same parts from the per-syscall tracepoints, where sovd attaches
 * there (issue 14, as on the tracing path: bpf/tracing.bpf.c). */
SEC("tracepoint")
int sov_sc_enter(void *ctx)
{
	struct pt_regs *regs = sov_sc_task_regs();

	ipc_on_enter(regs, SOV_SC_ID(regs));
	return 0;
}

SEC("tracepoint")
int sov_sc_exit(void *ctx)
{
	struct pt_regs *regs = sov_sc_task_regs();

	procmem_on_exit(regs, SOV_SC_RET(regs));
	ipc_on_exit(regs, SOV_SC_RET(regs));
	return 0;
}
