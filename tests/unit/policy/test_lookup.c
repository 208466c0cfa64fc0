// SPDX-License-Identifier: Apache-2.0
/*
 * sov_policy_zone_of() against a brute-force longest-prefix match over the
 * image's own prefix tables, on random nested prefix sets, probing every
 * prefix boundary and its neighbours; plus the edges of the address space
 * and prefix parsing/normalisation.
 */
#include <arpa/inet.h>

#include "tests/lib/tap.h"
#include "tests/unit/policy/helpers.h"
#include "policy/prefix.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The brute-force answer: the image without its index scans every prefix. */
static uint32_t brute(const struct sov_policy_image *img, int family, const uint8_t *a)
{
	struct sov_policy_image copy = *img;

	copy.lpm = NULL;
	return sov_policy_zone_of(&copy, family, a);
}

static void set_bits_after(uint8_t *a, int bytes, int plen, int ones)
{
	int i;

	for (i = plen; i < bytes * 8; i++) {
		if (ones)
			a[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		else
			a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	}
}

static void bump(uint8_t *a, int bytes, int delta)
{
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		int v = a[i] + delta;

		a[i] = (uint8_t)v;
		if (v >= 0 && v <= 255)
			break;
	}
}

/* Random prefixes, biased to nest inside a few /8s (or /16s for IPv6). */
static char *random_policy(int round, int n)
{
	size_t cap = (size_t)n * 64 + 1024, off = 0;
	struct sov_prefix *seen = calloc((size_t)n, sizeof(*seen));
	char *s = malloc(cap);
	int z, i, k, n_seen = 0;

	if (!s || !seen) {
		free(seen);
		free(s);
		return NULL;
	}
	off += (size_t)snprintf(s + off, cap - off, "version: 1\nzones:\n");
	for (z = 0; z < 4; z++) {
		off += (size_t)snprintf(s + off, cap - off, "  z%d:\n    cidrs:\n", z);
		for (i = 0; i < n / 4; i++) {
			struct sov_prefix p = { 0 };
			char buf[PREFIX_STR_MAX];
			uint64_t r = next();

			p.family = (r & 1) ? 6 : 4;
			p.plen = (uint8_t)(p.family == 4 ? next() % 33 : next() % 129);
			if (p.family == 4) {
				uint32_t a = (uint32_t)next();

				a = (a & 0x00ffffff) | ((uint32_t)(10 + next() % 3) << 24);
				memcpy(p.addr, &(uint32_t){ htonl(a) }, 4);
			} else {
				uint64_t hi = next(), lo = next();

				for (k = 0; k < 8; k++) {
					p.addr[k] = (uint8_t)(hi >> (56 - 8 * k));
					p.addr[8 + k] = (uint8_t)(lo >> (56 - 8 * k));
				}
				p.addr[0] = 0x20;
				p.addr[1] = (uint8_t)(next() % 3);
			}
			set_bits_after(p.addr, p.family == 4 ? 4 : 16, p.plen, 0);
			/* Identical prefixes in two zones are an error: keep each once. */
			for (k = 0; k < n_seen; k++)
				if (!memcmp(&seen[k], &p, sizeof(p)))
					break;
			if (k < n_seen)
				continue;
			seen[n_seen++] = p;
			off += (size_t)snprintf(s + off, cap - off, "      - \"%s\"\n",
						sovp_prefix_format(&p, buf, sizeof(buf)));
		}
	}
	(void)round;
	free(seen);
	return s;
}

