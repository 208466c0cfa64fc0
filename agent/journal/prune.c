// SPDX-License-Identifier: Apache-2.0
/*
 * Retention pieces shared by the writer (sov_journal_prune), the verifier
 * and the exporter (docs/journal-format.md section 12): the prune record's
 * detail, written and parsed in one canonical form, and the export marker
 * file "exported" that says how far exports have covered the journal.
 * Calls util.c and segment.c; called by writer.c, verify.c and export.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "agent/journal/jinternal.h"

#define PRUNE_PREFIX	"\"type\":\"prune\","
#define EXPORTED_MAGIC	"sovd-journal-exported/1"

int sovj_prune_detail(const struct prune_info *p, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "{\"action\":\"prune\",\"from\":%llu,\"before\":%llu,"
			 "\"segment\":%u,\"frontier\":[", (unsigned long long)p->from,
			 (unsigned long long)p->before, p->segment);

	for (int i = 0; i < p->frontier.n; i++) {
		if (n + 4 + 2 * SOV_HASH_LEN >= (int)outlen)
			return -ENOSPC;
		if (i)
			out[n++] = ',';
		out[n++] = '"';
		sovj_hex_encode(p->frontier.h[i], SOV_HASH_LEN, out + n);
		n += 2 * SOV_HASH_LEN;
		out[n++] = '"';
	}
	n += snprintf(out + n, outlen - n, "],\"exported\":%llu,\"forced\":%s}",
		      (unsigned long long)p->exported, p->forced ? "true" : "false");
	return n < (int)outlen ? n : -ENOSPC;
}

static int get_u64(struct json_object *o, const char *k, uint64_t *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, k, &x) || !json_object_is_type(x, json_type_int))
		return -1;
	*v = json_object_get_uint64(x);
	return 0;
}

static int hex32(const char *s, uint8_t *h)
{
	if (strlen(s) != 2 * SOV_HASH_LEN)
		return -1;
	for (int i = 0; i < SOV_HASH_LEN; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		h[i] = v;
	}
	return 0;
}

int sovj_prune_parse(const uint8_t *rec, size_t len, struct prune_info *p)
{
	struct json_object *o = NULL, *d = NULL, *x, *fr;
	struct json_tokener *tok;
	const char *q = memchr(rec, ',', len);
	char re[64 + COMPACT_MAX * (2 * SOV_HASH_LEN + 3) + 160];
	const char *dt;
	uint64_t seg;
	int ret = -EBADMSG, n;

	/* {"seq":N,"type":"prune",...: the cheap test for every record */
	if (!q || (size_t)(rec + len - (const uint8_t *)q) < 1 + strlen(PRUNE_PREFIX) ||
	    memcmp(q + 1, PRUNE_PREFIX, strlen(PRUNE_PREFIX)))
		return 0;
	memset(p, 0, sizeof(*p));
	if (sovj_record_seq(rec, len, &p->seq) || sovj_record_time(rec, len, &p->time_ns))
		return -EBADMSG;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, (const char *)rec, len);
	json_tokener_free(tok);
	if (!o || !json_object_object_get_ex(o, "detail", &x) ||
	    !json_object_is_type(x, json_type_string))
		goto out;
	dt = json_object_get_string(x);
	d = json_tokener_parse(dt);
	if (!d || !json_object_is_type(d, json_type_object) ||
	    get_u64(d, "from", &p->from) || get_u64(d, "before", &p->before) ||
	    get_u64(d, "segment", &seg) || get_u64(d, "exported", &p->exported) ||
	    seg > UINT32_MAX || !json_object_object_get_ex(d, "forced", &x) ||
	    !json_object_is_type(x, json_type_boolean) ||
	    !json_object_object_get_ex(d, "frontier", &fr) ||
	    !json_object_is_type(fr, json_type_array) ||
	    json_object_array_length(fr) > COMPACT_MAX)
		goto out;
	p->segment = seg;
	p->forced = json_object_get_boolean(x);
	p->frontier.size = p->before;
	for (size_t i = 0; i < json_object_array_length(fr); i++) {
		struct json_object *h = json_object_array_get_idx(fr, i);

		if (!json_object_is_type(h, json_type_string) ||
		    hex32(json_object_get_string(h), p->frontier.h[p->frontier.n++]))
			goto out;
	}
	if (p->frontier.n != __builtin_popcountll(p->before) || p->from > p->before ||
	    p->before > p->seq)
		goto out;
	/* Every byte accounted for: the detail is exactly what the writer
	 * writes for these values. */
	n = sovj_prune_detail(p, re, sizeof(re));
	if (n < 0 || strlen(dt) != (size_t)n || memcmp(re, dt, n))
		goto out;
	ret = 1;
