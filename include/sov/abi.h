/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ABI shared by the kernel programs (bpf/) and user space (agent/, tools/).
 * Fixed-width types only, explicit padding, sizes pinned with
 * _Static_assert so a change on one side cannot silently skew the other.
 */
#ifndef SOV_ABI_H
#define SOV_ABI_H

#ifdef __BPF__
/* vmlinux.h provides __u8..__u64 */
#else
#include <linux/types.h>
#endif

#define SOV_MAX_CLASSES		64
#define SOV_ZONE_UNKNOWN	0	/* zone id of an address in no zone */
#define SOV_MAX_ZONES		4096	/* zone ids are < this */
#define SOV_NAME_MAX		64	/* names are at most 63 chars + NUL */
#define SOV_PATH_MAX		256	/* path bytes carried in an event */
#define SOV_COMM_LEN		16
#define SOV_MAX_SCOPE		16	/* scope cgroups */

/* sov_config.mode */
#define SOV_MODE_ENFORCE	0
#define SOV_MODE_AUDIT		1

/* sov_label.flags */
#define SOV_LABEL_DIR		(1u << 0)  /* a directory: labels what lies below */
#define SOV_LABEL_DERIVED	(1u << 1)  /* set by the kernel (derivation/inheritance) */
#define SOV_LABEL_GEN		(1u << 2)  /* gen holds the inode's i_generation */

/* LPM trie keys: prefix length first, address in network byte order. */
struct sov_lpm4_key {
	__u32 prefixlen;
	__u8  addr[4];
};

struct sov_lpm6_key {
	__u32 prefixlen;
	__u8  addr[16];
};

/* Value of both LPM tries. */
struct sov_zone_val {
	__u32 zone;
	__u32 _pad;
};

/*
 * The zone tables are double-buffered so that a policy change is one write:
 * sov_zone4_0/1, sov_zone6_0/1 and the two halves of zone_rules
 * (index active * SOV_MAX_ZONES + zone) are filled while the other half is
 * in force, then sov_config.active flips.
 *
 * zone_rules is an ARRAY indexed by zone id. For the zone of a destination,
 * 'allowed' has bit c set iff class c allows that zone. The decision for a
 * tainted process is then one array lookup:  violated = taint & ~allowed.
 */
struct sov_zone_rule {
	__u64 allowed;
};

/* Slots of sov_config.chan_allow: one per SOV_CHAN_* value (below), with room. */
#define SOV_CHAN_SLOTS		8

/* config is an ARRAY of one entry, rewritten whole on a policy change. */
struct sov_config {
	__u64 block_classes;	/* classes whose action is block */
	__u64 derive_classes;	/* classes with derive: true */
	__u32 mode;		/* SOV_MODE_* */
	__u32 generation;	/* policy generation, bumped on every apply */
	__u64 policy_hash;	/* first 8 bytes of the policy SHA-256 */
	__u32 n_scope;		/* LSM path: scope cgroups in scope_cgroups; 0 = whole host */
	__u32 active;		/* which half of the zone tables is in force (0/1) */
	/* Per channel (index SOV_CHAN_*), the classes whose `channels:` key
	 * allows it; [SOV_CHAN_NONE] and slots from SOV_CHAN_MAX on are 0. */
	__u64 chan_allow[SOV_CHAN_SLOTS];
	__u64 all_classes;	/* every class of the policy */
};

struct sov_inode_key {
	__u64 dev;		/* kernel dev_t (MAJOR<<20|MINOR), as s_dev */
	__u64 ino;
};

/*
 * maps_held: HASH keyed by tgid (issue 11). The files a process maps
 * shared and writable while it is untainted: when it becomes tainted they
 * derive, as the files it holds open for writing do, even if their fds
 * were closed. Bounded per process; the rest are found by sovd from
 * /proc/PID/maps on the taint event (agent/mapscan.c). 'mm' tells the
 * process's mappings apart from those of an earlier image (exec).
 */
#define SOV_MAPS_HELD		4

struct sov_map_held {
	struct sov_inode_key key;
	__u32 gen;		/* i_generation */
	__u32 mode;		/* i_mode */
};

