// SPDX-License-Identifier: Apache-2.0
/*
 * Cloud provider range files in their published formats: AWS ip-ranges.json,
 * Google Cloud cloud.json, Azure Service Tags and Oracle
 * public_ip_ranges.json. Each becomes a flat list of (prefix, region) plus
 * the file's own version (sync token, change number or timestamp), which is
 * evidence of the data a compiled policy was built from.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/zsrc.h"

static const char *const fmt_names[ZSRC_FMT_N] = {
	[ZSRC_FMT_AWS] = "aws",
	[ZSRC_FMT_GCP] = "gcp",
	[ZSRC_FMT_AZURE] = "azure",
	[ZSRC_FMT_ORACLE] = "oracle",
};

int sov_zsrc_range_format_parse(const char *name, enum zsrc_range_format *fmt)
{
	for (int i = 0; i < ZSRC_FMT_N; i++)
		if (!strcmp(name, fmt_names[i])) {
			*fmt = i;
			return 0;
		}
	if (!strcmp(name, "google")) {
		*fmt = ZSRC_FMT_GCP;
		return 0;
	}
	if (!strcmp(name, "oci")) {
		*fmt = ZSRC_FMT_ORACLE;
		return 0;
	}
	return -EINVAL;
}

const char *sov_zsrc_range_format_name(enum zsrc_range_format fmt)
{
	return (unsigned int)fmt < ZSRC_FMT_N ? fmt_names[fmt] : "?";
}

/* Global/anycast region names: "GLOBAL", "global" and "" (no region). */
static int zsrc_region_is_global(const char *region)
{
	return !strcmp(region, "GLOBAL") || !strcmp(region, "global") || !*region;
}

int sov_zsrc_region_match(const char *glob, const char *region)
{
	if (zsrc_region_is_global(region))
		return !strcmp(glob, region);
	return fnmatch(glob, region, 0) == 0;
}

struct loader {
	const char *path;
	const char *buf;
	size_t len;
	zsrc_err_fn err;
	void *ctx;
	struct zsrc_range_file *rf;
	size_t cap_prefixes, cap_regions;
	uint32_t last_region;	/* cache: entries of one region come in runs */
	int n_errors;
};

/* 1-based line and column of byte offset off. */
static void offset_pos(const char *buf, size_t len, size_t off, int *line, int *col)
{
	int l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

__attribute__((format(printf, 3, 4)))
static void lerr(struct loader *ld, long off, const char *fmt, ...)
{
	char msg[512];
	int line = 0, col = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (off >= 0)
		offset_pos(ld->buf, ld->len, off, &line, &col);
	if (ld->err)
		ld->err(ld->ctx, ld->path, line, col, msg);
	ld->n_errors++;
}

/* Where the JSON string s first appears in the file, or -1: json-c keeps no
 * positions, and a value quoted verbatim is where a reader will look. */
static long find_string(const struct loader *ld, const char *s)
{
	size_t n = strlen(s);

	if (!n || n + 2 > ld->len)
		return -1;
	for (const char *p = ld->buf; (p = memchr(p, '"', ld->len - (p - ld->buf))); p++) {
		if ((size_t)(p - ld->buf) + n + 2 > ld->len)
			break;
		if (!memcmp(p + 1, s, n) && p[n + 1] == '"')
			return p - ld->buf + 1;
	}
	return -1;
}

static int parse_prefix(const char *s, uint8_t *family, uint8_t addr[16], uint8_t *plen)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned long len;
	size_t hl;
	char *end;
	int max;

	if (!slash || slash == s)
		return -EINVAL;
	hl = slash - s;
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, host, addr) == 1) {
		*family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		*family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || *end || len > (unsigned long)max)
		return -EINVAL;
	*plen = len;
	return 0;
}

