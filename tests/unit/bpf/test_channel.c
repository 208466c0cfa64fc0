// SPDX-License-Identifier: Apache-2.0
/*
 * The channel rule of bpf/rules.h: which sockets cannot be judged by
 * destination (sov_channel()), and the verdict a tainted process gets for
 * one (sov_channel_rule()), compiled for user space. The constants are the
 * libc ones, so a mistake in rules.h's own copies shows up here too.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define BIT(c)		(1ull << (c))
#define PII_EU		0	/* block */
#define AUDITED		1	/* audit only */
#define HEALTH		2	/* block */

struct c {
	const char *name;
	int family, type, protocol;
	uint32_t want;
};

static const struct c cases[] = {
	/* judged by destination */
	{ "tcp4 (protocol 0)", AF_INET, SOCK_STREAM, 0, SOV_CHAN_NONE },
	{ "tcp4", AF_INET, SOCK_STREAM, IPPROTO_TCP, SOV_CHAN_NONE },
	{ "tcp6 nonblocking, cloexec", AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	  IPPROTO_TCP, SOV_CHAN_NONE },
	{ "udp4 (protocol 0)", AF_INET, SOCK_DGRAM, 0, SOV_CHAN_NONE },
	{ "udp6", AF_INET6, SOCK_DGRAM, IPPROTO_UDP, SOV_CHAN_NONE },
	/* families sovd does not govern here */
	{ "unix stream", AF_UNIX, SOCK_STREAM, 0, SOV_CHAN_NONE },
	{ "unix dgram", AF_UNIX, SOCK_DGRAM, 0, SOV_CHAN_NONE },
	{ "netlink raw", AF_NETLINK, SOCK_RAW, 0, SOV_CHAN_NONE },
	{ "key (PF_KEY)", AF_KEY, SOCK_RAW, 2, SOV_CHAN_NONE },
	{ "alg (kernel crypto)", AF_ALG, SOCK_SEQPACKET, 0, SOV_CHAN_NONE },
	/* families that leave the host, or that sovd does not parse: other */
	{ "vsock stream", AF_VSOCK, SOCK_STREAM, 0, SOV_CHAN_OTHER },
	{ "vsock dgram", AF_VSOCK, SOCK_DGRAM, 0, SOV_CHAN_OTHER },
	{ "tipc rdm", AF_TIPC, SOCK_RDM, 0, SOV_CHAN_OTHER },
	{ "rds", AF_RDS, SOCK_SEQPACKET, 0, SOV_CHAN_OTHER },
	{ "smc", 43 /* AF_SMC */, SOCK_STREAM, 0, SOV_CHAN_OTHER },
	{ "kcm", AF_KCM, SOCK_DGRAM, 0, SOV_CHAN_OTHER },
	{ "can raw", AF_CAN, SOCK_RAW, 1, SOV_CHAN_OTHER },
	{ "bluetooth", AF_BLUETOOTH, SOCK_STREAM, 0, SOV_CHAN_OTHER },
	{ "a family from the future", 60, SOCK_STREAM, 0, SOV_CHAN_OTHER },
	/* raw IP, whatever the protocol */
	{ "raw4 icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP, SOV_CHAN_RAW },
	{ "raw4 IPPROTO_RAW", AF_INET, SOCK_RAW, IPPROTO_RAW, SOV_CHAN_RAW },
	{ "raw4 tcp", AF_INET, SOCK_RAW, IPPROTO_TCP, SOV_CHAN_RAW },
	{ "raw4 udp, nonblocking", AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_UDP, SOV_CHAN_RAW },
	{ "raw6 icmpv6", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, SOV_CHAN_RAW },
	/* ping */
	{ "ping4", AF_INET, SOCK_DGRAM, IPPROTO_ICMP, SOV_CHAN_PING },
	{ "ping6", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, SOV_CHAN_PING },
	{ "ping4, cloexec", AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP, SOV_CHAN_PING },
	/* link layer */
	{ "packet raw", AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */, SOV_CHAN_PACKET },
	{ "packet dgram", AF_PACKET, SOCK_DGRAM, 0x0008 /* htons(ETH_P_IP) */, SOV_CHAN_PACKET },
	{ "packet, protocol 0", AF_PACKET, SOCK_RAW, 0, SOV_CHAN_PACKET },
	{ "inet SOCK_PACKET (obsolete)", AF_INET, SOCK_PACKET, 0x0300, SOV_CHAN_PACKET },
	{ "xdp", AF_XDP, SOCK_RAW, 0, SOV_CHAN_XDP },
	/* IP protocols sovd does not parse */
	{ "sctp stream", AF_INET, SOCK_STREAM, IPPROTO_SCTP, SOV_CHAN_OTHER },
	{ "sctp seqpacket", AF_INET6, SOCK_SEQPACKET, IPPROTO_SCTP, SOV_CHAN_OTHER },
	{ "seqpacket, protocol 0", AF_INET, SOCK_SEQPACKET, 0, SOV_CHAN_OTHER },
	{ "udplite", AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, SOV_CHAN_OTHER },
	{ "mptcp", AF_INET, SOCK_STREAM, IPPROTO_MPTCP, SOV_CHAN_OTHER },
	{ "stream with udp", AF_INET, SOCK_STREAM, IPPROTO_UDP, SOV_CHAN_OTHER },
	{ "dgram with tcp", AF_INET6, SOCK_DGRAM, IPPROTO_TCP, SOV_CHAN_OTHER },
	{ "dgram with icmpv6 on inet4", AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6, SOV_CHAN_PING },
	{ "dccp", AF_INET, SOCK_DCCP, 33, SOV_CHAN_OTHER },
};

static void test_classification(void)
{
	char name[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "channel of %s", cases[i].name);
		ASSERT_EQ(sov_channel(cases[i].family, cases[i].type, cases[i].protocol),
			  cases[i].want, name);
	}
	/* rules.h's copies of the kernel constants */
	ASSERT_EQ(SOV_AF_PACKET, AF_PACKET, "SOV_AF_PACKET is AF_PACKET");
	ASSERT_EQ(SOV_AF_XDP, AF_XDP, "SOV_AF_XDP is AF_XDP");
	ASSERT_EQ(SOV_AF_UNIX, AF_UNIX, "SOV_AF_UNIX is AF_UNIX");
	ASSERT_EQ(SOV_AF_KEY, AF_KEY, "SOV_AF_KEY is AF_KEY");
	ASSERT_EQ(SOV_AF_NETLINK, AF_NETLINK, "SOV_AF_NETLINK is AF_NETLINK");
	ASSERT_EQ(SOV_AF_ALG, AF_ALG, "SOV_AF_ALG is AF_ALG");
	ASSERT_EQ(SOV_SOCK_RAW, SOCK_RAW, "SOV_SOCK_RAW is SOCK_RAW");
	ASSERT_EQ(SOV_SOCK_PACKET, SOCK_PACKET, "SOV_SOCK_PACKET is SOCK_PACKET");
	ASSERT_EQ(SOV_IPPROTO_ICMPV6, IPPROTO_ICMPV6, "SOV_IPPROTO_ICMPV6 is IPPROTO_ICMPV6");
	ASSERT_EQ(SOCK_NONBLOCK & SOV_SOCK_TYPE_MASK, 0, "the type mask drops SOCK_NONBLOCK");
	ASSERT_EQ(SOCK_CLOEXEC & SOV_SOCK_TYPE_MASK, 0, "the type mask drops SOCK_CLOEXEC");
}

