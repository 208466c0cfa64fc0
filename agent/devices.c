// SPDX-License-Identifier: Apache-2.0
/*
 * RDMA devices beyond the fixed major into sov_rdma_devs (devices.h).
 *
 * ib_uverbs and ib_umad register the fixed major 231 (IB_UVERBS_MAJOR,
 * judged in the kernel without a lookup) and, at module load, a dynamic
 * major each for the devices beyond the fixed minors (more than 32 uverbs
 * devices or umad ports); /proc/devices lists them under the same names.
 * rdma_ucm's rdma_cm is a misc device (major 10) with a dynamic minor.
 *
 * Calls: log.c, libbpf. Called by main.c and pipeline.c (held devices).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include "sov/abi.h"
#include "agent/devices.h"
#include "agent/log.h"

static size_t add(struct rdma_dev *out, size_t n, size_t max, uint32_t key, uint32_t kind)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].key == key)
			return n;
	if (n < max)
		out[n++] = (struct rdma_dev){ .key = key, .kind = kind };
	return n;
}

size_t rdma_devs_scan(const char *proc_devices, const char *misc_dev,
		      struct rdma_dev *out, size_t max)
{
	unsigned int major, minor;
	char line[256], name[128];
	int chr = 0;
	size_t n = 0;
	FILE *f;

	f = fopen(proc_devices, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Character devices:", 18)) {
				chr = 1;
				continue;
			}
			if (!strncmp(line, "Block devices:", 14))
				chr = 0;
			if (!chr || sscanf(line, "%u %127s", &major, name) != 2)
				continue;
			if (major == SOV_RDMA_MAJOR || major >= 4096)
				continue;
			if (!strcmp(name, "infiniband_verbs"))
				n = add(out, n, max, SOV_DEV(major, SOV_DEV_ANY_MINOR), SOV_RDMA_VERBS);
			else if (!strcmp(name, "infiniband_mad"))
				n = add(out, n, max, SOV_DEV(major, SOV_DEV_ANY_MINOR), SOV_RDMA_MAD);
		}
		fclose(f);
	}
	f = fopen(misc_dev, "re");
	if (f) {
		if (fscanf(f, "%u:%u", &major, &minor) == 2 && major < 4096 &&
		    minor < SOV_DEV_ANY_MINOR)
			n = add(out, n, max, SOV_DEV(major, minor), SOV_RDMA_CM);
		fclose(f);
	}
	return n;
}

/* What the last sync wrote: rdma_held_devs() judges by the same set. */
static struct rdma_dev known[SOV_RDMA_DEVS_MAX];
static size_t n_known;

static int is_rdma(uint32_t major, uint32_t minor)
{
	if (major == SOV_RDMA_MAJOR)
		return 1;
	for (size_t i = 0; i < n_known; i++)
		if (known[i].key == SOV_DEV(major, SOV_DEV_ANY_MINOR) ||
		    known[i].key == SOV_DEV(major, minor))
			return 1;
	return 0;
}

size_t rdma_held_devs(pid_t pid, uint32_t *out, size_t max)
{
	char dir[64], path[64 + 256];
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		uint32_t dev;
		size_t i;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) || !S_ISCHR(st.st_mode) ||
		    !is_rdma(major(st.st_rdev), minor(st.st_rdev)))
			continue;
		dev = SOV_DEV(major(st.st_rdev), minor(st.st_rdev));
		for (i = 0; i < n && out[i] != dev; i++)
			;
		if (i == n)
			out[n++] = dev;
	}
	closedir(d);
	return n;
}

int rdma_devs_sync(int map_fd)
{
	struct rdma_dev want[SOV_RDMA_DEVS_MAX];
	__u32 key, next, val, stale[SOV_RDMA_DEVS_MAX];
	size_t n, n_stale = 0;
	int changed = 0;
	void *prev = NULL;

	n = rdma_devs_scan("/proc/devices", "/sys/class/misc/rdma_cm/dev", want,
			   SOV_RDMA_DEVS_MAX);
	memcpy(known, want, n * sizeof(want[0]));
	n_known = n;
	for (size_t i = 0; i < n; i++) {
		if (!bpf_map_lookup_elem(map_fd, &want[i].key, &val) && val == want[i].kind)
			continue;
		if (bpf_map_update_elem(map_fd, &want[i].key, &want[i].kind, BPF_ANY)) {
			int err = -errno;

			pr_err("failed to record RDMA device %u:%u: %s", want[i].key >> SOV_MINORBITS,
			       want[i].key & SOV_DEV_ANY_MINOR, strerror(-err));
			return err;
		}
		if ((want[i].key & SOV_DEV_ANY_MINOR) == SOV_DEV_ANY_MINOR)
			pr_info("RDMA devices of major %u (%s) are governed", want[i].key >> SOV_MINORBITS,
				want[i].kind == SOV_RDMA_VERBS ? "infiniband_verbs" : "infiniband_mad");
		else
			pr_info("RDMA device rdma_cm %u:%u is governed", want[i].key >> SOV_MINORBITS,
				want[i].key & SOV_DEV_ANY_MINOR);
		changed++;
	}
	while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
		int found = 0;

		key = next;
		prev = &key;
		for (size_t i = 0; i < n && !found; i++)
			found = want[i].key == key;
		if (!found && n_stale < SOV_RDMA_DEVS_MAX)
			stale[n_stale++] = key;
	}
	for (size_t i = 0; i < n_stale; i++) {
		if (bpf_map_delete_elem(map_fd, &stale[i]) == 0)
			changed++;
	}
	return changed;
}
