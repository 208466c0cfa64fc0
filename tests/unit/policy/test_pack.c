// SPDX-License-Identifier: Apache-2.0
/*
 * The packed compile result (policy/pack.c, what sovd's compile child
 * sends back): every good fixture and the example policy round-trip to an
 * image that packs to the same bytes, writes the same JSON and text and
 * answers the same lookups; a failed compile round-trips its diagnostics;
 * every truncation, a trailing byte and a flipped header are -EBADMSG, and
 * no flipped byte anywhere crashes the reader (this test also runs under
 * ASan/UBSan).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>

#include "tests/lib/tap.h"
#include "tests/unit/policy/helpers.h"

static char *repo_path(const char *rel)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s", top_dir(), rel);
	return buf;
}

static char *render(const struct sov_policy_image *img, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (json ? sov_policy_write_json(img, f) : sov_policy_write_text(img, f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

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

/* Lookups through the unpacked lookup index agree with the original's. */
static int same_lookups(const struct sov_policy_image *a, const struct sov_policy_image *b)
{
	uint8_t v4[4], v6[16];

	for (size_t i = 0; i < a->n_v4; i++) {
		memcpy(v4, a->v4[i].addr, 4);
		if (sov_policy_zone_of(a, AF_INET, v4) != sov_policy_zone_of(b, AF_INET, v4))
			return 0;
		v4[3] ^= 1;
		if (sov_policy_zone_of(a, AF_INET, v4) != sov_policy_zone_of(b, AF_INET, v4))
			return 0;
	}
	for (size_t i = 0; i < a->n_v6; i++) {
		memcpy(v6, a->v6[i].addr, 16);
		if (sov_policy_zone_of(a, AF_INET6, v6) != sov_policy_zone_of(b, AF_INET6, v6))
			return 0;
	}
	return 1;
}

/* Packs, unpacks, packs again: the same bytes, JSON, text, lookups. */
static void round_trip(const char *name, int rc, const struct sov_policy_image *img,
		       const struct sov_diags *d)
{
	struct sov_policy_image *back = NULL;
	struct sov_diags d2;
	void *b1 = NULL, *b2 = NULL;
	size_t n1 = 0, n2 = 0;
	char what[512], *t1, *t2;
	int rc2 = 99, err;

	sov_diags_init(&d2);
	snprintf(what, sizeof(what), "%s: packs", name);
	if (!ASSERT_OK(sov_policy_pack(rc, img, d, &b1, &n1), what))
		return;
	err = sov_policy_unpack(b1, n1, &rc2, &back, &d2);
	snprintf(what, sizeof(what), "%s: unpacks", name);
	if (!ASSERT_OK(err, what))
		goto out;
	snprintf(what, sizeof(what), "%s: same return code", name);
	ASSERT_EQ(rc2, rc, what);
	snprintf(what, sizeof(what), "%s: an image exactly when one was packed", name);
	ASSERT_EQ(back != NULL, img != NULL, what);
	t1 = diags_text(d);
	t2 = diags_text(&d2);
	snprintf(what, sizeof(what), "%s: the same diagnostics", name);
	ASSERT_STREQ(t2, t1, what);
	snprintf(what, sizeof(what), "%s: the same error count", name);
	ASSERT_EQ(d2.n_errors, d->n_errors, what);
	free(t1);
	free(t2);
	if (!img || !back)
		goto out;
	snprintf(what, sizeof(what), "%s: packs again to the same bytes", name);
	if (ASSERT_OK(sov_policy_pack(rc2, back, &d2, &b2, &n2), what)) {
		snprintf(what, sizeof(what), "%s: same packed length", name);
		if (ASSERT_EQ(n2, n1, what)) {
			snprintf(what, sizeof(what), "%s: same packed bytes", name);
			ASSERT_MEMEQ(b2, b1, n1, what);
		}
	}
	for (int json = 0; json < 2; json++) {
		t1 = render(img, json);
		t2 = render(back, json);
		snprintf(what, sizeof(what), "%s: the same %s", name, json ? "JSON image" : "text");
		ASSERT_TRUE(t1 && t2 && !strcmp(t1, t2), what);
		free(t1);
		free(t2);
	}
	snprintf(what, sizeof(what), "%s: the same lookups", name);
	ASSERT_TRUE(same_lookups(img, back), what);
	snprintf(what, sizeof(what), "%s: the same kernel tables", name);
	ASSERT_TRUE(back->n_v4 == img->n_v4 && back->n_v6 == img->n_v6 &&
		    !memcmp(back->zone_allowed, img->zone_allowed,
			    img->n_zones * sizeof(*img->zone_allowed)) &&
		    !memcmp(back->sha256, img->sha256, 32), what);
out:
	sov_policy_free(back);
	sov_diags_free(&d2);
	free(b1);
	free(b2);
}

