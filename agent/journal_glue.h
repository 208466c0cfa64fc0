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

struct journal_glue {
	struct sov_journal *j;		/* NULL: --journal none */
	int failed;			/* a write failed: sovd stops */
	uint64_t errors;
};

/* dir NULL: the default; "none": no journal. key NULL: the host key. */
int journal_glue_open(struct journal_glue *g, const char *dir, const char *key);
void journal_glue_tick(struct journal_glue *g);
/* The final checkpoint. -EIO if the journal failed, now or before: then
 * the journal is not whole and sovd must not detach. Safe to call twice. */
int journal_glue_close(struct journal_glue *g);
struct sovd_sink journal_glue_sink(struct journal_glue *g);

#endif
