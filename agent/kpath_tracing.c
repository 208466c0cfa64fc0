// SPDX-License-Identifier: Apache-2.0
/*
 * The tracing kernel path (bpf/tracing.bpf.c): tp_btf/sys_exit for opens,
 * tp_btf/sys_enter for the senders of sockets (issue 10) and
 * tp_btf/inet_sock_set_state to forget them, a second tp_btf/sys_exit for
 * process and shared memory (issue 11, bpf/procmem.bpf.h), the IPC programs of
 * bpf/ipc.bpf.h (issue 11: sys_enter, sys_exit, inet_sock_set_state), tp_btf/io_uring_complete
 * for io_uring's opens, reads and writes (issue 11), the fork/exit programs, and cgroup sock_addr + cgroup_skb programs
 * attached to each scope cgroup (so the scope is where they are attached,
 * not a map).
 *
 * The syscall programs attach raw or per syscall (issue 14,
 * kpath_syscalls.c).
 *
 * Calls: kpath_load.c, kpath_syscalls.c, the generated tracing.skel.h. Called through
 * kpath_tracing_ops by main.c.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "agent/kpath.h"
#include "tracing.skel.h"
#include "tracing-k510.skel.h"

KPATH_DEFINE_SKEL_OPEN(sov_tracing)

static int tracing_open(struct kpath *kp, const char *pin_dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);
	struct sov_tracing *s = sov_tracing_open(&oo, kp->k510);

	if (!s)
		return -errno;
	/* before load: how overlayfs files lead to their real file */
	s->rodata->sov_ovl_file_struct = kpath_ovl_file_struct();
	/* one of the two RDMA device programs: with or without the
	 * current-task helpers in cgroup/dev (bpf/tracing.bpf.c) */
	bpf_program__set_autoload(s->progs.sov_dev, !kp->dev_switched);
	bpf_program__set_autoload(s->progs.sov_dev_switched, kp->dev_switched);
	bpf_program__set_autoload(s->progs.sov_sched_switch, kp->dev_switched);
	/* one pair of syscall programs: raw or per-syscall tracepoints */
	bpf_program__set_autoload(s->progs.sov_sys_enter, !kp->sc_tp);
	bpf_program__set_autoload(s->progs.sov_sys_exit, !kp->sc_tp);
	bpf_program__set_autoload(s->progs.sov_sc_enter, kp->sc_tp);
	bpf_program__set_autoload(s->progs.sov_sc_exit, kp->sc_tp);
	kp->pin_dir = pin_dir;
	kp->skel.tracing = s;
	kp->obj = s->obj;
	KPATH_TAKE_SIZED(kp, s);
	return 0;
}

static int tracing_load(struct kpath *kp)
{
	struct sov_tracing *s = kp->skel.tracing;
	int err = sov_tracing__load(s);

	if (err) {
		kpath_load_failed(kp, err);
		return err;
	}
	KPATH_TAKE_FDS(kp, s);
	return 0;
}

static int tracing_attach(struct kpath *kp, const char *const *scope, size_t n_scope)
{
	struct sov_tracing *s = kp->skel.tracing;
	const struct { struct bpf_program *p; const char *n; } progs[] = {
		{ s->progs.sov_connect4, "connect4" },
		{ s->progs.sov_connect6, "connect6" },
		{ s->progs.sov_sendmsg4, "sendmsg4" },
		{ s->progs.sov_sendmsg6, "sendmsg6" },
		{ s->progs.sov_skb_egress, "skb_egress" },
		{ s->progs.sov_bind4, "bind4" },
		{ s->progs.sov_bind6, "bind6" },
		{ s->progs.sov_sock_create, "sock_create" },
		{ s->progs.sov_sock_release, "sock_release" },
		/* RDMA devices (issue 10) */
		{ kp->dev_switched ? s->progs.sov_dev_switched : s->progs.sov_dev, "dev" },
	};
	char name[128];
	int err;

	/* before the device programs: the process each CPU runs */
	if (kp->dev_switched && (err = kpath_attach_prog(kp, s->progs.sov_sched_switch, -1, "sched_switch")))
		return err;
	/* the syscall programs, raw or per syscall (kpath_syscalls.c) */
	if ((err = kpath_attach_syscalls(kp, s->progs.sov_sys_enter, s->progs.sov_sys_exit,
					 s->progs.sov_sc_enter, s->progs.sov_sc_exit)) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_fork, -1, "fork")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_exit, -1, "exit")) ||
	    (err = kpath_attach_prog(kp, s->progs.sov_inet_state, -1, "inet_sock_set_state")) ||
	    /* sys_enter and sys_exit also run the process and shared
	     * memory (bpf/procmem.bpf.h) and IPC (bpf/ipc.bpf.h) parts */
	    (err = kpath_attach_prog(kp, s->progs.sov_ipc_tcp_state, -1, "ipc_tcp_state")) ||
	    /* io_uring's opens, reads and writes (issue 11, bpf/views.bpf.h) */
	    (err = kpath_attach_prog(kp, s->progs.sov_uring_complete, -1, "io_uring_complete")))
		return err;
	for (size_t i = 0; i < n_scope; i++) {
		int cg = kpath_open_scope_cgroup(scope[i]);

		if (cg < 0)
			return cg;
		for (size_t j = 0; j < sizeof(progs) / sizeof(progs[0]); j++) {
			snprintf(name, sizeof(name), "%s@%zu", progs[j].n, i);
			err = kpath_attach_prog(kp, progs[j].p, cg, name);
			if (err)
				break;
		}
		close(cg);
		if (err)
			return err;
	}
	return kpath_pin_links(kp);
}

static void tracing_destroy(struct kpath *kp)
{
	kpath_free_links(kp);
	sov_tracing__destroy(kp->skel.tracing);
	kp->skel.tracing = NULL;
	kp->obj = NULL;
}

const struct kpath_ops kpath_tracing_ops = {
	.id = SOVD_KPATH_TRACING,
	.scope_in_map = 0,
	.open = tracing_open,
	.load = tracing_load,
	.attach = tracing_attach,
	.destroy = tracing_destroy,
};
