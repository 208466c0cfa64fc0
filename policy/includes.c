/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `include:` (includes.h): reads the files a policy includes, depth first
 * in the order their entries and sorted glob matches name them, and moves
 * their zones and classes into the root's mappings. A file reached twice
 * is read once; a file that includes itself through any chain is an
 * error, and so is an entry that names a missing file or a glob that
 * matches nothing (fail closed: a class that silently went missing would
 * leave its data unlabelled).
 *
 * Calls ynode.c (parse, read, did-you-mean) and diag.c; called by
 * compile.c and tools/sovctl/cmd_ptest.c.
 */
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "policy/includes.h"

/* Each file, like the root policy, at most this large. */
#define INCLUDE_FILE_MAX	(64u << 20)

struct fid {
	dev_t dev;
	ino_t ino;
	int known;
};

struct loader {
	struct sovp_doc *doc;
	struct sov_diags *d;
	unsigned int flags;
	struct fid *ids;		/* [n_files] */
	size_t stack[SOVP_INCLUDE_MAX_DEPTH + 1];	/* files on the include path */
	int depth;
	struct ynode *zones, *classes;	/* the root's mappings, NULL when unusable */
	int failed;			/* the policy could not be read whole */
	int err;			/* -ENOMEM */
	char show[2][YNODE_SHOW_BUF];
	int too_many;
};

struct ynode *sovp_map_get(const struct ynode *m, const char *key)
{
	if (!m || m->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (!m->kids[i]->dup && sovp_ynode_eq(m->kids[i], key))
			return m->kids[i + 1];
	return NULL;
}

static struct ynode *map_key(const struct ynode *m, const char *key)
{
	for (size_t i = 0; m && m->kind == YN_MAP && i + 1 < m->n; i += 2)
		if (!m->kids[i]->dup && sovp_ynode_eq(m->kids[i], key))
			return m->kids[i];
	return NULL;
}

#define lerr(L, n, ...) sov_diags_add((L)->d, SOV_DIAG_ERROR, (n)->file, (n)->line, \
				      (n)->col, __VA_ARGS__)

static const char *show(struct loader *L, const struct ynode *n, int i)
{
	return sovp_ynode_show(n, L->show[i & 1]);
}

void sovp_doc_free(struct sovp_doc *doc)
{
	sovp_ynode_free(doc->root);
	for (size_t i = 0; i < doc->n_files; i++)
		free(doc->files[i]);
	free(doc->files);
	free(doc->digest);
	memset(doc, 0, sizeof(*doc));
}

