/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of the policy tree against the v1 language and compilation
 * into struct sov_policy_image. Every check reports and carries on, so one
 * run lists every error; the image is only handed out when there were none.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "policy/includes.h"
#include "policy/policy.h"
#include "policy/tables.h"
#include "policy/ynode.h"
#include "policy/zsrc_policy.h"

/* Policy files larger than this are refused. */
#define POLICY_FILE_MAX	(64u << 20)

struct pctx {
	const char *file;		/* the root policy */
	struct sov_diags *d;
	unsigned int flags;
	struct sov_policy_image *img;
	struct zone_builder zb;
	struct zsrc_plan *zp;		/* countries, asns, ranges, locdb */
	uint32_t policy_src;
	int err;			/* first fatal error (-ENOMEM) */
	int too_many_zones, too_many_classes;
	char show[4][YNODE_SHOW_BUF];	/* escaped scalars for messages */
	int show_i;
};

/* A scalar fit for a one-line message (sovp_ynode_show), in a ring of buffers
 * so one message can show several. */
static const char *show(struct pctx *c, const struct ynode *n)
{
	return sovp_ynode_show(n, c->show[c->show_i++ & 3]);
}

static void verr(struct pctx *c, enum sov_diag_level lvl, const struct ynode *n,
		 const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0) {
		c->err = -ENOMEM;
		if (lvl == SOV_DIAG_ERROR)
			c->d->n_errors++;
		return;
	}
	sov_diags_add(c->d, lvl, n && n->file ? n->file : c->file, n ? n->line : 1,
		      n ? n->col : 1, "%s", msg);
	free(msg);
}

static __attribute__((format(printf, 3, 4)))
void error(struct pctx *c, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c, SOV_DIAG_ERROR, n, fmt, ap);
	va_end(ap);
}

static __attribute__((format(printf, 3, 4)))
void warning(struct pctx *c, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c, SOV_DIAG_WARNING, n, fmt, ap);
	va_end(ap);
}

static size_t distance(const char *a, size_t la, const char *b)
{
	return sovp_ynode_distance(a, la, b);
}

static const char *closest(const struct ynode *n, const char *const *cands, size_t nc)
{
	return sovp_ynode_closest(n, cands, nc);
}

struct keyspec {
	const char *name;
	struct ynode *key, *val;
};

/*
 * Assigns the values of mapping m to the known keys in ks; any other key
 * is an error naming it (and the close match, if there is one).
 */
static void map_fields(struct pctx *c, const struct ynode *m, const char *where,
		       struct keyspec *ks, size_t nks)
{
	const char *names[16];
	size_t i, j;

	for (j = 0; j < nks && j < 16; j++)
		names[j] = ks[j].name;
	for (i = 0; i + 1 < m->n; i += 2) {
		struct ynode *k = m->kids[i];
		const char *hint;

		if (k->dup)
			continue;
		for (j = 0; j < nks; j++) {
			if (sovp_ynode_eq(k, ks[j].name)) {
				ks[j].key = k;
				ks[j].val = m->kids[i + 1];
				break;
			}
		}
		if (j < nks)
			continue;
		hint = closest(k, names, nks < 16 ? nks : 16);
		if (hint)
			error(c, k, "unknown key '%s' %s (did you mean '%s'?)",
			      show(c, k), where, hint);
		else
			error(c, k, "unknown key '%s' %s", show(c, k), where);
	}
}

