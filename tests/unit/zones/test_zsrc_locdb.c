// SPDX-License-Identifier: Apache-2.0
/*
 * Countries and ASNs through the IP location database, checked against the
 * database's own lookup: locdb_oracle.py (python3-location) samples
 * addresses from the database's networks, nested networks of other
 * countries among them, and says what the database answers for each; the
 * compiled tables (EU member states, ASNs above them, a range file and an
 * explicit prefix above those) must give the zone that answer implies.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "policy/zsrc.h"
#include "tests/lib/tap.h"

enum { Z_EU = 1, Z_AS = 2, Z_OTHER = 3, Z_RANGE = 4, Z_EXPLICIT = 5 };
static const char *const zone_names[] = { "unknown", "eu", "as", "other", "range", "explicit" };

static const uint32_t listed_asns[] = { 16509, 3320 };
static const char *const other_countries[] = { "US", "CH", "AU" };

struct errs {
	char text[4096];
};

static void collect(void *ctx, const char *file, int line, int col, const char *msg)
{
	struct errs *e = ctx;
	size_t len = strlen(e->text);

	snprintf(e->text + len, sizeof(e->text) - len, "%s:%d:%d: %s\n",
		 file ? file : "-", line, col, msg);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int prefix_has(const uint8_t *p, unsigned int plen, const uint8_t *a)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(p, a, full))
		return 0;
	return !rest || ((p[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

/* The zone the precedence rules give, from the database's answer (cc, asn). */
static uint32_t expected_zone(const struct zsrc_range_file *rf, int family,
			      const uint8_t *a, const char *cc, uint32_t asn)
{
	static const uint8_t explicit_net[4] = { 1, 0, 0, 0 };

	if (family == AF_INET && prefix_has(explicit_net, 24, a))
		return Z_EXPLICIT;
	for (size_t i = 0; i < rf->n_prefixes; i++)
		if (rf->prefixes[i].family == family &&
		    sov_zsrc_region_match("eu-*", rf->regions[rf->prefixes[i].region]) &&
		    prefix_has(rf->prefixes[i].addr, rf->prefixes[i].plen, a))
			return Z_RANGE;
	for (size_t i = 0; i < sizeof(listed_asns) / sizeof(listed_asns[0]); i++)
		if (asn == listed_asns[i])
			return Z_AS;
	for (const char *const *g = sov_zsrc_country_group("EU"); *g; g++)
		if (!strcmp(cc, *g))
			return Z_EU;
	for (size_t i = 0; i < sizeof(other_countries) / sizeof(other_countries[0]); i++)
		if (!strcmp(cc, other_countries[i]))
			return Z_OTHER;
	return 0;
}

static void test_checks(struct zsrc_locdb *db)
{
	struct zsrc_locdb_info info;
	uint32_t asn = 0;
	const char *const *eu = sov_zsrc_country_group("EU");
	int n = 0;

	sov_zsrc_locdb_get_info(db, &info);
	ASSERT_TRUE(info.created_at > 1500000000, "info: creation time set");
	ASSERT_TRUE(info.vendor[0] != 0, "info: vendor set");
	ASSERT_STRSTR(info.version, info.vendor, "info: version names the vendor");
	ASSERT_TRUE(info.version[4] == '-' && info.version[19] == 'Z', "info: version starts RFC 3339");

	ASSERT_OK(sov_zsrc_locdb_check_country(db, "DE"), "country: DE");
	ASSERT_EQ(sov_zsrc_locdb_check_country(db, "ZZ"), -ENOENT, "country: ZZ unknown");
	ASSERT_EQ(sov_zsrc_locdb_check_country(db, "A1"), -EINVAL, "country: A1 is a flag");
	ASSERT_EQ(sov_zsrc_locdb_check_country(db, "DEU"), -EINVAL, "country: alpha-3 refused");
	ASSERT_EQ(sov_zsrc_locdb_check_country(db, "de"), -EINVAL, "country: lower case refused");
	while (eu && eu[n]) {
		if (sov_zsrc_locdb_check_country(db, eu[n]))
			break;
		n++;
	}
	ASSERT_EQ(n, 27, "group EU: 27 member states, all known");
	for (eu = sov_zsrc_country_group("EEA"), n = 0; eu && eu[n]; n++)
		if (sov_zsrc_locdb_check_country(db, eu[n]))
			break;
	ASSERT_EQ(n, 30, "group EEA: EU + IS, LI, NO, all known");
	ASSERT_TRUE(sov_zsrc_country_group("DE") == NULL, "group: DE is not a group");

	ASSERT_OK(sov_zsrc_parse_asn("AS16509", &asn), "asn: AS16509");
	ASSERT_EQ(asn, 16509, "asn: value");
	ASSERT_OK(sov_zsrc_parse_asn("as3320", &asn), "asn: lower-case prefix");
	ASSERT_OK(sov_zsrc_parse_asn("4294967295", &asn), "asn: largest");
	ASSERT_EQ(asn, 4294967295u, "asn: 32-bit value");
	ASSERT_EQ(sov_zsrc_parse_asn("AS0", &asn), -EINVAL, "asn: 0 refused");
	ASSERT_EQ(sov_zsrc_parse_asn("4294967296", &asn), -EINVAL, "asn: 2^32 refused");
	ASSERT_EQ(sov_zsrc_parse_asn("AS-1", &asn), -EINVAL, "asn: sign refused");
	ASSERT_EQ(sov_zsrc_parse_asn("AS", &asn), -EINVAL, "asn: empty refused");
	ASSERT_EQ(sov_zsrc_parse_asn("AS1.10", &asn), -EINVAL, "asn: asdot refused");
	ASSERT_OK(sov_zsrc_locdb_check_asn(db, 16509), "asn: AS16509 known");
	ASSERT_EQ(sov_zsrc_locdb_check_asn(db, 64512), -ENOENT, "asn: private AS unknown");
}

