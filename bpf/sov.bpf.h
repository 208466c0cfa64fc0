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
 *   egress, tainted process:           taint, config, LPM, zone rule (4) + counters
 */
#ifndef SOV_SOV_BPF_H
#define SOV_SOV_BPF_H

#include "maps.bpf.h"

#define FMODE_READ	0x1
#define FMODE_WRITE	0x2
#define S_IFMT		00170000
#define S_IFDIR		0040000
#define S_IFREG		0100000
#define AF_INET		2
#define AF_INET6	10
#define EPERM		1

/* How many ancestors an open walks looking for a labelled directory. */
#define SOV_WALK_MAX	16
/* How many fds are checked for derivation when a process becomes tainted. */
#define SOV_FD_WALK_MAX	1024

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

static __always_inline struct sov_event *event_reserve(__u32 type)
{
	struct sov_event *e;

	e = bpf_ringbuf_reserve(&sov_events, sizeof(*e), 0);
	if (!e) {
		count(SOV_CNT_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->fd = (__u32)-1;
	e->dirfd = -1;
	return e;
}

/* An event of the current task (every hook but cgroup_skb). */
static __always_inline struct sov_event *event_new(__u32 type)
{
	struct sov_event *e = event_reserve(type);
	__u64 id;

	if (!e)
		return NULL;
	id = bpf_get_current_pid_tgid();
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void event_submit(struct sov_event *e)
{
	bpf_ringbuf_submit(e, 0);
	count(SOV_CNT_EVENTS);
}

/*
 * The label of the file's inode, by value (so a full label map still lets
 * this open taint). A file without its own label that lies below a labelled
 * directory (created after sovd labelled the tree, or moved in) takes the
 * directory's classes, and the label is stored on its inode so that later
 * opens, hard links and renames find it with one lookup.
 * Returns 1 and fills classes and flags when the file is labelled.
 */
static __always_inline int file_label(struct file *file, struct sov_inode_key *key,
				      __u64 *classes, __u32 *flags)
{
	struct sov_label *lab, nl = {};
	struct dentry *d, *parent;
	struct inode *inode;
	__u64 dev;

	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return 0;
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key->dev = dev;
	key->ino = BPF_CORE_READ(inode, i_ino);
	lab = bpf_map_lookup_elem(&sov_labels, key);
	if (lab) {
		*classes = lab->classes;
		*flags = lab->flags;
		return 1;
	}
	if (!bpf_map_lookup_elem(&sov_label_devs, &dev))
		return 0;

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
			if (bpf_map_update_elem(&sov_labels, key, &nl, BPF_NOEXIST) &&
			    !bpf_map_lookup_elem(&sov_labels, key))
				count(SOV_CNT_MAP_FULL);
			*classes = nl.classes;
			*flags = nl.flags;
			return 1;
		}
		d = parent;
	}
	return 0;
}

/*
 * The path of an event's file. The LSM path has the struct file at a hook
 * where bpf_d_path() is allowed; the tracing path only has the path string
 * the process passed (possibly relative; sovd resolves it with dirfd).
 */
static __always_inline void event_path(struct sov_event *e, struct file *file,
				       const char *upath, int dirfd)
{
#ifdef SOV_LSM_PATH
	/* file is NULL when it came from a probe read (bpf_d_path needs the
	 * hook's own, trusted pointer); sovd then resolves the fd. */
	if (file)
		bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path));
#else
	e->dirfd = dirfd;
	if (upath)
		bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
#endif
}

static __always_inline void file_event(__u32 type, __u64 classes, struct file *file,
				       const struct sov_inode_key *key, int fd,
				       const char *upath, int dirfd)
{
	struct sov_event *e = event_new(type);

	if (!e)
		return;
	e->classes = classes;
	e->dev = key->dev;
	e->ino = key->ino;
	e->fd = (__u32)fd;
	e->hook = SOV_HOOK_OPEN;
	event_path(e, file, upath, dirfd);
	event_submit(e);
}

/*
 * Derivation of one file: it gets 'add' (the taint's derivable classes).
 * One derive event per inode and new class set.
 */
static __always_inline void derive_file(__u64 add, struct file *file, int fd,
					const char *upath, int dirfd, int trusted)
{
	struct sov_inode_key key = {};
	struct sov_label *lab;
	struct inode *inode;

	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	lab = bpf_map_lookup_elem(&sov_labels, &key);
	if (lab) {
		if ((lab->classes | add) == lab->classes)
			return;
		__sync_fetch_and_or(&lab->classes, add);
		lab->flags |= SOV_LABEL_DERIVED;
		add = lab->classes;
	} else {
		struct sov_label nl = { .classes = add, .flags = SOV_LABEL_DERIVED };

		if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFDIR)
			nl.flags |= SOV_LABEL_DIR;
		if (bpf_map_update_elem(&sov_labels, &key, &nl, BPF_ANY)) {
			/* Not stored: say so rather than claim a derivation. */
			count(SOV_CNT_MAP_FULL);
			return;
		}
	}
	count(SOV_CNT_DERIVE);
	file_event(SOV_EV_DERIVE, add, trusted ? file : NULL, &key, fd, upath, dirfd);
}

