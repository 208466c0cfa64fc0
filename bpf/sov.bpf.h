/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Logic shared by the tracing + cgroup path (tracing.bpf.c) and the LSM
 * path (lsm.bpf.c): labels, taint, derivation, the egress decision and
 * events. Both paths call the same functions so they cannot disagree.
 *
 * Map lookups per hook (the hot-path budget):
 *   open, unlabelled file, untainted:  label (1) + label_devs (1)
 *                                      + ancestors on a labelled device (<= SOV_WALK_MAX)
 *   open for write:                    + taint (1)
 *   egress, untainted process:         taint (1) [+ sk storage on the cgroup path]
 *   egress, tainted process:           taint, LPM, zone rule, config (4) + counters
 */
#ifndef SOV_SOV_BPF_H
#define SOV_SOV_BPF_H

#include "maps.bpf.h"

#define FMODE_READ	0x1
#define FMODE_WRITE	0x2
#define S_IFMT		00170000
#define S_IFDIR		0040000
#define AF_INET		2
#define AF_INET6	10
#define EPERM		1

/* How many ancestors an open walks looking for a labelled directory. */
#define SOV_WALK_MAX	16

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline struct sov_counters *counters(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&sov_counters, &k);
}

static __always_inline void count(int idx)
{
	struct sov_counters *c = counters();

	if (c && idx >= 0 && idx < SOV_CNT_MAX)
		c->c[idx]++;
}

static __always_inline struct sov_config *sov_cfg(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&sov_config, &k);
}

/* Reserves an event and fills the common fields; NULL (and counted) when full. */
static __always_inline struct sov_event *event_new(__u32 type)
{
	struct sov_event *e;
	__u64 id;

	e = bpf_ringbuf_reserve(&sov_events, sizeof(*e), 0);
	if (!e) {
		count(SOV_CNT_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	id = bpf_get_current_pid_tgid();
	e->type = type;
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->fd = (__u32)-1;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void event_submit(struct sov_event *e)
{
	bpf_ringbuf_submit(e, 0);
	count(SOV_CNT_EVENTS);
}

/*
 * The label of the file's inode. A file without its own label that lies
 * below a labelled directory (created after sovd labelled the tree, or moved
 * in) takes the directory's classes, and the label is stored on its inode so
 * that later opens, hard links and renames find it with one lookup.
 */
static __always_inline struct sov_label *file_label(struct file *file,
						    struct sov_inode_key *key)
{
	struct sov_label *lab, nl = {};
	struct dentry *d, *parent;
	struct inode *inode;
	__u64 dev;

	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return NULL;
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key->dev = dev;
	key->ino = BPF_CORE_READ(inode, i_ino);
	lab = bpf_map_lookup_elem(&sov_labels, key);
	if (lab)
		return lab;
	if (!bpf_map_lookup_elem(&sov_label_devs, &dev))
		return NULL;

	d = BPF_CORE_READ(file, f_path.dentry);
	for (int i = 0; i < SOV_WALK_MAX; i++) {
		struct sov_inode_key pk;
		struct sov_label *pl;

		parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d)
			break;
		pk.dev = dev;
		pk.ino = BPF_CORE_READ(parent, d_inode, i_ino);
		pl = bpf_map_lookup_elem(&sov_labels, &pk);
		if (pl && (pl->flags & SOV_LABEL_DIR)) {
			nl.classes = pl->classes;
			nl.flags = SOV_LABEL_DERIVED;
			if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFDIR)
				nl.flags |= SOV_LABEL_DIR;
			bpf_map_update_elem(&sov_labels, key, &nl, BPF_NOEXIST);
			return bpf_map_lookup_elem(&sov_labels, key);
		}
		d = parent;
	}
	return NULL;
}

/*
 * The path of an event's file. The LSM path has the struct file at a hook
 * where bpf_d_path() is allowed; the tracing path only has the path string
 * the process passed (possibly relative; sovd resolves it).
 */
static __always_inline void event_path(struct sov_event *e, struct file *file,
				       const char *upath)
{
#ifdef SOV_LSM_PATH
	bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path));
#else
	if (upath)
		bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
#endif
}