static int name_ok(const struct ynode *n)
{
	size_t i;

	if (n->kind != YN_SCALAR || n->len < 1 || n->len >= SOV_POLICY_NAME_MAX)
		return 0;
	for (i = 0; i < n->len; i++) {
		char ch = n->str[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			continue;
		if (i > 0 && (ch == '.' || ch == '_' || ch == '-'))
			continue;
		return 0;
	}
	return 1;
}

/* Returns 1 when the name may be used (valid and not reserved). */
static int check_name(struct pctx *c, const struct ynode *k, const char *what)
{
	if (sovp_ynode_eq(k, "unknown") || sovp_ynode_eq(k, "any")) {
		error(c, k, "%s name '%s' is reserved", what, k->str);
		return 0;
	}
	if (!name_ok(k)) {
		error(c, k, "invalid %s name '%s': names match [a-z0-9][a-z0-9._-]{0,62}",
		      what, show(c, k));
		return 0;
	}
	return 1;
}

static int want(struct pctx *c, const struct ynode *v, enum ynode_kind kind,
		const char *what)
{
	static const char *const kinds[] = { "a scalar", "a list", "a mapping" };

	if (v->kind == kind && !(kind == YN_SCALAR && sovp_ynode_is_null(v)))
		return 1;
	error(c, v, "%s must be %s, not %s", what, kinds[kind], sovp_ynode_what(v));
	return 0;
}

static int is_abs_path(const struct ynode *n)
{
	return n->kind == YN_SCALAR && n->len > 0 && n->str[0] == '/' &&
	       strlen(n->str) == n->len && n->len < PATH_MAX;
}

static void parse_version(struct pctx *c, const struct ynode *root,
			  const struct keyspec *k)
{
	if (!k->val) {
		error(c, root, "missing required key 'version' (this build reads version 1)");
		return;
	}
	if (!want(c, k->val, YN_SCALAR, "'version'"))
		return;
	if (!sovp_ynode_eq(k->val, "1"))
		error(c, k->val, "unsupported policy version '%s' (this build reads version 1)",
		      show(c, k->val));
}

static void parse_mode(struct pctx *c, const struct keyspec *k)
{
	c->img->mode = SOV_POLICY_ENFORCE;
	if (!k->val || !want(c, k->val, YN_SCALAR, "'mode'"))
		return;
	if (sovp_ynode_eq(k->val, "audit"))
		c->img->mode = SOV_POLICY_AUDIT;
	else if (!sovp_ynode_eq(k->val, "enforce"))
		error(c, k->val, "mode must be 'enforce' or 'audit', not '%s'",
		      show(c, k->val));
}

static int add_string(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void parse_scope(struct pctx *c, const struct keyspec *k)
{
	struct keyspec ks[] = { { .name = "cgroups" } };
	struct ynode *l;
	size_t i;

	if (k->val) {
		if (!want(c, k->val, YN_MAP, "'scope'"))
			return;
		map_fields(c, k->val, "in scope", ks, 1);
	}
	l = ks[0].val;
	if (!l) {
		if (add_string(&c->img->scope_cgroups, &c->img->n_scope, "/"))
			c->err = -ENOMEM;
		return;
	}
	if (!want(c, l, YN_SEQ, "'scope.cgroups'"))
		return;
	if (l->n == 0)
		error(c, l, "'scope.cgroups' is empty; leave it out to cover the whole host");
	for (i = 0; i < l->n; i++) {
		struct ynode *p = l->kids[i];

		if (!want(c, p, YN_SCALAR, "a cgroup"))
			continue;
		if (!is_abs_path(p)) {
			error(c, p, "cgroup '%s' is not an absolute path (e.g. / or /gpu.slice)",
			      show(c, p));
			continue;
		}
		if (add_string(&c->img->scope_cgroups, &c->img->n_scope, p->str))
			c->err = -ENOMEM;
	}
}

/* The zone builder's source id of the file a node was read from. */
static uint32_t node_src(struct pctx *c, const struct ynode *n)
{
	int src;

	if (!n->file || !strcmp(n->file, c->file))
		return c->policy_src;
	src = sovp_zb_source(&c->zb, n->file);
	if (src < 0) {
		c->err = src;
		return c->policy_src;
	}
	return (uint32_t)src;
}

static void zone_cidrs(struct pctx *c, uint32_t id, int registered,
		       const struct ynode *l)
{
	size_t i;

	if (!want(c, l, YN_SEQ, "'cidrs'"))
		return;
	for (i = 0; i < l->n; i++) {
		const struct ynode *p = l->kids[i];
		struct sov_prefix pfx;
		char why[160];

		if (!want(c, p, YN_SCALAR, "a prefix"))
			continue;
		if (sovp_prefix_parse(p->str, p->len, &pfx, why, sizeof(why))) {
			error(c, p, "invalid prefix '%s': %s", show(c, p), why);
			continue;
		}
		/* Destinations there are judged by their IPv4 address or as
		 * unknown (sov/addr.h), never by an IPv6 prefix. */
		if (pfx.family == 6 && pfx.plen >= 32 &&
		    !memcmp(pfx.addr, "\x00\x64\xff\x9b", 4))
			warning(c, p, "prefix '%s' never decides: NAT64 addresses (64:ff9b::/32) are judged by their IPv4 address or as unknown (docs/policy.md)",
				show(c, p));
		else if (pfx.family == 6 && pfx.plen >= 16 && !memcmp(pfx.addr, "\x20\x02", 2))
			warning(c, p, "prefix '%s' never decides: 6to4 addresses (2002::/16) are judged by their IPv4 address (docs/policy.md)",
				show(c, p));
		if (registered && sovp_zb_add(&c->zb, &pfx, id, ZB_PRIO_EXPLICIT,
					      node_src(c, p), p->line, p->col))
			c->err = -ENOMEM;
	}
}

static void zone_files(struct pctx *c, uint32_t id, int registered,
		       const struct ynode *l)
{
	size_t i;
	int err;

	if (!want(c, l, YN_SEQ, "'files'"))
		return;
	for (i = 0; i < l->n; i++) {
		const struct ynode *p = l->kids[i];

		if (!want(c, p, YN_SCALAR, "a zone file"))
			continue;
		if (!is_abs_path(p)) {
			error(c, p, "zone file '%s' is not an absolute path", show(c, p));
			continue;
		}
		if (c->flags & SOV_POLICY_F_NO_FS) {
			error(c, p, "zone file '%s' not read (no file access)", show(c, p));
			continue;
		}
		if (!registered)
			continue;
		err = sovp_zb_read_zone_file(&c->zb, p->str, id, ZB_PRIO_EXPLICIT, c->d,
					     p->file ? p->file : c->file, p->line, p->col);
		if (err)
			c->err = err;
	}
}

static void parse_zone(struct pctx *c, const struct ynode *k, const struct ynode *v,
		       uint32_t id, int registered)
{
	struct keyspec ks[] = {
		{ .name = "cidrs" }, { .name = "files" },
		{ .name = "countries" }, { .name = "asns" }, { .name = "ranges" },
	};
	size_t before = c->zb.n4 + c->zb.n6 + sov_zsrc_plan_n_items(c->zp);
	size_t errors = c->d->n_errors;
	char where[SOV_POLICY_NAME_MAX + 16];

	if (v->kind != YN_MAP) {
		if (sovp_ynode_is_null(v))
			error(c, k, "zone '%s' has no prefixes: give 'cidrs' or 'files' (or 'countries', 'asns', 'ranges')",
			      show(c, k));
		else
			error(c, v, "zone '%s' must be a mapping, not %s", show(c, k),
			      sovp_ynode_what(v));
		return;
	}
	snprintf(where, sizeof(where), "in zone '%s'", show(c, k));
	map_fields(c, v, where, ks, sizeof(ks) / sizeof(ks[0]));
	if (!ks[0].key && !ks[1].key && !ks[2].key && !ks[3].key && !ks[4].key) {
		error(c, k, "zone '%s' has no prefixes: give 'cidrs' or 'files' (or 'countries', 'asns', 'ranges')",
		      show(c, k));
		return;
	}
	if (ks[0].val)
		zone_cidrs(c, id, registered, ks[0].val);
	if (ks[1].val)
		zone_files(c, id, registered, ks[1].val);
	/* Zone 0: checked, not recorded (the zone did not register). */
	if (ks[2].val && sov_zsrc_plan_countries(c->zp, registered ? id : 0, ks[2].val))
		c->err = -ENOMEM;
	if (ks[3].val && sov_zsrc_plan_asns(c->zp, registered ? id : 0, ks[3].val))
		c->err = -ENOMEM;
	if (ks[4].val && sov_zsrc_plan_ranges(c->zp, registered ? id : 0, ks[4].val,
					      !!(c->flags & SOV_POLICY_F_NO_FS)))
		c->err = -ENOMEM;
	if (registered && errors == c->d->n_errors &&
	    before == c->zb.n4 + c->zb.n6 + sov_zsrc_plan_n_items(c->zp))
		warning(c, k, "zone '%s' has no prefixes", show(c, k));
}

static void parse_zones(struct pctx *c, const struct keyspec *k)
{
	struct sov_policy_image *img = c->img;
	const struct ynode *m = k->val;
	size_t i;

	img->zones = calloc(1 + (m && m->kind == YN_MAP ? m->n / 2 : 0),
			    sizeof(*img->zones));
	if (!img->zones) {
		c->err = -ENOMEM;
		return;
	}
	strcpy(img->zones[0].name, "unknown");
	img->zones[0].id = SOV_POLICY_ZONE_UNKNOWN;
	img->n_zones = 1;
	if (!m || !want(c, m, YN_MAP, "'zones'"))
		return;
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *zk = m->kids[i], *zv = m->kids[i + 1];
		int registered = 0;
		uint32_t id = 0;

		if (zk->dup)
			continue;
		if (check_name(c, zk, "zone")) {
			if (img->n_zones < SOV_POLICY_MAX_ZONES) {
				id = (uint32_t)img->n_zones++;
				img->zones[id].id = id;
				memcpy(img->zones[id].name, zk->str, zk->len);
				registered = 1;
			} else if (!c->too_many_zones++) {
				error(c, zk, "too many zones (at most %d)",
				      SOV_POLICY_MAX_ZONES - 1);
			}
		}
		parse_zone(c, zk, zv, id, registered);
	}
}

static int find_zone(const struct sov_policy_image *img, const struct ynode *n)
{
	size_t i;

	for (i = 0; i < img->n_zones; i++)
		if (sovp_ynode_eq(n, img->zones[i].name))
			return (int)i;
	return -1;
}

static const char *closest_zone(const struct sov_policy_image *img, const struct ynode *n)
{
	const char *best = NULL;
	size_t bd = 3, i;

	for (i = 1; i < img->n_zones; i++) {
		size_t dd = distance(n->str, n->len, img->zones[i].name);

		if (dd < bd && dd < strlen(img->zones[i].name)) {
			bd = dd;
			best = img->zones[i].name;
		}
	}
	return best;
}

static void class_paths(struct pctx *c, struct sov_img_class *cl,
			const struct ynode *ck, const struct ynode *l)
{
	struct stat st;
	size_t i;

	if (!l) {
		error(c, ck, "class '%s' needs 'paths' (the files or directories it labels)",
		      show(c, ck));
		return;
	}
	if (!want(c, l, YN_SEQ, "'paths'"))
		return;
	if (l->n == 0)
		error(c, l, "'paths' of class '%s' is empty", show(c, ck));
	for (i = 0; i < l->n; i++) {
		const struct ynode *p = l->kids[i];

		if (!want(c, p, YN_SCALAR, "a path"))
			continue;
		if (!is_abs_path(p)) {
			error(c, p, "path '%s' is not absolute", show(c, p));
			continue;
		}
		if (!(c->flags & (SOV_POLICY_F_NO_FS | SOV_POLICY_F_OFFLINE)) && stat(p->str, &st)) {
			if (errno == ENOENT)
				warning(c, p, "path '%s' does not exist (yet)", show(c, p));
			else
				warning(c, p, "failed to check path '%s': %s", show(c, p),
					strerror(errno));
		}
		if (add_string(&cl->paths, &cl->n_paths, p->str))
			c->err = -ENOMEM;
	}
}

static void class_allow(struct pctx *c, struct sov_img_class *cl,
			const struct ynode *ck, const struct ynode *l)
{
	uint8_t *seen = NULL;
	size_t i;

	if (!l) {
		error(c, ck, "class '%s' needs 'allow' (the zones it may reach; [any] for all, [] for none)",
		      show(c, ck));
		return;
	}
	if (!want(c, l, YN_SEQ, "'allow'"))
		return;
	seen = calloc(c->img->n_zones, 1);
	cl->allow_zones = calloc(l->n ? l->n : 1, sizeof(*cl->allow_zones));
	if (!seen || !cl->allow_zones) {
		c->err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < l->n; i++) {
		const struct ynode *z = l->kids[i];
		const char *hint;
		int id;

		if (!want(c, z, YN_SCALAR, "a zone name"))
			continue;
		if (sovp_ynode_eq(z, "any")) {
			if (cl->allow_any)
				warning(c, z, "'any' is listed twice");
			cl->allow_any = 1;
			continue;
		}
		id = find_zone(c->img, z);
		if (id < 0) {
			hint = closest_zone(c->img, z);
			if (hint)
				error(c, z, "unknown zone '%s' in 'allow' of class '%s' (did you mean '%s'?)",
				      show(c, z), show(c, ck), hint);
			else
				error(c, z, "unknown zone '%s' in 'allow' of class '%s'",
				      show(c, z), show(c, ck));
			continue;
		}
		if (seen[id]) {
			warning(c, z, "zone '%s' is listed twice", show(c, z));
			continue;
		}
		seen[id] = 1;
		cl->allow_zones[cl->n_allow++] = (uint32_t)id;
	}
	if (cl->allow_any && cl->n_allow)
		warning(c, l, "'any' already allows every zone; the other names are redundant");
cleanup:
	free(seen);
}

/* `channels:` names, by channel number (the events' names, docs/events.md). */
static const char *const channel_names[SOV_POLICY_CHAN_MAX] = {
	[SOV_POLICY_CHAN_RAW] = "raw", [SOV_POLICY_CHAN_PING] = "ping",
	[SOV_POLICY_CHAN_PACKET] = "packet", [SOV_POLICY_CHAN_XDP] = "xdp",
	[SOV_POLICY_CHAN_OTHER] = "other", [SOV_POLICY_CHAN_RDMA] = "rdma",
};

const char *sov_policy_channel_name(uint32_t ch)
{
	return ch < SOV_POLICY_CHAN_MAX ? channel_names[ch] : NULL;
}

/* An event's proto that is not a channel's name: the channel it belongs to. */
static const char *channel_of_proto(const struct ynode *n)
{
	static const char *const map[][2] = {
		{ "icmp", "ping" }, { "icmpv6", "ping" }, { "sctp", "other" },
		{ "udplite", "other" }, { "mptcp", "other" },
		{ "vsock", "other" }, { "tipc", "other" }, { "rds", "other" },
		{ "smc", "other" }, { "kcm", "other" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sovp_ynode_eq(n, map[i][0]))
			return map[i][1];
	return NULL;
}

/*
 * channels: {raw: deny, ping: allow, ...}: the channels that cannot be
 * judged by destination which this class allows. Every channel not named
 * is denied.
 */
static void class_channels(struct pctx *c, struct sov_img_class *cl,
			   const struct ynode *ck, const struct ynode *m)
{
	const char *names[SOV_POLICY_CHAN_MAX - 1];
	size_t i;

	if (!want(c, m, YN_MAP, "'channels'"))
		return;
	for (i = 1; i < SOV_POLICY_CHAN_MAX; i++)
		names[i - 1] = channel_names[i];
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		const char *hint;
		uint32_t ch;

		if (k->dup)
			continue;
		for (ch = 1; ch < SOV_POLICY_CHAN_MAX; ch++)
			if (sovp_ynode_eq(k, channel_names[ch]))
				break;
		if (ch == SOV_POLICY_CHAN_MAX) {
			if ((hint = channel_of_proto(k)))
				error(c, k, "unknown channel '%s' in 'channels' of class '%s': %s sockets are the '%s' channel",
				      show(c, k), show(c, ck), show(c, k), hint);
			else if ((hint = closest(k, names, SOV_POLICY_CHAN_MAX - 1)))
				error(c, k, "unknown channel '%s' in 'channels' of class '%s' (did you mean '%s'?)",
				      show(c, k), show(c, ck), hint);
			else
				error(c, k, "unknown channel '%s' in 'channels' of class '%s' (channels: raw, ping, packet, xdp, other, rdma)",
				      show(c, k), show(c, ck));
			continue;
		}
		if (v->kind != YN_SCALAR || sovp_ynode_is_null(v)) {
			error(c, v, "channel '%s' must be 'allow' or 'deny', not %s",
			      channel_names[ch], sovp_ynode_what(v));
			continue;
		}
		if (sovp_ynode_eq(v, "allow"))
			cl->channels |= 1u << ch;
		else if (!sovp_ynode_eq(v, "deny"))
			error(c, v, "channel '%s' must be 'allow' or 'deny', not '%s'",
			      channel_names[ch], show(c, v));
	}
}

static void parse_class(struct pctx *c, struct sov_img_class *cl,
			const struct ynode *ck, const struct ynode *v)
{
	struct keyspec ks[] = {
		{ .name = "paths" }, { .name = "allow" },
		{ .name = "action" }, { .name = "derive" }, { .name = "channels" },
	};
	char where[SOV_POLICY_NAME_MAX + 16];

	cl->action = c->img->mode == SOV_POLICY_AUDIT ? SOV_ACTION_AUDIT : SOV_ACTION_BLOCK;
	cl->derive = 1;
	if (v->kind != YN_MAP) {
		if (sovp_ynode_is_null(v))
			error(c, ck, "class '%s' needs 'paths' and 'allow'", show(c, ck));
		else
			error(c, v, "class '%s' must be a mapping, not %s", show(c, ck),
			      sovp_ynode_what(v));
		return;
	}
	snprintf(where, sizeof(where), "in class '%s'", show(c, ck));
	map_fields(c, v, where, ks, sizeof(ks) / sizeof(ks[0]));
	class_paths(c, cl, ck, ks[0].val);
	class_allow(c, cl, ck, ks[1].val);
	if (ks[2].val && want(c, ks[2].val, YN_SCALAR, "'action'")) {
		if (sovp_ynode_eq(ks[2].val, "block"))
			cl->action = SOV_ACTION_BLOCK;
		else if (sovp_ynode_eq(ks[2].val, "audit"))
			cl->action = SOV_ACTION_AUDIT;
		else
			error(c, ks[2].val, "action must be 'block' or 'audit', not '%s'",
			      show(c, ks[2].val));
	}
	if (ks[3].val && want(c, ks[3].val, YN_SCALAR, "'derive'")) {
		if (sovp_ynode_eq(ks[3].val, "true"))
			cl->derive = 1;
		else if (sovp_ynode_eq(ks[3].val, "false"))
			cl->derive = 0;
		else
			error(c, ks[3].val, "derive must be true or false, not '%s'",
			      show(c, ks[3].val));
	}
	if (ks[4].val)
		class_channels(c, cl, ck, ks[4].val);
}

static void parse_classes(struct pctx *c, const struct keyspec *k)
{
	struct sov_policy_image *img = c->img;
	const struct ynode *m = k->val;
	size_t i;

	if (!m || !want(c, m, YN_MAP, "'classes'"))
		return;
	img->classes = calloc(SOV_POLICY_MAX_CLASSES, sizeof(*img->classes));
	if (!img->classes) {
		c->err = -ENOMEM;
		return;
	}
	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ynode *ck = m->kids[i], *cv = m->kids[i + 1];
		struct sov_img_class *cl;

		if (ck->dup)
			continue;
		if (img->n_classes == SOV_POLICY_MAX_CLASSES) {
			if (!c->too_many_classes++)
				error(c, ck, "too many classes (at most %d)",
				      SOV_POLICY_MAX_CLASSES);
			continue;
		}
		cl = &img->classes[img->n_classes];
		cl->bit = (uint32_t)img->n_classes++;
		if (check_name(c, ck, "class"))
			memcpy(cl->name, ck->str, ck->len);
		parse_class(c, cl, ck, cv);
	}
}