static void test_verdict(void)
{
	struct sov_config cfg = { .block_classes = BIT(PII_EU), .mode = SOV_MODE_ENFORCE };
	__u64 violated = 0;
	int v;

	for (uint32_t ch = SOV_CHAN_RAW; ch <= SOV_CHAN_OTHER; ch++) {
		char name[96];

		snprintf(name, sizeof(name), "channel %u: a block class is refused", ch);
		v = sov_channel_rule(BIT(PII_EU), &cfg, ch, &violated);
		ASSERT_EQ(v, SOV_VERDICT_DENY, name);
		snprintf(name, sizeof(name), "channel %u: the block class is violated", ch);
		ASSERT_EQ(violated, BIT(PII_EU), name);
	}
	v = sov_channel_rule(BIT(AUDITED), &cfg, SOV_CHAN_PING, &violated);
	ASSERT_EQ(v, SOV_VERDICT_AUDIT, "an audit-only class keeps the channel (audit)");
	ASSERT_EQ(violated, BIT(AUDITED), "  and the audit class is reported violated");
	v = sov_channel_rule(BIT(AUDITED) | BIT(PII_EU), &cfg, SOV_CHAN_RAW, &violated);
	ASSERT_EQ(v, SOV_VERDICT_DENY, "audit + block class: refused");
	ASSERT_EQ(violated, BIT(AUDITED) | BIT(PII_EU), "  both classes violated");
	cfg.mode = SOV_MODE_AUDIT;
	v = sov_channel_rule(BIT(PII_EU), &cfg, SOV_CHAN_PACKET, &violated);
	ASSERT_EQ(v, SOV_VERDICT_AUDIT, "audit mode: a block class is an audit, not a refusal");
	/* The per-socket report rule applies to channels too: a deny once. */
	ASSERT_TRUE(sov_sock_reports(0, SOV_VERDICT_DENY), "first deny on a socket is reported");
	ASSERT_TRUE(!sov_sock_reports(sov_sock_state(SOV_VERDICT_DENY), SOV_VERDICT_DENY),
		    "a second deny on the same socket is not");
}