static void check_round(int round, int n)
{
	struct sov_policy_image *img = NULL;
	struct sov_diags d;
	char *text, what[128];
	size_t i, probes = 0, bad = 0;
	int err;

	text = random_policy(round, n);
	if (!ASSERT_TRUE(text != NULL, "generate a policy"))
		return;
	sov_diags_init(&d);
	err = sov_policy_compile_buffer("random.yaml", text, strlen(text), NULL, &img, &d);
	snprintf(what, sizeof(what), "round %d: random policy compiles", round);
	if (!ASSERT_OK(err, what)) {
		dump_diags(&d);
		goto cleanup;
	}
	for (i = 0; i < img->n_v4 + img->n_v6; i++) {
		int v4 = i < img->n_v4, bytes = v4 ? 4 : 16, family = v4 ? AF_INET : AF_INET6;
		const uint8_t *base = v4 ? img->v4[i].addr : img->v6[i - img->n_v4].addr;
		int plen = v4 ? img->v4[i].plen : img->v6[i - img->n_v4].plen;
		uint8_t a[16];
		int k;

		for (k = 0; k < 4; k++) {
			memcpy(a, base, (size_t)bytes);
			set_bits_after(a, bytes, plen, k & 1);
			if (k == 2)
				bump(a, bytes, -1);
			if (k == 3)
				bump(a, bytes, 1);
			probes++;
			if (sov_policy_zone_of(img, family, a) != brute(img, family, a))
				bad++;
		}
	}
	for (i = 0; i < 2000; i++) {
		uint8_t a[16];
		uint64_t r = next();
		int k;

		for (k = 0; k < 16; k++)
			a[k] = (uint8_t)(next() >> 11);
		a[0] = (i & 1) ? (uint8_t)(10 + r % 3) : 0x20;
		a[1] = (i & 1) ? a[1] : (uint8_t)(r % 3);
		probes++;
		if (sov_policy_zone_of(img, (i & 1) ? AF_INET : AF_INET6, a) !=
		    brute(img, (i & 1) ? AF_INET : AF_INET6, a))
			bad++;
	}
	snprintf(what, sizeof(what), "round %d: %zu probes over %zu+%zu prefixes agree with brute force",
		 round, probes, img->n_v4, img->n_v6);
	ASSERT_EQ(bad, 0, what);
cleanup:
	free(text);
	sov_policy_free(img);
	sov_diags_free(&d);
}

static void check_edges(void)
{
	static const char pol[] =
		"version: 1\nzones:\n"
		"  all: {cidrs: [0.0.0.0/0, \"::/0\"]}\n"
		"  top: {cidrs: [255.255.255.255, \"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\"]}\n"
		"  low: {cidrs: [0.0.0.0/32, \"::/128\"]}\n"
		"  mid: {cidrs: [128.0.0.0/1, \"8000::/1\"]}\n";
	static const char *const cases[][2] = {
		{ "0.0.0.0", "low" }, { "0.0.0.1", "all" }, { "127.255.255.255", "all" },
		{ "128.0.0.0", "mid" }, { "255.255.255.254", "mid" }, { "255.255.255.255", "top" },
		{ "::", "low" }, { "::2", "all" }, { "8000::", "mid" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "top" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "mid" },
		{ "::ffff:0.0.0.0", "low" }, { "::ffff:255.255.255.255", "top" },
	};
	struct sov_policy_image *img = NULL;
	struct sov_diags d;
	char what[128];
	size_t i;
	int err;

	sov_diags_init(&d);
	err = sov_policy_compile_buffer("edges.yaml", pol, sizeof(pol) - 1, NULL, &img, &d);
	if (!ASSERT_OK(err, "edges: compiles")) {
		dump_diags(&d);
		goto cleanup;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t a[16];
		int fam = strchr(cases[i][0], ':') ? AF_INET6 : AF_INET;

		inet_pton(fam, cases[i][0], a);
		snprintf(what, sizeof(what), "edges: %s is in %s", cases[i][0], cases[i][1]);
		ASSERT_STREQ(sov_policy_zone_name(img, sov_policy_zone_of(img, fam, a)),
			     cases[i][1], what);
		snprintf(what, sizeof(what), "edges: %s by brute force", cases[i][0]);
		ASSERT_STREQ(sov_policy_zone_name(img, brute(img, fam, a)), cases[i][1], what);
	}
	ASSERT_EQ(sov_policy_zone_of(img, AF_UNIX, "\0\0\0\0"), 0, "edges: other family is unknown");
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
}

