/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A compiled policy into the kernel's maps, in two steps: stage fills the
 * zone tables' inactive half (nothing in force changes; a failure leaves
 * the old policy whole), commit flips sov_config to it in one map write.
 * And the class names that give pinned label bits their meaning.
 */
#ifndef SOVD_POLICY_MAPS_H
#define SOVD_POLICY_MAPS_H

#include <stdint.h>

struct sov_policy_image;
struct sov_map_fds;

struct policy_maps {
	const struct sov_map_fds *fd;
	const char *pin_dir;
	int scope_in_map;		/* the kernel path's hooks check sov_scope */
	uint32_t rules_written[2];	/* rule slots written per half; 0 = unknown */
	uint32_t staged;		/* the half stage filled */
};

int policy_maps_stage(struct policy_maps *pm, const struct sov_policy_image *img);
int policy_maps_commit(struct policy_maps *pm, const struct sov_policy_image *img,
		       uint32_t generation);
int policy_maps_remap_classes(struct policy_maps *pm, const struct sov_policy_image *img);

#endif
