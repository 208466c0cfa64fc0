/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The decision rules, as pure functions: values in, values out, no BPF
 * helper and no map. The kernel programs (bpf/ *.bpf.h) call them; the unit
 * tests (tests/unit/bpf/) compile this same header with gcc and call them
 * with small map mocks, so a rule is tested without root or a kernel.
 *
 * Where a rule needs a map (the creation walk, the zone and rule tables) it
 * takes the lookup as a function argument. Every function is
 * __always_inline and the kernel passes its own __always_inline lookups, so
 * clang turns each argument into a direct, inlined call: the programs keep
 * the instructions they had before this header existed (no BPF indirect
 * call, no extra subprogram for the verifier).
 */
#ifndef SOV_BPF_RULES_H
#define SOV_BPF_RULES_H

#include "sov/abi.h"
#include "sov/addr.h"
#include "sov_syscalls.h"	/* generated: tools/gen-syscalls */

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

/* Kernel constants the rules need; prefixed so that user space can include
 * <sys/stat.h> and <sys/socket.h> beside this header. */
#define SOV_FMODE_READ		0x1
#define SOV_FMODE_WRITE		0x2
#define SOV_S_IFMT		00170000
#define SOV_S_IFDIR		0040000
#define SOV_S_IFREG		0100000
#define SOV_S_IFLNK		0120000
#define SOV_S_IFSOCK		0140000
#define SOV_AF_INET		2
#define SOV_AF_INET6		10
#define SOV_AF_PACKET		17
#define SOV_AF_XDP		44
#define SOV_AF_UNIX		1
#define SOV_AF_KEY		15
#define SOV_AF_NETLINK		16
#define SOV_AF_ALG		38
#define SOV_SOCK_STREAM		1
#define SOV_SOCK_DGRAM		2
#define SOV_SOCK_RAW		3
#define SOV_SOCK_PACKET		10
#define SOV_SOCK_TYPE_MASK	0xf	/* socket()'s type without SOCK_NONBLOCK/CLOEXEC */
#define SOV_IPPROTO_ICMP	1
#define SOV_IPPROTO_TCP		6
#define SOV_IPPROTO_UDP		17
#define SOV_IPPROTO_ICMPV6	58

/* How many directories the creation walk (tracing path) climbs at most: more
 * than one path can name (PATH_MAX 4096 is at most 2048 components). */
#define SOV_WALK_MAX		4096

/* open()'s flags that create a file (O_CREAT, __O_TMPFILE; x86-64 values,
 * the same in the ia32 table) */
#define SOV_O_CREAT		0100
#define SOV_O_TMPFILE		020000000

/* ------------------------------------------------------------------ labels */

/*
 * A label the kernel creates (inheritance from a directory, derivation):
 * marked derived, and a directory keeps labelling what is created below it.
 */
static __always_inline struct sov_label sov_label_derived(__u64 classes, __u32 i_mode)
{
	struct sov_label l = { .classes = classes, .flags = SOV_LABEL_DERIVED };

	if ((i_mode & SOV_S_IFMT) == SOV_S_IFDIR)
		l.flags |= SOV_LABEL_DIR;
	return l;
}

/*
 * Whether a label found for (dev, ino) belongs to the inode at hand, whose
 * i_generation is 'gen': a label that records a generation matches only
 * that generation (a stale label of a deleted file whose inode number was
 * reused is no label), one without matches any.
 */
static __always_inline int sov_label_current(const struct sov_label *l, __u32 gen)
{
	return l && (!(l->flags & SOV_LABEL_GEN) || l->gen == gen);
}

/* A label the kernel creates records the inode's generation. */
static __always_inline void sov_label_stamp(struct sov_label *l, __u32 gen)
{
	l->flags |= SOV_LABEL_GEN;
	l->gen = gen;
}

/*
 * Only data takes a label from the kernel (derivation, inheritance from a
 * directory): regular files, directories and symlinks; never a FIFO, a
 * socket file, a character or a block device, whose bytes are not the
 * file's (a tainted process writing to /dev/null or a FIFO, or a FIFO made
 * in a labelled directory, must not taint every later reader).
 */
