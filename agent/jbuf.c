// SPDX-License-Identifier: Apache-2.0
/* A growing JSON buffer (jbuf.h). Calls: include/sov/json.h only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/jbuf.h"
#include "sov/json.h"

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

/*
 * Paths and command names are bytes, not text: the one escaper
 * (include/sov/json.h, the journal's canonical rules) keeps every line
 * valid JSON and the original bytes recoverable.
 */
void jb_strn(struct jbuf *b, const char *val, size_t n)
{
	char chunk[SOV_JSON_ESC_MAX(256)];
	size_t done = 0;

	raw(b, "\"");
	/* In pieces that never split a UTF-8 sequence: a piece ends before a
	 * continuation byte. */
	while (done < n && val[done]) {
		size_t take = 0;

		while (take < 256 && done + take < n && val[done + take])
			take++;
		if (take == 256)
			while (take > 252 && done + take < n &&
			       ((unsigned char)val[done + take] & 0xc0) == 0x80)
				take--;
		jb_raw(b, chunk, sov_json_escape(chunk, val + done, take));
		done += take;
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
	char num[SOV_U64_DEC_MAX];

	jb_key(b, key);
	jb_raw(b, num, sov_u64_dec(num, v));
}

void jb_i64(struct jbuf *b, const char *key, int64_t v)
{
	char num[1 + SOV_U64_DEC_MAX];

	jb_key(b, key);
	if (v < 0) {
		num[0] = '-';
		jb_raw(b, num, 1 + sov_u64_dec(num + 1, -(uint64_t)v));
	} else {
		jb_raw(b, num, sov_u64_dec(num, (uint64_t)v));
	}
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
