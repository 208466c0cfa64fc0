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
		__sync_fetch_and_or(&t->classes, *classes);
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
				/* The taint map is full: fail loudly, counted. */
				count(SOV_CNT_MAP_FULL);
				return 0;
			}
			__sync_fetch_and_or(&t->classes, *classes);
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

	t = taint_of(&ptgid);
	if (!t) {
		/* The tgid may be reused: an exited process's lingering
		 * entry must not taint the new one. */
		bpf_map_delete_elem(&sov_taint, &ctgid);
		return;
	}
	nt = *t;
	nt.exited_ns = 0;
	if (bpf_map_update_elem(&sov_taint, &ctgid, &nt, BPF_ANY))
		count(SOV_CNT_MAP_FULL);
}

/*
 * exit of a thread group: the entry is marked, not deleted: the process's
 * sockets may still send queued data (see struct sov_taint).
 */
static __always_inline void taint_exited(__u32 tgid)
{
	struct sov_taint *t = taint_of(&tgid);

	if (t)
		t->exited_ns = bpf_ktime_get_boot_ns();
}

#endif
