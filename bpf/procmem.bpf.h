/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Taint through another process's memory and through shared memory
 * (issue 11), on both kernel paths: procmem_on_exit(), a subprogram of
 * the one tp_btf/sys_exit program (sov_sys_exit; its own stack frame: the
 * tracing part's is near the 512-byte limit). tp_btf loads on the LSM kernels too,
 * and the rules are judged after the access succeeded, per access
 * (ptrace_access_check runs before it and only at attach/open time).
 *
 * Rules: data a tainted process writes into another process's memory
 * (process_vm_writev, PTRACE_POKE*, PTRACE_SET*REGS*, a /proc/PID/mem fd
 * opened for writing) taints the target with the writer's classes; a
 * process that reads a tainted process's memory (process_vm_readv,
 * PTRACE_PEEK*, PTRACE_GET*REGS*, a /proc/PID/mem fd opened for reading)
 * is tainted with the target's classes. A SysV shared memory segment
 * attached writable by a tainted process is labelled (its shmem inode, as
 * a derivative); a process that attaches a labelled segment is tainted. A
 * memfd created by a tainted process is a derivative from its creation
 * (memfd_create passes no open hook on either path). POSIX shm (/dev/shm)
 * is a tmpfs file: the open rules cover it.
 *
 * The native syscall table only (x86-64 or arm64's generic table; the
 * ia32 and x32 entries are not decoded: docs/architecture.md). Every other syscall costs a compare chain; the
 * untainted fast path of each call costs at most one map lookup, except
 * shmat (a label lookup, as an open, + the taint lookup of a writable
 * attach) and the opens (no lookup unless the file is a procfs "mem" file;
 * two for one opened read-write). Shared memory that a process mapped
 * before it was labelled is found by sovd after the derive event (agent
 * taint.c, taint_shm_sink).
 */
#ifndef SOV_PROCMEM_BPF_H
#define SOV_PROCMEM_BPF_H

#include "derive.bpf.h"
#include "sysarch.bpf.h"	/* SOV_NR_* (generated), the arguments */

#define PM_PROC_SUPER_MAGIC	0x9fa0

#define PM_TRACEES_MAX		16	/* tracees of one tracer looked at */

/* files[fd] of the current task, as derive.bpf.h file_of_fd() but with
 * direct BTF loads for the task's own pointers (no helper call), only the
 * array slot with a probe read: every open pays this (~170 ns per open's
 * exit against ~300 ns with probe reads, bench-procmem). task must be the
 * trusted pointer of sov_current_task(). */
static __always_inline struct file *pm_file_of_fd(struct task_struct *task, long fd)
{
	struct file **fds, *file;
	struct fdtable *fdt;

	if (fd < 0)
		return NULL;
#ifdef SOV_K510
	/* 5.10: a plain task pointer (bpf/compat.bpf.h) */
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
#else
	fdt = task->files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
#endif
	if (bpf_core_read(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	return file;
}

/*
 * What a taint event by memory says: the process whose memory the data
 * came from or went to (peer), or the shared memory segment's inode (key,
 * name: its dentry's name, "SYSV0000abcd"). task: the process tainted when
 * it is not the current one and is known (its comm, uid and cgroup), NULL
 * when it is the current one or only its number is known.
 */
struct pm_src {
	struct sov_inode_key key;
	const unsigned char *name;	/* kernel string or NULL */
	struct task_struct *task;
	__u32 peer;			/* 0: none */
};

#ifndef SOV_K510
static const char pm_mem_fmt[] = "/proc/%u/mem";
#endif

#ifdef SOV_K510
/* "/proc/<peer>/mem" into path (at least 22 bytes), as pm_mem_fmt. */
static __always_inline void pm_mem_path(char *path, __u32 peer)
{
	char d[10];
	int n = 0, i, k;

	for (i = 0; i < 10; i++) {
		d[i] = '0' + peer % 10;
		peer /= 10;
		n = i + 1;
		if (!peer)
			break;
	}
	path[0] = '/'; path[1] = 'p'; path[2] = 'r'; path[3] = 'o';
	path[4] = 'c'; path[5] = '/';
	for (i = 0; i < 10; i++) {
		if (i >= n)
			break;
		k = n - 1 - i;
		if (k < 0 || k > 9)
			break;
		path[6 + i] = d[k];
	}
	if (n < 1 || n > 10)
		return;
	path[6 + n] = '/'; path[7 + n] = 'm'; path[8 + n] = 'e';
	path[9 + n] = 'm'; path[10 + n] = 0;
}
#endif

static __always_inline void pm_event(__u32 tgid, __u64 classes, const struct pm_src *src)
{
	struct sov_event *e;
	__u64 args[1];
	struct task_struct *tk = src->task;

	if (tk) {
		e = event_new_task(SOV_EV_TAINT, tk);
		if (!e)
			return;
		e->tgid = tgid;
	} else if (tgid == (__u32)(bpf_get_current_pid_tgid() >> 32)) {
		e = event_new(SOV_EV_TAINT);
		if (!e)
			return;
	} else {
		/* process_vm_writev: only the target's number is known; sovd
		 * reads the rest from /proc (docs/events.md) */
		e = event_reserve(SOV_EV_TAINT);
		if (!e)
			return;
		e->tgid = tgid;
		e->pid = tgid;
		e->uid = (__u32)-1;
	}
	e->classes = classes;
	e->dev = src->key.dev;
	e->ino = src->key.ino;
	e->hook = SOV_HOOK_OPEN;
	if (src->peer) {
#ifdef SOV_K510
		/* 5.10 has no bpf_snprintf() (5.13): the digits by hand */
		(void)args;
		pm_mem_path(e->path, src->peer);
#else
		args[0] = src->peer;
		bpf_snprintf(e->path, sizeof(e->path), pm_mem_fmt, args, sizeof(args));
#endif
	} else if (src->name) {
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), src->name);
	}
	event_submit(e);
}

