// SPDX-License-Identifier: Apache-2.0
/*
 * What both kernel paths share: the pin directory on bpffs, map sizing,
 * links and their pins, the counters.
 *
 * Maps are pinned by name under the pin directory (libbpf's pin_root_path),
 * links under <pin>/links/. A crashed sovd therefore leaves enforcement in
 * place; a restarted one reuses the pinned maps (labels and taint survive),
 * attaches its new links first and only then replaces the old pins, so
 * there is no moment without a program attached.
 *
 * Calls: host.c, log.c, libbpf. Called by kpath_lsm.c, kpath_tracing.c and
 * the modules that read maps (policy_maps.c, labels.c, taint.c, api.c,
 * metrics.c, main.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "agent/host.h"
#include "agent/kpath.h"
#include "agent/log.h"

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[512];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* bpffs is not mounted at boot on every host: mount it where it belongs. */
int kpath_prepare_pin_dir(const char *pin_dir)
{
	struct statfs st;
	char parent[512];
	char *slash;
	int err;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (statfs(parent, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		goto make;
	if (!strcmp(parent, "/sys/fs/bpf")) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_err("failed to mount bpffs at /sys/fs/bpf: %s", strerror(-err));
			return err;
		}
		pr_info("mounted bpffs at /sys/fs/bpf");
		goto make;
	}
	pr_err("pin directory %s is not on a bpf filesystem; mount one (mount -t bpf bpf DIR) or choose --pin-dir under /sys/fs/bpf",
	       pin_dir);
	return -ENOTSUP;
make:
	err = mkdir_p(pin_dir, 0700);
	if (err) {
		pr_err("failed to create pin directory %s: %s", pin_dir, strerror(-err));
		return err;
	}
	return 0;
}

#define SOV_LRU_LOCAL_FREE	128

static unsigned int ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? (unsigned int)n : 1;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint32_t wanted_size(const struct kpath *kp, const struct bpf_map *map,
			    const struct kpath_sizes *sz)
{
	const struct kpath_sized_maps *m = &kp->sized;

	if (map == m->labels)
		return sz->max_labels;
	if (map == m->taint || map == m->taint_exited)
		return sz->max_procs;
	if (map == m->zone4[0] || map == m->zone4[1])
		return max_u32(4096, 2 * sz->n_v4);
	if (map == m->zone6[0] || map == m->zone6[1])
		return max_u32(4096, 2 * sz->n_v6);
	if (map == m->events)
		return (uint32_t)sz->ringbuf;
	/* LRU maps: each CPU's local free list takes up to 128 entries
	 * (kernel/bpf/bpf_lru_list.c LOCAL_FREE_TARGET), and eviction may
	 * start when the global one is empty: room for 4 such lists a CPU */
	if (map == m->ipc)
		return max_u32(16384, (uint32_t)(4 * SOV_LRU_LOCAL_FREE * ncpus()));
	if (map == m->ipc_names)
		return max_u32(4096, (uint32_t)(4 * SOV_LRU_LOCAL_FREE * ncpus()));
	return 0;
}

/*
 * The entries below which an LRU map cannot evict: its size less what the
 * CPUs' local free lists may hold (at most a quarter of it with the sizes
 * above).
 */
static uint64_t lru_safe(int fd)
{
	uint32_t size = kpath_map_capacity(fd);
	uint64_t reserve = (uint64_t)SOV_LRU_LOCAL_FREE * ncpus();

	if (reserve > size / 4)
		reserve = size / 4;
	return size - reserve;
}

int kpath_ipc_arm(struct kpath *kp)
{
	struct sov_ipc_state st = {};
	__u32 zero = 0;

	if (bpf_map_lookup_elem(kp->fd.ipc_state, &zero, &st))
		return -errno;
	st.safe[0] = lru_safe(kp->fd.ipc);
	st.safe[1] = lru_safe(kp->fd.ipc_names);
	if (bpf_map_update_elem(kp->fd.ipc_state, &zero, &st, BPF_ANY))
		return -errno;
	pr_debug("IPC label maps: %llu and %llu entries before eviction",
		 (unsigned long long)st.safe[0], (unsigned long long)st.safe[1]);
	return 0;
}

/*
 * Sizes every map before load: from the pinned map when one will be reused
 * (libbpf refuses to reuse a pin of another size), else from the policy and
 * the options.
 */
int kpath_size_maps(struct kpath *kp, const struct kpath_sizes *sz)
{
	struct bpf_map *map;
	char path[512];

	bpf_object__for_each_map(map, kp->obj) {
		const char *name = bpf_map__name(map);
		uint32_t want = 0;
		int fd;

		if (name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", kp->pin_dir, name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			want = kpath_map_capacity(fd);
			close(fd);
			if (want) {
				pr_debug("reusing pinned map %s (%u entries)", name, want);
				bpf_map__set_max_entries(map, want);
			}
			continue;
		}
		want = wanted_size(kp, map, sz);
		if (want && bpf_map__set_max_entries(map, want)) {
			pr_err("failed to size map %s to %u", name, want);
			return -EINVAL;
		}
	}
	return 0;
}

void kpath_load_failed(const struct kpath *kp, int err)
{
	pr_err("failed to load the %s programs: %s", kpath_name(kp->ops->id), strerror(-err));
	if (err == -EINVAL)
		pr_err("pinned state under %s may come from another sovd version; remove it to start afresh",
		       kp->pin_dir);
}

