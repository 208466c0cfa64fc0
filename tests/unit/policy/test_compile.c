// SPDX-License-Identifier: Apache-2.0
/*
 * Good policies compile, and to the expected tables: every fixture under
 * tests/data/policy/good (NAME.expect may list warnings that must appear)
 * and every example under policy/examples, with the examples' class bits,
 * zone ids, masks, prefix tables and lookups checked one by one.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <openssl/evp.h>

#include "tests/lib/tap.h"
#include "tests/unit/policy/helpers.h"

static char path_buf[PATH_MAX + 512];

static const char *repo_path(const char *rel)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", top_dir(), rel);
	return path_buf;
}

static const char *lookup(const struct sov_policy_image *img, const char *addr)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, addr, a) == 1)
		return sov_policy_zone_name(img, sov_policy_zone_of(img, AF_INET, a));
	if (inet_pton(AF_INET6, addr, a) == 1)
		return sov_policy_zone_name(img, sov_policy_zone_of(img, AF_INET6, a));
	return "(bad address)";
}

static int zone_id(const struct sov_policy_image *img, const char *name)
{
	size_t i;

	for (i = 0; i < img->n_zones; i++)
		if (!strcmp(img->zones[i].name, name))
			return (int)img->zones[i].id;
	return -1;
}

static const struct sov_img_class *class_named(const struct sov_policy_image *img,
					       const char *name)
{
	size_t i;

	for (i = 0; i < img->n_classes; i++)
		if (!strcmp(img->classes[i].name, name))
			return &img->classes[i];
	return NULL;
}

/* Invariants every image keeps, whatever the policy. */
static void check_invariants(const char *name, const struct sov_policy_image *img)
{
	char what[256];
	int sorted = 1, ids = 1, bits = 1;
	size_t i;

	for (i = 1; i < img->n_v4; i++) {
		int c = memcmp(img->v4[i - 1].addr, img->v4[i].addr, 4);

		if (c > 0 || (c == 0 && img->v4[i - 1].plen >= img->v4[i].plen))
			sorted = 0;
	}
	for (i = 1; i < img->n_v6; i++) {
		int c = memcmp(img->v6[i - 1].addr, img->v6[i].addr, 16);

		if (c > 0 || (c == 0 && img->v6[i - 1].plen >= img->v6[i].plen))
			sorted = 0;
	}
	for (i = 0; i < img->n_zones; i++)
		if (img->zones[i].id != i)
			ids = 0;
	for (i = 0; i < img->n_classes; i++)
		if (img->classes[i].bit != i)
			bits = 0;
	snprintf(what, sizeof(what), "%s: prefix tables sorted, no duplicates", name);
	ASSERT_TRUE(sorted, what);
	snprintf(what, sizeof(what), "%s: zone ids are indexes", name);
	ASSERT_TRUE(ids, what);
	snprintf(what, sizeof(what), "%s: class bits are indexes", name);
	ASSERT_TRUE(bits, what);
	snprintf(what, sizeof(what), "%s: zone 0 is unknown", name);
	ASSERT_STREQ(img->n_zones ? img->zones[0].name : NULL, "unknown", what);
}

