// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>
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