static __always_inline int sov_label_kind(__u32 i_mode)
{
	__u32 fmt = i_mode & SOV_S_IFMT;

	return fmt == SOV_S_IFREG || fmt == SOV_S_IFDIR || fmt == SOV_S_IFLNK;
}

/* Only a labelled directory passes its classes on to what lies below. */
static __always_inline int sov_label_passes_on(const struct sov_label *l)
{
	return l && (l->flags & SOV_LABEL_DIR);
}

/*
 * Labels at creation (issue 11). A file or directory without a label of its
 * own takes the classes of its parent directory when that directory's label
 * passes them on and belongs to it (generation 'gen', the parent inode's
 * i_generation): a file created, hard-linked or moved into a labelled
 * directory. One lookup, the parent's; no walk.
 */
static __always_inline int sov_label_inherits(const struct sov_label *parent, __u32 gen)
{
	return sov_label_passes_on(parent) && sov_label_current(parent, gen);
}

/* An open that may have created its file (the tracing path's creation walk). */
static __always_inline int sov_open_creates(__u64 flags)
{
	return (flags & (SOV_O_CREAT | SOV_O_TMPFILE)) != 0;
}

/*
 * The creation walk of the tracing path, one directory per step (the
 * kernel runs it under bpf_loop, so its depth is not bounded by the
 * verifier; the tests run it in a loop). A file created below directories
 * that have no label yet (made by mkdir after start: the tracing path does
 * not see mkdir's new dentry) finds the nearest labelled directory above
 * it; the kernel then labels the file and every directory crossed, so that
 * the next file created or opened there needs one parent lookup. 'node' is
 * a dentry in the kernel, a mock node in the tests; parent_of(), ino_of()
 * and gen_of() read the tree and lookup() is the label map. Returns 1 when
 * the walk is over (found, or at the root), 0 to go on.
 */
struct sov_walk {
	const void *node;	/* the last directory looked at (the file at start) */
	__u64 dev;
	__u64 classes;		/* the labelled directory's, when found */
	__u32 depth;		/* directories crossed without a label */
	__u32 found;
};

static __always_inline int
sov_label_walk_step(struct sov_walk *w,
		    const void *(*parent_of)(const void *node),
		    __u64 (*ino_of)(const void *node),
		    __u32 (*gen_of)(const void *node),
		    const struct sov_label *(*lookup)(const struct sov_inode_key *key))
{
	struct sov_inode_key pk;
	const struct sov_label *pl;
	const void *parent;

	parent = parent_of(w->node);
	if (!parent || parent == w->node)
		return 1;
	pk.dev = w->dev;
	pk.ino = ino_of(parent);
	pl = lookup(&pk);
	/* gen_of() is read only for a labelled directory: a stale one
	 * (its number reused by a new directory) passes nothing on. */
	if (sov_label_passes_on(pl) && sov_label_current(pl, gen_of(parent))) {
		w->classes = pl->classes;
		w->found = 1;
		return 1;
	}
	w->node = parent;
	w->depth++;
	return 0;
}

/* ------------------------------------------------------------ taint, derive */

/*
 * An open taints when it can read a labelled file that is not a directory:
 * listing a labelled directory reveals names, not the data (and sovd's own
 * walks of the tree open them).
 */
static __always_inline int sov_open_taints(int labelled, __u32 f_mode, __u32 label_flags)
{
	return labelled && (f_mode & SOV_FMODE_READ) && !(label_flags & SOV_LABEL_DIR);
}

/* An open for writing by a tainted process makes the file a derivative. */
static __always_inline int sov_open_writes(__u32 f_mode)
{
	return (f_mode & SOV_FMODE_WRITE) != 0;
}

/*
 * A descriptor already open when its process becomes tainted derives only
 * when it is open for writing on a regular file (not a pipe, socket, tty).
 */
static __always_inline int sov_fd_writes(__u32 f_mode, __u32 i_mode)
{
	return (f_mode & SOV_FMODE_WRITE) && (i_mode & SOV_S_IFMT) == SOV_S_IFREG;
}