static void check_good_fixtures(void)
{
	char dir[PATH_MAX];
	struct dirent **ents = NULL;
	int i, n;

	snprintf(dir, sizeof(dir), "%s/tests/data/policy/good", top_dir());
	n = scandir(dir, &ents, NULL, alphasort);
	if (!ASSERT_TRUE(n > 0, "read the good fixtures"))
		return;
	for (i = 0; i < n; i++) {
		char ypath[PATH_MAX + 512], epath[PATH_MAX + 512], what[PATH_MAX + 600];
		char *name = ents[i]->d_name, *dot = strrchr(name, '.'), *exp, *line, *save;
		struct sov_policy_image *img = NULL;
		struct sov_diags d;
		size_t len;
		int err;

		if (!dot || strcmp(dot, ".yaml")) {
			free(ents[i]);
			continue;
		}
		*dot = '\0';
		snprintf(ypath, sizeof(ypath), "%s/%s.yaml", dir, name);
		snprintf(epath, sizeof(epath), "%s/%s.expect", dir, name);
		sov_diags_init(&d);
		err = compile_fixture(ypath, &img, &d);
		snprintf(what, sizeof(what), "good/%s compiles", name);
		if (!ASSERT_OK(err, what))
			dump_diags(&d);
		snprintf(what, sizeof(what), "good/%s: no errors", name);
		ASSERT_EQ(d.n_errors, 0, what);
		if (img)
			check_invariants(name, img);
		exp = read_all(epath, &len);
		for (line = exp ? strtok_r(exp, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			int l, c, found = 0;
			char frag[256];
			size_t k;

			if (sscanf(line, "warning %d:%d %255[^\n]", &l, &c, frag) != 3)
				continue;
			for (k = 0; k < d.n; k++)
				if (d.v[k].level == SOV_DIAG_WARNING && d.v[k].line == l &&
				    d.v[k].column == c && strstr(d.v[k].msg, frag))
					found = 1;
			snprintf(what, sizeof(what), "good/%s: warning at %d:%d: %s", name, l, c, frag);
			if (!ASSERT_TRUE(found, what))
				dump_diags(&d);
		}
		free(exp);
		sov_policy_free(img);
		sov_diags_free(&d);
		free(ents[i]);
	}
	free(ents);
}

static struct sov_policy_image *compile_example(const char *rel, struct sov_diags *d)
{
	struct sov_policy_image *img = NULL;
	char what[256];
	int err;

	sov_diags_init(d);
	err = sov_policy_compile_file(repo_path(rel), NULL, &img, d);
	snprintf(what, sizeof(what), "%s compiles", rel);
	if (!ASSERT_OK(err, what))
		dump_diags(d);
	if (img)
		check_invariants(rel, img);
	return img;
}

static void check_demo(void)
{
	static const char *const ok_v4[][2] = {
		{ "10.10.0.0", "eu" }, { "10.10.255.255", "eu" }, { "10.11.0.0", "unknown" },
		{ "10.20.7.7", "us" }, { "127.0.0.1", "local" }, { "8.8.8.8", "unknown" },
		{ "fd00:10::1", "eu" }, { "fd00:20:ffff::1", "us" }, { "::1", "local" },
		{ "::2", "unknown" }, { "::ffff:10.10.1.2", "eu" }, { "::ffff:127.0.0.1", "local" },
		{ "fd00:30::1", "unknown" }, { "0.0.0.0", "unknown" }, { "255.255.255.255", "unknown" },
	};
	struct sov_policy_image *img;
	const struct sov_img_class *c;
	unsigned char md[32];
	unsigned int mdlen;
	struct sov_diags d;
	char *bytes, what[128], names[256];
	size_t i, len = 0;

	img = compile_example("policy/examples/demo.yaml", &d);
	if (!img)
		goto cleanup;
	ASSERT_EQ(img->mode, SOV_POLICY_ENFORCE, "demo: mode enforce");
	ASSERT_EQ(img->n_scope, 1, "demo: default scope has one cgroup");
	ASSERT_STREQ(img->n_scope ? img->scope_cgroups[0] : NULL, "/", "demo: default scope /");
	ASSERT_EQ(img->n_zones, 4, "demo: unknown + 3 zones");
	ASSERT_EQ(zone_id(img, "eu"), 1, "demo: eu is zone 1");
	ASSERT_EQ(zone_id(img, "us"), 2, "demo: us is zone 2");
	ASSERT_EQ(zone_id(img, "local"), 3, "demo: local is zone 3");
	ASSERT_EQ(img->n_classes, 2, "demo: 2 classes");
	c = class_named(img, "pii-eu");
	if (ASSERT_TRUE(c != NULL, "demo: pii-eu exists")) {
		ASSERT_EQ(c->bit, 0, "demo: pii-eu is bit 0");
		ASSERT_EQ(c->action, SOV_ACTION_BLOCK, "demo: pii-eu blocks");
		ASSERT_EQ(c->derive, 1, "demo: pii-eu derives");
		ASSERT_EQ(c->n_allow, 2, "demo: pii-eu allows 2 zones");
		ASSERT_EQ(c->n_paths, 1, "demo: pii-eu has one path");
		ASSERT_STREQ(c->n_paths ? c->paths[0] : NULL, "/srv/sovd-demo/pii-eu",
			     "demo: pii-eu path");
	}
	c = class_named(img, "weights-restricted");
	if (ASSERT_TRUE(c != NULL, "demo: weights-restricted exists")) {
		ASSERT_EQ(c->bit, 1, "demo: weights-restricted is bit 1");
		ASSERT_EQ(c->action, SOV_ACTION_AUDIT, "demo: weights-restricted audits");
		ASSERT_EQ(c->derive, 0, "demo: weights-restricted does not derive");
	}
	ASSERT_EQ(img->zone_allowed[0], 0, "demo: nothing may go to unknown");
	ASSERT_EQ(img->zone_allowed[1], 3, "demo: both classes may go to eu");
	ASSERT_EQ(img->zone_allowed[2], 0, "demo: nothing may go to us");
	ASSERT_EQ(img->zone_allowed[3], 1, "demo: pii-eu may go to local");
	ASSERT_EQ(img->block_classes, 1, "demo: block mask");
	ASSERT_EQ(img->derive_classes, 1, "demo: derive mask");
	ASSERT_EQ(img->n_v4, 3, "demo: 3 IPv4 prefixes");
	ASSERT_EQ(img->n_v6, 3, "demo: 3 IPv6 prefixes");
	if (img->n_v4 == 3) {
		static const uint8_t a0[4] = { 10, 10, 0, 0 }, a2[4] = { 127, 0, 0, 0 };

		ASSERT_MEMEQ(img->v4[0].addr, a0, 4, "demo: v4[0] is 10.10.0.0");
		ASSERT_EQ(img->v4[0].plen, 16, "demo: v4[0] is a /16");
		ASSERT_EQ(img->v4[0].zone, 1, "demo: v4[0] is eu");
		ASSERT_MEMEQ(img->v4[2].addr, a2, 4, "demo: v4[2] is 127.0.0.0");
		ASSERT_EQ(img->v4[2].plen, 8, "demo: v4[2] is a /8");
	}
	for (i = 0; i < sizeof(ok_v4) / sizeof(ok_v4[0]); i++) {
		snprintf(what, sizeof(what), "demo: %s is in %s", ok_v4[i][0], ok_v4[i][1]);
		ASSERT_STREQ(lookup(img, ok_v4[i][0]), ok_v4[i][1], what);
	}
	ASSERT_STREQ(sov_policy_class_names(img, 3, names, sizeof(names)),
		     "pii-eu,weights-restricted", "demo: class names of 0x3");
	ASSERT_STREQ(sov_policy_class_names(img, 0, names, sizeof(names)), "",
		     "demo: class names of 0");
	ASSERT_STREQ(sov_policy_class_names(img, 3, names, 8), "pii-eu",
		     "demo: class names cut at a whole name");
	ASSERT_STREQ(sov_policy_zone_name(img, 99), "?", "demo: name of a zone id out of range");

	bytes = read_all(repo_path("policy/examples/demo.yaml"), &len);
	if (ASSERT_TRUE(bytes != NULL, "demo: read the bytes") &&
	    ASSERT_TRUE(EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL), "sha256"))
		ASSERT_MEMEQ(img->sha256, md, 32, "demo: sha256 of the file's bytes");
	free(bytes);
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
}

