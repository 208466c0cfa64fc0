// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/jbuf.h"

void jb_init(struct jbuf *b)
{
	memset(b, 0, sizeof(*b));
	b->first = 1;
}

void jb_free(struct jbuf *b)
{
	free(b->s);
	jb_init(b);
}

void jb_reset(struct jbuf *b)
{
	b->len = 0;
	b->first = 1;
	b->oom = 0;
	if (b->s)
		b->s[0] = '\0';
}

void jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *ns;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		ns = realloc(b->s, ncap);
		if (!ns) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void raw(struct jbuf *b, const char *s)
{
	jb_raw(b, s, strlen(s));
}

void jb_open(struct jbuf *b)
{
	raw(b, "{");
	b->first = 1;
}

void jb_close(struct jbuf *b)
{
	raw(b, "}");
	b->first = 0;
}

void jb_key(struct jbuf *b, const char *key)
{
	if (!b->first)
		raw(b, ",");
	b->first = 0;
	raw(b, "\"");
	raw(b, key);
	raw(b, "\":");
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * Escapes per RFC 8259. Paths and command names are bytes, not text: a
 * byte that is not part of valid UTF-8 is written as \u00XX (its Latin-1
 * reading), so every line stays valid JSON.
 */
void jb_strn(struct jbuf *b, const char *val, size_t n)
{
	const unsigned char *v = (const unsigned char *)val;
	char esc[8];
	size_t i = 0;

	raw(b, "\"");
	while (i < n && v[i]) {
		unsigned char c = v[i];
		size_t avail = 0, l;

		while (i + avail < n && v[i + avail] && avail < 4)
			avail++;
		switch (c) {
		case '"': raw(b, "\\\""); i++; continue;
		case '\\': raw(b, "\\\\"); i++; continue;
		case '\n': raw(b, "\\n"); i++; continue;
		case '\r': raw(b, "\\r"); i++; continue;
		case '\t': raw(b, "\\t"); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			raw(b, esc);
			i++;
			continue;
		}
		l = utf8_len(v + i, avail);
		if (!l) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			raw(b, esc);
			i++;
			continue;
		}
		jb_raw(b, (const char *)v + i, l);
		i += l;
	}
	raw(b, "\"");
}

void jb_str(struct jbuf *b, const char *key, const char *val)
{
	jb_key(b, key);
	jb_strn(b, val ? val : "", (size_t)-1);
}

void jb_u64(struct jbuf *b, const char *key, uint64_t v)
{
	char num[24];

	jb_key(b, key);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	raw(b, num);
}

void jb_i64(struct jbuf *b, const char *key, int64_t v)
{
	char num[24];

	jb_key(b, key);
	snprintf(num, sizeof(num), "%lld", (long long)v);
	raw(b, num);
}

void jb_array_begin(struct jbuf *b, const char *key)
{
	jb_key(b, key);
	raw(b, "[");
}

void jb_array_str(struct jbuf *b, const char *val, int first)
{
	if (!first)
		raw(b, ",");
	jb_strn(b, val, (size_t)-1);
}

void jb_array_end(struct jbuf *b)
{
	raw(b, "]");
}