/* Per-zone allowed masks and the class masks the kernel reads. */
static int build_masks(struct sov_policy_image *img)
{
	size_t i, j;

	img->zone_allowed = calloc(img->n_zones, sizeof(*img->zone_allowed));
	if (!img->zone_allowed)
		return -ENOMEM;
	for (i = 0; i < img->n_classes; i++) {
		const struct sov_img_class *cl = &img->classes[i];
		uint64_t bit = 1ull << cl->bit;

		if (cl->action == SOV_ACTION_BLOCK)
			img->block_classes |= bit;
		if (cl->derive)
			img->derive_classes |= bit;
		for (j = 1; j < SOV_POLICY_CHAN_MAX; j++)
			if (cl->channels & (1u << j))
				img->chan_allowed[j] |= bit;
		if (cl->allow_any) {
			for (j = 0; j < img->n_zones; j++)
				img->zone_allowed[j] |= bit;
			continue;
		}
		for (j = 0; j < cl->n_allow; j++)
			img->zone_allowed[cl->allow_zones[j]] |= bit;
	}
	return 0;
}

/*
 * Lints (issue 16): policies that compile but probably do not say what
 * their author meant. Warnings; `sovctl policy check --strict` makes them
 * errors. They run on the tree after the classes are parsed.
 */

