// SPDX-License-Identifier: Apache-2.0
/*
 * Small helpers every other file of the journal uses (error messages, hex,
 * whole-file reads and writes). They sit at the bottom: this file calls no
 * other file of the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent/journal/jinternal.h"

int sovj_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

void sovj_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * len] = 0;
}

/* Reads to EOF rather than trusting st_size, which is 0 for /proc files. */
int sovj_read_file(const char *path, uint8_t **buf, size_t *len)
{
	size_t cap = 0;
	int err;

	*buf = NULL;
	err = sovj_read_file_into(path, buf, &cap, len);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* A verifier reads segment after segment: reusing one buffer spares the
 * kernel zeroing fresh pages for every segment (a sixth of `journal verify`
 * was clear_page under perf). */
int sovj_read_file_into(const char *path, uint8_t **buf, size_t *bufcap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	struct stat st;
	uint8_t *b, *nb;
	size_t got = 0, cap;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto cleanup;
	}
	cap = st.st_size + 1 > 4096 ? st.st_size + 1 : 4096;
	if (!*buf || *bufcap < cap) {
		free(*buf);
		*bufcap = 0;
		*buf = malloc(cap);
		if (!*buf) {
			err = -ENOMEM;
			goto cleanup;
		}
		*bufcap = cap;
	}
	b = *buf;
	cap = *bufcap;
	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			nb = realloc(b, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				goto cleanup;
			}
			*buf = b = nb;
			*bufcap = cap = cap * 2;
		}
		n = read(fd, b + got, cap - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		got += n;
	}
	b[got] = 0;
	*len = got;
cleanup:
	close(fd);
	return err;
}

int sovj_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* Readers see either the old or the new complete file, never a partial one,
 * and the new one survives a crash once this returns. */
int sovj_publish_file(int dirfd, const char *name, const void *data, size_t len, int mode)
{
	char tmp[256];
	int fd, ret;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	ret = sovj_write_all(fd, data, len);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && renameat(dirfd, tmp, dirfd, name))
		ret = -errno;
	if (ret) {
		unlinkat(dirfd, tmp, 0);
		return ret;
	}
	if (fsync(dirfd))
		return -errno;
	return 0;
}
