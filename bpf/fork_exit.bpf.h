/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The process-lifetime programs, the same on both kernel paths: fork passes
 * the taint on, exit marks it. Each entry object (tracing.bpf.c, lsm.bpf.c)
 * includes this file once, before its own programs, so each skeleton holds
 * its own sov_fork and sov_exit.
 */
#ifndef SOV_FORK_EXIT_BPF_H
#define SOV_FORK_EXIT_BPF_H

#include "taint.bpf.h"

/* The child of fork() inherits the parent's shared mappings, and with them
 * the files they write (derive.bpf.h maps_held_note()). */
static __always_inline void maps_held_inherit(struct task_struct *parent,
					      struct task_struct *child, __u32 ptgid, __u32 ctgid)
{
	struct sov_maps_held *h = bpf_map_lookup_elem(&sov_maps_held, &ptgid);
	struct sov_maps_held c;

	if (!h || h->mm != (__u64)BPF_CORE_READ(parent, mm))
		return;
	c = *h;
	c.mm = (__u64)BPF_CORE_READ(child, mm);
	if (bpf_map_update_elem(&sov_maps_held, &ctgid, &c, BPF_ANY))
		count(SOV_CNT_MAP_FULL);
}

static __always_inline void maps_held_forget(__u32 tgid)
{
	bpf_map_delete_elem(&sov_maps_held, &tgid);
}

/* sovd exits (crash or stop): its self-protection ends with it (abi.h
 * struct sov_self), so that its successor can adopt the pins. */
static __always_inline void self_exited(__u32 tgid)
{
	__u32 k = 0;
	struct sov_self *s = bpf_map_lookup_elem(&sov_self, &k);

	if (s && s->tgid == tgid)
		s->enabled = 0;
}

/* fork: the child inherits the parent's taint. exec keeps it (same tgid). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sov_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);

	/* A new thread shares its group's entry. */
	if (BPF_CORE_READ(child, pid) != ctgid)
		return 0;
	taint_inherit(ptgid, ctgid);
	maps_held_inherit(parent, child, ptgid, ctgid);
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
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	taint_exited(BPF_CORE_READ(p, tgid));
	maps_held_forget(BPF_CORE_READ(p, tgid));
	self_exited(BPF_CORE_READ(p, tgid));
	return 0;
}

#endif