/*
 * mmap(2) flags (uapi asm-generic/mman-common.h, the same on x86): a
 * mapping writes through to its file when it is shared (MAP_SHARED or
 * MAP_SHARED_VALIDATE), writable and not anonymous (issue 11).
 */
#define SOV_PROT_WRITE		0x2
#define SOV_MAP_TYPE		0x0f
#define SOV_MAP_SHARED		0x01
#define SOV_MAP_SHARED_VALIDATE	0x03
#define SOV_MAP_ANONYMOUS	0x20

static __always_inline int sov_map_writes(__u64 prot, __u64 flags)
{
	__u64 type = flags & SOV_MAP_TYPE;

	return (prot & SOV_PROT_WRITE) && !(flags & SOV_MAP_ANONYMOUS) &&
	       (type == SOV_MAP_SHARED || type == SOV_MAP_SHARED_VALIDATE);
}

/* The classes a tainted process passes on to what it writes. */
static __always_inline __u64 sov_derivable(__u64 taint, const struct sov_config *cfg)
{
	return taint & cfg->derive_classes;
}

/*
 * Taint and labels only grow: adding 'add' to 'have' is a change (an event,
 * a counter) only when it brings a class that was not there.
 */
static __always_inline int sov_classes_grow(__u64 have, __u64 add)
{
	return (have | add) != have;
}

/* ------------------------------------------------------------------ egress */

/* A destination, as every egress hook sees it. Addresses in network order. */
struct sov_dst {
	__u32 addr[4];
	__u16 family;
	__u16 proto;
	__u16 dport;		/* host order */
	__u16 hook;
	__u16 sotype;		/* a channel's socket type */
	__u16 channel;		/* SOV_CHAN_*: NONE when judged by destination */
	__u16 unsure;		/* the data may not go to addr (a source route, a
				 * name that cannot be parsed): judged as the
				 * unknown zone, addr is kept for the event */
};

/*
 * The index of a zone's rule in sov_zone_rules: the half in force
 * (cfg->active) times SOV_MAX_ZONES plus the zone; an id out of range is
 * judged as the unknown zone.
 */
static __always_inline __u32 sov_zone_rule_idx(__u32 zone, __u32 active)
{
	__u32 idx = zone;

	if (idx >= SOV_MAX_ZONES)
		idx = SOV_ZONE_UNKNOWN;
	if (active)
		idx += SOV_MAX_ZONES;
	return idx;
}

/*
 * The egress rule of the contract: every class in the taint must allow the
 * destination's zone (a zone without a rule is allowed by none). A violated
 * class whose action is block refuses in enforce mode; any other violation
 * is an audit.
 */
static __always_inline int sov_egress_rule(__u64 taint, const struct sov_zone_rule *rule,
					   const struct sov_config *cfg, __u64 *violated)
{
	*violated = taint & ~(rule ? rule->allowed : 0);
	if (!*violated)
		return SOV_VERDICT_ALLOW;
	if ((*violated & cfg->block_classes) && cfg->mode == SOV_MODE_ENFORCE)
		return SOV_VERDICT_DENY;
	return SOV_VERDICT_AUDIT;
}

/*
 * The whole egress decision for a tainted process: the destination's zone
 * (zone4() for IPv4 and for IPv6 addresses that embed the IPv4 address the
 * data goes to: v4-mapped, NAT64, 6to4 (sov_ip6_judged_as()); zone6() for
 * the rest; both return SOV_ZONE_UNKNOWN for an address in no zone; an
 * unsure destination is the unknown zone) and that zone's rule in the half
 * in force. Returns SOV_VERDICT_*; the zone and the violated classes come
 * back for the event.
 */