/* Directories of the operating system: labelling one taints nearly every
 * process of the host. */
static const char *const system_dirs[] = {
	"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64",
	"/libx32", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp",
	"/usr", "/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/local",
	"/usr/sbin", "/usr/share", "/var", "/var/lib", "/var/log", "/var/tmp",
};

/* p without repeated and trailing slashes ("/" stays "/"), into buf. */
static const char *lint_norm(const char *p, char *buf, size_t len)
{
	size_t o = 0;

	for (; *p && o + 1 < len; p++) {
		if (*p == '/' && o && buf[o - 1] == '/')
			continue;
		buf[o++] = *p;
	}
	if (o > 1 && buf[o - 1] == '/')
		o--;
	buf[o] = 0;
	return buf;
}

/* 1 when b is a or lies below it (component-wise), both normalised. */
static int lint_below(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (!strcmp(a, "/"))
		return 1;
	return !strncmp(a, b, n) && (b[n] == 0 || b[n] == '/');
}

struct lint_path {
	const struct ynode *node;
	const struct ynode *ck;		/* the class's key */
	size_t cls;
	char norm[PATH_MAX];
};

static void lint_paths(struct pctx *c, const struct ynode *classes)
{
	struct lint_path *v = NULL;
	size_t n = 0, cap = 0, i, j, k, cls = 0;

	for (i = 0; i + 1 < classes->n; i += 2, cls++) {
		const struct ynode *ck = classes->kids[i], *cv = classes->kids[i + 1];
		const struct ynode *l = NULL;

		if (ck->dup || cv->kind != YN_MAP)
			continue;
		for (j = 0; j + 1 < cv->n; j += 2)
			if (sovp_ynode_eq(cv->kids[j], "paths") && !cv->kids[j]->dup)
				l = cv->kids[j + 1];
		if (!l || l->kind != YN_SEQ)
			continue;
		for (j = 0; j < l->n; j++) {
			const struct ynode *p = l->kids[j];

			if (p->kind != YN_SCALAR || !p->len || p->str[0] != '/' ||
			    p->len >= PATH_MAX)
				continue;
			if (n == cap) {
				struct lint_path *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

				if (!nv) {
					c->err = -ENOMEM;
					goto out;
				}
				v = nv;
			}
			v[n].node = p;
			v[n].ck = ck;
			v[n].cls = cls;
			lint_norm(p->str, v[n].norm, sizeof(v[n].norm));
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(system_dirs) / sizeof(system_dirs[0]); k++)
			if (!strcmp(v[i].norm, system_dirs[k]))
				break;
		if (k < sizeof(system_dirs) / sizeof(system_dirs[0]))
			warning(c, v[i].node, "class '%s' labels '%s', a system directory: every process that reads a file there becomes tainted",
				show(c, v[i].ck), show(c, v[i].node));
		for (j = 0; j < i; j++) {
			if (v[j].cls == v[i].cls)
				continue;
			if (!strcmp(v[i].norm, v[j].norm))
				warning(c, v[i].node, "path '%s' is labelled by classes '%s' and '%s' (%s:%d:%d): its files get both",
					show(c, v[i].node), show(c, v[j].ck), show(c, v[i].ck),
					v[j].node->file ? v[j].node->file : c->file,
					v[j].node->line, v[j].node->col);
			else if (lint_below(v[j].norm, v[i].norm) || lint_below(v[i].norm, v[j].norm)) {
				const struct lint_path *in = lint_below(v[j].norm, v[i].norm) ? &v[i] : &v[j];
				const struct lint_path *out = in == &v[i] ? &v[j] : &v[i];

				warning(c, v[i].node, "path '%s' of class '%s' is inside '%s' of class '%s' (%s:%d:%d): files there get both classes",
					show(c, in->node), show(c, in->ck), show(c, out->node),
					show(c, out->ck), out->node->file ? out->node->file : c->file,
					out->node->line, out->node->col);
			}
		}
	}
out:
	free(v);
}

