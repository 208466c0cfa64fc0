// SPDX-License-Identifier: Apache-2.0
/*
 * The policy side of the zone sources: 'countries', 'asns', 'ranges' and
 * 'locdb' as written, their checks with positions, their resolution through
 * the location database and the range files, and the final tables built by
 * the precedence builder together with the explicit prefixes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "policy/tables.h"
#include "policy/zsrc_policy.h"


struct pcountry {
	char cc[3];
	const char *group;	/* the group it came from, or NULL */
	uint32_t zone;
	const char *pf;		/* the policy file it is written in */
	int line, col;
};

struct pasn {
	uint32_t asn, zone;
	const char *pf;
	int line, col;
};

struct pglob {
	char *glob;
	const char *pf;
	int line, col;
};

struct prange {
	char *file;
	enum zsrc_range_format format;
	struct pglob *globs;
	size_t n_globs;
	uint32_t zone;
	const char *pf;		/* the policy file it is written in */
	int line, col;		/* the range's mapping */
	int fline, fcol;	/* its 'file' value */
};

struct zsrc_plan {
	char *file;		/* the policy */
	struct sov_diags *d;
	struct pcountry *countries;
	size_t n_countries, cap_countries;
	struct pasn *asns;
	size_t n_asns, cap_asns;
	struct prange *ranges;
	size_t n_ranges, cap_ranges;
	char *locdb;		/* 'locdb:' of the policy */
	const char *locdb_pf;
	int locdb_line, locdb_col;
	size_t n_items;		/* sources named, for "zone has no prefixes" */
	struct zsrc_lpm *v4, *v6;
	char show[4][YNODE_SHOW_BUF];
	int show_i;
};

/* A scalar fit for a one-line message (sovp_ynode_show), in a ring of buffers
 * so one message can show several. */
static const char *show(struct zsrc_plan *p, const struct ynode *n)
{
	return sovp_ynode_show(n, p->show[p->show_i++ & 3]);
}

__attribute__((format(printf, 6, 7)))
static void diag(struct zsrc_plan *p, enum sov_diag_level lvl, const char *file,
		 int line, int col, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sov_diags_add(p->d, lvl, file, line, col, "%s", msg);
}

/*
 * The policy file a node was read from (a policy may include others): the
 * nodes keep their file's name, which lives as long as the compile.
 */