static __always_inline int
sov_egress_verdict(__u64 taint, const struct sov_config *cfg, const struct sov_dst *dst,
		   __u32 (*zone4)(const struct sov_config *cfg, __u32 addr_be),
		   __u32 (*zone6)(const struct sov_config *cfg, const __u32 addr_be[4]),
		   const struct sov_zone_rule *(*rule_of)(__u32 idx),
		   __u32 *zone, __u64 *violated)
{
	__u32 v4 = 0;
	int as;

	if (dst->unsure) {
		*zone = SOV_ZONE_UNKNOWN;
	} else if (dst->family == SOV_AF_INET) {
		*zone = zone4(cfg, dst->addr[0]);
	} else {
		as = sov_ip6_judged_as(dst->addr, &v4);
		if (as == SOV_IP6_V4)
			*zone = zone4(cfg, v4);
		else if (as == SOV_IP6_UNKNOWN)
			*zone = SOV_ZONE_UNKNOWN;
		else
			*zone = zone6(cfg, dst->addr);
	}
	return sov_egress_rule(taint, rule_of(sov_zone_rule_idx(*zone, cfg->active)),
			       cfg, violated);
}

/*
 * What a send's address (sendto()'s name, msg_name) means for an IP socket
 * of family sk_family, as the kernel's UDP send paths read it (6.1 to
 * 6.18): udp_sendmsg() takes AF_UNSPEC as AF_INET and sends to its
 * address; udpv6_sendmsg() sends an AF_INET name through the IPv4 path and
 * takes AF_UNSPEC as no name at all (the connected peer). TCP reads a name
 * only for a Fast Open connect, with the same layout. A name too short for
 * its family, or of another family, is refused by the kernel (EINVAL,
 * EAFNOSUPPORT); it is judged as the unknown zone, never as allowed.
 */
#define SOV_AF_UNSPEC		0
#define SOV_SIN_LEN		16	/* sizeof(struct sockaddr_in) */
#define SOV_SIN6_LEN		24	/* SIN6_LEN_RFC2133: sockaddr_in6 without scope id */
#define SOV_SA_FAMILY_LEN	2	/* offsetof(struct sockaddr, sa_data) */

#define SOV_NAME_V4		0	/* judge the sockaddr_in's address */
#define SOV_NAME_V6		1	/* judge the sockaddr_in6's address */
#define SOV_NAME_PEER		2	/* no name in effect: the connected peer */
#define SOV_NAME_UNKNOWN	3	/* judged as the unknown zone */

static __always_inline int sov_name_kind(__u32 sk_family, __u32 name_family, __u32 namelen)
{
	if (namelen < SOV_SA_FAMILY_LEN)
		return SOV_NAME_UNKNOWN;
	if (sk_family == SOV_AF_INET6) {
		if (name_family == SOV_AF_INET6)
			return namelen >= SOV_SIN6_LEN ? SOV_NAME_V6 : SOV_NAME_UNKNOWN;
		if (name_family == SOV_AF_UNSPEC)
			return SOV_NAME_PEER;
	} else if (sk_family != SOV_AF_INET) {
		return SOV_NAME_UNKNOWN;
	}
	if (name_family == SOV_AF_INET ||
	    (name_family == SOV_AF_UNSPEC && sk_family == SOV_AF_INET))
		return namelen >= SOV_SIN_LEN ? SOV_NAME_V4 : SOV_NAME_UNKNOWN;
	return SOV_NAME_UNKNOWN;
}

/*
 * IPv4 options that can send a packet elsewhere than its header's
 * destination: a loose or strict source route (LSRR 131, SSRR 137) names
 * the hops, the header names only the first. opts: a SOV_IPOPT_BUF-byte
 * buffer whose first len bytes are the options area (IHL * 4 - 20 bytes,
 * at most 40). Returns 1 for a source route or options that
 * cannot be parsed (fail closed), 0 when no option redirects (record route,
 * timestamp, router alert, CIPSO and the like only add data).
 */
#define SOV_IPOPT_END		0
#define SOV_IPOPT_NOOP		1
#define SOV_IPOPT_LSRR		131
#define SOV_IPOPT_SSRR		137
#define SOV_IPOPT_MAX		40	/* the options area is at most 40 bytes */
#define SOV_IPOPT_BUF		64	/* the caller's buffer */

