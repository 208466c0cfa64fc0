// SPDX-License-Identifier: Apache-2.0
/*
 * The events file sink. Calls: ndjson.c, conn.c (the clock), log.c. Called
 * by main.c (open, reopen at SIGHUP, close, registration, the dropped
 * counter for loss events); records arrive through the sink table.
 *
 * Lines are gathered in a buffer and written with write(2) after each
 * batch (the sink's flush), so sovd knows which lines reached the file: a
 * short write (a full disk) is cut back to its last whole line, and the
 * lines after it are counted as dropped, never half written. Rotation
 * happens between lines: before a line that would take the file past
 * max_size, the file becomes FILE.1 (FILE.1 becomes FILE.2, ... FILE.keep
 * is removed) and a new FILE is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "agent/conn.h"
#include "agent/events_file.h"
#include "agent/log.h"
#include "agent/ndjson.h"

#define EVENTS_BUF (64 << 10)

int events_file_parse_size(const char *s, uint64_t *v)
{
	static const struct {
		const char *suf;
		uint64_t mul;
	} u[] = {
		{ "", 1 }, { "K", 1ull << 10 }, { "M", 1ull << 20 }, { "G", 1ull << 30 },
		{ "T", 1ull << 40 },
	};
	unsigned long long n;
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || !n)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (strcmp(end, u[i].suf))
			continue;
		if (n > UINT64_MAX / u[i].mul)
			return -EINVAL;
		*v = n * u[i].mul;
		return 0;
	}
	return -EINVAL;
}

/* 0640: the lines name what each process read and where it sent it. */
static int open_path(struct events_file *f)
{
	struct stat st;
	int fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	f->size = fstat(fd, &st) ? 0 : (uint64_t)st.st_size;
	f->fd = fd;
	/* /dev/null, a FIFO, a terminal: never renamed away */
	if (f->max_size && !fstat(fd, &st) && !S_ISREG(st.st_mode)) {
		pr_warn("events file %s is not a regular file: not rotated", f->path);
		f->max_size = 0;
	}
	return 0;
}

/* Said once per failing spell, not once per line. */
static void note_failure(struct events_file *f, const char *what, int err)
{
	if (!f->failing)
		pr_err("events file %s: failed to %s: %s; lines are counted as dropped until it works again",
		       f->path ? f->path : "(stdout)", what, strerror(err));
	f->failing = 1;
}

/* Writes out the buffer. On an error, a regular file is cut back to its
 * last whole line and the lines not written are dropped (counted). */
static void write_out(struct events_file *f)
{
	size_t done = 0;
	int err = 0;

	if (!f->len)
		return;
	if (f->fd < 0) {
		err = EBADF;
	} else {
		while (done < f->len) {
			ssize_t n = write(f->fd, f->buf + done, f->len - done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				err = n < 0 ? errno : ENOSPC;
				break;
			}
			done += (size_t)n;
		}
	}
	if (!err) {
		f->lines += f->nlines;
		if (f->failing && f->path)
			pr_info("events file %s: writing again", f->path);
		f->failing = 0;
	} else {
		size_t whole = done, kept = 0;
		struct stat st;

		while (whole && f->buf[whole - 1] != '\n')
			whole--;
		for (size_t i = 0; i < whole; i++)
			kept += f->buf[i] == '\n';
		/* a line cut by the error must not stay half written */
		if (whole != done && f->fd >= 0 && !fstat(f->fd, &st) && S_ISREG(st.st_mode) &&
		    st.st_size >= (off_t)(done - whole))
			if (ftruncate(f->fd, st.st_size - (off_t)(done - whole)))
				pr_debug("events file: failed to cut a partial line: %s",
					 strerror(errno));
		f->lines += kept;
		f->dropped += f->nlines - kept;
		f->size -= f->len - whole;
		if (f->fd >= 0)
			note_failure(f, "write", err);
	}
	f->len = 0;
	f->nlines = 0;
}

