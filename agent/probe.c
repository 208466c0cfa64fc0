// SPDX-License-Identifier: Apache-2.0
/*
 * Kernel feature probes. Each one loads *and triggers* a tiny program:
 * a kernel can accept an lsm/ program and still never run it, or (as on
 * Firecracker CI kernels) refuse to load it with EPERM although BPF LSM is
 * listed in /sys/kernel/security/lsm. Only a program that ran is proof.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "agent/log.h"
#include "agent/sovd.h"
#include "probe.skel.h"

static char cg2_path[256];

/* The cgroup2 mount from mountinfo: never assumed at /sys/fs/cgroup
 * (hybrid hosts mount it at /sys/fs/cgroup/unified). */
const char *cgroup2_mount(void)
{
	char line[4096];
	FILE *f;

	if (cg2_path[0])
		return cg2_path;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char mnt[256];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		/* field 5 is the mount point */
		if (sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1) {
			snprintf(cg2_path, sizeof(cg2_path), "%s", mnt);
			break;
		}
	}
	fclose(f);
	return cg2_path[0] ? cg2_path : NULL;
}

enum probe_prog { PROBE_LSM, PROBE_TP_BTF, PROBE_FENTRY };

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

	skel = sov_probe__open();
	if (!skel)
		return 0;
	bpf_program__set_autoload(skel->progs.probe_lsm, which == PROBE_LSM);
	bpf_program__set_autoload(skel->progs.probe_tp_btf, which == PROBE_TP_BTF);
	bpf_program__set_autoload(skel->progs.probe_fentry, which == PROBE_FENTRY);
	prog = which == PROBE_LSM ? skel->progs.probe_lsm :
	       which == PROBE_TP_BTF ? skel->progs.probe_tp_btf : skel->progs.probe_fentry;
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

int probe_features(struct sovd_features *f)
{
	const char *cg;
	int fd;

	memset(f, 0, sizeof(*f));
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
	f->bpf_lsm = probe_one(PROBE_LSM);
	f->tp_btf = probe_one(PROBE_TP_BTF);
	f->trampolines = probe_one(PROBE_FENTRY);
	log_libbpf_quiet(0);
	return 0;
}

int probe_print(const struct sovd_features *f, enum sovd_mode chosen, FILE *out)
{
	return fprintf(out, "btf=%s bpf_lsm=%s tp_btf=%s trampolines=%s cgroup2=%s ringbuf=%s mode=%s\n",
		       f->btf ? "yes" : "no", f->bpf_lsm ? "yes" : "no",
		       f->tp_btf ? "yes" : "no", f->trampolines ? "yes" : "no",
		       f->cgroup2[0] ? f->cgroup2 : "none", f->ringbuf ? "yes" : "no",
		       chosen == SOVD_MODE_LSM ? "lsm" :
		       chosen == SOVD_MODE_TRACING ? "tracing" : "none");
}
