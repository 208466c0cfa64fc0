/* SPDX-License-Identifier: Apache-2.0 */
/* The NDJSON rendering of a record (docs/events.md): one line, '\n' ended. */
#ifndef SOVD_NDJSON_H
#define SOVD_NDJSON_H

#include <stddef.h>
#include "agent/jbuf.h"
#include "agent/record.h"

/* RFC 3339, UTC, nanoseconds (len >= 64): the events' "time". */
void ndjson_time(int64_t wall_ns, char *buf, size_t len);

/* Renders ev into b (reset first). */
void ndjson_render(struct jbuf *b, const struct sovd_event *ev);

/* The line of ev, rendered once per record however many sinks ask (kept
 * in ev; valid until the next record). NULL when out of memory. */
const char *ndjson_line(struct sovd_event *ev, size_t *len);

#endif
