// SPDX-License-Identifier: Apache-2.0
/*
 * The labels of the policy's paths (labels.h).
 * Calls: host.c, log.c, libbpf. Called by lifecycle.c, taint.c and
 * label_watch.c (late policy paths and mounts).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "agent/host.h"
#include "agent/kpath.h"
#include "agent/labels.h"
#include "agent/log.h"
#include "policy/policy.h"

static uint64_t hash_key(uint64_t dev, uint64_t ino)
{
	uint64_t h = dev * 0x9E3779B97F4A7C15ull ^ ino;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static struct ulabel *find(struct label_table *t, uint64_t dev, uint64_t ino, int create)
{
	size_t i;

	if (create && (t->n + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 1024;
		struct ulabel *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return NULL;
		for (size_t j = 0; j < t->cap; j++) {
			struct ulabel *o = &t->slot[j];

			if (!o->used)
				continue;
			i = hash_key(o->dev, o->ino) & (ncap - 1);
			while (nt[i].used)
				i = (i + 1) & (ncap - 1);
			nt[i] = *o;
		}
		free(t->slot);
		t->slot = nt;
		t->cap = ncap;
	}
	if (!t->cap)
		return NULL;
	i = hash_key(dev, ino) & (t->cap - 1);
	while (t->slot[i].used) {
		if (t->slot[i].dev == dev && t->slot[i].ino == ino)
			return &t->slot[i];
		i = (i + 1) & (t->cap - 1);
	}
	if (!create)
		return NULL;
	t->slot[i].used = 1;
	t->slot[i].dev = dev;
	t->slot[i].ino = ino;
	t->n++;
	return &t->slot[i];
}

const struct ulabel *labels_find(const struct label_table *t, uint64_t dev, uint64_t ino)
{
	return find((struct label_table *)t, dev, ino, 0);
}

void labels_free(struct label_table *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static int add(struct label_table *t, const char *path, int follow, const struct stat *st,
	       uint64_t classes)
{
	struct ulabel *l = find(t, kdev_from_user(st->st_dev), st->st_ino, 1);
	uint32_t gen;

	if (!l)
		return -ENOMEM;
	l->classes |= classes;
	if (S_ISDIR(st->st_mode))
		l->flags |= SOV_LABEL_DIR;
	/* The generation ties the label to this inode, not to its number
	 * (a new file reusing it after this one is deleted is not labelled). */
	if (!(l->flags & SOV_LABEL_GEN) && !host_inode_gen(path, follow, st->st_ino, &gen)) {
		l->flags |= SOV_LABEL_GEN;
		l->gen = gen;
	}
	return 0;
}

/* nftw() has no user pointer: the walk in progress. */
static struct label_table *walk_t;
static uint64_t walk_classes;
static int walk_err;

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_NS || type == FTW_DNR) {
		pr_warn("cannot read %s below a labelled directory; it stays unlabelled until opened", path);
		return 0;
	}
	walk_err = add(walk_t, path, 0, st, walk_classes);
	return walk_err ? FTW_STOP : FTW_CONTINUE;
}