static __always_inline int sov_ip4_opts_reroute(const __u8 opts[SOV_IPOPT_BUF], __u32 len)
{
	__u32 next = 0;		/* where the next option starts */

	if (len > SOV_IPOPT_MAX)
		return 1;
	/*
	 * Walked by position, not by option: the loop's only state is pos
	 * (a constant in each iteration) and next, so the verifier sees a
	 * few states per position instead of one path per way of splitting
	 * 40 bytes into options.
	 */
	for (__u32 pos = 0; pos < SOV_IPOPT_MAX; pos++) {
		__u8 t, l;

		if (pos != next)
			continue;
		if (pos >= len)
			return 0;
		t = opts[pos];
		if (t == SOV_IPOPT_END)
			return 0;
		if (t == SOV_IPOPT_NOOP) {
			next = pos + 1;
			continue;
		}
		if (t == SOV_IPOPT_LSRR || t == SOV_IPOPT_SSRR || pos + 1 >= len)
			return 1;
		l = opts[pos + 1];
		if (l < 2)
			return 1;
		next = pos + l;
		if (next > len)
			return 1;
	}
	return 0;
}

/*
 * The IPv6 extension headers before the transport header: a routing
 * header (43: type 0, Mobile IPv6's type 2, RPL's type 3, segment
 * routing's type 4) carries the hops and the final destination, and the
 * packet header's destination is only the next hop. Hop-by-hop options
 * (0), destination options (60), a fragment header (44) and AH (51) do not
 * change where the packet goes: they are skipped. nexthdr: the IPv6
 * header's; load(ctx, off, b) reads the two bytes at offset off from the
 * end of the IPv6 header (an extension header's next header and length)
 * and returns 0, or nonzero past the packet's end. Returns 1 for a routing
 * header or a chain that cannot be walked (fail closed), 0 otherwise.
 */
#define SOV_IP6_HOPOPTS		0
#define SOV_IP6_ROUTING		43
#define SOV_IP6_FRAGMENT	44
#define SOV_IP6_AH		51
#define SOV_IP6_DSTOPTS		60
#define SOV_IP6_EXT_MAX		8	/* extension headers walked before giving up */

static __always_inline int sov_ip6_reroutes(const void *ctx, __u8 nexthdr,
					    int (*load)(const void *ctx, __u32 off, __u8 b[2]))
{
	__u32 off = 0;

	for (int n = 0; n < SOV_IP6_EXT_MAX; n++) {
		__u8 b[2];

		if (nexthdr == SOV_IP6_ROUTING)
			return 1;
		if (nexthdr != SOV_IP6_HOPOPTS && nexthdr != SOV_IP6_DSTOPTS &&
		    nexthdr != SOV_IP6_FRAGMENT && nexthdr != SOV_IP6_AH)
			return 0;
		if (load(ctx, off, b))
			return 1;
		/* this header's length, then the next one's type */
		if (nexthdr == SOV_IP6_FRAGMENT)
			off += 8;
		else if (nexthdr == SOV_IP6_AH)
			off += ((__u32)b[1] + 2) * 4;
		else
			off += ((__u32)b[1] + 1) * 8;
		nexthdr = b[0];
	}
	return 1;
}

/* The counter a verdict increments. */
static __always_inline int sov_verdict_counter(int verdict)
{
	return verdict == SOV_VERDICT_ALLOW ? SOV_CNT_ALLOW :
	       verdict == SOV_VERDICT_DENY ? SOV_CNT_DENY : SOV_CNT_AUDIT;
}

/*
 * A connected socket is judged at every packet or send but reported once per
 * verdict: the state a verdict leaves on the socket, and whether it must be
 * reported (an audit once; a later deny, after the taint grew, again).
 */
static __always_inline __u32 sov_sock_state(int verdict)
{
	return verdict == SOV_VERDICT_DENY ? SOV_SOCK_DENIED : SOV_SOCK_REPORTED;
}

static __always_inline int sov_sock_reports(__u32 denied, int verdict)
{
	return denied < sov_sock_state(verdict);
}

/* ---------------------------------------------------------------- channels */

