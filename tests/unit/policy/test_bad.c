// SPDX-License-Identifier: Apache-2.0
/*
 * Every tests/data/policy/bad/NAME.yaml is refused, with exactly the errors
 * listed in NAME.expect, one per line:
 *	error [FILE:]LINE:COL message-fragment
 *	warning [FILE:]LINE:COL message-fragment
 * FILE defaults to the fixture; @DATA@ is the test data directory and
 * @FILE@ the fixture. Errors must match in number; warnings listed must be
 * present. Adding a case is adding two files.
 */
#include <dirent.h>
#include <limits.h>

#include "tests/lib/tap.h"
#include "tests/unit/policy/helpers.h"

static int diag_matches(const struct sov_diag *g, enum sov_diag_level lvl,
			const char *file, int line, int col, const char *frag)
{
	return g->level == lvl && g->file && !strcmp(g->file, file) &&
	       g->line == line && g->column == col && strstr(g->msg, frag);
}

static char *subst2(const char *s, const char *data, const char *fixture)
{
	char *a = subst(s, "@DATA@", data), *b;

	if (!a)
		return NULL;
	b = subst(a, "@FILE@", fixture);
	free(a);
	return b;
}

static void check_fixture(const char *dir, const char *name)
{
	char ypath[PATH_MAX + 512], epath[PATH_MAX + 512], data[PATH_MAX], what[PATH_MAX + 1024];
	struct sov_policy_image *img = NULL;
	char *expect = NULL, *line, *save = NULL;
	size_t len, want_errors = 0;
	struct sov_diags d;
	int err, ok = 1;

	snprintf(ypath, sizeof(ypath), "%s/%s.yaml", dir, name);
	snprintf(epath, sizeof(epath), "%s/%s.expect", dir, name);
	snprintf(data, sizeof(data), "%s/tests/data/policy", top_dir());
	sov_diags_init(&d);
	err = compile_fixture(ypath, &img, &d);
	snprintf(what, sizeof(what), "%s: refused with -EINVAL", name);
	ok &= ASSERT_EQ(err, -EINVAL, what);
	snprintf(what, sizeof(what), "%s: no image", name);
	ok &= ASSERT_TRUE(img == NULL, what);

	expect = read_all(epath, &len);
	snprintf(what, sizeof(what), "%s: has an .expect file", name);
	if (!ASSERT_TRUE(expect != NULL, what))
		goto cleanup;
	for (line = strtok_r(expect, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *lvl = line, *pos, *frag, *file, *fragx = NULL, *filex = NULL;
		enum sov_diag_level level;
		int l, c, found = 0;
		size_t i;

		if (*line == '#' || !*line)
			continue;
		pos = strchr(lvl, ' ');
		if (!pos)
			continue;
		*pos++ = '\0';
		frag = strchr(pos, ' ');
		if (!frag)
			continue;
		*frag++ = '\0';
		level = !strcmp(lvl, "warning") ? SOV_DIAG_WARNING : SOV_DIAG_ERROR;
		if (level == SOV_DIAG_ERROR)
			want_errors++;
		/* [FILE:]LINE:COL: the file is everything before the last two fields. */
		{
			char *c2 = strrchr(pos, ':'), *c1;

			*c2 = '\0';
			c1 = strrchr(pos, ':');
			c = atoi(c2 + 1);
			if (c1) {
				*c1 = '\0';
				l = atoi(c1 + 1);
				file = pos;
			} else {
				l = atoi(pos);
				file = "@FILE@";
			}
		}
		filex = subst2(file, data, ypath);
		fragx = subst2(frag, data, ypath);
		for (i = 0; filex && fragx && i < d.n; i++)
			if (diag_matches(&d.v[i], level, filex, l, c, fragx))
				found = 1;
		snprintf(what, sizeof(what), "%s: %s at %d:%d: %s", name, lvl, l, c, frag);
		if (!ASSERT_TRUE(found, what)) {
			ok = 0;
			printf("#   expected %s %s:%d:%d containing \"%s\"; got:\n", lvl,
			       filex ? filex : "?", l, c, fragx ? fragx : "?");
			dump_diags(&d);
		}
		free(filex);
		free(fragx);
	}
	snprintf(what, sizeof(what), "%s: number of errors", name);
	if (!ASSERT_EQ(d.n_errors, want_errors, what) && ok)
		dump_diags(&d);
cleanup:
	free(expect);
	sov_policy_free(img);
	sov_diags_free(&d);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(void)
{
	char dir[PATH_MAX];
	struct dirent **ents = NULL;
	int i, n, cases = 0;

	(void)tap__skipped;	/* tap.h declares it for TAP_SKIP users only */

	snprintf(dir, sizeof(dir), "%s/tests/data/policy/bad", top_dir());
	n = scandir(dir, &ents, NULL, by_name);
	if (!ASSERT_TRUE(n > 0, "read the bad fixtures"))
		return tap_done();
	for (i = 0; i < n; i++) {
		char *name = ents[i]->d_name, *dot = strrchr(name, '.');

		if (dot && !strcmp(dot, ".yaml")) {
			*dot = '\0';
			check_fixture(dir, name);
			cases++;
		}
		free(ents[i]);
	}
	free(ents);
	ASSERT_TRUE(cases >= 30, "at least 30 bad policies");

	/* A file that cannot be read is an error about the file checked. */
	{
		struct sov_policy_image *img = NULL;
		struct sov_diags d;
		int err;

		sov_diags_init(&d);
		err = sov_policy_compile_file("/nonexistent/sovd/policy.yaml", NULL, &img, &d);
		ASSERT_EQ(err, -ENOENT, "missing policy file: -ENOENT");
		ASSERT_TRUE(img == NULL, "missing policy file: no image");
		ASSERT_EQ(d.n_errors, 1, "missing policy file: one error");
		if (d.n)
			ASSERT_STRSTR(d.v[0].msg, "failed to open policy", "missing policy file: message");
		sov_diags_free(&d);
	}
	return tap_done();
}
