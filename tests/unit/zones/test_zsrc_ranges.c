// SPDX-License-Identifier: Apache-2.0
/*
 * Cloud provider range files: the four published formats read from small
 * fixtures (tests/data/zones/), region globs, global entries, versions as
 * evidence, and file:line:column errors for broken files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/zsrc.h"
#include "tests/lib/tap.h"

struct errs {
	char text[4096];
	int n;
};

static void collect(void *ctx, const char *file, int line, int col, const char *msg)
{
	struct errs *e = ctx;
	size_t len = strlen(e->text);

	snprintf(e->text + len, sizeof(e->text) - len, "%s:%d:%d: %s\n",
		 file ? file : "-", line, col, msg);
	e->n++;
}

static char path_buf[4][512];
static int path_i;

static const char *fixture(const char *name)
{
	const char *top = getenv("SOV_TOP");
	char *p = path_buf[path_i++ % 4];

	snprintf(p, sizeof(path_buf[0]), "%s/tests/data/zones/%s", top ? top : ".", name);
	return p;
}

/* Zone of addr after adding rf's prefixes for globs to fresh tables. */
static uint32_t zone_after(const struct zsrc_range_file *rf, const char *const *globs,
			   size_t n_globs, const char *addr, long *added)
{
	struct zsrc_lpm *v4 = sov_zsrc_lpm_new(AF_INET), *v6 = sov_zsrc_lpm_new(AF_INET6);
	uint8_t a[16] = { 0 };
	uint32_t z = 0;

	*added = -1;
	if (!v4 || !v6)
		goto cleanup;
	*added = sov_zsrc_range_add(rf, globs, n_globs, 5, NULL, v4, v6, NULL, NULL);
	if (inet_pton(AF_INET, addr, a) == 1)
		z = sov_zsrc_lpm_resolve(v4, a);
	else if (inet_pton(AF_INET6, addr, a) == 1)
		z = sov_zsrc_lpm_resolve(v6, a);
cleanup:
	sov_zsrc_lpm_free(v6);
	sov_zsrc_lpm_free(v4);
	return z;
}

static void test_aws(void)
{
	static const char *const eu[] = { "eu-*" }, *const all[] = { "*" },
			  *const global[] = { "GLOBAL" };
	struct zsrc_range_file *rf = NULL;
	struct errs e = { 0 };
	long added;
	int err;

	err = sov_zsrc_range_load(fixture("aws-ip-ranges.json"), ZSRC_FMT_AWS, &rf, collect, &e);
	if (!ASSERT_OK(err, "aws: load")) {
		printf("# %s", e.text);
		return;
	}
	ASSERT_STREQ(rf->version, "syncToken=1700000001 createDate=2023-11-14-22-13-09",
		     "aws: version");
	ASSERT_EQ(rf->n_prefixes, 9, "aws: 9 prefixes (6 IPv4, 3 IPv6)");
	ASSERT_EQ(rf->n_regions, 5, "aws: 5 regions incl. GLOBAL");
	ASSERT_EQ(zone_after(rf, eu, 1, "3.5.137.1", &added), 5, "aws: eu-* has eu-central-1");
	ASSERT_EQ(added, 4, "aws: eu-* selects 4 prefixes (one listed twice)");
	ASSERT_EQ(zone_after(rf, eu, 1, "52.95.255.70", &added), 5, "aws: eu-* has eu-west-1");
	ASSERT_EQ(zone_after(rf, eu, 1, "2a05:d050:80ff::1", &added), 5, "aws: eu-* IPv6");
	ASSERT_EQ(zone_after(rf, eu, 1, "52.94.76.1", &added), 0, "aws: eu-* not us-west-2");
	ASSERT_EQ(zone_after(rf, all, 1, "52.94.76.1", &added), 5, "aws: * has us-west-2");
	ASSERT_EQ(zone_after(rf, all, 1, "15.230.39.1", &added), 0, "aws: * never GLOBAL");
	ASSERT_EQ(zone_after(rf, all, 1, "2600:9000:3000::1", &added), 0, "aws: * never GLOBAL v6");
	ASSERT_EQ(zone_after(rf, global, 1, "15.230.39.1", &added), 5, "aws: GLOBAL by name");
	ASSERT_EQ(added, 2, "aws: GLOBAL selects 2 prefixes");
	ASSERT_EQ(sov_zsrc_range_glob_regions(rf, "eu-*"), 2, "aws: eu-* matches 2 regions");
	ASSERT_EQ(sov_zsrc_range_glob_regions(rf, "westeurope"), 0, "aws: azure name matches none");
	sov_zsrc_range_free(rf);
}

