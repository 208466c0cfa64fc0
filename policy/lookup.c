/* SPDX-License-Identifier: Apache-2.0 */
/* Zone of an address, and names of zones and classes. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "policy/tables.h"
#include "sov/addr.h"

static int covers(const uint8_t *pfx, int plen, const uint8_t *a)
{
	int full = plen / 8, rest = plen % 8;

	if (memcmp(pfx, a, (size_t)full))
		return 0;
	if (!rest)
		return 1;
	return ((pfx[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* Without an index (an image not made by the compiler): scan every prefix. */
static uint32_t scan(const struct sov_policy_image *img, int v4, const uint8_t *a)
{
	uint32_t zone = SOV_POLICY_ZONE_UNKNOWN;
	int best = -1;
	size_t i;

	if (v4) {
		for (i = 0; i < img->n_v4; i++)
			if (img->v4[i].plen > best && covers(img->v4[i].addr, img->v4[i].plen, a)) {
				best = img->v4[i].plen;
				zone = img->v4[i].zone;
			}
	} else {
		for (i = 0; i < img->n_v6; i++)
			if (img->v6[i].plen > best && covers(img->v6[i].addr, img->v6[i].plen, a)) {
				best = img->v6[i].plen;
				zone = img->v6[i].zone;
			}
	}
	return zone;
}

uint32_t sov_policy_zone_of(const struct sov_policy_image *img, int family,
			    const void *addr)
{
	const struct sov_policy_lpm *l = img->lpm;
	const uint8_t *a = addr;
	__u32 w[4], v4;
	size_t lo, hi;

	/* The kernel's rule (sov/addr.h): v4-mapped, NAT64 and 6to4 are
	 * judged by their IPv4 address, the rest of 64:ff9b::/32 as unknown. */
	if (family == AF_INET6) {
		memcpy(w, a, sizeof(w));
		switch (sov_ip6_judged_as(w, &v4)) {
		case SOV_IP6_V4:
			memcpy(w, &v4, sizeof(v4));
			family = AF_INET;
			a = (const uint8_t *)w;
			break;
		case SOV_IP6_UNKNOWN:
			return SOV_POLICY_ZONE_UNKNOWN;
		}
	}
	if (family != AF_INET && family != AF_INET6)
		return SOV_POLICY_ZONE_UNKNOWN;
	if (!l)
		return scan(img, family == AF_INET, a);
	/* The last range starting at or below the address holds it. */
	if (family == AF_INET) {
		uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
			     (uint32_t)a[2] << 8 | a[3];

		if (!l->n4)
			return SOV_POLICY_ZONE_UNKNOWN;
		lo = 0;
		hi = l->n4;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (l->start4[mid] <= v)
				lo = mid;
			else
				hi = mid;
		}
		return l->zone4[lo];
	} else {
		unsigned __int128 v = 0;
		int i;

		if (!l->n6)
			return SOV_POLICY_ZONE_UNKNOWN;
		for (i = 0; i < 16; i++)
			v = v << 8 | a[i];
		lo = 0;
		hi = l->n6;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (l->start6[mid] <= v)
				lo = mid;
			else
				hi = mid;
		}
		return l->zone6[lo];
	}
}

const char *sov_policy_zone_name(const struct sov_policy_image *img, uint32_t id)
{
	if (id < img->n_zones)
		return img->zones[id].name;
	return id == SOV_POLICY_ZONE_UNKNOWN ? "unknown" : "?";
}

const char *sov_policy_class_names(const struct sov_policy_image *img,
				   uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;
	int bit, n;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		if (!(mask & (1ull << bit)))
			continue;
		if ((size_t)bit < img->n_classes)
			n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
				     img->classes[bit].name);
		else
			n = snprintf(buf + off, len - off, "%sbit%d", off ? "," : "", bit);
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';
			break;
		}
		off += (size_t)n;
	}
	return buf;
}

int sov_policy_class_mask(const struct sov_policy_image *img, const char *text,
			  size_t len, uint64_t *known, char *unknown, size_t ulen)
{
	size_t i, start = 0, uoff = 0;
	int n_unknown = 0;

	*known = 0;
	if (ulen)
		unknown[0] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] <= ' ' || (unsigned char)text[i] == 0x7f)
			return -EINVAL;
	for (i = 0; i <= len; i++) {
		size_t n = i - start, c;
		int found = 0;

		if (i < len && text[i] != ',')
			continue;
		if (n && n < SOV_POLICY_NAME_MAX) {
			for (c = 0; c < img->n_classes; c++) {
				if (strlen(img->classes[c].name) == n &&
				    !memcmp(img->classes[c].name, text + start, n)) {
					*known |= 1ull << img->classes[c].bit;
					found = 1;
					break;
				}
			}
		}
		if (n && !found) {
			n_unknown++;
			if (ulen && uoff + n + 2 <= ulen) {
				if (uoff)
					unknown[uoff++] = ',';
				memcpy(unknown + uoff, text + start, n);
				uoff += n;
				unknown[uoff] = '\0';
			}
		}
		start = i + 1;
	}
	return n_unknown;
}