int labels_collect_path(struct label_table *t, const char *path, uint64_t classes)
{
	struct stat st;

	/* stat, not lstat: a policy path that is a symlink means the data it
	 * points to. Below it, FTW_PHYS. */
	if (stat(path, &st))
		return -ENOENT;
	if (!S_ISDIR(st.st_mode))
		return add(t, path, 1, &st, classes) ? -ENOMEM : 0;
	walk_t = t;
	walk_classes = classes;
	walk_err = 0;
	/* FTW_PHYS: a symlink inside a data set labels the link, not
	 * whatever it points to. */
	if (nftw(path, walk_cb, 64, FTW_PHYS | FTW_ACTIONRETVAL) < 0 || walk_err) {
		int err = walk_err ? walk_err : -errno;

		pr_err("failed to walk %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int labels_collect(struct label_table *t, const struct sov_policy_image *img)
{
	for (size_t c = 0; c < img->n_classes; c++) {
		const struct sov_img_class *cl = &img->classes[c];

		for (size_t p = 0; p < cl->n_paths; p++) {
			int err = labels_collect_path(t, cl->paths[p], 1ull << cl->bit);

			if (err == -ENOENT) {
				pr_warn("class %s: path %s does not exist (yet); it is labelled when it appears",
					cl->name, cl->paths[p]);
				continue;
			}
			if (err)
				return err;
		}
	}
	return 0;
}

int labels_copy(struct label_table *dst, const struct label_table *src)
{
	*dst = *src;
	if (!src->cap)
		return 0;
	dst->slot = malloc(src->cap * sizeof(*src->slot));
	if (!dst->slot) {
		memset(dst, 0, sizeof(*dst));
		return -ENOMEM;
	}
	memcpy(dst->slot, src->slot, src->cap * sizeof(*src->slot));
	return 0;
}

static size_t map_entries(int fd)
{
	struct sov_inode_key cur, next, *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		cur = next;
		prev = &cur;
		n++;
	}
	return n;
}

/* -ENOSPC when the entries of t not yet in the map do not fit. */
static int check_room(const struct label_table *t, const struct sov_map_fds *fd,
		      const char *pin_dir)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	size_t need = 0, have;

	if (bpf_obj_get_info_by_fd(fd->labels, &info, &len))
		return 0;	/* unknown: the writes will tell */
	for (size_t i = 0; i < t->cap; i++) {
		struct sov_inode_key k = { .dev = t->slot[i].dev, .ino = t->slot[i].ino };
		struct sov_label v;

		if (t->slot[i].used && bpf_map_lookup_elem(fd->labels, &k, &v))
			need++;
	}
	have = map_entries(fd->labels);
	if (have + need > info.max_entries) {
		pr_err("the label map is too small for the policy's paths: %zu new labels, room for %zu of %u (raise --max-labels; a map pinned by an earlier run keeps its size until it is removed from %s after a stop)",
		       need, have < info.max_entries ? info.max_entries - have : 0,
		       info.max_entries, pin_dir);
		return -ENOSPC;
	}
	return 0;
}

static int remember(struct label_undo *u, const struct sov_inode_key *k,
		    uint64_t added_classes, uint32_t added_flags, int existed)
{
	if (u->n == u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 256;
		struct label_undo_entry *ne = realloc(u->e, ncap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		u->e = ne;
		u->cap = ncap;
	}
	u->e[u->n++] = (struct label_undo_entry){
		.dev = k->dev, .ino = k->ino, .classes = added_classes, .flags = added_flags,
		.existed = existed,
	};
	return 0;
}

void labels_undo(struct label_undo *u, const struct sov_map_fds *fd)
{
	while (u->n) {
		const struct label_undo_entry *e = &u->e[--u->n];
		struct sov_inode_key k = { .dev = e->dev, .ino = e->ino };
		struct sov_label v = {};

		if (!e->existed) {
			bpf_map_delete_elem(fd->labels, &k);
			continue;
		}
		/* Only what this write added goes: classes the kernel
		 * derived meanwhile stay. */
		if (!bpf_map_lookup_elem(fd->labels, &k, &v)) {
			v.classes &= ~e->classes;
			v.flags &= ~e->flags;
			bpf_map_update_elem(fd->labels, &k, &v, BPF_EXIST);
		}
	}
	labels_undo_free(u);
}

void labels_undo_free(struct label_undo *u)
{
	free(u->e);
	memset(u, 0, sizeof(*u));
}

int labels_write(struct label_table *t, const struct sov_map_fds *fd, const char *pin_dir,
		 struct label_undo *undo)
{
	size_t written = 0;
	__u32 one = 1;
	int err;

	t->dirs = 0;
	err = check_room(t, fd, pin_dir);
	if (err)
		return err;
	for (size_t i = 0; i < t->cap; i++) {
		struct ulabel *l = &t->slot[i];
		struct sov_inode_key k = { .dev = l->dev, .ino = l->ino };
		struct sov_label v = {};
		uint64_t add_c;
		uint32_t add_f;
		int existed;

		if (!l->used)
			continue;
		/* Merge with what the kernel already knows (derived labels,
		 * an earlier run): labels only grow. */
		existed = !bpf_map_lookup_elem(fd->labels, &k, &v);
		if (!existed)
			memset(&v, 0, sizeof(v));
		/* The kernel's label of another generation: a deleted file's,
		 * whose inode number this file reuses. Labels of another
		 * generation do not merge. */
		if (existed && (l->flags & SOV_LABEL_GEN) && (v.flags & SOV_LABEL_GEN) &&
		    v.gen != l->gen)
			memset(&v, 0, sizeof(v));
		add_c = l->classes & ~v.classes;
		add_f = l->flags & ~v.flags;
		v.classes |= l->classes;
		v.flags |= l->flags;
		if (l->flags & SOV_LABEL_GEN)
			v.gen = l->gen;
		if (undo && (!existed || add_c || add_f) &&
		    (err = remember(undo, &k, add_c, add_f, existed)))
			goto fail;
		if (bpf_map_update_elem(fd->labels, &k, &v, BPF_ANY)) {
			err = -errno;
			pr_err("failed to label inode %llu on dev %llu: %s (the label map is full: raise --max-labels; a map pinned by an earlier run keeps its size until it is removed from %s after a stop)",
			       (unsigned long long)l->ino, (unsigned long long)l->dev, strerror(-err),
			       pin_dir);
			if (undo && undo->n && undo->e[undo->n - 1].ino == k.ino &&
			    undo->e[undo->n - 1].dev == k.dev)
				undo->n--;	/* nothing changed for this one */
			goto fail;
		}
		if (l->flags & SOV_LABEL_DIR) {
			t->dirs++;
			if (bpf_map_update_elem(fd->label_devs, &l->dev, &one, BPF_ANY)) {
				err = -errno;
				pr_err("failed to record labelled device %llu: %s",
				       (unsigned long long)l->dev, strerror(-err));
				goto fail;
			}
		}
		written++;
	}
	pr_info("labelled %zu inodes (%llu directories)", written,
		(unsigned long long)t->dirs);
	return 0;
fail:
	if (undo)
		labels_undo(undo, fd);
	return err;
}
