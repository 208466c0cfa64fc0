/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Events and counters: what the kernel tells sovd. Every event is one
 * fixed-size struct sov_event (include/sov/abi.h) in the sov_events ring
 * buffer; every decision and failure is counted in the per-CPU
 * sov_counters entry (one lookup whatever a hook counts).
 */
#ifndef SOV_EVENTS_BPF_H
#define SOV_EVENTS_BPF_H

#include "maps.bpf.h"
#include "rules.h"

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

/*
 * What the kernel could not store fails closed (issue 12): the classes
 * join sov_taint_state.overflow, judged at egress (taint.bpf.h
 * taint_merge()), counted in map_full. A lost label's or IPC label's
 * classes are also kept apart (labels_lost, ipc_lost) for sovd to report
 * them: who reads that data later is unknown, so they apply to every
 * process, with a taint entry or without.
 */
enum sov_lost { SOV_LOST_TAINT, SOV_LOST_LABEL, SOV_LOST_IPC };

static __always_inline void overflow_add(__u64 classes, enum sov_lost what)
{
	struct sov_taint_state *st;
	__u32 k = 0;

	count(SOV_CNT_MAP_FULL);
	st = bpf_map_lookup_elem(&sov_taint_state, &k);
	if (!st || !classes)
		return;
	if (what == SOV_LOST_LABEL)
		sov_or(&st->labels_lost, classes);
	else if (what == SOV_LOST_IPC)
		sov_or(&st->ipc_lost, classes);
	sov_or(&st->overflow.classes, classes);
}

static __always_inline void count_verdict(int verdict)
{
	count(sov_verdict_counter(verdict));
}

