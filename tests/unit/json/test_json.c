// SPDX-License-Identifier: Apache-2.0
/*
 * include/sov/json.h: the one JSON string escaper (docs/journal-format.md,
 * "Strings"). Each case checks the exact escaped bytes and that unescaping
 * them (\" \\ \u00xx only, xx >= 80 meaning the raw byte) gives back the
 * input, the property the journal's reversibility promise rests on.
 */
#include <stdlib.h>

#include "tests/lib/tap.h"
#include "sov/json.h"

/* Escapes n bytes of in; NUL-terminated result in a static buffer. */
static const char *esc(const char *in, size_t n, size_t *outlen)
{
	static char out[SOV_JSON_ESC_MAX(4096) + 1];
	size_t len = sov_json_escape(out, in, n);

	out[len] = 0;
	if (outlen)
		*outlen = len;
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The inverse of the escape; -1 on anything the escaper never writes. */
static long unescape(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] != '\\') {
			out[o++] = s[i++];
			continue;
		}
		if (i + 1 >= n)
			return -1;
		if (s[i + 1] == '"' || s[i + 1] == '\\') {
			out[o++] = s[i + 1];
			i += 2;
			continue;
		}
		if (i + 5 >= n || s[i + 1] != 'u' || s[i + 2] != '0' || s[i + 3] != '0' ||
		    hexval(s[i + 4]) < 0 || hexval(s[i + 5]) < 0)
			return -1;
		out[o++] = (char)(hexval(s[i + 4]) << 4 | hexval(s[i + 5]));
		i += 6;
	}
	return (long)o;
}

static void check(const char *name, const char *in, size_t n, const char *want)
{
	char back[4096], what[160];
	size_t len;
	const char *got = esc(in, n, &len);
	long blen;

	snprintf(what, sizeof(what), "%s: escaped", name);
	ASSERT_STREQ(got, want, what);
	snprintf(what, sizeof(what), "%s: at most SOV_JSON_ESC_MAX(n) bytes", name);
	ASSERT_TRUE(len <= SOV_JSON_ESC_MAX(n), what);
	blen = unescape(got, len, back);
	snprintf(what, sizeof(what), "%s: round-trips (length)", name);
	ASSERT_EQ(blen, (long)strnlen(in, n), what);
	snprintf(what, sizeof(what), "%s: round-trips (bytes)", name);
	ASSERT_TRUE(blen >= 0 && memcmp(back, in, blen) == 0, what);
}

#define CHECK(name, lit, want) check(name, lit, sizeof(lit) - 1, want)

static void test_ascii(void)
{
	CHECK("plain", "abc /x_y-z.0", "abc /x_y-z.0");
	CHECK("empty", "", "");
	CHECK("quote", "a\"b", "a\\\"b");
	CHECK("backslash", "a\\b", "a\\\\b");
	CHECK("quote and backslash runs", "\\\"\"\\", "\\\\\\\"\\\"\\\\");
	CHECK("DEL", "a\x7f", "a\\u007f");
	CHECK("newline and tab are \\u escapes", "a\nb\tc", "a\\u000ab\\u0009c");
	CHECK("printable edges", " ~", " ~");
}

static void test_controls(void)
{
	int bad = 0;

	for (int c = 1; c < 0x20; c++) {
		char in[2] = { (char)c, 0 }, want[8];

		snprintf(want, sizeof(want), "\\u%04x", c);
		if (strcmp(esc(in, 1, NULL), want)) {
			printf("#   byte 0x%02x: expected \"%s\", got \"%s\"\n", c, want,
			       esc(in, 1, NULL));
			bad++;
		}
	}
	ASSERT_EQ(bad, 0, "every control byte 0x01-0x1f is \\u00xx (lowercase)");
}