/*
 * Which channel a socket is, from socket()'s family, type and protocol (as
 * the LSM hooks get them, or the socket's own sk_family/sk_type/
 * sk_protocol, where protocol 0 has become TCP or UDP). Only TCP and UDP
 * over IP are judged by destination: their addresses pass the connect and
 * sendmsg hooks and cgroup_skb parses their packets. Raw and ping sockets
 * carry whatever IP packet or ICMP payload the process writes, AF_PACKET
 * and AF_XDP frames never pass the IP stack, and sovd parses no other IP
 * protocol (SCTP, UDP-Lite, MPTCP...). Families that stay on the host
 * (AF_UNIX, AF_NETLINK, AF_KEY, AF_ALG: data between processes is issue
 * 11's) are not a channel; every other family is "other", fail closed:
 * AF_VSOCK (to the hypervisor and other VMs), AF_TIPC, AF_RDS, AF_SMC
 * (SMC-R moves data over RDMA), AF_KCM, AF_CAN, AF_BLUETOOTH and any
 * family a kernel adds later.
 */
static __always_inline __u32 sov_channel(__u32 family, __u32 type, __u32 protocol)
{
	type &= SOV_SOCK_TYPE_MASK;
	if (family == SOV_AF_PACKET)
		return SOV_CHAN_PACKET;
	if (family == SOV_AF_XDP)
		return SOV_CHAN_XDP;
	if (family == SOV_AF_UNIX || family == SOV_AF_NETLINK || family == SOV_AF_KEY ||
	    family == SOV_AF_ALG)
		return SOV_CHAN_NONE;
	if (family != SOV_AF_INET && family != SOV_AF_INET6)
		return SOV_CHAN_OTHER;
	if (type == SOV_SOCK_RAW)
		return SOV_CHAN_RAW;
	if (type == SOV_SOCK_PACKET)
		return SOV_CHAN_PACKET;
	if (type == SOV_SOCK_STREAM && (protocol == 0 || protocol == SOV_IPPROTO_TCP))
		return SOV_CHAN_NONE;
	if (type == SOV_SOCK_DGRAM && (protocol == 0 || protocol == SOV_IPPROTO_UDP))
		return SOV_CHAN_NONE;
	if (type == SOV_SOCK_DGRAM &&
	    (protocol == SOV_IPPROTO_ICMP || protocol == SOV_IPPROTO_ICMPV6))
		return SOV_CHAN_PING;
	return SOV_CHAN_OTHER;
}

/*
 * The classes that allow a channel: the policy's per-class `channels:` key,
 * compiled into cfg->chan_allow (deny, no bit, by default). A channel is
 * judged like a destination in a zone only those classes allow, so a block
 * class that does not allow it refuses it in enforce mode and any other
 * class is an audit. A channel number out of range (none comes from
 * sov_channel(); the bound is for the verifier) is allowed by no class.
 */
static __always_inline __u64 sov_channel_allowed(const struct sov_config *cfg, __u32 channel)
{
	if (channel >= SOV_CHAN_MAX)
		return 0;
	return cfg->chan_allow[channel];
}

/* The egress rule for a channel: SOV_VERDICT_*, and the violated classes. */
static __always_inline int sov_channel_rule(__u64 taint, const struct sov_config *cfg,
					    __u32 channel, __u64 *violated)
{
	struct sov_zone_rule r = { .allowed = sov_channel_allowed(cfg, channel) };

	return sov_egress_rule(taint, &r, cfg, violated);
}

/*
 * LSM hooks are global, so they check the scope cgroups themselves:
 * under(i) says whether the current task is below scope cgroup i. No scope
 * cgroup means the whole host.
 */
static __always_inline int sov_in_scope(const struct sov_config *cfg, long (*under)(__u32 i))
{
	for (int i = 0; i < SOV_MAX_SCOPE; i++) {
		if ((__u32)i >= cfg->n_scope)
			break;
		if (under(i) == 1)
			return 1;
	}
	return cfg->n_scope == 0;
}

/* ------------------------------------------------------------ senders */