/* Zones no class allows (and no class allows 'any'); a class that allows
 * 'any' but says 'action: block'. */
static void lint_zones(struct pctx *c, const struct ynode *zones, const struct ynode *classes)
{
	const struct sov_policy_image *img = c->img;
	size_t i, j;

	for (i = 0; classes && i + 1 < classes->n; i += 2) {
		const struct ynode *ck = classes->kids[i], *cv = classes->kids[i + 1];

		if (ck->dup || cv->kind != YN_MAP)
			continue;
		for (j = 0; j < img->n_classes; j++)
			if (!strcmp(img->classes[j].name, ck->str))
				break;
		if (j == img->n_classes || !img->classes[j].allow_any)
			continue;
		for (size_t k = 0; k + 1 < cv->n; k += 2)
			if (sovp_ynode_eq(cv->kids[k], "action") &&
			    sovp_ynode_eq(cv->kids[k + 1], "block"))
				warning(c, cv->kids[k + 1], "class '%s' allows any zone: 'action: block' never refuses a destination (only channels the class does not allow)",
					show(c, ck));
	}
	if (!zones || zones->kind != YN_MAP || !img->n_classes)
		return;
	for (j = 0; j < img->n_classes; j++)
		if (img->classes[j].allow_any)
			return;
	for (i = 0; i + 1 < zones->n; i += 2) {
		const struct ynode *zk = zones->kids[i];
		int id = zk->dup ? -1 : find_zone(img, zk), used = 0;

		if (id <= 0)
			continue;
		for (j = 0; j < img->n_classes && !used; j++)
			for (size_t k = 0; k < img->classes[j].n_allow; k++)
				if (img->classes[j].allow_zones[k] == (uint32_t)id)
					used = 1;
		if (!used)
			warning(c, zk, "zone '%s' is allowed by no class: it only names destinations in events (tainted processes are refused there as in no zone)",
				show(c, zk));
	}
}

