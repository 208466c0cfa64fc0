/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/tables.h"

static int lpm_build(struct sov_policy_image *img);
#include "policy/zsrc_policy.h"

/* Zone files larger than this are refused rather than read into memory. */
#define ZONE_FILE_MAX	(1ull << 30)
/* Conflicts between zones stop being reported after this many. */
#define ZB_MAX_CONFLICTS	100

void sovp_zb_init(struct zone_builder *zb)
{
	memset(zb, 0, sizeof(*zb));
}

void sovp_zb_free(struct zone_builder *zb)
{
	size_t i;

	for (i = 0; i < zb->n_srcs; i++)
		free(zb->srcs[i]);
	free(zb->srcs);
	free(zb->v4);
	free(zb->v6);
	memset(zb, 0, sizeof(*zb));
}

int sovp_zb_source(struct zone_builder *zb, const char *file)
{
	char **v, *s;

	if (zb->n_srcs && !strcmp(zb->srcs[zb->n_srcs - 1], file))
		return (int)zb->n_srcs - 1;
	s = strdup(file);
	if (!s)
		return -ENOMEM;
	v = realloc(zb->srcs, (zb->n_srcs + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	zb->srcs = v;
	zb->srcs[zb->n_srcs] = s;
	return (int)zb->n_srcs++;
}

int sovp_zb_add(struct zone_builder *zb, const struct sov_prefix *p, uint32_t zone,
		int prio, uint32_t src, int line, int col)
{
	struct zb_entry **v = p->family == 4 ? &zb->v4 : &zb->v6;
	size_t *n = p->family == 4 ? &zb->n4 : &zb->n6;
	size_t *cap = p->family == 4 ? &zb->cap4 : &zb->cap6;
	struct zb_entry *e;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct zb_entry *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	e = &(*v)[(*n)++];
	memcpy(e->addr, p->addr, sizeof(e->addr));
	e->plen = p->plen;
	e->prio = (uint8_t)prio;
	e->col = col > 0xffff ? 0xffff : (uint16_t)col;
	e->zone = zone;
	e->src = src;
	e->line = (uint32_t)line;
	e->seq = zb->seq++;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

int sovp_zb_parse_zone_text(struct zone_builder *zb, uint32_t src, const char *buf,
			    size_t len, uint32_t zone, int prio, struct sov_diags *d)
{
	const char *file = zb->srcs[src];
	const char *p = buf, *end = buf + len;
	int line = 0, errors = 0, err;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q, *tok;
		struct sov_prefix pfx;
		char why[160];

		if (!eol)
			eol = end;
		line++;
		q = p;
		while (q < eol && is_space(*q))
			q++;
		if (q == eol || *q == '#')
			goto next;
		tok = q;
		while (q < eol && !is_space(*q) && *q != '#')
			q++;
		if (sovp_prefix_parse(tok, (size_t)(q - tok), &pfx, why, sizeof(why))) {
			sov_diags_add(d, SOV_DIAG_ERROR, file, line, (int)(tok - p) + 1,
				      "invalid prefix '%.*s': %s",
				      (int)(q - tok > 64 ? 64 : q - tok), tok, why);
			errors++;
		} else {
			while (q < eol && is_space(*q))
				q++;
			if (q < eol && *q != '#') {
				sov_diags_add(d, SOV_DIAG_ERROR, file, line,
					      (int)(q - p) + 1,
					      "unexpected text after the prefix (one prefix per line)");
				errors++;
			} else {
				err = sovp_zb_add(zb, &pfx, zone, prio, src, line,
						  (int)(tok - p) + 1);
				if (err)
					return err;
			}
		}
		if (errors >= ZB_MAX_ERRORS_PER_SOURCE) {
			sov_diags_add(d, SOV_DIAG_ERROR, file, line, 1,
				      "too many errors; the rest of this file is not checked");
			return 0;
		}
next:
		p = eol + 1;
	}
	return 0;
}

int sovp_zb_read_zone_file(struct zone_builder *zb, const char *path, uint32_t zone,
			   int prio, struct sov_diags *d, const char *file,
			   int line, int col)
{
	const char *why = "";
	char *buf = NULL;
	size_t len = 0;
	int src, err;

	err = sovp_read_file(path, ZONE_FILE_MAX, &buf, &len, &why);
	if (err == -ENOMEM)
		return err;
	if (err == -EFBIG)
		sov_diags_add(d, SOV_DIAG_ERROR, file, line, col,
			      "zone file '%s' is larger than %llu bytes", path,
			      (unsigned long long)ZONE_FILE_MAX);
	else if (err == -EINVAL)
		sov_diags_add(d, SOV_DIAG_ERROR, file, line, col,
			      "zone file '%s' is %s", path, why);
	else if (err)
		sov_diags_add(d, SOV_DIAG_ERROR, file, line, col,
			      "failed to %s zone file '%s': %s", why, path, strerror(-err));
	if (err)
		return 0;	/* reported; the policy is invalid */
	src = sovp_zb_source(zb, path);
	err = src < 0 ? src : sovp_zb_parse_zone_text(zb, (uint32_t)src, buf, len, zone, prio, d);
	free(buf);
	return err;
}

/* By address, then outermost first, then precedence, then policy order. */
static int cmp_entry(const struct zb_entry *x, const struct zb_entry *y, size_t alen)
{
	int c = memcmp(x->addr, y->addr, alen);

	if (c)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp4(const void *a, const void *b)
{
	return cmp_entry(a, b, 4);
}

static int cmp6(const void *a, const void *b)
{
	return cmp_entry(a, b, 16);
}

static const char *zname(const struct sov_policy_image *img, uint32_t z)
{
	return z < img->n_zones ? img->zones[z].name : "?";
}

/*
 * Keeps the winner of each run of identical prefixes (entries are sorted
 * so that it comes first) in place at the front of v; returns the count.
 */
static size_t resolve(struct zone_builder *zb, struct zb_entry *v, size_t n,
		      int family, const struct sov_policy_image *img,
		      int *conflicts, struct sov_diags *d)
{
	size_t alen = family == 4 ? 4 : 16, i, out = 0;

	for (i = 0; i < n; i++) {
		struct zb_entry *w;

		if (out == 0 || v[out - 1].plen != v[i].plen ||
		    memcmp(v[out - 1].addr, v[i].addr, alen)) {
			v[out++] = v[i];
			continue;
		}
		w = &v[out - 1];
		if (v[i].prio != w->prio || v[i].zone == w->zone)
			continue;
		if (++*conflicts > ZB_MAX_CONFLICTS)
			continue;
		if (*conflicts == ZB_MAX_CONFLICTS) {
			sov_diags_add(d, SOV_DIAG_ERROR, zb->srcs[v[i].src],
				      (int)v[i].line, v[i].col,
				      "too many prefixes in two zones; the rest are not reported");
			continue;
		}
		{
			struct sov_prefix p = { .family = (uint8_t)family, .plen = v[i].plen };
			char buf[PREFIX_STR_MAX];

			memcpy(p.addr, v[i].addr, sizeof(p.addr));
			sov_diags_add(d, SOV_DIAG_ERROR, zb->srcs[v[i].src],
				      (int)v[i].line, v[i].col,
				      "prefix %s of zone '%s' is already in zone '%s' (%s:%u:%u); a prefix belongs to one zone",
				      sovp_prefix_format(&p, buf, sizeof(buf)),
				      zname(img, v[i].zone), zname(img, w->zone),
				      zb->srcs[w->src], w->line, w->col);
		}
	}
	return out;
}

int sovp_zb_finish(struct zone_builder *zb, struct sov_policy_image *img,
		   struct sov_diags *d, int build)
{
	int conflicts = 0, err;
	size_t n4, n6;

	if (zb->n4 > 1)
		qsort(zb->v4, zb->n4, sizeof(*zb->v4), cmp4);
	if (zb->n6 > 1)
		qsort(zb->v6, zb->n6, sizeof(*zb->v6), cmp6);
	n4 = resolve(zb, zb->v4, zb->n4, 4, img, &conflicts, d);
	n6 = resolve(zb, zb->v6, zb->n6, 6, img, &conflicts, d);
	/* Conflicts are reported even when the policy has other errors (one
	 * run reports every error); the tables are built only for a valid one. */
	if (conflicts || !build)
		return 0;

	/* The explicit winners and the derived sources, by precedence. */
	err = sov_zsrc_plan_tables(zb->plan, zb->v4, n4, zb->v6, n6, img);
	if (err)
		return err;
	return lpm_build(img);
}

void sovp_lpm_free(struct sov_policy_lpm *l)
{
	if (!l)
		return;
	free(l->start4);
	free(l->zone4);
	free(l->start6);
	free(l->zone6);
	free(l);
}

typedef unsigned __int128 u128;

static u128 be128(const uint8_t *a)
{
	u128 v = 0;
	int i;

	for (i = 0; i < 16; i++)
		v = v << 8 | a[i];
	return v;
}

static uint32_t be32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/*
 * Both families are swept the same way, in 128-bit arithmetic: prefixes
 * sorted by (address, length) arrive outermost first, so a stack of open
 * prefixes gives, at every point, the most specific one covering it.
 * Ranges with the same zone as the one before are merged.
 */
struct sweep {
	u128 *start;
	uint32_t *zone;
	size_t n;
	u128 cur;
	int full;		/* cur went past the top of the address space */
};

static void sweep_emit(struct sweep *s, u128 from, uint32_t zone)
{
	if (s->n && s->zone[s->n - 1] == zone)
		return;
	s->start[s->n] = from;
	s->zone[s->n++] = zone;
}

struct open_pfx {
	u128 end;
	uint32_t zone;
};

static void sweep_close(struct sweep *s, const struct open_pfx *top, u128 max)
{
	if (s->full || s->cur > top->end)
		return;
	sweep_emit(s, s->cur, top->zone);
	if (top->end == max)
		s->full = 1;
	else
		s->cur = top->end + 1;
}

static int sweep(size_t n, int bits, const uint8_t *(*addr)(const void *, size_t),
		 uint8_t (*plen)(const void *, size_t), uint32_t (*zone)(const void *, size_t),
		 const void *tab, struct sweep *s)
{
	struct open_pfx stack[129];
	u128 max = bits == 32 ? (u128)0xffffffffu : ~(u128)0;
	size_t i, sp = 0;

	memset(s, 0, sizeof(*s));
	s->start = malloc((2 * n + 1) * sizeof(*s->start));
	s->zone = malloc((2 * n + 1) * sizeof(*s->zone));
	if (!s->start || !s->zone)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const uint8_t *a = addr(tab, i);
		int pl = plen(tab, i);
		u128 ps = bits == 32 ? (u128)be32(a) : be128(a);
		u128 host = pl == 0 ? max : (((u128)1 << (bits - pl)) - 1);

		while (sp && stack[sp - 1].end < ps)
			sweep_close(s, &stack[--sp], max);
		if (s->cur < ps)
			sweep_emit(s, s->cur, sp ? stack[sp - 1].zone : SOV_POLICY_ZONE_UNKNOWN);
		s->cur = ps;
		if (sp == sizeof(stack) / sizeof(stack[0]))
			return -EINVAL;
		stack[sp].end = ps | host;
		stack[sp++].zone = zone(tab, i);
	}
	while (sp)
		sweep_close(s, &stack[--sp], max);
	if (!s->full)
		sweep_emit(s, s->cur, SOV_POLICY_ZONE_UNKNOWN);
	return 0;
}

static const uint8_t *addr4(const void *t, size_t i) { return ((const struct sov_img_prefix4 *)t)[i].addr; }
static uint8_t plen4(const void *t, size_t i) { return ((const struct sov_img_prefix4 *)t)[i].plen; }
static uint32_t zone4(const void *t, size_t i) { return ((const struct sov_img_prefix4 *)t)[i].zone; }
static const uint8_t *addr6(const void *t, size_t i) { return ((const struct sov_img_prefix6 *)t)[i].addr; }
static uint8_t plen6(const void *t, size_t i) { return ((const struct sov_img_prefix6 *)t)[i].plen; }
static uint32_t zone6(const void *t, size_t i) { return ((const struct sov_img_prefix6 *)t)[i].zone; }

static int lpm_build(struct sov_policy_image *img)
{
	struct sov_policy_lpm *l;
	struct sweep s4 = { 0 }, s6 = { 0 };
	size_t i;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	err = sweep(img->n_v4, 32, addr4, plen4, zone4, img->v4, &s4);
	if (err)
		goto cleanup;
	err = sweep(img->n_v6, 128, addr6, plen6, zone6, img->v6, &s6);
	if (err)
		goto cleanup;
	/* IPv4 starts fit in 32 bits; store them compactly. */
	l->start4 = malloc(s4.n * sizeof(*l->start4));
	if (!l->start4) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < s4.n; i++)
		l->start4[i] = (uint32_t)s4.start[i];
	l->zone4 = s4.zone;
	l->n4 = s4.n;
	s4.zone = NULL;
	l->start6 = s6.start;
	l->zone6 = s6.zone;
	l->n6 = s6.n;
	s6.start = NULL;
	s6.zone = NULL;
	sovp_lpm_free(img->lpm);
	img->lpm = l;
	l = NULL;
cleanup:
	free(s6.zone);
	free(s6.start);
	free(s4.zone);
	free(s4.start);
	sovp_lpm_free(l);
	return err;
}