/*
 * The thread group tgid gains 'classes' (as taint_grow(), for any thread
 * group, not only the current one). Returns the whole new taint when it
 * grew, 0 otherwise.
 */
static __always_inline __u64 pm_taint_grow(__u32 tgid, __u64 classes, const struct pm_src *src)
{
	struct sov_taint *t = taint_of(&tgid);

	if (!classes)
		return 0;
	if (t && !sov_classes_grow(t->classes, classes))
		return 0;
	if (t) {
		sov_or(&t->classes, classes);
		classes = t->classes;
	} else {
		struct sov_taint nt = {
			.classes = classes,
			.dev = src->key.dev,
			.ino = src->key.ino,
			.since_ns = bpf_ktime_get_boot_ns(),
		};
		if (bpf_map_update_elem(&sov_taint, &tgid, &nt, BPF_NOEXIST)) {
			t = taint_of(&tgid);
			if (!t) {
				count(SOV_CNT_MAP_FULL);
				return 0;
			}
			sov_or(&t->classes, classes);
			classes = t->classes;
		}
	}
	count(SOV_CNT_TAINT);
	pm_event(tgid, classes, src);
	return classes;
}

/* The current process read the memory of tgid 'peer': it gains peer's
 * taint (one lookup: peer's taint), then derives what it holds open for
 * writing, as any taint does. */
static __always_inline void pm_read_from(__u32 peer)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	struct pm_src src = { .peer = peer };
	struct sov_taint *pt;
	__u64 grown;

	if (peer == me || !peer)
		return;
	pt = taint_of(&peer);
	if (!pt)
		return;
	grown = pm_taint_grow(me, pt->classes, &src);
	if (grown)
		derive_on_taint(grown);
}

/*
 * The current process wrote into the memory of tgid 'peer' (task, when
 * known): peer gains the writer's taint (one lookup: the writer's). The
 * files the target holds open for writing at that moment are not walked
 * (the walk reads the current task's table); its later opens for writing
 * derive (docs/architecture.md).
 */
static __always_inline void pm_write_to(__u32 peer, struct task_struct *task)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	struct pm_src src = { .peer = me, .task = task };
	struct sov_taint *mt;

	if (peer == me || !peer)
		return;
	mt = taint_of(&me);
	if (!mt)
		return;
	pm_taint_grow(peer, mt->classes, &src);
}

/*
 * A pid number passed by the caller, as a thread group id of the initial
 * pid namespace (the sov_taint key). Resolved only when the caller lives
 * in the initial namespace, where the number is the global one; 0 (not
 * judged: docs/architecture.md) otherwise.
 */
static __always_inline __u32 pm_global_pid(struct task_struct *task, long nr)
{
	if (nr <= 0 || BPF_CORE_READ(task, thread_pid, level) != 0)
		return 0;
	return (__u32)nr;
}

/*
 * The tracee named 'nr' by a ptrace() call that succeeded: ptrace acts
 * only on the caller's own tracees, so it is on current->ptraced (linked
 * by ptrace_entry); the number is the tracee's id in the caller's pid
 * namespace (numbers[level] of its struct pid).
 */
static __always_inline struct task_struct *pm_tracee(struct task_struct *task, long nr)
{
	struct list_head *head = &task->ptraced, *pos;
	unsigned int level = BPF_CORE_READ(task, thread_pid, level);
	struct task_struct *t;
	struct upid up;
	struct pid *p;
	int i;

	pos = BPF_CORE_READ(task, ptraced.next);
	for (i = 0; i < PM_TRACEES_MAX; i++) {
		if (!pos || pos == head)
			return NULL;
		t = (void *)((char *)pos - bpf_core_field_offset(struct task_struct, ptrace_entry));
		p = BPF_CORE_READ(t, thread_pid);
		if (p && !bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 31]) &&
		    up.nr == nr)
			return t;
		pos = BPF_CORE_READ(pos, next);
	}
	return NULL;
}

