// SPDX-License-Identifier: Apache-2.0
/*
 * Zone sources through the policy compiler: a policy with the EU member
 * states, an ASN, an AWS range file and explicit prefixes compiles, its
 * tables (the ones sov_policy_zone_of() and the kernel use) agree with the
 * location database's own lookup (locdb_oracle.py) under the precedence
 * rules, the data versions are in the image, and every bad source is
 * reported at its file:line:column.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/zsrc.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/sov-zones-XXXXXX";
static char policy_path[512];
static const char *top;

static int write_policy(const char *text)
{
	FILE *f;

	snprintf(policy_path, sizeof(policy_path), "%s/policy.yaml", dir);
	f = fopen(policy_path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/* All diagnostics as "file:line:col: level: msg" lines. */
static char *diags_text(const struct sov_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	sov_diags_print(d, f);
	fclose(f);
	return buf;
}

static int compile(const char *text, const struct sov_policy_opts *opts,
		   struct sov_policy_image **img, char **msgs)
{
	struct sov_diags d;
	int err;

	sov_diags_init(&d);
	err = write_policy(text);
	if (!err)
		err = sov_policy_compile_file(policy_path, opts, img, &d);
	*msgs = diags_text(&d);
	sov_diags_free(&d);
	return err;
}

static uint32_t zone_id(const struct sov_policy_image *img, const char *name)
{
	for (size_t i = 0; i < img->n_zones; i++)
		if (!strcmp(img->zones[i].name, name))
			return img->zones[i].id;
	return 0;
}