#define nfile(p, n) ((n)->file ? (n)->file : (p)->file)
#define perr(p, n, ...) diag(p, SOV_DIAG_ERROR, nfile(p, n), (n)->line, (n)->col, __VA_ARGS__)

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	nv = realloc(*v, c * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

struct zsrc_plan *sov_zsrc_plan_new(const char *file, struct sov_diags *d)
{
	struct zsrc_plan *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->d = d;
	p->file = strdup(file);
	p->v4 = sov_zsrc_lpm_new(AF_INET);
	p->v6 = sov_zsrc_lpm_new(AF_INET6);
	if (!p->file || !p->v4 || !p->v6) {
		sov_zsrc_plan_free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void sov_zsrc_plan_free(struct zsrc_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_ranges; i++) {
		for (size_t j = 0; j < p->ranges[i].n_globs; j++)
			free(p->ranges[i].globs[j].glob);
		free(p->ranges[i].globs);
		free(p->ranges[i].file);
	}
	free(p->ranges);
	free(p->asns);
	free(p->countries);
	free(p->locdb);
	sov_zsrc_lpm_free(p->v6);
	sov_zsrc_lpm_free(p->v4);
	free(p->file);
	free(p);
}

size_t sov_zsrc_plan_n_items(const struct zsrc_plan *p)
{
	return p ? p->n_items : 0;
}

static int is_scalar(const struct ynode *n)
{
	return n->kind == YN_SCALAR && !sovp_ynode_is_null(n) && strlen(n->str) == n->len;
}

static int want_list(struct zsrc_plan *p, const struct ynode *l, const char *key)
{
	if (l->kind == YN_SEQ)
		return 1;
	perr(p, l, "'%s' must be a list, not %s", key, sovp_ynode_what(l));
	return 0;
}

static int add_country(struct zsrc_plan *p, const char *cc, const char *group,
		       uint32_t zone, const struct ynode *n)
{
	struct pcountry *c;

	if (grow((void **)&p->countries, &p->cap_countries, p->n_countries, sizeof(*c)))
		return -ENOMEM;
	c = &p->countries[p->n_countries++];
	memcpy(c->cc, cc, 3);
	c->group = group;
	c->zone = zone;
	c->pf = nfile(p, n);
	c->line = n->line;
	c->col = n->col;
	return 0;
}

int sov_zsrc_plan_countries(struct zsrc_plan *p, uint32_t zone, const struct ynode *list)
{
	if (!want_list(p, list, "countries"))
		return 0;
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->kids[i];
		const char *const *g;
		const char *s = n->str;

		if (!is_scalar(n)) {
			perr(p, n, "a country must be a code such as DE, not %s", sovp_ynode_what(n));
			continue;
		}
		g = sov_zsrc_country_group(s);
		if (g) {
			for (; *g; g++)
				if (zone && add_country(p, *g, s, zone, n))
					return -ENOMEM;
			p->n_items++;
			continue;
		}
		if (n->len == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z') {
			if (zone && add_country(p, s, NULL, zone, n))
				return -ENOMEM;
			p->n_items++;
			continue;
		}
		if (n->len == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z')
			perr(p, n, "invalid country code '%s': codes are upper case (%c%c)",
			     show(p, n), s[0] - 'a' + 'A', s[1] - 'a' + 'A');
		else
			perr(p, n, "invalid country code '%s': expected an ISO 3166-1 alpha-2 code such as DE, or a group (EU, EEA)",
			     show(p, n));
	}
	return 0;
}

int sov_zsrc_plan_asns(struct zsrc_plan *p, uint32_t zone, const struct ynode *list)
{
	if (!want_list(p, list, "asns"))
		return 0;
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *n = list->kids[i];
		struct pasn *a;
		uint32_t asn;

		if (!is_scalar(n) || sov_zsrc_parse_asn(n->str, &asn)) {
			perr(p, n, "invalid ASN '%s': expected AS<number> or <number>, 1 to 4294967295",
			     show(p, n));
			continue;
		}
		p->n_items++;
		if (!zone)
			continue;
		if (grow((void **)&p->asns, &p->cap_asns, p->n_asns, sizeof(*a)))
			return -ENOMEM;
		a = &p->asns[p->n_asns++];
		a->asn = asn;
		a->zone = zone;
		a->pf = nfile(p, n);
		a->line = n->line;
		a->col = n->col;
	}
	return 0;
}

static int is_abs(const struct ynode *n)
{
	return is_scalar(n) && n->str[0] == '/';
}

/* One {file, format, regions} mapping; 1 when it is complete and valid. */
static int parse_range(struct zsrc_plan *p, const struct ynode *m, struct prange *r,
		       int no_fs)
{
	const struct ynode *file = NULL, *format = NULL, *regions = NULL;
	int ok = 1;

	if (m->kind != YN_MAP) {
		perr(p, m, "a range must be a mapping {file, format, regions}, not %s",
		     sovp_ynode_what(m));
		return 0;
	}
	for (size_t i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];

		if (k->dup)
			continue;
		if (sovp_ynode_eq(k, "file"))
			file = v;
		else if (sovp_ynode_eq(k, "format"))
			format = v;
		else if (sovp_ynode_eq(k, "regions"))
			regions = v;
		else {
			perr(p, k, "unknown key '%s' in a range (expected file, format, regions)",
			     show(p, k));
			ok = 0;
		}
	}
	if (!file || !format || !regions) {
		perr(p, m, "range is missing '%s' (a range is {file, format, regions})",
		     !file ? "file" : !format ? "format" : "regions");
		ok = 0;
	}
	if (file && !is_abs(file)) {
		perr(p, file, "range file '%s' is not an absolute path", show(p, file));
		ok = 0;
	} else if (file && no_fs) {
		perr(p, file, "range file '%s' not read (no file access)", show(p, file));
		ok = 0;
	}
	if (format && (!is_scalar(format) || sov_zsrc_range_format_parse(format->str, &r->format))) {
		perr(p, format, "unknown range format '%s' (expected aws, gcp, azure or oracle)",
		     show(p, format));
		ok = 0;
	}
	if (regions && regions->kind != YN_SEQ) {
		perr(p, regions, "'regions' must be a list of region globs such as eu-*, not %s",
		     sovp_ynode_what(regions));
		ok = 0;
	} else if (regions && !regions->n) {
		perr(p, regions, "'regions' is empty: name the regions (globs such as eu-*)");
		ok = 0;
	} else if (regions) {
		for (size_t i = 0; i < regions->n; i++) {
			const struct ynode *g = regions->kids[i];

			/* "" is a name: the region-less entries of Azure. */
			if (g->kind != YN_SCALAR || (sovp_ynode_is_null(g) && !g->quoted) ||
			    strlen(g->str) != g->len) {
				perr(p, g, "a region must be a glob such as eu-*, not %s",
				     sovp_ynode_what(g));
				ok = 0;
			}
		}
	}
	if (!ok)
		return 0;
	r->file = strdup(file->str);
	r->globs = calloc(regions->n, sizeof(*r->globs));
	if (!r->file || !r->globs)
		return -ENOMEM;
	for (size_t i = 0; i < regions->n; i++) {
		const struct ynode *g = regions->kids[i];

		r->globs[i].glob = strdup(g->str);
		if (!r->globs[i].glob)
			return -ENOMEM;
		r->globs[i].pf = nfile(p, g);
		r->globs[i].line = g->line;
		r->globs[i].col = g->col;
		r->n_globs++;
	}
	r->pf = nfile(p, m);
	r->line = m->line;
	r->col = m->col;
	r->fline = file->line;
	r->fcol = file->col;
	return 1;
}

