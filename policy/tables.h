/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Zone tables: every prefix of every zone, from whatever source, goes
 * through a zone builder, which resolves identical prefixes by precedence,
 * reports the conflicts it cannot resolve with both positions, and emits
 * the sorted kernel tables and the lookup index of the image.
 *
 * Precedence: a lower prio wins. Explicit prefixes (cidrs, files) are
 * ZB_PRIO_EXPLICIT; derived sources (location database, provider ranges)
 * use higher values. The same prefix at the same prio in two different
 * zones is an error; in the same zone it is kept once.
 */
#ifndef SOV_POLICY_TABLES_H
#define SOV_POLICY_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "policy/prefix.h"

#define ZB_PRIO_EXPLICIT	0
#define ZB_PRIO_DERIVED		1

/* Zone files and other sources stop reporting after this many errors. */
#define ZB_MAX_ERRORS_PER_SOURCE	50

struct zb_entry {
	uint8_t addr[16];
	uint8_t plen;
	uint8_t prio;
	uint16_t col;
	uint32_t zone;
	uint32_t src;		/* index into zone_builder.srcs */
	uint32_t line;
	uint32_t seq;		/* insertion order: the first one wins ties */
};

struct zone_builder {
	struct zb_entry *v4, *v6;
	size_t n4, n6, cap4, cap6;
	char **srcs;		/* file names, for positions in messages */
	size_t n_srcs;
	uint32_t seq;
	/* Countries, ASNs and ranges (policy/zsrc_policy.h); NULL: none. */
	struct zsrc_plan *plan;
};

void sovp_zb_init(struct zone_builder *zb);
void sovp_zb_free(struct zone_builder *zb);
/* Registers a file name for positions; returns its id (>= 0) or -ENOMEM. */
int sovp_zb_source(struct zone_builder *zb, const char *file);
int sovp_zb_add(struct zone_builder *zb, const struct sov_prefix *p, uint32_t zone,
		int prio, uint32_t src, int line, int col);

/*
 * Adds the prefixes of a zone file's text (one prefix per line, '#'
 * comments, blank lines). Errors name src's file, line and column.
 * Returns 0 (even with errors reported in d) or -ENOMEM.
 */
int sovp_zb_parse_zone_text(struct zone_builder *zb, uint32_t src, const char *buf,
			    size_t len, uint32_t zone, int prio, struct sov_diags *d);
/*
 * Reads the zone file at path. A file that cannot be read is reported at
 * the position (file, line, col) of the policy node naming it.
 */
int sovp_zb_read_zone_file(struct zone_builder *zb, const char *path, uint32_t zone,
			   int prio, struct sov_diags *d, const char *file,
			   int line, int col);

/*
 * Sorts, resolves identical prefixes and fills img->v4/v6 (explicit
 * prefixes and zb->plan's sources by precedence, merged) and the lookup
 * index. zone_names[id] names zone ids for messages. Returns 0 (conflicts
 * are reported in d) or -ENOMEM. With build == 0 (the policy has other
 * errors) only the conflicts are reported: one run reports every error.
 */
int sovp_zb_finish(struct zone_builder *zb, struct sov_policy_image *img,
		   struct sov_diags *d, int build);

/*
 * Lookup index: the address space cut into ranges with one zone each,
 * equivalent to the LPM tables, searched by binary search.
 */
struct sov_policy_lpm {
	uint32_t *start4;		/* first address of each range */
	uint32_t *zone4;
	size_t n4;
	unsigned __int128 *start6;
	uint32_t *zone6;
	size_t n6;
};

void sovp_lpm_free(struct sov_policy_lpm *l);

#endif