static void test_fixtures(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 512], name[300];
	struct dirent *e;
	int n = 0;
	DIR *dh;

	snprintf(dir, sizeof(dir), "%s", repo_path("tests/data/policy/good"));
	dh = opendir(dir);
	if (!ASSERT_TRUE(dh != NULL, "open tests/data/policy/good"))
		return;
	while ((e = readdir(dh))) {
		struct sov_policy_image *img = NULL;
		struct sov_diags d;
		size_t l = strlen(e->d_name);
		int rc;

		if (l < 6 || strcmp(e->d_name + l - 5, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(name, sizeof(name), "good/%s", e->d_name);
		sov_diags_init(&d);
		rc = compile_fixture(path, &img, &d);
		round_trip(name, rc, img, &d);
		sov_policy_free(img);
		sov_diags_free(&d);
		n++;
	}
	closedir(dh);
	ASSERT_TRUE(n >= 5, "good fixtures found");
}

static void test_bad(void)
{
	const char *bad[] = { "alias.yaml", "channels-duplicate.yaml" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sov_policy_image *img = NULL;
		struct sov_diags d;
		char path[PATH_MAX + 512], name[300];
		int rc;

		snprintf(path, sizeof(path), "%s/tests/data/policy/bad/%s", top_dir(), bad[i]);
		snprintf(name, sizeof(name), "bad/%s", bad[i]);
		sov_diags_init(&d);
		rc = compile_fixture(path, &img, &d);
		ASSERT_EQ(rc, -EINVAL, name);
		ASSERT_TRUE(d.n_errors > 0, name);
		round_trip(name, rc, img, &d);
		sov_policy_free(img);
		sov_diags_free(&d);
	}
}

static void test_damage(void)
{
	struct sov_policy_image *img = NULL, *back;
	struct sov_diags d, d2;
	size_t n = 0, bad_trunc = 0, bad_hdr = 0, crashfree = 0;
	uint8_t *b = NULL, *c;
	int rc, err;

	sov_diags_init(&d);
	rc = sov_policy_compile_file(repo_path("policy/examples/demo.yaml"), NULL, &img, &d);
	if (!ASSERT_OK(rc, "demo.yaml compiles"))
		goto out;
	round_trip("demo.yaml", rc, img, &d);
	if (!ASSERT_OK(sov_policy_pack(rc, img, &d, (void **)&b, &n), "demo.yaml packs"))
		goto out;
	c = malloc(n + 1);
	if (!ASSERT_TRUE(c != NULL, "malloc"))
		goto out;
	for (size_t len = 0; len < n; len++) {
		sov_diags_init(&d2);
		back = (void *)1;
		memcpy(c, b, len);
		err = sov_policy_unpack(c, len, &rc, &back, &d2);
		bad_trunc += err == -EBADMSG && back == NULL;
		sov_diags_free(&d2);
	}
	ASSERT_EQ(bad_trunc, n, "every truncation is -EBADMSG without an image");

	memcpy(c, b, n);
	c[n] = 0;
	sov_diags_init(&d2);
	ASSERT_EQ(sov_policy_unpack(c, n + 1, &rc, &back, &d2), -EBADMSG, "a trailing byte is -EBADMSG");
	sov_diags_free(&d2);
	for (size_t i = 0; i < 16; i++) {
		memcpy(c, b, n);
		c[i] ^= 0x40;
		sov_diags_init(&d2);
		bad_hdr += sov_policy_unpack(c, n, &rc, &back, &d2) == -EBADMSG;
		sov_diags_free(&d2);
	}
	ASSERT_EQ(bad_hdr, 16, "a changed magic, version or image size is -EBADMSG");

	/* any byte flipped: an error or an image, never a crash or a leak */
	for (size_t i = 0; i < n; i++) {
		memcpy(c, b, n);
		c[i] ^= 0xff;
		sov_diags_init(&d2);
		back = NULL;
		err = sov_policy_unpack(c, n, &rc, &back, &d2);
		crashfree += (err == 0) == (back != NULL) && (err == 0 || err == -EBADMSG);
		sov_policy_free(back);
		sov_diags_free(&d2);
	}
	ASSERT_EQ(crashfree, n, "every flipped byte: an image or -EBADMSG");
	free(c);
out:
	free(b);
	sov_policy_free(img);
	sov_diags_free(&d);
}

int main(void)
{
	test_fixtures();
	test_bad();
	test_damage();
	return tap_done();
}