/*
 * An fd just opened: when it is a procfs "mem" file (/proc/PID/mem,
 * /proc/PID/task/TID/mem), the process it belongs to is reached through
 * the proc inode's struct pid (namespace-free). Open for reading: the
 * opener gains the target's taint; open for writing by a tainted opener:
 * the target gains the opener's. Judged at open (the fd is the access).
 * Any other file: a few reads, no lookup.
 */
static __always_inline void pm_open_exit(struct task_struct *task, long fd)
{
	struct file *file = pm_file_of_fd(task, fd);
	struct proc_inode *ei;
	struct hlist_node *first;
	struct task_struct *target;
	struct inode *inode;
	struct pid *pid;
	unsigned int fmode;
	char name[4];
	__u32 tgid;

	if (!file)
		return;
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode || BPF_CORE_READ(inode, i_sb, s_magic) != PM_PROC_SUPER_MAGIC)
		return;
	if (bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name)) ||
	    name[0] != 'm' || name[1] != 'e' || name[2] != 'm' || name[3])
		return;
	ei = (void *)((char *)inode - bpf_core_field_offset(struct proc_inode, vfs_inode));
	pid = BPF_CORE_READ(ei, pid);
	if (!pid)
		return;
	first = BPF_CORE_READ(pid, tasks[PIDTYPE_PID].first);
	if (!first)
		return;
	target = (void *)((char *)first - bpf_core_field_offset(struct task_struct, pid_links));
	tgid = BPF_CORE_READ(target, tgid);
	fmode = BPF_CORE_READ(file, f_mode);
	if (fmode & SOV_FMODE_READ)
		pm_read_from(tgid);
	if (sov_open_writes(fmode))
		pm_write_to(tgid, target);
}

struct pm_vma {
	struct file *file;
};

#ifndef SOV_K510
static long pm_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	struct pm_vma *v = ctx;

	(void)task;
	/* probe-read: a plain value, as the global functions the file goes
	 * to take (views.bpf.h sov_real_file()); a BTF pointer is refused */
	if (bpf_probe_read_kernel(&v->file, sizeof(v->file), &vma->vm_file))
		v->file = NULL;
	return 0;
}
#endif

#ifdef SOV_K510
/* Linux 5.10's VMA tree (before the maple tree of 6.1), by CO-RE. */
struct rb_node___sov510 {
	struct rb_node___sov510 *rb_right;
	struct rb_node___sov510 *rb_left;
} __attribute__((preserve_access_index));

struct mm_struct___sov510 {
	struct { struct rb_node___sov510 *rb_node; } mm_rb;
} __attribute__((preserve_access_index));

struct vm_area_struct___sov510 {
	unsigned long vm_start;
	unsigned long vm_end;
	struct rb_node___sov510 vm_rb;
	struct file *vm_file;
} __attribute__((preserve_access_index));

#define PM_VMA_DEPTH	48	/* an rbtree of 2^24 VMAs is at most 48 deep */

/* The file mapped at addr in the task's mm, or NULL: a search of the
 * rbtree, as find_vma() does. */
static __always_inline struct file *pm_find_vma_file(struct task_struct *task, __u64 addr)
{
	struct mm_struct___sov510 *mm = (void *)BPF_CORE_READ(task, mm);
	struct rb_node___sov510 *node;
	struct vm_area_struct___sov510 *vma;
	__u64 off = bpf_core_field_offset(struct vm_area_struct___sov510, vm_rb);
	int i;

	/* a kernel with the maple tree (6.1 on) has neither: never here */
	if (!mm || !bpf_core_field_exists(struct mm_struct___sov510, mm_rb) ||
	    !bpf_core_field_exists(struct vm_area_struct___sov510, vm_rb))
		return NULL;
	node = BPF_CORE_READ(mm, mm_rb.rb_node);
	for (i = 0; i < PM_VMA_DEPTH; i++) {
		if (!node)
			return NULL;
		vma = (void *)((char *)node - off);
		if (addr < BPF_CORE_READ(vma, vm_start))
			node = BPF_CORE_READ(node, rb_left);
		else if (addr >= BPF_CORE_READ(vma, vm_end))
			node = BPF_CORE_READ(node, rb_right);
		else
			return BPF_CORE_READ(vma, vm_file);
	}
	return NULL;
}
#endif