struct sov_maps_held {
	__u64 mm;		/* the mm_struct the mappings belong to */
	__u32 n;		/* entries used in f[] */
	__u32 overflow;		/* more mappings than f[] holds */
	struct sov_map_held f[SOV_MAPS_HELD];
};

/*
 * A label belongs to one inode, not to an inode number: with SOV_LABEL_GEN,
 * gen is the inode's i_generation when it was labelled, and an inode with
 * the same (dev, ino) but another generation (the number reused by a new
 * file after the labelled one was deleted) is not labelled (the kernel
 * removes the stale entry when it meets it). Without SOV_LABEL_GEN (sovd
 * could not read the generation on that filesystem) the label matches any
 * generation.
 */
struct sov_label {
	__u64 classes;
	__u32 flags;		/* SOV_LABEL_* */
	__u32 gen;		/* i_generation, valid with SOV_LABEL_GEN */
};

/*
 * taint: HASH keyed by tgid, live processes only (issue 12). Never shrinks
 * for the life of the process. When the process exits the entry moves to
 * taint_exited (an LRU keyed by tgid), marked with exited_ns, so that data
 * its sockets still hold (TCP retransmissions after exit) is judged by the
 * taint it had, and exited processes never take the room of live ones;
 * the fork hook drops a stale entry when its tgid is reused, and sovd
 * removes exited entries after SOV_TAINT_LINGER_S.
 */
struct sov_taint {
	__u64 classes;
	__u64 dev;		/* inode that first tainted the process */
	__u64 ino;
	__u64 since_ns;		/* bpf_ktime_get_boot_ns() of first taint */
	__u64 exited_ns;	/* 0 while the process lives */
};

#define SOV_TAINT_LINGER_S	1200	/* > TCP's retransmission give-up time */

/*
 * self: ARRAY[1] (issue 12), written by sovd after it attached its
 * programs: while 'enabled' and the process 'tgid' lives, the LSM path
 * refuses every other process writable fds of sovd's maps and detaching
 * or updating sovd's links (their ids in self_ids), changes in the
 * pin directory, and writes to the journal directory and key. The exit of
 * 'tgid' clears 'enabled' (a crashed sovd must not lock its successor
 * out); `sovd --unlock` leaves it 0.
 */
#define SOV_SELF_LINK	1ull	/* self_ids key: SOV_SELF_LINK << 32 | link id */
#define SOV_SELF_MAP	2ull	/* self_ids key: SOV_SELF_MAP << 32 | map id */

struct sov_self {
	__u32 tgid;
	__u32 enabled;
	__u64 pin_dev, pin_ino, links_ino;	/* PIN_DIR and PIN_DIR/links */
	__u64 jdir_dev, jdir_ino;		/* the journal directory, 0: none */
	__u64 key_dev, key_ino;			/* the journal key, 0: none */
};

/*
 * taint_state: ARRAY[1]. When a taint cannot be stored (the taint map full,
 * or no memory), its classes join overflow.classes, and every process
 * without an entry of its own is judged as tainted with them at egress
 * (fail closed) until sovd's pins are removed; counted in map_full,
 * reported by sovd as a "loss" event. When a label cannot be stored (the
 * label map full: a derivative, a file made in a labelled directory), the
 * file is unlabelled and its later readers are unknown: its classes join
 * overflow.classes too, and labels_lost, and every process, with an entry
 * or without, is judged with them at egress (issue 12).
 */
struct sov_taint_state {
	struct sov_taint overflow;	/* classes: the lost taints' and labels' union */
	__u64 labels_lost;		/* classes of the labels that could not be stored */
	__u64 ipc_lost;			/* classes of IPC labels that may be evicted */
};

/*
 * ipc_state: ARRAY[1] (bpf/ipc.bpf.h). The IPC label maps are LRU hashes,
 * which evict without a word; sovd writes, before attach, the entries
 * below which each cannot evict (its size less what the CPUs' local free
 * lists may hold). A new label at or above it may push out any label the
 * map holds: every class the map ever held joins sov_taint_state.overflow
 * (ipc_lost), judged on every process (fail closed, issue 12).
 */
struct sov_ipc_state {
	__u64 records;		/* labels stored minus labels forgotten, both
				 * maps (the read side's gate) */
	__u64 held[2];		/* the same per map: 0 sov_ipc, 1 sov_ipc_names */
	__u64 safe[2];		/* written by sovd (above) */
	__u64 seen[2];		/* every class ever stored in the map */
};

