// SPDX-License-Identifier: Apache-2.0
/*
 * Precedence builder against a brute-force reference: random prefixes in
 * random tiers over a small universe, every address of it checked three ways
 * (reference, the builder's own resolve, the compiled LPM table), plus the
 * table's shape (sorted, no duplicates, merged where it can be).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/zsrc.h"
#include "tests/lib/tap.h"

struct ref_entry {
	uint8_t addr[16];
	unsigned int plen;
	int tier;
	uint32_t zone;
};

static int prefix_has(const uint8_t *p, unsigned int plen, const uint8_t *a)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(p, a, full))
		return 0;
	if (!rest)
		return 1;
	return ((p[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

static uint32_t ref_answer(const struct ref_entry *v, size_t n, const uint8_t *a)
{
	for (int tier = 0; tier < ZSRC_TIERS; tier++) {
		int best = -1;

		for (size_t i = 0; i < n; i++)
			if (v[i].tier == tier && prefix_has(v[i].addr, v[i].plen, a) &&
			    (best < 0 || v[i].plen > v[best].plen))
				best = i;
		if (best >= 0 && v[best].zone)
			return v[best].zone;
	}
	return 0;
}

static uint32_t scan_lookup(const struct zsrc_entry *v, size_t n, const uint8_t *a)
{
	int best = -1;

	for (size_t i = 0; i < n; i++)
		if (prefix_has(v[i].addr, v[i].plen, a) &&
		    (best < 0 || v[i].plen > v[best].plen))
			best = i;
	return best < 0 ? 0 : v[best].zone;
}

static void mask(uint8_t *a, unsigned int plen, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++) {
		int keep = (int)plen - 8 * (int)i;

		if (keep <= 0)
			a[i] = 0;
		else if (keep < 8)
			a[i] &= 0xff << (8 - keep);
	}
}

static int table_sorted(const struct zsrc_entry *v, size_t n, unsigned int bytes)
{
	for (size_t i = 1; i < n; i++) {
		int c = memcmp(v[i - 1].addr, v[i].addr, bytes);

		if (c > 0 || (c == 0 && v[i - 1].plen >= v[i].plen))
			return 0;
	}
	return 1;
}

/*
 * Nodes of the kernel's path-compressed trie for table v, by definition:
 * the entries, plus every common prefix of two entries that do not contain
 * one another (where the trie branches) that is not an entry itself.
 */
static size_t ref_kernel_nodes(const struct zsrc_entry *v, size_t n, unsigned int bytes)
{
	struct zsrc_entry *br = calloc(n * n + 1, sizeof(*br));
	size_t nb = 0, count = n;

	if (!br)
		return 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			struct zsrc_entry p = { .plen = 0 };
			unsigned int l = 0;
			int known = 0;

			while (l < v[i].plen && l < v[j].plen &&
			       !(((v[i].addr[l / 8] ^ v[j].addr[l / 8]) >> (7 - l % 8)) & 1))
				l++;
			if (l == v[i].plen || l == v[j].plen)
				continue;	/* nested */
			memcpy(p.addr, v[i].addr, bytes);
			mask(p.addr, l, bytes);
			p.plen = l;
			for (size_t k = 0; k < n && !known; k++)
				known = v[k].plen == l && !memcmp(v[k].addr, p.addr, bytes);
			for (size_t k = 0; k < nb && !known; k++)
				known = br[k].plen == l && !memcmp(br[k].addr, p.addr, bytes);
			if (!known) {
				br[nb++] = p;
				count++;
			}
		}
	free(br);
	return count;
}

/*
 * One random round. v4: prefixes /22../32 inside 10.0.0.0/22 plus a few
 * short ones; v6: prefixes /54../74 around the 64-bit word boundary of
 * 2001:db8::/32 so keys cross it.
 */
