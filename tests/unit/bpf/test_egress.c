// SPDX-License-Identifier: Apache-2.0
/*
 * The egress decision of bpf/rules.h, compiled for user space: the same
 * sov_egress_verdict() the kernel programs inline, with the LPM tries and
 * the zone rule table replaced by small mocks (both halves of the double
 * buffer), plus the per-socket report rule, the verdict counters and the
 * LSM scope check.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

#define BIT(c)		(1ull << (c))
#define PII_EU		0
#define HEALTH		1
#define TELEMETRY	2
#define SECRET		63

/* Zone ids of the mock policy. */
#define Z_EU		1
#define Z_US		2
#define Z_HUGE		(SOV_MAX_ZONES + 7)	/* out of range: judged as unknown */

struct mock_prefix {
	int family;
	uint8_t addr[16];
	int plen;
	uint32_t zone;
};

/* The LPM tries, per half: a longest-prefix scan over a few prefixes. */
static struct mock_prefix lpm[2][8];
static int n_lpm[2];
/* sov_zone_rules: ARRAY[2 * SOV_MAX_ZONES]; an array lookup never fails. */
static struct sov_zone_rule rules[2 * SOV_MAX_ZONES];
static uint32_t last_rule_idx;
static int n_zone4, n_zone6;

static void add_prefix(int half, int family, const char *addr, int plen, uint32_t zone)
{
	struct mock_prefix *p = &lpm[half][n_lpm[half]++];

	p->family = family;
	p->plen = plen;
	p->zone = zone;
	inet_pton(family == 4 ? AF_INET : AF_INET6, addr, p->addr);
}

