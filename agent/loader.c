// SPDX-License-Identifier: Apache-2.0
/*
 * Loading, attaching and pinning a kernel path.
 *
 * Maps are pinned by name under the pin directory (libbpf's pin_root_path),
 * links under <pin>/links/. A crashed sovd therefore leaves enforcement in
 * place; a restarted one reuses the pinned maps (labels and taint survive),
 * attaches its new links first and only then replaces the old pins, so
 * there is no moment without a program attached.
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
#include "agent/log.h"
#include "agent/sovd.h"
#include "tracing.skel.h"
#include "lsm.skel.h"

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
static int ensure_bpffs(const char *pin_dir)
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

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/*
 * Sizes every map before load: from the pinned map when one will be reused
 * (libbpf refuses to reuse a pin of another size), else from the policy and
 * the options.
 */
static int size_maps(struct sovd *d)
{
	struct bpf_map *map;
	char path[512];

	bpf_object__for_each_map(map, d->obj) {
		const char *name = bpf_map__name(map);
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		uint32_t want = 0;
		int fd;

		if (name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->o.pin_dir, name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (!bpf_obj_get_info_by_fd(fd, &info, &len))
				want = info.max_entries;
			close(fd);
			if (want) {
				pr_debug("reusing pinned map %s (%u entries)", name, want);
				bpf_map__set_max_entries(map, want);
			}
			continue;
		}
		if (!strcmp(name, "sov_labels"))
			want = d->o.max_labels;
		else if (!strcmp(name, "sov_taint"))
			want = d->o.max_procs;
		else if (!strncmp(name, "sov_zone4_", 10))
			want = max_u32(4096, 2 * (uint32_t)d->img->n_v4);
		else if (!strncmp(name, "sov_zone6_", 10))
			want = max_u32(4096, 2 * (uint32_t)d->img->n_v6);
		else if (!strcmp(name, "sov_events"))
			want = (uint32_t)d->o.ringbuf_size;
		if (want && bpf_map__set_max_entries(map, want)) {
			pr_err("failed to size map %s to %u", name, want);
			return -EINVAL;
		}
	}
	return 0;
}

static int map_fd(struct sovd *d, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(d->obj, name);

	return m ? bpf_map__fd(m) : -1;
}

int loader_open_load(struct sovd *d)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = d->o.pin_dir);
	int err;

	err = ensure_bpffs(d->o.pin_dir);
	if (err)
		return err;

	if (d->mode == SOVD_MODE_LSM) {
		struct sov_lsm *s = sov_lsm__open_opts(&oo);

		if (!s)
			return -errno;
		d->skel = s;
		d->obj = s->obj;
	} else {
		struct sov_tracing *s = sov_tracing__open_opts(&oo);

		if (!s)
			return -errno;
		d->skel = s;
		d->obj = s->obj;
	}

	err = size_maps(d);
	if (err)
		return err;

	err = d->mode == SOVD_MODE_LSM ? sov_lsm__load(d->skel) : sov_tracing__load(d->skel);
	if (err) {
		pr_err("failed to load the %s programs: %s", mode_name(d->mode), strerror(-err));
		if (err == -EINVAL)
			pr_err("pinned state under %s may come from another sovd version; remove it to start afresh",
			       d->o.pin_dir);
		return err;
	}

	d->map_labels = map_fd(d, "sov_labels");
	d->map_label_devs = map_fd(d, "sov_label_devs");
	d->map_taint = map_fd(d, "sov_taint");
	d->map_config = map_fd(d, "sov_config");
	d->map_zone4[0] = map_fd(d, "sov_zone4_0");
	d->map_zone4[1] = map_fd(d, "sov_zone4_1");
	d->map_zone6[0] = map_fd(d, "sov_zone6_0");
	d->map_zone6[1] = map_fd(d, "sov_zone6_1");
	d->map_zone_rules = map_fd(d, "sov_zone_rules");
	d->map_counters = map_fd(d, "sov_counters");
	d->map_scope = map_fd(d, "sov_scope");
	d->map_classes = map_fd(d, "sov_classes");
	return 0;
}

static int add_link(struct sovd *d, struct bpf_link *link, const char *name)
{
	struct bpf_link **nl;
	char **nn;

	nl = realloc(d->links, (d->n_links + 1) * sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	d->links = nl;
	nn = realloc(d->link_names, (d->n_links + 1) * sizeof(*nn));
	if (!nn)
		return -ENOMEM;
	d->link_names = nn;
	d->links[d->n_links] = link;
	d->link_names[d->n_links] = strdup(name);
	if (!d->link_names[d->n_links])
		return -ENOMEM;
	d->n_links++;
	return 0;
}

static int attach_prog(struct sovd *d, struct bpf_program *prog, int cg_fd,
		       const char *name)
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
	return add_link(d, link, name);
}