int sov_zsrc_plan_ranges(struct zsrc_plan *p, uint32_t zone, const struct ynode *list,
			 int no_fs)
{
	if (!want_list(p, list, "ranges"))
		return 0;
	for (size_t i = 0; i < list->n; i++) {
		struct prange r = { .zone = zone };
		int ok = parse_range(p, list->kids[i], &r, no_fs);

		if (ok > 0)
			p->n_items++;
		if (ok > 0 && zone) {
			if (grow((void **)&p->ranges, &p->cap_ranges, p->n_ranges, sizeof(r)))
				ok = -ENOMEM;
			else {
				p->ranges[p->n_ranges++] = r;
				continue;
			}
		}
		for (size_t j = 0; j < r.n_globs; j++)
			free(r.globs[j].glob);
		free(r.globs);
		free(r.file);
		if (ok < 0)
			return ok;
	}
	return 0;
}

int sov_zsrc_plan_locdb(struct zsrc_plan *p, const struct ynode *v)
{
	if (!is_abs(v)) {
		perr(p, v, "'locdb' must be the absolute path of a location database, not '%s'",
		     show(p, v));
		return 0;
	}
	free(p->locdb);
	p->locdb = strdup(v->str);
	if (!p->locdb)
		return -ENOMEM;
	p->locdb_pf = nfile(p, v);
	p->locdb_line = v->line;
	p->locdb_col = v->col;
	return 0;
}

static int add_source(struct sov_policy_image *img, const char *kind, const char *file,
		      const char *version)
{
	struct sov_img_source *v = realloc(img->sources, (img->n_sources + 1) * sizeof(*v));
	struct sov_img_source *s;

	if (!v)
		return -ENOMEM;
	img->sources = v;
	s = &v[img->n_sources];
	s->kind = strdup(kind);
	s->file = strdup(file);
	s->version = strdup(version ? version : "");
	if (!s->kind || !s->file || !s->version) {
		free(s->kind);
		free(s->file);
		free(s->version);
		return -ENOMEM;
	}
	img->n_sources++;
	return 0;
}

/* Where a data source's messages go when the data has no position. */
struct at {
	struct zsrc_plan *p;
	const char *file;
	int line, col;
	int errors;
};

static void at_err(void *ctx, const char *file, int line, int col, const char *msg)
{
	struct at *a = ctx;

	a->errors++;
	if (line > 0 || !a->file)
		diag(a->p, SOV_DIAG_ERROR, file, line, col, "%s", msg);
	else if (file)
		diag(a->p, SOV_DIAG_ERROR, a->file, a->line, a->col, "%s: %s", file, msg);
	else
		diag(a->p, SOV_DIAG_ERROR, a->file, a->line, a->col, "%s", msg);
}

static int cc_index(const char *cc)
{
	return (cc[0] - 'A') * 26 + (cc[1] - 'A');
}

/* Whole days from t (unix seconds) to opts->now (or now). */
static long long age_days(const struct sov_policy_opts *opts, long long t)
{
	long long now = opts->now ? opts->now : (long long)time(NULL);

	return now > t ? (now - t) / 86400 : 0;
}

