// SPDX-License-Identifier: Apache-2.0
/*
 * Shared writable file mappings of a newly tainted process (mapscan.h).
 * Calls: host.c, kpath maps, pipeline.c, log.c, libbpf. Called by
 * pipeline.c on each kernel taint event.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* One file: fpath (/proc/PID/map_files/START-END, /proc/PID/fd/N) is the
 * file itself. */
static int derive_one(const struct sov_map_fds *fd, struct pipeline *p, pid_t pid,
		      const char *fpath, uint64_t add)
{
	char target[PATH_MAX];
	struct sov_label kl = {};
	struct stat st;
	uint32_t gen = 0;
	ssize_t n;
	int gen_known;

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
		pr_warn("pid %d: failed to label %s: %s", (int)pid, fpath, strerror(errno));
		return 0;
	}
	n = readlink(fpath, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	pipeline_emit_file_user(p, "derive", pid, kl.classes, target, k.dev, k.ino);
	return 1;
}

/* The derivable part of classes under the policy in force, or -errno. */
static int derivable(const struct sov_map_fds *fd, uint64_t classes, uint64_t *add)
{
	struct sov_config cfg = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd->config, &zero, &cfg))
		return -errno;
	*add = sov_derivable(classes, &cfg);
	return 0;
}

int mapscan_derive(const struct sov_map_fds *fd, struct pipeline *p, pid_t pid,
		   uint64_t classes)
{
	char path[64], line[PATH_MAX + 128], fpath[128];
	uint64_t add = 0;
	int grown = 0, err;
	FILE *f;

	if ((err = derivable(fd, classes, &add)))
		return err;
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
		snprintf(fpath, sizeof(fpath), "/proc/%d/map_files/%s", (int)pid, range);
		grown += derive_one(fd, p, pid, fpath, add);
	}
	fclose(f);
	return grown;
}

int mapscan_derive_fds(const struct sov_map_fds *fd, struct pipeline *p, pid_t pid,
		       uint64_t classes)
{
	char path[64], fpath[64 + NAME_MAX + 2];
	struct dirent *de;
	struct stat lst;
	uint64_t add = 0;
	int grown = 0, err;
	DIR *d;

	if ((err = derivable(fd, classes, &add)))
		return err;
	if (!add)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		/* The link's own mode is the fd's access: S_IWUSR when it was
		 * opened for writing (procfs), so only those are looked at. */
		if (fstatat(dirfd(d), de->d_name, &lst, AT_SYMLINK_NOFOLLOW) ||
		    !(lst.st_mode & S_IWUSR))
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s", path, de->d_name);
		grown += derive_one(fd, p, pid, fpath, add);
	}
	closedir(d);
	return grown;
}
