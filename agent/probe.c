// SPDX-License-Identifier: Apache-2.0
/*
 * Kernel feature probes. Each one loads *and triggers* a tiny program:
 * a kernel can accept an lsm/ program and still never run it, or (as on
 * Firecracker CI kernels) refuse to load it with EPERM although BPF LSM is
 * listed in /sys/kernel/security/lsm. Only a program that ran is proof.
 *
 * Calls: host.c, log.c, kpath_syscalls.c, the generated probe.skel.h.
 * Called by main.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "agent/features.h"
#include "agent/host.h"
#include "agent/log.h"
#include "probe.skel.h"

enum probe_prog { PROBE_LSM, PROBE_TP_BTF, PROBE_FENTRY, PROBE_SC_TP };

static void trigger(enum probe_prog which)
{
	int fd;

	switch (which) {
	case PROBE_LSM:
	case PROBE_FENTRY:
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd >= 0)
			close(fd);
		break;
	case PROBE_TP_BTF:
	case PROBE_SC_TP:
		syscall(SYS_getppid);
		break;
	}
}

/* 1: the program loaded, attached and ran; 0: it did not. */
static int probe_one(enum probe_prog which)
{
	struct sov_probe *skel;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	int ran = 0;

	/*
	 * A probe that fails to load is an answer, and its verifier log is
	 * never printed. Without a buffer of its own, libbpf retries a failed
	 * load with a 16 MiB log buffer: ~4.5 MiB of sovd's start-up peak on a
	 * kernel without BPF LSM (issue 14). With this one the retry writes
	 * at most 4 KiB; a load that works is never retried.
	 */
	static char log[4096];
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kernel_log_buf = log, .kernel_log_size = sizeof(log));

	skel = sov_probe__open_opts(&oo);
	if (!skel)
		return 0;
	bpf_program__set_autoload(skel->progs.probe_lsm, which == PROBE_LSM);
	bpf_program__set_autoload(skel->progs.probe_tp_btf, which == PROBE_TP_BTF);
	bpf_program__set_autoload(skel->progs.probe_fentry, which == PROBE_FENTRY);
	bpf_program__set_autoload(skel->progs.probe_sc_tp, which == PROBE_SC_TP);
	prog = which == PROBE_LSM ? skel->progs.probe_lsm :
	       which == PROBE_TP_BTF ? skel->progs.probe_tp_btf :
	       which == PROBE_SC_TP ? skel->progs.probe_sc_tp : skel->progs.probe_fentry;
	skel->rodata->target_tgid = getpid();
	if (sov_probe__load(skel))
		goto cleanup;
	link = bpf_program__attach(prog);
	if (!link)
		goto cleanup;
	trigger(which);
	ran = skel->bss->hits > 0;
cleanup:
	bpf_link__destroy(link);
	sov_probe__destroy(skel);
	return ran;
}

/*
 * Whether a child can enter the kernel through the ia32 or the x32 syscall
 * table (x86): the per-syscall tracepoints never see those syscalls, so
 * they are safe only where neither runs. Triggered, not read from the
 * config: IA32_EMULATION can be built in and switched off at boot
 * (ia32_emulation=0), x32 likewise (syscall.x32). A child: where ia32 is
 * off, int $0x80 kills it with SIGSEGV. 1: the syscall ran, or a seccomp
 * filter on sovd refused it (only sovd is filtered, not the host).
 */
enum probe_abi { PROBE_IA32, PROBE_X32 };

static int probe_abi_runs(enum probe_abi abi)
{
#if defined(__x86_64__)
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return 1;	/* unknown: as if it ran (fail closed) */
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		long want = syscall(SYS_getpid), got;
		int filtered;

		/* no core file where the int $0x80 faults */
		setrlimit(RLIMIT_CORE, &none);
		if (abi == PROBE_IA32) {
			got = 20;	/* getpid in the ia32 table */
			__asm__ volatile("int $0x80" : "+a"(got) : : "r8", "r9", "r10", "r11", "memory");
			filtered = got == -EPERM;	/* the raw return: -errno */
		} else {
			got = syscall(0x40000000L | SYS_getpid);	/* __X32_SYSCALL_BIT */
			filtered = got == -1 && errno == EPERM;
		}
		/* EPERM is a seccomp filter on sovd (systemd's
		 * SystemCallArchitectures=), not the kernel's answer (ENOSYS,
		 * SIGSEGV): other processes may still make these calls */
		_exit(filtered || got == want ? 0 : 1);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return 1;
	}
	/* SIGSYS: the same filter, killing instead (fail closed: it runs) */
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
#else
	/* arm64: AArch32 tasks are not decoded by either attachment
	 * (bpf/sysarch.bpf.h), so nothing is lost */
	(void)abi;
	return 0;
