// SPDX-License-Identifier: Apache-2.0
/* Canonical record encoding: exact bytes for a full and a minimal record,
 * the escaping rules, and RFC 3339 times. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "tests/lib/tap.h"
#include "agent/journal/jinternal.h"
#include "agent/journal/journal.h"

static int enc(const struct sov_record *r, uint64_t seq, char *buf, size_t len)
{
	struct rec_ctx x = { .host = "0123456789abcdef0123456789abcdef",
			     .boot = "c3e5ad4b-9cbe-4fd1-8b3b-1b0cf2a3d9e4", .cached_sec = -1 };
	int n = sovj_record_encode(&x, r, seq, 1764140933123456789ull, 5000000001ull, buf, len - 1);

	if (n >= 0)
		buf[n] = 0;
	return n;
}

int main(void)
{
	const char *classes[] = { "pii-eu", "health-de" }, *viol[] = { "pii-eu" };
	char buf[2048];
	int64_t ns;
	int n;

	(void)tap__skipped;	/* tap.h declares it for TAP_SKIP users only */
	n = enc(&(struct sov_record){
			.type = SOV_REC_EGRESS, .has = SOV_HAS_ACTOR | SOV_HAS_OBJECT | SOV_HAS_DEST,
			.pid = 4242, .uid = 1000, .comm = "python3", .exe = "/usr/bin/python3.11",
			.cgroup = "/user.slice", .dev = 2049, .ino = 77, .path = "/srv/a",
			.classes = classes, .nclasses = 2, .dst = "2001:db8::1", .dport = 443,
			.proto = "tcp", .zone = "us", .verdict = "deny", .violated = viol,
			.nviolated = 1, .hook = "connect", .policy_sha256 = "ab12", .jdata = "loc-1",
			.detail = "x",
		}, 7, buf, sizeof(buf));
	ASSERT_TRUE(n > 0, "encode full record");
	ASSERT_STREQ(buf,
		     "{\"seq\":7,\"type\":\"egress\",\"time\":\"2025-11-26T07:08:53.123456789Z\","
		     "\"boot_ns\":5000000001,\"host\":\"0123456789abcdef0123456789abcdef\","
		     "\"boot\":\"c3e5ad4b-9cbe-4fd1-8b3b-1b0cf2a3d9e4\",\"pid\":4242,\"uid\":1000,"
		     "\"comm\":\"python3\",\"exe\":\"/usr/bin/python3.11\",\"cgroup\":\"/user.slice\","
		     "\"dev\":2049,\"ino\":77,\"path\":\"/srv/a\",\"classes\":[\"pii-eu\",\"health-de\"],"
		     "\"dst\":\"2001:db8::1\",\"dport\":443,\"proto\":\"tcp\",\"zone\":\"us\","
		     "\"verdict\":\"deny\",\"violated\":[\"pii-eu\"],\"hook\":\"connect\","
		     "\"policy_sha256\":\"ab12\","
		     "\"jdata\":\"loc-1\",\"detail\":\"x\"}",
		     "full record: fixed key order, no whitespace");

	n = enc(&(struct sov_record){ .type = SOV_REC_HEARTBEAT }, 0, buf, sizeof(buf));
	ASSERT_STREQ(buf,
		     "{\"seq\":0,\"type\":\"heartbeat\",\"time\":\"2025-11-26T07:08:53.123456789Z\","
		     "\"boot_ns\":5000000001,\"host\":\"0123456789abcdef0123456789abcdef\","
		     "\"boot\":\"c3e5ad4b-9cbe-4fd1-8b3b-1b0cf2a3d9e4\"}",
		     "minimal record: fields that do not apply are omitted");
	{
		struct rec_ctx x = { .host = "h", .boot = "b", .version = "v1.2-3-g\"x", .cached_sec = -1 };

		n = sovj_record_encode(&x, &(struct sov_record){ .type = SOV_REC_HEARTBEAT }, 0,
				       1764140933123456789ull, 1, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		ASSERT_STREQ(buf,
			     "{\"seq\":0,\"type\":\"heartbeat\",\"time\":\"2025-11-26T07:08:53.123456789Z\","
			     "\"boot_ns\":1,\"host\":\"h\",\"boot\":\"b\",\"version\":\"v1.2-3-g\\\"x\"}",
			     "the agent version follows boot (issue 15), escaped as any string");
	}

	n = enc(&(struct sov_record){ .type = SOV_REC_AGENT,
				      .detail = "q\"b\\s\n\x01\x7f é \xff\xc3" }, 1, buf, sizeof(buf));
	ASSERT_STRSTR(buf, "\"detail\":\"q\\\"b\\\\s\\u000a\\u0001\\u007f \xc3\xa9 \\u00ff\\u00c3\"}",
		      "escaping: quote, backslash, controls as \\u00xx, UTF-8 kept, invalid bytes as \\u00XX");

	ASSERT_EQ(enc(&(struct sov_record){ .type = "bogus" }, 0, buf, sizeof(buf)), -EINVAL,
		  "unknown record type refused");
	ASSERT_EQ(enc(&(struct sov_record){ .type = SOV_REC_AGENT, .detail = "0123456789" }, 0, buf, 100),
		  -ENOSPC, "record larger than the buffer refused");

	{
		uint64_t seq;
		const char *r = "{\"seq\":123,\"type\":\"agent\",\"time\":\"2026-01-02T03:04:05.000000006Z\"}";

		ASSERT_OK(sovj_record_seq((const uint8_t *)r, strlen(r), &seq), "sovj_record_seq");
		ASSERT_EQ(seq, 123, "seq value");
		ASSERT_OK(sovj_record_time((const uint8_t *)r, strlen(r), &ns), "sovj_record_time");
		ASSERT_EQ(ns, 1767323045000000006ll, "time value");
		ASSERT_TRUE(sovj_record_seq((const uint8_t *)"{\"seq\":01,", 10, &seq) != 0,
			    "leading zero in seq refused");
	}
	ASSERT_OK(sov_journal_parse_time("2026-01-31", &ns), "parse date");
	ASSERT_EQ(ns, 1769817600000000000ll, "date is midnight UTC");
	ASSERT_OK(sov_journal_parse_time("2026-01-31T01:00:00+01:00", &ns), "parse offset");
	ASSERT_EQ(ns, 1769817600000000000ll, "offset applied");
	ASSERT_OK(sov_journal_parse_time("2026-01-31T00:00:00.5Z", &ns), "parse fraction");
	ASSERT_EQ(ns, 1769817600500000000ll, "fraction applied");
	ASSERT_TRUE(sov_journal_parse_time("2026-01-31T00:00:00", &ns) != 0, "time without offset refused");
	ASSERT_TRUE(sov_journal_parse_time("yesterday", &ns) != 0, "garbage refused");
	ASSERT_OK(sovj_format_rfc3339(1769817600500000000ll, buf, sizeof(buf)), "format time");
	ASSERT_STREQ(buf, "2026-01-31T00:00:00.500000000Z", "formatted time");
	return tap_done();
}