static int prefix_match(const uint8_t *a, const uint8_t *p, int plen)
{
	int i;

	for (i = 0; i < plen; i++)
		if ((a[i / 8] ^ p[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static uint32_t mock_lpm(int half, int family, const uint8_t *a)
{
	uint32_t zone = SOV_ZONE_UNKNOWN;
	int i, best = -1;

	for (i = 0; i < n_lpm[half]; i++) {
		struct mock_prefix *p = &lpm[half][i];

		if (p->family == family && p->plen > best && prefix_match(a, p->addr, p->plen)) {
			best = p->plen;
			zone = p->zone;
		}
	}
	return zone;
}

static __u32 zone4(const struct sov_config *cfg, __u32 addr_be)
{
	n_zone4++;
	return mock_lpm(cfg->active ? 1 : 0, 4, (const uint8_t *)&addr_be);
}

static __u32 zone6(const struct sov_config *cfg, const __u32 a[4])
{
	n_zone6++;
	return mock_lpm(cfg->active ? 1 : 0, 6, (const uint8_t *)a);
}

static const struct sov_zone_rule *rule_of(__u32 idx)
{
	last_rule_idx = idx;
	return idx < 2 * SOV_MAX_ZONES ? &rules[idx] : NULL;
}

static struct sov_dst dst4(const char *addr)
{
	struct sov_dst d = { .family = SOV_AF_INET, .hook = SOV_HOOK_CONNECT };

	inet_pton(AF_INET, addr, &d.addr[0]);
	return d;
}

static struct sov_dst dst6(const char *addr)
{
	struct sov_dst d = { .family = SOV_AF_INET6, .hook = SOV_HOOK_CONNECT };

	inet_pton(AF_INET6, addr, d.addr);
	return d;
}

static int verdict(__u64 taint, const struct sov_config *cfg, const struct sov_dst *d,
		   __u32 *zone, __u64 *violated)
{
	*zone = 0xdead;
	*violated = 0xdead;
	return sov_egress_verdict(taint, cfg, d, zone4, zone6, rule_of, zone, violated);
}

/*
 * Half 0: 10.1.0.0/16 EU, 10.1.2.0/24 US (longer wins), 2001:db8:e::/48 EU,
 * 2001:db8:5::/48 US, 10.9.0.0/16 a zone id out of range.
 * Rules half 0: EU allows pii-eu, health, telemetry; US allows telemetry;
 * the unknown zone allows nothing.
 * Half 1 (the next policy): 10.1.2.0/24 is EU; US allows pii-eu too.
 */
static void setup(void)
{
	add_prefix(0, 4, "10.1.0.0", 16, Z_EU);
	add_prefix(0, 4, "10.1.2.0", 24, Z_US);
	add_prefix(0, 6, "2001:db8:e::", 48, Z_EU);
	add_prefix(0, 6, "2001:db8:5::", 48, Z_US);
	add_prefix(0, 4, "10.9.0.0", 16, Z_HUGE);
	rules[Z_EU].allowed = BIT(PII_EU) | BIT(HEALTH) | BIT(TELEMETRY);
	rules[Z_US].allowed = BIT(TELEMETRY);

	add_prefix(1, 4, "10.1.0.0", 16, Z_EU);
	add_prefix(1, 4, "10.1.2.0", 24, Z_EU);
	rules[SOV_MAX_ZONES + Z_EU].allowed = BIT(PII_EU) | BIT(HEALTH) | BIT(TELEMETRY);
	rules[SOV_MAX_ZONES + Z_US].allowed = BIT(PII_EU) | BIT(TELEMETRY);
}

static void test_rule(void)
{
	struct sov_config cfg = { .block_classes = BIT(PII_EU) | BIT(HEALTH),
				  .mode = SOV_MODE_ENFORCE };
	struct sov_zone_rule all = { .allowed = ~0ull }, some = { .allowed = BIT(HEALTH) };
	__u64 violated;

	ASSERT_EQ(sov_egress_rule(0, NULL, &cfg, &violated), SOV_VERDICT_ALLOW,
		  "rule: no taint, no rule: allow");
	ASSERT_EQ(violated, 0, "rule: no taint violates nothing");
	ASSERT_EQ(sov_egress_rule(BIT(PII_EU), NULL, &cfg, &violated), SOV_VERDICT_DENY,
		  "rule: a zone without a rule is allowed by no class");
	ASSERT_EQ(violated, BIT(PII_EU), "rule: violated = taint when no rule");
	ASSERT_EQ(sov_egress_rule(~0ull, &all, &cfg, &violated), SOV_VERDICT_ALLOW,
		  "rule: all 64 classes allowed: allow");
	ASSERT_EQ(violated, 0, "rule: all allowed violates nothing");
	ASSERT_EQ(sov_egress_rule(BIT(HEALTH) | BIT(SECRET), &some, &cfg, &violated),
		  SOV_VERDICT_AUDIT, "rule: violated class 63 is not a block class: audit");
	ASSERT_EQ(violated, BIT(SECRET), "rule: class 63 (the top bit) is violated");
	cfg.block_classes |= BIT(SECRET);
	ASSERT_EQ(sov_egress_rule(BIT(HEALTH) | BIT(SECRET), &some, &cfg, &violated),
		  SOV_VERDICT_DENY, "rule: class 63 as a block class: deny");
	cfg.mode = SOV_MODE_AUDIT;
	ASSERT_EQ(sov_egress_rule(BIT(HEALTH) | BIT(SECRET), &some, &cfg, &violated),
		  SOV_VERDICT_AUDIT, "rule: the same in audit mode: audit");
	ASSERT_EQ(violated, BIT(SECRET), "rule: audit mode reports the same violated classes");
}

static void test_verdict_v4(void)
{
	struct sov_config cfg = { .block_classes = BIT(PII_EU) | BIT(HEALTH),
				  .mode = SOV_MODE_ENFORCE };
	struct sov_dst d;
	__u64 violated;
	__u32 zone;

	d = dst4("10.1.7.7");
	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_ALLOW,
		  "v4: pii-eu to EU: allow");
	ASSERT_EQ(zone, Z_EU, "v4: 10.1.7.7 is in EU");
	ASSERT_EQ(violated, 0, "v4: nothing violated in EU");
	ASSERT_EQ(last_rule_idx, Z_EU, "v4: half 0 rule index is the zone");

	d = dst4("10.1.2.3");
	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_DENY,
		  "v4: pii-eu (block) to US in enforce: deny");
	ASSERT_EQ(zone, Z_US, "v4: the longer prefix 10.1.2.0/24 (US) wins over /16");
	ASSERT_EQ(violated, BIT(PII_EU), "v4: pii-eu is violated");

	ASSERT_EQ(verdict(0, &cfg, &d, &zone, &violated), SOV_VERDICT_ALLOW,
		  "v4: no taint to US: allow");
	ASSERT_EQ(violated, 0, "v4: no taint violates nothing");

	ASSERT_EQ(verdict(BIT(TELEMETRY), &cfg, &d, &zone, &violated), SOV_VERDICT_ALLOW,
		  "v4: telemetry, allowed in US: allow");

	ASSERT_EQ(verdict(BIT(PII_EU) | BIT(HEALTH) | BIT(TELEMETRY), &cfg, &d, &zone,
			  &violated), SOV_VERDICT_DENY, "v4: three classes, two violated: deny");
	ASSERT_EQ(violated, BIT(PII_EU) | BIT(HEALTH), "v4: exactly the two US does not allow");

	cfg.block_classes = BIT(HEALTH);
	ASSERT_EQ(verdict(BIT(PII_EU) | BIT(TELEMETRY), &cfg, &d, &zone, &violated),
		  SOV_VERDICT_AUDIT, "v4: violated class without block action: audit in enforce");
	ASSERT_EQ(violated, BIT(PII_EU), "v4: several classes, one violated");
	ASSERT_EQ(verdict(BIT(PII_EU) | BIT(HEALTH), &cfg, &d, &zone, &violated),
		  SOV_VERDICT_DENY, "v4: one block class among the violated: deny");

	cfg.mode = SOV_MODE_AUDIT;
	ASSERT_EQ(verdict(BIT(PII_EU) | BIT(HEALTH), &cfg, &d, &zone, &violated),
		  SOV_VERDICT_AUDIT, "v4: the same in audit mode: audit, never deny");
	ASSERT_EQ(violated, BIT(PII_EU) | BIT(HEALTH), "v4: audit mode: violated unchanged");
}

static void test_unknown_zone(void)
{
	struct sov_config cfg = { .block_classes = BIT(PII_EU), .mode = SOV_MODE_ENFORCE };
	struct sov_dst d = dst4("192.0.2.1");
	__u64 violated;
	__u32 zone;

	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_DENY,
		  "unknown: an address in no zone is denied to pii-eu");
	ASSERT_EQ(zone, SOV_ZONE_UNKNOWN, "unknown: zone 0");
	ASSERT_EQ(last_rule_idx, SOV_ZONE_UNKNOWN, "unknown: rule of zone 0");
	rules[SOV_ZONE_UNKNOWN].allowed = BIT(PII_EU);
	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_ALLOW,
		  "unknown: a class that allows the unknown zone: allow");
	rules[SOV_ZONE_UNKNOWN].allowed = 0;

	d = dst4("10.9.1.1");
	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_DENY,
		  "unknown: a zone id out of range is judged as unknown");
	ASSERT_EQ(zone, Z_HUGE, "unknown: the event still carries the id the trie gave");
	ASSERT_EQ(last_rule_idx, SOV_ZONE_UNKNOWN, "unknown: out-of-range id reads rule 0");
	ASSERT_EQ(sov_zone_rule_idx(SOV_MAX_ZONES - 1, 0), SOV_MAX_ZONES - 1,
		  "unknown: the last zone id is in range");
	ASSERT_EQ(sov_zone_rule_idx(SOV_MAX_ZONES, 1), SOV_MAX_ZONES,
		  "unknown: out of range in half 1 reads half 1's unknown rule");
	ASSERT_EQ(sov_zone_rule_idx(0xffffffffu, 0), 0, "unknown: id 2^32-1 reads rule 0");
}

