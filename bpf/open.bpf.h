/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * An open, on both paths: the label layer says what the file carries, the
 * taint layer grows the process's taint, the derive layer labels what a
 * tainted process writes.
 */
#ifndef SOV_OPEN_BPF_H
#define SOV_OPEN_BPF_H

#include "derive.bpf.h"
#include "views.bpf.h"

/*
 * The label of what an open file shows: its real file's (views.bpf.h
 * real_file(): the upper or lower file behind an overlayfs file), and, for
 * an overlay file, the overlay inode's own label too (a policy path that
 * is itself an overlay view was labelled by the overlay's dev/ino): the
 * union of both. A file of any other filesystem is looked up as before
 * (file_label() once). key names the real file.
 * With 'copyup' (an open), an overlay file whose real file is an upper
 * file copied up from a labelled lower file (a copy-up by an untainted
 * writer, which no hook of the tracing path sees) takes the lower file's
 * classes, stored on the upper file (a derive event names it). The
 * overlay-only state lives in sov_view_scratch, not on the stack.
 */
static __always_inline void copyup_label(struct sov_view_scratch *s, struct file *file,
					 struct file *real)
{
	struct inode *lower = ovl_lower_inode(BPF_CORE_READ(file, f_inode));
	struct inode *upper = BPF_CORE_READ(real, f_inode);
	struct sov_label *lab;

	if (!lower || !upper || lower == upper)
		return;
	s->lkey.dev = BPF_CORE_READ(lower, i_sb, s_dev);
	s->lkey.ino = BPF_CORE_READ(lower, i_ino);
	lab = label_of(&s->lkey);
	if (!lab || !sov_label_current(lab, BPF_CORE_READ(lower, i_generation)) ||
	    (lab->flags & SOV_LABEL_DIR))
		return;
	s->classes |= lab->classes;
	s->ukey.dev = BPF_CORE_READ(upper, i_sb, s_dev);
	s->ukey.ino = BPF_CORE_READ(upper, i_ino);
	s->nl = sov_label_derived(lab->classes, BPF_CORE_READ(upper, i_mode));
	sov_label_stamp(&s->nl, BPF_CORE_READ(upper, i_generation));
	if (bpf_map_update_elem(&sov_labels, &s->ukey, &s->nl, BPF_NOEXIST)) {
		/* already labelled (a racing copy-up) is no loss */
		if (!label_of(&s->ukey))
			overflow_add(s->nl.classes, SOV_LOST_LABEL);
		return;
	}
	count(SOV_CNT_DERIVE);
	file_event(SOV_EV_DERIVE, s->nl.classes, NULL, &s->ukey, -1, NULL, -1);
}

/* The overlay-only part of view_label(), a global function (verified
 * once, its state in sov_view_scratch): the classes the overlay inode
 * carries itself and, with copyup, those an upper file takes from the
 * labelled lower file it was copied up from. 0 when none. */
__noinline __u64 sov_view_extra(__u64 file_addr, __u64 real_addr, int copyup)
{
	struct file *file = (struct file *)(unsigned long)file_addr;
	struct sov_view_scratch *s;

	s = bpf_map_lookup_elem(&sov_view_scratch, &sov_view_zero);
	if (!s)
		return 0;
	if (!file_label(file, &s->vkey, &s->classes, &s->flags))
		s->classes = 0;
	if (copyup)
		copyup_label(s, file, (struct file *)(unsigned long)real_addr);
	return s->classes;
}

static __always_inline int view_label(struct file *file, struct sov_inode_key *key,
				      __u64 *classes, __u32 *flags, int copyup)
{
	__u64 fa = file_addr(file), ra, more;
	int labelled;

	ra = fa ? sov_real_file(fa) : fa;
	if (ra == fa)
		return file_label(file, key, classes, flags);
	labelled = file_label((struct file *)(unsigned long)ra, key, classes, flags);
	more = sov_view_extra(fa, ra, copyup && !labelled);
	if (!more)
		return labelled;
	*classes |= more;
	return 1;
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
	labelled = view_label(file, &key, &classes, &flags, 1);
	tgid = bpf_get_current_pid_tgid() >> 32;

	if (sov_open_taints(labelled, fmode, flags) &&
	    taint_grow(tgid, &classes, file, &key, fd, upath, dirfd))
		derive_on_taint(classes);
	/* Only a regular file becomes a derivative, as in the fd walk
	 * (sov_fd_writes()): a tainted process opening /dev/null or a tty for
	 * writing must not label it, or every later reader of /dev/null (the
	 * stdin of every background job) would be tainted. */
	if (sov_open_writes(fmode) &&
	    sov_fd_writes(fmode, BPF_CORE_READ(file, f_inode, i_mode)))
		derive_on_write(tgid, file, fd, upath, dirfd, 1);
}