static int compile_tree(struct pctx *c, const struct ynode *root)
{
	struct keyspec ks[] = {
		{ .name = "version" }, { .name = "mode" }, { .name = "scope" },
		{ .name = "zones" }, { .name = "classes" }, { .name = "locdb" },
		{ .name = "include" },	/* read by sovp_doc_load() */
	};

	if (!root || sovp_ynode_is_null(root)) {
		error(c, root, "policy is empty (expected a mapping starting with 'version: 1')");
		return 0;
	}
	if (root->kind != YN_MAP) {
		error(c, root, "policy must be a mapping, not %s", sovp_ynode_what(root));
		return 0;
	}
	map_fields(c, root, "at top level", ks, sizeof(ks) / sizeof(ks[0]));
	parse_version(c, root, &ks[0]);
	parse_mode(c, &ks[1]);
	parse_scope(c, &ks[2]);
	if (ks[5].val && sov_zsrc_plan_locdb(c->zp, ks[5].val))
		c->err = -ENOMEM;
	parse_zones(c, &ks[3]);
	parse_classes(c, &ks[4]);
	if (ks[4].val && ks[4].val->kind == YN_MAP)
		lint_paths(c, ks[4].val);
	lint_zones(c, ks[3].val, ks[4].val && ks[4].val->kind == YN_MAP ? ks[4].val : NULL);
	return c->err;
}

