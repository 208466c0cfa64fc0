// SPDX-License-Identifier: Apache-2.0
/*
 * From the compiled policy into the kernel: the zone tables, the per-zone
 * rules and the configuration; the labels of the policy's paths; the taint
 * of processes that already hold a labelled file open when sovd starts.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent/log.h"
#include "agent/sovd.h"

/* stat() reports new_encode_dev(s_dev); the kernel programs see s_dev. */
uint64_t kdev_from_user(dev_t dev)
{
	return ((uint64_t)major(dev) << 20) | minor(dev);
}

static uint64_t hash_key(uint64_t dev, uint64_t ino)
{
	uint64_t h = dev * 0x9E3779B97F4A7C15ull ^ ino;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static struct ulabel *ulabel_find(struct sovd *d, uint64_t dev, uint64_t ino, int create)
{
	size_t i;

	if (create && (d->n_ulabels + 1) * 2 > d->ulabels_cap) {
		size_t ncap = d->ulabels_cap ? d->ulabels_cap * 2 : 1024;
		struct ulabel *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return NULL;
		for (size_t j = 0; j < d->ulabels_cap; j++) {
			struct ulabel *o = &d->ulabels[j];

			if (!o->used)
				continue;
			i = hash_key(o->dev, o->ino) & (ncap - 1);
			while (nt[i].used)
				i = (i + 1) & (ncap - 1);
			nt[i] = *o;
		}
		free(d->ulabels);
		d->ulabels = nt;
		d->ulabels_cap = ncap;
	}
	if (!d->ulabels_cap)
		return NULL;
	i = hash_key(dev, ino) & (d->ulabels_cap - 1);
	while (d->ulabels[i].used) {
		if (d->ulabels[i].dev == dev && d->ulabels[i].ino == ino)
			return &d->ulabels[i];
		i = (i + 1) & (d->ulabels_cap - 1);
	}
	if (!create)
		return NULL;
	d->ulabels[i].used = 1;
	d->ulabels[i].dev = dev;
	d->ulabels[i].ino = ino;
	d->n_ulabels++;
	return &d->ulabels[i];
}

static int ulabel_add(struct sovd *d, const struct stat *st, uint64_t classes)
{
	struct ulabel *l = ulabel_find(d, kdev_from_user(st->st_dev), st->st_ino, 1);

	if (!l)
		return -ENOMEM;
	l->classes |= classes;
	if (S_ISDIR(st->st_mode))
		l->flags |= SOV_LABEL_DIR;
	return 0;
}

/* nftw() has no user pointer: the walk in progress. */
static struct sovd *walk_d;
static uint64_t walk_classes;
static int walk_err;

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_NS || type == FTW_DNR) {
		pr_warn("cannot read %s below a labelled directory; it stays unlabelled until opened", path);
		return 0;
	}
	walk_err = ulabel_add(walk_d, st, walk_classes);
	return walk_err ? FTW_STOP : FTW_CONTINUE;
}

int sync_collect_labels(struct sovd *d, const struct sov_policy_image *img)
{
	for (size_t c = 0; c < img->n_classes; c++) {
		const struct sov_img_class *cl = &img->classes[c];

		for (size_t p = 0; p < cl->n_paths; p++) {
			struct stat st;

			/* stat, not lstat: a policy path that is a symlink
			 * means the data it points to. Below it, FTW_PHYS. */
			if (stat(cl->paths[p], &st)) {
				pr_warn("class %s: path %s does not exist (yet); it is not labelled",
					cl->name, cl->paths[p]);
				continue;
			}
			if (!S_ISDIR(st.st_mode)) {
				if (ulabel_add(d, &st, 1ull << cl->bit))
					return -ENOMEM;
				continue;
			}
			walk_d = d;
			walk_classes = 1ull << cl->bit;
			walk_err = 0;
			/* FTW_PHYS: a symlink inside a data set labels the link, not
			 * whatever it points to. */
			if (nftw(cl->paths[p], walk_cb, 64, FTW_PHYS | FTW_ACTIONRETVAL) < 0 || walk_err) {
				pr_err("failed to walk %s: %s", cl->paths[p],
				       strerror(walk_err ? -walk_err : errno));
				return walk_err ? walk_err : -errno;
			}
		}
	}
	return 0;
}