/* A range file last modified (downloaded) more than max_age_days ago. */
static void range_age(struct zsrc_plan *p, const struct sov_policy_opts *opts,
		      const struct prange *r)
{
	struct stat st;
	long long age;

	if (!opts || !opts->max_age_days || stat(r->file, &st))
		return;
	age = age_days(opts, (long long)st.st_mtime);
	if (age > (long long)opts->max_age_days)
		diag(p, SOV_DIAG_WARNING, r->pf, r->fline, r->fcol,
		     "range file %s was last modified %lld days ago (more than %u): fetch the provider's current file",
		     r->file, age, opts->max_age_days);
}

static int resolve_locdb(struct zsrc_plan *p, const struct sov_policy_opts *opts,
			 struct sov_policy_image *img, const char *const *names)
{
	const char *path = opts && opts->locdb_path ? opts->locdb_path : p->locdb;
	struct at at = { .p = p };
	struct pcountry *first[26 * 26] = { 0 };
	struct zsrc_locdb_query q = { 0 };
	struct zsrc_locdb_info info;
	struct zsrc_locdb *db = NULL;
	char (*codes)[3] = NULL;
	uint32_t *czones = NULL, *asns = NULL, *azones = NULL;
	size_t errors = p->d->n_errors;
	int err = 0;

	if (!p->n_countries && !p->n_asns)
		return 0;
	if (opts && (opts->flags & SOV_POLICY_F_NO_FS)) {
		diag(p, SOV_DIAG_ERROR, p->n_countries ? p->countries[0].pf : p->asns[0].pf,
		     p->n_countries ? p->countries[0].line : p->asns[0].line,
		     p->n_countries ? p->countries[0].col : p->asns[0].col,
		     "countries and ASNs not resolved (no file access)");
		return 0;
	}
	if (!path)
		path = ZSRC_LOCDB_DEFAULT;
	/* Positions: the policy's 'locdb' if that named it, else the first use. */
	at.file = p->n_countries ? p->countries[0].pf : p->asns[0].pf;
	if (!(opts && opts->locdb_path) && p->locdb) {
		at.file = p->locdb_pf;
		at.line = p->locdb_line;
		at.col = p->locdb_col;
	} else {
		at.line = p->n_countries ? p->countries[0].line : p->asns[0].line;
		at.col = p->n_countries ? p->countries[0].col : p->asns[0].col;
	}
	db = sov_zsrc_locdb_open(path, at_err, &at);
	if (!db)
		return 0;

	for (size_t i = 0; i < p->n_countries; i++) {
		struct pcountry *c = &p->countries[i], **f = &first[cc_index(c->cc)];

		if (sov_zsrc_locdb_check_country(db, c->cc)) {
			if (c->group)
				diag(p, SOV_DIAG_ERROR, c->pf, c->line, c->col,
				     "country %s of group %s is not in the location database %s",
				     c->cc, c->group, path);
			else
				diag(p, SOV_DIAG_ERROR, c->pf, c->line, c->col,
				     "unknown country code '%s': not in the location database %s",
				     c->cc, path);
			continue;
		}
		if (*f && (*f)->zone != c->zone) {
			diag(p, SOV_DIAG_ERROR, c->pf, c->line, c->col,
			     "country %s%s%s is already in zone '%s' (%s%sline %d); a country belongs to one zone",
			     c->cc, c->group ? " of group " : "", c->group ? c->group : "",
			     names[(*f)->zone], strcmp((*f)->pf, c->pf) ? (*f)->pf : "",
			     strcmp((*f)->pf, c->pf) ? " " : "", (*f)->line);
			continue;
		}
		if (!*f)
			*f = c;
	}
	for (size_t i = 0; i < p->n_asns; i++) {
		struct pasn *a = &p->asns[i];

		if (sov_zsrc_locdb_check_asn(db, a->asn))
			diag(p, SOV_DIAG_WARNING, a->pf, a->line, a->col,
			     "AS%u is not in the location database %s: it matches no address",
			     a->asn, path);
		for (size_t j = 0; j < i; j++)
			if (p->asns[j].asn == a->asn && p->asns[j].zone != a->zone) {
				diag(p, SOV_DIAG_ERROR, a->pf, a->line, a->col,
				     "AS%u is already in zone '%s' (%s%sline %d); an AS belongs to one zone",
				     a->asn, names[p->asns[j].zone],
				     strcmp(p->asns[j].pf, a->pf) ? p->asns[j].pf : "",
				     strcmp(p->asns[j].pf, a->pf) ? " " : "", p->asns[j].line);
				break;
			}
	}
	if (p->d->n_errors != errors)
		goto cleanup;