/* The policy's `channels:` key: cfg->chan_allow[channel] is the classes
 * that allow the channel. */
static void test_allowed(void)
{
	struct sov_config cfg = { .block_classes = BIT(PII_EU) | BIT(HEALTH),
				  .mode = SOV_MODE_ENFORCE };
	__u64 violated = 0;
	int v;

	ASSERT_EQ(sizeof(cfg.chan_allow) / sizeof(cfg.chan_allow[0]), SOV_CHAN_SLOTS,
		  "a chan_allow slot per channel");
	for (uint32_t ch = 0; ch < SOV_CHAN_MAX; ch++)
		ASSERT_EQ(sov_channel_allowed(&cfg, ch), 0, "no channel allowed by default");
	cfg.chan_allow[SOV_CHAN_PING] = BIT(PII_EU);
	cfg.chan_allow[SOV_CHAN_RDMA] = BIT(HEALTH);
	ASSERT_EQ(sov_channel_allowed(&cfg, SOV_CHAN_PING), BIT(PII_EU), "ping: allowed by pii-eu");
	ASSERT_EQ(sov_channel_allowed(&cfg, SOV_CHAN_RDMA), BIT(HEALTH), "rdma: allowed by health");
	ASSERT_EQ(sov_channel_allowed(&cfg, SOV_CHAN_RAW), 0, "raw: still allowed by none");

	v = sov_channel_rule(BIT(PII_EU), &cfg, SOV_CHAN_PING, &violated);
	ASSERT_EQ(v, SOV_VERDICT_ALLOW, "ping allowed for pii-eu: a tainted process keeps it");
	ASSERT_EQ(violated, 0, "  nothing violated");
	v = sov_channel_rule(BIT(PII_EU), &cfg, SOV_CHAN_RAW, &violated);
	ASSERT_EQ(v, SOV_VERDICT_DENY, "raw not allowed for pii-eu: refused");
	ASSERT_EQ(violated, BIT(PII_EU), "  pii-eu violated");
	v = sov_channel_rule(BIT(HEALTH), &cfg, SOV_CHAN_PING, &violated);
	ASSERT_EQ(v, SOV_VERDICT_DENY, "ping not allowed for health: refused");
	v = sov_channel_rule(BIT(PII_EU) | BIT(HEALTH), &cfg, SOV_CHAN_PING, &violated);
	ASSERT_EQ(v, SOV_VERDICT_DENY, "every class in the taint must allow the channel");
	ASSERT_EQ(violated, BIT(HEALTH), "  only the class that does not allow it is violated");
	v = sov_channel_rule(BIT(PII_EU) | BIT(AUDITED), &cfg, SOV_CHAN_PING, &violated);
	ASSERT_EQ(v, SOV_VERDICT_AUDIT, "allowed block class + audit class: audit");
	ASSERT_EQ(violated, BIT(AUDITED), "  the audit class is violated");
	cfg.chan_allow[SOV_CHAN_PING] |= BIT(AUDITED);
	v = sov_channel_rule(BIT(PII_EU) | BIT(AUDITED), &cfg, SOV_CHAN_PING, &violated);
	ASSERT_EQ(v, SOV_VERDICT_ALLOW, "both classes allow ping: allowed");

	/* Out of range: allowed by no class, whatever lies past the array. */
	cfg.chan_allow[SOV_CHAN_SLOTS - 1] = ~0ull;
	ASSERT_EQ(sov_channel_allowed(&cfg, SOV_CHAN_MAX), 0, "channel SOV_CHAN_MAX: allowed by none");
	ASSERT_EQ(sov_channel_allowed(&cfg, 0xffffffffu), 0, "channel 2^32-1: allowed by none");
	v = sov_channel_rule(BIT(PII_EU), &cfg, SOV_CHAN_MAX + 5, &violated);
	ASSERT_EQ(v, SOV_VERDICT_DENY, "an unknown channel number is refused (fail closed)");
}

int main(void)
{
	test_classification();
	test_verdict();
	test_allowed();
	return tap_done();
}