static void test_open_errors(const char *top)
{
	struct errs e = { 0 };
	struct zsrc_locdb *db;
	char path[512];

	db = sov_zsrc_locdb_open("/nonexistent/location.db", collect, &e);
	ASSERT_TRUE(db == NULL && errno == ENOENT, "open: missing file fails with ENOENT");
	ASSERT_STRSTR(e.text, "/nonexistent/location.db:0:0: failed to open location database: No such file",
		      "open: missing file named");
	sov_zsrc_locdb_close(db);

	memset(&e, 0, sizeof(e));
	snprintf(path, sizeof(path), "%s/tests/data/zones/aws-ip-ranges.json", top);
	db = sov_zsrc_locdb_open(path, collect, &e);
	ASSERT_TRUE(db == NULL, "open: a JSON file is not a database");
	ASSERT_STRSTR(e.text, "failed to read location database", "open: says so");
	sov_zsrc_locdb_close(db);
}

static void test_conflict(struct zsrc_locdb *db)
{
	static const char codes[2][3] = { "DE", "DE" };
	static const uint32_t zones[2] = { Z_EU, Z_OTHER };
	struct zsrc_locdb_query q = { .countries = codes, .country_zone = zones, .n_countries = 2 };
	struct zsrc_lpm *v4 = sov_zsrc_lpm_new(AF_INET);
	struct errs e = { 0 };

	ASSERT_EQ(sov_zsrc_locdb_add(db, &q, zone_names, v4, NULL, NULL, collect, &e), -EINVAL,
		  "conflict: a country in two zones");
	ASSERT_STRSTR(e.text, "country DE is in zones eu and other", "conflict: message");
	sov_zsrc_lpm_free(v4);
}