/*
 * When a process becomes tainted, files it already holds open for writing
 * become derivatives too: `sh -c 'cat data > out'` opens out before cat
 * reads the data. The fd table is walked once per taint change (rare),
 * with bpf_loop so the verifier sees one iteration.
 */
struct fd_walk {
	struct file **fds;
	__u64 add;
	__u32 max;
};

static long derive_fd_cb(__u32 i, void *ctx)
{
	struct fd_walk *w = ctx;
	struct file *file = NULL;
	unsigned int fmode;

	if (i >= w->max)
		return 1;
	if (bpf_probe_read_kernel(&file, sizeof(file), w->fds + i) || !file)
		return 0;
	fmode = BPF_CORE_READ(file, f_mode);
	if (!(fmode & FMODE_WRITE))
		return 0;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	derive_file(w->add, file, (int)i, NULL, -1, 0);
	return 0;
}

static __always_inline void derive_open_fds(__u64 add)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt;
	struct fd_walk w = { .add = add };

	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || !add)
		return;
	w.fds = BPF_CORE_READ(fdt, fd);
	w.max = BPF_CORE_READ(fdt, max_fds);
	if (w.max > SOV_FD_WALK_MAX)
		w.max = SOV_FD_WALK_MAX;
	bpf_loop(w.max, derive_fd_cb, &w, 0);
}

/* Reading a labelled file: the thread group's taint grows. */
static __always_inline void taint_grow(__u32 tgid, __u64 classes, struct file *file,
				       const struct sov_inode_key *key, int fd,
				       const char *upath, int dirfd)
{
	struct sov_taint *t = bpf_map_lookup_elem(&sov_taint, &tgid);
	struct sov_config *cfg;

	if (t && (t->classes | classes) == t->classes)
		return;
	if (t) {
		/* Taint only grows; a racing thread may add bits too. */
		__sync_fetch_and_or(&t->classes, classes);
		classes = t->classes;
	} else {
		struct sov_taint nt = {
			.classes = classes,
			.dev = key->dev,
			.ino = key->ino,
			.since_ns = bpf_ktime_get_boot_ns(),
		};
		if (bpf_map_update_elem(&sov_taint, &tgid, &nt, BPF_NOEXIST)) {
			t = bpf_map_lookup_elem(&sov_taint, &tgid);
			if (!t) {
				/* The taint map is full: fail loudly, counted. */
				count(SOV_CNT_MAP_FULL);
				return;
			}
			__sync_fetch_and_or(&t->classes, classes);
			classes = t->classes;
		}
	}
	count(SOV_CNT_TAINT);
	file_event(SOV_EV_TAINT, classes, file, key, fd, upath, dirfd);
	cfg = sov_cfg();
	if (cfg)
		derive_open_fds(classes & cfg->derive_classes);
}

/*
 * An open that succeeded (tracing: at syscall exit with the new fd; LSM: at
 * file_open, fd = -1). Reading a labelled file taints the thread group;
 * writing while tainted labels the file (derivation). O_RDWR does both,
 * taint first, so a file opened read-write by a process that just became
 * tainted by it carries the process's other classes too.
 */
static __always_inline void on_open(struct file *file, int fd, const char *upath,
				    int dirfd)
{
	struct sov_inode_key key = {};
	unsigned int fmode;
	__u64 classes = 0;
	__u32 flags = 0, tgid;
	int labelled;

	fmode = BPF_CORE_READ(file, f_mode);
	labelled = file_label(file, &key, &classes, &flags);
	tgid = bpf_get_current_pid_tgid() >> 32;

	/* Listing a labelled directory reveals names, not the data: only
	 * non-directories taint (sovd's own walks of the tree open them). */
	if (labelled && (fmode & FMODE_READ) && !(flags & SOV_LABEL_DIR))
		taint_grow(tgid, classes, file, &key, fd, upath, dirfd);
	if (fmode & FMODE_WRITE) {
		struct sov_taint *t = bpf_map_lookup_elem(&sov_taint, &tgid);
		struct sov_config *cfg;

		if (!t)
			return;
		cfg = sov_cfg();
		if (cfg && (t->classes & cfg->derive_classes))
			derive_file(t->classes & cfg->derive_classes, file, fd, upath, dirfd, 1);
	}
}