/*
 * The sender is judged, not only the creator (issue 10): the tracing path
 * records a tainted process as a writer of the socket it passes to a
 * send-family syscall. Which argument names that fd, by syscall number and
 * table: the native table (x86-64, with x32's own numbers: the x32 bit is
 * cleared by the caller; arm64's generic table), or, on x86, the ia32 table
 * when TS_COMPAT is set. The tables overlap (ia32's write is x86-64's
 * stat), so the table is chosen before the number is read. The numbers:
 * build/sov_syscalls.h, generated from the kernel UAPI headers.
 */
#define SOV_SEND_FD_NONE	0	/* not a send-family call */
#define SOV_SEND_FD_ARG1	1	/* the first argument */
#define SOV_SEND_FD_SOCKETCALL	2	/* ia32 socketcall: the first word of its argument array */
#define SOV_SEND_FD_ARG3	3	/* the third argument (splice's fd_out) */

static __always_inline int sov_send_fd_arg(long nr, int compat)
{
	if (compat) {
#ifdef SOV_ARCH_X86
		switch (nr) {
		case SOV_NR32_write:
		case SOV_NR32_writev:
		case SOV_NR32_pwrite64:
		case SOV_NR32_sendfile:
		case SOV_NR32_sendfile64:
		case SOV_NR32_pwritev:
		case SOV_NR32_sendmmsg:
		case SOV_NR32_sendto:
		case SOV_NR32_sendmsg:
		case SOV_NR32_pwritev2:
			return SOV_SEND_FD_ARG1;
		case SOV_NR32_socketcall:
			return SOV_SEND_FD_SOCKETCALL;
		case SOV_NR32_splice:
			return SOV_SEND_FD_ARG3;
		}
#endif
		return SOV_SEND_FD_NONE;
	}
	switch (nr) {
	case SOV_NR_write:
	case SOV_NR_pwrite64:
	case SOV_NR_writev:
	case SOV_NR_sendfile:
	case SOV_NR_sendto:
	case SOV_NR_sendmsg:
	case SOV_NR_pwritev:
	case SOV_NR_sendmmsg:
	case SOV_NR_pwritev2:
#ifdef SOV_ARCH_X86
	case SOV_NRX32_writev:
	case SOV_NRX32_sendmsg:
	case SOV_NRX32_pwritev:
	case SOV_NRX32_sendmmsg:
	case SOV_NRX32_pwritev2:
#endif
		return SOV_SEND_FD_ARG1;
	case SOV_NR_splice:
		return SOV_SEND_FD_ARG3;
	}
	return SOV_SEND_FD_NONE;
}

/* socketcall(2)'s calls that send (its first argument). */
static __always_inline int sov_socketcall_sends(unsigned long call)
{
	return call == 9 /* SYS_SEND */ || call == 11 /* SYS_SENDTO */ ||
	       call == 16 /* SYS_SENDMSG */ || call == 20 /* SYS_SENDMMSG */;
}

/*
 * At the release of a socket's last fd: 1 when its writers may be
 * forgotten now (it sends nothing more: a non-TCP socket, or a TCP socket
 * already in TCP_CLOSE), 0 when a TCP socket still sends its queue and is
 * forgotten when it reaches TCP_CLOSE.
 */
#define SOV_IPPROTO_TCP		6
#define SOV_TCP_CLOSE		7

static __always_inline int sov_sender_forget_at_release(__u32 protocol, __u32 state)
{
	return protocol != SOV_IPPROTO_TCP || state == SOV_TCP_CLOSE;
}

/* ------------------------------------------------------------- devices */

/*
 * Whether a character device is an RDMA device (issue 10): the fixed major
 * of uverbs, umad and issm (IB_UVERBS_MAJOR 231: every minor of it is
 * InfiniBand's), or a device sovd found at start-up and keeps current:
 * known(SOV_DEV(major, SOV_DEV_ANY_MINOR)) for a dynamic major of
 * infiniband_verbs/infiniband_mad (the kernel allocates one beyond the
 * fixed minors' range), known(SOV_DEV(major, minor)) for the misc device
 * rdma_cm. At most two lookups (none outside the misc major and the
 * dynamic ranges), and only for a tainted process's device: callers look
 * the taint up first.
 */
