// SPDX-License-Identifier: Apache-2.0
/*
 * IPv6 destinations that embed an IPv4 address (sov/addr.h): v4-mapped,
 * NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are judged by that IPv4
 * address, the rest of 64:ff9b::/32 (local-use 64:ff9b:1::/48 included) as
 * the unknown zone. User space's lookup (sov_policy_zone_of(), which
 * `sovctl zone lookup` prints) and the kernel's rule (bpf/rules.h
 * sov_egress_verdict(), with the LPM tries mocked by the same compiled
 * tables) must give the same zone for every address here; the kernel rule
 * must not consult the IPv6 tries for an embedded address.
 */
#include <arpa/inet.h>

#include "tests/lib/tap.h"
#include "tests/unit/policy/helpers.h"
#include "bpf/rules.h"

/* Zones that also list IPv6 prefixes inside the embedding ranges: those
 * prefixes never decide, the embedded IPv4 address (or unknown) does. */
static const char pol[] =
	"version: 1\nzones:\n"
	"  eu: {cidrs: [10.10.0.0/16, \"fd00:10::/32\"]}\n"
	"  us: {cidrs: [10.20.0.0/16, \"fd00:20::/32\"]}\n"
	"  nat: {cidrs: [\"64:ff9b::/32\"]}\n"
	"  sixtofour: {cidrs: [\"2002::/16\"]}\n";

static const struct sov_policy_image *img;
static int n4, n6;

static __u32 zone4(const struct sov_config *cfg, __u32 addr_be)
{
	(void)cfg;
	n4++;
	return sov_policy_zone_of(img, AF_INET, &addr_be);
}

static __u32 zone6(const struct sov_config *cfg, const __u32 a[4])
{
	(void)cfg;
	n6++;
	return sov_policy_zone_of(img, AF_INET6, a);
}

static struct sov_zone_rule rule;

static const struct sov_zone_rule *rule_of(__u32 idx)
{
	(void)idx;
	return &rule;
}

static void check(const char *addr, const char *want, int want_as)
{
	struct sov_config cfg = { .mode = SOV_MODE_ENFORCE };
	struct sov_dst d = { .family = SOV_AF_INET6 };
	__u32 zone = 0xdead, v4 = 0;
	__u64 violated;
	char what[160];
	int as;

	if (inet_pton(AF_INET6, addr, d.addr) != 1) {
		snprintf(what, sizeof(what), "%s parses", addr);
		ASSERT_TRUE(0, what);
		return;
	}
	as = sov_ip6_judged_as(d.addr, &v4);
	snprintf(what, sizeof(what), "%s: judged as %s", addr,
		 want_as == SOV_IP6_V4 ? "its IPv4 address" :
		 want_as == SOV_IP6_UNKNOWN ? "unknown" : "itself");
	ASSERT_EQ(as, want_as, what);

	snprintf(what, sizeof(what), "user space (sovctl zone lookup): %s is in %s", addr, want);
	ASSERT_STREQ(sov_policy_zone_name(img, sov_policy_zone_of(img, AF_INET6, d.addr)),
		     want, what);

	n4 = n6 = 0;
	sov_egress_verdict(1, &cfg, &d, zone4, zone6, rule_of, &zone, &violated);
	snprintf(what, sizeof(what), "kernel rule: %s is in %s", addr, want);
	ASSERT_STREQ(sov_policy_zone_name(img, zone), want, what);
	snprintf(what, sizeof(what), "kernel rule: %s: %d IPv4 and %d IPv6 trie lookups", addr,
		 want_as == SOV_IP6_V4, want_as == SOV_IP6_NATIVE);
	ASSERT_TRUE(n4 == (want_as == SOV_IP6_V4) && n6 == (want_as == SOV_IP6_NATIVE), what);
}

/* An unsure destination (a source route, a name that cannot be parsed) is
 * the unknown zone without a lookup, whatever its address says. */
static void check_unsure(void)
{
	struct sov_config cfg = { .mode = SOV_MODE_ENFORCE, .block_classes = 1 };
	struct sov_dst d = { .family = SOV_AF_INET, .unsure = 1 };
	__u32 zone = 0xdead;
	__u64 violated;

	inet_pton(AF_INET, "10.10.0.2", d.addr);
	n4 = n6 = 0;
	ASSERT_EQ(sov_egress_verdict(1, &cfg, &d, zone4, zone6, rule_of, &zone, &violated),
		  SOV_VERDICT_DENY, "unsure: an EU address with a source route is denied");
	ASSERT_EQ(zone, SOV_ZONE_UNKNOWN, "unsure: judged as the unknown zone");
	ASSERT_EQ(n4 + n6, 0, "unsure: no trie lookup");
}

int main(void)
{
	struct sov_policy_image *im = NULL;
	struct sov_diags d;
	int err;

	sov_diags_init(&d);
	err = sov_policy_compile_buffer("embedded.yaml", pol, sizeof(pol) - 1, NULL, &im, &d);
	if (!ASSERT_OK(err, "the policy compiles")) {
		dump_diags(&d);
		sov_diags_free(&d);
		return tap_done();
	}
	img = im;
	rule.allowed = 0;

	check("::ffff:10.20.0.2", "us", SOV_IP6_V4);
	check("::ffff:10.10.0.2", "eu", SOV_IP6_V4);
	check("::ffff:192.0.2.1", "unknown", SOV_IP6_V4);
	/* NAT64 well-known prefix: the last 32 bits */
	check("64:ff9b::10.20.0.2", "us", SOV_IP6_V4);
	check("64:ff9b::a0a:2", "eu", SOV_IP6_V4);
	check("64:ff9b::192.0.2.1", "unknown", SOV_IP6_V4);
	/* the rest of 64:ff9b::/32: local use (RFC 8215) and unassigned */
	check("64:ff9b:1::10.10.0.2", "unknown", SOV_IP6_UNKNOWN);
	check("64:ff9b:1:a0a:2::", "unknown", SOV_IP6_UNKNOWN);
	check("64:ff9b:0:0:1::a0a:2", "unknown", SOV_IP6_UNKNOWN);
	check("64:ff9b:ffff::a0a:2", "unknown", SOV_IP6_UNKNOWN);
	/* 6to4: bits 16..47 */
	check("2002:a14:2::1", "us", SOV_IP6_V4);
	check("2002:a0a:2:ffff::1", "eu", SOV_IP6_V4);
	check("2002:c000:201::", "unknown", SOV_IP6_V4);
	/* neighbours that are plain IPv6 */
	check("2003:a14:2::1", "unknown", SOV_IP6_NATIVE);
	check("2001:a14:2::1", "unknown", SOV_IP6_NATIVE);
	check("65:ff9b::a14:2", "unknown", SOV_IP6_NATIVE);
	check("64:ff9a::a14:2", "unknown", SOV_IP6_NATIVE);
	check("::a14:2", "unknown", SOV_IP6_NATIVE);
	check("::fffe:a14:2", "unknown", SOV_IP6_NATIVE);
	check("fd00:20::2", "us", SOV_IP6_NATIVE);
	check("fd00:10::2", "eu", SOV_IP6_NATIVE);
	check_unsure();

	sov_policy_free(im);
	sov_diags_free(&d);
	return tap_done();
}
