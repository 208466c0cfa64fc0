/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lineage (issue 17): the sources of each derive. sovd remembers, per
 * process, the files (or channels) whose taint events made its taint grow,
 * oldest first, at most LINEAGE_SOURCES, and renders them with the hash of
 * the writer's command line into the derive record (docs/lineage.md,
 * docs/events.md "derive").
 */
#ifndef SOVD_LINEAGE_H
#define SOVD_LINEAGE_H

#include <stddef.h>
#include <stdint.h>
#include "agent/record.h"

#define LINEAGE_SOURCES	8	/* sources kept per process and per record */
#define LINEAGE_PROCS	4096	/* processes with a list (a power of two) */

struct sov_map_fds;

/*
 * Every record with an object passes here (pipeline.c dispatch()): a taint
 * adds its file to the process's list; a derive gets its body (members
 * without braces) followed by "sources":[...](,"sources_dropped":N),
 * "cmdline_sha256":"...", valid until the next call. maps: the kernel's
 * taint maps (the first source a child inherited), may be NULL.
 */
const char *lineage_event(const struct sov_map_fds *maps, struct sovd_event *ev);

/* The periodic sweep (main.c walk_maps()): lists of processes found gone
 * at two sweeps in a row are freed. */
void lineage_gc(void);

/* Lists held and lists dropped for room (status, tests). */
size_t lineage_count(void);
uint64_t lineage_evicted(void);
/* Forgets everything (tests). */
void lineage_reset(void);

/* hex SHA-256 of /proc/PID/cmdline as read now, "" when the process is
 * gone or is not the one that started at or before boot_ns (pid reuse). */
void lineage_cmdline_sha256(uint32_t pid, uint64_t boot_ns, char out[65]);

#endif