static void test_gcp(void)
{
	static const char *const eu[] = { "europe-*" }, *const all[] = { "*" };
	struct zsrc_range_file *rf = NULL;
	struct errs e = { 0 };
	long added;

	if (!ASSERT_OK(sov_zsrc_range_load(fixture("gcp-cloud.json"), ZSRC_FMT_GCP, &rf, collect, &e),
		       "gcp: load")) {
		printf("# %s", e.text);
		return;
	}
	ASSERT_STREQ(rf->version, "syncToken=1700000000000 creationTime=2023-11-14T12:00:00.000000",
		     "gcp: version");
	ASSERT_EQ(rf->n_prefixes, 6, "gcp: 6 prefixes");
	ASSERT_EQ(zone_after(rf, eu, 1, "34.77.1.1", &added), 5, "gcp: europe-west1");
	ASSERT_EQ(added, 3, "gcp: europe-* selects 3");
	ASSERT_EQ(zone_after(rf, eu, 1, "2600:1900:4010::1", &added), 5, "gcp: europe-west1 v6");
	ASSERT_EQ(zone_after(rf, eu, 1, "34.16.0.1", &added), 0, "gcp: not us-central1");
	ASSERT_EQ(zone_after(rf, all, 1, "34.54.0.1", &added), 0, "gcp: * never global");
	sov_zsrc_range_free(rf);
}

static void test_azure(void)
{
	static const char *const we[] = { "westeurope" }, *const all[] = { "*" },
			  *const none[] = { "" };
	struct zsrc_range_file *rf = NULL;
	struct errs e = { 0 };
	long added;

	if (!ASSERT_OK(sov_zsrc_range_load(fixture("azure-servicetags.json"), ZSRC_FMT_AZURE, &rf,
					   collect, &e), "azure: load")) {
		printf("# %s", e.text);
		return;
	}
	ASSERT_STREQ(rf->version, "changeNumber=239 cloud=Public", "azure: version");
	ASSERT_EQ(rf->n_prefixes, 8, "azure: 8 prefixes");
	ASSERT_EQ(zone_after(rf, we, 1, "20.50.1.1", &added), 5, "azure: westeurope");
	ASSERT_EQ(added, 4, "azure: westeurope selects 4 (one in two tags)");
	ASSERT_EQ(zone_after(rf, we, 1, "2603:1020:200::5", &added), 5, "azure: westeurope v6");
	ASSERT_EQ(zone_after(rf, we, 1, "13.68.200.1", &added), 0, "azure: not eastus");
	ASSERT_EQ(zone_after(rf, all, 1, "13.107.246.1", &added), 0,
		  "azure: * never the region-less tags");
	ASSERT_EQ(zone_after(rf, none, 1, "13.107.246.1", &added), 5,
		  "azure: \"\" selects the region-less tags");
	sov_zsrc_range_free(rf);
}

static void test_oracle(void)
{
	static const char *const globs[] = { "eu-frankfurt-*", "eu-amsterdam-1" };
	struct zsrc_range_file *rf = NULL;
	struct errs e = { 0 };
	enum zsrc_range_format f;
	long added;

	ASSERT_OK(sov_zsrc_range_format_parse("oci", &f), "oracle: alias oci");
	if (!ASSERT_OK(sov_zsrc_range_load(fixture("oracle-public_ip_ranges.json"), f, &rf,
					   collect, &e), "oracle: load")) {
		printf("# %s", e.text);
		return;
	}
	ASSERT_STREQ(rf->version, "last_updated_timestamp=2023-11-14T08:06:43.563758",
		     "oracle: version");
	ASSERT_EQ(rf->n_prefixes, 4, "oracle: 4 prefixes");
	ASSERT_EQ(zone_after(rf, globs, 2, "138.1.15.1", &added), 5, "oracle: frankfurt");
	ASSERT_EQ(added, 3, "oracle: two globs select 3");
	ASSERT_EQ(zone_after(rf, globs, 2, "158.101.9.9", &added), 5, "oracle: amsterdam");
	ASSERT_EQ(zone_after(rf, globs, 2, "129.213.0.1", &added), 0, "oracle: not ashburn");
	sov_zsrc_range_free(rf);
}