static void test_oracle(struct zsrc_locdb *db, const char *top, const char *dbpath)
{
	char codes[64][3];
	uint32_t czones[64], azones[2] = { Z_AS, Z_AS };
	struct zsrc_locdb_query q = { .countries = (const char (*)[3])codes, .country_zone = czones,
				      .asns = listed_asns, .asn_zone = azones, .n_asns = 2 };
	static const char *const eu_glob[] = { "eu-*" };
	struct zsrc_lpm *v4 = sov_zsrc_lpm_new(AF_INET), *v6 = sov_zsrc_lpm_new(AF_INET6);
	struct zsrc_entry *o4 = NULL, *o6 = NULL;
	struct zsrc_lpm_stats s4, s6;
	struct zsrc_locdb_stats ls;
	struct zsrc_range_file *rf = NULL;
	struct errs e = { 0 };
	size_t n4 = 0, n6 = 0, n = 0;
	long samples = 0, bad = 0, nested_in = 0, nested_out = 0, extra_ok = 0;
	char cmd[2048], line[512], path[512];
	FILE *p = NULL;
	double t0;
	int err;

	if (!ASSERT_TRUE(v4 && v6, "oracle: builders"))
		goto cleanup;
	for (const char *const *g = sov_zsrc_country_group("EU"); *g; g++) {
		memcpy(codes[n], *g, 3);
		czones[n++] = Z_EU;
	}
	for (size_t i = 0; i < 3; i++) {
		memcpy(codes[n], other_countries[i], 3);
		czones[n++] = Z_OTHER;
	}
	q.n_countries = n;
	snprintf(path, sizeof(path), "%s/tests/data/zones/aws-ip-ranges.json", top);
	if (!ASSERT_OK(sov_zsrc_range_load(path, ZSRC_FMT_AWS, &rf, collect, &e), "oracle: range file"))
		goto cleanup;

	t0 = now();
	err = sov_zsrc_locdb_add(db, &q, zone_names, v4, v6, &ls, collect, &e);
	if (!ASSERT_OK(err, "oracle: EU member states + US, CH, AU + 2 ASNs from the database")) {
		printf("# %s", e.text);
		goto cleanup;
	}
	ASSERT_TRUE(sov_zsrc_range_add(rf, eu_glob, 1, Z_RANGE, zone_names, v4, v6, collect, &e) > 0,
		    "oracle: aws eu-* ranges");
	{
		static const uint8_t net[4] = { 1, 0, 0, 0 };

		ASSERT_OK(sov_zsrc_lpm_add(v4, net, 24, ZSRC_TIER_EXPLICIT, Z_EXPLICIT, NULL),
			  "oracle: explicit 1.0.0.0/24");
	}
	err = sov_zsrc_lpm_compile(v4, &o4, &n4, &s4);
	if (!err)
		err = sov_zsrc_lpm_compile(v6, &o6, &n6, &s6);
	if (!ASSERT_OK(err, "oracle: compile"))
		goto cleanup;
	printf("# database walk + compile: %.3f s; %zu networks; IPv4 %zu -> %zu entries, IPv6 %zu -> %zu\n",
	       now() - t0, ls.n_networks, s4.n_input, s4.n_output, s6.n_input, s6.n_output);
	ASSERT_TRUE(now() - t0 < 5.0, "oracle: compiles in seconds (bench: under 1 s)");
	ASSERT_TRUE(ls.n_country4 > 10000 && ls.n_country6 > 1000 && ls.n_asn4 > 100,
		    "oracle: networks from every tier and family");
	ASSERT_TRUE(s4.n_output < s4.n_input && s6.n_output < s6.n_input, "oracle: merging shrinks");

	if (access("/usr/bin/python3", X_OK)) {
		TAP_SKIP("oracle: answers match the database's lookup", "no /usr/bin/python3");
		goto cleanup;
	}
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 %s/tests/unit/zones/locdb_oracle.py '%s' 300 %ld "
		 "3.5.137.1 2a05:d050:8000::1 1.0.0.1 52.95.255.70 3.5.139.255",
		 top, dbpath, (long)time(NULL) % 1000);
	printf("# %s\n", cmd);
	p = popen(cmd, "r");
	if (!ASSERT_TRUE(p != NULL, "oracle: run locdb_oracle.py"))
		goto cleanup;
	while (fgets(line, sizeof(line), p)) {
		char addr[64], cc[8], kind[16];
		unsigned long asn;
		uint8_t a[16] = { 0 };
		uint32_t want, got, got_src;
		int fam = AF_INET;

		if (sscanf(line, "%63s %7s %lu %15s", addr, cc, &asn, kind) != 4)
			continue;
		if (inet_pton(AF_INET, addr, a) != 1) {
			fam = AF_INET6;
			if (inet_pton(AF_INET6, addr, a) != 1)
				continue;
		}
		samples++;
		want = expected_zone(rf, fam, a, cc, asn);
		got = fam == AF_INET ? sov_zsrc_table_lookup(o4, n4, fam, a)
				     : sov_zsrc_table_lookup(o6, n6, fam, a);
		got_src = sov_zsrc_lpm_resolve(fam == AF_INET ? v4 : v6, a);
		if (got != want || got_src != want) {
			if (bad++ < 5)
				printf("#   %s (database: %s AS%lu, %s): expected zone %s, got %s (sources: %s)\n",
				       addr, cc, asn, kind, zone_names[want], zone_names[got],
				       zone_names[got_src]);
			continue;
		}
		if (!strcmp(kind, "nested"))
			want ? nested_in++ : nested_out++;
		if (!strcmp(kind, "extra"))
			extra_ok++;
	}
	if (!ASSERT_EQ(pclose(p), 0, "oracle: locdb_oracle.py exits 0")) {
		p = NULL;
		goto cleanup;
	}
	p = NULL;
	printf("# %ld sampled addresses, %ld nested in a zone, %ld nested outside any\n",
	       samples, nested_in, nested_out);
	ASSERT_TRUE(samples > 3000, "oracle: thousands of samples");
	ASSERT_EQ(bad, 0, "oracle: every answer matches the database's lookup");
	ASSERT_TRUE(nested_in > 0 && nested_out > 0, "oracle: nested networks both ways");
	ASSERT_EQ(extra_ok, 5, "oracle: range and explicit addresses");
	{
		uint8_t a[4] = { 3, 5, 137, 1 };

		ASSERT_EQ(sov_zsrc_table_lookup(o4, n4, AF_INET, a), Z_RANGE,
			  "oracle: AWS eu-central-1 range beats AS16509");
	}
cleanup:
	if (p)
		pclose(p);
	free(o6);
	free(o4);
	sov_zsrc_range_free(rf);
	sov_zsrc_lpm_free(v6);
	sov_zsrc_lpm_free(v4);
}

int main(void)
{
	const char *top = getenv("SOV_TOP") ? getenv("SOV_TOP") : ".";
	const char *path = getenv("SOV_LOCDB") ? getenv("SOV_LOCDB") : ZSRC_LOCDB_DEFAULT;
	struct errs e = { 0 };
	struct zsrc_locdb *db;

	test_open_errors(top);
	db = sov_zsrc_locdb_open(path, collect, &e);
	if (!db) {
		TAP_SKIP("location database", e.text);
		return tap_done();
	}
	test_checks(db);
	test_conflict(db);
	test_oracle(db, top, path);
	sov_zsrc_locdb_close(db);
	return tap_done();
}