int sync_write_labels(struct sovd *d)
{
	size_t written = 0;
	__u32 one = 1;

	d->label_dirs = 0;
	for (size_t i = 0; i < d->ulabels_cap; i++) {
		struct ulabel *l = &d->ulabels[i];
		struct sov_inode_key k = { .dev = l->dev, .ino = l->ino };
		struct sov_label v = {};

		if (!l->used)
			continue;
		/* Merge with what the kernel already knows (derived labels,
		 * an earlier run): labels only grow. */
		if (bpf_map_lookup_elem(d->map_labels, &k, &v))
			memset(&v, 0, sizeof(v));
		v.classes |= l->classes;
		v.flags |= l->flags;
		if (bpf_map_update_elem(d->map_labels, &k, &v, BPF_ANY)) {
			int err = -errno;

			pr_err("failed to label inode %llu on dev %llu: %s (the label map is full: raise --max-labels; a map pinned by an earlier run keeps its size until it is removed from %s after a stop)",
			       (unsigned long long)l->ino, (unsigned long long)l->dev, strerror(-err),
			       d->o.pin_dir);
			return err;
		}
		if (l->flags & SOV_LABEL_DIR) {
			d->label_dirs++;
			if (bpf_map_update_elem(d->map_label_devs, &l->dev, &one, BPF_ANY)) {
				int err = -errno;

				pr_err("failed to record labelled device %llu: %s",
				       (unsigned long long)l->dev, strerror(-err));
				return err;
			}
		}
		written++;
	}
	pr_info("labelled %zu inodes (%llu directories)", written,
		(unsigned long long)d->label_dirs);
	return 0;
}