/*
 * shmat() returned the address of the new mapping: its vm_file shares the
 * segment's shmem inode (ipc/shm.c do_shmat: alloc_file_clone of
 * shp->shm_file). A labelled segment taints the process that attaches it
 * (any attach can read); a writable attach by a tainted process labels it.
 * A segment attached before it was labelled is not seen again: the data
 * written through it later reaches that process unjudged
 * (docs/architecture.md).
 */
static __always_inline void pm_shmat_exit(struct task_struct *task, struct pt_regs *regs,
					  long addr)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	struct pm_src src = {};
	struct pm_vma v = {};
	struct sov_label *lab;
	struct file *file;
	struct inode *inode;
	__u64 grown;

#ifdef SOV_K510
	/* 5.10 has no bpf_find_vma() (5.17): its mm still has the rbtree */
	v.file = pm_find_vma_file(task, (__u64)addr);
	if (!v.file)
		return;
#else
	if (bpf_find_vma(task, (__u64)addr, pm_vma_cb, &v, 0) || !v.file)
		return;
#endif
	file = v.file;
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return;
	src.key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	src.key.ino = BPF_CORE_READ(inode, i_ino);
	src.name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	lab = label_of(&src.key);
	if (lab && sov_label_current(lab, BPF_CORE_READ(inode, i_generation))) {
		grown = pm_taint_grow(me, lab->classes, &src);
		if (grown)
			derive_on_taint(grown);
	}
	if (sov_shmat_writes(SOV_SC_ARG3(regs)))
		derive_on_write(me, file, -1, NULL, -1, 0);
}

#ifdef SOV_K510
/*
 * 5.10's io_uring_complete tracepoint has no request (views.bpf.h): the
 * files a ring opens, reads and writes are not seen. Fail closed: a
 * process that sets up a ring takes every class of the policy, as if it
 * had read everything (a taint event, hook io_uring); what it writes
 * through the ring is not derived (docs/kernels.md).
 */
static __always_inline void pm_uring_setup(long fd)
{
	__u32 me = bpf_get_current_pid_tgid() >> 32;
	struct sov_inode_key key = {};
	struct sov_config *cfg = sov_cfg();
	__u64 classes;

	if (!cfg || !cfg->all_classes)
		return;
	classes = cfg->all_classes;
	if (taint_grow_hook(me, &classes, NULL, &key, (int)fd, NULL, -1, SOV_HOOK_URING))
		derive_on_taint(classes);
}
#endif

static __noinline int procmem_on_exit(struct pt_regs *regs, long ret)
{
	struct task_struct *task, *tracee;
	long nr;
	int dir;

	if (ret < 0)
		return 0;
	nr = SOV_SC_ID(regs);
	if (
#ifdef SOV_NR_open
	    nr != SOV_NR_open &&
#endif
	    nr != SOV_NR_openat && nr != SOV_NR_openat2 &&
	    nr != SOV_NR_process_vm_readv && nr != SOV_NR_process_vm_writev &&
	    nr != SOV_NR_ptrace && nr != SOV_NR_shmat && nr != SOV_NR_memfd_create
#ifdef SOV_K510
	    && nr != SOV_NR_io_uring_setup
#endif
	    )
		return 0;
	task = sov_current_task();
	/* the same numbers are other calls in the ia32 table */
	if (sov_task_compat(task))
		return 0;
	switch (nr) {
	case SOV_NR_process_vm_readv:
		if (ret > 0)
			pm_read_from(pm_global_pid(task, (long)(int)SOV_SC_ARG1(regs)));
		break;
	case SOV_NR_process_vm_writev:
		if (ret > 0)
			pm_write_to(pm_global_pid(task, (long)(int)SOV_SC_ARG1(regs)), NULL);
		break;
	case SOV_NR_ptrace:
		dir = sov_ptrace_dir(SOV_SC_ARG1(regs));
		if (!dir)
			break;
		tracee = pm_tracee(task, (long)(int)SOV_SC_ARG2(regs));
		if (!tracee)
			break;
		if (dir == SOV_MEM_READ)
			pm_read_from(BPF_CORE_READ(tracee, tgid));
		else
			pm_write_to(BPF_CORE_READ(tracee, tgid), tracee);
		break;
	case SOV_NR_shmat:
		pm_shmat_exit(task, regs, ret);
		break;
#ifdef SOV_K510
	case SOV_NR_io_uring_setup:
		pm_uring_setup(ret);
		break;
#endif
	case SOV_NR_memfd_create: {
		struct file *file = pm_file_of_fd(task, ret);

		/* a derivative from its creation when the creator is tainted
		 * (one lookup: its taint) */
		if (file)
			derive_on_write(bpf_get_current_pid_tgid() >> 32, file, ret, NULL, -1, 0);
		break;
	}
	default:
		pm_open_exit(task, ret);
	}
	return 0;
}

#endif
