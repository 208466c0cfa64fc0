/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Two builds of each kernel object from the same source (mk/bpf.mk):
 *  - the current build (Linux 5.17 and later; tested on 6.1, 6.12, 6.18);
 *  - the 5.10 build (-DSOV_K510: build/bpf/tracing-k510.bpf.o, lsm-k510.bpf.o), which sovd loads
 *    when the kernel lacks bpf_loop() (agent/probe.c). It avoids what 5.10
 *    does not have (docs/kernels.md, "Linux 5.10"): atomic or,
 *    bpf_loop() and its callbacks, bpf_get_current_task_btf(),
 *    bpf_find_vma(), bpf_snprintf(), bpf_sock_from_file().
 * The difference lives here and in a few #ifdef SOV_K510 blocks, each
 * naming what 5.10 lacks; both builds keep every program and map, so one
 * skeleton serves both (the build checks that the two skeletons agree).
 */
#ifndef SOV_COMPAT_BPF_H
#define SOV_COMPAT_BPF_H

#ifdef SOV_K510

/* The current task: a plain pointer (read through BPF_CORE_READ only). */
#define sov_current_task()	((struct task_struct *)bpf_get_current_task())

/*
 * Class bits joined into a shared word. 5.10 has no atomic or (BPF_ATOMIC
 * is 5.12; only atomic add exists): a read-modify-write, checked and
 * repeated once, so a class lost to a write by another CPU at the same
 * instant is put back unless a third write lands in between (a weaker
 * rule than the current build's, docs/kernels.md).
 */
#define sov_or(p, v)							\
	do {								\
		__u64 __v = (v);					\
		*(p) |= __v;						\
		if ((*(p) & __v) != __v)				\
			*(p) |= __v;					\
	} while (0)

/*
 * A walk: cb over the state *w for at most n510 steps. The state is copied
 * into its scratch slot (maps.bpf.h sov_walk_scratch) and back, and each
 * step is a call of cb's global function (SOV_WALK_FN), which 5.10's
 * verifier checks once, not once per step and call site. An LSM program
 * can be preempted on 5.10 (migrate_disable only), and another thread's
 * walk on the same CPU then takes the slot: the slot names its owner, and
 * a walk that finds another owner there stops and keeps its own state
 * (the fd walk is completed from /proc by sovd, agent/mapscan.c).
 */
#define sov_walk(nr, n510, cb, w, slot)					\
	do {								\
		__u32 __k = (slot), __i;				\
		__u64 __me = bpf_get_current_pid_tgid();		\
		struct sov_walk_slot *__s;				\
		_Static_assert(sizeof(*(w)) <= sizeof(__s->b),		\
			       "walk state too big for its slot");	\
		__s = bpf_map_lookup_elem(&sov_walk_scratch, &__k);	\
		if (__s) {						\
			__s->owner = __me;				\
			*(__typeof__(w))__s->b = *(w);			\
			_Pragma("clang loop unroll(disable)")		\
			for (__i = 0; __i < (n510); __i++)		\
				if (cb##_k510(__i))			\
					break;				\
			if (__s->owner == __me)				\
				*(w) = *(__typeof__(w))__s->b;		\
		}							\
	} while (0)

/* The global function of walk step cb over state type T in slot. Its
 * argument is used (the bound again): clang passes an argument it sees
 * unused as undefined, which 5.10 refuses for a global function. */
#define SOV_WALK_FN(cb, T, slot)					\
__attribute__((noinline)) int cb##_k510(__u32 i)			\
{									\
	__u32 k = (slot);						\
	struct sov_walk_slot *s;					\
									\
	if (i >= (1U << 24))						\
		return 1;						\
	s = bpf_map_lookup_elem(&sov_walk_scratch, &k);			\
	if (!s || s->owner != bpf_get_current_pid_tgid())		\
		return 1;						\
	return (int)cb(i, (T *)s->b);					\
}

#else /* the current build */

#define sov_current_task()	bpf_get_current_task_btf()
#define sov_or(p, v)		((void)__sync_fetch_and_or((p), (v)))
#define sov_walk(nr, n510, cb, w, slot)	bpf_loop((nr), (cb), (w), 0)
#define SOV_WALK_FN(cb, T, slot)

#endif /* SOV_K510 */

/* sov_walk() slots, and each walk's bound in the 5.10 build */
#define SOV_WALK_SLOT_CREATE	0	/* label.bpf.h: the creation walk */
#define SOV_WALK_SLOT_MEMO	1	/* label.bpf.h: labelling what it crossed */
#define SOV_WALK_SLOT_FDS	2	/* derive.bpf.h: the fd table */
#define SOV_WALK_SLOT_RECV	3	/* tracing.bpf.c: SCM_RIGHTS */
#define SOV_K510_WALK_LEVELS	64	/* directories climbed (bpf_loop: 4096) */
#define SOV_K510_FD_STEPS	1024	/* fd-table steps (bpf_loop: 1 << 23) */
#define SOV_K510_RECV_STEPS	256	/* SCM_RIGHTS steps (bpf_loop: 1024) */

#endif