static void test_utf8(void)
{
	CHECK("2-byte U+00E9", "caf\xc3\xa9", "caf\xc3\xa9");
	CHECK("2-byte lowest U+0080", "\xc2\x80", "\xc2\x80");
	CHECK("3-byte U+20AC", "\xe2\x82\xac", "\xe2\x82\xac");
	CHECK("3-byte U+FFFF", "\xef\xbf\xbf", "\xef\xbf\xbf");
	CHECK("4-byte U+1F600", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
	CHECK("4-byte U+10FFFF", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
	CHECK("overlong '/' (C0 AF)", "\xc0\xaf", "\\u00c0\\u00af");
	CHECK("overlong 3-byte (E0 80 AF)", "\xe0\x80\xaf", "\\u00e0\\u0080\\u00af");
	CHECK("overlong 4-byte (F0 80 80 AF)", "\xf0\x80\x80\xaf",
	      "\\u00f0\\u0080\\u0080\\u00af");
	CHECK("surrogate U+D800", "\xed\xa0\x80", "\\u00ed\\u00a0\\u0080");
	CHECK("surrogate U+DFFF", "\xed\xbf\xbf", "\\u00ed\\u00bf\\u00bf");
	CHECK("U+D7FF is valid", "\xed\x9f\xbf", "\xed\x9f\xbf");
	CHECK("above U+10FFFF (F4 90 80 80)", "\xf4\x90\x80\x80",
	      "\\u00f4\\u0090\\u0080\\u0080");
	CHECK("F5 lead", "\xf5\x80\x80\x80", "\\u00f5\\u0080\\u0080\\u0080");
	CHECK("FF byte", "a\xff", "a\\u00ff");
	CHECK("lone continuation", "\x80z", "\\u0080z");
	CHECK("truncated 2-byte at end", "a\xc3", "a\\u00c3");
	CHECK("truncated 3-byte at end", "a\xe2\x82", "a\\u00e2\\u0082");
	CHECK("truncated 4-byte at end", "\xf0\x9f\x98", "\\u00f0\\u009f\\u0098");
	CHECK("truncated then ASCII", "\xe2\x82z", "\\u00e2\\u0082z");
	CHECK("valid after invalid", "\xff\xc3\xa9", "\\u00ff\xc3\xa9");
}

static void test_nul_and_n(void)
{
	size_t len;

	ASSERT_STREQ(esc("ab\0cd", 5, &len), "ab", "embedded NUL stops");
	ASSERT_EQ(len, 2, "embedded NUL stops: length");
	ASSERT_STREQ(esc("abcdef", 3, &len), "abc", "n bounds the input");
	/* A sequence cut by n is not valid within the n bytes. */
	ASSERT_STREQ(esc("\xc3\xa9", 1, &len), "\\u00c3", "sequence cut by n");
}

/* Pieces cut by sov_json_piece escape to exactly what the whole does. */
static void test_pieces(void)
{
	static char in[4096], whole[SOV_JSON_ESC_MAX(4096)], parts[SOV_JSON_ESC_MAX(4096)];
	static const char pool[] = "a\"\\\x01\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x80\xbf\xed\xa0";
	int bad = 0;

	srand(9);
	for (int it = 0; it < 2000 && !bad; it++) {
		size_t n = 1 + rand() % (sizeof(in) - 1), wl, pl = 0;

		for (size_t i = 0; i < n; i++)
			in[i] = pool[rand() % (sizeof(pool) - 1)];
		wl = sov_json_escape(whole, in, n);
		for (size_t off = 0, k; off < n; off += k) {
			k = sov_json_piece(in + off, n - off, 4 + rand() % 20);
			pl += sov_json_escape(parts + pl, in + off, k);
		}
		if (wl != pl || memcmp(whole, parts, wl)) {
			printf("#   iteration %d: %zu bytes escaped whole to %zu, in pieces to %zu\n",
			       it, n, wl, pl);
			bad++;
		}
	}
	ASSERT_EQ(bad, 0, "escaping in sov_json_piece pieces equals escaping whole");
}

/* Every byte value, each alone and after a valid 2-byte sequence. */
static void test_all_bytes_round_trip(void)
{
	char in[3 * 255], back[SOV_JSON_ESC_MAX(sizeof(in))];
	size_t n = 0, len;
	const char *got;
	long blen;

	for (int c = 1; c < 256; c++) {
		in[n++] = (char)c;
		in[n++] = '\xc3';
		in[n++] = '\xa9';
	}
	got = esc(in, n, &len);
	blen = unescape(got, len, back);
	ASSERT_EQ(blen, (long)n, "all bytes: round-trip length");
	ASSERT_TRUE(blen == (long)n && memcmp(back, in, n) == 0, "all bytes: round-trip bytes");
	ASSERT_TRUE(strstr(got, "\\u00") && !memchr(got, '\n', len) && !memchr(got, 0x7f, len),
		    "all bytes: no raw control byte in the output");
}

/* The 8-byte path (sov_json_plain8): every byte value at every place of a
 * 16-byte run of plain bytes escapes as it does alone, so no byte the
 * word test passes needed a look. */
static void test_word_path(void)
{
	int bad = 0;

	for (int c = 0; c < 256; c++) {
		char one[8], in[17], want[64], got[SOV_JSON_ESC_MAX(16) + 1];
		size_t l1 = 0, wl, gl;

		if (c) {
			one[0] = (char)c;
			l1 = sov_json_escape(one + 1, one, 1);
			memmove(one, one + 1, l1);
		}
		for (int k = 0; k < 16; k++) {
			memset(in, 'a', 16);
			in[16] = 0;
			in[k] = (char)c;
			memset(want, 'a', k);
			memcpy(want + k, one, l1);
			wl = k + l1;
			if (c) {
				memset(want + wl, 'a', 15 - k);
				wl += 15 - k;
			}
			gl = sov_json_escape(got, in, 16);
			if (gl != wl || memcmp(got, want, wl)) {
				printf("#   byte 0x%02x at %d: got %.*s, want %.*s\n", c, k, (int)gl,
				       got, (int)wl, want);
				bad++;
			}
		}
	}
	ASSERT_EQ(bad, 0, "every byte at every place of 16 plain bytes escapes as alone");
}

/* sov_u64_dec(): the same digits as printf's %llu, at every length. */
static void test_u64_dec(void)
{
	uint64_t v = 0, x = 0x9e3779b97f4a7c15ull;
	char got[SOV_U64_DEC_MAX + 1], want[32];
	int bad = 0;
	size_t n;

	for (int i = 0; i < 200000; i++) {
		/* 0..99999, then each power of ten and its neighbours, then a
		 * pseudo-random sweep over the whole range */
		if (i < 100000)
			v = (uint64_t)i;
		else if (i < 100060) {
			uint64_t p = 1;

			for (int k = 0; k < (i - 100000) / 3; k++)
				p *= 10;
			v = p + (uint64_t)((i - 100000) % 3) - 1;
		} else {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			v = x >> (i % 64);
		}
		n = sov_u64_dec(got, v);
		got[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		bad += strcmp(got, want) != 0;
	}
	n = sov_u64_dec(got, UINT64_MAX);
	got[n] = '\0';
	ASSERT_STREQ(got, "18446744073709551615", "sov_u64_dec(UINT64_MAX)");
	ASSERT_EQ(bad, 0, "sov_u64_dec() writes printf's digits for 200,000 values");
}

int main(void)
{
	test_u64_dec();
	test_ascii();
	test_controls();
	test_utf8();
	test_nul_and_n();
	test_pieces();
	test_all_bytes_round_trip();
	test_word_path();
	return tap_done();
}
