/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovctl policy diff OLD NEW: what a new policy changes, from the two
 * compiled images (what sovd would write into the kernel's maps): mode,
 * classes (zones each may reach, action, derive, paths, channels), zones,
 * and the LPM entries added, removed or moved between zones. Calls:
 * libsovpolicy. Called by main.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "tools/sovctl/sovctl.h"

static int pdiff_run(int argc, char **argv);

enum { OPT_LIMIT = SOVCTL_LONG_ONLY, OPT_PD_LOCDB };

static const struct sovctl_opt pdiff_opts[] = {
	{ "limit", OPT_LIMIT, "N", "list at most N prefixes of each kind\n(default 20; 0: all)", 0 },
	{ "locdb", OPT_PD_LOCDB, "PATH", "IP location database (default: each policy's locdb:)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_policy_diff_cmd = {
	.name = "policy diff",
	.operands = "OLD NEW",
	.about = "Show what policy NEW changes against OLD, as the kernel's tables see it.",
	.notes = "Exits 0 when the two compile to the same decisions, 1 when they differ, 2 on\n"
		 "an invalid policy.\n",
	.opts = pdiff_opts,
	.run = pdiff_run,
};

struct diff {
	const struct sov_policy_image *a, *b;
	size_t limit;
	int changed;
};

static void head(struct diff *D, const char *what)
{
	if (!D->changed)
		printf("--- %s\n+++ %s\n", D->a->path, D->b->path);
	D->changed = 1;
	printf("%s\n", what);
}

static const struct sov_img_class *class_named(const struct sov_policy_image *img,
					       const char *name)
{
	for (size_t i = 0; i < img->n_classes; i++)
		if (!strcmp(img->classes[i].name, name))
			return &img->classes[i];
	return NULL;
}

static int zone_named(const struct sov_policy_image *img, const char *name)
{
	for (size_t i = 0; i < img->n_zones; i++)
		if (!strcmp(img->zones[i].name, name))
			return (int)i;
	return -1;
}

/* Does class cl reach zone z (by name) in img? */
static int reaches(const struct sov_policy_image *img, const struct sov_img_class *cl,
		   const char *zone)
{
	int z = zone_named(img, zone);

	if (cl->allow_any)
		return 1;
	if (z < 0)
		return 0;
	return !!(img->zone_allowed[z] & (1ull << cl->bit));
}

static int has_path(const struct sov_img_class *cl, const char *p)
{
	for (size_t i = 0; i < cl->n_paths; i++)
		if (!strcmp(cl->paths[i], p))
			return 1;
	return 0;
}

static void diff_zones(struct diff *D)
{
	for (size_t i = 1; i < D->a->n_zones; i++)
		if (zone_named(D->b, D->a->zones[i].name) < 0) {
			char l[160];

			snprintf(l, sizeof(l), "- zone %s", D->a->zones[i].name);
			head(D, l);
		}
	for (size_t i = 1; i < D->b->n_zones; i++)
		if (zone_named(D->a, D->b->zones[i].name) < 0) {
			char l[160];

			snprintf(l, sizeof(l), "+ zone %s", D->b->zones[i].name);
			head(D, l);
		}
}

/* Zones named by either policy (and "unknown"), for the allow lists. */
static void diff_class(struct diff *D, const struct sov_img_class *ca,
		       const struct sov_img_class *cb)
{
	char l[512];
	const struct sov_policy_image *imgs[2] = { D->a, D->b };

	if (ca->action != cb->action) {
		snprintf(l, sizeof(l), "~ class %s: action %s -> %s", ca->name,
			 ca->action == SOV_ACTION_BLOCK ? "block" : "audit",
			 cb->action == SOV_ACTION_BLOCK ? "block" : "audit");
		head(D, l);
	}
	if (ca->derive != cb->derive) {
		snprintf(l, sizeof(l), "~ class %s: derive %s -> %s", ca->name,
			 ca->derive ? "true" : "false", cb->derive ? "true" : "false");
		head(D, l);
	}
	for (int s = 0; s < 2; s++) {
		const struct sov_policy_image *img = imgs[s];

		for (size_t z = 0; z < img->n_zones; z++) {
			const char *name = img->zones[z].name;
			int ra = reaches(D->a, ca, name), rb = reaches(D->b, cb, name);

			/* each zone once: from NEW unless only OLD names it */
			if (s == 0 && zone_named(D->b, name) >= 0)
				continue;
			if (ra == rb)
				continue;
			snprintf(l, sizeof(l), "%c class %s may reach zone %s", rb ? '+' : '-',
				 ca->name, name);
			head(D, l);
		}
	}
	for (size_t p = 0; p < ca->n_paths; p++)
		if (!has_path(cb, ca->paths[p])) {
			snprintf(l, sizeof(l), "- class %s labels %s", ca->name, ca->paths[p]);
			head(D, l);
		}
	for (size_t p = 0; p < cb->n_paths; p++)
		if (!has_path(ca, cb->paths[p])) {
			snprintf(l, sizeof(l), "+ class %s labels %s", ca->name, cb->paths[p]);
			head(D, l);
		}
	for (uint32_t ch = 1; ch < SOV_POLICY_CHAN_MAX; ch++) {
		int a = !!(ca->channels & (1u << ch)), b = !!(cb->channels & (1u << ch));

		if (a != b) {
			snprintf(l, sizeof(l), "%c class %s may use channel %s", b ? '+' : '-',
				 ca->name, sov_policy_channel_name(ch));
			head(D, l);
		}
	}
}

/* "+ class c: labels P...; may reach Z...; action A" */
static void new_class(struct diff *D, const struct sov_img_class *cl)
{
	char l[1024];
	size_t o;

	o = (size_t)snprintf(l, sizeof(l), "+ class %s: labels", cl->name);
	for (size_t p = 0; p < cl->n_paths && o < sizeof(l); p++)
		o += (size_t)snprintf(l + o, sizeof(l) - o, "%s%s", p ? ", " : " ", cl->paths[p]);
	if (o < sizeof(l))
		o += (size_t)snprintf(l + o, sizeof(l) - o, "; may reach%s", cl->allow_any ? " any" :
				      cl->n_allow ? "" : " nothing");
	for (size_t z = 0; !cl->allow_any && z < cl->n_allow && o < sizeof(l); z++)
		o += (size_t)snprintf(l + o, sizeof(l) - o, "%s%s", z ? ", " : " ",
				      sov_policy_zone_name(D->b, cl->allow_zones[z]));
	if (o < sizeof(l))
		snprintf(l + o, sizeof(l) - o, "; action %s",
			 cl->action == SOV_ACTION_BLOCK ? "block" : "audit");
	head(D, l);
}

static void diff_classes(struct diff *D)
{
	char l[160];

	for (size_t i = 0; i < D->a->n_classes; i++) {
		const struct sov_img_class *cb = class_named(D->b, D->a->classes[i].name);

		if (!cb) {
			snprintf(l, sizeof(l), "- class %s", D->a->classes[i].name);
			head(D, l);
		} else {
			diff_class(D, &D->a->classes[i], cb);
		}
	}
	for (size_t i = 0; i < D->b->n_classes; i++)
		if (!class_named(D->a, D->b->classes[i].name))
			new_class(D, &D->b->classes[i]);
}

struct pfx {
	int family;
	const uint8_t *addr;
	uint8_t plen;
	const char *zone;
};

static void pfx_str(const struct pfx *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->plen);
}

/* The LPM entries of one family, merge-walked in (addr, plen) order. */
static void diff_prefixes(struct diff *D, int family)
{
	size_t na = family == AF_INET ? D->a->n_v4 : D->a->n_v6;
	size_t nb = family == AF_INET ? D->b->n_v4 : D->b->n_v6;
	size_t alen = family == AF_INET ? 4 : 16, i = 0, j = 0;
	size_t added = 0, removed = 0, moved = 0, shown[3] = { 0 };
	char l[256], s[64];

	while (i < na || j < nb) {
		struct pfx pa = { .family = family }, pb = { .family = family };
		int c;

		if (i < na) {
			if (family == AF_INET) {
				pa.addr = D->a->v4[i].addr;
				pa.plen = D->a->v4[i].plen;
				pa.zone = sov_policy_zone_name(D->a, D->a->v4[i].zone);
			} else {
				pa.addr = D->a->v6[i].addr;
				pa.plen = D->a->v6[i].plen;
				pa.zone = sov_policy_zone_name(D->a, D->a->v6[i].zone);
			}
		}
		if (j < nb) {
			if (family == AF_INET) {
				pb.addr = D->b->v4[j].addr;
				pb.plen = D->b->v4[j].plen;
				pb.zone = sov_policy_zone_name(D->b, D->b->v4[j].zone);
			} else {
				pb.addr = D->b->v6[j].addr;
				pb.plen = D->b->v6[j].plen;
				pb.zone = sov_policy_zone_name(D->b, D->b->v6[j].zone);
			}
		}
		if (i >= na)
			c = 1;
		else if (j >= nb)
			c = -1;
		else {
			c = memcmp(pa.addr, pb.addr, alen);
			if (!c)
				c = (int)pa.plen - (int)pb.plen;
		}
		if (c < 0) {
			removed++;
			if (!D->limit || shown[0]++ < D->limit) {
				pfx_str(&pa, s, sizeof(s));
				snprintf(l, sizeof(l), "- prefix %s (zone %s)", s, pa.zone);
				head(D, l);
			}
			i++;
		} else if (c > 0) {
			added++;
			if (!D->limit || shown[1]++ < D->limit) {
				pfx_str(&pb, s, sizeof(s));
				snprintf(l, sizeof(l), "+ prefix %s (zone %s)", s, pb.zone);
				head(D, l);
			}
			j++;
		} else {
			if (strcmp(pa.zone, pb.zone)) {
				moved++;
				if (!D->limit || shown[2]++ < D->limit) {
					pfx_str(&pa, s, sizeof(s));
					snprintf(l, sizeof(l), "~ prefix %s: zone %s -> %s", s, pa.zone,
						 pb.zone);
					head(D, l);
				}
			}
			i++;
			j++;
		}
	}
	if (added || removed || moved) {
		snprintf(l, sizeof(l), "# %s LPM entries: %zu -> %zu (%zu added, %zu removed, %zu moved between zones%s)",
			 family == AF_INET ? "IPv4" : "IPv6", na, nb, added, removed, moved,
			 D->limit && (added > D->limit || removed > D->limit || moved > D->limit)
				 ? "; --limit 0 lists them all" : "");
		head(D, l);
	}
}

static int compile(const char *path, const struct sov_policy_opts *po,
		   struct sov_policy_image **img)
{
	struct sov_diags d;

	sov_diags_init(&d);
	sov_policy_compile_file(path, po, img, &d);
	if (!*img) {
		sov_diags_print(&d, stderr);
		fprintf(stderr, "%s: invalid policy (%zu error%s)\n", path, d.n_errors,
			d.n_errors == 1 ? "" : "s");
	}
	sov_diags_free(&d);
	return *img ? 0 : -1;
}

int sovctl_policy_diff_files(const char *old, const char *new, const char *locdb,
			     size_t limit)
{
	struct sov_policy_opts po = { .flags = SOV_POLICY_F_OFFLINE, .locdb_path = locdb };
	struct sov_policy_image *a = NULL, *b = NULL;
	struct diff D = { .limit = limit };
	int ret;

	if (compile(old, &po, &a) || compile(new, &po, &b)) {
		sov_policy_free(a);
		return SOVCTL_USAGE;
	}
	D.a = a;
	D.b = b;
	if (a->mode != b->mode) {
		char l[64];

		snprintf(l, sizeof(l), "~ mode %s -> %s", a->mode == SOV_POLICY_AUDIT ? "audit" : "enforce",
			 b->mode == SOV_POLICY_AUDIT ? "audit" : "enforce");
		head(&D, l);
	}
	for (size_t i = 0; i < a->n_scope + b->n_scope; i++) {
		const struct sov_policy_image *x = i < a->n_scope ? a : b, *y = x == a ? b : a;
		const char *cg = x->scope_cgroups[x == a ? i : i - a->n_scope];
		size_t k;
		char l[512];

		for (k = 0; k < y->n_scope && strcmp(y->scope_cgroups[k], cg); k++)
			;
		if (k < y->n_scope)
			continue;
		snprintf(l, sizeof(l), "%c scope cgroup %s", x == a ? '-' : '+', cg);
		head(&D, l);
	}
	diff_zones(&D);
	diff_classes(&D);
	diff_prefixes(&D, AF_INET);
	diff_prefixes(&D, AF_INET6);
	ret = D.changed ? SOVCTL_BAD : SOVCTL_OK;
	if (!D.changed)
		printf("%s and %s make the same decisions\n", a->path, b->path);
	sov_policy_free(a);
	sov_policy_free(b);
	return ret;
}

static int pdiff_run(int argc, char **argv)
{
	const char *locdb = NULL;
	struct sovctl_getopt g;
	size_t limit = 20;
	int c;

	sovctl_getopt_init(&g, &sovctl_policy_diff_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		char *end;

		switch (c) {
		case OPT_LIMIT:
			limit = strtoul(g.arg, &end, 10);
			if (!*g.arg || *end || g.arg[0] == '-')
				return sovctl_usage_error(&sovctl_policy_diff_cmd,
							  "--limit takes a number");
			break;
		case OPT_PD_LOCDB:
			locdb = g.arg;
			break;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (argc - optind != 2)
		return sovctl_usage_error(&sovctl_policy_diff_cmd, "takes OLD and NEW");
	return sovctl_policy_diff_files(argv[optind], argv[optind + 1], locdb, limit);
}