/*
 * A file descriptor that arrives in a process without an open: received
 * over SCM_RIGHTS or taken with pidfd_getfd() (LSM: file_receive, fd = -1;
 * tracing: the recvmsg/recvmmsg/pidfd_getfd exits with the new fd).
 * Reading is what the receiver can do with it, so the rule is an open's
 * for reading (sov_open_taints()): a labelled file open for reading taints
 * the receiver with its classes. The f_mode test comes first, so an fd not
 * open for reading costs no lookup. No event path: bpf_d_path() is not
 * allowed at file_receive, and the tracing path has no user path; the
 * event carries dev, ino and the fd. Returns the classes the receiver
 * gained from this file (0 when none).
 */
static __always_inline __u64 receive_label_as(struct file *file, struct sov_inode_key *key,
					      int view)
{
	__u64 classes = 0;
	__u32 flags = 0;
	unsigned int fmode;
	int labelled;

	fmode = BPF_CORE_READ(file, f_mode);
	if (!(fmode & SOV_FMODE_READ))
		return 0;
	if (view)
		labelled = view_label(file, key, &classes, &flags, 0);
	else
		labelled = file_label(file, key, &classes, &flags);
	if (!sov_open_taints(labelled, fmode, flags))
		return 0;
	return classes;
}

static __always_inline __u64 receive_label(struct file *file, struct sov_inode_key *key)
{
	return receive_label_as(file, key, 1);
}

/*
 * The same without views (the file's own inode only): for the tracing
 * path's SCM_RIGHTS walk (recv_walk_cb()), a bpf_loop callback whose
 * frame, added to sys_exit's, leaves no room for a call to the global
 * functions of views.bpf.h (combined stack limit 512 on 6.1 and 6.12; each
 * call costs at least 32). An overlay file received that way is judged by
 * the overlay inode (docs/architecture.md, known limits).
 */
static __always_inline __u64 receive_label_noview(struct file *file, struct sov_inode_key *key)
{
	return receive_label_as(file, key, 0);
}

/*
 * A received fd open for writing a regular file: a tainted receiver makes
 * it a derivative, as an open for writing does (issue 11). The f_mode and
 * i_mode tests come first, so a received fd not open for writing costs no
 * lookup; one taint lookup otherwise. The file pointer is not trusted
 * (no bpf_d_path): the derive event carries dev, ino and the fd.
 */
static __always_inline int receive_writes(struct file *file)
{
	unsigned int fmode = BPF_CORE_READ(file, f_mode);

	return sov_open_writes(fmode) &&
	       sov_fd_writes(fmode, BPF_CORE_READ(file, f_inode, i_mode));
}

static __always_inline void receive_write(struct file *file, int fd)
{
	if (receive_writes(file))
		derive_on_write(bpf_get_current_pid_tgid() >> 32, file, fd, NULL, -1, 0);
}

/* SCM_RIGHTS on the tracing path: the message carried a regular file open
 * for writing; a tainted receiver derives what it holds open for writing
 * (the fd walk; the received fds are installed). One taint lookup. */
static __always_inline void receive_writes_walk(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sov_taint *t = taint_of(&tgid);

	if (t)
		derive_on_taint(t->classes);
}

/* The receiver gains 'classes' (the union of what it received); key and
 * fd name one of the labelled files, for the taint event. */
static __always_inline void on_receive(__u64 classes, const struct sov_inode_key *key, int fd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (classes && taint_grow(tgid, &classes, NULL, key, fd, NULL, -1))
		derive_on_taint(classes);
}

#endif
