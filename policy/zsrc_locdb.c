// SPDX-License-Identifier: Apache-2.0
/*
 * Countries and autonomous systems through the IP location database
 * (libloc). The database is itself a longest-prefix-match table: the answer
 * for an address is the most specific network holding it, and a network of
 * one country may sit inside a network of another. So each of our two tiers
 * (countries, asns) gets every network whose country (AS) is listed and,
 * as a hole, every network nested in such a one whose country (AS) is not;
 * the precedence builder then answers exactly what the database answers.
 */
#include <ctype.h>
#include <errno.h>
#include <libloc/as.h>
#include <libloc/country.h>
#include <libloc/database.h>
#include <libloc/libloc.h>
#include <libloc/network.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "policy/zsrc.h"

struct zsrc_locdb {
	struct loc_ctx *ctx;
	struct loc_database *db;
	FILE *f;
	char *path;
	struct zsrc_locdb_info info;
};

__attribute__((format(printf, 5, 6)))
static void report(zsrc_err_fn err, void *ctx, const char *file, int errnum,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	err(ctx, file, 0, 0, msg);
}

/* libloc logs to stderr on its own; its failures reach the user through our
 * messages instead. */
static void quiet_log(struct loc_ctx *ctx, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args)
{
	(void)ctx; (void)priority; (void)file; (void)line; (void)fn; (void)format; (void)args;
}

struct zsrc_locdb *sov_zsrc_locdb_open(const char *path, zsrc_err_fn err, void *ctx)
{
	struct zsrc_locdb *db;
	struct tm tm;
	const char *vendor;
	char when[32];
	int r;

	if (!path)
		path = ZSRC_LOCDB_DEFAULT;
	db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		r = ENOMEM;
		report(err, ctx, path, r, "failed to open location database");
		goto fail;
	}
	db->f = fopen(path, "re");
	if (!db->f) {
		r = errno;
		report(err, ctx, path, r, "failed to open location database");
		goto fail;
	}
	r = loc_new(&db->ctx);
	if (r) {
		r = r < 0 ? -r : ENOMEM;
		report(err, ctx, path, r, "failed to create libloc context");
		goto fail;
	}
	loc_set_log_fn(db->ctx, quiet_log);
	r = loc_database_new(db->ctx, &db->db, db->f);
	if (r || !db->db) {
		r = r < 0 ? -r : (errno ? errno : EINVAL);
		report(err, ctx, path, r, "failed to read location database");
		goto fail;
	}
	db->info.created_at = loc_database_created_at(db->db);
	vendor = loc_database_get_vendor(db->db);
	snprintf(db->info.vendor, sizeof(db->info.vendor), "%s", vendor ? vendor : "");
	if (!gmtime_r(&db->info.created_at, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "@%lld", (long long)db->info.created_at);
	snprintf(db->info.version, sizeof(db->info.version), "%s %s", when, db->info.vendor);
	return db;
fail:
	sov_zsrc_locdb_close(db);
	errno = r;
	return NULL;
}

void sov_zsrc_locdb_close(struct zsrc_locdb *db)
{
	if (!db)
		return;
	if (db->db)
		loc_database_unref(db->db);
	if (db->ctx)
		loc_unref(db->ctx);
	if (db->f)
		fclose(db->f);
	free(db->path);
	free(db);
}

int sov_zsrc_locdb_lookup(struct zsrc_locdb *db, int family, const uint8_t *addr,
			  char *net, size_t netlen, char cc[3], uint32_t *asn)
{
	struct loc_network *n = NULL;
	struct in6_addr a = {};
	const char *s;
	int r;

	if (family == AF_INET) {
		/* libloc keeps IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d) */
		a.s6_addr[10] = 0xff;
		a.s6_addr[11] = 0xff;
		memcpy(&a.s6_addr[12], addr, 4);
	} else if (family == AF_INET6) {
		memcpy(a.s6_addr, addr, 16);
	} else {
		return -EINVAL;
	}
	errno = 0;
	r = loc_database_lookup(db->db, &a, &n);
	if (r || !n)
		return r && errno && errno != ENOENT ? -errno : -ENOENT;
	s = loc_network_str(n);
	snprintf(net, netlen, "%s", s ? s : "?");
	s = loc_network_get_country_code(n);
	snprintf(cc, 3, "%s", s ? s : "");
	*asn = loc_network_get_asn(n);
	loc_network_unref(n);
	return 0;
}

const char *sov_zsrc_locdb_path(const struct zsrc_locdb *db)
{
	return db->path;
}

void sov_zsrc_locdb_get_info(const struct zsrc_locdb *db, struct zsrc_locdb_info *info)
{
	*info = db->info;
}

