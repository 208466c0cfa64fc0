/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * An open, on both paths: the label layer says what the file carries, the
 * taint layer grows the process's taint, the derive layer labels what a
 * tainted process writes.
 */
#ifndef SOV_OPEN_BPF_H
#define SOV_OPEN_BPF_H

#include "derive.bpf.h"

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

	if (sov_open_taints(labelled, fmode, flags) &&
	    taint_grow(tgid, &classes, file, &key, fd, upath, dirfd))
		derive_on_taint(classes);
	/* Only a regular file becomes a derivative, as in the fd walk
	 * (sov_fd_writes()): a tainted process opening /dev/null or a tty for
	 * writing must not label it, or every later reader of /dev/null (the
	 * stdin of every background job) would be tainted. */
	if (sov_open_writes(fmode) &&
	    sov_fd_writes(fmode, BPF_CORE_READ(file, f_inode, i_mode)))
		derive_on_write(tgid, file, fd, upath, dirfd);
}

#endif
