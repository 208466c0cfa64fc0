// SPDX-License-Identifier: Apache-2.0
/*
 * The export file's own pieces, shared by the exporter (export.c) and the
 * verifier (verify.c): the manifest's canonical JSON and the proof
 * payloads. Both sit above this file, so neither calls the other for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "agent/journal/jinternal.h"
#include "agent/journal/journal.h"
#include "agent/journal/export.h"
static void end_json(int has, int64_t ns, char *out, size_t outlen)
{
	if (has)
		snprintf(out, outlen, "%lld", (long long)ns);
	else
		snprintf(out, outlen, "null");
}

int sovj_export_manifest_format(const struct export_manifest *m, const char *origin,
				const char *key, char *out, size_t outlen)
{
	char jo[600], jk[600], js[24], ju[24];
	int n;

	if (sovj_json_string(origin, jo, sizeof(jo)) < 0 || sovj_json_string(key, jk, sizeof(jk)) < 0)
		return -ENOSPC;
	end_json(m->has_since, m->since_ns, js, sizeof(js));
	end_json(m->has_until, m->until_ns, ju, sizeof(ju));
	n = snprintf(out, outlen,
		     "{\"format\":\"%s\",\"origin\":%s,\"key\":%s,\"tree_size\":%llu,"
		     "\"since\":%s,\"until\":%s,\"first\":%llu,\"count\":%llu,\"checkpoints\":%llu}",
		     m->version == 2 ? EXPORT_MAGIC_V2 : EXPORT_MAGIC, jo, jk,
		     (unsigned long long)m->tree_size, js, ju, (unsigned long long)m->first,
		     (unsigned long long)m->count, (unsigned long long)m->checkpoints);
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : n;
}

static int get_u64(struct json_object *o, const char *k, uint64_t *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, k, &x) || !json_object_is_type(x, json_type_int))
		return -EINVAL;
	errno = 0;
	*v = json_object_get_uint64(x);
	return errno ? -EINVAL : 0;
}

/* An end of the window: an integer (ns since the epoch) or null (open). */
static int get_end(struct json_object *o, const char *k, int *has, int64_t *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, k, &x))
		return -EINVAL;
	*has = x != NULL;
	if (!x)
		return 0;
	if (!json_object_is_type(x, json_type_int))
		return -EINVAL;
	errno = 0;
	*v = json_object_get_int64(x);
	return errno ? -EINVAL : 0;
}

static int get_str(struct json_object *o, const char *k, char *out, size_t outlen)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, k, &x) || !json_object_is_type(x, json_type_string) ||
	    (size_t)json_object_get_string_len(x) >= outlen)
		return -EINVAL;
	memcpy(out, json_object_get_string(x), json_object_get_string_len(x) + 1);
	return 0;
}

/* Lenient parse; the verifier compares the bytes against the canonical
 * form once it knows the content, so any deviation is still caught. */
int sovj_export_manifest_parse(const uint8_t *p, size_t len, struct export_manifest *m,
			       char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = NULL;
	char fmt[64];
	int ret = 0;

	memset(m, 0, sizeof(*m));
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, (const char *)p, len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		ret = sovj_errf(err, errlen, -EINVAL, "not a JSON object");
		goto cleanup;
	}
	if (get_str(o, "format", fmt, sizeof(fmt)) ||
	    (strcmp(fmt, EXPORT_MAGIC) && strcmp(fmt, EXPORT_MAGIC_V2))) {
		ret = sovj_errf(err, errlen, -EINVAL,
				"format is neither \"" EXPORT_MAGIC "\" nor \"" EXPORT_MAGIC_V2 "\"");
		goto cleanup;
	}
	m->version = strcmp(fmt, EXPORT_MAGIC_V2) ? 3 : 2;
	if (get_str(o, "origin", m->origin, sizeof(m->origin)) ||
	    get_str(o, "key", m->key, sizeof(m->key)) ||
	    get_u64(o, "tree_size", &m->tree_size) || get_u64(o, "first", &m->first) ||
	    get_u64(o, "count", &m->count) || get_u64(o, "checkpoints", &m->checkpoints) ||
	    get_end(o, "since", &m->has_since, &m->since_ns) ||
	    get_end(o, "until", &m->has_until, &m->until_ns))
		ret = sovj_errf(err, errlen, -EINVAL, "missing or mistyped field");
cleanup:
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

/* Reads only the first frame: an export can be half a gigabyte. */
int sovj_export_manifest_read(const char *path, struct export_manifest *m, char *err, size_t errlen)
{
	size_t cap = FRAME_OVERHEAD + FRAME_MAX_PAYLOAD, len = 0;
	uint8_t *buf = malloc(cap);
	struct frame f;
	ssize_t r;
	int ret, fd;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(buf);
		return sovj_errf(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
	}
	while (len < cap && (r = read(fd, buf + len, cap - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			close(fd);
			free(buf);
			return sovj_errf(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
		}
		len += r;
	}
	close(fd);
	if (sovj_frame_get(buf, len, 0, &f) != FRAME_OK || f.kind != FRAME_MANIFEST)
		ret = sovj_errf(err, errlen, -EBADMSG, "%s does not start with a manifest", path);
	else
		ret = sovj_export_manifest_parse(f.payload, f.len, m, err, errlen);
	free(buf);
	return ret;
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

size_t sovj_export_proof_put(uint8_t *out, uint64_t a, uint64_t b,
			     const uint8_t proof[][SOV_HASH_LEN], int n)
{
	le64(out, a);
	le64(out + 8, b);
	memcpy(out + 16, proof, (size_t)n * SOV_HASH_LEN);
	return 16 + (size_t)n * SOV_HASH_LEN;
}

int sovj_export_proof_parse(const uint8_t *p, size_t len, uint64_t *a, uint64_t *b,
			    uint8_t proof[][SOV_HASH_LEN], int max)
{
	size_t n;

	if (len < 16 || (len - 16) % SOV_HASH_LEN)
		return -EINVAL;
	n = (len - 16) / SOV_HASH_LEN;
	if (n > (size_t)max)
		return -EINVAL;
	*a = get_le64(p);
	*b = get_le64(p + 8);
	memcpy(proof, p + 16, n * SOV_HASH_LEN);
	return n;
}

size_t sovj_export_range_put(uint8_t *out, uint64_t lo, uint64_t hi, uint64_t n,
			     const uint8_t proof[][SOV_HASH_LEN], int k)
{
	le64(out, lo);
	le64(out + 8, hi);
	le64(out + 16, n);
	memcpy(out + 24, proof, (size_t)k * SOV_HASH_LEN);
	return 24 + (size_t)k * SOV_HASH_LEN;
}

int sovj_export_range_parse(const uint8_t *p, size_t len, uint64_t *lo, uint64_t *hi,
			    uint64_t *n, const uint8_t **hashes)
{
	if (len < 24 || (len - 24) % SOV_HASH_LEN || (len - 24) / SOV_HASH_LEN > RANGE_PROOF_MAX)
		return -EINVAL;
	*lo = get_le64(p);
	*hi = get_le64(p + 8);
	*n = get_le64(p + 16);
	*hashes = p + 24;
	return (len - 24) / SOV_HASH_LEN;
}
