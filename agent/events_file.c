// SPDX-License-Identifier: Apache-2.0
/*
 * The events file sink. Calls: ndjson.c, log.c. Called by main.c (open,
 * close, registration); records arrive through the sink table.
 */
#include <errno.h>
#include <string.h>
#include "agent/events_file.h"
#include "agent/log.h"
#include "agent/ndjson.h"

int events_file_open(struct events_file *f, const char *path)
{
	f->lines = 0;
	if (path && strcmp(path, "-")) {
		f->out = fopen(path, "ae");
		if (!f->out) {
			int err = -errno;

			pr_err("failed to open events file %s: %s", path, strerror(-err));
			return err;
		}
	} else {
		f->out = stdout;
	}
	return 0;
}

void events_file_close(struct events_file *f)
{
	if (f->out && f->out != stdout)
		fclose(f->out);
	else if (f->out)
		fflush(f->out);
	f->out = NULL;
}

static void emit(void *ctx, struct sovd_event *ev)
{
	struct events_file *f = ctx;
	const char *line;
	size_t len;

	if (!f->out)
		return;
	line = ndjson_line(ev, &len);
	if (!line)
		return;
	fwrite(line, 1, len, f->out);
	f->lines++;
}

static void flush(void *ctx)
{
	struct events_file *f = ctx;

	if (f->out)
		fflush(f->out);
}

struct sovd_sink events_file_sink(struct events_file *f)
{
	return (struct sovd_sink){ .name = "events", .emit = emit, .flush = flush, .ctx = f };
}