static __always_inline void file_event(__u32 type, __u64 classes, struct file *file,
				       const struct sov_inode_key *key, int fd,
				       const char *upath)
{
	struct sov_event *e = event_new(type);

	if (!e)
		return;
	e->classes = classes;
	e->dev = key->dev;
	e->ino = key->ino;
	e->fd = (__u32)fd;
	e->hook = SOV_HOOK_OPEN;
	event_path(e, file, upath);
	event_submit(e);
}

/* Reading a labelled file: the thread group's taint grows. */
static __always_inline void taint_grow(__u32 tgid, __u64 classes, struct file *file,
				       const struct sov_inode_key *key, int fd,
				       const char *upath)
{
	struct sov_taint *t = bpf_map_lookup_elem(&sov_taint, &tgid);

	if (t && (t->classes | classes) == t->classes)
		return;
	if (t) {
		/* Taint only grows; a racing thread may add bits too. */
		__sync_fetch_and_or(&t->classes, classes);
	} else {
		struct sov_taint nt = {
			.classes = classes,
			.dev = key->dev,
			.ino = key->ino,
			.since_ns = bpf_ktime_get_boot_ns(),
		};
		if (bpf_map_update_elem(&sov_taint, &tgid, &nt, BPF_NOEXIST)) {
			t = bpf_map_lookup_elem(&sov_taint, &tgid);
			if (!t)
				return;
			__sync_fetch_and_or(&t->classes, classes);
		}
	}
	if (t)
		classes = t->classes;
	count(SOV_CNT_TAINT);
	file_event(SOV_EV_TAINT, classes, file, key, fd, upath);
}

/* Writing while tainted: the file gets the taint's derivable classes. */
static __always_inline void derive(__u32 tgid, struct sov_label *lab, struct file *file,
				   const struct sov_inode_key *key, int fd,
				   const char *upath)
{
	struct sov_taint *t = bpf_map_lookup_elem(&sov_taint, &tgid);
	struct sov_config *cfg;
	__u64 add;

	if (!t)
		return;
	cfg = sov_cfg();
	if (!cfg)
		return;
	add = t->classes & cfg->derive_classes;
	if (!add)
		return;
	if (lab) {
		if ((lab->classes | add) == lab->classes)
			return;
		__sync_fetch_and_or(&lab->classes, add);
		lab->flags |= SOV_LABEL_DERIVED;
		add = lab->classes;
	} else {
		struct sov_label nl = { .classes = add, .flags = SOV_LABEL_DERIVED };

		if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) == S_IFDIR)
			nl.flags |= SOV_LABEL_DIR;
		bpf_map_update_elem(&sov_labels, key, &nl, BPF_ANY);
	}
	count(SOV_CNT_DERIVE);
	file_event(SOV_EV_DERIVE, add, file, key, fd, upath);
}

/*
 * An open that succeeded (tracing: at syscall exit with the new fd; LSM: at
 * file_open, fd = -1). Reading a labelled file taints the thread group;
 * writing while tainted labels the file (derivation). O_RDWR does both,
 * taint first, so a file opened read-write by a process that just became
 * tainted by it carries the process's other classes too.
 */
static __always_inline void on_open(struct file *file, int fd, const char *upath)
{
	struct sov_inode_key key = {};
	struct sov_label *lab;
	unsigned int fmode;
	__u32 tgid;

	fmode = BPF_CORE_READ(file, f_mode);
	lab = file_label(file, &key);
	tgid = bpf_get_current_pid_tgid() >> 32;

	/* Listing a labelled directory reveals names, not the data: only
	 * non-directories taint (sovd's own walks of the tree open them). */
	if (lab && (fmode & FMODE_READ) && !(lab->flags & SOV_LABEL_DIR))
		taint_grow(tgid, lab->classes, file, &key, fd, upath);
	if (fmode & FMODE_WRITE)
		derive(tgid, lab, file, &key, fd, upath);
}

static __always_inline __u32 zone_of4(__u32 addr_be)
{
	struct sov_lpm4_key k = { .prefixlen = 32 };
	struct sov_zone_val *v;

	__builtin_memcpy(k.addr, &addr_be, 4);
	v = bpf_map_lookup_elem(&sov_zone4, &k);
	return v ? v->zone : SOV_ZONE_UNKNOWN;
}

/* IPv4-mapped IPv6 destinations (::ffff:a.b.c.d) are IPv4 destinations. */
static __always_inline int ip6_is_v4mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