static void check_eu_gpu_cluster(void)
{
	static const char *const cases[][2] = {
		{ "10.1.2.3", "onprem-fra" }, { "10.42.0.1", "object-store-fra" },
		{ "10.99.3.4", "us-office" }, { "10.100.0.1", "onprem-fra" },
		{ "198.51.100.77", "eu-sovereign" }, { "203.0.113.5", "eu-sovereign" },
		{ "203.0.113.200", "us-office" }, { "2001:db8:e0::5", "eu-sovereign" },
		{ "2001:db8:a5:1::1", "us-office" }, { "fd12:3456:789a:42::9", "object-store-fra" },
		{ "fd12:3456:789a:43::9", "onprem-fra" }, { "::ffff:10.42.9.9", "object-store-fra" },
		{ "1.1.1.1", "unknown" }, { "2001:db8:e1::1", "unknown" },
	};
	struct sov_policy_image *img;
	const struct sov_img_class *c;
	struct sov_diags d;
	char what[128];
	size_t i;

	img = compile_example("policy/examples/eu-gpu-cluster.yaml", &d);
	if (!img)
		goto cleanup;
	ASSERT_EQ(img->n_zones, 6, "eu-gpu: unknown + 5 zones");
	ASSERT_EQ(zone_id(img, "eu-sovereign"), 1, "eu-gpu: eu-sovereign is zone 1");
	ASSERT_EQ(zone_id(img, "local"), 5, "eu-gpu: local is zone 5");
	ASSERT_EQ(img->n_classes, 5, "eu-gpu: 5 classes");
	ASSERT_EQ(img->n_scope, 2, "eu-gpu: 2 scope cgroups");
	ASSERT_EQ(img->n_v4, 7, "eu-gpu: 7 IPv4 prefixes");
	ASSERT_EQ(img->n_v6, 5, "eu-gpu: 5 IPv6 prefixes");
	ASSERT_EQ(img->block_classes, 0x17, "eu-gpu: all but eval-sets block (public-corpus by default)");
	ASSERT_EQ(img->derive_classes, 0x1b, "eu-gpu: all but weights derive");
	c = class_named(img, "public-corpus");
	if (ASSERT_TRUE(c != NULL, "eu-gpu: public-corpus exists"))
		ASSERT_EQ(c->allow_any, 1, "eu-gpu: public-corpus allows any");
	ASSERT_EQ(img->chan_allowed[SOV_POLICY_CHAN_PING], 0x11,
		  "eu-gpu: ping allowed by pii-eu and public-corpus");
	ASSERT_EQ(img->chan_allowed[SOV_POLICY_CHAN_RAW], 0x10, "eu-gpu: raw only by public-corpus");
	ASSERT_EQ(img->chan_allowed[SOV_POLICY_CHAN_RDMA], 0x10, "eu-gpu: rdma only by public-corpus");
	ASSERT_EQ(img->zone_allowed[0], 0x10, "eu-gpu: only public-corpus to unknown");
	ASSERT_EQ(img->zone_allowed[zone_id(img, "us-office")], 0x10,
		  "eu-gpu: only public-corpus to us-office");
	ASSERT_EQ(img->zone_allowed[zone_id(img, "onprem-fra")], 0x1b,
		  "eu-gpu: all but weights to onprem-fra");
	ASSERT_EQ(img->zone_allowed[zone_id(img, "object-store-fra")], 0x1f,
		  "eu-gpu: every class to the object store");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "eu-gpu: %s is in %s", cases[i][0], cases[i][1]);
		ASSERT_STREQ(lookup(img, cases[i][0]), cases[i][1], what);
	}
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
}