static int random_round(int family, unsigned int seed, int n_prefixes, int n_zones)
{
	unsigned int bytes = family == AF_INET ? 4 : 16;
	unsigned int lo = family == AF_INET ? 22 : 54, span = family == AF_INET ? 11 : 21;
	struct ref_entry *ref = calloc(n_prefixes, sizeof(*ref));
	struct zsrc_lpm *t = sov_zsrc_lpm_new(family);
	struct zsrc_entry *out = NULL;
	struct zsrc_lpm_stats st;
	size_t n_ref = 0, n_out = 0;
	int ok = 1, err;

	srand(seed);
	if (!ref || !t) {
		ok = 0;
		goto cleanup;
	}
	for (int i = 0; i < n_prefixes; i++) {
		struct ref_entry e = { .tier = rand() % ZSRC_TIERS };
		uint32_t other;

		if (family == AF_INET) {
			e.addr[0] = 10;
			e.addr[2] = rand() & 3;
			e.addr[3] = rand() & 0xff;
			e.plen = rand() % 8 == 0 ? 8 + (unsigned int)rand() % 14 : lo + rand() % span;
		} else {
			static const uint8_t base[8] = { 0x20, 0x01, 0x0d, 0xb8 };

			memcpy(e.addr, base, 8);
			e.addr[6] = rand() & 0xc0 ? 0 : 0xff;
			e.addr[7] = rand() & 0xff;
			e.addr[8] = rand() & 0xff;
			e.addr[9] = rand() & 0xc0;
			e.plen = rand() % 8 == 0 ? 32 + (unsigned int)rand() % 22 : lo + rand() % span;
		}
		/* Every other length only: leaves gaps of one bit between
		 * nested prefixes, the chains ORTC handles in closed form. */
		if (seed & 1)
			e.plen -= (e.plen - lo) & 1;
		mask(e.addr, e.plen, bytes);
		/* Holes only where a tier can have them (not explicit). */
		e.zone = rand() % (n_zones + 1);
		if (e.tier == ZSRC_TIER_EXPLICIT && !e.zone)
			e.zone = 1;
		err = sov_zsrc_lpm_add(t, e.addr, e.plen, e.tier, e.zone, &other);
		if (err == -EEXIST)
			continue;	/* same prefix, same tier: caller's conflict */
		if (err) {
			ok = ASSERT_OK(err, "add");
			goto cleanup;
		}
		/* A duplicate with the same zone is accepted once. */
		{
			int dup = 0;

			for (size_t j = 0; j < n_ref; j++)
				if (ref[j].tier == e.tier && ref[j].plen == e.plen &&
				    !memcmp(ref[j].addr, e.addr, bytes))
					dup = 1;
			if (!dup)
				ref[n_ref++] = e;
		}
	}
	err = sov_zsrc_lpm_compile(t, &out, &n_out, &st);
	if (err) {
		ok = ASSERT_OK(err, "compile");
		goto cleanup;
	}
	if (st.n_input != n_ref || !table_sorted(out, n_out, bytes) ||
	    st.n_kernel_nodes != ref_kernel_nodes(out, n_out, bytes)) {
		printf("#   seed %u: n_input %zu (want %zu), sorted %d, kernel nodes %zu (want %zu)\n",
		       seed, st.n_input, n_ref, table_sorted(out, n_out, bytes),
		       st.n_kernel_nodes, ref_kernel_nodes(out, n_out, bytes));
		ok = 0;
		goto cleanup;
	}
	/* Every address of the universe, and a margin around it. */
	for (unsigned int i = 0; i < (family == AF_INET ? 4096u : 8192u); i++) {
		uint8_t a[16] = { 0 };
		uint32_t want, got_r, got_t, got_s;

		if (family == AF_INET) {
			a[0] = 10;
			a[1] = i >> 10 ? 1 : 0;
			a[2] = (i >> 8) & 3;
			a[3] = i & 0xff;
		} else {
			static const uint8_t base[8] = { 0x20, 0x01, 0x0d, 0xb8 };

			memcpy(a, base, 8);
			a[6] = i & 4096 ? 0xff : 0;
			a[7] = i & 0xff;
			a[8] = (i >> 8) & 0x0f;
			a[8] |= a[8] << 4;
			a[9] = rand() & 0xff;
			a[15] = rand() & 0xff;
		}
		want = ref_answer(ref, n_ref, a);
		got_r = sov_zsrc_lpm_resolve(t, a);
		got_t = sov_zsrc_table_lookup(out, n_out, family, a);
		got_s = scan_lookup(out, n_out, a);
		if (want != got_r || want != got_t || want != got_s) {
			char s[INET6_ADDRSTRLEN];

			inet_ntop(family, a, s, sizeof(s));
			printf("#   seed %u %s: expected zone %u, got resolve %u table %u scan %u\n",
			       seed, s, want, got_r, got_t, got_s);
			ok = 0;
			goto cleanup;
		}
	}
cleanup:
	free(out);
	sov_zsrc_lpm_free(t);
	free(ref);
	return ok;
}

static int add4(struct zsrc_lpm *t, const char *p, unsigned int plen, int tier, uint32_t z)
{
	uint8_t a[4];

	if (inet_pton(AF_INET, p, a) != 1)
		return -EINVAL;
	return sov_zsrc_lpm_add(t, a, plen, tier, z, NULL);
}

static uint32_t look4(const struct zsrc_entry *v, size_t n, const char *p)
{
	uint8_t a[4];

	inet_pton(AF_INET, p, a);
	return sov_zsrc_table_lookup(v, n, AF_INET, a);
}