/* Member states of the European Union (Greece is GR in ISO 3166-1). */
static const char *const group_eu[] = {
	"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
	"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", NULL,
};

/* The European Economic Area: the EU and Iceland, Liechtenstein, Norway. */
static const char *const group_eea[] = {
	"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
	"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
	"IS", "LI", "NO", NULL,
};

const char *const *sov_zsrc_country_group(const char *name)
{
	if (!strcmp(name, "EU"))
		return group_eu;
	if (!strcmp(name, "EEA"))
		return group_eea;
	return NULL;
}

int sov_zsrc_locdb_check_country(struct zsrc_locdb *db, const char *code)
{
	struct loc_country *c = NULL;

	if (strlen(code) != 2 || !isupper((unsigned char)code[0]) ||
	    !isupper((unsigned char)code[1]))
		return -EINVAL;
	/* Not found is 0 with no country; the special codes (A1, XD...) are
	 * flags, not countries, and fail. */
	if (loc_database_get_country(db->db, &c, code) || !c)
		return -ENOENT;
	loc_country_unref(c);
	return 0;
}

int sov_zsrc_parse_asn(const char *s, uint32_t *asn)
{
	unsigned long long v = 0;
	const char *p = s;

	if ((p[0] == 'A' || p[0] == 'a') && (p[1] == 'S' || p[1] == 's'))
		p += 2;
	if (!*p || strlen(p) > 10)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*asn = v;
	return 0;
}

int sov_zsrc_locdb_check_asn(struct zsrc_locdb *db, uint32_t asn)
{
	struct loc_as *as = NULL;

	if (loc_database_get_as(db->db, &as, asn) || !as)
		return -ENOENT;
	loc_as_unref(as);
	return 0;
}

struct asn_zone {
	uint32_t asn, zone;
};

static int asn_cmp(const void *a, const void *b)
{
	const struct asn_zone *x = a, *y = b;

	return x->asn < y->asn ? -1 : x->asn > y->asn;
}

