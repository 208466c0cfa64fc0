/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one JSON string escaper of user space (events, journal records,
 * `policy compile` output). Header-only so that every library can use it
 * without depending on another: it sits below policy/, agent/journal/ and
 * agent/.
 *
 * The rules are the journal's canonical ones (docs/journal-format.md,
 * "Strings"), because those bytes are hashed and signed: the original bytes
 * with only these replacements:
 *   '"' -> \"      '\\' -> \\
 *   each byte 0x00-0x1F and 0x7F -> \u00xx (lowercase hex)
 *   each byte not part of a valid UTF-8 sequence (RFC 3629: no overlong
 *   forms, no surrogates, nothing above U+10FFFF) -> \u00xx, xx >= 80
 * Valid UTF-8 never produces \u0080..\u00ff, so the escape is reversible:
 * a path (any bytes but NUL) can be recovered exactly.
 */
#ifndef SOV_JSON_H
#define SOV_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The most bytes sov_json_escape() writes for n input bytes. */
#define SOV_JSON_ESC_MAX(n)	((n) * 6)

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static inline size_t sov_utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	uint32_t cp, min;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * Whether none of the 8 bytes at s needs a look of its own: none below
 * 0x20 (so no NUL), none 0x7f, '"' or '\\', none 0x80 or above. Each test
 * is the classic "some byte below n" word trick: a borrow can mark bytes
 * above a true hit, never a byte when there is no hit, so the answer as a
 * whole is exact. Journal strings are mostly such bytes (ids, addresses,
 * names); this is what keeps escaping off the top of the append profile.
 */
static inline int sov_json_plain8(const uint8_t *s)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t v, q, b, d;

	memcpy(&v, s, 8);
	q = v ^ (ones * '"');
	b = v ^ (ones * '\\');
	d = v ^ (ones * 0x7f);
	return !((((v - ones * 0x20) & ~v) | v | ((q - ones) & ~q) | ((b - ones) & ~b) |
		  ((d - ones) & ~d)) & high);
}

/*
 * Escapes n bytes of src (stopping early at a NUL) into dst, without the
 * surrounding quotes. src must be readable for n bytes (it is read 8 bytes
 * at a time up to n, also past a NUL within them). dst must have room for
 * SOV_JSON_ESC_MAX(n) bytes; no NUL is written. Returns the number of
 * bytes written.
 */
static inline size_t sov_json_escape(char *dst, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = (const uint8_t *)src;
	char *o = dst;
	size_t i = 0, run = 0, l;

	while (i < n && s[i]) {
		uint8_t c = s[i];

		if (i + 8 <= n && sov_json_plain8(s + i)) {
			i += 8;
			run += 8;
			continue;
		}

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80 && (l = sov_utf8_seq(s + i, n - i)) > 0) {
			i += l;
			run += l;
			continue;
		}
		memcpy(o, s + i - run, run);
		o += run;
		run = 0;
		*o++ = '\\';
		if (c == '"' || c == '\\') {
			*o++ = (char)c;
		} else {
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		i++;
	}
	memcpy(o, s + i - run, run);
	o += run;
	return (size_t)(o - dst);
}

/*
 * For escaping a long string piece by piece through a bounded buffer: the
 * length (at most max, max >= 4) of the first piece of the n bytes at src
 * such that no valid UTF-8 sequence straddles the cut, so the pieces
 * escape to exactly the bytes the whole would. A sequence is a lead byte
 * and up to three continuation bytes (10xxxxxx): a cut before a byte that
 * is not a continuation byte splits nothing, and neither does a cut after
 * three continuation bytes in a row.
 */
static inline size_t sov_json_piece(const char *src, size_t n, size_t max)
{
	const uint8_t *s = (const uint8_t *)src;

	if (n <= max)
		return n;
	for (size_t k = max; k > max - 4; k--)
		if ((s[k] & 0xc0) != 0x80)
			return k;
	return max;
}

/*
 * The decimal digits of v into out (at least SOV_U64_DEC_MAX bytes, no
 * NUL); returns their count. Two digits per division: numbers are in every
 * event line and journal record (issue 14), and printf's were a tenth of
 * sovd's time per event.
 */
#define SOV_U64_DEC_MAX	20

static inline size_t sov_u64_dec(char *out, uint64_t v)
{
	static const char d2[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[SOV_U64_DEC_MAX];
	size_t i = sizeof(tmp);

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		tmp[--i] = d2[2 * r + 1];
		tmp[--i] = d2[2 * r];
	}
	if (v >= 10) {
		tmp[--i] = d2[2 * v + 1];
		tmp[--i] = d2[2 * v];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	memcpy(out, tmp + i, sizeof(tmp) - i);
	return sizeof(tmp) - i;
}

#endif