/* Records file name (copied) with its bytes' digest; its index, or -ENOMEM. */
static long add_file(struct loader *L, const char *name, const void *buf, size_t len,
		     const struct stat *st)
{
	struct sovp_doc *doc = L->doc;
	size_t n = doc->n_files;
	char **f = realloc(doc->files, (n + 1) * sizeof(*f));
	uint8_t (*dg)[32];
	struct fid *ids;
	unsigned int mdlen = 0;

	if (!f)
		return -ENOMEM;
	doc->files = f;
	dg = realloc(doc->digest, (n + 1) * sizeof(*dg));
	if (!dg)
		return -ENOMEM;
	doc->digest = dg;
	ids = realloc(L->ids, (n + 1) * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	L->ids = ids;
	f[n] = strdup(name);
	if (!f[n])
		return -ENOMEM;
	if (!EVP_Digest(buf, len, dg[n], &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		free(f[n]);
		return -EIO;
	}
	ids[n].known = st != NULL;
	ids[n].dev = st ? st->st_dev : 0;
	ids[n].ino = st ? st->st_ino : 0;
	doc->n_files++;
	return (long)n;
}

static int append_pair(struct ynode *m, struct ynode *k, struct ynode *v)
{
	if (m->n + 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct ynode **kids;

		while (cap < m->n + 2)
			cap *= 2;
		kids = realloc(m->kids, cap * sizeof(*kids));
		if (!kids)
			return -ENOMEM;
		m->kids = kids;
		m->cap = cap;
	}
	m->kids[m->n++] = k;
	m->kids[m->n++] = v;
	return 0;
}

/*
 * Moves the entries of an included file's `zones` or `classes` mapping v
 * into the root's mapping `into`; a name the policy defines already is an
 * error naming both places.
 */
static void merge(struct loader *L, struct ynode *into, const char *key,
		  struct ynode *v, const char *what)
{
	if (v->kind != YN_MAP) {
		lerr(L, v, "'%s' must be a mapping, not %s", key, sovp_ynode_what(v));
		return;
	}
	if (!into)
		return;	/* the root's own mapping is wrong: reported there */
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		struct ynode *k = v->kids[i], *first;

		if (k->dup)
			continue;
		first = k->kind == YN_SCALAR ? map_key(into, k->str) : NULL;
		if (first && first->len == k->len) {
			lerr(L, k, "%s '%s' is already defined at %s:%d:%d; a name is defined once across the policy's files",
			     what, show(L, k, 0), first->file, first->line, first->col);
			k->dup = 1;
			continue;
		}
		if (append_pair(into, k, v->kids[i + 1])) {
			L->err = -ENOMEM;
			return;
		}
		v->kids[i] = v->kids[i + 1] = NULL;
	}
}

static void load_includes(struct loader *L, size_t file, const struct ynode *list);

/* Top-level keys of an included file. */
static void load_tree(struct loader *L, size_t file, struct ynode *t)
{
	static const char *const known[] = { "version", "zones", "classes", "include" };
	const struct ynode *inc = NULL;

	if (!t || sovp_ynode_is_null(t)) {
		sov_diags_add(L->d, SOV_DIAG_ERROR, L->doc->files[file], 1, 1,
			      "included file is empty (expected a mapping of 'zones', 'classes' or 'include')");
		return;
	}
	if (t->kind != YN_MAP) {
		lerr(L, t, "an included file must be a mapping, not %s", sovp_ynode_what(t));
		return;
	}
	for (size_t i = 0; i + 1 < t->n; i += 2) {
		struct ynode *k = t->kids[i], *v = t->kids[i + 1];
		const char *hint;

		if (k->dup)
			continue;
		if (sovp_ynode_eq(k, "version")) {
			if (!sovp_ynode_eq(v, "1"))
				lerr(L, v, "unsupported policy version '%s' (this build reads version 1)",
				     show(L, v, 0));
		} else if (sovp_ynode_eq(k, "zones")) {
			merge(L, L->zones, "zones", v, "zone");
		} else if (sovp_ynode_eq(k, "classes")) {
			merge(L, L->classes, "classes", v, "class");
		} else if (sovp_ynode_eq(k, "include")) {
			inc = v;
		} else if (sovp_ynode_eq(k, "mode") || sovp_ynode_eq(k, "scope") ||
			   sovp_ynode_eq(k, "locdb")) {
			lerr(L, k, "'%s' may only be set in the root policy (%s), not in an included file",
			     k->str, L->doc->files[0]);
		} else if ((hint = sovp_ynode_closest(k, known, 4))) {
			lerr(L, k, "unknown key '%s' at top level of an included file (did you mean '%s'?)",
			     show(L, k, 0), hint);
		} else {
			lerr(L, k, "unknown key '%s' at top level of an included file (expected zones, classes, include, version)",
			     show(L, k, 0));
		}
		if (L->err)
			return;
	}
	/* The file's own definitions first, then what it includes. */
	if (inc)
		load_includes(L, file, inc);
}

/* One file named by the include entry at. */
static void load_file(struct loader *L, const char *path, const struct ynode *at)
{
	struct ynode *t = NULL;
	const char *why = "";
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	long idx;
	int err;

	if (stat(path, &st)) {
		lerr(L, at, "cannot include '%s': %s", path, strerror(errno));
		L->failed = 1;
		return;
	}
	for (size_t i = 0; i < L->doc->n_files; i++) {
		if (!L->ids[i].known || L->ids[i].dev != st.st_dev || L->ids[i].ino != st.st_ino)
			continue;
		for (int s = 0; s <= L->depth; s++) {
			char chain[1024];
			size_t o = 0;

			if (L->stack[s] != i)
				continue;
			for (int j = s; j <= L->depth && o < sizeof(chain); j++)
				o += (size_t)snprintf(chain + o, sizeof(chain) - o, "%s -> ",
						      L->doc->files[L->stack[j]]);
			if (o < sizeof(chain))
				snprintf(chain + o, sizeof(chain) - o, "%s", path);
			lerr(L, at, "include cycle: %s", chain);
			L->failed = 1;
			return;
		}
		return;	/* included already, not through this path: read once */
	}
	if (L->depth + 1 > SOVP_INCLUDE_MAX_DEPTH) {
		lerr(L, at, "includes nested deeper than %d levels", SOVP_INCLUDE_MAX_DEPTH);
		L->failed = 1;
		return;
	}
	if (L->doc->n_files > SOVP_INCLUDE_MAX_FILES) {
		if (!L->too_many++)
			lerr(L, at, "more than %d included files", SOVP_INCLUDE_MAX_FILES);
		L->failed = 1;
		return;
	}
	err = sovp_read_file(path, INCLUDE_FILE_MAX, &buf, &len, &why);
	if (err) {
		if (err == -EFBIG)
			lerr(L, at, "cannot include '%s': larger than %u bytes", path,
			     INCLUDE_FILE_MAX);
		else if (err == -EINVAL)
			lerr(L, at, "cannot include '%s': %s", path, why);
		else if (err == -ENOMEM)
			L->err = err;
		else
			lerr(L, at, "cannot include '%s': failed to %s: %s", path, why,
			     strerror(-err));
		L->failed = 1;
		return;
	}
	idx = add_file(L, path, buf, len, &st);
	if (idx < 0) {
		L->err = (int)idx;
		free(buf);
		return;
	}
	err = sovp_ynode_parse(L->doc->files[idx], buf, len, &t, L->d);
	free(buf);
	if (err) {
		if (err == -ENOMEM)
			L->err = err;
		L->failed = 1;
		return;
	}
	L->stack[++L->depth] = (size_t)idx;
	load_tree(L, (size_t)idx, t);
	L->depth--;
	sovp_ynode_free(t);	/* what was merged has left it */
}

/* Why glob() gave up on a directory (not for one that does not exist). */
static __thread int glob_errno;
static __thread char glob_dir[256];

static int glob_err(const char *path, int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return 0;
	glob_errno = err;
	snprintf(glob_dir, sizeof(glob_dir), "%s", path);
	return 1;
}

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory part of name ("" or ending in '/'), glob-escaped or not. */
static char *dir_of(const char *name, const char *entry, int escape)
{
	const char *slash = strrchr(name, '/');
	size_t dl = entry[0] == '/' ? 0 : slash ? (size_t)(slash - name) + 1 : 0;
	size_t el = strlen(entry), o = 0;
	char *p = malloc(2 * dl + el + 1);

	if (!p)
		return NULL;
	for (size_t i = 0; i < dl; i++) {
		if (escape && strchr("*?[\\", name[i]))
			p[o++] = '\\';
		p[o++] = name[i];
	}
	memcpy(p + o, entry, el + 1);
	return p;
}

static void load_entry(struct loader *L, size_t file, const struct ynode *e)
{
	const char *name = L->doc->files[file];
	glob_t g = { 0 };
	char *p;
	int rc;

	if (e->kind != YN_SCALAR || sovp_ynode_is_null(e) || !e->len ||
	    strlen(e->str) != e->len) {
		lerr(L, e, "an include must be a file name or a glob, not %s",
		     e->kind != YN_SCALAR || sovp_ynode_is_null(e) ? sovp_ynode_what(e) :
		     e->len ? "a name with a NUL byte" : "an empty name");
		L->failed = 1;
		return;
	}
	if (L->flags & SOV_POLICY_F_NO_FS) {
		lerr(L, e, "include '%s' not read (no file access)", show(L, e, 0));
		L->failed = 1;
		return;
	}
	if (!has_glob(e->str)) {
		p = dir_of(name, e->str, 0);
		if (!p) {
			L->err = -ENOMEM;
			return;
		}
		load_file(L, p, e);
		free(p);
		return;
	}
	p = dir_of(name, e->str, 1);
	if (!p) {
		L->err = -ENOMEM;
		return;
	}
	glob_errno = 0;
	rc = glob(p, GLOB_NOSORT, glob_err, &g);
	free(p);
	if (rc == GLOB_NOSPACE) {
		L->err = -ENOMEM;
	} else if (rc == GLOB_NOMATCH) {
		lerr(L, e, "include '%s' matches no file", show(L, e, 0));
		L->failed = 1;
	} else if (rc) {
		lerr(L, e, "include '%s': cannot read directory %s: %s", show(L, e, 0),
		     glob_errno ? glob_dir : "?", strerror(glob_errno ? glob_errno : EIO));
		L->failed = 1;
	} else {
		/* Byte order, whatever the locale. */
		qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), by_name);
		for (size_t i = 0; i < g.gl_pathc && !L->err; i++)
			load_file(L, g.gl_pathv[i], e);
	}
	globfree(&g);	/* glob() set it up whatever it returned */
}