	codes = calloc(p->n_countries + 1, sizeof(*codes));
	czones = calloc(p->n_countries + 1, sizeof(*czones));
	asns = calloc(p->n_asns + 1, sizeof(*asns));
	azones = calloc(p->n_asns + 1, sizeof(*azones));
	if (!codes || !czones || !asns || !azones) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < p->n_countries; i++) {
		memcpy(codes[i], p->countries[i].cc, 3);
		czones[i] = p->countries[i].zone;
	}
	for (size_t i = 0; i < p->n_asns; i++) {
		asns[i] = p->asns[i].asn;
		azones[i] = p->asns[i].zone;
	}
	q.countries = (const char (*)[3])codes;
	q.country_zone = czones;
	q.n_countries = p->n_countries;
	q.asns = asns;
	q.asn_zone = azones;
	q.n_asns = p->n_asns;
	err = sov_zsrc_locdb_add(db, &q, names, p->v4, p->v6, NULL, at_err, &at);
	if (err == -EINVAL || err == -EIO)
		err = 0;	/* reported */
	if (err)
		goto cleanup;
	sov_zsrc_locdb_get_info(db, &info);
	free(img->locdb_path);
	img->locdb_path = strdup(sov_zsrc_locdb_path(db));
	if (!img->locdb_path) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = add_source(img, "locdb", sov_zsrc_locdb_path(db), info.version);
	if (!err && opts && opts->max_age_days && info.created_at > 0) {
		long long age = age_days(opts, info.created_at);

		if (age > (long long)opts->max_age_days)
			diag(p, SOV_DIAG_WARNING,
			     p->locdb ? p->locdb_pf : p->n_countries ? p->countries[0].pf : p->asns[0].pf,
			     p->locdb ? p->locdb_line : p->n_countries ? p->countries[0].line : p->asns[0].line,
			     p->locdb ? p->locdb_col : p->n_countries ? p->countries[0].col : p->asns[0].col,
			     "location database %s is %lld days old (created %s; more than %u): update it (location update, or the 'location' package)",
			     sov_zsrc_locdb_path(db), age, info.version, opts->max_age_days);
	}
cleanup:
	free(azones);
	free(asns);
	free(czones);
	free(codes);
	sov_zsrc_locdb_close(db);
	return err;
}

/* Region names of rf for a hint, cut to fit. */
static void region_hint(const struct zsrc_range_file *rf, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < rf->n_regions && o + 8 < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				 rf->regions[i][0] ? rf->regions[i] : "\"\"");

		if (n < 0 || (size_t)n >= len - o) {
			snprintf(buf + o, len - o, ", ...");
			break;
		}
		o += n;
	}
}

static int resolve_ranges(struct zsrc_plan *p, const struct sov_policy_opts *opts,
			  struct sov_policy_image *img,
			  const char *const *names)
{
	struct zsrc_range_file **files;
	int err = 0;

	if (!p->n_ranges)
		return 0;
	files = calloc(p->n_ranges, sizeof(*files));
	if (!files)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_ranges; i++) {
		struct prange *r = &p->ranges[i];
		struct at at = { .p = p, .file = r->pf, .line = r->fline, .col = r->fcol };
		struct zsrc_range_file *rf = NULL;
		const char **globs;
		long added;

		/* A file named twice is read once. */
		for (size_t j = 0; j < i && !rf; j++)
			if (files[j] && !strcmp(p->ranges[j].file, r->file) &&
			    p->ranges[j].format == r->format)
				rf = files[j];
		if (!rf) {
			err = sov_zsrc_range_load(r->file, r->format, &files[i], at_err, &at);
			if (err == -ENOMEM)
				goto cleanup;
			err = 0;
			if (!files[i])
				continue;
			rf = files[i];
			err = add_source(img, sov_zsrc_range_format_name(r->format), r->file, rf->version);
			if (err)
				goto cleanup;
			range_age(p, opts, r);
		}
		globs = calloc(r->n_globs, sizeof(*globs));
		if (!globs) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t g = 0; g < r->n_globs; g++) {
			globs[g] = r->globs[g].glob;
			if (!sov_zsrc_range_glob_regions(rf, globs[g])) {
				char hint[256];

				region_hint(rf, hint, sizeof(hint));
				diag(p, SOV_DIAG_WARNING, r->globs[g].pf, r->globs[g].line, r->globs[g].col,
				     "region glob '%s' matches no region of %s (%s format; regions: %s)",
				     globs[g], r->file, sov_zsrc_range_format_name(r->format), hint);
			}
		}
		at.line = r->line;
		at.col = r->col;
		at.file = r->pf;
		added = sov_zsrc_range_add(rf, globs, r->n_globs, r->zone, names, p->v4, p->v6,
					   at_err, &at);
		free(globs);
		if (added == -ENOMEM) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
