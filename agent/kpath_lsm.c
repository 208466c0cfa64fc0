// SPDX-License-Identifier: Apache-2.0
/*
 * The LSM kernel path (bpf/lsm.bpf.c): lsm/ programs on file_open,
 * file_receive (fds received over SCM_RIGHTS or pidfd_getfd),
 * socket_create, socket_post_create, socket_connect, socket_sendmsg,
 * file_permission (writes to sockets: sendfile/splice on 6.1; RDMA devices
 * held since before the taint), file_ioctl and mmap_file (RDMA devices),
 * d_instantiate and inode_rename (labels at creation), inode_free_security
 * (labels of deleted inodes reclaimed)
 * plus the fork/exit programs and tp_btf/sys_exit for process and shared
 * memory (issue 11, bpf/procmem.bpf.h), the IPC programs of bpf/ipc.bpf.h
 * (tp_btf sys_enter, sys_exit, inet_sock_set_state; issue 11; the syscall
 * programs raw or per syscall: issue 14, kpath_syscalls.c); the hooks
 * check the scope cgroups themselves (sov_scope).
 *
 * Calls: kpath_load.c, kpath_syscalls.c, the generated lsm.skel.h. Called through
 * kpath_lsm_ops by main.c.
 */
#include <errno.h>
#include <bpf/libbpf.h>
#include "agent/kpath.h"
#include "lsm.skel.h"
#include "lsm-k510.skel.h"

KPATH_DEFINE_SKEL_OPEN(sov_lsm)

static int lsm_open(struct kpath *kp, const char *pin_dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);
	struct sov_lsm *s = sov_lsm_open(&oo, kp->k510);

	if (!s)
		return -errno;
	/* before load: how overlayfs files lead to their real file */
	s->rodata->sov_ovl_file_struct = kpath_ovl_file_struct();
	/* one pair of syscall programs: raw or per-syscall tracepoints */
	bpf_program__set_autoload(s->progs.sov_sys_enter, !kp->sc_tp);
	bpf_program__set_autoload(s->progs.sov_sys_exit, !kp->sc_tp);
	bpf_program__set_autoload(s->progs.sov_sc_enter, kp->sc_tp);
	bpf_program__set_autoload(s->progs.sov_sc_exit, kp->sc_tp);
	kp->pin_dir = pin_dir;
	kp->skel.lsm = s;
	kp->obj = s->obj;
	KPATH_TAKE_SIZED(kp, s);
	return 0;
}

static int lsm_load(struct kpath *kp)
{
	struct sov_lsm *s = kp->skel.lsm;
	int err = sov_lsm__load(s);

	if (err) {
		kpath_load_failed(kp, err);
		return err;
	}
	KPATH_TAKE_FDS(kp, s);
	return 0;
}

static int lsm_attach(struct kpath *kp, const char *const *scope, size_t n_scope)
{
	struct sov_lsm *s = kp->skel.lsm;
	int err;

	(void)scope;
	(void)n_scope;
	if ((err = kpath_attach_prog(kp, s->progs.sov_file_open, -1, "file_open")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_file_receive, -1, "file_receive")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_socket_create, -1, "socket_create")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_socket_post_create, -1,
				     "socket_post_create")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_socket_connect, -1, "socket_connect")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_socket_sendmsg, -1, "socket_sendmsg")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_file_permission, -1, "file_permission")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_file_ioctl, -1, "file_ioctl")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_mmap_file, -1, "mmap_file")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_d_instantiate, -1, "d_instantiate")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_inode_rename, -1, "inode_rename")) ||
	    /* issue 12: a deleted inode's label is reclaimed with it */
	    (err = kpath_attach_prog(kp, s->progs.sov_inode_free, -1, "inode_free")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_fork, -1, "fork")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_exit, -1, "exit")) ||
	    /* the syscall programs, raw or per syscall (kpath_syscalls.c):
	     * process and shared memory (bpf/procmem.bpf.h), taint over
	     * pipes, Unix sockets, loopback TCP (bpf/ipc.bpf.h) */
	    (err = kpath_attach_syscalls(kp, s->progs.sov_sys_enter, s->progs.sov_sys_exit,
					 s->progs.sov_sc_enter, s->progs.sov_sc_exit)) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_ipc_tcp_state, -1, "ipc_tcp_state")) ||
	    /* io_uring's reads and writes of fixed files (bpf/views.bpf.h) */
	    (err = kpath_attach_prog(kp, s->progs.sov_uring_complete, -1, "io_uring_complete")) ||
	    /* issue 12: self-protection (bpf/selfprot.bpf.h) */
	    (err = kpath_attach_prog(kp, s->progs.sov_self_map, -1, "self_map")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_self_bpf, -1, "self_bpf")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_self_unlink, -1, "self_unlink")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_self_rmdir, -1, "self_rmdir")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_self_rename, -1, "self_rename")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_self_truncate, -1, "self_truncate")))
		return err;
	return kpath_pin_links(kp);
}

static void lsm_destroy(struct kpath *kp)
{
	kpath_free_links(kp);
	sov_lsm__destroy(kp->skel.lsm);
	kp->skel.lsm = NULL;
	kp->obj = NULL;
}

const struct kpath_ops kpath_lsm_ops = {
	.id = SOVD_KPATH_LSM,
	.scope_in_map = 1,
	.open = lsm_open,
	.load = lsm_load,
	.attach = lsm_attach,
	.destroy = lsm_destroy,
};