/* Socket ownership (SK_STORAGE): who created it (sock_create /
 * socket_post_create), or later bound, connected or sent on it. */
struct sov_sock_owner {
	__u32 tgid;
	__u32 denied;		/* SOV_SOCK_*: reported once; DENIED sticks */
	__u32 uid;		/* of the owner, for events from softirq context */
	__u32 _pad;
	__u64 cgroup_id;
	char  comm[16];
};

/*
 * Tracing path: the tainted processes that wrote to a socket they may not
 * own (issue 10: inherited, passed, pidfd_getfd'd sockets; sendfile and
 * splice). sov_senders is a HASH keyed by the struct sock's address (a
 * scalar: cgroup_skb's skb->sk and a probe-read sock->sk are the same
 * value), recorded at the send syscalls' entry (tp_btf/sys_enter) and
 * removed when the socket can send no more (TCP_CLOSE, or release of a
 * non-TCP socket). cgroup_skb/egress judges the union of the owner's taint
 * and these classes; events name 'who', the last tainted writer.
 */
struct sov_sender {
	struct sov_sock_owner who;	/* who.denied is unused */
	__u64 classes;			/* every tainted writer's classes, ORed */
};

/* sov_sender_state: ARRAY of one, read by cgroup_skb before it looks a
 * socket up in sov_senders (no record, no lookup). */
struct sov_sender_state {
	__u64 records;		/* entries in sov_senders */
	__u64 overflow;		/* classes of writers that could not be recorded
				 * (map full): judged on every socket, fail closed */
};

/*
 * sov_flows: HASH, aggregation of allowed egress flows (issue 14). A
 * tainted process's allowed connect or send (judged by destination, at
 * connect, sendmsg or send) whose key is in the map costs no ring-buffer
 * event: the kernel adds one to count. The first flow of a key is its own
 * event, and puts the key in the map with count 0 (only after that event
 * was reserved); a deny, an audit, a channel, a flow whose key cannot be
 * stored (the map full) is its own event as before. The kernel only ever
 * adds to count (atomic add, which 5.10 has); sovd never writes an entry
 * a program may still add to (a user-space update of a hash value
 * replaces the element, and an add in flight would land in the old one):
 * what it has reported of each key is its own map, sov_flows_seen, and an
 * aggregate is the difference. An entry is removed by sovd only once its
 * process instance is gone (no thread left that could add to it).
 */
struct sov_flow_key {
	__u32 tgid;
	__u32 zone;
	__u64 classes;		/* the taint judged */
	__u64 since_ns;		/* the taint's since_ns: a reused tgid is another key */
	__u32 generation;	/* sov_config.generation: zone ids belong to a policy */
	__u16 hook;		/* SOV_HOOK_CONNECT, _SENDMSG, _SEND */
	__u16 proto;		/* IPPROTO_TCP, IPPROTO_UDP */
};

struct sov_flow {
	__u64 count;		/* allowed flows after the first (atomic add) */
	__u64 first_ns;		/* the first flow's time (its own event); set once */
	__u64 last_ns;		/* the latest flow counted (a plain store) */
	__u64 cgroup_id;	/* the first flow's process, set once */
	__u32 uid;
	__u32 _pad;
	char  comm[SOV_COMM_LEN];
};

/* sov_flows_seen: HASH with sov_flows' keys, written by sovd only: what it
 * has reported of each key (it survives a crash of sovd with the pins). */
struct sov_flow_seen {
	__u64 count;		/* sov_flow.count already in an aggregate record */
	__u64 last_ns;		/* the end of the last aggregate's window */
};

/* sov_classes: ARRAY[SOV_MAX_CLASSES], the name of each class bit. Pinned
 * with the labels so a later sovd can renumber bits by name. */
struct sov_class_name {
	char name[SOV_NAME_MAX];
};

#define SOV_SOCK_REPORTED	1	/* an audit verdict was reported */
#define SOV_SOCK_DENIED		2	/* refused: every later packet is dropped */

/* Per-CPU counters: one PERCPU_ARRAY entry of struct sov_counters, so a
 * hook pays one lookup whatever it counts. */