static void test_errors(void)
{
	struct zsrc_range_file *rf = NULL;
	enum zsrc_range_format f;
	struct errs e = { 0 };
	char want[600];
	int err;

	ASSERT_EQ(sov_zsrc_range_format_parse("ibm", &f), -EINVAL, "err: unknown format");

	err = sov_zsrc_range_load(fixture("no-such-file.json"), ZSRC_FMT_AWS, &rf, collect, &e);
	ASSERT_EQ(err, -ENOENT, "err: missing file is -ENOENT");
	snprintf(want, sizeof(want), "%s:0:0: failed to read aws range file: No such file or directory",
		 fixture("no-such-file.json"));
	ASSERT_STRSTR(e.text, want, "err: missing file names the file");
	ASSERT_TRUE(rf == NULL, "err: no result on failure");

	memset(&e, 0, sizeof(e));
	err = sov_zsrc_range_load(fixture("bad-syntax.json"), ZSRC_FMT_AWS, &rf, collect, &e);
	ASSERT_EQ(err, -EINVAL, "err: syntax error is -EINVAL");
	snprintf(want, sizeof(want), "%s:4:3: failed to parse aws range file:",
		 fixture("bad-syntax.json"));
	ASSERT_STRSTR(e.text, want, "err: syntax error at line 4 column 3");

	memset(&e, 0, sizeof(e));
	err = sov_zsrc_range_load(fixture("truncated.json"), ZSRC_FMT_AWS, &rf, collect, &e);
	ASSERT_EQ(err, -EINVAL, "err: truncated is -EINVAL");
	ASSERT_STRSTR(e.text, "failed to parse aws range file: unexpected end of file",
		      "err: truncated says so");
	ASSERT_STRSTR(e.text, "truncated.json:5:", "err: truncated at its last line");

	memset(&e, 0, sizeof(e));
	err = sov_zsrc_range_load(fixture("bad-prefix.json"), ZSRC_FMT_AWS, &rf, collect, &e);
	ASSERT_EQ(err, -EINVAL, "err: bad prefix is -EINVAL");
	snprintf(want, sizeof(want),
		 "%s:6:21: prefixes[1].ip_prefix: bad prefix \"3.5.140.0/33\"",
		 fixture("bad-prefix.json"));
	ASSERT_STRSTR(e.text, want, "err: bad prefix at its line and column");

	/* A Google file read as AWS: every entry is wrong, all are reported. */
	memset(&e, 0, sizeof(e));
	err = sov_zsrc_range_load(fixture("gcp-cloud.json"), ZSRC_FMT_AWS, &rf, collect, &e);
	ASSERT_EQ(err, -EINVAL, "err: wrong format is -EINVAL");
	ASSERT_STRSTR(e.text, "missing \"createDate\"", "err: wrong format: no createDate");
	ASSERT_STRSTR(e.text, "prefixes[5]: expected an object with \"ip_prefix\" and \"region\"",
		      "err: wrong format: entries named");

	/* The same prefix in two zones' ranges is a conflict. */
	{
		static const char *const a[] = { "eu-central-1" }, *const b[] = { "eu-*" };
		static const char *const names[] = { "unknown", "de", "eu" };
		struct zsrc_lpm *v4 = sov_zsrc_lpm_new(AF_INET), *v6 = sov_zsrc_lpm_new(AF_INET6);

		memset(&e, 0, sizeof(e));
		if (ASSERT_OK(sov_zsrc_range_load(fixture("aws-ip-ranges.json"), ZSRC_FMT_AWS, &rf,
						  collect, &e), "err: load for conflict") && v4 && v6) {
			ASSERT_EQ(sov_zsrc_range_add(rf, a, 1, 1, names, v4, v6, collect, &e), 3,
				  "err: zone de takes eu-central-1");
			ASSERT_EQ(sov_zsrc_range_add(rf, b, 1, 2, names, v4, v6, collect, &e), -EEXIST,
				  "err: zone eu overlaps it");
			ASSERT_STRSTR(e.text, "3.5.136.0/22 (region eu-central-1) is in the ranges of zones de and eu",
				      "err: conflict names prefix, region and zones");
		}
		sov_zsrc_range_free(rf);
		sov_zsrc_lpm_free(v6);
		sov_zsrc_lpm_free(v4);
	}
}

int main(void)
{
	(void)tap__skipped;	/* tap.h counts skips; this test has none */
	test_aws();
	test_gcp();
	test_azure();
	test_oracle();
	test_errors();
	return tap_done();
}