static uint32_t asn_lookup(const struct asn_zone *v, size_t n, uint32_t asn)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].asn == asn)
			return v[mid].zone;
		if (v[mid].asn < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static const char *zname(const char *const *names, uint32_t z, char *buf, size_t len)
{
	if (names)
		return names[z];
	snprintf(buf, len, "%u", z);
	return buf;
}

struct frame {
	struct in6_addr addr;
	unsigned int plen;	/* in the IPv6 space: IPv4 is ::ffff:0:0/96 */
	uint32_t cz, az;	/* what the database answers inside it, per tier */
};

static int frame_has(const struct frame *f, const struct in6_addr *a, unsigned int plen)
{
	unsigned int full = f->plen / 8, rest = f->plen % 8;

	if (plen < f->plen || memcmp(&f->addr, a, full))
		return 0;
	return !rest || ((f->addr.s6_addr[full] ^ a->s6_addr[full]) & (0xff << (8 - rest))) == 0;
}

static int tier_add(struct zsrc_lpm *t, const struct in6_addr *a, unsigned int plen,
		    enum zsrc_tier tier, uint32_t zone, size_t *count)
{
	const uint8_t *p = sov_zsrc_lpm_family(t) == AF_INET ? &a->s6_addr[12] : a->s6_addr;
	int r = sov_zsrc_lpm_add(t, p, plen, tier, zone, NULL);

	/* A network appears once in the database: EEXIST cannot happen. */
	if (!r)
		(*count)++;
	return r;
}

/* A database whose walk is not depth-first in order is refused, not misread. */
static int order_error(struct zsrc_locdb *db, struct loc_network *n, zsrc_err_fn err,
		       void *ctx)
{
	report(err, ctx, db->path, 0,
	       "failed to read location database: network %s out of tree order",
	       loc_network_str(n));
	return -EINVAL;
}

int sov_zsrc_locdb_add(struct zsrc_locdb *db, const struct zsrc_locdb_query *q,
		       const char *const *zone_names, struct zsrc_lpm *v4, struct zsrc_lpm *v6,
		       struct zsrc_locdb_stats *st, zsrc_err_fn err, void *ctx)
{
	struct loc_database_enumerator *en = NULL;
	struct asn_zone *asns = NULL;
	uint32_t cc_zone[26 * 26] = { 0 };
	struct frame stack[130], prev = { .plen = 0 };
	struct zsrc_locdb_stats s = { 0 };
	size_t n_asns = 0, depth = 0;
	struct loc_network *n = NULL;
	char b1[16], b2[16];
	int r = 0, bad = 0;

	for (size_t i = 0; i < q->n_countries; i++) {
		const char *c = q->countries[i];
		uint32_t *slot;

		if (!isupper((unsigned char)c[0]) || !isupper((unsigned char)c[1]) || c[2]) {
			report(err, ctx, NULL, 0, "bad country code \"%s\"", c);
			bad = 1;
			continue;
		}
		slot = &cc_zone[(c[0] - 'A') * 26 + (c[1] - 'A')];
		if (*slot && *slot != q->country_zone[i]) {
			report(err, ctx, NULL, 0, "country %s is in zones %s and %s", c,
			       zname(zone_names, *slot, b1, sizeof(b1)),
			       zname(zone_names, q->country_zone[i], b2, sizeof(b2)));
			bad = 1;
			continue;
		}
		*slot = q->country_zone[i];
	}
	if (q->n_asns) {
		asns = malloc(q->n_asns * sizeof(*asns));
		if (!asns) {
			r = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < q->n_asns; i++)
			asns[i] = (struct asn_zone){ q->asns[i], q->asn_zone[i] };
		qsort(asns, q->n_asns, sizeof(*asns), asn_cmp);
		for (size_t i = 0; i < q->n_asns; i++) {
			if (n_asns && asns[n_asns - 1].asn == asns[i].asn) {
				if (asns[n_asns - 1].zone != asns[i].zone) {
					report(err, ctx, NULL, 0, "AS%u is in zones %s and %s", asns[i].asn,
					       zname(zone_names, asns[n_asns - 1].zone, b1, sizeof(b1)),
					       zname(zone_names, asns[i].zone, b2, sizeof(b2)));
					bad = 1;
				}
				continue;
			}
			asns[n_asns++] = asns[i];
		}
	}
	if (bad) {
		r = -EINVAL;
		goto cleanup;
	}
	if (!q->n_countries && !n_asns)
		goto cleanup;

	r = loc_database_enumerator_new(&en, db->db, LOC_DB_ENUMERATE_NETWORKS, 0);
	if (r) {
		r = r < 0 ? r : -ENOMEM;
		report(err, ctx, db->path, -r, "failed to enumerate location database");
		goto cleanup;
	}
	/*
	 * The enumerator walks the database's tree depth-first, so a network
	 * comes after the networks that contain it and the stack holds exactly
	 * its ancestors. Order is checked, not assumed: a database that breaks
	 * it is refused rather than misread.
	 */
	for (;;) {
		const struct in6_addr *a;
		const char *cc;
		unsigned int plen, plen6;
		uint32_t cz = 0, az, pc, pa;
		struct zsrc_lpm *t;
		int v4net;

		r = loc_database_enumerator_next_network(en, &n);
		if (r) {
			r = r < 0 ? r : -EIO;
			report(err, ctx, db->path, -r, "failed to enumerate location database");
			goto cleanup;
		}
		if (!n)
			break;
		s.n_networks++;
		a = loc_network_get_first_address(n);
		plen = loc_network_prefix(n);
		v4net = loc_network_address_family(n) == AF_INET;
		plen6 = v4net ? plen + 96 : plen;
		t = v4net ? v4 : v6;
		cc = loc_network_get_country_code(n);
		if (cc && isupper((unsigned char)cc[0]) && isupper((unsigned char)cc[1]))
			cz = cc_zone[(cc[0] - 'A') * 26 + (cc[1] - 'A')];
		az = n_asns ? asn_lookup(asns, n_asns, loc_network_get_asn(n)) : 0;

		if (s.n_networks > 1) {
			int c = memcmp(&prev.addr, a, 16);

			if (c > 0 || (c == 0 && prev.plen >= plen6)) {
				r = order_error(db, n, err, ctx);
				goto cleanup;
			}
		}
		prev.addr = *a;
		prev.plen = plen6;
		while (depth && !frame_has(&stack[depth - 1], a, plen6))
			depth--;
		pc = depth ? stack[depth - 1].cz : 0;
		pa = depth ? stack[depth - 1].az : 0;
		if (t && (cz || pc)) {
			r = tier_add(t, a, plen, ZSRC_TIER_COUNTRIES, cz,
				     v4net ? &s.n_country4 : &s.n_country6);
			if (r)
				goto cleanup;
		}
		if (t && (az || pa)) {
			r = tier_add(t, a, plen, ZSRC_TIER_ASNS, az,
				     v4net ? &s.n_asn4 : &s.n_asn6);
			if (r)
				goto cleanup;
		}
		if (depth == sizeof(stack) / sizeof(stack[0])) {
			r = order_error(db, n, err, ctx);
			goto cleanup;
		}
		stack[depth++] = (struct frame){ .addr = *a, .plen = plen6, .cz = cz, .az = az };
		loc_network_unref(n);
		n = NULL;
	}
cleanup:
	if (n)
		loc_network_unref(n);
	if (en)
		loc_database_enumerator_unref(en);
	free(asns);
	if (st)
		*st = s;
	return r;
}