static void test_merge(void)
{
	struct zsrc_lpm *t = sov_zsrc_lpm_new(AF_INET);
	struct zsrc_entry *out = NULL;
	struct zsrc_lpm_stats st;
	size_t n = 0;

	if (!ASSERT_TRUE(t != NULL, "merge: new"))
		return;
	/* Two halves of a /24 in one zone, and a nested /28 in the same zone. */
	ASSERT_OK(add4(t, "192.0.2.0", 25, ZSRC_TIER_EXPLICIT, 1), "merge: add /25 low");
	ASSERT_OK(add4(t, "192.0.2.128", 25, ZSRC_TIER_EXPLICIT, 1), "merge: add /25 high");
	ASSERT_OK(add4(t, "192.0.2.16", 28, ZSRC_TIER_EXPLICIT, 1), "merge: add nested /28");
	if (!ASSERT_OK(sov_zsrc_lpm_compile(t, &out, &n, &st), "merge: compile"))
		goto cleanup;
	ASSERT_EQ(st.n_input, 3, "merge: 3 prefixes in");
	ASSERT_EQ(n, 1, "merge: 1 entry out");
	if (n == 1) {
		ASSERT_EQ(out[0].plen, 24, "merge: the /24");
		ASSERT_EQ(out[0].zone, 1, "merge: zone 1");
	}
	ASSERT_EQ(st.n_kernel_nodes, 1, "merge: one kernel node");
	ASSERT_EQ(st.map_bytes, 64, "merge: 64 bytes");
cleanup:
	free(out);
	sov_zsrc_lpm_free(t);
}

static void test_precedence(void)
{
	struct zsrc_lpm *t = sov_zsrc_lpm_new(AF_INET);
	struct zsrc_entry *out = NULL;
	uint32_t other = 0;
	size_t n = 0;

	if (!ASSERT_TRUE(t != NULL, "prec: new"))
		return;
	/* Country /8 -> 4, a nested network of another country (hole), an ASN
	 * /16 -> 3 over the hole, a range /20 -> 2, an explicit /12 -> 1 that
	 * is shorter than all but the country yet wins over all of them. */
	add4(t, "20.0.0.0", 8, ZSRC_TIER_COUNTRIES, 4);
	add4(t, "20.1.0.0", 16, ZSRC_TIER_COUNTRIES, ZSRC_HOLE);
	add4(t, "20.1.128.0", 17, ZSRC_TIER_ASNS, 3);
	add4(t, "20.1.128.0", 20, ZSRC_TIER_RANGES, 2);
	add4(t, "20.16.0.0", 12, ZSRC_TIER_EXPLICIT, 1);
	add4(t, "20.16.1.0", 24, ZSRC_TIER_RANGES, 2);
	ASSERT_EQ(add4(t, "20.16.1.0", 24, ZSRC_TIER_RANGES, 2), 0, "prec: same zone again");
	{
		uint8_t a[4] = { 20, 16, 1, 0 };

		ASSERT_EQ(sov_zsrc_lpm_add(t, a, 24, ZSRC_TIER_RANGES, 5, &other), -EEXIST,
			  "prec: other zone, same tier");
		ASSERT_EQ(other, 2, "prec: conflict names the zone there");
		ASSERT_EQ(sov_zsrc_lpm_add(t, a, 33, ZSRC_TIER_RANGES, 5, NULL), -EINVAL,
			  "prec: /33 refused");
	}
	if (!ASSERT_OK(sov_zsrc_lpm_compile(t, &out, &n, NULL), "prec: compile"))
		goto cleanup;
	ASSERT_EQ(look4(out, n, "20.200.0.1"), 4, "prec: country");
	ASSERT_EQ(look4(out, n, "20.1.0.1"), 0, "prec: nested other country is unknown");
	ASSERT_EQ(look4(out, n, "20.1.200.1"), 3, "prec: asn over the hole");
	ASSERT_EQ(look4(out, n, "20.1.130.1"), 2, "prec: range over asn");
	ASSERT_EQ(look4(out, n, "20.16.1.1"), 1, "prec: shorter explicit beats longer range");
	ASSERT_EQ(look4(out, n, "20.31.255.255"), 1, "prec: explicit over country");
	ASSERT_EQ(look4(out, n, "21.0.0.0"), 0, "prec: outside");
cleanup:
	free(out);
	sov_zsrc_lpm_free(t);
}

