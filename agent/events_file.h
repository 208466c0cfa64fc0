/* SPDX-License-Identifier: Apache-2.0 */
/* The events file sink: NDJSON lines to --events FILE (default stdout). */
#ifndef SOVD_EVENTS_FILE_H
#define SOVD_EVENTS_FILE_H

#include <stdio.h>
#include "agent/record.h"

struct events_file {
	FILE *out;
	uint64_t lines;
};

int events_file_open(struct events_file *f, const char *path);
void events_file_close(struct events_file *f);
/* Its entry for the pipeline's sink table. */
struct sovd_sink events_file_sink(struct events_file *f);

#endif
