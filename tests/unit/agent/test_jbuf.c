// SPDX-License-Identifier: Apache-2.0
/* The event JSON writer: every line it writes must be valid JSON, whatever
 * bytes a path or command name holds. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "agent/jbuf.h"
#include "tests/lib/tap.h"

static const char *str(const char *in, size_t n)
{
	static struct jbuf b;

	jb_reset(&b);
	jb_strn(&b, in, n);
	return b.s;
}

int main(void)
{
	struct jbuf b;

	ASSERT_STREQ(str("plain", 5), "\"plain\"", "plain ASCII");
	ASSERT_STREQ(str("a\"b\\c", 5), "\"a\\\"b\\\\c\"", "quote and backslash escaped");
	ASSERT_STREQ(str("l\n\t\r", 4), "\"l\\u000a\\u0009\\u000d\"",
		     "control characters as \\u00XX (the journal's canonical rule)");
	ASSERT_STREQ(str("\x01\x7f", 2), "\"\\u0001\\u007f\"", "other control bytes as \\u00XX");
	ASSERT_STREQ(str("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"", "valid UTF-8 kept");
	ASSERT_STREQ(str("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\"", "4-byte UTF-8 kept");
	ASSERT_STREQ(str("x\xffy", 3), "\"x\\u00ffy\"", "invalid byte as \\u00XX");
	ASSERT_STREQ(str("\xc3", 1), "\"\\u00c3\"", "truncated sequence escaped");
	ASSERT_STREQ(str("\xc0\xaf", 2), "\"\\u00c0\\u00af\"", "overlong form escaped");
	ASSERT_STREQ(str("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\"", "surrogate escaped");
	ASSERT_STREQ(str("ab\0cd", 5), "\"ab\"", "stops at NUL (fixed-size kernel strings)");
	ASSERT_STREQ(str("abcdef", 3), "\"abc\"", "stops at the length");
	{
		/* Longer than one escaping piece, with a 2-byte sequence
		 * across the piece boundary: kept whole. */
		char in[600], want[700];

		memset(in, 'a', sizeof(in));
		in[255] = '\xc3';
		in[256] = '\xa9';
		in[599] = '\0';
		snprintf(want, sizeof(want), "\"%s\"", in);
		ASSERT_STREQ(str(in, sizeof(in)), want, "long string, UTF-8 across pieces kept");
	}

	jb_init(&b);
	jb_open(&b);
	jb_str(&b, "type", "egress");
	jb_u64(&b, "pid", 42);
	jb_i64(&b, "off", -1);
	jb_array_begin(&b, "classes");
	jb_array_str(&b, "pii-eu", 1);
	jb_array_str(&b, "w", 0);
	jb_array_end(&b);
	jb_close(&b);
	ASSERT_STREQ(b.s, "{\"type\":\"egress\",\"pid\":42,\"off\":-1,\"classes\":[\"pii-eu\",\"w\"]}",
		     "object: keys in call order, compact");
	jb_reset(&b);
	jb_open(&b);
	jb_array_begin(&b, "classes");
	jb_array_end(&b);
	jb_close(&b);
	ASSERT_STREQ(b.s, "{\"classes\":[]}", "empty array");
	jb_free(&b);
	return tap_done();
}