/* A full ring buffer loses the event, counted (sovd reports the loss). */
static __always_inline struct sov_event *event_reserve(__u32 type)
{
	struct sov_event *e;

	/* An egress event carries no path: it takes SOV_EVENT_SMALL bytes of
	 * the ring, a third of a whole event (abi.h; type is a constant at
	 * every call, so each call reserves one known size) */
	if (type == SOV_EV_EGRESS) {
		e = bpf_ringbuf_reserve(&sov_events, SOV_EVENT_SMALL, 0);
		if (e)
			__builtin_memset(e, 0, SOV_EVENT_SMALL);
	} else {
		e = bpf_ringbuf_reserve(&sov_events, sizeof(*e), 0);
		if (e)
			__builtin_memset(e, 0, sizeof(*e));
	}
	if (!e) {
		count(SOV_CNT_LOST);
		return NULL;
	}
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

/* event_new() for a process known by its task_struct. */
static __always_inline struct sov_event *event_new_task(__u32 type, struct task_struct *task)
{
	struct sov_event *e = event_reserve(type);

	if (!e)
		return NULL;
	e->pid = BPF_CORE_READ(task, pid);
	e->tgid = BPF_CORE_READ(task, tgid);
	e->uid = BPF_CORE_READ(task, real_cred, uid.val);
	e->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	return e;
}

/* event_new() for a program without the current-task helpers (cgroup/dev
 * before 6.1): the process from sov_cur (tracing.bpf.c sov_sched_switch). */
static __always_inline struct sov_event *event_new_cur(__u32 type, const struct sov_cur *c)
{
	struct sov_event *e = event_reserve(type);

	if (!e)
		return NULL;
	e->pid = c->pid;
	e->tgid = c->tgid;
	e->uid = c->uid;
	e->cgroup_id = c->cgroup_id;
	__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	return e;
}

/* The current task becomes the owner of a socket: what its events name when
 * they are emitted where "current" is someone else (cgroup_skb, softirq). */
static __always_inline void sock_owner_fill(struct sov_sock_owner *o, __u32 tgid)
{
	o->tgid = tgid;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/*
 * An event of a socket's owner, as recorded when it connected: cgroup_skb
 * runs in whatever context sends the packet (softirq included), where the
 * current task is anyone, and 6.1 offers it no current-task helper.
 */
static __always_inline struct sov_event *event_of_owner(__u32 type,
							const struct sov_sock_owner *o)
{
	struct sov_event *e = event_reserve(type);

	if (!e)
		return NULL;
	e->tgid = o->tgid;
	e->pid = o->tgid;
	e->uid = o->uid;
	e->cgroup_id = o->cgroup_id;
	__builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
	return e;
}

/*
 * Wake-ups (issue 14): every wake-up of sovd is an irq_work and a context
 * switch, the larger part of what a tainted connect costs. An egress event
 * (one per tainted connect, send or packet verdict) does not wake sovd,
 * which drains the ring on its own every 50 ms, unless the ring holds more
 * than an eighth of its size unread. Taint, derive and tamper events wake
 * it at once: sovd acts on them (shared mappings, shm, the journal's
 * order for a later barrier).
 */
static __always_inline void event_submit(struct sov_event *e)
{
	__u64 flags = 0;

	if (e->type == SOV_EV_EGRESS)
		flags = bpf_ringbuf_query(&sov_events, BPF_RB_AVAIL_DATA) >
				bpf_ringbuf_query(&sov_events, BPF_RB_RING_SIZE) / 8 ?
			BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	count(SOV_CNT_EVENTS);
}

#if defined(SOV_LSM_PATH) && defined(SOV_K510)
#include "sysarch.bpf.h"

#define SOV_K510_THREAD_SIZE	16384	/* x86-64's kernel stack without KASAN */

/*
 * 5.10 refuses bpf_d_path() at lsm/file_open ("helper call is not allowed
 * in probe"): the path the opening syscall passed instead (open, creat,
 * openat, openat2; relative to dirfd, which sovd resolves), as the tracing
 * path takes it, from the task's user registers at the top of its kernel
 * stack (task_pt_regs()). Other opens (exec, io_uring) carry no path.
 */
static __always_inline void event_upath_k510(struct sov_event *e)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task = (void *)bpf_get_current_task();
	char *stack = BPF_CORE_READ(task, stack);
	struct pt_regs *regs;
	const char *up;
	long nr;

	if (!stack || sov_task_compat(task))
		return;
	regs = (struct pt_regs *)(stack + SOV_K510_THREAD_SIZE) - 1;
	nr = BPF_CORE_READ(regs, orig_ax);
	if (nr == SOV_NR_openat || nr == SOV_NR_openat2) {
		e->dirfd = (int)BPF_CORE_READ(regs, di);
		up = (const char *)BPF_CORE_READ(regs, si);
	} else if (nr == SOV_NR_open || nr == SOV_NR_creat) {
		e->dirfd = -100;	/* AT_FDCWD */
		up = (const char *)BPF_CORE_READ(regs, di);
	} else {
		return;
	}
	bpf_probe_read_user_str(e->path, sizeof(e->path), up);
#else
	(void)e;
#endif
}
#endif

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
#ifdef SOV_K510
	(void)upath; (void)dirfd;
	if (file)
		event_upath_k510(e);
#else
	if (file)
		bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path));
#endif
#else
	e->dirfd = dirfd;
	if (upath)
		bpf_probe_read_user_str(e->path, sizeof(e->path), upath);
#endif
}

/* A taint or derive event: the file, its classes, the fd it has, the
 * hook that saw it (SOV_HOOK_OPEN, or SOV_HOOK_IPC for a pipe or socket
 * read, issue 11). */
static __always_inline void file_event_hook(__u32 type, __u64 classes, struct file *file,
					    const struct sov_inode_key *key, int fd,
					    const char *upath, int dirfd, __u16 hook)
{
	struct sov_event *e = event_new(type);

	if (!e)
		return;
	e->classes = classes;
	e->dev = key->dev;
	e->ino = key->ino;
	e->fd = (__u32)fd;
	e->hook = hook;
	event_path(e, file, upath, dirfd);
	event_submit(e);
}

static __always_inline void file_event(__u32 type, __u64 classes, struct file *file,
				       const struct sov_inode_key *key, int fd,
				       const char *upath, int dirfd)
{
	file_event_hook(type, classes, file, key, fd, upath, dirfd, SOV_HOOK_OPEN);
}

#endif