static uint32_t map_capacity(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

/* Empties an LPM trie (the inactive half, before it is filled). */
static int lpm_clear(int fd, size_t ksz)
{
	unsigned char key[sizeof(struct sov_lpm6_key)];

	/* Deleting the first key each time avoids iterating a changing map. */
	while (bpf_map_get_next_key(fd, NULL, key) == 0) {
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
			return -errno;
	}
	(void)ksz;
	return 0;
}

static int lpm_fill(int fd, const void *keys, const uint32_t *zones, size_t n, size_t ksz)
{
	for (size_t i = 0; i < n; i++) {
		struct sov_zone_val v = { .zone = zones[i] };

		if (bpf_map_update_elem(fd, (const char *)keys + i * ksz, &v, BPF_ANY)) {
			int err = -errno;

			pr_err("failed to write zone prefix %zu of %zu: %s", i, n, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int read_config(struct sovd *d, struct sov_config *cfg)
{
	__u32 key0 = 0;

	memset(cfg, 0, sizeof(*cfg));
	return bpf_map_lookup_elem(d->map_config, &key0, cfg) ? -errno : 0;
}

int sync_policy_stage(struct sovd *d, const struct sov_policy_image *img)
{
	struct sov_lpm4_key *k4 = NULL;
	struct sov_lpm6_key *k6 = NULL;
	uint32_t *z4 = NULL, *z6 = NULL, half, nrules;
	struct sov_config cur;
	int err = 0;

	if (img->n_zones > SOV_MAX_ZONES) {
		pr_err("policy has %zu zones; at most %d are supported", img->n_zones, SOV_MAX_ZONES);
		return -E2BIG;
	}
	err = read_config(d, &cur);
	if (err)
		return err;
	half = !cur.active;
	/* Check capacity before writing anything. */
	if (img->n_v4 > map_capacity(d->map_zone4[half]) ||
	    img->n_v6 > map_capacity(d->map_zone6[half])) {
		pr_err("the policy has %zu IPv4 and %zu IPv6 zone entries; the kernel tables hold %u and %u: restart sovd to grow them",
		       img->n_v4, img->n_v6, map_capacity(d->map_zone4[half]),
		       map_capacity(d->map_zone6[half]));
		return -E2BIG;
	}
	k4 = calloc(img->n_v4 + 1, sizeof(*k4));
	z4 = calloc(img->n_v4 + 1, sizeof(*z4));
	k6 = calloc(img->n_v6 + 1, sizeof(*k6));
	z6 = calloc(img->n_v6 + 1, sizeof(*z6));
	if (!k4 || !z4 || !k6 || !z6) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < img->n_v4; i++) {
		k4[i].prefixlen = img->v4[i].plen;
		memcpy(k4[i].addr, img->v4[i].addr, 4);
		z4[i] = img->v4[i].zone;
	}
	for (size_t i = 0; i < img->n_v6; i++) {
		k6[i].prefixlen = img->v6[i].plen;
		memcpy(k6[i].addr, img->v6[i].addr, 16);
		z6[i] = img->v6[i].zone;
	}

	/* Rules of the inactive half; slots past the policy's zones allow
	 * nothing. Every slot once per half and run, then only the used ones. */
	nrules = d->rules_written[half] ? d->rules_written[half] : SOV_MAX_ZONES;
	if (nrules < img->n_zones)
		nrules = img->n_zones;
	for (uint32_t z = 0; z < nrules; z++) {
		struct sov_zone_rule r = { .allowed = z < img->n_zones ? img->zone_allowed[z] : 0 };
		__u32 idx = half * SOV_MAX_ZONES + z;

		if (bpf_map_update_elem(d->map_zone_rules, &idx, &r, BPF_ANY)) {
			err = -errno;
			pr_err("failed to write zone rule %u: %s", z, strerror(-err));
			goto out;
		}
	}
	d->rules_written[half] = img->n_zones;

	if ((err = lpm_clear(d->map_zone4[half], sizeof(*k4))) ||
	    (err = lpm_clear(d->map_zone6[half], sizeof(*k6))) ||
	    (err = lpm_fill(d->map_zone4[half], k4, z4, img->n_v4, sizeof(*k4))) ||
	    (err = lpm_fill(d->map_zone6[half], k6, z6, img->n_v6, sizeof(*k6))))
		goto out;

	/* LSM path: the scope cgroups, checked by the hooks themselves. */
	if (d->mode == SOVD_MODE_LSM) {
		const char *root = cgroup2_mount();
		int all = 0;

		for (size_t i = 0; i < img->n_scope; i++)
			all |= !strcmp(img->scope_cgroups[i], "/");
		if (!all && img->n_scope > SOV_MAX_SCOPE) {
			pr_err("at most %d scope cgroups are supported", SOV_MAX_SCOPE);
			err = -E2BIG;
			goto out;
		}
		for (__u32 i = 0; !all && i < img->n_scope; i++) {
			char path[512];
			int cg;

			snprintf(path, sizeof(path), "%s%s", root ? root : "", img->scope_cgroups[i]);
			cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cg < 0 || bpf_map_update_elem(d->map_scope, &i, &cg, BPF_ANY)) {
				err = -errno;
				pr_err("failed to add scope cgroup %s: %s", path, strerror(-err));
				if (cg >= 0)
					close(cg);
				goto out;
			}
			close(cg);
		}
	}
	d->staged = half;
out:
	free(k4);
	free(z4);
	free(k6);
	free(z6);
	return err;
}

int sync_policy_commit(struct sovd *d, const struct sov_policy_image *img, uint32_t generation)
{
	struct sov_config cfg = {};
	__u32 key0 = 0;
	int all = 0;

	for (size_t i = 0; i < img->n_scope; i++)
		all |= !strcmp(img->scope_cgroups[i], "/");
	cfg.n_scope = d->mode == SOVD_MODE_LSM && !all ? img->n_scope : 0;
	cfg.block_classes = img->block_classes;
	cfg.derive_classes = img->derive_classes;
	cfg.mode = img->mode == SOV_POLICY_AUDIT ? SOV_MODE_AUDIT : SOV_MODE_ENFORCE;
	cfg.generation = generation;
	cfg.active = d->staged;
	memcpy(&cfg.policy_hash, img->sha256, sizeof(cfg.policy_hash));
	/* One write: the hooks see the old policy or the new one, whole. */
	if (bpf_map_update_elem(d->map_config, &key0, &cfg, BPF_ANY)) {
		int err = -errno;

		pr_err("failed to write config: %s", strerror(-err));
		return err;
	}
	return 0;
}

size_t sync_map_count(int fd)
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

/* O_WRONLY opens do not taint; /proc/PID/fdinfo/N has the flags in octal. */
static int fd_readable(const char *pid, const char *fd)
{
	char path[600], line[128];
	int readable = 1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long flags;

		if (sscanf(line, "flags: %lo", &flags) == 1) {
			readable = (flags & O_ACCMODE) != O_WRONLY;
			break;
		}
	}
	fclose(f);
	return readable;
}

/* Taints processes that already hold a labelled file open for reading. */
int sync_scan_proc(struct sovd *d)
{
	struct dirent *pe, *fe;
	size_t tainted = 0;
	DIR *proc, *fds;
	char path[300];
	pid_t self = getpid();

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((pe = readdir(proc))) {
		char *end;
		long pid = strtol(pe->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			char fpath[300], target[PATH_MAX];
			struct ulabel *l;
			struct stat st;
			ssize_t n;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(fpath, sizeof(fpath), "/proc/%ld/fd/%s", pid, fe->d_name);
			if (stat(fpath, &st) || S_ISDIR(st.st_mode))
				continue;
			/* The kernel's labels, derived ones included (they
			 * outlive a clean restart), and sovd's own. */
			struct sov_inode_key k = {
				.dev = kdev_from_user(st.st_dev), .ino = st.st_ino,
			};
			struct sov_label kl = {};
			uint64_t classes = 0;

			l = ulabel_find(d, k.dev, k.ino, 0);
			if (l)
				classes |= l->classes;
			if (!bpf_map_lookup_elem(d->map_labels, &k, &kl))
				classes |= kl.classes;
			if (!classes || !fd_readable(pe->d_name, fe->d_name))
				continue;

			__u32 tgid = pid;
			struct sov_taint t = {};

			if (bpf_map_lookup_elem(d->map_taint, &tgid, &t)) {
				memset(&t, 0, sizeof(t));
				t.dev = k.dev;
				t.ino = k.ino;
			}
			if ((t.classes | classes) == t.classes)
				continue;
			t.classes |= classes;
			if (bpf_map_update_elem(d->map_taint, &tgid, &t, BPF_ANY)) {
				pr_warn("failed to taint pid %ld: %s", pid, strerror(errno));
				continue;
			}
			n = readlink(fpath, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
			events_emit_taint_user(d, pid, t.classes, target, k.dev, k.ino);
			tainted++;
		}
		closedir(fds);
	}
	closedir(proc);
	if (tainted)
		pr_info("tainted %zu running processes holding labelled files", tainted);
	return 0;
}

static uint64_t remap_mask(uint64_t m, const int *to)
{
	uint64_t out = 0;

	for (int b = 0; b < SOV_MAX_CLASSES; b++)
		if ((m & (1ull << b)) && to[b] >= 0)
			out |= 1ull << to[b];
	return out;
}

/*
 * Labels outlive sovd (derived labels are pinned across a clean restart),
 * but class bits are policy order. sov_classes says what each pinned bit
 * meant; bits are renumbered by name, and classes the new policy no longer
 * has are dropped (with a warning: nothing enforces them any more).
 */
int sync_remap_classes(struct sovd *d, const struct sov_policy_image *img)
{
	int to[SOV_MAX_CLASSES], identity = 1, fd;
	unsigned char cur[sizeof(struct sov_inode_key)], next[sizeof(struct sov_inode_key)];
	void *prev = NULL;
	size_t n = 0;

	fd = d->map_classes;
	for (__u32 b = 0; b < SOV_MAX_CLASSES; b++) {
		struct sov_class_name old = {};

		to[b] = -1;
		if (bpf_map_lookup_elem(fd, &b, &old) || !old.name[0])
			continue;
		for (size_t c = 0; c < img->n_classes; c++)
			if (!strncmp(old.name, img->classes[c].name, sizeof(old.name)))
				to[b] = img->classes[c].bit;
		if (to[b] != (int)b)
			identity = 0;
		if (to[b] < 0)
			pr_warn("class %.63s is no longer in the policy: its labels are dropped", old.name);
	}
	if (!identity) {
		pr_info("policy renumbers classes: rewriting pinned labels and taint");
		while (bpf_map_get_next_key(d->map_labels, prev, next) == 0) {
			struct sov_label v;

			memcpy(cur, next, sizeof(cur));
			prev = cur;
			if (bpf_map_lookup_elem(d->map_labels, cur, &v))
				continue;
			v.classes = remap_mask(v.classes, to);
			bpf_map_update_elem(d->map_labels, cur, &v, BPF_EXIST);
			n++;
		}
		prev = NULL;
		while (bpf_map_get_next_key(d->map_taint, prev, next) == 0) {
			struct sov_taint t;

			memcpy(cur, next, sizeof(__u32));
			prev = cur;
			if (bpf_map_lookup_elem(d->map_taint, cur, &t))
				continue;
			t.classes = remap_mask(t.classes, to);
			bpf_map_update_elem(d->map_taint, cur, &t, BPF_EXIST);
		}
		pr_info("rewrote %zu labels", n);
	}
	for (__u32 b = 0; b < SOV_MAX_CLASSES; b++) {
		struct sov_class_name nm = {};

		if (b < img->n_classes)
			snprintf(nm.name, sizeof(nm.name), "%s", img->classes[b].name);
		if (bpf_map_update_elem(fd, &b, &nm, BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * Exited processes keep their taint entry for SOV_TAINT_LINGER_S (their
 * sockets may still send queued data); afterwards it is removed here.
 * Returns the number of live tainted processes.
 */
size_t sync_gc_taint(struct sovd *d)
{
	struct timespec ts;
	__u32 cur, next, *prev = NULL;
	__u32 stale[256];
	size_t live = 0, nstale = 0;
	uint64_t now;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	while (bpf_map_get_next_key(d->map_taint, prev, &next) == 0) {
		struct sov_taint t;

		cur = next;
		prev = &cur;
		if (bpf_map_lookup_elem(d->map_taint, &cur, &t))
			continue;
		if (!t.exited_ns)
			live++;
		else if (now > t.exited_ns &&
			 now - t.exited_ns > SOV_TAINT_LINGER_S * 1000000000ull &&
			 nstale < sizeof(stale) / sizeof(stale[0]))
			stale[nstale++] = cur;
	}
	for (size_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(d->map_taint, &stale[i]);
	return live;
}
