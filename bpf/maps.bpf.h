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
 * Devices that hold a labelled directory. Only opens on these pay the
 * ancestor walk that finds files created below a labelled directory.
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

#endif