static void test_active_half(void)
{
	struct sov_config cfg = { .block_classes = BIT(PII_EU), .mode = SOV_MODE_ENFORCE,
				  .active = 1 };
	struct sov_dst d = dst4("10.1.2.3");
	__u64 violated;
	__u32 zone;

	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_ALLOW,
		  "half 1: the new policy's prefixes are in force");
	ASSERT_EQ(zone, Z_EU, "half 1: 10.1.2.3 is EU in the new policy");
	ASSERT_EQ(last_rule_idx, SOV_MAX_ZONES + Z_EU, "half 1: rule index + SOV_MAX_ZONES");

	d = dst6("2001:db8:5::1");
	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_DENY,
		  "half 1: IPv6 prefix only in half 0 is unknown in half 1");
	ASSERT_EQ(zone, SOV_ZONE_UNKNOWN, "half 1: no zone for 2001:db8:5::1");
	ASSERT_EQ(last_rule_idx, SOV_MAX_ZONES + SOV_ZONE_UNKNOWN,
		  "half 1: unknown zone's rule in half 1");
}

static void test_v6(void)
{
	struct sov_config cfg = { .block_classes = BIT(PII_EU), .mode = SOV_MODE_ENFORCE };
	struct sov_dst d;
	__u64 violated;
	__u32 zone;

	d = dst6("2001:db8:e::10");
	n_zone4 = n_zone6 = 0;
	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_ALLOW,
		  "v6: pii-eu to an EU IPv6 address: allow");
	ASSERT_EQ(zone, Z_EU, "v6: zone from the IPv6 trie");
	ASSERT_EQ(n_zone6, 1, "v6: one IPv6 trie lookup");
	ASSERT_EQ(n_zone4, 0, "v6: no IPv4 trie lookup");

	d = dst6("2001:db8:5::10");
	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_DENY,
		  "v6: pii-eu to a US IPv6 address: deny");

	d = dst6("::ffff:10.1.2.3");
	n_zone4 = n_zone6 = 0;
	ASSERT_TRUE(sov_ip6_is_v4mapped(d.addr), "v6: ::ffff:10.1.2.3 is v4-mapped");
	ASSERT_EQ(verdict(BIT(PII_EU), &cfg, &d, &zone, &violated), SOV_VERDICT_DENY,
		  "v6: v4-mapped US address judged by the IPv4 trie: deny");
	ASSERT_EQ(zone, Z_US, "v6: v4-mapped zone is the IPv4 one");
	ASSERT_EQ(n_zone4, 1, "v6: v4-mapped looks up the IPv4 trie once");
	ASSERT_EQ(n_zone6, 0, "v6: v4-mapped does not look up the IPv6 trie");

	d = dst6("::10.1.2.3");
	ASSERT_TRUE(!sov_ip6_is_v4mapped(d.addr), "v6: ::10.1.2.3 (v4-compatible) is not v4-mapped");
	d = dst6("::fffe:10.1.2.3");
	ASSERT_TRUE(!sov_ip6_is_v4mapped(d.addr), "v6: ::fffe:a.b.c.d is not v4-mapped");
	d = dst6("0:1::ffff:10.1.2.3");
	ASSERT_TRUE(!sov_ip6_is_v4mapped(d.addr), "v6: non-zero upper bits are not v4-mapped");
}