static void check_prefix_text(void)
{
	static const char *const good[][2] = {
		{ "10.0.0.0/8", "10.0.0.0/8" }, { "192.0.2.7", "192.0.2.7/32" },
		{ "2001:DB8:0:0::/32", "2001:db8::/32" }, { "::1", "::1/128" },
		{ "0.0.0.0/0", "0.0.0.0/0" }, { "fe80::/10", "fe80::/10" },
	};
	static const char *const bad[] = {
		"10.0.0.0/", "/8", "10.0.0/8", "10.0.0.0.0/8", "256.0.0.0/8", "10.0.0.0/08",
		"10.0.0.0/-1", "10.0.0.0/8x", "1.2.3.4/33", "::/129", "fe80::1%eth0/64",
		"10.0.0.0 /8", "::ffff:10.0.0.0/104", "1:2:3:4:5:6:7:8:9/64", "",
	};
	char buf[PREFIX_STR_MAX], why[160], what[128];
	struct sov_prefix p;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(what, sizeof(what), "prefix '%s' parses", good[i][0]);
		if (ASSERT_OK(sovp_prefix_parse(good[i][0], strlen(good[i][0]), &p, why, sizeof(why)), what)) {
			snprintf(what, sizeof(what), "prefix '%s' normalised", good[i][0]);
			ASSERT_STREQ(sovp_prefix_format(&p, buf, sizeof(buf)), good[i][1], what);
		}
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "prefix '%s' refused", bad[i]);
		ASSERT_EQ(sovp_prefix_parse(bad[i], strlen(bad[i]), &p, why, sizeof(why)), -EINVAL, what);
	}
	ASSERT_EQ(sovp_prefix_parse("10.0.0.0/8\0", 11, &p, why, sizeof(why)), -EINVAL,
		  "prefix with a NUL byte refused");
}

/* sov_policy_class_mask() against the names of a compiled fixture. */
static void check_class_mask(void)
{
	struct sov_policy_image *img = NULL;
	struct sov_diags d = { 0 };
	char path[4096], unknown[64], names[256];
	uint64_t m, pii = 0, open = 0;
	size_t c;
	int err;

	snprintf(path, sizeof(path), "%s/tests/data/policy/good/channels.yaml", top_dir());
	err = compile_fixture(path, &img, &d);
	if (!ASSERT_OK(err, "class_mask: fixture compiles")) {
		dump_diags(&d);
		return;
	}
	for (c = 0; c < img->n_classes; c++) {
		if (!strcmp(img->classes[c].name, "pii-eu"))
			pii = 1ull << img->classes[c].bit;
		if (!strcmp(img->classes[c].name, "open"))
			open = 1ull << img->classes[c].bit;
	}
	ASSERT_TRUE(pii && open && pii != open, "class_mask: fixture classes found");
	ASSERT_EQ(sov_policy_class_mask(img, "pii-eu", 6, &m, unknown, sizeof(unknown)), 0,
		  "class_mask: one known name");
	ASSERT_EQ(m, pii, "class_mask: its bit");
	ASSERT_EQ(sov_policy_class_mask(img, "open,pii-eu", 11, &m, unknown, sizeof(unknown)), 0,
		  "class_mask: two names");
	ASSERT_EQ(m, pii | open, "class_mask: both bits");
	ASSERT_EQ(sov_policy_class_mask(img, ",pii-eu,,x-y,open,zz,", 21, &m, unknown,
					sizeof(unknown)), 2, "class_mask: two unknown names");
	ASSERT_EQ(m, pii | open, "class_mask: known bits beside unknown names");
	ASSERT_STREQ(unknown, "x-y,zz", "class_mask: the unknown names listed");
	ASSERT_EQ(sov_policy_class_mask(img, "pii", 3, &m, NULL, 0), 1,
		  "class_mask: a prefix of a name is not the name");
	ASSERT_EQ(m, 0, "class_mask: no bit for a prefix");
	ASSERT_EQ(sov_policy_class_mask(img, "pii-eu\0", 7, &m, NULL, 0), -EINVAL,
		  "class_mask: a NUL is refused");
	ASSERT_EQ(sov_policy_class_mask(img, "pii-eu, open", 12, &m, NULL, 0), -EINVAL,
		  "class_mask: a space is refused");
	ASSERT_EQ(sov_policy_class_mask(img, "", 0, &m, NULL, 0), 0, "class_mask: empty text");
	sov_policy_class_names(img, pii | open, names, sizeof(names));
	ASSERT_EQ(sov_policy_class_mask(img, names, strlen(names), &m, NULL, 0), 0,
		  "class_mask: reads what class_names writes");
	ASSERT_EQ(m, pii | open, "class_mask: round trip");
	sov_policy_free(img);
	sov_diags_free(&d);
}

int main(void)
{
	int round;

	(void)tap__skipped;	/* tap.h declares it for TAP_SKIP users only */
	check_prefix_text();
	check_edges();
	check_class_mask();
	for (round = 0; round < 20; round++)
		check_round(round, 40 + round * 20);
	return tap_done();
}