void sov_policy_free(struct sov_policy_image *img)
{
	size_t i, j;

	if (!img)
		return;
	free(img->path);
	for (i = 0; i < img->n_includes; i++)
		free(img->includes[i]);
	free(img->includes);
	for (i = 0; i < img->n_scope; i++)
		free(img->scope_cgroups[i]);
	free(img->scope_cgroups);
	free(img->zones);
	if (img->classes) {
		for (i = 0; i < SOV_POLICY_MAX_CLASSES; i++) {
			struct sov_img_class *cl = &img->classes[i];

			for (j = 0; j < cl->n_paths; j++)
				free(cl->paths[j]);
			free(cl->paths);
			free(cl->allow_zones);
		}
	}
	free(img->classes);
	free(img->v4);
	free(img->v6);
	free(img->zone_allowed);
	for (i = 0; i < img->n_sources; i++) {
		free(img->sources[i].kind);
		free(img->sources[i].file);
		free(img->sources[i].version);
	}
	free(img->sources);
	free(img->locdb_path);
	sovp_lpm_free(img->lpm);
	free(img);
}

/*
 * The policy's SHA-256: of the file's bytes, or for a policy that includes
 * others, of the SHA-256 digests of its files one after the other in load
 * order (the root first). Also the names of the included files.
 */
static int hash_policy(struct sov_policy_image *img, const struct sovp_doc *doc)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int mdlen = 0;
	size_t k;
	int i;

	if (doc->n_files == 1) {
		memcpy(img->sha256, doc->digest[0], 32);
	} else if (!EVP_Digest(doc->digest, doc->n_files * 32, img->sha256, &mdlen,
			       EVP_sha256(), NULL) || mdlen != sizeof(img->sha256)) {
		return -EIO;
	}
	if (doc->n_files > 1) {
		img->includes = calloc(doc->n_files - 1, sizeof(*img->includes));
		if (!img->includes)
			return -ENOMEM;
		for (k = 1; k < doc->n_files; k++) {
			img->includes[k - 1] = strdup(doc->files[k]);
			if (!img->includes[k - 1])
				return -ENOMEM;
			img->n_includes = k;
		}
	}
	for (i = 0; i < 32; i++) {
		img->sha256_hex[2 * i] = hex[img->sha256[i] >> 4];
		img->sha256_hex[2 * i + 1] = hex[img->sha256[i] & 15];
	}
	img->sha256_hex[64] = '\0';
	return 0;
}

