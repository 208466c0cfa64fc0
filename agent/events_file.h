/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The events file sink: NDJSON lines to --events FILE (default stdout),
 * rotated by size (--events-max-size, --events-keep: FILE.1 .. FILE.N, as
 * logrotate numbers them) and reopened on SIGHUP. A line is written whole
 * or not at all; lines a write error loses are counted (dropped) and main
 * journals a loss event for them.
 */
#ifndef SOVD_EVENTS_FILE_H
#define SOVD_EVENTS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "agent/record.h"

#define EVENTS_KEEP_MAX 1000

struct events_file {
	/* set before events_file_open() */
	uint64_t max_size;	/* rotate before a line would pass it; 0: never */
	unsigned keep;		/* rotated files kept (FILE.1 newest) */
	/* state */
	const char *path;	/* NULL: stdout */
	int fd;			/* -1: not open (an open after rotation failed) */
	int failing;		/* the last write or open failed (logged once) */
	uint64_t size;		/* bytes in the file, written and buffered */
	char *buf;		/* whole lines not written yet */
	size_t len, cap, nlines;
	int64_t retry_ms;	/* when to try opening again */
	/* counters */
	uint64_t lines;		/* written */
	uint64_t dropped;	/* lost to write or open errors */
	uint64_t rotations;
};

int events_file_open(struct events_file *f, const char *path);
/* SIGHUP: write out, close and open the path again (an external logrotate
 * moved it). Stdout is left alone. */
void events_file_reopen(struct events_file *f);
void events_file_close(struct events_file *f);
/* "100M", "64K", "1G", bytes: 0 on success. */
int events_file_parse_size(const char *s, uint64_t *v);
/* Its entry for the pipeline's sink table. */
struct sovd_sink events_file_sink(struct events_file *f);

#endif
