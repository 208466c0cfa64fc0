// SPDX-License-Identifier: Apache-2.0
/*
 * `include:` (policy/includes.c, docs/policy.md "Includes"): the order of
 * zone ids and class bits across files, the included files and the hash
 * over them, glob order and globs under a directory whose name holds glob
 * characters, a file reached twice, nesting limits, an empty included file,
 * refusal without file access, lints and positions naming the right file.
 * The fixtures' error messages are in tests/data/policy/bad/include-*.
 * Files are written under a temporary directory, removed at the end.
 */
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "tests/lib/tap.h"
#include "tests/unit/policy/helpers.h"
#include "policy/includes.h"

static char tmp[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	for (char *s = strchr(p + strlen(tmp) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int compile_rel(const char *rel, unsigned int flags, struct sov_policy_image **img,
		       struct sov_diags *d)
{
	struct sov_policy_opts o = { .flags = flags | SOV_POLICY_F_OFFLINE };
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	sov_diags_init(d);
	return sov_policy_compile_file(p, &o, img, d);
}

static int has_diag(const struct sov_diags *d, enum sov_diag_level lvl, const char *file_end,
		    int line, int col, const char *frag)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct sov_diag *g = &d->v[i];
		size_t fl = g->file ? strlen(g->file) : 0, el = strlen(file_end);

		if (g->level == lvl && fl >= el && !strcmp(g->file + fl - el, file_end) &&
		    g->line == line && g->column == col && strstr(g->msg, frag))
			return 1;
	}
	return 0;
}

static void sha256_of(const void *buf, size_t len, uint8_t out[32])
{
	unsigned int n = 0;

	EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
}

static void check_fixture(void)
{
	static const char *const inc[] = {
		"good/../include/zones/eu.yaml", "good/../include/zones/us.yaml",
		"good/../include/classes.yaml", "good/../include/more/weights.yaml",
	};
	char path[PATH_MAX], name[PATH_MAX + 64];
	struct sov_policy_image *img = NULL;
	uint8_t cat[5 * 32], want[32];
	struct sov_diags d;
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), "%s/tests/data/policy/good/include.yaml", top_dir());
	sov_diags_init(&d);
	if (!ASSERT_OK(sov_policy_compile_file(path, NULL, &img, &d), "fixture compiles")) {
		dump_diags(&d);
		sov_diags_free(&d);
		return;
	}
	ASSERT_EQ(img->n_zones, 4, "zones: unknown + the root's + two included");
	ASSERT_STREQ(img->zones[1].name, "local", "zone 1: the root's own first");
	ASSERT_STREQ(img->zones[2].name, "eu", "zone 2: the glob's first match");
	ASSERT_STREQ(img->zones[3].name, "us", "zone 3: the glob's second match");
	ASSERT_EQ(img->n_classes, 2, "two classes from two included files");
	ASSERT_STREQ(img->classes[0].name, "pii-eu", "bit 0: classes.yaml's own class");
	ASSERT_STREQ(img->classes[1].name, "weights", "bit 1: the file classes.yaml includes");
	ASSERT_EQ(img->classes[1].action, SOV_ACTION_AUDIT, "an included class keeps its action");
	ASSERT_EQ(img->n_includes, 4, "four included files");
	/* The hash: over the files' digests in load order. */
	for (size_t i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "%s/tests/data/policy/%s", top_dir(),
			 i ? inc[i - 1] : "good/include.yaml");
		if (i)
			ASSERT_STREQ(img->includes[i - 1], name, "included file, in load order");
		buf = read_all(name, &len);
		if (!ASSERT_TRUE(buf != NULL, "read an included file"))
			break;
		sha256_of(buf, len, cat + 32 * i);
		free(buf);
	}
	sha256_of(cat, sizeof(cat), want);
	ASSERT_MEMEQ(img->sha256, want, 32, "sha256 = SHA-256 of the files' SHA-256s in load order");
	sov_policy_free(img);
	sov_diags_free(&d);
}

