// SPDX-License-Identifier: Apache-2.0
/*
 * Where the syscall programs attach (issue 14). Both kernel paths decode
 * syscalls in BPF (opens and the send family on the tracing path; process
 * memory and IPC on both). Two attachments carry the same parts:
 *
 *   raw          tp_btf/sys_enter + tp_btf/sys_exit: every syscall of the
 *                host runs both programs (sov_sys_enter, sov_sys_exit),
 *                which filter the number; ia32 and x32 syscalls included.
 *   tracepoints  syscalls/sys_enter_NAME + sys_exit_NAME for each native
 *                syscall the path's BPF sources name (sov_sc_hooks.h,
 *                tools/gen-sc-hooks): sov_sc_enter and sov_sc_exit. An
 *                unrelated syscall runs no BPF: the kernel tests its number
 *                in a bitmap (docs/performance.md measures both). The
 *                kernel gives these tracepoints no ia32 or x32 syscall, so
 *                sovd chooses them only where neither can be entered
 *                (probe.c), or when told to (--syscall-hooks).
 *
 * Calls: log.c, libbpf, the generated sov_sc_hooks.h. Called by probe.c,
 * main.c, kpath_tracing.c and kpath_lsm.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include "agent/kpath.h"
#include "agent/log.h"
#include "sov_sc_hooks.h"

/* Where libbpf looks (the debugfs view first, as libbpf 1.x does). */
static const char *tracefs_root(void)
{
	return access("/sys/kernel/debug/tracing", F_OK) == 0 ? "/sys/kernel/debug/tracing" :
								 "/sys/kernel/tracing";
}

int kpath_prepare_tracefs(void)
{
	char path[256];
	struct statfs st;

	snprintf(path, sizeof(path), "%s/events", tracefs_root());
	if (access(path, F_OK) == 0)
		return 0;
	if (statfs("/sys/kernel/tracing", &st) == 0 && st.f_type == TRACEFS_MAGIC)
		return 0;
	/* root only where tracefs takes a mode (older ones refuse the option) */
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, "mode=0700") &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		int err = -errno;

		pr_debug("failed to mount tracefs at /sys/kernel/tracing: %s", strerror(-err));
		return err;
	}
	pr_info("mounted tracefs at /sys/kernel/tracing");
	return 0;
}

static const struct sov_sc_hook *hooks_of(enum sovd_kpath k)
{
	return k == SOVD_KPATH_LSM ? sov_sc_hooks_lsm : sov_sc_hooks_tracing;
}

/*
 * The tracepoint of a syscall: its own name, or NAME64 where the table's
 * name is not the kernel's SYSCALL_DEFINE name (sendfile: sendfile64 on
 * x86-64 and arm64). 0, or -ENOENT when neither has both events.
 */
static int tp_name(const char *sc, char *buf, size_t len)
{
	static const char *const fmt[] = { "%s", "%s64" };
	char path[384];

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		snprintf(buf, len, fmt[i], sc);
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_%s", tracefs_root(), buf);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_%s", tracefs_root(), buf);
		if (access(path, F_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int kpath_sc_missing(enum sovd_kpath k, char *missing, size_t len)
{
	char tp[64];

	for (const struct sov_sc_hook *h = hooks_of(k); h->name; h++) {
		if (tp_name(h->name, tp, sizeof(tp))) {
			snprintf(missing, len, "%s", h->name);
			return -ENOENT;
		}
	}
	return 0;
}

static int attach_tp(struct kpath *kp, struct bpf_program *prog, const char *ev, const char *name)
{
	struct bpf_link *link = bpf_program__attach_tracepoint(prog, "syscalls", ev);
	int err;

	if (!link) {
		err = -errno;
		pr_err("failed to attach %s (syscalls/%s): %s", name, ev, strerror(-err));
		return err;
	}
	return kpath_add_link(kp, link, name);
}

int kpath_attach_syscalls(struct kpath *kp, struct bpf_program *raw_enter,
			  struct bpf_program *raw_exit, struct bpf_program *tp_enter,
			  struct bpf_program *tp_exit)
{
	char tp[64], ev[96], name[96];
	int err;

	if (!kp->sc_tp)
		return kpath_attach_prog(kp, raw_exit, -1, "sys_exit") ?:
		       kpath_attach_prog(kp, raw_enter, -1, "sys_enter");
	/* A tracepoint that cannot be attached fails the start (the caller
	 * chose these after kpath_sc_missing()): a part would miss it. */
	for (const struct sov_sc_hook *h = hooks_of(kp->ops->id); h->name; h++) {
		err = tp_name(h->name, tp, sizeof(tp));
		if (err) {
			pr_err("failed to attach the syscall programs: no tracepoint syscalls/sys_enter_%s",
			       h->name);
			return err;
		}
		snprintf(ev, sizeof(ev), "sys_exit_%s", tp);
		snprintf(name, sizeof(name), "sc_exit_%s", tp);
		if ((err = attach_tp(kp, tp_exit, ev, name)))
			return err;
		snprintf(ev, sizeof(ev), "sys_enter_%s", tp);
		snprintf(name, sizeof(name), "sc_enter_%s", tp);
		if ((err = attach_tp(kp, tp_enter, ev, name)))
			return err;
	}
	return 0;
}