static long region_index(struct loader *ld, const char *name)
{
	struct zsrc_range_file *rf = ld->rf;
	char *dup;

	if (ld->last_region < rf->n_regions && !strcmp(rf->regions[ld->last_region], name))
		return ld->last_region;
	for (size_t i = 0; i < rf->n_regions; i++)
		if (!strcmp(rf->regions[i], name))
			return ld->last_region = i;
	if (rf->n_regions == ld->cap_regions) {
		size_t cap = ld->cap_regions ? ld->cap_regions * 2 : 32;
		char **nr = realloc(rf->regions, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		rf->regions = nr;
		ld->cap_regions = cap;
	}
	dup = strdup(name);
	if (!dup)
		return -ENOMEM;
	rf->regions[rf->n_regions] = dup;
	return ld->last_region = rf->n_regions++;
}

/*
 * One prefix string of the file. what names where it sits for the message
 * ("prefixes[3].ip_prefix"); want is the family its key promises, or 0.
 * Content errors are reported and counted, not returned: all of them are
 * found in one run.
 */
static int add_prefix(struct loader *ld, const char *what, struct json_object *jp,
		      int want, const char *region)
{
	struct zsrc_range_file *rf = ld->rf;
	struct zsrc_range_prefix *p;
	const char *s;
	long ri;

	if (!json_object_is_type(jp, json_type_string)) {
		lerr(ld, -1, "%s: expected a prefix string", what);
		return 0;
	}
	s = json_object_get_string(jp);
	if (rf->n_prefixes == ld->cap_prefixes) {
		size_t cap = ld->cap_prefixes ? ld->cap_prefixes * 2 : 1024;
		struct zsrc_range_prefix *np = realloc(rf->prefixes, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		rf->prefixes = np;
		ld->cap_prefixes = cap;
	}
	p = &rf->prefixes[rf->n_prefixes];
	if (parse_prefix(s, &p->family, p->addr, &p->plen)) {
		lerr(ld, find_string(ld, s), "%s: bad prefix \"%s\"", what, s);
		return 0;
	}
	if (want && p->family != want) {
		lerr(ld, find_string(ld, s), "%s: \"%s\" is not an %s prefix", what, s,
		     want == AF_INET ? "IPv4" : "IPv6");
		return 0;
	}
	ri = region_index(ld, region);
	if (ri < 0)
		return ri;
	p->region = ri;
	rf->n_prefixes++;
	return 0;
}

static struct json_object *get(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* A required top-level string or number, as text for the version. */
static const char *need_scalar(struct loader *ld, struct json_object *root, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(root, key, &v) &&
	    (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int)))
		return json_object_get_string(v);
	lerr(ld, -1, "missing \"%s\": the %s format has it and the file's version is evidence",
	     key, fmt_names[ld->rf->format]);
	return NULL;
}

static struct json_object *need_array(struct loader *ld, struct json_object *o,
				      const char *key, const char *where)
{
	struct json_object *v = get(o, key, json_type_array);

	if (!v)
		lerr(ld, -1, "%s: missing array \"%s\"", where, key);
	return v;
}

static const char *opt_string(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static int set_version(struct loader *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int set_version(struct loader *ld, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&ld->rf->version, fmt, ap);
	va_end(ap);
	if (r < 0) {
		ld->rf->version = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* AWS: prefixes[].ip_prefix and ipv6_prefixes[].ipv6_prefix, with region. */
static int load_aws(struct loader *ld, struct json_object *root)
{
	static const struct { const char *arr, *key; int fam; } parts[] = {
		{ "prefixes", "ip_prefix", AF_INET },
		{ "ipv6_prefixes", "ipv6_prefix", AF_INET6 },
	};
	const char *sync = need_scalar(ld, root, "syncToken");
	const char *date = need_scalar(ld, root, "createDate");
	int err;

	if (sync && date && (err = set_version(ld, "syncToken=%s createDate=%s", sync, date)))
		return err;
	for (size_t k = 0; k < 2; k++) {
		struct json_object *arr = k == 0 ? need_array(ld, root, parts[k].arr, "top level")
						 : get(root, parts[k].arr, json_type_array);

		for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
			struct json_object *e = json_object_array_get_idx(arr, i), *jp;
			const char *region = opt_string(e, "region");
			char what[96];

			snprintf(what, sizeof(what), "%s[%zu].%s", parts[k].arr, i, parts[k].key);
			if (!json_object_object_get_ex(e, parts[k].key, &jp) || !region) {
				lerr(ld, -1, "%s[%zu]: expected an object with \"%s\" and \"region\"",
				     parts[k].arr, i, parts[k].key);
				continue;
			}
			err = add_prefix(ld, what, jp, parts[k].fam, region);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Google Cloud: prefixes[].ipv4Prefix or .ipv6Prefix, with scope. */
static int load_gcp(struct loader *ld, struct json_object *root)
{
	const char *sync = need_scalar(ld, root, "syncToken");
	const char *ctime = need_scalar(ld, root, "creationTime");
	struct json_object *arr = need_array(ld, root, "prefixes", "top level");
	int err;

	if (sync && ctime && (err = set_version(ld, "syncToken=%s creationTime=%s", sync, ctime)))
		return err;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *jp;
		const char *scope = opt_string(e, "scope");
		char what[96];
		int fam = AF_INET;

		if (!json_object_object_get_ex(e, "ipv4Prefix", &jp)) {
			fam = AF_INET6;
			if (!json_object_object_get_ex(e, "ipv6Prefix", &jp))
				jp = NULL;
		}
		if (!jp || !scope) {
			lerr(ld, -1, "prefixes[%zu]: expected an object with \"ipv4Prefix\" or \"ipv6Prefix\" and \"scope\"",
			     i);
			continue;
		}
		snprintf(what, sizeof(what), "prefixes[%zu].%s", i,
			 fam == AF_INET ? "ipv4Prefix" : "ipv6Prefix");
		err = add_prefix(ld, what, jp, fam, scope);
		if (err)
			return err;
	}
	return 0;
}

/* Azure Service Tags: values[].properties.{region, addressPrefixes[]}. */
static int load_azure(struct loader *ld, struct json_object *root)
{
	const char *change = need_scalar(ld, root, "changeNumber");
	const char *cloud = need_scalar(ld, root, "cloud");
	struct json_object *arr = need_array(ld, root, "values", "top level");
	int err;

	if (change && cloud && (err = set_version(ld, "changeNumber=%s cloud=%s", change, cloud)))
		return err;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct json_object *props = get(e, "properties", json_type_object);
		struct json_object *ap = props ? get(props, "addressPrefixes", json_type_array) : NULL;
		const char *region = props ? opt_string(props, "region") : NULL;

		if (!ap || !region) {
			lerr(ld, -1, "values[%zu]: expected \"properties\" with \"region\" and \"addressPrefixes\"",
			     i);
			continue;
		}
		for (size_t j = 0; j < json_object_array_length(ap); j++) {
			char what[96];

			snprintf(what, sizeof(what), "values[%zu].properties.addressPrefixes[%zu]", i, j);
			err = add_prefix(ld, what, json_object_array_get_idx(ap, j), 0, region);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Oracle: regions[].{region, cidrs[].cidr}. */
static int load_oracle(struct loader *ld, struct json_object *root)
{
	const char *ts = need_scalar(ld, root, "last_updated_timestamp");
	struct json_object *arr = need_array(ld, root, "regions", "top level");
	int err;

	if (ts && (err = set_version(ld, "last_updated_timestamp=%s", ts)))
		return err;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct json_object *cidrs = get(e, "cidrs", json_type_array);
		const char *region = opt_string(e, "region");

		if (!cidrs || !region) {
			lerr(ld, -1, "regions[%zu]: expected an object with \"region\" and \"cidrs\"", i);
			continue;
		}
		for (size_t j = 0; j < json_object_array_length(cidrs); j++) {
			struct json_object *c = json_object_array_get_idx(cidrs, j), *jp;
			char what[96];

			snprintf(what, sizeof(what), "regions[%zu].cidrs[%zu].cidr", i, j);
			if (!json_object_object_get_ex(c, "cidr", &jp) ||
			    !json_object_is_type(c, json_type_object)) {
				lerr(ld, -1, "regions[%zu].cidrs[%zu]: expected an object with \"cidr\"", i, j);
				continue;
			}
			err = add_prefix(ld, what, jp, 0, region);
			if (err)
				return err;
		}
	}
	return 0;
}

static int read_all(const char *path, char **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *b = NULL, *nb;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (;;) {
		size_t r;

		if (!b || n == cap) {
			cap = b ? cap * 2 : cap;
			nb = realloc(b, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				goto cleanup;
			}
			b = nb;
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f))
				err = -EIO;
			break;
		}
	}
	b[n] = 0;
cleanup:
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

void sov_zsrc_range_free(struct zsrc_range_file *rf)
{
	if (!rf)
		return;
	for (size_t i = 0; i < rf->n_regions; i++)
		free(rf->regions[i]);
	free(rf->regions);
	free(rf->prefixes);
	free(rf->version);
	free(rf->path);
	free(rf);
}

int sov_zsrc_range_load(const char *path, enum zsrc_range_format fmt,
			struct zsrc_range_file **out, zsrc_err_fn err, void *ctx)
{
	static int (*const loaders[ZSRC_FMT_N])(struct loader *, struct json_object *) = {
		[ZSRC_FMT_AWS] = load_aws,
		[ZSRC_FMT_GCP] = load_gcp,
		[ZSRC_FMT_AZURE] = load_azure,
		[ZSRC_FMT_ORACLE] = load_oracle,
	};
	struct loader ld = { .path = path, .err = err, .ctx = ctx };
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL;
	char *buf = NULL;
	size_t len = 0, end;
	int r;

	*out = NULL;
	if ((unsigned int)fmt >= ZSRC_FMT_N)
		return -EINVAL;
	r = read_all(path, &buf, &len);
	if (r) {
		char msg[256];

		snprintf(msg, sizeof(msg), "failed to read %s range file: %s",
			 fmt_names[fmt], strerror(-r));
		if (err)
			err(ctx, path, 0, 0, msg);
		return r;
	}
	ld.buf = buf;
	ld.len = len;
	ld.rf = calloc(1, sizeof(*ld.rf));
	tok = json_tokener_new();
	if (!ld.rf || !tok || !(ld.rf->path = strdup(path))) {
		r = -ENOMEM;
		goto cleanup;
	}
	ld.rf->format = fmt;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, len);
	end = json_tokener_get_parse_end(tok);
	if (!root) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		/* A file cut short is "continue" to json-c: name it for what it is. */
		lerr(&ld, end, "failed to parse %s range file: %s", fmt_names[fmt],
		     je == json_tokener_continue ? "unexpected end of file"
						 : json_tokener_error_desc(je));
		r = -EINVAL;
		goto cleanup;
	}
	while (end < len && strchr(" \t\r\n", buf[end]))
		end++;
	if (end < len) {
		lerr(&ld, end, "failed to parse %s range file: data after the JSON document",
		     fmt_names[fmt]);
		r = -EINVAL;
		goto cleanup;
	}
	if (!json_object_is_type(root, json_type_object)) {
		lerr(&ld, 0, "not a %s range file: the top level is not a JSON object",
		     fmt_names[fmt]);
		r = -EINVAL;
		goto cleanup;
	}
	r = loaders[fmt](&ld, root);
	if (!r && ld.n_errors)
		r = -EINVAL;
	if (!r && !ld.rf->n_prefixes) {
		lerr(&ld, -1, "no prefixes: not a %s range file?", fmt_names[fmt]);
		r = -EINVAL;
	}
cleanup:
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	free(buf);
	if (r) {
		sov_zsrc_range_free(ld.rf);
		return r;
	}
	*out = ld.rf;
	return 0;
}

long sov_zsrc_range_add(const struct zsrc_range_file *rf, const char *const *globs,
			size_t n_globs, uint32_t zone, const char *const *zone_names,
			struct zsrc_lpm *v4, struct zsrc_lpm *v6, zsrc_err_fn err, void *ctx)
{
	uint8_t *selected;
	long added = 0;
	int r = 0;

	selected = calloc(rf->n_regions ? rf->n_regions : 1, 1);
	if (!selected)
		return -ENOMEM;
	for (size_t i = 0; i < rf->n_regions; i++)
		for (size_t g = 0; g < n_globs && !selected[i]; g++)
			selected[i] = sov_zsrc_region_match(globs[g], rf->regions[i]);
	for (size_t i = 0; i < rf->n_prefixes; i++) {
		const struct zsrc_range_prefix *p = &rf->prefixes[i];
		struct zsrc_lpm *t = p->family == AF_INET ? v4 : v6;
		uint32_t other = 0;
		int e;

		if (!selected[p->region] || !t)
			continue;
		e = sov_zsrc_lpm_add(t, p->addr, p->plen, ZSRC_TIER_RANGES, zone, &other);
		if (e == -EEXIST) {
			char a[INET6_ADDRSTRLEN], msg[512];

			inet_ntop(p->family, p->addr, a, sizeof(a));
			if (zone_names)
				snprintf(msg, sizeof(msg),
					 "%s/%u (region %s) is in the ranges of zones %s and %s",
					 a, p->plen, rf->regions[p->region], zone_names[other],
					 zone_names[zone]);
			else
				snprintf(msg, sizeof(msg),
					 "%s/%u (region %s) is in the ranges of zones %u and %u",
					 a, p->plen, rf->regions[p->region], other, zone);
			if (err)
				err(ctx, rf->path, 0, 0, msg);
			r = -EEXIST;
			continue;
		}
		if (e) {
			r = e;
			break;
		}
		added++;
	}
	free(selected);
	return r ? r : added;
}

size_t sov_zsrc_range_glob_regions(const struct zsrc_range_file *rf, const char *glob)
{
	size_t n = 0;

	for (size_t i = 0; i < rf->n_regions; i++)
		n += sov_zsrc_region_match(glob, rf->regions[i]);
	return n;
}
