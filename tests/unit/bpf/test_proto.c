// SPDX-License-Identifier: Apache-2.0
/*
 * The protocol details of bpf/rules.h the egress hooks rely on: what
 * sendto()'s name means for an IPv4 or IPv6 socket (sov_name_kind()), and
 * which IPv4 options and IPv6 extension headers make a packet's header
 * destination only its first hop (sov_ip4_opts_reroute(),
 * sov_ip6_reroutes()). The kernel constants are checked against the libc
 * ones.
 */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

static void test_name(void)
{
	ASSERT_EQ(SOV_AF_UNSPEC, AF_UNSPEC, "name: AF_UNSPEC");
	ASSERT_EQ(SOV_SIN_LEN, sizeof(struct sockaddr_in), "name: sizeof(sockaddr_in)");
	ASSERT_EQ(SOV_SIN6_LEN, 24, "name: SIN6_LEN_RFC2133");
	ASSERT_EQ(SOV_SA_FAMILY_LEN, sizeof(sa_family_t), "name: the family's size");

	/* IPv4 socket: udp_sendmsg() */
	ASSERT_EQ(sov_name_kind(AF_INET, AF_INET, 16), SOV_NAME_V4, "v4 socket: AF_INET name");
	ASSERT_EQ(sov_name_kind(AF_INET, AF_INET, 128), SOV_NAME_V4,
		  "v4 socket: AF_INET name in a sockaddr_storage");
	ASSERT_EQ(sov_name_kind(AF_INET, AF_UNSPEC, 16), SOV_NAME_V4,
		  "v4 socket: AF_UNSPEC is sent as AF_INET");
	ASSERT_EQ(sov_name_kind(AF_INET, AF_INET, 15), SOV_NAME_UNKNOWN,
		  "v4 socket: a short AF_INET name is unknown");
	ASSERT_EQ(sov_name_kind(AF_INET, AF_UNSPEC, 8), SOV_NAME_UNKNOWN,
		  "v4 socket: a short AF_UNSPEC name is unknown");
	ASSERT_EQ(sov_name_kind(AF_INET, AF_INET6, 28), SOV_NAME_UNKNOWN,
		  "v4 socket: an AF_INET6 name is unknown (EAFNOSUPPORT)");
	ASSERT_EQ(sov_name_kind(AF_INET, AF_UNIX, 110), SOV_NAME_UNKNOWN,
		  "v4 socket: an AF_UNIX name is unknown");
	ASSERT_EQ(sov_name_kind(AF_INET, AF_INET, 0), SOV_NAME_UNKNOWN,
		  "v4 socket: sendto() with a name of length 0 is unknown");
	ASSERT_EQ(sov_name_kind(AF_INET, AF_INET, 1), SOV_NAME_UNKNOWN,
		  "v4 socket: a name of one byte is unknown");

	/* IPv6 socket: udpv6_sendmsg() */
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_INET6, 28), SOV_NAME_V6, "v6 socket: AF_INET6 name");
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_INET6, 24), SOV_NAME_V6,
		  "v6 socket: an RFC 2133 sockaddr_in6 (no scope id)");
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_INET6, 23), SOV_NAME_UNKNOWN,
		  "v6 socket: a short AF_INET6 name is unknown");
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_INET, 16), SOV_NAME_V4,
		  "v6 socket: an AF_INET name goes out over IPv4");
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_INET, 12), SOV_NAME_UNKNOWN,
		  "v6 socket: a short AF_INET name is unknown");
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_UNSPEC, 2), SOV_NAME_PEER,
		  "v6 socket: AF_UNSPEC is no name: the connected peer");
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_UNSPEC, 28), SOV_NAME_PEER,
		  "v6 socket: a full AF_UNSPEC name is no name too");
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_UNSPEC, 1), SOV_NAME_UNKNOWN,
		  "v6 socket: a name shorter than its family is unknown");
	ASSERT_EQ(sov_name_kind(AF_INET6, AF_PACKET, 20), SOV_NAME_UNKNOWN,
		  "v6 socket: an AF_PACKET name is unknown");

	ASSERT_EQ(sov_name_kind(AF_UNIX, AF_INET, 16), SOV_NAME_UNKNOWN,
		  "other socket family: unknown");
}

