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

#define SOCK_STREAM	1
#define EPERM		1

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("lsm/file_open")
int BPF_PROG(sov_file_open, struct file *file)
{
	/* An RDMA device refused to a tainted process (device.bpf.h). */
	if (dev_permission_check(file, 0))
		return -EPERM;
	on_open(file, -1, NULL, -1);
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
	struct sov_taint *t = taint_of(&tgid);
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
	__u32 zone = 0;
	void *name;
	__u16 family;
	int verdict;

	if (ret)
		return prev_verdict(ret);
	t = taint_of(&tgid);
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

	/* TCP ignores msg_name on a connected socket: a stream socket is
	 * judged by its own peer, whatever address sendto() names (except
	 * an unconnected TCP Fast Open send, which has no peer yet). */
	name = BPF_CORE_READ(msg, msg_name);
	if (name && BPF_CORE_READ(sk, sk_type) == SOCK_STREAM &&
	    (family == AF_INET ? BPF_CORE_READ(sk, __sk_common.skc_daddr) != 0 :
	     BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[3]) != 0 ||
	     BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[2]) != 0))
		name = NULL;
	if (name) {
		/* An explicit destination (sendto): decided and reported
		 * like the cgroup sendmsg hooks do. */
		if (dst_from_sockaddr(name, &dst))
			return 0;
		return lsm_ret(egress_decide(t, cfg, &dst) == SOV_VERDICT_DENY);
	}

	/* A connected socket: its peer was judged at connect time, maybe
	 * before this process was tainted. Judge it again now. */
	dst.family = family;
	dst.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		dst.addr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (!dst.addr[0])
			return 0;
	} else {
		BPF_CORE_READ_INTO(&dst.addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	}
	verdict = egress_verdict(t, cfg, &dst, &zone, &violated);
	if (verdict == SOV_VERDICT_ALLOW)
		return 0;
	/* Report once per socket and verdict; refuse every send of a deny. */
	o = bpf_sk_storage_get(&sov_sock_owner, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o && egress_sock_reports(o, verdict)) {
		o->tgid = tgid;
		egress_emit(t, &dst, verdict, zone, violated);
	}
	return lsm_ret(verdict == SOV_VERDICT_DENY);
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

SEC("lsm/file_permission")
int BPF_PROG(sov_file_permission, struct file *file, int mask, int ret)
{
	if (ret)
		return prev_verdict(ret);
	return lsm_ret(dev_permission_check(file, 1));
}

SEC("lsm/mmap_file")
int BPF_PROG(sov_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return prev_verdict(ret);
	return lsm_ret(dev_permission_check(file, 1));
}