struct diag_key {
	struct sov_diag g;
	size_t file_rank, idx;
};

static int diag_cmp(const void *a, const void *b)
{
	const struct diag_key *x = a, *y = b;

	if (x->file_rank != y->file_rank)
		return x->file_rank < y->file_rank ? -1 : 1;
	if (x->g.line != y->g.line)
		return x->g.line < y->g.line ? -1 : 1;
	if (x->g.column != y->g.column)
		return x->g.column < y->g.column ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Diagnostics are found section by section; they are shown in file order
 * (the policy first, then the files it includes in load order, then other
 * files in the order they were named).
 */
static void sort_diags(struct sov_diags *d, size_t from, const char *policy,
		       const struct sovp_doc *doc)
{
	size_t n = d->n - from, i, j;
	struct diag_key *k;

	if (n < 2)
		return;
	k = calloc(n, sizeof(*k));
	if (!k)
		return;
	for (i = 0; i < n; i++) {
		const char *f = d->v[from + i].file;

		k[i].g = d->v[from + i];
		k[i].idx = i;
		if (!f || !strcmp(f, policy)) {
			k[i].file_rank = 0;
			continue;
		}
		for (j = 1; j < doc->n_files; j++)
			if (!strcmp(f, doc->files[j]))
				break;
		if (j < doc->n_files) {
			k[i].file_rank = j;
			continue;
		}
		k[i].file_rank = doc->n_files + i + 1;
		for (j = 0; j < i; j++) {
			if (k[j].g.file && !strcmp(k[j].g.file, f)) {
				k[i].file_rank = k[j].file_rank;
				break;
			}
		}
	}
	qsort(k, n, sizeof(*k), diag_cmp);
	for (i = 0; i < n; i++)
		d->v[from + i] = k[i].g;
	free(k);
}

int sov_policy_compile_buffer(const char *name, const void *buf, size_t len,
			      const struct sov_policy_opts *opts,
			      struct sov_policy_image **out, struct sov_diags *d)
{
	struct pctx c = { .file = name, .d = d };
	struct sovp_doc doc = { 0 };
	size_t errors = d->n_errors, first_diag = d->n;
	int err, src;

	*out = NULL;
	c.flags = opts ? opts->flags : 0;
	sovp_zb_init(&c.zb);
	c.img = calloc(1, sizeof(*c.img));
	c.zp = sov_zsrc_plan_new(name, d);
	c.zb.plan = c.zp;
	if (!c.img || !c.zp) {
		err = -ENOMEM;
		goto cleanup;
	}
	c.img->path = strdup(name);
	if (!c.img->path) {
		err = -ENOMEM;
		goto cleanup;
	}
	src = sovp_zb_source(&c.zb, name);
	if (src < 0) {
		err = src;
		goto cleanup;
	}
	c.policy_src = (uint32_t)src;
	err = sovp_doc_load(&doc, name, buf, len, c.flags, d);
	if (err)
		goto cleanup;
	err = hash_policy(c.img, &doc);
	if (err)
		goto cleanup;
	err = compile_tree(&c, doc.root);
	if (err)
		goto cleanup;
	/* The data behind countries, asns and ranges: read even when the
	 * policy has errors already, so one run reports them all. */
	err = sov_zsrc_plan_resolve(c.zp, opts, c.img);
	if (err)
		goto cleanup;
	err = sovp_zb_finish(&c.zb, c.img, d, d->n_errors == errors);
	if (err)
		goto cleanup;
	if (d->n_errors != errors) {
		err = -EINVAL;
		goto cleanup;
	}
	err = build_masks(c.img);
	if (err)
		goto cleanup;
	*out = c.img;
	c.img = NULL;
cleanup:
	sort_diags(d, first_diag, name, &doc);
	/* The plan and the builder hold positions in doc's files: doc last. */
	sovp_zb_free(&c.zb);
	sov_zsrc_plan_free(c.zp);
	sov_policy_free(c.img);
	sovp_doc_free(&doc);
	return err;
}

int sov_policy_compile_file(const char *path, const struct sov_policy_opts *opts,
			    struct sov_policy_image **out, struct sov_diags *d)
{
	const char *why = "";
	char *buf = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	err = sovp_read_file(path, POLICY_FILE_MAX, &buf, &len, &why);
	if (err == -EFBIG)
		sov_diags_add(d, SOV_DIAG_ERROR, path, 0, 0,
			      "failed to read policy: larger than %u bytes", POLICY_FILE_MAX);
	else if (err == -EINVAL)
		sov_diags_add(d, SOV_DIAG_ERROR, path, 0, 0, "failed to read policy: %s", why);
	else if (err)
		sov_diags_add(d, SOV_DIAG_ERROR, path, 0, 0, "failed to %s policy: %s", why,
			      strerror(-err));
	if (err)
		return err;
	err = sov_policy_compile_buffer(path, buf, len, opts, out, d);
	free(buf);
	return err;
}
