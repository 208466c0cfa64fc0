// SPDX-License-Identifier: Apache-2.0
/* The windowed frame reader (agent/journal/frame.c, struct freader) that
 * the verifier reads exports and segments with: over a file of frames of
 * every size around and above the window (256 KiB) up to the 1 MiB limit,
 * it must return exactly what sovj_frame_get returns over the whole file,
 * frame by frame, with a torn tail, a bad CRC and a bad header; revisiting
 * an earlier frame works; a file that shrinks under it is a read error,
 * never a frame. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/lib/tap.h"
#include "agent/journal/jinternal.h"

static const uint32_t sizes[] = {
	0, 1, 7, 300, 4096, 100000, 262143, 262144, 262145, 300000, 1u << 20, 5, 262132, 40,
};
#define NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

/* Both readers agree at every frame of buf[0, len) written to fd. */
static int same_walk(const uint8_t *buf, size_t len, int fd, const char *what)
{
	struct freader r;
	size_t off = 0;
	int n = 0, ok = 1;

	if (ftruncate(fd, 0) || pwrite(fd, buf, len, 0) != (ssize_t)len)
		return ASSERT_TRUE(0, "write the test file");
	if (sovj_freader_init(&r, fd, len))
		return ASSERT_TRUE(0, "freader init");
	for (;;) {
		struct frame a = { 0 }, b = { 0 };
		enum frame_status fa = sovj_frame_get(buf, len, off, &a);
		enum frame_status fb = sovj_freader_get(&r, off, &b);

		if (fa != fb || (fa == FRAME_OK && (a.kind != b.kind || a.len != b.len ||
						     a.next != b.next ||
						     memcmp(a.payload, b.payload, a.len)))) {
			ok = 0;
			printf("# %s: frame %d at %zu: whole file %s, window %s\n", what, n, off,
			       sovj_frame_status_str(fa), sovj_frame_status_str(fb));
			break;
		}
		if (fa != FRAME_OK)
			break;
		off = a.next;
		n++;
	}
	ASSERT_TRUE(ok && !r.err, what);
	sovj_freader_free(&r);
	return ok;
}

int main(void)
{
	char path[] = "/tmp/sov-freader-XXXXXX";
	size_t cap = 0, len = 0, offs[NSIZES];
	uint8_t *buf, *p;
	struct freader r;
	struct frame f;
	int fd;

	(void)tap__skipped;	/* tap.h declares it for TAP_SKIP users only */
	for (size_t i = 0; i < NSIZES; i++)
		cap += FRAME_OVERHEAD + sizes[i];
	buf = malloc(cap);
	p = malloc(1u << 20);
	fd = mkstemp(path);
	if (!ASSERT_TRUE(buf && p && fd >= 0, "set up"))
		return tap_done();
	unlink(path);
	for (size_t i = 0; i < NSIZES; i++) {
		for (uint32_t k = 0; k < sizes[i]; k++)
			p[k] = (uint8_t)(k * 31 + i);
		offs[i] = len;
		len += sovj_frame_put(buf + len, 'R', p, sizes[i]);
	}
	same_walk(buf, len, fd, "frames of 0 bytes to 1 MiB: the same as the whole file");
	same_walk(buf, len - 3, fd, "a torn tail: torn at the same frame");
	same_walk(buf, offs[8] + 5, fd, "torn inside a frame's header");
	buf[offs[7] + FRAME_HDR + 1000] ^= 1;
	same_walk(buf, len, fd, "a flipped bit in a 256 KiB frame: bad CRC at the same frame");
	buf[offs[7] + FRAME_HDR + 1000] ^= 1;
	buf[offs[3] + 6] = 1;
	same_walk(buf, len, fd, "a reserved header byte set: bad header at the same frame");
	buf[offs[3] + 6] = 0;
	buf[offs[4] + 2] = 0x20;	/* length 2 MiB + 4096 */
	same_walk(buf, len, fd, "a length over the limit: bad header at the same frame");
	buf[offs[4] + 2] = 0;

	/* Back to an earlier frame after the window moved on. */
	if (ftruncate(fd, 0) || pwrite(fd, buf, len, 0) != (ssize_t)len)
		ASSERT_TRUE(0, "rewrite the test file");
	ASSERT_OK(sovj_freader_init(&r, fd, len), "freader init");
	ASSERT_EQ(sovj_freader_get(&r, offs[12], &f), FRAME_OK, "a frame near the end");
	ASSERT_EQ(sovj_freader_get(&r, offs[3], &f), FRAME_OK, "then an early one again");
	ASSERT_TRUE(f.len == 300 && f.payload[1] == 31 + 3 && f.next == offs[4],
		    "... with its own bytes and next offset");
	/* The file shrinks under the reader: a read error, kept in err. */
	ASSERT_OK(ftruncate(fd, offs[10]), "truncate the file");
	ASSERT_EQ(sovj_freader_get(&r, offs[10], &f), FRAME_TORN, "a frame cut off: torn");
	ASSERT_EQ(r.err, -EIO, "... and the read error kept (-EIO)");
	ASSERT_EQ(sovj_freader_get(&r, offs[3], &f), FRAME_TORN, "nothing reads after an error");
	sovj_freader_free(&r);
	close(fd);
	free(buf);
	free(p);
	return tap_done();
}
