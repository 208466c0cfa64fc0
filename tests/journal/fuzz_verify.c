// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: an export file is untrusted input handed to auditors'
 * machines, so the verifier must survive any bytes. The seed corpus is a
 * small real export (make fuzz-journal builds one). Frame CRCs are fixed up
 * before verification: a mutation would otherwise almost always stop at the
 * CRC check and never reach the manifest, note and proof parsers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "agent/journal/jinternal.h"
#include "agent/journal/journal.h"

static void fix_crcs(uint8_t *b, size_t size)
{
	size_t off = 0;

	while (size - off >= FRAME_OVERHEAD) {
		uint32_t len = b[off] | b[off + 1] << 8 | b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
		uint32_t crc;

		if (len > size - off - FRAME_OVERHEAD)
			break;
		crc = sovj_crc32c(0, b + off, FRAME_HDR + len);
		memcpy(b + off + FRAME_HDR + len, &crc, 4);
		off += FRAME_OVERHEAD + len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sov_verify_report r;
	char path[64];
	uint8_t *b = malloc(size + 1);
	int fd = memfd_create("export", 0);

	if (fd < 0 || !b) {
		free(b);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	memcpy(b, data, size);
	fix_crcs(b, size);
	if (write(fd, b, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		sov_journal_verify(path, NULL, &r);
	}
	close(fd);
	free(b);
	return 0;
}