static void check_audit_rollout(void)
{
	struct sov_policy_image *img;
	struct sov_diags d;

	img = compile_example("policy/examples/audit-rollout.yaml", &d);
	if (!img)
		goto cleanup;
	ASSERT_EQ(img->mode, SOV_POLICY_AUDIT, "audit-rollout: mode audit");
	ASSERT_EQ(img->n_classes, 2, "audit-rollout: 2 classes");
	ASSERT_EQ(img->classes[0].action, SOV_ACTION_AUDIT, "audit-rollout: action follows mode");
	ASSERT_EQ(img->block_classes, 0, "audit-rollout: nothing blocks");
	ASSERT_EQ(img->derive_classes, 0x1, "audit-rollout: research-notes does not derive");
	ASSERT_EQ(img->zone_allowed[0], 0x2, "audit-rollout: research-notes may reach unknown");
	ASSERT_STREQ(img->n_scope ? img->scope_cgroups[0] : NULL, "/sovd-pilot.slice",
		     "audit-rollout: scope");
	ASSERT_STREQ(lookup(img, "192.0.2.9"), "eu", "audit-rollout: 192.0.2.9 is in eu");
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
}

static void check_minimal(void)
{
	struct sov_policy_image *img;
	struct sov_diags d;

	img = compile_example("policy/examples/minimal.yaml", &d);
	if (!img)
		goto cleanup;
	ASSERT_EQ(img->n_zones, 2, "minimal: unknown + local");
	ASSERT_EQ(img->n_classes, 1, "minimal: one class");
	ASSERT_EQ(img->block_classes, 1, "minimal: action defaults to block");
	ASSERT_EQ(img->derive_classes, 1, "minimal: derive defaults to true");
	ASSERT_EQ(img->zone_allowed[1], 1, "minimal: secret may reach local");
	ASSERT_STREQ(lookup(img, "127.1.2.3"), "local", "minimal: 127.1.2.3 is local");
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
}

/* Zone files: prefixes merged with cidrs, duplicates kept once, LPM across sources. */
static void check_zone_files(void)
{
	struct sov_policy_image *img = NULL;
	struct sov_diags d;
	int err;

	sov_diags_init(&d);
	err = compile_fixture(repo_path("tests/data/policy/good/zone-files.yaml"), &img, &d);
	if (!ASSERT_OK(err, "zone-files compiles")) {
		dump_diags(&d);
		goto cleanup;
	}
	ASSERT_EQ(img->n_v4, 4, "zone-files: 4 IPv4 entries (a duplicate line kept once, nested and overridden ones merged)");
	ASSERT_EQ(img->n_v6, 1, "zone-files: 1 IPv6 prefix");
	ASSERT_STREQ(lookup(img, "198.51.100.1"), "eu", "zone-files: the /25 of eu wins");
	ASSERT_STREQ(lookup(img, "198.51.100.200"), "us", "zone-files: the /24 of the file");
	ASSERT_STREQ(lookup(img, "192.0.2.200"), "us", "zone-files: 192.0.2.200 is us");
	ASSERT_STREQ(lookup(img, "9.9.9.9"), "eu", "zone-files: 0.0.0.0/0 catches the rest");
	ASSERT_STREQ(lookup(img, "2001:db8:20::1"), "us", "zone-files: IPv6 from the file");
	ASSERT_STREQ(lookup(img, "2001:db8:21::1"), "unknown", "zone-files: IPv6 outside");
	ASSERT_EQ(img->zone_allowed[0], 1, "zone-files: any includes unknown");
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
}