/* Tracks link; on failure destroys it (an untracked link would never be
 * destroyed nor pinned). */
int kpath_add_link(struct kpath *kp, struct bpf_link *link, const char *name)
{
	struct bpf_link **nl;
	char **nn, *dup;

	nl = realloc(kp->links, (kp->n_links + 1) * sizeof(*nl));
	if (!nl)
		goto nomem;
	kp->links = nl;
	nn = realloc(kp->link_names, (kp->n_links + 1) * sizeof(*nn));
	if (!nn)
		goto nomem;
	kp->link_names = nn;
	dup = strdup(name);
	if (!dup)
		goto nomem;
	kp->links[kp->n_links] = link;
	kp->link_names[kp->n_links] = dup;
	kp->n_links++;
	return 0;
nomem:
	bpf_link__destroy(link);
	pr_err("out of memory attaching %s", name);
	return -ENOMEM;
}

int kpath_attach_prog(struct kpath *kp, struct bpf_program *prog, int cg_fd, const char *name)
{
	struct bpf_link *link;
	int err;

	link = cg_fd >= 0 ? bpf_program__attach_cgroup(prog, cg_fd) :
			    bpf_program__attach(prog);
	if (!link) {
		err = -errno;
		pr_err("failed to attach %s: %s", name, strerror(-err));
		return err;
	}
	return kpath_add_link(kp, link, name);
}

int kpath_open_scope_cgroup(const char *rel)
{
	const char *root = cgroup2_mount();
	char path[512];
	int fd;

	if (!root)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s%s", root, strcmp(rel, "/") ? rel : "");
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		pr_err("failed to open scope cgroup %s: %s", path, strerror(-fd));
	}
	return fd;
}

/*
 * Pins the new links over the old ones. The new link is attached already,
 * so replacing the pin (which detaches the old link) opens no gap.
 */
int kpath_pin_links(struct kpath *kp)
{
	char dir[512], path[768];
	struct dirent *de;
	DIR *dh;
	int err;

	snprintf(dir, sizeof(dir), "%s/links", kp->pin_dir);
	err = mkdir_p(dir, 0700);
	if (err)
		return err;
	for (size_t i = 0; i < kp->n_links; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, kp->link_names[i]);
		if (unlink(path) && errno != ENOENT)
			return -errno;
		/* The raw pin, not bpf_link__pin: libbpf refuses a second pin
		 * of a link, and the self-audit re-pins a removed pin. */
		err = bpf_obj_pin(bpf_link__fd(kp->links[i]), path) ? -errno : 0;
		if (err) {
			pr_err("failed to pin link %s: %s", path, strerror(-err));
			return err;
		}
	}
	/* Links of an earlier run that this run does not have (another path). */
	dh = opendir(dir);
	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		int keep = de->d_name[0] == '.';

		for (size_t i = 0; !keep && i < kp->n_links; i++)
			keep = !strcmp(de->d_name, kp->link_names[i]);
		if (!keep) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			pr_info("removing stale link pin %s", path);
			unlink(path);
		}
	}
	closedir(dh);
	return 0;
}

static void rm_pins(const char *dir)
{
	char path[768];
	struct dirent *de;
	DIR *dh = opendir(dir);

	if (!dh)
		return;
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			rm_pins(path);
		else
			unlink(path);
	}
	closedir(dh);
	rmdir(dir);
}

/*
 * A clean stop: without link pins, closing our fds detaches everything.
 * Labels stay pinned (with the class names that give their bits meaning):
 * a file derived from labelled data keeps its label across a restart.
 * Taint does not: with no exit hook attached, a dead process's entry could
 * be inherited through pid reuse. `rm -r PIN_DIR` forgets labels too.
 */
int kpath_unpin_all(const char *pin_dir)
{
	static const char *const keep[] = { "sov_labels", "sov_label_devs", "sov_classes" };
	char path[768];
	struct dirent *de;
	DIR *dh;

	snprintf(path, sizeof(path), "%s/links", pin_dir);
	rm_pins(path);
	dh = opendir(pin_dir);
	if (!dh)
		return -errno;
	while ((de = readdir(dh))) {
		int k = de->d_name[0] == '.';

		for (size_t i = 0; !k && i < sizeof(keep) / sizeof(keep[0]); i++)
			k = !strcmp(de->d_name, keep[i]);
		if (k)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		unlink(path);
	}
	closedir(dh);
	return 0;
}

void kpath_free_links(struct kpath *kp)
{
	for (size_t i = 0; i < kp->n_links; i++) {
		bpf_link__destroy(kp->links[i]);
		free(kp->link_names[i]);
	}
	free(kp->links);
	free(kp->link_names);
	kp->links = NULL;
	kp->link_names = NULL;
	kp->n_links = 0;
}

int kpath_read_counters(const struct sov_map_fds *fd, struct sov_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sov_counters *per;
	__u32 k = 0;
	int err;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return -EINVAL;
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd->counters, &k, per);
	if (err) {
		err = -errno;
		goto out;
	}
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < SOV_CNT_MAX; i++)
			sum->c[i] += per[c].c[i];
out:
	free(per);
	return err;
}

uint32_t kpath_map_capacity(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

size_t kpath_map_count(int fd)
{
	unsigned char cur[64], next[64];
	void *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(cur, next, sizeof(cur));
		prev = cur;
		n++;
	}
	return n;
}
