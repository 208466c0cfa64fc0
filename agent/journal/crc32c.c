// SPDX-License-Identifier: Apache-2.0
/* CRC32C (Castagnoli), as used by iSCSI and ext4: reflected polynomial
 * 0x82F63B78, initial value and final xor 0xFFFFFFFF. The SSE4.2 instruction
 * computes exactly this; the table is the fallback for CPUs without it. */
#include <stdint.h>
#include <string.h>
#include "agent/journal/jinternal.h"

static uint32_t crc_table[256];
static int crc_hw = -1;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & -(c & 1));
		crc_table[i] = c;
	}
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#else
	crc_hw = 0;
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_sse42(uint32_t c, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = (uint32_t)__builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}
#endif

uint32_t sovj_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	if (crc_hw < 0)
		crc_init();
#if defined(__x86_64__)
	if (crc_hw)
		return ~crc_sse42(c, p, len);
#endif
	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}