/*
 * Pins the new links over the old ones. The new link is attached already,
 * so replacing the pin (which detaches the old link) opens no gap.
 */
static int pin_links(struct sovd *d)
{
	char dir[512], path[768];
	struct dirent *de;
	DIR *dh;
	int err;

	snprintf(dir, sizeof(dir), "%s/links", d->o.pin_dir);
	err = mkdir_p(dir, 0700);
	if (err)
		return err;
	for (size_t i = 0; i < d->n_links; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->link_names[i]);
		if (unlink(path) && errno != ENOENT)
			return -errno;
		err = bpf_link__pin(d->links[i], path);
		if (err) {
			pr_err("failed to pin link %s: %s", path, strerror(-err));
			return err;
		}
	}
	/* Links of an earlier run that this run does not have (another mode). */
	dh = opendir(dir);
	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		int keep = de->d_name[0] == '.';

		for (size_t i = 0; !keep && i < d->n_links; i++)
			keep = !strcmp(de->d_name, d->link_names[i]);
		if (!keep) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			pr_info("removing stale link pin %s", path);
			unlink(path);
		}
	}
	closedir(dh);
	return 0;
}

static int open_scope_cgroup(const char *rel)
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

int loader_attach(struct sovd *d)
{
	char name[128];
	int err = 0;

	if (d->mode == SOVD_MODE_LSM) {
		struct sov_lsm *s = d->skel;

		if ((err = attach_prog(d, s->progs.sov_file_open, -1, "file_open")) ||
		    (err = attach_prog(d, s->progs.sov_socket_connect, -1, "socket_connect")) ||
		    (err = attach_prog(d, s->progs.sov_socket_sendmsg, -1, "socket_sendmsg")) ||
		    (err = attach_prog(d, s->progs.sov_fork, -1, "fork")) ||
		    (err = attach_prog(d, s->progs.sov_exit, -1, "exit")))
			return err;
		return pin_links(d);
	}

	struct sov_tracing *s = d->skel;

	if ((err = attach_prog(d, s->progs.sov_sys_exit, -1, "sys_exit")) ||
	    (err = attach_prog(d, s->progs.sov_fork, -1, "fork")) ||
	    (err = attach_prog(d, s->progs.sov_exit, -1, "exit")))
		return err;
	for (size_t i = 0; i < d->img->n_scope; i++) {
		struct { struct bpf_program *p; const char *n; } progs[] = {
			{ s->progs.sov_connect4, "connect4" },
			{ s->progs.sov_connect6, "connect6" },
			{ s->progs.sov_sendmsg4, "sendmsg4" },
			{ s->progs.sov_sendmsg6, "sendmsg6" },
			{ s->progs.sov_skb_egress, "skb_egress" },
			{ s->progs.sov_bind4, "bind4" },
			{ s->progs.sov_bind6, "bind6" },
		};
		int cg = open_scope_cgroup(d->img->scope_cgroups[i]);

		if (cg < 0)
			return cg;
		for (size_t j = 0; j < sizeof(progs) / sizeof(progs[0]); j++) {
			snprintf(name, sizeof(name), "%s@%zu", progs[j].n, i);
			err = attach_prog(d, progs[j].p, cg, name);
			if (err)
				break;
		}
		close(cg);
		if (err)
			return err;
	}
	return pin_links(d);
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
int loader_unpin_all(struct sovd *d)
{
	static const char *const keep[] = { "sov_labels", "sov_label_devs", "sov_classes" };
	char path[768];
	struct dirent *de;
	DIR *dh;

	snprintf(path, sizeof(path), "%s/links", d->o.pin_dir);
	rm_pins(path);
	dh = opendir(d->o.pin_dir);
	if (!dh)
		return -errno;
	while ((de = readdir(dh))) {
		int k = de->d_name[0] == '.';

		for (size_t i = 0; !k && i < sizeof(keep) / sizeof(keep[0]); i++)
			k = !strcmp(de->d_name, keep[i]);
		if (k)
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->o.pin_dir, de->d_name);
		unlink(path);
	}
	closedir(dh);
	return 0;
}

void loader_destroy(struct sovd *d)
{
	for (size_t i = 0; i < d->n_links; i++) {
		bpf_link__destroy(d->links[i]);
		free(d->link_names[i]);
	}
	free(d->links);
	free(d->link_names);
	d->links = NULL;
	d->link_names = NULL;
	d->n_links = 0;
	if (d->skel) {
		if (d->mode == SOVD_MODE_LSM)
			sov_lsm__destroy(d->skel);
		else
			sov_tracing__destroy(d->skel);
	}
	d->skel = NULL;
	d->obj = NULL;
}

int loader_read_counters(struct sovd *d, struct sov_counters *sum)
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
	err = bpf_map_lookup_elem(d->map_counters, &k, per);
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