#endif
}

int probe_features(struct sovd_features *f)
{
	int sc_hooks = f->sc_hooks;	/* the caller's choice survives the probe */
	const char *cg;
	int fd;

	memset(f, 0, sizeof(*f));
	f->sc_hooks = sc_hooks;
	f->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	cg = cgroup2_mount();
	if (cg)
		snprintf(f->cgroup2, sizeof(f->cgroup2), "%s", cg);

	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, 4096, NULL);
	f->ringbuf = fd >= 0;
	if (fd >= 0)
		close(fd);
	if (!f->btf)
		return 0;

	/* Failing probes are expected on some kernels: keep libbpf quiet. */
	log_libbpf_quiet(1);
	/* The newest helper sovd's programs call (with bpf_find_vma(), also
	 * 5.17); libbpf loads a program that calls it and reads the verifier's
	 * answer. Older kernels (5.10: docs/kernels.md) refuse the objects. */
	f->bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_loop, NULL) == 1;
	/* which of the tracing path's two cgroup/dev programs can load */
	f->cgdev_pid = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_DEVICE,
					       BPF_FUNC_get_current_pid_tgid, NULL) == 1;
	f->bpf_lsm = probe_one(PROBE_LSM);
	f->tp_btf = probe_one(PROBE_TP_BTF);
	f->trampolines = probe_one(PROBE_FENTRY);
	/* issue 14: the syscall programs' cheaper attach point */
	f->sc_tp = !kpath_prepare_tracefs() && probe_one(PROBE_SC_TP);
	log_libbpf_quiet(0);
	f->ia32 = probe_abi_runs(PROBE_IA32);
	f->x32 = probe_abi_runs(PROBE_X32);
	return 0;
}