static __always_inline __u32 zone_of6(const __u32 a[4])
{
	struct sov_lpm6_key k = { .prefixlen = 128 };
	struct sov_zone_val *v;

	if (ip6_is_v4mapped(a))
		return zone_of4(a[3]);
	__builtin_memcpy(k.addr, a, 16);
	v = bpf_map_lookup_elem(&sov_zone6, &k);
	return v ? v->zone : SOV_ZONE_UNKNOWN;
}

/* A destination, as every egress hook sees it. Addresses in network order. */
struct sov_dst {
	__u32 addr[4];
	__u16 family;
	__u16 proto;
	__u16 dport;		/* host order */
	__u16 hook;
};

/*
 * The egress rule of the contract: every class in the taint must allow the
 * destination's zone. Returns SOV_VERDICT_*; the zone and violated classes
 * come back for the event.
 */
static __always_inline int egress_verdict(const struct sov_taint *t,
					  const struct sov_config *cfg,
					  const struct sov_dst *dst,
					  __u32 *zone, __u64 *violated)
{
	struct sov_zone_rule *rule;

	if (dst->family == AF_INET)
		*zone = zone_of4(dst->addr[0]);
	else
		*zone = zone_of6(dst->addr);

	rule = bpf_map_lookup_elem(&sov_zone_rules, zone);
	if (!rule)
		return SOV_VERDICT_ALLOW;
	*violated = t->classes & ~rule->allowed;
	if (!*violated)
		return SOV_VERDICT_ALLOW;
	if ((*violated & cfg->block_classes) && cfg->mode == SOV_MODE_ENFORCE)
		return SOV_VERDICT_DENY;
	return SOV_VERDICT_AUDIT;
}

/* One event and one counter per reported decision. */
static __always_inline void egress_emit(const struct sov_taint *t,
					const struct sov_dst *dst, __u32 tgid,
					int verdict, __u32 zone, __u64 violated)
{
	struct sov_event *e;

	count(verdict == SOV_VERDICT_ALLOW ? SOV_CNT_ALLOW :
	      verdict == SOV_VERDICT_DENY ? SOV_CNT_DENY : SOV_CNT_AUDIT);
	e = event_new(SOV_EV_EGRESS);
	if (!e)
		return;
	/* On the skb path the packet may leave from another task's context. */
	if (dst->hook == SOV_HOOK_SKB) {
		e->tgid = tgid;
		e->pid = tgid;
	}
	e->classes = t->classes;
	e->violated = violated;
	e->verdict = verdict;
	e->zone = zone;
	e->family = dst->family;
	e->proto = dst->proto;
	e->dport = dst->dport;
	e->hook = dst->hook;
	if (dst->family == AF_INET6 && ip6_is_v4mapped(dst->addr)) {
		e->family = AF_INET;
		__builtin_memcpy(e->daddr, &dst->addr[3], 4);
	} else {
		__builtin_memcpy(e->daddr, dst->addr, 16);
	}
	event_submit(e);
}

/* Decide and report: the syscall-time hooks (connect, sendmsg with an address). */
static __always_inline int egress_decide(const struct sov_taint *t,
					 const struct sov_config *cfg,
					 const struct sov_dst *dst, __u32 tgid)
{
	__u64 violated = 0;
	__u32 zone = 0;
	int verdict;

	verdict = egress_verdict(t, cfg, dst, &zone, &violated);
	egress_emit(t, dst, tgid, verdict, zone, violated);
	return verdict;
}

/* fork: the child inherits the parent's taint. exec keeps it (same tgid). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sov_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct sov_taint *t, nt;

	/* A new thread shares its group's entry. */
	if (BPF_CORE_READ(child, pid) != ctgid)
		return 0;
	t = bpf_map_lookup_elem(&sov_taint, &ptgid);
	if (!t)
		return 0;
	nt = *t;
	bpf_map_update_elem(&sov_taint, &ctgid, &nt, BPF_ANY);
	return 0;
}

/*
 * exit: the taint goes with the last thread of the group. do_exit()
 * decrements signal->live before it fires this tracepoint, so live == 0
 * here exactly once per thread group.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sov_exit, struct task_struct *p)
{
	__u32 tgid;

	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	tgid = BPF_CORE_READ(p, tgid);
	bpf_map_delete_elem(&sov_taint, &tgid);
	return 0;
}

#endif
