/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Every map of both kernel paths, in one place (the bottom layer, see
 * bpf/README.md). Every map is pinned by name under the pin directory
 * (LIBBPF_PIN_BY_NAME + pin_root_path), so a restarted sovd re-adopts
 * labels, taint and policy instead of starting blind.
 * max_entries below are placeholders: sovd sizes each map from the compiled
 * policy and its options before load.
 */
#ifndef SOV_MAPS_BPF_H
#define SOV_MAPS_BPF_H

#include "sov/abi.h"
#include "compat.bpf.h"

/* prefix -> zone id, longest prefix wins; two of each (see abi.h) */
#define SOV_LPM_MAP(name, keytype)					\
struct {								\
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);				\
	__uint(map_flags, BPF_F_NO_PREALLOC);				\
	__type(key, keytype);						\
	__type(value, struct sov_zone_val);				\
	__uint(max_entries, 1024);					\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} name SEC(".maps")

SOV_LPM_MAP(sov_zone4_0, struct sov_lpm4_key);
SOV_LPM_MAP(sov_zone4_1, struct sov_lpm4_key);
SOV_LPM_MAP(sov_zone6_0, struct sov_lpm6_key);
SOV_LPM_MAP(sov_zone6_1, struct sov_lpm6_key);

/* zone id -> classes allowing it */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_zone_rule);
	__uint(max_entries, 2 * SOV_MAX_ZONES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_zone_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_config);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_config SEC(".maps");

/* The policy in force: the one entry, rewritten whole by sovd. */
static __always_inline struct sov_config *sov_cfg(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&sov_config, &k);
}

/* (dev, ino) -> classes: labels belong to the inode, not the path */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sov_inode_key);
	__type(value, struct sov_label);
	__uint(max_entries, 65536);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_labels SEC(".maps");

/*
 * Devices that hold a labelled directory. On the tracing path only an
 * O_CREAT/O_TMPFILE open of a file without a label on one of these pays
 * the creation walk (label.bpf.h label_on_create()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_label_devs SEC(".maps");

/* class bit -> class name: what the bits in sov_labels mean (user space only) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_class_name);
	__uint(max_entries, SOV_MAX_CLASSES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_classes SEC(".maps");

/* tgid -> taint */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct sov_taint);
	__uint(max_entries, 32768);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_taint SEC(".maps");

/* tgid -> taint of an exited process, the oldest evicted first (abi.h) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, struct sov_taint);
	__uint(max_entries, 65536);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_taint_exited SEC(".maps");

/* sovd itself, for the self-protection hooks (abi.h, issue 12) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_self);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_self SEC(".maps");

/* (kind << 32 | id) -> 1: sovd's own links and maps (abi.h SOV_SELF_*) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u32);
	__uint(max_entries, 512);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_self_ids SEC(".maps");

/* A process's taint with the lost classes added, for the egress hooks
 * (taint.bpf.h taint_judged()): off the stack. Slot 0 for the hooks that
 * run in the caller's context, 1 for cgroup_skb, which may run in a
 * softirq that interrupts one of them on the same CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_taint);
	__uint(max_entries, 2);
} sov_judge_scratch SEC(".maps");

/* the union of the taints that could not be stored (abi.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_taint_state);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_taint_state SEC(".maps");

/*
 * socket -> owning tgid, recorded at creation (and at bind, connect,
 * sendmsg), for sockets connected or created before their owner's taint.
 * BPF_F_CLONE: a socket accepted from a listener inherits the listener's
 * owner (set at bind), so a tainted server's replies are judged too.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sov_sock_owner);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_sock_owner SEC(".maps");

/*
 * Tracing path: struct sock address -> tainted writers (struct sov_sender,
 * include/sov/abi.h). No prealloc: entries exist only while a tainted
 * process writes to a socket. Full: the writer's classes go to
 * sov_sender_state.overflow (fail closed) and SOV_CNT_MAP_FULL counts it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sov_sender);
	__uint(max_entries, 65536);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_senders SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_sender_state);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_sender_state SEC(".maps");

/* LSM path: the scope cgroups (tracing path attaches at them instead) */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, SOV_MAX_SCOPE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_scope SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_counters);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_counters SEC(".maps");

