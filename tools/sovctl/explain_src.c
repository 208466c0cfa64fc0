// SPDX-License-Identifier: Apache-2.0
/*
 * `sovctl policy explain --dst`: where an address's zone comes from beyond
 * the policy's own cidrs. For every zone of the policy it names the zone
 * file lines, the range file entries (with their region) and the location
 * database network (with its country and AS) that hold the address, each
 * with the policy line that brought that source in and the source's
 * version. The compiled image only keeps the merged LPM entries, so this
 * reads the sources again, through the same parsers the compiler uses
 * (policy/tables.c for zone files, policy/zsrc_ranges.c, policy/
 * zsrc_locdb.c).
 *
 * Calls: libsovpolicy. Called by cmd_ptest.c (explain_run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "policy/tables.h"
#include "policy/ynode.h"
#include "policy/zsrc.h"
#include "tools/sovctl/explain_src.h"

static const struct ynode *get(const struct ynode *m, const char *key)
{
	if (!m || m->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (sovp_ynode_eq(m->kids[i], key))
			return m->kids[i + 1];
	return NULL;
}

static int scalar(const struct ynode *n)
{
	return n && n->kind == YN_SCALAR && strlen(n->str) == n->len;
}

/* 1 when the prefix (family 4/6, addr, plen) holds a (a full-length prefix). */
static int holds(int family, const uint8_t *addr, unsigned plen, const struct sov_prefix *a)
{
	if (family != a->family || plen > (family == 4 ? 32u : 128u))
		return 0;
	for (unsigned k = 0; k < plen; k++)
		if ((a->addr[k / 8] ^ addr[k / 8]) & (0x80 >> (k % 8)))
			return 0;
	return 1;
}

static const char *pfx(int family, const uint8_t *addr, unsigned plen, char *buf, size_t len)
{
	struct sov_prefix p = { .family = (uint8_t)family, .plen = (uint8_t)plen };

	memcpy(p.addr, addr, family == 4 ? 4 : 16);
	return sovp_prefix_format(&p, buf, len);
}

static int zone_files(const char *zone, const struct ynode *files,
		      const struct sov_prefix *a)
{
	int found = 0;

	for (size_t k = 0; files && files->kind == YN_SEQ && k < files->n; k++) {
		const struct ynode *f = files->kids[k];
		struct zone_builder zb;
		struct sov_diags d;
		char ps[PREFIX_STR_MAX];

		if (!scalar(f))
			continue;
		sovp_zb_init(&zb);
		sov_diags_init(&d);
		if (!sovp_zb_read_zone_file(&zb, f->str, 1, ZB_PRIO_EXPLICIT, &d, f->file, f->line,
					    f->col)) {
			const struct zb_entry *v = a->family == 4 ? zb.v4 : zb.v6;
			size_t n = a->family == 4 ? zb.n4 : zb.n6;

			for (size_t i = 0; i < n; i++) {
				if (!holds(a->family, v[i].addr, v[i].plen, a))
					continue;
				printf("  %s:%u:%u zone file of zone '%s' (%s:%d:%d): %s holds it\n",
				       f->str, v[i].line, v[i].col, zone, f->file, f->line, f->col,
				       pfx(a->family, v[i].addr, v[i].plen, ps, sizeof(ps)));
				found = 1;
			}
		}
		sov_diags_free(&d);
		sovp_zb_free(&zb);
	}
	return found;
}

static int range_files(const char *zone, const struct ynode *ranges,
		       const struct sov_prefix *a)
{
	int found = 0;

	for (size_t k = 0; ranges && ranges->kind == YN_SEQ && k < ranges->n; k++) {
		const struct ynode *r = ranges->kids[k], *file = get(r, "file"),
				   *format = get(r, "format"), *regions = get(r, "regions");
		enum zsrc_range_format fmt;
		struct zsrc_range_file *rf = NULL;
		char ps[PREFIX_STR_MAX];

		size_t shown[16], n_shown = 0, dup;

		if (!scalar(file) || !scalar(format) || sov_zsrc_range_format_parse(format->str, &fmt) ||
		    sov_zsrc_range_load(file->str, fmt, &rf, NULL, NULL))
			continue;
		for (size_t i = 0; i < rf->n_prefixes; i++) {
			const struct zsrc_range_prefix *p = &rf->prefixes[i];
			int fam = p->family == AF_INET ? 4 : 6;
			const char *region = p->region < rf->n_regions ? rf->regions[p->region] : "";
			const struct ynode *glob = NULL;

			if (!holds(fam, p->addr, p->plen, a))
				continue;
			/* a file lists a prefix once per service: show it once
			 * per region */
			for (dup = 0; dup < n_shown; dup++) {
				const struct zsrc_range_prefix *q = &rf->prefixes[shown[dup]];

				if (q->plen == p->plen && q->region == p->region &&
				    !memcmp(q->addr, p->addr, sizeof(q->addr)))
					break;
			}
			if (dup < n_shown)
				continue;
			if (n_shown < 16)
				shown[n_shown++] = i;
			for (size_t g = 0; regions && regions->kind == YN_SEQ && g < regions->n && !glob; g++)
				if (scalar(regions->kids[g]) &&
				    sov_zsrc_region_match(regions->kids[g]->str, region))
					glob = regions->kids[g];
			if (glob)
				printf("  %s (%s, %s) range of zone '%s': %s, region '%s', selected by '%s' (%s:%d:%d): holds it\n",
				       rf->path, sov_zsrc_range_format_name(fmt),
				       rf->version ? rf->version : "no version", zone,
				       pfx(fam, p->addr, p->plen, ps, sizeof(ps)), region, glob->str,
				       glob->file, glob->line, glob->col);
			else
				printf("  %s (%s) range file of zone '%s' (%s:%d:%d): %s, region '%s', holds it but no region glob of the zone selects it\n",
				       rf->path, sov_zsrc_range_format_name(fmt), zone, r->file, r->line,
				       r->col, pfx(fam, p->addr, p->plen, ps, sizeof(ps)), region);
			found = 1;
		}
		sov_zsrc_range_free(rf);
	}
	return found;
}