/* The channels: key: per class, and the masks the kernel reads. */
static void check_channels(void)
{
	static const char *const names[] = { NULL, "raw", "ping", "packet", "xdp", "other", "rdma" };
	static const uint64_t want[SOV_POLICY_CHAN_MAX] = {
		[SOV_POLICY_CHAN_RAW] = 0x01, [SOV_POLICY_CHAN_PING] = 0x13,
		[SOV_POLICY_CHAN_PACKET] = 0x01, [SOV_POLICY_CHAN_XDP] = 0x01,
		[SOV_POLICY_CHAN_OTHER] = 0x01, [SOV_POLICY_CHAN_RDMA] = 0x03,
	};
	struct sov_policy_image *img = NULL;
	const struct sov_img_class *c;
	struct sov_diags d;
	char what[128];
	int err;

	ASSERT_EQ(SOV_POLICY_CHAN_MAX, 7, "channels: six channels and none");
	for (uint32_t ch = 0; ch < SOV_POLICY_CHAN_MAX; ch++) {
		snprintf(what, sizeof(what), "channels: name of channel %u", ch);
		ASSERT_TRUE(ch ? sov_policy_channel_name(ch) && !strcmp(sov_policy_channel_name(ch), names[ch]) :
			    sov_policy_channel_name(ch) == NULL, what);
	}
	ASSERT_TRUE(sov_policy_channel_name(SOV_POLICY_CHAN_MAX) == NULL,
		    "channels: no name past the last channel");
	sov_diags_init(&d);
	err = compile_fixture(repo_path("tests/data/policy/good/channels.yaml"), &img, &d);
	if (!ASSERT_OK(err, "channels compiles")) {
		dump_diags(&d);
		goto cleanup;
	}
	ASSERT_EQ(img->chan_allowed[0], 0, "channels: no class allows channel 0 (none)");
	for (uint32_t ch = 1; ch < SOV_POLICY_CHAN_MAX; ch++) {
		snprintf(what, sizeof(what), "channels: classes allowing %s", names[ch]);
		ASSERT_EQ(img->chan_allowed[ch], want[ch], what);
	}
	c = class_named(img, "pii-eu");
	if (ASSERT_TRUE(c != NULL, "channels: pii-eu exists"))
		ASSERT_EQ(c->channels, (1u << SOV_POLICY_CHAN_PING) | (1u << SOV_POLICY_CHAN_RDMA),
			  "channels: pii-eu allows ping and rdma (a quoted \"allow\" too)");
	c = class_named(img, "sealed");
	if (ASSERT_TRUE(c != NULL, "channels: sealed exists"))
		ASSERT_EQ(c->channels, 0, "channels: an empty mapping denies every channel");
	c = class_named(img, "plain");
	if (ASSERT_TRUE(c != NULL, "channels: plain exists"))
		ASSERT_EQ(c->channels, 0, "channels: without the key every channel is denied");
	ASSERT_EQ(img->block_classes, 0x0f, "channels: the audit class does not block");
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
}

/* Diagnostics of several policies accumulate in one sov_diags. */
static void check_shared_diags(void)
{
	struct sov_policy_image *img = NULL;
	struct sov_diags d;
	int err;

	sov_diags_init(&d);
	err = sov_policy_compile_buffer("a.yaml", "version: 9\n", 11, NULL, &img, &d);
	ASSERT_EQ(err, -EINVAL, "first policy refused");
	err = sov_policy_compile_buffer("b.yaml", "version: 1\n", 11, NULL, &img, &d);
	ASSERT_OK(err, "second policy compiles although d already holds an error");
	ASSERT_EQ(d.n_errors, 1, "one error in total");
	sov_policy_free(img);
	sov_diags_free(&d);
}

int main(void)
{
	(void)tap__skipped;	/* tap.h declares it for TAP_SKIP users only */
	check_good_fixtures();
	check_demo();
	check_eu_gpu_cluster();
	check_audit_rollout();
	check_minimal();
	check_zone_files();
	check_channels();
	check_shared_diags();
	return tap_done();
}