int probe_choose(struct sovd_features *f, enum sovd_kpath want, enum sovd_kpath *chosen)
{
	if (!f->btf) {
		pr_err("the kernel exposes no BTF (/sys/kernel/btf/vmlinux): boot a kernel built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	if (!f->cgroup2[0]) {
		pr_err("no cgroup2 filesystem is mounted: mount one (mount -t cgroup2 none /sys/fs/cgroup) and start sovd again");
		return -ENOTSUP;
	}
	if (!f->ringbuf) {
		pr_err("cannot create BPF maps: run sovd as root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, CAP_NET_ADMIN) on a kernel with BPF ring buffers (5.8 or later)");
		return -EPERM;
	}
	/* The 5.10 build (bpf/compat.bpf.h) where bpf_loop() is missing;
	 * --bpf-build current insists on the current one. */
	if (f->k510 < 0)
		f->k510 = !f->bpf_loop;
	if (!f->bpf_loop && !f->k510) {
		pr_err("--bpf-build current: this kernel lacks the bpf_loop() helper (Linux 5.17) and other BPF features of the current build (atomic or, bpf_get_current_task_btf(), ...): use --bpf-build auto, which loads the 5.10 build (docs/kernels.md)");
		return -ENOTSUP;
	}
	switch (want) {
	case SOVD_KPATH_LSM:
		if (!f->bpf_lsm) {
			pr_err("--kernel-path lsm: BPF LSM programs do not run on this kernel; boot with 'bpf' in lsm= (CONFIG_BPF_LSM=y) or use --kernel-path tracing");
			return -ENOTSUP;
		}
		*chosen = SOVD_KPATH_LSM;
		return 0;
	case SOVD_KPATH_TRACING:
		break;
	case SOVD_KPATH_AUTO:
		if (f->bpf_lsm) {
			*chosen = SOVD_KPATH_LSM;
			return 0;
		}
		break;
	}
	if (!f->tp_btf) {
		pr_err("neither BPF LSM nor BTF tracepoint programs run on this kernel: sovd needs Linux 6.1 or later with BPF enabled");
		return -ENOTSUP;
	}
	*chosen = SOVD_KPATH_TRACING;
	return 0;
}

/*
 * Where the syscall programs attach (kpath_syscalls.c): the per-syscall
 * tracepoints where they run and no syscall can bypass them (no ia32, no
 * x32 table), else the raw ones. --syscall-hooks tracepoints insists
 * (for measurement and tests: the ia32 and x32 syscalls then go unseen).
 */
int probe_choose_sc_hooks(struct sovd_features *f, enum sovd_kpath k)
{
	char missing[64] = "";
	int want = f->sc_hooks;
	const char *why = NULL;

	if (want == SOVD_SC_RAW) {
		snprintf(f->sc_why, sizeof(f->sc_why), "--syscall-hooks raw");
		return 0;
	}
	if (!f->sc_tp)
		why = "no per-syscall tracepoint program runs (tracefs, CONFIG_FTRACE_SYSCALLS, Linux 5.15)";
	else if (kpath_sc_missing(k, missing, sizeof(missing)))
		why = "a syscall has no tracepoint";
	if (why) {
		if (want == SOVD_SC_TRACEPOINTS) {
			pr_err("--syscall-hooks tracepoints: %s%s%s; use --syscall-hooks auto", why,
			       missing[0] ? ": " : "", missing);
			return -ENOTSUP;
		}
		snprintf(f->sc_why, sizeof(f->sc_why), "%s%s%s", why, missing[0] ? ": " : "", missing);
		f->sc_hooks = SOVD_SC_RAW;
		return 0;
	}
	if (want == SOVD_SC_AUTO) {
		if (f->ia32 || f->x32) {
			snprintf(f->sc_why, sizeof(f->sc_why),
				 "%s syscalls run and skip the per-syscall tracepoints",
				 f->ia32 ? "ia32" : "x32");
			f->sc_hooks = SOVD_SC_RAW;
		} else {
			snprintf(f->sc_why, sizeof(f->sc_why), "no ia32 or x32 syscalls");
			f->sc_hooks = SOVD_SC_TRACEPOINTS;
		}
		return 0;
	}
	snprintf(f->sc_why, sizeof(f->sc_why), "--syscall-hooks %s", kpath_sc_hooks_name(want));
	if (want == SOVD_SC_TRACEPOINTS && (f->ia32 || f->x32))
		pr_warn("--syscall-hooks tracepoints while %s syscalls run: the programs do not see them; for measurement and tests only",
			f->ia32 && f->x32 ? "ia32 and x32" : f->ia32 ? "ia32" : "x32");
	f->sc_hooks = want;
	return 0;
}

/* The line `sovd --probe` prints; "mode=" is kept for scripts that parse
 * it, beside the clearer "kernel_path=". */
int probe_print(const struct sovd_features *f, enum sovd_kpath chosen, FILE *out)
{
	const char *kp = chosen == SOVD_KPATH_AUTO ? "none" : kpath_name(chosen);

	return fprintf(out, "btf=%s bpf_lsm=%s tp_btf=%s trampolines=%s sc_tracepoints=%s ia32=%s x32=%s syscall_hooks=%s cgroup2=%s ringbuf=%s bpf_loop=%s bpf_build=%s kernel_path=%s mode=%s\n",
		       f->btf ? "yes" : "no", f->bpf_lsm ? "yes" : "no",
		       f->tp_btf ? "yes" : "no", f->trampolines ? "yes" : "no",
		       f->sc_tp ? "yes" : "no", f->ia32 ? "yes" : "no", f->x32 ? "yes" : "no",
		       chosen == SOVD_KPATH_AUTO ? "none" : kpath_sc_hooks_name(f->sc_hooks),
		       f->cgroup2[0] ? f->cgroup2 : "none", f->ringbuf ? "yes" : "no",
		       f->bpf_loop ? "yes" : "no", f->k510 > 0 ? "5.10" : "current", kp, kp);
}