static __always_inline int sov_rdma_dev(__u32 major, __u32 minor, int (*known)(__u32 key))
{
	if (major == SOV_RDMA_MAJOR)
		return 1;
	/* Only the misc major and the kernel's dynamic ranges
	 * (fs/char_dev.c find_dynamic_major(): 254..234, then 511..384) can
	 * hold another RDMA device: a tty or /dev/null costs no lookup. */
	if (major != SOV_MISC_MAJOR && !(major >= 234 && major <= 254) &&
	    !(major >= 384 && major <= 511))
		return 0;
	if (known(SOV_DEV(major, SOV_DEV_ANY_MINOR)))
		return 1;
	return known(SOV_DEV(major, minor));
}

/*
 * fds received over SCM_RIGHTS (issue 11, tracing path): the walk over a
 * received message's control data that the kernel wrote into the user's
 * buffer (msg_controllen: the length it used). x86-64 layout: a cmsg
 * header is { size_t len; int level; int type; } (16 bytes), data follows,
 * each header 8-aligned.
 */
#define SOV_CMSG_HDR		16
#define SOV_CMSG_FD		4	/* sizeof(int) */
#define SOV_SOL_SOCKET		1
#define SOV_SCM_RIGHTS		1

/* A message worth walking: a control buffer that can hold one fd. */
static __always_inline int sov_recv_may_have_fds(__u64 ctl, __u64 ctl_len)
{
	return ctl && ctl_len >= SOV_CMSG_HDR + SOV_CMSG_FD;
}

/* A cmsg header fits at pos. */
static __always_inline int sov_cmsg_fits(__u64 pos, __u64 ctl_len)
{
	return pos <= ctl_len && ctl_len - pos >= SOV_CMSG_HDR;
}

/*
 * The header at pos, of cmsg_len bytes: -1: malformed (shorter than a
 * header or past the used length): stop this message; 1: SCM_RIGHTS: its
 * fds are [pos + SOV_CMSG_HDR, *next); 0: another message type: the next
 * header is at *next.
 */
static __always_inline int sov_cmsg_step(__u64 pos, __u64 ctl_len, __u64 cmsg_len,
					 int level, int type, __u64 *next)
{
	if (cmsg_len < SOV_CMSG_HDR || cmsg_len > ctl_len - pos)
		return -1;
	if (level == SOV_SOL_SOCKET && type == SOV_SCM_RIGHTS) {
		*next = pos + cmsg_len;
		return 1;
	}
	*next = pos + ((cmsg_len + 7) & ~7ULL);
	return 0;
}

/* After the fds of an SCM_RIGHTS message ending at fd_end: the next header. */
static __always_inline __u64 sov_cmsg_after(__u64 fd_end)
{
	return (fd_end + 7) & ~7ULL;
}

/*
 * Process memory (issue 11, bpf/procmem.bpf.h): which ptrace requests copy
 * the tracee's memory or registers out to the tracer (SOV_MEM_READ: the
 * tracer gains the tracee's taint) and which copy the tracer's data in
 * (SOV_MEM_WRITE: the tracee gains a tainted tracer's). Attach, detach,
 * continue, options and signals move no data: 0. x86-64 request numbers.
 */
#define SOV_MEM_READ		1
#define SOV_MEM_WRITE		2

static __always_inline int sov_ptrace_dir(long req)
{
	switch (req) {
	case 1: case 2: case 3:		/* PEEKTEXT, PEEKDATA, PEEKUSR */
	case 12: case 14:		/* GETREGS, GETFPREGS */
	case 0x4204:			/* GETREGSET */
		return SOV_MEM_READ;
	case 4: case 5: case 6:		/* POKETEXT, POKEDATA, POKEUSR */
	case 13: case 15:		/* SETREGS, SETFPREGS */
	case 0x4205:			/* SETREGSET */
		return SOV_MEM_WRITE;
	}
	return 0;
}

/* shmat(): attached writable unless SHM_RDONLY (010000) is in shmflg. */
#define SOV_SHM_RDONLY		010000

static __always_inline int sov_shmat_writes(__u64 shmflg)
{
	return !(shmflg & SOV_SHM_RDONLY);
}

#endif /* SOV_BPF_RULES_H */