static int prefix_has(const uint8_t *p, unsigned int plen, const uint8_t *a)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(p, a, full))
		return 0;
	return !rest || ((p[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

static void test_eu_policy(void)
{
	static const char *const eu_members[] = { "AT", "BE", "BG", "HR", "CY", "CZ", "DK",
		"EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL",
		"PL", "PT", "RO", "SK", "SI", "ES", "SE", NULL };
	struct sov_policy_image *img = NULL;
	struct zsrc_range_file *rf = NULL;
	char text[2048], cmd[1024], line[256], *msgs = NULL;
	uint32_t z_eu, z_clouds, z_office, z_us;
	long samples = 0, bad = 0, per_zone[5] = { 0 };
	FILE *p = NULL;
	double t0;
	int err, found_locdb = 0, found_aws = 0;

	snprintf(text, sizeof(text),
		 "version: 1\n"
		 "zones:\n"
		 "  eu:\n"
		 "    countries: [EU]\n"
		 "  clouds:\n"
		 "    asns: [AS16509]\n"
		 "    ranges:\n"
		 "      - {file: %s/tests/data/zones/aws-ip-ranges.json, format: aws, regions: [\"eu-*\"]}\n"
		 "  office:\n"
		 "    cidrs: [1.0.0.0/24, \"2001:db8::/32\"]\n"
		 "  us:\n"
		 "    countries: [US, CH]\n"
		 "classes:\n"
		 "  pii:\n"
		 "    paths: [/srv/data]\n"
		 "    allow: [eu, office]\n", top);
	t0 = (double)clock() / CLOCKS_PER_SEC;
	err = compile(text, NULL, &img, &msgs);
	if (!ASSERT_OK(err, "eu: policy with the EU member states compiles")) {
		printf("# %s", msgs ? msgs : "");
		goto cleanup;
	}
	printf("# compile: %.3f s CPU, %zu IPv4 + %zu IPv6 entries\n",
	       (double)clock() / CLOCKS_PER_SEC - t0, img->n_v4, img->n_v6);
	z_eu = zone_id(img, "eu");
	z_clouds = zone_id(img, "clouds");
	z_office = zone_id(img, "office");
	z_us = zone_id(img, "us");
	ASSERT_STREQ(img->locdb_path, ZSRC_LOCDB_DEFAULT, "eu: locdb path in the image");
	for (size_t i = 0; i < img->n_sources; i++) {
		if (!strcmp(img->sources[i].kind, "locdb") && strstr(img->sources[i].version, "Z "))
			found_locdb = 1;
		if (!strcmp(img->sources[i].kind, "aws") &&
		    !strcmp(img->sources[i].version, "syncToken=1700000001 createDate=2023-11-14-22-13-09"))
			found_aws = 1;
	}
	ASSERT_TRUE(found_locdb, "eu: database version is evidence");
	ASSERT_TRUE(found_aws, "eu: range file version is evidence");
	ASSERT_TRUE(img->table_stats[0].n_input > img->table_stats[0].n_output &&
		    img->table_stats[0].n_output == img->n_v4, "eu: IPv4 counts before/after merging");
	ASSERT_TRUE(img->table_stats[1].map_bytes > 0, "eu: IPv6 map memory");

	if (access("/usr/bin/python3", X_OK)) {
		TAP_SKIP("eu: tables agree with the database's lookup", "no /usr/bin/python3");
		goto cleanup;
	}
	snprintf(line, sizeof(line), "%s/tests/data/zones/aws-ip-ranges.json", top);
	if (!ASSERT_OK(sov_zsrc_range_load(line, ZSRC_FMT_AWS, &rf, NULL, NULL), "eu: fixture"))
		goto cleanup;
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 %s/tests/unit/zones/locdb_oracle.py %s 500 %ld "
		 "3.5.137.1 2a05:d050:8000::1 1.0.0.1 52.95.255.70 2001:db8::1 8.8.8.8",
		 top, ZSRC_LOCDB_DEFAULT, (long)time(NULL) % 1000);
	p = popen(cmd, "r");
	if (!ASSERT_TRUE(p != NULL, "eu: run locdb_oracle.py"))
		goto cleanup;
	while (fgets(line, sizeof(line), p)) {
		char addr[64], cc[8], kind[16];
		unsigned long asn;
		uint8_t a[16] = { 0 };
		uint32_t want = 0, got;
		int fam = AF_INET;

		if (sscanf(line, "%63s %7s %lu %15s", addr, cc, &asn, kind) != 4)
			continue;
		if (inet_pton(AF_INET, addr, a) != 1) {
			fam = AF_INET6;
			if (inet_pton(AF_INET6, addr, a) != 1)
				continue;
		}
		samples++;
		/* The precedence rules, spelled out. */
		{
			static const uint8_t office4[4] = { 1, 0, 0, 0 };
			static const uint8_t office6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

			if (fam == AF_INET ? prefix_has(office4, 24, a) : prefix_has(office6, 32, a))
				want = z_office;
			for (size_t i = 0; !want && i < rf->n_prefixes; i++)
				if (rf->prefixes[i].family == fam &&
				    sov_zsrc_region_match("eu-*", rf->regions[rf->prefixes[i].region]) &&
				    prefix_has(rf->prefixes[i].addr, rf->prefixes[i].plen, a))
					want = z_clouds;
			if (!want && asn == 16509)
				want = z_clouds;
			for (size_t i = 0; !want && eu_members[i]; i++)
				if (!strcmp(cc, eu_members[i]))
					want = z_eu;
			if (!want && (!strcmp(cc, "US") || !strcmp(cc, "CH")))
				want = z_us;
		}
		got = sov_policy_zone_of(img, fam, a);
		if (got != want) {
			if (bad++ < 5)
				printf("#   %s (database: %s AS%lu, %s): expected %s, got %s\n", addr, cc,
				       asn, kind, sov_policy_zone_name(img, want),
				       sov_policy_zone_name(img, got));
			continue;
		}
		if (want < 5)
			per_zone[want]++;
	}
	ASSERT_EQ(pclose(p), 0, "eu: locdb_oracle.py exits 0");
	p = NULL;
	printf("# %ld samples: unknown %ld, eu %ld, clouds %ld, office %ld, us %ld\n", samples,
	       per_zone[0], per_zone[z_eu], per_zone[z_clouds], per_zone[z_office], per_zone[z_us]);
	ASSERT_TRUE(samples > 3000, "eu: thousands of samples");
	ASSERT_EQ(bad, 0, "eu: sov_policy_zone_of agrees with the database under precedence");
	ASSERT_TRUE(per_zone[0] && per_zone[z_eu] && per_zone[z_clouds] && per_zone[z_office] &&
		    per_zone[z_us], "eu: every zone and unknown seen");
cleanup:
	if (p)
		pclose(p);
	sov_zsrc_range_free(rf);
	free(msgs);
	sov_policy_free(img);
}

static void expect_error(const char *text, const struct sov_policy_opts *opts,
			 const char *const *want, const char *name)
{
	struct sov_policy_image *img = NULL;
	char *msgs = NULL, full[1024];
	int err = compile(text, opts, &img, &msgs);

	ASSERT_TRUE(err != 0 && img == NULL, name);
	for (; *want; want++) {
		if ((*want)[0] == ':')
			snprintf(full, sizeof(full), "%s%s", policy_path, *want);
		else
			snprintf(full, sizeof(full), "%s", *want);
		if (!ASSERT_STRSTR(msgs, full, name))
			break;
	}
	free(msgs);
	sov_policy_free(img);
}

static void test_errors(void)
{
	char text[2048], bad[600], want_bad[700];
	struct sov_policy_opts opts = { .locdb_path = "/nonexistent/location.db" };

	{
		static const char *const want[] = {
			":4:17: error: unknown country code 'ZZ'",
			":4:21: error: invalid country code 'de': codes are upper case (DE)",
			":4:25: error: invalid country code 'EUR'",
			":5:12: error: invalid ASN 'AS-1'",
			":5:18: error: invalid ASN 'ASX'",
			NULL,
		};

		expect_error("version: 1\n"
			     "zones:\n"
			     "  a:\n"
			     "    countries: [ZZ, de, EUR]\n"
			     "    asns: [AS-1, ASX, 64512]\n", NULL, want,
			     "errors: countries and asns at their positions");
	}
	{
		static const char *const want[] = {
			":5:19: error: country DE of group EU is already in zone 'a' (line 4)",
			NULL,
		};

		expect_error("version: 1\n"
			     "zones:\n"
			     "  a:\n"
			     "    countries: [DE]\n"
			     "  b: {countries: [EU]}\n", NULL, want, "errors: a country in two zones");
	}
	snprintf(bad, sizeof(bad), "%s/tests/data/zones/bad-syntax.json", top);
	snprintf(want_bad, sizeof(want_bad), "%s:4:3: error: failed to parse aws range file:", bad);
	snprintf(text, sizeof(text),
		 "version: 1\n"
		 "zones:\n"
		 "  a:\n"
		 "    ranges:\n"
		 "      - {file: /nonexistent/ip-ranges.json, format: aws, regions: [eu-*]}\n"
		 "      - {file: rel.json, format: ibm, regions: []}\n"
		 "      - {file: %s, format: aws, regions: [\"*\"]}\n"
		 "      - {file: /x.json, format: aws}\n"
		 "      - {file: /x.json, format: aws, regions: [a], colour: red}\n", bad);
	{
		const char *const want[] = {
			":5:16: error: /nonexistent/ip-ranges.json: failed to read aws range file: No such file or directory",
			":6:16: error: range file 'rel.json' is not an absolute path",
			":6:34: error: unknown range format 'ibm'",
			":6:48: error: 'regions' is empty",
			want_bad,
			":8:9: error: range is missing 'regions'",
			":9:52: error: unknown key 'colour' in a range",
			NULL,
		};

		expect_error(text, NULL, want, "errors: ranges at their positions");
	}
	{
		static const char *const want[] = {
			"failed to open location database: No such file or directory",
			NULL,
		};

		expect_error("version: 1\nzones:\n  a: {countries: [DE]}\n", &opts, want,
			     "errors: locdb override that does not exist");
	}
	{
		static const char *const want[] = {
			":1:8: error: 'locdb' must be the absolute path of a location database",
			NULL,
		};

		expect_error("locdb: relative.db\nversion: 1\nzones:\n  a: {countries: [DE]}\n",
			     NULL, want, "errors: relative locdb");
	}
}

static void test_locdb_key(void)
{
	struct sov_policy_image *img = NULL;
	struct sov_policy_opts opts = { .locdb_path = ZSRC_LOCDB_DEFAULT };
	char *msgs = NULL;
	uint8_t a[4] = { 3, 5, 137, 1 };
	int err;

	/* The command line (opts) wins over the policy's 'locdb'. */
	err = compile("version: 1\nlocdb: /nonexistent/location.db\nzones:\n"
		      "  lu: {countries: [LU]}\n", &opts, &img, &msgs);
	if (ASSERT_OK(err, "locdb: opts override the policy's locdb")) {
		ASSERT_STREQ(img->locdb_path, ZSRC_LOCDB_DEFAULT, "locdb: the one used is recorded");
		ASSERT_EQ(sov_policy_zone_of(img, AF_INET, a), 0, "locdb: 3.5.137.1 not in LU");
	} else {
		printf("# %s", msgs ? msgs : "");
	}
	free(msgs);
	sov_policy_free(img);
}

/* Output of a command, whole; NULL when it cannot run. */
static char *run(const char *cmd, int *status)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *p = popen(cmd, "r");
	int c;

	if (!p)
		return NULL;
	while ((c = fgetc(p)) != EOF) {
		if (len + 2 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (!nb)
				break;
			buf = nb;
		}
		buf[len++] = (char)c;
		buf[len] = 0;
	}
	*status = pclose(p);
	return buf;
}

/* sovctl answers from the same tables: zone lookup and policy compile. */
static void test_sovctl(void)
{
	const char *build = getenv("SOV_BUILD") ? getenv("SOV_BUILD") : "build";
	char text[1024], cmd[2048], *out;
	int status = -1;

	snprintf(text, sizeof(text),
		 "version: 1\n"
		 "zones:\n"
		 "  eu: {countries: [EU]}\n"
		 "  clouds:\n"
		 "    ranges: [{file: %s/tests/data/zones/aws-ip-ranges.json, format: aws, regions: [\"eu-*\"]}]\n"
		 "  office: {cidrs: [\"2001:db8::/32\"]}\n", top);
	if (!ASSERT_OK(write_policy(text), "sovctl: policy written"))
		return;
	snprintf(cmd, sizeof(cmd),
		 "'%s/sovctl' zone lookup --policy '%s' 3.5.137.1 2a05:d050:8000::1 2001:db8::7 "
		 "::ffff:3.5.137.1 10.1.2.3 2>&1", build, policy_path);
	out = run(cmd, &status);
	ASSERT_EQ(status, 0, "sovctl: zone lookup exits 0");
	ASSERT_STREQ(out, "3.5.137.1 clouds\n2a05:d050:8000::1 clouds\n2001:db8::7 office\n"
			  "::ffff:3.5.137.1 clouds\n10.1.2.3 unknown\n",
		     "sovctl: zone lookup answers IPv4 and IPv6 from the compiled tables");
	free(out);
	snprintf(cmd, sizeof(cmd), "'%s/sovctl' zone lookup --policy '%s' --locdb /nonexistent/db 1.1.1.1 2>&1",
		 build, policy_path);
	out = run(cmd, &status);
	ASSERT_EQ(WEXITSTATUS(status), 1, "sovctl: zone lookup with a missing --locdb exits 1");
	ASSERT_STRSTR(out, ":3:20: error: /nonexistent/db: failed to open location database",
		      "sovctl: at the first country");
	free(out);
	snprintf(cmd, sizeof(cmd), "'%s/sovctl' policy compile '%s' 2>&1", build, policy_path);
	out = run(cmd, &status);
	ASSERT_EQ(status, 0, "sovctl: policy compile exits 0");
	ASSERT_STRSTR(out, "before merging), ", "sovctl: policy compile reports entries before merging");
	ASSERT_STRSTR(out, "source   locdb " ZSRC_LOCDB_DEFAULT, "sovctl: policy compile names the database");
	ASSERT_STRSTR(out, "syncToken=1700000001", "sovctl: policy compile names the range file version");
	free(out);
}

int main(void)
{
	char cmd[600];

	top = getenv("SOV_TOP") ? getenv("SOV_TOP") : ".";
	if (!mkdtemp(dir)) {
		ASSERT_TRUE(0, "mkdtemp");
		return tap_done();
	}
	if (access(ZSRC_LOCDB_DEFAULT, R_OK)) {
		TAP_SKIP("zone sources in policies", "no location database");
	} else {
		test_eu_policy();
		test_errors();
		test_locdb_key();
		test_sovctl();
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# failed to remove %s\n", dir);
	return tap_done();
}