static void test_counters_and_sockets(void)
{
	ASSERT_EQ(sov_verdict_counter(SOV_VERDICT_ALLOW), SOV_CNT_ALLOW, "counter: allow");
	ASSERT_EQ(sov_verdict_counter(SOV_VERDICT_DENY), SOV_CNT_DENY, "counter: deny");
	ASSERT_EQ(sov_verdict_counter(SOV_VERDICT_AUDIT), SOV_CNT_AUDIT, "counter: audit");

	ASSERT_EQ(sov_sock_state(SOV_VERDICT_DENY), SOV_SOCK_DENIED, "socket: deny sticks");
	ASSERT_EQ(sov_sock_state(SOV_VERDICT_AUDIT), SOV_SOCK_REPORTED, "socket: audit reported");
	ASSERT_TRUE(sov_sock_reports(0, SOV_VERDICT_AUDIT), "socket: first audit is reported");
	ASSERT_TRUE(!sov_sock_reports(SOV_SOCK_REPORTED, SOV_VERDICT_AUDIT),
		    "socket: a second audit is not");
	ASSERT_TRUE(sov_sock_reports(SOV_SOCK_REPORTED, SOV_VERDICT_DENY),
		    "socket: a deny after an audit (taint grew) is reported");
	ASSERT_TRUE(!sov_sock_reports(SOV_SOCK_DENIED, SOV_VERDICT_DENY),
		    "socket: a second deny is not");
	ASSERT_TRUE(!sov_sock_reports(SOV_SOCK_DENIED, SOV_VERDICT_AUDIT),
		    "socket: an audit after a deny is not");
}

static __u32 under_mask, n_under;

static long under(__u32 i)
{
	n_under++;
	return (under_mask >> i) & 1;
}

static void test_scope(void)
{
	struct sov_config cfg = { 0 };

	under_mask = 0;
	n_under = 0;
	ASSERT_EQ(sov_in_scope(&cfg, under), 1, "scope: no scope cgroup is the whole host");
	ASSERT_EQ(n_under, 0, "scope: whole host checks no cgroup");
	cfg.n_scope = 3;
	ASSERT_EQ(sov_in_scope(&cfg, under), 0, "scope: under none of 3: out of scope");
	ASSERT_EQ(n_under, 3, "scope: all 3 checked");
	under_mask = 1u << 1;
	n_under = 0;
	ASSERT_EQ(sov_in_scope(&cfg, under), 1, "scope: under the second: in scope");
	ASSERT_EQ(n_under, 2, "scope: stops at the first match");
	under_mask = 1u << 5;
	ASSERT_EQ(sov_in_scope(&cfg, under), 0, "scope: slots past n_scope are not checked");
	cfg.n_scope = 1000;
	under_mask = 0;
	n_under = 0;
	ASSERT_EQ(sov_in_scope(&cfg, under), 0, "scope: a bad n_scope checks at most the array");
	ASSERT_EQ(n_under, SOV_MAX_SCOPE, "scope: SOV_MAX_SCOPE checks");
}

int main(void)
{
	setup();
	test_rule();
	test_verdict_v4();
	test_unknown_zone();
	test_active_half();
	test_v6();
	test_counters_and_sockets();
	test_scope();
	return tap_done();
}
