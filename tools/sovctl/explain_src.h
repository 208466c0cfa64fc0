/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `sovctl policy explain --dst`: the zone files, range files and location
 * database entries that hold an address (explain_src.c).
 */
#ifndef SOVCTL_EXPLAIN_SRC_H
#define SOVCTL_EXPLAIN_SRC_H

#include "policy/policy.h"
#include "policy/prefix.h"
#include "policy/ynode.h"

/*
 * Prints a line per zone file line, range file entry and location database
 * listing (countries, asns) of any zone in zones (the policy's merged
 * `zones:` mapping; each node names its own file) that holds the address a (a full-length prefix:
 * plen 32 or 128, family 4 or 6, as the kernel judges it). locdb_path
 * overrides the policy's location database.
 */
void explain_zone_sources(const struct sov_policy_image *img, const struct ynode *zones, const char *locdb_path,
			  const struct sov_prefix *a);

#endif