static void check_tmp_policies(void)
{
	struct sov_policy_image *img = NULL, *img2 = NULL;
	uint8_t one[32];
	struct sov_diags d;
	size_t len;
	char *buf, p[PATH_MAX * 2];
	int err;

	/* One file: the hash of its bytes, as before includes. */
	put("solo.yaml", "version: 1\nzones:\n  a: {cidrs: [10.0.0.0/8]}\n");
	err = compile_rel("solo.yaml", 0, &img, &d);
	snprintf(p, sizeof(p), "%s/solo.yaml", tmp);
	buf = read_all(p, &len);
	if (ASSERT_OK(err, "a policy of one file compiles") && buf) {
		sha256_of(buf, len, one);
		ASSERT_MEMEQ(img->sha256, one, 32, "one file: sha256 of its bytes");
		ASSERT_EQ(img->n_includes, 0, "one file: no includes");
	}
	free(buf);
	sov_policy_free(img);
	sov_diags_free(&d);

	/* Editing an included file changes the policy's hash. */
	put("h/root.yaml", "version: 1\ninclude: [z.yaml]\n");
	put("h/z.yaml", "zones:\n  a: {cidrs: [10.0.0.0/8]}\n");
	compile_rel("h/root.yaml", 0, &img, &d);
	sov_diags_free(&d);
	put("h/z.yaml", "zones:\n  a: {cidrs: [10.0.0.0/9]}\n");
	compile_rel("h/root.yaml", 0, &img2, &d);
	sov_diags_free(&d);
	if (ASSERT_TRUE(img && img2, "both versions compile"))
		ASSERT_TRUE(memcmp(img->sha256, img2->sha256, 32) != 0,
			    "an edited included file changes sha256");
	sov_policy_free(img);
	sov_policy_free(img2);

	/* Glob matches in byte order; a file reached twice is read once;
	 * a directory whose name holds glob characters; an absolute entry. */
	put("g[1]/root.yaml", "version: 1\ninclude: [z/*.yaml, z/a.yaml, shared.yaml]\n");
	put("g[1]/z/B.yaml", "zones:\n  b: {cidrs: [10.2.0.0/16]}\ninclude: [../shared.yaml]\n");
	put("g[1]/z/_.yaml", "zones:\n  u: {cidrs: [10.3.0.0/16]}\n");
	put("g[1]/z/a.yaml", "zones:\n  a: {cidrs: [10.1.0.0/16]}\n");
	snprintf(p, sizeof(p), "zones:\n  s: {cidrs: [10.4.0.0/16]}\ninclude: [%s/abs.yaml]\n", tmp);
	put("g[1]/shared.yaml", p);
	put("abs.yaml", "classes:\n  c: {paths: [/srv/sovd-test/inc], allow: [a, b, u, s]}\n");
	err = compile_rel("g[1]/root.yaml", 0, &img, &d);
	if (ASSERT_OK(err, "globs under a directory named g[1] compile") && img->n_zones == 5) {
		ASSERT_STREQ(img->zones[1].name, "b", "byte order: B.yaml first");
		ASSERT_STREQ(img->zones[2].name, "s", "depth first: what B.yaml includes next");
		ASSERT_STREQ(img->zones[3].name, "u", "then _.yaml");
		ASSERT_STREQ(img->zones[4].name, "a", "then a.yaml");
		ASSERT_EQ(img->n_includes, 5, "each file read once (a.yaml and shared.yaml twice named)");
		ASSERT_EQ(img->n_classes, 1, "the class of the absolute include");
	} else {
		dump_diags(&d);
	}
	sov_policy_free(img);
	sov_diags_free(&d);

	/* Nesting deeper than the limit. */
	for (int i = 0; i <= SOVP_INCLUDE_MAX_DEPTH; i++) {
		char rel[64], text[128];

		snprintf(rel, sizeof(rel), "deep/%d.yaml", i);
		snprintf(text, sizeof(text), "%sinclude: [%d.yaml]\n", i ? "" : "version: 1\n", i + 1);
		put(rel, text);
	}
	put("deep/17.yaml", "zones:\n  z: {cidrs: [10.0.0.0/8]}\n");
	err = compile_rel("deep/0.yaml", 0, &img, &d);
	ASSERT_EQ(err, -EINVAL, "17 levels of includes: refused");
	ASSERT_TRUE(has_diag(&d, SOV_DIAG_ERROR, "deep/16.yaml", 1, 11, "includes nested deeper than 16 levels"),
		    "nesting: at the entry of the 16th file");
	sov_diags_free(&d);

	/* An empty included file; includes refused without file access. */
	put("e/root.yaml", "version: 1\ninclude: [empty.yaml]\n");
	put("e/empty.yaml", "# nothing\n");
	err = compile_rel("e/root.yaml", 0, &img, &d);
	ASSERT_EQ(err, -EINVAL, "an empty included file: refused");
	ASSERT_TRUE(has_diag(&d, SOV_DIAG_ERROR, "e/empty.yaml", 1, 1, "included file is empty"),
		    "empty included file: named at its 1:1");
	sov_diags_free(&d);
	err = compile_rel("h/root.yaml", SOV_POLICY_F_NO_FS, &img, &d);
	ASSERT_EQ(err, -EINVAL, "no file access: refused");
	ASSERT_TRUE(has_diag(&d, SOV_DIAG_ERROR, "h/root.yaml", 2, 11, "include 'z.yaml' not read (no file access)"),
		    "no file access: at the entry");
	sov_diags_free(&d);

	/* Lints and warnings across files name each file. */
	put("l/root.yaml", "version: 1\ninclude: [c.yaml]\nzones:\n  eu: {cidrs: [10.0.0.0/8]}\n"
			   "classes:\n  a: {paths: [/srv/sovd-test/l], allow: [eu]}\n");
	put("l/c.yaml", "classes:\n  b:\n    paths: [/srv/sovd-test/l/models]\n    allow: [eu, eu]\n");
	err = compile_rel("l/root.yaml", 0, &img, &d);
	ASSERT_OK(err, "lints across files: compiles");
	ASSERT_TRUE(has_diag(&d, SOV_DIAG_WARNING, "l/c.yaml", 3, 13, "is inside '/srv/sovd-test/l' of class 'a'"),
		    "a path inside another class's path: warned in the included file");
	snprintf(p, sizeof(p), "(%s/l/root.yaml:6:15)", tmp);
	ASSERT_TRUE(has_diag(&d, SOV_DIAG_WARNING, "l/c.yaml", 3, 13, p),
		    "... naming the other path's file:line:column");
	ASSERT_TRUE(has_diag(&d, SOV_DIAG_WARNING, "l/c.yaml", 4, 17, "zone 'eu' is listed twice"),
		    "a zone listed twice: warned in the included file");
	sov_policy_free(img);
	sov_diags_free(&d);
}