/* 1 when the policy's countries list l names cc (directly or in a group). */
static const struct ynode *lists_country(const struct ynode *l, const char *cc)
{
	for (size_t k = 0; l && l->kind == YN_SEQ && k < l->n; k++) {
		const struct ynode *n = l->kids[k];
		const char *const *grp;

		if (!scalar(n))
			continue;
		if (!strcasecmp(n->str, cc))
			return n;
		grp = sov_zsrc_country_group(n->str);
		for (; grp && *grp; grp++)
			if (!strcmp(*grp, cc))
				return n;
	}
	return NULL;
}

static const struct ynode *lists_asn(const struct ynode *l, uint32_t asn)
{
	for (size_t k = 0; l && l->kind == YN_SEQ && k < l->n; k++) {
		uint32_t v;

		if (scalar(l->kids[k]) && !sov_zsrc_parse_asn(l->kids[k]->str, &v) && v == asn)
			return l->kids[k];
	}
	return NULL;
}

static int locdb(const struct sov_policy_image *img, const struct ynode *zones,
		 const char *locdb_path, const struct sov_prefix *a)
{
	struct zsrc_locdb_info info;
	struct zsrc_locdb *db;
	char net[64], cc[3];
	uint32_t asn = 0;
	int r, found = 0;

	if (!locdb_path)
		locdb_path = img->locdb_path;
	db = sov_zsrc_locdb_open(locdb_path, NULL, NULL);
	if (!db) {
		printf("  location database %s: cannot be read, its answer is not shown\n",
		       locdb_path ? locdb_path : ZSRC_LOCDB_DEFAULT);
		return 0;
	}
	sov_zsrc_locdb_get_info(db, &info);
	r = sov_zsrc_locdb_lookup(db, a->family == 4 ? AF_INET : AF_INET6, a->addr, net,
				  sizeof(net), cc, &asn);
	if (r) {
		printf("  location database %s (%s): no network holds it\n", sov_zsrc_locdb_path(db),
		       info.version);
		sov_zsrc_locdb_close(db);
		return 0;
	}
	printf("  location database %s (%s): network %s, country %s, ", sov_zsrc_locdb_path(db),
	       info.version, net, cc[0] ? cc : "none");
	if (asn)
		printf("AS%u\n", asn);
	else
		printf("no AS\n");
	for (size_t i = 0; zones && zones->kind == YN_MAP && i + 1 < zones->n; i += 2) {
		const struct ynode *zv = zones->kids[i + 1], *n;

		if ((n = lists_asn(get(zv, "asns"), asn))) {
			printf("  %s:%d:%d asns of zone '%s': %s holds it (AS%u)\n", n->file, n->line,
			       n->col, zones->kids[i]->str, n->str, asn);
			found = 1;
		}
		if (cc[0] && (n = lists_country(get(zv, "countries"), cc))) {
			printf("  %s:%d:%d countries of zone '%s': %s holds it (%s)\n", n->file,
			       n->line, n->col, zones->kids[i]->str, n->str, cc);
			found = 1;
		}
	}
	sov_zsrc_locdb_close(db);
	return found;
}

void explain_zone_sources(const struct sov_policy_image *img, const struct ynode *zones, const char *locdb_path,
			  const struct sov_prefix *a)
{
	int geo = 0, found = 0;

	for (size_t i = 0; zones && zones->kind == YN_MAP && i + 1 < zones->n; i += 2) {
		const struct ynode *zv = zones->kids[i + 1];
		const char *zone = zones->kids[i]->str;

		found |= zone_files(zone, get(zv, "files"), a);
		found |= range_files(zone, get(zv, "ranges"), a);
		if (get(zv, "countries") || get(zv, "asns"))
			geo = 1;
	}
	if (geo)
		found |= locdb(img, zones, locdb_path, a);
	if (found)
		printf("  precedence: cidrs and files, then ranges, then asns, then countries; the longest prefix within each (docs/zones.md)\n");
}