/* The zone tables in force: half cfg->active of the double buffer. */
static __always_inline __u32 zone_of4(const struct sov_config *cfg, __u32 addr_be)
{
	struct sov_lpm4_key k = { .prefixlen = 32 };
	struct sov_zone_val *v;

	__builtin_memcpy(k.addr, &addr_be, 4);
	if (cfg->active)
		v = bpf_map_lookup_elem(&sov_zone4_1, &k);
	else
		v = bpf_map_lookup_elem(&sov_zone4_0, &k);
	return v ? v->zone : SOV_ZONE_UNKNOWN;
}

/* IPv4-mapped IPv6 destinations (::ffff:a.b.c.d) are IPv4 destinations. */
static __always_inline int ip6_is_v4mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

static __always_inline __u32 zone_of6(const struct sov_config *cfg, const __u32 a[4])
{
	struct sov_lpm6_key k = { .prefixlen = 128 };
	struct sov_zone_val *v;

	if (ip6_is_v4mapped(a))
		return zone_of4(cfg, a[3]);
	__builtin_memcpy(k.addr, a, 16);
	if (cfg->active)
		v = bpf_map_lookup_elem(&sov_zone6_1, &k);
	else
		v = bpf_map_lookup_elem(&sov_zone6_0, &k);
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
	__u32 idx;

	if (dst->family == AF_INET)
		*zone = zone_of4(cfg, dst->addr[0]);
	else
		*zone = zone_of6(cfg, dst->addr);

	idx = *zone;
	if (idx >= SOV_MAX_ZONES)
		idx = SOV_ZONE_UNKNOWN;
	if (cfg->active)
		idx += SOV_MAX_ZONES;
	rule = bpf_map_lookup_elem(&sov_zone_rules, &idx);
	*violated = t->classes & ~(rule ? rule->allowed : 0);
	if (!*violated)
		return SOV_VERDICT_ALLOW;
	if ((*violated & cfg->block_classes) && cfg->mode == SOV_MODE_ENFORCE)
		return SOV_VERDICT_DENY;
	return SOV_VERDICT_AUDIT;
}

static __always_inline void egress_fill(struct sov_event *e, const struct sov_taint *t,
					const struct sov_dst *dst, int verdict,
					__u32 zone, __u64 violated)
{
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
}

static __always_inline void count_verdict(int verdict)
{
	count(verdict == SOV_VERDICT_ALLOW ? SOV_CNT_ALLOW :
	      verdict == SOV_VERDICT_DENY ? SOV_CNT_DENY : SOV_CNT_AUDIT);
}

/* One event and one counter per reported decision (current task's context). */
static __always_inline void egress_emit(const struct sov_taint *t,
					const struct sov_dst *dst,
					int verdict, __u32 zone, __u64 violated)
{
	struct sov_event *e;

	count_verdict(verdict);
	e = event_new(SOV_EV_EGRESS);
	if (!e)
		return;
	egress_fill(e, t, dst, verdict, zone, violated);
	event_submit(e);
}

/* Decide and report: the syscall-time hooks (connect, sendmsg with an address). */
static __always_inline int egress_decide(const struct sov_taint *t,
					 const struct sov_config *cfg,
					 const struct sov_dst *dst)
{
	__u64 violated = 0;
	__u32 zone = 0;
	int verdict;

	verdict = egress_verdict(t, cfg, dst, &zone, &violated);
	egress_emit(t, dst, verdict, zone, violated);
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
	if (!t) {
		/* The tgid may be reused: an exited process's lingering
		 * entry must not taint the new one. */
		bpf_map_delete_elem(&sov_taint, &ctgid);
		return 0;
	}
	nt = *t;
	nt.exited_ns = 0;
	if (bpf_map_update_elem(&sov_taint, &ctgid, &nt, BPF_ANY))
		count(SOV_CNT_MAP_FULL);
	return 0;
}

/*
 * exit of the last thread of the group (do_exit() decrements signal->live
 * before it fires this tracepoint, so live == 0 here exactly once per
 * thread group). The entry is marked, not deleted: the process's sockets
 * may still send queued data (see struct sov_taint).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sov_exit, struct task_struct *p)
{
	struct sov_taint *t;
	__u32 tgid;

	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	tgid = BPF_CORE_READ(p, tgid);
	t = bpf_map_lookup_elem(&sov_taint, &tgid);
	if (t)
		t->exited_ns = bpf_ktime_get_boot_ns();
	return 0;
}

#endif