out:
	json_object_put(d);
	json_object_put(o);
	return ret;
}

/* "sovd-journal-exported/1\nupto <seq>\n" in DIR.exported, beside the
 * journal directory: sovd's self-protection (LSM path) refuses writes into
 * the directory to everyone but sovd while it runs, and the export runs
 * beside it. Unsigned (anyone who can write there can delete segments
 * anyway): a guard against pruning what no export holds, not evidence. */
static int marker_place(const char *dir, char *parent, size_t plen, char *name, size_t nlen)
{
	char d[4096];
	size_t l;
	char *slash;

	snprintf(d, sizeof(d), "%s", dir);
	l = strlen(d);
	while (l > 1 && d[l - 1] == '/')
		d[--l] = 0;
	slash = strrchr(d, '/');
	if (slash && slash[1] == 0)
		return -EINVAL;	/* "/" */
	snprintf(name, nlen, "%s" EXPORTED_SUFFIX, slash ? slash + 1 : d);
	if (!slash)
		snprintf(parent, plen, ".");
	else if (slash == d)
		snprintf(parent, plen, "/");
	else
		snprintf(parent, plen, "%.*s", (int)(slash - d), d);
	return 0;
}

int sovj_exported_read(const char *dir, uint64_t *upto)
{
	char parent[4096], name[512], path[4700], text[128];
	unsigned long long v;
	uint8_t *b;
	size_t n;
	int ret, l;

	*upto = 0;
	ret = marker_place(dir, parent, sizeof(parent), name, sizeof(name));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/%s", parent, name);
	ret = sovj_read_file(path, &b, &n);
	if (ret)
		return ret;
	ret = -EBADMSG;
	if (n < sizeof(text) - 1) {
		memcpy(text, b, n);
		text[n] = 0;
		if (sscanf(text, EXPORTED_MAGIC "\nupto %llu\n", &v) == 1) {
			char re[128];

			l = snprintf(re, sizeof(re), EXPORTED_MAGIC "\nupto %llu\n", v);
			if (l == (int)n && !memcmp(re, text, n)) {
				*upto = v;
				ret = 0;
			}
		}
	}
	free(b);
	return ret;
}

int sovj_exported_advance(const char *dir, uint64_t base, uint64_t first, uint64_t end,
			  uint64_t *upto)
{
	char text[128], parent[4096], name[512];
	uint64_t cur = 0;
	int fd, ret, n;

	ret = sovj_exported_read(dir, &cur);
	if (ret && ret != -ENOENT)
		cur = 0;	/* damaged: rewritten from this export */
	if (cur < base)
		cur = base;
	*upto = cur;
	/* Contiguous coverage only: an export that starts after the mark
	 * leaves records between them that no export holds. */
	if (first > cur || end <= cur)
		return 0;
	n = snprintf(text, sizeof(text), EXPORTED_MAGIC "\nupto %llu\n", (unsigned long long)end);
	ret = marker_place(dir, parent, sizeof(parent), name, sizeof(name));
	if (ret)
		return ret;
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = sovj_publish_file(fd, name, text, n, 0644);
	close(fd);
	if (!ret)
		*upto = end;
	return ret;
}