#define SOV_CNT_EVENTS		0	/* events submitted to the ring buffer */
#define SOV_CNT_LOST		1	/* events dropped: ring buffer full */
#define SOV_CNT_ALLOW		2
#define SOV_CNT_DENY		3
#define SOV_CNT_AUDIT		4
#define SOV_CNT_TAINT		5
#define SOV_CNT_DERIVE		6
#define SOV_CNT_PKT_DROP	7	/* late-taint packets dropped */
#define SOV_CNT_MAP_FULL	8	/* a label or taint could not be stored */
#define SOV_CNT_LABEL_GONE	9	/* labels of deleted inodes reclaimed by the kernel */
#define SOV_CNT_MAX		10

struct sov_counters {
	__u64 c[SOV_CNT_MAX];
};

/* sov_event.type */
#define SOV_EV_TAINT		1
#define SOV_EV_DERIVE		2
#define SOV_EV_EGRESS		3
#define SOV_EV_TAMPER		4	/* issue 12: a refused attempt on sovd itself (LSM path) */

/* sov_event.verdict */
#define SOV_VERDICT_ALLOW	0
#define SOV_VERDICT_DENY	1
#define SOV_VERDICT_AUDIT	2

/* sov_event.hook: where the decision was made */
#define SOV_HOOK_CONNECT	1
#define SOV_HOOK_SENDMSG	2
#define SOV_HOOK_SKB		3	/* late taint on the tracing path */
#define SOV_HOOK_OPEN		4
#define SOV_HOOK_SOCKET		5	/* a channel refused or audited at socket creation */
#define SOV_HOOK_SEND		6	/* a send by a process other than the socket's owner (issue 10: inherited, passed sockets; sendfile/splice) */
#define SOV_HOOK_DEVICE		7	/* an RDMA device opened or used (issue 10) */
#define SOV_HOOK_IPC		8	/* taint: data read from a pipe, FIFO, Unix socket or loopback TCP written by a tainted process (issue 11) */
/* issue 12, SOV_EV_TAMPER: what was refused (LSM path) */
#define SOV_HOOK_SELF_MAP	9	/* a writable fd of one of sovd's maps */
#define SOV_HOOK_SELF_LINK	10	/* detach or update of one of sovd's links */
#define SOV_HOOK_SELF_PIN	11	/* unlink/rename/rmdir in sovd's pin directory */
#define SOV_HOOK_SELF_JOURNAL	12	/* write, truncate, unlink of the journal or its key */
/* issue 13, SOV_EV_TAINT: an io_uring set up where sovd cannot see its
 * file operations (the 5.10 build): the process takes every class */
#define SOV_HOOK_URING		13

/*
 * sov_event.channel: sockets that cannot be judged by destination (their
 * packets are not parsed, or do not pass the IP stack at all). A tainted
 * process is judged for one by the classes that allow it (chan_allow of
 * sov_config, from the policy's per-class `channels:` key): like a
 * destination in a zone only those classes allow.
 */
#define SOV_CHAN_NONE		0	/* TCP/UDP over IP, or a family sovd does not govern */
#define SOV_CHAN_RAW		1	/* SOCK_RAW on AF_INET/AF_INET6 */
#define SOV_CHAN_PING		2	/* ICMP/ICMPv6 datagram ("ping") socket */
#define SOV_CHAN_PACKET		3	/* AF_PACKET (and the old AF_INET SOCK_PACKET) */
#define SOV_CHAN_XDP		4	/* AF_XDP */
#define SOV_CHAN_OTHER		5	/* an IP protocol sovd does not parse: SCTP, UDP-Lite, MPTCP... */
#define SOV_CHAN_RDMA		6	/* an RDMA device: /dev/infiniband/uverbs*, rdma_cm */
#define SOV_CHAN_MAX		7

/*
 * RDMA devices (issue 10): sov_rdma_devs is a HASH keyed by a character
 * device's number as the kernel numbers it (SOV_DEV(major, minor), major
 * << 20 | minor); SOV_DEV_ANY_MINOR in the minor bits stands for every
 * minor of that major. The fixed major of uverbs/umad/issm is in the rule
 * itself (bpf/rules.h sov_rdma_dev()); sovd adds the dynamic majors of
 * "infiniband_verbs" and "infiniband_mad" (/proc/devices) and the misc
 * device rdma_cm (10, dynamic minor, /sys/class/misc/rdma_cm/dev).
 */