static void load_includes(struct loader *L, size_t file, const struct ynode *list)
{
	if (list->kind != YN_SEQ) {
		lerr(L, list, "'include' must be a list of files and globs, not %s",
		     sovp_ynode_what(list));
		L->failed = 1;
		return;
	}
	for (size_t i = 0; i < list->n && !L->err; i++)
		load_entry(L, file, list->kids[i]);
}

/*
 * The root's `zones` or `classes` mapping that included files add to: the
 * root's own, or a new one when it has none (placed at the `include` key).
 */
static struct ynode *root_map(struct loader *L, struct ynode *root, const char *key,
			      const struct ynode *at)
{
	struct ynode *v = sovp_map_get(root, key), *k;

	if (v)
		return v->kind == YN_MAP ? v : NULL;
	k = calloc(1, sizeof(*k));
	v = calloc(1, sizeof(*v));
	if (!k || !v || !(k->str = strdup(key)) || append_pair(root, k, v)) {
		if (k)
			free(k->str);
		free(k);
		free(v);
		L->err = -ENOMEM;
		return NULL;
	}
	k->kind = YN_SCALAR;
	k->len = strlen(key);
	v->kind = YN_MAP;
	k->file = v->file = at->file;
	k->line = v->line = at->line;
	k->col = v->col = at->col;
	return v;
}

int sovp_doc_load(struct sovp_doc *doc, const char *name, const void *buf, size_t len,
		  unsigned int flags, struct sov_diags *d)
{
	struct loader L = { .doc = doc, .d = d, .flags = flags };
	struct ynode *inc_key, *inc;
	struct stat st;
	long idx;
	int err;

	memset(doc, 0, sizeof(*doc));
	/* The root's identity, when it is a file, closes cycles through it. */
	idx = add_file(&L, name, buf, len,
		       (flags & SOV_POLICY_F_NO_FS) || stat(name, &st) ? NULL : &st);
	if (idx < 0) {
		err = (int)idx;
		goto out;
	}
	err = sovp_ynode_parse(doc->files[0], buf, len, &doc->root, d);
	if (err)
		goto out;
	inc = sovp_map_get(doc->root, "include");
	if (!inc)
		goto out;
	inc_key = map_key(doc->root, "include");
	L.zones = root_map(&L, doc->root, "zones", inc_key);
	if (!L.err)
		L.classes = root_map(&L, doc->root, "classes", inc_key);
	if (!L.err)
		load_includes(&L, 0, inc);
	err = L.err ? L.err : L.failed ? -EINVAL : 0;
out:
	free(L.ids);
	return err;
}
