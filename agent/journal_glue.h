/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovd's side of the journal: opening it from the options, the journal
 * sink (a record per event, its seq stamped back into the event), the
 * periodic checkpoint tick, the final checkpoint.
 */
#ifndef SOVD_JOURNAL_GLUE_H
#define SOVD_JOURNAL_GLUE_H

#include <stdint.h>
#include "agent/record.h"

struct sov_journal;

/* --retain (docs/deployment.md): sealed segments older than age_ns, or
 * the oldest while the journal takes more than max_bytes, are pruned once
 * an export has covered them (or always with force). */
struct journal_retain {
	int64_t age_ns;			/* 0: not by age */
	uint64_t max_bytes;		/* 0: not by size */
	int force;			/* --retain-unexported */
};

struct journal_glue {
	struct sov_journal *j;		/* NULL: --journal none */
	int failed;			/* a write failed: sovd stops */
	uint64_t errors;
	struct journal_retain retain;
	int64_t retain_warned_ms;	/* last "not exported" warning */
};

/* dir NULL: the default; "none": no journal. key NULL: the host key. */
int journal_glue_open(struct journal_glue *g, const char *dir, const char *key);
void journal_glue_tick(struct journal_glue *g);
/* Parses --retain: a duration (30d, 12h, 90m, 3600s, 2w) or a size (10G,
 * 512M, 64K, bytes as a plain number). 0 or -EINVAL. */
int journal_glue_parse_retain(const char *s, struct journal_retain *r);
/* Retention, from sovd's loop about once a minute (stat calls, one segment
 * header per sealed segment, and when due a record, a checkpoint and the
 * unlinks: about the cost of one published checkpoint). now_ms: any
 * monotonic clock in ms, for rate-limiting its warnings. */
void journal_glue_retain(struct journal_glue *g, int64_t now_ms);
/* The final checkpoint. -EIO if the journal failed, now or before: then
 * the journal is not whole and sovd must not detach. Safe to call twice. */
int journal_glue_close(struct journal_glue *g);
struct sovd_sink journal_glue_sink(struct journal_glue *g);

#endif