/* opts: the options area; the buffer is SOV_IPOPT_BUF bytes as the kernel's. */
static int opts_reroute(const uint8_t *o, unsigned len)
{
	uint8_t buf[SOV_IPOPT_BUF];

	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, o, len);
	return sov_ip4_opts_reroute(buf, len);
}

static void test_ip4_opts(void)
{
	/* LSRR via 10.10.0.2, pointer 4, one slot for the final destination */
	static const uint8_t lsrr[] = { IPOPT_NOP, IPOPT_LSRR, 11, 4, 10, 10, 0, 2,
					10, 20, 0, 2 };
	static const uint8_t ssrr[] = { IPOPT_SSRR, 7, 4, 10, 10, 0, 2, IPOPT_END };
	static const uint8_t rr[] = { IPOPT_RR, 7, 4, 0, 0, 0, 0, IPOPT_END };
	static const uint8_t ra[] = { IPOPT_RA, 4, 0, 0 };
	static const uint8_t ts_then_lsrr[] = { IPOPT_TS, 8, 5, 0, 0, 0, 0, 0,
						IPOPT_LSRR, 7, 4, 10, 10, 0, 2, IPOPT_END };
	static const uint8_t cipso[] = { 134, 10, 0, 0, 0, 3, 1, 2, 3, 4, IPOPT_NOP,
					 IPOPT_NOP };
	static const uint8_t end_then_junk[] = { IPOPT_END, IPOPT_LSRR, 7, 4, 0, 0, 0, 0 };
	static const uint8_t bad_len[] = { IPOPT_RR, 1, 0, 0 };
	static const uint8_t too_long[] = { IPOPT_RR, 9, 4, 0 };
	static const uint8_t no_len[] = { IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_RR };
	static const uint8_t nops[40] = { [0 ... 39] = IPOPT_NOP };
	uint8_t last[SOV_IPOPT_BUF];

	ASSERT_EQ(IPOPT_LSRR, SOV_IPOPT_LSRR, "ip4 opts: LSRR is 131");
	ASSERT_EQ(IPOPT_SSRR, SOV_IPOPT_SSRR, "ip4 opts: SSRR is 137");
	ASSERT_EQ(opts_reroute(lsrr, sizeof(lsrr)), 1, "ip4 opts: LSRR reroutes");
	ASSERT_EQ(opts_reroute(ssrr, sizeof(ssrr)), 1, "ip4 opts: SSRR reroutes");
	ASSERT_EQ(opts_reroute(ts_then_lsrr, sizeof(ts_then_lsrr)), 1,
		  "ip4 opts: LSRR after a timestamp option reroutes");
	ASSERT_EQ(opts_reroute(rr, sizeof(rr)), 0, "ip4 opts: record route does not");
	ASSERT_EQ(opts_reroute(ra, sizeof(ra)), 0, "ip4 opts: router alert does not");
	ASSERT_EQ(opts_reroute(cipso, sizeof(cipso)), 0, "ip4 opts: a CIPSO label does not");
	ASSERT_EQ(opts_reroute(end_then_junk, sizeof(end_then_junk)), 0,
		  "ip4 opts: nothing after end of options is read");
	ASSERT_EQ(opts_reroute(nops, sizeof(nops)), 0, "ip4 opts: 40 NOPs do not");
	memset(last, IPOPT_NOP, 40);
	last[36] = IPOPT_LSRR;
	last[37] = 4;
	ASSERT_EQ(opts_reroute(last, 40), 1,
		  "ip4 opts: an LSRR in the last 4 bytes after 36 NOPs reroutes");
	ASSERT_EQ(opts_reroute(bad_len, sizeof(bad_len)), 1,
		  "ip4 opts: an option length below 2 is unparsable: fail closed");
	ASSERT_EQ(opts_reroute(too_long, sizeof(too_long)), 1,
		  "ip4 opts: an option past the area is unparsable: fail closed");
	ASSERT_EQ(opts_reroute(no_len, sizeof(no_len)), 1,
		  "ip4 opts: an option without its length byte: fail closed");
	ASSERT_EQ(opts_reroute(nops, 0), 0, "ip4 opts: no options");
	ASSERT_EQ(sov_ip4_opts_reroute(last, 41), 1, "ip4 opts: more than 40 bytes: fail closed");
}

/* The bytes after the IPv6 header, and how many of them the packet has. */
struct pkt {
	uint8_t b[256];
	unsigned len;
	unsigned loads;
};

