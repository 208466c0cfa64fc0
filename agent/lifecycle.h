/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy lifecycle, one for start-up, SIGHUP and the socket's apply:
 * compile, check compatibility with the policy in force, collect labels,
 * stage, write labels, commit, remap classes, emit the policy event.
 */
#ifndef SOVD_LIFECYCLE_H
#define SOVD_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>
#include "agent/record.h"

struct sov_policy_image;
struct policy_maps;
struct label_table;
struct pipeline;

struct policy_life {
	const char *locdb;
	struct policy_maps *maps;
	struct label_table *labels;
	struct pipeline *pipe;
	/* Called between the steps of an apply: drains the ring buffer. */
	void (*drain)(void *ctx);
	void *drain_ctx;
	/* Called right after the kernel switched to a new policy, before
	 * the view does: reports the old policy's aggregates (may be NULL). */
	void (*flows_flush)(void *ctx);
	/* the policy in force */
	struct sov_policy_image *img;
	uint32_t generation;
	struct sovd_policy_view view;
	char jdata[1024];
};

/*
 * Compiles path in a short-lived child (compile_child.h), draining events
 * meanwhile; all diagnostics go to msg. 0, -EINVAL (errors in the policy)
 * or another -errno when the compiler itself failed (its reason in msg).
 */
int policy_compile(const struct policy_life *pl, const char *path,
		   struct sov_policy_image **img, char *msg, size_t len);
/* Walks img's paths into the label table (before the maps exist: it
 * sizes the label map). */
int policy_collect(struct policy_life *pl, const struct sov_policy_image *img);
/*
 * Start-up: img (compiled and collected) into the maps as generation 1;
 * pl takes img. Class names are remapped first: pinned labels of an
 * earlier run are renumbered before the new labels are merged.
 */
int policy_install_first(struct policy_life *pl, struct sov_policy_image *img);
/* Emits the policy event of the policy in force. */
void policy_announce(struct policy_life *pl);
/*
 * SIGHUP and the socket's apply: the whole lifecycle. A policy with errors
 * never reaches the maps and the old one keeps enforcing. msg gets
 * "generation=N sha256=H\n" or the reason.
 */
int policy_apply_file(struct policy_life *pl, const char *path, char *msg, size_t len);
void policy_life_free(struct policy_life *pl);

#endif
