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
};

struct label_table {
	struct ulabel *slot;
	size_t cap, n;
	uint64_t dirs;		/* directories written */
};

/* Walks the policy's paths into t (adding to what it holds). */
int labels_collect(struct label_table *t, const struct sov_policy_image *img);
/* Writes t into the label maps, merging with labels already there. */
int labels_write(struct label_table *t, const struct sov_map_fds *fd, const char *pin_dir);
const struct ulabel *labels_find(const struct label_table *t, uint64_t dev, uint64_t ino);
void labels_free(struct label_table *t);

#endif