static int load(const void *ctx, __u32 off, __u8 b[2])
{
	struct pkt *p = (struct pkt *)ctx;

	p->loads++;
	if (off + 2 > p->len)
		return -1;
	memcpy(b, p->b + off, 2);
	return 0;
}

/* Appends an extension header: next header, length field, total bytes. */
static void ext(struct pkt *p, uint8_t next, uint8_t hdrlen, unsigned bytes)
{
	memset(p->b + p->len, 0, bytes);
	p->b[p->len] = next;
	p->b[p->len + 1] = hdrlen;
	p->len += bytes;
}

static void test_ip6_ext(void)
{
	struct pkt p;
	int i;

	ASSERT_EQ(IPPROTO_ROUTING, SOV_IP6_ROUTING, "ip6 ext: routing header is 43");
	ASSERT_EQ(IPPROTO_HOPOPTS, SOV_IP6_HOPOPTS, "ip6 ext: hop-by-hop is 0");
	ASSERT_EQ(IPPROTO_DSTOPTS, SOV_IP6_DSTOPTS, "ip6 ext: destination options is 60");
	ASSERT_EQ(IPPROTO_FRAGMENT, SOV_IP6_FRAGMENT, "ip6 ext: fragment is 44");
	ASSERT_EQ(IPPROTO_AH, SOV_IP6_AH, "ip6 ext: AH is 51");

	memset(&p, 0, sizeof(p));
	p.len = 8;
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_UDP, load), 0, "ip6 ext: plain UDP");
	ASSERT_EQ(p.loads, 0, "ip6 ext: a packet without extension headers reads nothing");
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_TCP, load), 0, "ip6 ext: plain TCP");
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_ROUTING, load), 1,
		  "ip6 ext: a routing header first reroutes");

	memset(&p, 0, sizeof(p));
	ext(&p, IPPROTO_DSTOPTS, 0, 8);		/* hop-by-hop, 8 bytes */
	ext(&p, IPPROTO_UDP, 1, 16);		/* destination options, 16 bytes */
	ext(&p, 0, 0, 8);			/* UDP header */
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_HOPOPTS, load), 0,
		  "ip6 ext: hop-by-hop and destination options do not reroute");

	memset(&p, 0, sizeof(p));
	ext(&p, IPPROTO_ROUTING, 0, 8);		/* hop-by-hop */
	ext(&p, IPPROTO_UDP, 4, 40);		/* segment routing header, 2 segments */
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_HOPOPTS, load), 1,
		  "ip6 ext: a routing header after hop-by-hop reroutes");

	memset(&p, 0, sizeof(p));
	ext(&p, IPPROTO_AH, 0, 8);		/* destination options */
	ext(&p, IPPROTO_FRAGMENT, 4, 24);	/* AH: (4 + 2) * 4 bytes */
	ext(&p, IPPROTO_ROUTING, 0, 8);		/* fragment: 8 bytes */
	ext(&p, IPPROTO_UDP, 2, 24);		/* routing header */
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_DSTOPTS, load), 1,
		  "ip6 ext: lengths of AH and fragment headers are walked right to the routing header");

	memset(&p, 0, sizeof(p));
	ext(&p, IPPROTO_AH, 0, 8);
	ext(&p, IPPROTO_FRAGMENT, 4, 24);
	ext(&p, IPPROTO_TCP, 0, 8);
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_DSTOPTS, load), 0,
		  "ip6 ext: the same chain ending in TCP does not reroute");

	memset(&p, 0, sizeof(p));
	ext(&p, IPPROTO_DSTOPTS, 0, 8);
	p.len = 9;				/* the next header is cut off */
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_HOPOPTS, load), 1,
		  "ip6 ext: a chain past the packet's end: fail closed");

	memset(&p, 0, sizeof(p));
	for (i = 0; i < SOV_IP6_EXT_MAX; i++)
		ext(&p, IPPROTO_DSTOPTS, 0, 8);
	ext(&p, IPPROTO_UDP, 0, 8);
	ASSERT_EQ(sov_ip6_reroutes(&p, IPPROTO_DSTOPTS, load), 1,
		  "ip6 ext: more extension headers than walked: fail closed");
}

int main(void)
{
	test_name();
	test_ip4_opts();
	test_ip6_ext();
	return tap_done();
}
