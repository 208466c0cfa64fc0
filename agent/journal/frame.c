// SPDX-License-Identifier: Apache-2.0
/*
 * Frames (docs/journal-format.md section 4): writing one into a buffer,
 * reading one from a buffer, and reading frames from a file through a
 * small window (the export verifier, verify.c). Calls crc32c.c; called by
 * the writer, the reader, the exporter and the verifier.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agent/journal/jinternal.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t sovj_frame_put(uint8_t *dst, int kind, const void *payload, uint32_t len)
{
	put_le32(dst, len);
	dst[4] = kind;
	dst[5] = dst[6] = dst[7] = 0;
	memcpy(dst + FRAME_HDR, payload, len);
	put_le32(dst + FRAME_HDR + len, sovj_crc32c(0, dst, FRAME_HDR + len));
	return FRAME_OVERHEAD + len;
}

/* A frame that runs past the end of the buffer is torn (a crash during the
 * write); a complete frame with a bad CRC or header is damage. The caller
 * decides which of the two it can tolerate where. */
enum frame_status sovj_frame_get(const uint8_t *buf, size_t size, size_t off, struct frame *f)
{
	uint32_t len;

	if (off == size)
		return FRAME_END;
	if (size - off < FRAME_HDR)
		return FRAME_TORN;
	len = get_le32(buf + off);
	if (len > FRAME_MAX_PAYLOAD || buf[off + 5] || buf[off + 6] || buf[off + 7])
		return FRAME_BADHDR;
	if (size - off < (size_t)FRAME_OVERHEAD + len)
		return FRAME_TORN;
	if (get_le32(buf + off + FRAME_HDR + len) !=
	    sovj_crc32c(0, buf + off, FRAME_HDR + len))
		return FRAME_BADCRC;
	f->kind = buf[off + 4];
	f->payload = buf + off + FRAME_HDR;
	f->len = len;
	f->next = off + FRAME_OVERHEAD + len;
	return FRAME_OK;
}

const char *sovj_frame_status_str(enum frame_status s)
{
	switch (s) {
	case FRAME_OK: return "ok";
	case FRAME_END: return "end of file";
	case FRAME_TORN: return "frame runs past the end of the file (torn write)";
	case FRAME_BADCRC: return "frame CRC32C mismatch";
	case FRAME_BADHDR: return "bad frame header (length or reserved bytes)";
	}
	return "?";
}

/* ---- frames of a file, through a window ----
 * A verifier that mapped a 350 MB export, or read it into one buffer, paid
 * more for the first touch of each fresh page (a fault, and under
 * virtualisation a shadow page-table fill charged to the faulting load)
 * than for hashing it. A window of FREADER_WINDOW bytes, reused, stays in
 * the L2 cache between the CRC and the hash, and costs one copy. */
#define FREADER_WINDOW	(256u << 10)

int sovj_freader_init(struct freader *r, int fd, size_t size)
{
	memset(r, 0, sizeof(*r));
	return sovj_freader_reopen(r, fd, size);
}

int sovj_freader_reopen(struct freader *r, int fd, size_t size)
{
	r->fd = fd;
	r->size = size;
	r->wstart = r->wlen = 0;
	r->err = 0;
	if (!r->buf) {
		r->cap = FREADER_WINDOW;
		r->buf = malloc(r->cap);
	}
	return r->buf ? 0 : -ENOMEM;
}

void sovj_freader_init_mem(struct freader *r, uint8_t *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->size = len;
	r->buf = buf;
	r->cap = len;
	r->wlen = len;
}

void sovj_freader_free(struct freader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Makes file bytes [off, off + n) available in the window (n <= size -
 * off), reading ahead as far as the window allows. Moves what the window
 * held: earlier frames' pointers become invalid. */
static int freader_fill(struct freader *r, size_t off, size_t n)
{
	if (off >= r->wstart && off + n <= r->wstart + r->wlen)
		return 0;
	if (n > r->cap) {
		size_t cap = n;
		uint8_t *b = malloc(cap);

		if (!b)
			return -ENOMEM;
		free(r->buf);
		r->buf = b;
		r->cap = cap;
		r->wlen = 0;
	}
	if (off >= r->wstart && off < r->wstart + r->wlen) {
		size_t keep = r->wstart + r->wlen - off;

		memmove(r->buf, r->buf + (off - r->wstart), keep);
		r->wlen = keep;
	} else {
		r->wlen = 0;
	}
	r->wstart = off;
	while (r->wlen < n) {
		size_t want = r->cap - r->wlen;
		ssize_t got;

		if (want > r->size - (r->wstart + r->wlen))
			want = r->size - (r->wstart + r->wlen);
		got = pread(r->fd, r->buf + r->wlen, want, r->wstart + r->wlen);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO;	/* shorter than when it was opened */
		r->wlen += got;
	}
	return 0;
}

enum frame_status sovj_freader_get(struct freader *r, size_t off, struct frame *f)
{
	enum frame_status fs;
	uint32_t len;
	int err;

	if (r->err)
		return FRAME_TORN;
	if (off >= r->size)
		return off == r->size ? FRAME_END : FRAME_TORN;
	if (r->size - off < FRAME_HDR)
		return FRAME_TORN;
	err = freader_fill(r, off, FRAME_HDR);
	if (err)
		goto fail;
	len = get_le32(r->buf + (off - r->wstart));
	if (len <= FRAME_MAX_PAYLOAD && r->size - off >= (size_t)FRAME_OVERHEAD + len) {
		err = freader_fill(r, off, FRAME_OVERHEAD + len);
		if (err)
			goto fail;
	}
	/* A frame that fits the file is whole in the window; one that does
	 * not, or has a bad header, reads as torn or bad here as it would in
	 * the whole file. */
	fs = sovj_frame_get(r->buf, r->wlen, off - r->wstart, f);
	if (fs == FRAME_OK)
		f->next += r->wstart;
	return fs;
fail:
	r->err = err;
	return FRAME_TORN;
}
