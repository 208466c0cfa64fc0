/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The labels sovd itself sets from the policy's paths: (dev, ino) ->
 * classes, collected by walking the paths (no kernel access), then written
 * into the label maps.
 */
#ifndef SOVD_LABELS_H
#define SOVD_LABELS_H

#include <stddef.h>
#include <stdint.h>

struct sov_policy_image;
struct sov_map_fds;

struct ulabel {
	uint64_t dev, ino, classes;
	uint32_t flags, used;
	uint32_t gen;		/* i_generation, valid with SOV_LABEL_GEN in flags */
};

struct label_table {
	struct ulabel *slot;
	size_t cap, n;
	uint64_t dirs;		/* directories written */
};

/* What labels_write changed, to take it back (a failed apply). */
struct label_undo {
	struct label_undo_entry {
		uint64_t dev, ino, classes;	/* the classes and flags it added */
		uint32_t flags, existed;
	} *e;
	size_t n, cap;
};

/* Walks one path (a file, or a directory and all below it) into t with
 * 'classes'. -ENOENT when it does not exist. */
int labels_collect_path(struct label_table *t, const char *path, uint64_t classes);
/* Walks the policy's paths into t (adding to what it holds). */
int labels_collect(struct label_table *t, const struct sov_policy_image *img);
/*
 * Writes t into the label maps, merging with labels already there. Refuses
 * (-ENOSPC, nothing written) when the new entries do not fit in the label
 * map. With undo, records what it changed and, if a write fails anyway
 * (the kernel adds derived labels meanwhile), takes it all back.
 */
int labels_write(struct label_table *t, const struct sov_map_fds *fd, const char *pin_dir,
		 struct label_undo *undo);
/* Restores what labels_write recorded in undo; frees it. */
void labels_undo(struct label_undo *undo, const struct sov_map_fds *fd);
void labels_undo_free(struct label_undo *undo);
/* dst = a copy of src (dst's old contents are not freed). */
int labels_copy(struct label_table *dst, const struct label_table *src);
const struct ulabel *labels_find(const struct label_table *t, uint64_t dev, uint64_t ino);
void labels_free(struct label_table *t);

#endif
