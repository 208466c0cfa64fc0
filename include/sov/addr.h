/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Which address an IPv6 destination is judged by: one pure function shared
 * by the kernel's egress rule (bpf/rules.h sov_egress_verdict()) and user
 * space's zone lookup (policy/lookup.c, sovctl zone lookup), so that both
 * give the same answer for every address.
 *
 * Some IPv6 addresses carry the IPv4 address the data really goes to:
 *   ::ffff:a.b.c.d      IPv4-mapped: a dual-stack socket sends IPv4 to
 *                       a.b.c.d (RFC 4291 2.5.5.2)
 *   64:ff9b::a.b.c.d    the NAT64 well-known prefix /96 (RFC 6052): a
 *                       NAT64 gateway forwards to a.b.c.d
 *   2002:AABB:CCDD::/48 6to4 (RFC 3056): the site behind the IPv4 router
 *                       AA.BB.CC.DD, which decapsulates
 * These are judged by that IPv4 address (the IPv4 zone tables). The rest of
 * 64:ff9b::/32, including the local-use NAT64 prefix 64:ff9b:1::/48 (RFC
 * 8215), where each site picks the prefix length and so the place of the
 * IPv4 address, is judged as the unknown zone: fail closed. Every other
 * IPv6 address is judged by its own prefix.
 */
#ifndef SOV_ADDR_H
#define SOV_ADDR_H

#ifdef __BPF__
/* vmlinux.h provides __u8..__u64 */
#else
#include <linux/types.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* htonl() of a constant on either compiler. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SOV_HTONL_CONST(x)	__builtin_bswap32(x)
#else
#define SOV_HTONL_CONST(x)	(x)
#endif

/* sov_ip6_judged_as(): how an IPv6 destination is judged. */
#define SOV_IP6_NATIVE		0	/* by its own IPv6 prefix */
#define SOV_IP6_V4		1	/* by the IPv4 address it embeds */
#define SOV_IP6_UNKNOWN		2	/* as the unknown zone */

/* IPv4-mapped IPv6 destinations (::ffff:a.b.c.d) are IPv4 destinations. */
static __always_inline int sov_ip6_is_v4mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == SOV_HTONL_CONST(0xffff);
}

/*
 * a: an IPv6 address as four 32-bit words in network order. Returns
 * SOV_IP6_*; for SOV_IP6_V4, *v4 is the embedded IPv4 address (network
 * order).
 */
static __always_inline int sov_ip6_judged_as(const __u32 a[4], __u32 *v4)
{
	__u32 w0 = a[0], w1 = a[1];

	if (sov_ip6_is_v4mapped(a)) {
		*v4 = a[3];
		return SOV_IP6_V4;
	}
	if (w0 == SOV_HTONL_CONST(0x0064ff9b)) {
		if (w1 == 0 && a[2] == 0) {
			*v4 = a[3];
			return SOV_IP6_V4;
		}
		return SOV_IP6_UNKNOWN;
	}
	/* 2002:AABB:CCDD::/48: the IPv4 address spans words 0 and 1. */
	if ((w0 & SOV_HTONL_CONST(0xffff0000)) == SOV_HTONL_CONST(0x20020000)) {
		__u8 *o = (__u8 *)v4;
		const __u8 *b = (const __u8 *)a;

		o[0] = b[2];
		o[1] = b[3];
		o[2] = b[4];
		o[3] = b[5];
		return SOV_IP6_V4;
	}
	return SOV_IP6_NATIVE;
}

#endif /* SOV_ADDR_H */