static void rotate(struct events_file *f)
{
	size_t plen = strlen(f->path) + 16;
	char *from = malloc(plen), *to = malloc(plen);
	int err;

	write_out(f);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (!from || !to) {
		err = ENOMEM;
		goto out;
	}
	/* FILE.keep goes; FILE.i becomes FILE.i+1; FILE becomes FILE.1 */
	if (f->keep) {
		snprintf(to, plen, "%s.%u", f->path, f->keep);
		unlink(to);
		for (unsigned i = f->keep - 1; i >= 1; i--) {
			snprintf(from, plen, "%s.%u", f->path, i);
			snprintf(to, plen, "%s.%u", f->path, i + 1);
			if (rename(from, to) && errno != ENOENT)
				pr_warn("events file: failed to rename %s to %s: %s", from, to,
					strerror(errno));
		}
		snprintf(to, plen, "%s.1", f->path);
		if (rename(f->path, to) && errno != ENOENT)
			pr_warn("events file: failed to rename %s to %s: %s", f->path, to,
				strerror(errno));
	} else if (unlink(f->path) && errno != ENOENT) {
		pr_warn("events file: failed to remove %s: %s", f->path, strerror(errno));
	}
	f->rotations++;
	err = -open_path(f);
out:
	free(from);
	free(to);
	if (err) {
		note_failure(f, "open it after rotation", err);
		f->retry_ms = conn_now_ms() + 1000;
	}
}

int events_file_open(struct events_file *f, const char *path)
{
	int err;

	f->lines = f->dropped = f->rotations = 0;
	f->len = f->nlines = 0;
	f->failing = 0;
	f->fd = -1;
	f->buf = malloc(EVENTS_BUF);
	if (!f->buf)
		return -ENOMEM;
	f->cap = EVENTS_BUF;
	if (path && strcmp(path, "-")) {
		f->path = path;
		err = open_path(f);
		if (err) {
			pr_err("failed to open events file %s: %s", path, strerror(-err));
			return err;
		}
	} else {
		f->path = NULL;
		f->fd = STDOUT_FILENO;
		f->max_size = 0;
	}
	return 0;
}

void events_file_reopen(struct events_file *f)
{
	int err;

	if (!f->path || !f->buf)
		return;
	write_out(f);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	err = open_path(f);
	if (err) {
		note_failure(f, "reopen it", -err);
		f->retry_ms = conn_now_ms() + 1000;
	} else {
		pr_info("events file %s reopened", f->path);
	}
}

void events_file_close(struct events_file *f)
{
	if (!f->buf)
		return;
	write_out(f);
	if (f->fd >= 0 && f->path)
		close(f->fd);
	f->fd = -1;
	free(f->buf);
	f->buf = NULL;
}

static void emit(void *ctx, struct sovd_event *ev)
{
	struct events_file *f = ctx;
	const char *line;
	size_t len;

	if (!f->buf)
		return;
	line = ndjson_line(ev, &len);
	if (!line) {
		f->dropped++;
		return;
	}
	if (f->fd < 0 && f->path && conn_now_ms() >= f->retry_ms) {
		if (open_path(f))
			f->retry_ms = conn_now_ms() + 1000;
	}
	/* Between lines only: a file holds whole lines, and a line longer
	 * than max_size alone. */
	if (f->max_size && f->size && f->size + len > f->max_size)
		rotate(f);
	if (f->len + len > f->cap)
		write_out(f);
	if (len > f->cap) {
		/* a line longer than the buffer: written by itself */
		char *keep = f->buf;
		size_t cap = f->cap;

		f->buf = (char *)line;
		f->len = f->cap = len;
		f->nlines = 1;
		f->size += len;
		write_out(f);
		f->buf = keep;
		f->cap = cap;
		return;
	}
	memcpy(f->buf + f->len, line, len);
	f->len += len;
	f->nlines++;
	f->size += len;
}

static void flush(void *ctx)
{
	write_out(ctx);
}

struct sovd_sink events_file_sink(struct events_file *f)
{
	return (struct sovd_sink){ .name = "events", .emit = emit, .flush = flush, .ctx = f };
}