/*
 * Allowed flows aggregated per (process, zone, class set, policy, hook,
 * proto) (abi.h struct sov_flow_key, issue 14; bpf/egress.bpf.h
 * egress_aggregate()), and what sovd has reported of each (written by
 * sovd only). Full: a flow is its own event, as without aggregation.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sov_flow_key);
	__type(value, struct sov_flow);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct sov_flow_key);
	__type(value, struct sov_flow_seen);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_flows_seen SEC(".maps");

/*
 * RDMA character devices beyond the fixed major (abi.h SOV_RDMA_*): device
 * number -> SOV_RDMA_VERBS/MAD/CM, written by sovd at start and kept
 * current while it runs (a module loaded later adds its dynamic major or
 * misc minor).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, SOV_RDMA_DEVS_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_rdma_devs SEC(".maps");

/* tgid -> files mapped shared and writable while untainted (abi.h) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct sov_maps_held);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_maps_held SEC(".maps");

/* (process, device) -> the report state of an RDMA device held since before
 * the taint (like a socket's sov_sock_owner.denied): the read, write and
 * ioctl hooks run per command, the report is once per verdict. */
struct sov_dev_seen_key {
	__u32 tgid;
	__u32 dev;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct sov_dev_seen_key);
	__type(value, __u32);
	__uint(max_entries, 4096);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_dev_seen SEC(".maps");

/*
 * Taint over local channels (issue 11, bpf/ipc.bpf.h), both paths: the
 * objects tainted processes wrote into, and a gate for the read side.
 */
#define SOV_IPC_NAME_BUF	128	/* sun_path (108) rounded up: reads masked */

/* The object a reader reads from: obj (a kernel address) for a pipe or
 * Unix socket, or a TCP connection seen from its reader (obj 0). */
struct sov_ipc_key {
	__u64 obj;
	__u32 netns;
	__u16 lport;		/* the reader's local port */
	__u16 rport;		/* its remote port (the writer's) */
	__u32 laddr[4];		/* the reader's local address, v6 form */
	__u32 raddr[4];
};

/* A Unix datagram socket's name in a network namespace: the sun_path
 * bytes (up to the first NUL for a path name, len bytes for an abstract
 * one, zero padded). */
struct sov_ipc_name_key {
	__u32 netns;
	__u32 len;
	char name[SOV_IPC_NAME_BUF];
};

struct sov_ipc_label {
	__u64 classes;		/* the writers' derivable classes */
	__u32 gen;		/* the object's inode number, 0: any */
	__u32 tgid;		/* the last tainted writer */
};

/* struct sov_ipc_state: include/sov/abi.h */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct sov_ipc_key);
	__type(value, struct sov_ipc_label);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_ipc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct sov_ipc_name_key);
	__type(value, struct sov_ipc_label);
	__uint(max_entries, 4096);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_ipc_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_ipc_state);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sov_ipc_state SEC(".maps");

/* A reader's datagram name, built off the stack: sov_ipc_exit also runs
 * the fd walk's bpf_loop, and 6.1/6.12 count its callback's stack with it
 * (512 bytes in all). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_ipc_name_key);
	__uint(max_entries, 1);
} sov_ipc_scratch SEC(".maps");

/*
 * The process each CPU runs (tracing path, kernels whose cgroup/dev
 * programs lack the current-task helpers: tracing.bpf.c sov_sched_switch).
 */
struct sov_cur {
	__u32 tgid;
	__u32 pid;
	__u32 uid;
	__u32 pad;
	__u64 cgroup_id;
	char comm[SOV_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_cur);
	__uint(max_entries, 1);
} sov_cur SEC(".maps");

/*
 * The 5.10 build's walk state (bpf/compat.bpf.h sov_walk()): a bounded
 * loop's state in a map value, so the verifier sees unknown values at
 * each step. One slot per walk (SOV_WALK_SLOT_*); unused by the current
 * build, which runs the walks under bpf_loop(). Both builds keep the map:
 * one skeleton serves both.
 */
struct sov_walk_slot {
	__u8 b[120];		/* the walk's state */
	__u64 owner;		/* pid_tgid of the thread whose walk it is */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct sov_walk_slot);
	__uint(max_entries, 4);
} sov_walk_scratch SEC(".maps");

#endif
