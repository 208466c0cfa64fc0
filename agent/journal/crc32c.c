// SPDX-License-Identifier: Apache-2.0
/* CRC32C (Castagnoli), as used by iSCSI and ext4: reflected polynomial
 * 0x82F63B78, initial value and final xor 0xFFFFFFFF. The SSE4.2 instruction
 * computes exactly this; the table is the fallback for CPUs without it. */
#include <stdint.h>
#include <string.h>
#include "agent/journal/jinternal.h"

#define POLY		0x82F63B78u
/* Bytes per stream of the three-stream loop: 3 * 112 = 336 covers a journal
 * record frame (about 350 bytes) in one round. */
#define LANE		112

static uint32_t crc_table[256];
static int crc_hw = -1;

/* One bit of the raw (not inverted) reflected register per step. */
static uint32_t step_bits(uint32_t c, size_t bits)
{
	while (bits--)
		c = (c >> 1) ^ (POLY & -(c & 1));
	return c;
}

#if defined(__x86_64__)
/* zeros[s][k][b]: the register after LANE * (s + 1) zero bytes, starting
 * from the byte b in byte position k (the other bits 0). */
static uint32_t zeros[2][4][256];

/* Appending n zero bytes maps the register linearly (over GF(2)), so a
 * table per register byte gives it in four lookups: the crc of a stream
 * that started n bytes earlier, moved to where the next stream ends. */
static uint32_t shift(int s, uint32_t c)
{
	return zeros[s][0][c & 0xff] ^ zeros[s][1][(c >> 8) & 0xff] ^
	       zeros[s][2][(c >> 16) & 0xff] ^ zeros[s][3][c >> 24];
}

static void zeros_init(void)
{
	for (int s = 0; s < 2; s++) {
		uint32_t col[32];

		for (int bit = 0; bit < 32; bit++)
			col[bit] = step_bits(1u << bit, (size_t)LANE * (s + 1) * 8);
		for (int k = 0; k < 4; k++)
			for (uint32_t b = 0; b < 256; b++) {
				uint32_t v = 0;

				for (int bit = 0; bit < 8; bit++)
					if (b & (1u << bit))
						v ^= col[8 * k + bit];
				zeros[s][k][b] = v;
			}
	}
}
#endif

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
		crc_table[i] = step_bits(i, 8);
#if defined(__x86_64__)
	zeros_init();
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
	/* The instruction has a latency of 3 cycles and a throughput of one a
	 * cycle: three independent streams keep it busy, and the crc of the
	 * whole is c shifted past the other two streams, xor b shifted past
	 * the last, xor the last (linearity of the raw register). */
	while (len >= 3 * LANE) {
		uint32_t b = 0, d = 0;

		for (size_t i = 0; i < LANE; i += 8) {
			uint64_t x, y, z;

			memcpy(&x, p + i, 8);
			memcpy(&y, p + LANE + i, 8);
			memcpy(&z, p + 2 * LANE + i, 8);
			c = (uint32_t)__builtin_ia32_crc32di(c, x);
			b = (uint32_t)__builtin_ia32_crc32di(b, y);
			d = (uint32_t)__builtin_ia32_crc32di(d, z);
		}
		c = shift(1, c) ^ shift(0, b) ^ d;
		p += 3 * LANE;
		len -= 3 * LANE;
	}
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

uint32_t sovj_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	if (crc_hw < 0)
		crc_init();
	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

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