/* The tree the commands read back (policy explain): every node names its file. */
static void check_doc(void)
{
	struct sovp_doc doc;
	struct sov_diags d;
	const struct ynode *z, *c;
	char p[PATH_MAX * 2];
	size_t len;
	char *buf;
	int err;

	snprintf(p, sizeof(p), "%s/l/root.yaml", tmp);
	buf = read_all(p, &len);
	if (!ASSERT_TRUE(buf != NULL, "doc: read the root"))
		return;
	sov_diags_init(&d);
	err = sovp_doc_load(&doc, p, buf, len, 0, &d);
	free(buf);
	ASSERT_OK(err, "doc: loads");
	ASSERT_EQ(doc.n_files, 2, "doc: the root and one included file");
	z = sovp_map_get(doc.root, "zones");
	c = sovp_map_get(doc.root, "classes");
	if (ASSERT_TRUE(z && c && c->n == 4, "doc: the root's classes and the included one")) {
		ASSERT_STREQ(c->kids[0]->file, p, "doc: class a from the root");
		ASSERT_STRSTR(c->kids[2]->file, "/l/c.yaml", "doc: class b from c.yaml");
		ASSERT_EQ(c->kids[2]->line, 2, "doc: class b at its own line");
	}
	sovp_doc_free(&doc);
	sov_diags_free(&d);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	(void)tap__skipped;
	snprintf(tmp, sizeof(tmp), "/tmp/sov-include-XXXXXX");
	if (!ASSERT_TRUE(mkdtemp(tmp) != NULL, "a temporary directory"))
		return tap_done();
	check_fixture();
	check_tmp_policies();
	check_doc();
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