cleanup:
	for (size_t i = 0; i < p->n_ranges; i++)
		sov_zsrc_range_free(files[i]);
	free(files);
	return err;
}

int sov_zsrc_plan_resolve(struct zsrc_plan *p, const struct sov_policy_opts *opts,
			  struct sov_policy_image *img)
{
	const char **names;
	int err;

	names = calloc(img->n_zones + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < img->n_zones; i++)
		names[i] = img->zones[i].name;
	err = resolve_locdb(p, opts, img, names);
	if (!err)
		err = resolve_ranges(p, opts, img, names);
	free(names);
	return err;
}

static int table_fill(struct zsrc_lpm *t, void **out, size_t *n_out,
		      struct zsrc_lpm_stats *st)
{
	struct zsrc_entry *v = NULL;
	size_t n = 0;
	int err;

	err = sov_zsrc_lpm_compile(t, &v, &n, st);
	if (err)
		return err;
	if (sov_zsrc_lpm_family(t) == AF_INET) {
		struct sov_img_prefix4 *o = calloc(n ? n : 1, sizeof(*o));

		if (!o) {
			free(v);
			return -ENOMEM;
		}
		for (size_t i = 0; i < n; i++) {
			memcpy(o[i].addr, v[i].addr, 4);
			o[i].plen = v[i].plen;
			o[i].zone = v[i].zone;
		}
		*out = o;
	} else {
		struct sov_img_prefix6 *o = calloc(n ? n : 1, sizeof(*o));

		if (!o) {
			free(v);
			return -ENOMEM;
		}
		for (size_t i = 0; i < n; i++) {
			memcpy(o[i].addr, v[i].addr, 16);
			o[i].plen = v[i].plen;
			o[i].zone = v[i].zone;
		}
		*out = o;
	}
	*n_out = n;
	free(v);
	return 0;
}

static int add_explicit(struct zsrc_lpm *t, const struct zb_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err = sov_zsrc_lpm_add(t, v[i].addr, v[i].plen, ZSRC_TIER_EXPLICIT, v[i].zone, NULL);

		/* tables.c already kept one zone per explicit prefix. */
		if (err)
			return err == -EEXIST ? -EINVAL : err;
	}
	return 0;
}

int sov_zsrc_plan_tables(struct zsrc_plan *p, const struct zb_entry *v4, size_t n4,
			 const struct zb_entry *v6, size_t n6, struct sov_policy_image *img)
{
	struct zsrc_lpm *t4 = p ? p->v4 : sov_zsrc_lpm_new(AF_INET);
	struct zsrc_lpm *t6 = p ? p->v6 : sov_zsrc_lpm_new(AF_INET6);
	struct zsrc_lpm_stats s4, s6;
	void *o4 = NULL, *o6 = NULL;
	size_t m4 = 0, m6 = 0;
	int err;

	if (!t4 || !t6) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = add_explicit(t4, v4, n4);
	if (!err)
		err = add_explicit(t6, v6, n6);
	if (!err)
		err = table_fill(t4, &o4, &m4, &s4);
	if (!err)
		err = table_fill(t6, &o6, &m6, &s6);
	if (err)
		goto cleanup;
	free(img->v4);
	free(img->v6);
	img->v4 = o4;
	img->n_v4 = m4;
	img->v6 = o6;
	img->n_v6 = m6;
	o4 = o6 = NULL;
	img->table_stats[0] = (struct sov_img_table_stats){ s4.n_input, s4.n_output,
							    s4.n_kernel_nodes, s4.map_bytes };
	img->table_stats[1] = (struct sov_img_table_stats){ s6.n_input, s6.n_output,
							    s6.n_kernel_nodes, s6.map_bytes };
cleanup:
	free(o6);
	free(o4);
	if (!p) {
		sov_zsrc_lpm_free(t6);
		sov_zsrc_lpm_free(t4);
	}
	return err;
}