static void test_v6_and_empty(void)
{
	struct zsrc_lpm *t = sov_zsrc_lpm_new(AF_INET6);
	struct zsrc_entry *out = NULL;
	struct zsrc_lpm_stats st;
	uint8_t a[16], q[16];
	size_t n = 7;

	if (!ASSERT_TRUE(t != NULL, "v6: new"))
		return;
	ASSERT_OK(sov_zsrc_lpm_compile(t, &out, &n, &st), "v6: empty compiles");
	ASSERT_EQ(n, 0, "v6: empty table");
	free(out);
	out = NULL;
	inet_pton(AF_INET6, "2001:db8::", a);
	ASSERT_OK(sov_zsrc_lpm_add(t, a, 32, ZSRC_TIER_COUNTRIES, 7, NULL), "v6: add /32");
	inet_pton(AF_INET6, "2001:db8:0:1::1", a);
	ASSERT_OK(sov_zsrc_lpm_add(t, a, 128, ZSRC_TIER_EXPLICIT, 9, NULL), "v6: add /128");
	ASSERT_OK(sov_zsrc_lpm_add(t, a, 0, ZSRC_TIER_EXPLICIT, 2, NULL), "v6: add ::/0");
	if (!ASSERT_OK(sov_zsrc_lpm_compile(t, &out, &n, &st), "v6: compile"))
		goto cleanup;
	inet_pton(AF_INET6, "2001:db8:0:1::1", q);
	ASSERT_EQ(sov_zsrc_table_lookup(out, n, AF_INET6, q), 9, "v6: /128");
	inet_pton(AF_INET6, "2001:db8:0:1::2", q);
	ASSERT_EQ(sov_zsrc_table_lookup(out, n, AF_INET6, q), 2, "v6: explicit ::/0 beats country");
	ASSERT_EQ(n, 2, "v6: country entry is shadowed, 2 entries");
cleanup:
	free(out);
	sov_zsrc_lpm_free(t);
}

/* A one-bit chain below a node whose answer is not kept: the chain's
 * other child must get the node's answer back. */
static void test_chain_sibling(void)
{
	struct zsrc_lpm *t = sov_zsrc_lpm_new(AF_INET);
	struct zsrc_entry *out = NULL;
	size_t n = 0;

	if (!ASSERT_TRUE(t != NULL, "chain: new"))
		return;
	add4(t, "10.0.0.0", 8, ZSRC_TIER_EXPLICIT, 1);
	add4(t, "10.0.0.0", 10, ZSRC_TIER_EXPLICIT, 2);
	add4(t, "10.128.0.0", 10, ZSRC_TIER_EXPLICIT, 2);
	if (!ASSERT_OK(sov_zsrc_lpm_compile(t, &out, &n, NULL), "chain: compile"))
		goto cleanup;
	ASSERT_EQ(n, 3, "chain: 3 entries");
	ASSERT_EQ(look4(out, n, "10.1.0.1"), 2, "chain: 10.0/10");
	ASSERT_EQ(look4(out, n, "10.64.0.1"), 1, "chain: 10.64/10");
	ASSERT_EQ(look4(out, n, "10.129.0.1"), 2, "chain: 10.128/10");
	ASSERT_EQ(look4(out, n, "10.200.0.1"), 1, "chain: 10.192/10");
cleanup:
	free(out);
	sov_zsrc_lpm_free(t);
}

/* Optimality spot check: a zone with a hole needs exactly two entries. */
static void test_hole_minimal(void)
{
	struct zsrc_lpm *t = sov_zsrc_lpm_new(AF_INET);
	struct zsrc_entry *out = NULL;
	size_t n = 0;

	if (!ASSERT_TRUE(t != NULL, "hole: new"))
		return;
	add4(t, "10.0.0.0", 8, ZSRC_TIER_COUNTRIES, 1);
	add4(t, "10.1.2.0", 24, ZSRC_TIER_COUNTRIES, ZSRC_HOLE);
	add4(t, "10.1.2.0", 25, ZSRC_TIER_COUNTRIES, 1);
	if (!ASSERT_OK(sov_zsrc_lpm_compile(t, &out, &n, NULL), "hole: compile"))
		goto cleanup;
	ASSERT_EQ(n, 2, "hole: /8 and the /25 hole");
	ASSERT_EQ(look4(out, n, "10.1.2.200"), 0, "hole: upper half unknown");
	ASSERT_EQ(look4(out, n, "10.1.2.100"), 1, "hole: lower half in zone");
cleanup:
	free(out);
	sov_zsrc_lpm_free(t);
}

int main(void)
{
	int ok4 = 1, ok6 = 1;

	(void)tap__skipped;	/* tap.h counts skips; this test has none */

	test_merge();
	test_precedence();
	test_v6_and_empty();
	test_hole_minimal();
	test_chain_sibling();
	for (unsigned int seed = 1; seed <= 300 && ok4; seed++)
		ok4 = random_round(AF_INET, seed, 1 + seed % 60, 1 + seed % 5);
	ASSERT_TRUE(ok4, "random IPv4 rounds match the brute-force reference");
	for (unsigned int seed = 1; seed <= 100 && ok6; seed++)
		ok6 = random_round(AF_INET6, 1000 + seed, 1 + seed % 60, 1 + seed % 5);
	ASSERT_TRUE(ok6, "random IPv6 rounds match the brute-force reference");
	return tap_done();
}
