// SPDX-License-Identifier: Apache-2.0
/*
 * Shared writable file mappings of a newly tainted process (mapscan.h).
 * Calls: host.c, kpath maps, pipeline.c, log.c, libbpf. Called by
 * pipeline.c on each kernel taint event.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "agent/host.h"
#include "agent/kpath.h"
#include "agent/log.h"
#include "agent/mapscan.h"
#include "agent/pipeline.h"
#include "bpf/rules.h"

/* One mapping: /proc/PID/map_files/START-END is the mapped file itself. */
static int derive_one(const struct sov_map_fds *fd, struct pipeline *p, pid_t pid,
		      const char *range, uint64_t add)
{
	char fpath[128], target[PATH_MAX];
	struct sov_label kl = {};
	struct stat st;
	uint32_t gen = 0;
	ssize_t n;
	int gen_known;

	snprintf(fpath, sizeof(fpath), "/proc/%d/map_files/%s", (int)pid, range);
	if (stat(fpath, &st) || !S_ISREG(st.st_mode))
		return 0;

	struct sov_inode_key k = { .dev = kdev_from_user(st.st_dev), .ino = st.st_ino };

	gen_known = !host_inode_gen(fpath, 1, k.ino, &gen);
	if (!bpf_map_lookup_elem(fd->labels, &k, &kl) &&
	    !(gen_known && (kl.flags & SOV_LABEL_GEN) && kl.gen != gen)) {
		if ((kl.classes | add) == kl.classes)
			return 0;
		kl.classes |= add;
		kl.flags |= SOV_LABEL_DERIVED;
	} else {
		/* none, or a deleted file's whose inode number this reuses */
		kl = sov_label_derived(add, st.st_mode);
		if (gen_known)
			sov_label_stamp(&kl, gen);
	}
	if (bpf_map_update_elem(fd->labels, &k, &kl, BPF_ANY)) {
		pr_warn("mapping of pid %d: failed to label %s: %s", (int)pid, range,
			strerror(errno));
		return 0;
	}
	n = readlink(fpath, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	pipeline_emit_file_user(p, "derive", pid, kl.classes, target, k.dev, k.ino);
	return 1;
}

int mapscan_derive(const struct sov_map_fds *fd, struct pipeline *p, pid_t pid,
		   uint64_t classes)
{
	struct sov_config cfg = {};
	char path[64], line[PATH_MAX + 128];
	__u32 zero = 0;
	uint64_t add;
	int grown = 0;
	FILE *f;

	if (bpf_map_lookup_elem(fd->config, &zero, &cfg))
		return -errno;
	add = sov_derivable(classes, &cfg);
	if (!add)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char range[64], perms[8];
		unsigned long long ino;
		unsigned int maj, min;

		/* START-END PERMS OFFSET MAJ:MIN INODE [PATH] */
		if (sscanf(line, "%63s %7s %*s %x:%x %llu", range, perms, &maj, &min, &ino) != 5)
			continue;
		if (!ino || perms[1] != 'w' || perms[3] != 's')
			continue;
		grown += derive_one(fd, p, pid, range, add);
	}
	fclose(f);
	return grown;
}
