/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Taint: the classes a thread group has read, in sov_taint keyed by tgid.
 * It grows when the process reads a labelled file, passes to a child at
 * fork, and never shrinks while the process lives (see struct sov_taint).
 */
#ifndef SOV_TAINT_BPF_H
#define SOV_TAINT_BPF_H

#include "events.bpf.h"

static __always_inline struct sov_taint *taint_of(const __u32 *tgid)
{
	return bpf_map_lookup_elem(&sov_taint, tgid);
}


/*
 * The taint egress is judged by: the process's own and the union of the
 * taints and labels that could not be stored (sov_taint_state, an ARRAY
 * lookup inlined by the verifier; abi.h), else none. A lost label may
 * have been read by anyone, so its classes apply to processes with an
 * entry too (copied with them into a per-CPU scratch entry). Only the
 * egress hooks use it: derivation and events use the process's own taint
 * (taint_of()).
 */
static __always_inline struct sov_taint *taint_merge(struct sov_taint *t, __u32 slot)
{
	struct sov_taint_state *st;
	struct sov_taint *m;
	__u32 k = 0;

	st = bpf_map_lookup_elem(&sov_taint_state, &k);
	if (!st || !st->overflow.classes)
		return t;
	if (!t)
		return &st->overflow;
	if (!sov_classes_grow(t->classes, st->overflow.classes))
		return t;
	m = bpf_map_lookup_elem(&sov_judge_scratch, &slot);
	if (!m)
		return t;
	*m = *t;
	m->classes |= st->overflow.classes;
	return m;
}

static __always_inline struct sov_taint *taint_judged(const __u32 *tgid)
{
	return taint_merge(taint_of(tgid), 0);
}

/* The owner of a socket that may have exited (late data, cgroup_skb: the
 * scratch slot of softirq context): its live taint, else the one it had
 * when it exited, with the overflow. */
static __always_inline struct sov_taint *taint_of_owner(const __u32 *tgid)
{
	struct sov_taint *t = taint_of(tgid);

	if (!t)
		t = bpf_map_lookup_elem(&sov_taint_exited, tgid);
	return taint_merge(t, 1);
}

/*
 * Reading a labelled file: the thread group's taint grows by *classes.
 * Returns 1 when it grew (counted, with a taint event) and leaves the whole
 * new taint in *classes; 0 when nothing changed or it could not be stored.
 */
static __always_inline int taint_grow_hook(__u32 tgid, __u64 *classes, struct file *file,
					   const struct sov_inode_key *key, int fd,
					   const char *upath, int dirfd, __u16 hook)
{
	struct sov_taint *t = taint_of(&tgid);

	if (t && !sov_classes_grow(t->classes, *classes))
		return 0;
	if (t) {
		/* Taint only grows; a racing thread may add bits too. */
		sov_or(&t->classes, *classes);
		*classes = t->classes;
	} else {
		struct sov_taint nt = {
			.classes = *classes,
			.dev = key->dev,
			.ino = key->ino,
			.since_ns = bpf_ktime_get_boot_ns(),
		};
		if (bpf_map_update_elem(&sov_taint, &tgid, &nt, BPF_NOEXIST)) {
			t = taint_of(&tgid);
			if (!t) {
				/* Not stored (the map full, no memory): the
				 * classes apply to every untracked process
				 * (fail closed), counted and reported. */
				overflow_add(*classes, SOV_LOST_TAINT);
				return 0;
			}
			sov_or(&t->classes, *classes);
			*classes = t->classes;
		}
	}
	count(SOV_CNT_TAINT);
	file_event_hook(SOV_EV_TAINT, *classes, file, key, fd, upath, dirfd, hook);
	return 1;
}

/* Reading a labelled file (the event's hook is "open"). */
static __always_inline int taint_grow(__u32 tgid, __u64 *classes, struct file *file,
				      const struct sov_inode_key *key, int fd,
				      const char *upath, int dirfd)
{
	return taint_grow_hook(tgid, classes, file, key, fd, upath, dirfd, SOV_HOOK_OPEN);
}

/* fork: a new process (not a thread) starts with its parent's taint. */
static __always_inline void taint_inherit(__u32 ptgid, __u32 ctgid)
{
	struct sov_taint *t, nt;

	/* The tgid may be reused: an exited process's lingering entry must
	 * not taint the new one, nor its sockets' late data. */
	bpf_map_delete_elem(&sov_taint_exited, &ctgid);
	t = taint_of(&ptgid);
	if (!t) {
		bpf_map_delete_elem(&sov_taint, &ctgid);
		return;
	}
	nt = *t;
	nt.exited_ns = 0;
	if (bpf_map_update_elem(&sov_taint, &ctgid, &nt, BPF_ANY))
		overflow_add(nt.classes, SOV_LOST_TAINT);
}

/*
 * exit of a thread group: the entry is marked, not deleted: the process's
 * sockets may still send queued data (see struct sov_taint).
 */
static __always_inline void taint_exited(__u32 tgid)
{
	struct sov_taint *t = taint_of(&tgid);
	struct sov_taint et;

	if (!t)
		return;
	/* Moved out of the live map: exited processes never fill it. An
	 * LRU cannot refuse; should the copy fail, the entry stays live. */
	et = *t;
	et.exited_ns = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&sov_taint_exited, &tgid, &et, BPF_ANY)) {
		t->exited_ns = et.exited_ns;
		return;
	}
	bpf_map_delete_elem(&sov_taint, &tgid);
}

#endif
