/* SPDX-License-Identifier: Apache-2.0 */
/* sovd's side of the journal: opening it from the options, records from
 * events, the periodic checkpoint tick, the final checkpoint. */
#ifndef SOVD_JOURNAL_GLUE_H
#define SOVD_JOURNAL_GLUE_H

struct sovd;

int journal_glue_open(struct sovd *d);
void journal_glue_tick(struct sovd *d);
void journal_glue_close(struct sovd *d);

#endif
