/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/prefix.h"

/* Dotted quad, decimal only: a leading zero would read as octal elsewhere. */
static int parse_v4(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			i++;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && v == 0)
				return -EINVAL;
			v = v * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
			i++;
		}
		if (!digits)
			return -EINVAL;
		out[part] = (uint8_t)v;
	}
	return i == len ? 0 : -EINVAL;
}

static void mask_host_bits(uint8_t *a, int bytes, int plen)
{
	int i;

	for (i = 0; i < bytes; i++) {
		int keep = plen - i * 8;

		if (keep >= 8)
			continue;
		a[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

int sovp_prefix_parse(const char *s, size_t len, struct sov_prefix *p,
		      char *why, size_t whylen)
{
	char tmp[PREFIX_STR_MAX], norm[PREFIX_STR_MAX];
	const char *slash;
	size_t alen;
	int plen = -1, max, bytes;
	uint8_t masked[16];

	memset(p, 0, sizeof(*p));
	if (memchr(s, '\0', len)) {
		snprintf(why, whylen, "contains a NUL byte");
		return -EINVAL;
	}
	slash = memchr(s, '/', len);
	alen = slash ? (size_t)(slash - s) : len;
	if (slash) {
		const char *q = slash + 1, *end = s + len;

		if (q == end) {
			snprintf(why, whylen, "missing prefix length after '/'");
			return -EINVAL;
		}
		plen = 0;
		for (; q < end; q++) {
			if (*q < '0' || *q > '9' || (q > slash + 1 && plen == 0) ||
			    plen > 128) {
				snprintf(why, whylen, "bad prefix length");
				return -EINVAL;
			}
			plen = plen * 10 + (*q - '0');
		}
	}
	if (alen == 0) {
		snprintf(why, whylen, "missing address");
		return -EINVAL;
	}
	if (memchr(s, ':', alen)) {
		if (alen >= sizeof(tmp)) {
			snprintf(why, whylen, "not an IPv6 address");
			return -EINVAL;
		}
		memcpy(tmp, s, alen);
		tmp[alen] = '\0';
		if (inet_pton(AF_INET6, tmp, p->addr) != 1) {
			snprintf(why, whylen, "not an IPv6 address");
			return -EINVAL;
		}
		p->family = 6;
		max = 128;
		bytes = 16;
	} else {
		if (parse_v4(s, alen, p->addr)) {
			snprintf(why, whylen, "not an IPv4 address (a.b.c.d, decimal)");
			return -EINVAL;
		}
		p->family = 4;
		max = 32;
		bytes = 4;
	}
	if (plen < 0)
		plen = max;
	if (plen > max) {
		snprintf(why, whylen, "prefix length %d is longer than %d", plen, max);
		return -EINVAL;
	}
	p->plen = (uint8_t)plen;
	memcpy(masked, p->addr, sizeof(masked));
	mask_host_bits(masked, bytes, plen);
	if (memcmp(masked, p->addr, (size_t)bytes)) {
		memcpy(p->addr, masked, sizeof(masked));
		snprintf(why, whylen, "host bits are set (did you mean %s?)",
			 sovp_prefix_format(p, norm, sizeof(norm)));
		return -EINVAL;
	}
	/*
	 * The kernel looks IPv4-mapped destinations up as IPv4, so a mapped
	 * IPv6 prefix would never match anything.
	 */
	if (p->family == 6 && plen >= 96) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (!memcmp(p->addr, mapped, sizeof(mapped))) {
			struct sov_prefix v4 = { .family = 4, .plen = (uint8_t)(plen - 96) };

			memcpy(v4.addr, p->addr + 12, 4);
			snprintf(why, whylen,
				 "IPv4-mapped IPv6 prefix never matches (such addresses are looked up as IPv4); write %s",
				 sovp_prefix_format(&v4, norm, sizeof(norm)));
			return -EINVAL;
		}
	}
	return 0;
}

char *sovp_prefix_format(const struct sov_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->plen);
	return buf;
}
