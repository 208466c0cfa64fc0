/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Zone sources as written in a policy (countries, asns, ranges, locdb):
 * checked where they are written, resolved once every zone is known, and
 * compiled together with the explicit prefixes into the image's tables.
 * Every problem goes to the policy's diagnostics with a position: the
 * policy node for what the policy says, the data file's own line:column for
 * what a range file says.
 */
#ifndef SOV_POLICY_ZSRC_POLICY_H
#define SOV_POLICY_ZSRC_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "policy/ynode.h"
#include "policy/zsrc.h"

struct zsrc_plan;
struct zb_entry;

/* file: the policy, for positions. NULL + errno on failure. */
struct zsrc_plan *sov_zsrc_plan_new(const char *file, struct sov_diags *d);
void sov_zsrc_plan_free(struct zsrc_plan *p);

/*
 * The values of a zone's keys. Syntax is checked now (errors at the node);
 * what needs the data (is the code in the database, is the file readable)
 * when resolving. zone 0 checks without recording (a zone that failed to
 * register). Return 0 or -ENOMEM.
 */
int sov_zsrc_plan_countries(struct zsrc_plan *p, uint32_t zone, const struct ynode *list);
int sov_zsrc_plan_asns(struct zsrc_plan *p, uint32_t zone, const struct ynode *list);
/* no_fs: SOV_POLICY_F_NO_FS, the files are named but not read. */
int sov_zsrc_plan_ranges(struct zsrc_plan *p, uint32_t zone, const struct ynode *list,
			 int no_fs);
/* Sources named so far (for "zone has no prefixes"). */
size_t sov_zsrc_plan_n_items(const struct zsrc_plan *p);
/* Top-level 'locdb: PATH'. */
int sov_zsrc_plan_locdb(struct zsrc_plan *p, const struct ynode *v);

/*
 * Reads the data (location database: opts' locdb_path, else the policy's
 * 'locdb', else the default; range files) and records its version in img
 * (sources, locdb_path). img->zones names zones in messages. Returns 0
 * (problems are in d) or -ENOMEM.
 */
int sov_zsrc_plan_resolve(struct zsrc_plan *p, const struct sov_policy_opts *opts,
			  struct sov_policy_image *img);

/*
 * img->v4/v6 from the explicit prefixes (winners of identical prefixes
 * already chosen, tables.c) and the resolved sources, by precedence, merged;
 * counts and map memory into img's table stats. p may be NULL (explicit
 * prefixes only). Returns 0 or a negative errno.
 */
int sov_zsrc_plan_tables(struct zsrc_plan *p, const struct zb_entry *v4, size_t n4,
			 const struct zb_entry *v6, size_t n6, struct sov_policy_image *img);

#endif /* SOV_POLICY_ZSRC_POLICY_H */
