/* SPDX-License-Identifier: Apache-2.0 */
/* IPv4/IPv6 prefixes as written in policies and zone files. */
#ifndef SOV_POLICY_PREFIX_H
#define SOV_POLICY_PREFIX_H

#include <stddef.h>
#include <stdint.h>

#define PREFIX_STR_MAX	64	/* "ffff:...:ffff/128" and a NUL fit */

struct sov_prefix {
	uint8_t family;		/* 4 or 6 */
	uint8_t plen;
	uint8_t addr[16];	/* network byte order; IPv4 in the first 4 */
};

/*
 * Parses "ADDR/LEN" or a bare ADDR (a host prefix). s need not be
 * NUL-terminated. Returns 0, or -EINVAL with a reason in why (which names
 * the normalised prefix when only host bits are wrong).
 */
int sovp_prefix_parse(const char *s, size_t len, struct sov_prefix *p,
		      char *why, size_t whylen);
/* Normalised text ("10.0.0.0/8", "2001:db8::/32") into buf; returns buf. */
char *sovp_prefix_format(const struct sov_prefix *p, char *buf, size_t len);

#endif