#define SOV_RDMA_MAJOR		231	/* IB_UVERBS_MAJOR: uverbs, umad, issm */
#define SOV_MISC_MAJOR		10
#define SOV_MINORBITS		20
#define SOV_DEV_ANY_MINOR	0xFFFFFu
#define SOV_DEV(major, minor)	(((__u32)(major) << SOV_MINORBITS) | ((__u32)(minor) & SOV_DEV_ANY_MINOR))
#define SOV_RDMA_DEVS_MAX	64

/* sov_rdma_devs value: what the device is (for sovd's own use) */
#define SOV_RDMA_VERBS		1	/* uverbs (infiniband_verbs) */
#define SOV_RDMA_MAD		2	/* umad, issm (infiniband_mad) */
#define SOV_RDMA_CM		3	/* rdma_cm (misc) */

struct sov_event {
	__u64 ts_boot_ns;	/* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;
	__u64 classes;		/* taint of the process (after the event) */
	__u64 violated;		/* egress: classes that do not allow the zone */
	__u64 dev;		/* taint/derive: the file */
	__u64 ino;
	__u32 type;		/* SOV_EV_* */
	__u32 pid;		/* thread id */
	__u32 tgid;
	__u32 uid;
	__u32 verdict;		/* SOV_VERDICT_* */
	__u32 zone;
	__u16 family;		/* AF_INET / AF_INET6 (AF_PACKET, AF_XDP for a channel) */
	__u16 proto;		/* IPPROTO_TCP / IPPROTO_UDP (the socket's protocol for a channel) */
	__u16 dport;		/* host byte order */
	__u16 hook;		/* SOV_HOOK_* */
	__u32 fd;		/* taint/derive: fd in the process, or -1 */
	__s32 dirfd;		/* tracing: openat's dirfd for a relative path (-100 cwd) */
	__u8  daddr[16];	/* IPv4 in the first 4 bytes */
	char  comm[SOV_COMM_LEN];
	__u16 sotype;		/* egress: the socket's type (SOCK_STREAM...) */
	__u16 channel;		/* egress: SOV_CHAN_*, NONE for a judged destination */
	__u32 _pad;
	/* Last: an egress event is only the part before it (SOV_EVENT_SMALL
	 * bytes in the ring buffer, issue 14); sovd reads a shorter record as
	 * if path were empty. */
	char  path[SOV_PATH_MAX];	/* as seen at the hook; may be relative */
};

/* The ring-buffer size of an egress event: everything but path. */
#define SOV_EVENT_SMALL		128

_Static_assert(sizeof(struct sov_lpm4_key) == 8, "lpm4 key");
_Static_assert(sizeof(struct sov_lpm6_key) == 20, "lpm6 key");
_Static_assert(sizeof(struct sov_config) == 48 + 8 * SOV_CHAN_SLOTS, "config");
_Static_assert(SOV_CHAN_MAX <= SOV_CHAN_SLOTS, "config: a chan_allow slot per channel");
_Static_assert(sizeof(struct sov_inode_key) == 16, "inode key");
_Static_assert(sizeof(struct sov_label) == 16, "label");
_Static_assert(sizeof(struct sov_taint) == 40, "taint");
_Static_assert(sizeof(struct sov_sock_owner) == 40, "sock owner");
_Static_assert(sizeof(struct sov_sender) == 48, "sender");
_Static_assert(sizeof(struct sov_sender_state) == 16, "sender state");
_Static_assert(sizeof(struct sov_flow_key) == 32, "flow key");
_Static_assert(sizeof(struct sov_flow) == 56, "flow");
_Static_assert(sizeof(struct sov_flow_seen) == 16, "flow seen");
_Static_assert(sizeof(struct sov_counters) == 8 * SOV_CNT_MAX, "counters");
_Static_assert(sizeof(struct sov_event) == 384, "event");
_Static_assert(__builtin_offsetof(struct sov_event, daddr) == 88, "event daddr");
_Static_assert(__builtin_offsetof(struct sov_event, path) == SOV_EVENT_SMALL, "event path");

#endif /* SOV_ABI_H */
