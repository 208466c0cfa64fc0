// SPDX-License-Identifier: Apache-2.0
/*
 * Export: one self-contained file an auditor verifies offline. It holds a
 * manifest, the journal's latest checkpoint, the earlier checkpoints that
 * fall in the exported range with consistency proofs to the latest, and the
 * records in range, each with an RFC 6962 inclusion proof to the latest.
 * Also the plain record reader used by "sovctl journal show".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int export_manifest_format(const struct export_manifest *m, const char *origin,
			   const char *key, char *out, size_t outlen)
{
	char jo[600], jk[600], js[24], ju[24];
	int n;

	if (json_string(origin, jo, sizeof(jo)) < 0 || json_string(key, jk, sizeof(jk)) < 0)
		return -ENOSPC;
	end_json(m->has_since, m->since_ns, js, sizeof(js));
	end_json(m->has_until, m->until_ns, ju, sizeof(ju));
	n = snprintf(out, outlen,
		     "{\"format\":\"" EXPORT_MAGIC "\",\"origin\":%s,\"key\":%s,\"tree_size\":%llu,"
		     "\"since\":%s,\"until\":%s,\"first\":%llu,\"count\":%llu,\"checkpoints\":%llu}",
		     jo, jk, (unsigned long long)m->tree_size, js, ju, (unsigned long long)m->first,
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
int export_manifest_parse(const uint8_t *p, size_t len, struct export_manifest *m,
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
		ret = errf(err, errlen, -EINVAL, "not a JSON object");
		goto cleanup;
	}
	if (get_str(o, "format", fmt, sizeof(fmt)) || strcmp(fmt, EXPORT_MAGIC)) {
		ret = errf(err, errlen, -EINVAL, "format is not \"" EXPORT_MAGIC "\"");
		goto cleanup;
	}
	if (get_str(o, "origin", m->origin, sizeof(m->origin)) ||
	    get_str(o, "key", m->key, sizeof(m->key)) ||
	    get_u64(o, "tree_size", &m->tree_size) || get_u64(o, "first", &m->first) ||
	    get_u64(o, "count", &m->count) || get_u64(o, "checkpoints", &m->checkpoints) ||
	    get_end(o, "since", &m->has_since, &m->since_ns) ||
	    get_end(o, "until", &m->has_until, &m->until_ns))
		ret = errf(err, errlen, -EINVAL, "missing or mistyped field");
cleanup:
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

int export_manifest_read(const char *path, struct export_manifest *m, char *err, size_t errlen)
{
	struct frame f;
	uint8_t *buf;
	size_t len;
	int ret;

	ret = read_file(path, &buf, &len);
	if (ret)
		return errf(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
	if (frame_get(buf, len, 0, &f) != FRAME_OK || f.kind != FRAME_MANIFEST)
		ret = errf(err, errlen, -EBADMSG, "%s does not start with a manifest", path);
	else
		ret = export_manifest_parse(f.payload, f.len, m, err, errlen);
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

size_t export_proof_put(uint8_t *out, uint64_t a, uint64_t b,
			const uint8_t proof[][SOV_HASH_LEN], int n)
{
	le64(out, a);
	le64(out + 8, b);
	memcpy(out + 16, proof, (size_t)n * SOV_HASH_LEN);
	return 16 + (size_t)n * SOV_HASH_LEN;
}

int export_proof_parse(const uint8_t *p, size_t len, uint64_t *a, uint64_t *b,
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

/* ---- walking a journal directory's frames in order ---- */

struct walker {
	const char *dir;
	struct seg_file *segs;
	int nseg, cur;
	uint8_t *buf;
	size_t len, off;
};

static void walk_end(struct walker *w)
{
	free(w->buf);
	free(w->segs);
	memset(w, 0, sizeof(*w));
}

static int walk_begin(struct walker *w, const char *dir, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->dir = dir;
	w->cur = -1;
	return dir_list(dir, &w->segs, &w->nseg, err, errlen);
}

/* 1: a frame (segment headers skipped), 0: end, <0: error. */
static int walk_next(struct walker *w, struct frame *f, char *err, size_t errlen)
{
	enum frame_status fs;
	int ret;

	for (;;) {
		if (w->buf) {
			fs = frame_get(w->buf, w->len, w->off, f);
			if (fs == FRAME_OK) {
				size_t at = w->off;

				w->off = f->next;
				if (at == 0)
					continue;
				return 1;
			}
			if (fs != FRAME_END)
				return errf(err, errlen, -EBADMSG, "%s offset %zu: %s",
					    w->segs[w->cur].name, w->off, frame_status_str(fs));
			free(w->buf);
			w->buf = NULL;
		}
		if (++w->cur >= w->nseg)
			return 0;
		ret = seg_read(w->dir, &w->segs[w->cur], &w->buf, &w->len, NULL, err, errlen);
		if (ret)
			return ret;
		w->off = 0;
	}
}

static int read_export(const char *path, sov_journal_entry_fn fn, void *ctx, char *err,
		       size_t errlen)
{
	const char *base = strrchr(path, '/');
	uint8_t *buf;
	size_t len, off = 0;
	int ret;

	ret = read_file(path, &buf, &len);
	if (ret)
		return errf(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
	for (;;) {
		struct frame f;
		enum frame_status fs = frame_get(buf, len, off, &f);
		uint64_t seq;

		if (fs == FRAME_END)
			break;
		if (fs != FRAME_OK) {
			ret = errf(err, errlen, -EBADMSG, "%s offset %zu: %s", path, off,
				   frame_status_str(fs));
			break;
		}
		if (off == 0 && f.kind != FRAME_MANIFEST) {
			ret = errf(err, errlen, -EBADMSG, "%s is neither a journal directory nor an export",
				   path);
			break;
		}
		if (f.kind == FRAME_RECORD) {
			struct sov_journal_entry e = {
				.file = base ? base + 1 : path, .offset = off,
				.data = f.payload, .len = f.len,
			};

			if (record_seq(f.payload, f.len, &seq)) {
				ret = errf(err, errlen, -EBADMSG, "%s offset %zu: malformed record", path, off);
				break;
			}
			e.index = seq;
			ret = fn(&e, ctx);
			if (ret)
				break;
		}
		off = f.next;
	}
	free(buf);
	return ret;
}

int sov_journal_read(const char *path, sov_journal_entry_fn fn, void *ctx, char *err, size_t errlen)
{
	struct walker w;
	struct frame f;
	struct stat st;
	uint64_t index = 0;
	int ret;

	if (stat(path, &st))
		return errf(err, errlen, -errno, "failed to open %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return read_export(path, fn, ctx, err, errlen);
	ret = walk_begin(&w, path, err, errlen);
	if (ret)
		return ret;
	while ((ret = walk_next(&w, &f, err, errlen)) == 1) {
		struct sov_journal_entry e = {
			.index = index, .file = w.segs[w.cur].name,
			.offset = (uint8_t *)f.payload - FRAME_HDR - w.buf,
			.data = f.payload, .len = f.len,
		};

		if (f.kind != FRAME_RECORD)
			continue;
		ret = fn(&e, ctx);
		if (ret)
			break;
		index++;
	}
	walk_end(&w);
	return ret;
}

/* ---- export ---- */

struct ckpt_note {
	uint64_t size;
	uint32_t len;
	int external;
	char *note;
};

static int out_frame(int fd, int kind, const void *p, uint32_t len)
{
	uint8_t *b = malloc(FRAME_OVERHEAD + len);
	size_t n;
	int ret;

	if (!b)
		return -ENOMEM;
	n = frame_put(b, kind, p, len);
	ret = write_all(fd, b, n);
	free(b);
	return ret;
}

static int ckpt_cmp(const void *x, const void *y)
{
	const struct ckpt_note *a = x, *b = y;

	return a->size < b->size ? -1 : a->size > b->size;
}

/* The --checkpoint notes join the journal's own; verification already
 * showed them consistent with it. */
static int add_external(const struct sov_export_opts *o, const char *keytext,
			struct ckpt_note **ck, size_t *n, size_t *cap, char *err, size_t errlen)
{
	struct sov_pubkey k;
	int ret;

	if (!o->ncheckpoints)
		return 0;
	ret = pubkey_parse(&k, keytext, strlen(keytext), err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < o->ncheckpoints && !ret; i++) {
		struct checkpoint c;
		struct ckpt_note *nck;
		uint8_t *b;
		size_t len;

		ret = read_file(o->checkpoint_paths[i], &b, &len);
		if (ret) {
			errf(err, errlen, ret, "failed to read %s: %s", o->checkpoint_paths[i],
			     strerror(-ret));
			break;
		}
		ret = checkpoint_open(&k, (char *)b, len, &c, err, errlen);
		if (ret || c.size == 0) {
			free(b);
			continue;
		}
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			nck = realloc(*ck, *cap * sizeof(**ck));
			if (!nck) {
				free(b);
				ret = -ENOMEM;
				break;
			}
			*ck = nck;
		}
		(*ck)[*n].size = c.size;
		(*ck)[*n].len = len;
		(*ck)[(*n)++].note = (char *)b;
		(*ck)[*n - 1].external = 1;
	}
	pubkey_free(&k);
	return ret;
}

/* Reads and checks the published checkpoint: what the export is proven
 * against. A count-triggered checkpoint in the segment that sovd has not
 * published yet is not used, so the export never claims more than what an
 * auditor holding the published checkpoints can compare it with. */
static int published_checkpoint(const char *dir, const char *keytext, struct checkpoint *c,
				char **note, uint32_t *notelen, char *err, size_t errlen)
{
	struct sov_pubkey k;
	char path[4200], why[256];
	uint8_t *b = NULL;
	size_t len;
	int ret;

	ret = pubkey_parse(&k, keytext, strlen(keytext), err, errlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/" CHECKPOINT_FILE, dir);
	ret = read_file(path, &b, &len);
	if (ret) {
		errf(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (checkpoint_open(&k, (char *)b, len, c, why, sizeof(why))) {
		ret = errf(err, errlen, -EBADMSG, "published checkpoint %s is not valid: %s", path, why);
		goto cleanup;
	}
	*note = (char *)b;
	*notelen = len;
	b = NULL;
cleanup:
	free(b);
	pubkey_free(&k);
	return ret;
}

/* Which earlier checkpoints go into the export: those signed while the
 * range was written (size > first) and those the auditor brought, below
 * the final size, each size once. */
static int ckpt_wanted(const struct ckpt_note *c, uint64_t first, uint64_t n, uint64_t last)
{
	return (c->size > first || c->external) && c->size < n && c->size > last;
}

static int out_proven(int fd, int kind, const struct frame *f, const struct mtree *t,
		      uint64_t idx, uint64_t n)
{
	uint8_t proof[64][SOV_HASH_LEN], pbuf[16 + 64 * SOV_HASH_LEN];
	int np, ret;

	np = mtree_inclusion(t, idx, n, proof);
	if (np < 0)
		return np;
	ret = out_frame(fd, kind, f->payload, f->len);
	if (!ret)
		ret = out_frame(fd, FRAME_INCLUSION, pbuf, export_proof_put(pbuf, idx, n, proof, np));
	return ret;
}

int sov_journal_export(const struct sov_export_opts *o, struct sov_export_report *rep,
		       char *err, size_t errlen)
{
	struct sov_verify_report vr;
	struct walker w = { 0 };
	struct mtree t = { 0 };
	struct ckpt_note *ck = NULL, *nck;
	struct checkpoint pubc;
	size_t nckpt = 0, capckpt = 0;
	uint8_t *leaves = NULL, *nl, proof[64][SOV_HASH_LEN], pbuf[16 + 64 * SOV_HASH_LEN];
	uint8_t root[SOV_HASH_LEN] = { 0 };
	uint64_t nleaves = 0, capleaves = 0, n, first, end, idx;
	char tmp[4200], man[2048], *pubnote = NULL;
	uint32_t pubnote_len = 0;
	struct export_manifest m = { 0 };
	struct frame f;
	int ret, fd = -1, ml, writing = 0, msg = 0;
	int open_since = o->since_ns == INT64_MIN, open_until = o->until_ns == INT64_MAX;

	memset(rep, 0, sizeof(*rep));
	if (err && errlen)
		err[0] = 0;
	ret = journal_verify_live(o->dir, &(struct sov_verify_opts){
		.checkpoint_paths = o->checkpoint_paths, .ncheckpoints = o->ncheckpoints }, &vr);
	if (ret)
		return errf(err, errlen, ret, "%s", vr.error);
	if (!vr.valid)
		return errf(err, errlen, -EBADMSG,
			    "journal %s does not verify, not exporting: %s offset %lld seq %lld: %s",
			    o->dir, vr.file, (long long)vr.offset, (long long)vr.seq, vr.error);
	ret = published_checkpoint(o->dir, vr.key, &pubc, &pubnote, &pubnote_len, err, errlen);
	if (ret)
		return ret;
	n = pubc.size;
	rep->tree_size = n;
	rep->skipped_unauthenticated = vr.records > n ? vr.records - n : 0;

	/* Pass 1, up to the published size only (a live journal grows, and
	 * may end in a frame being written): leaf hashes, the earlier
	 * checkpoints, and the range by time. The range starts at the first
	 * record at or after since and ends after the last one before until,
	 * so the record before it is older than since and the one after it
	 * is not before until: the verifier checks exactly that. */
	first = open_since ? 0 : UINT64_MAX;
	end = open_until ? n : 0;
	ret = walk_begin(&w, o->dir, err, errlen);
	while (!ret && nleaves < n && (ret = walk_next(&w, &f, err, errlen)) == 1) {
		int64_t ts;

		ret = 0;
		if (f.kind == FRAME_CHECKPOINT) {
			const char *p = memchr(f.payload, '\n', f.len);

			if (nckpt == capckpt) {
				capckpt = capckpt ? 2 * capckpt : 64;
				nck = realloc(ck, capckpt * sizeof(*ck));
				if (!nck) {
					ret = -ENOMEM;
					break;
				}
				ck = nck;
			}
			/* Already verified: only the size is needed here. */
			ck[nckpt].size = p ? strtoull(p + 1, NULL, 10) : 0;
			ck[nckpt].external = 0;
			ck[nckpt].len = f.len;
			ck[nckpt].note = malloc(f.len);
			if (!ck[nckpt].note) {
				ret = -ENOMEM;
				break;
			}
			memcpy(ck[nckpt++].note, f.payload, f.len);
			continue;
		}
		if (f.kind != FRAME_RECORD)
			continue;
		if (nleaves == capleaves) {
			capleaves = capleaves ? 2 * capleaves : 4096;
			nl = realloc(leaves, capleaves * SOV_HASH_LEN);
			if (!nl) {
				ret = -ENOMEM;
				break;
			}
			leaves = nl;
		}
		hash_leaf(f.payload, f.len, leaves + nleaves * SOV_HASH_LEN);
		if (record_time(f.payload, f.len, &ts) == 0) {
			if (first == UINT64_MAX && ts >= o->since_ns)
				first = nleaves;
			if (!open_until && ts < o->until_ns)
				end = nleaves + 1;
		}
		nleaves++;
	}
	walk_end(&w);
	if (ret < 0)
		goto cleanup;
	ret = 0;
	if (first == UINT64_MAX)
		first = n;
	if (end < first)
		end = first;
	ret = mtree_build(&t, leaves, nleaves);
	if (!ret && nleaves == n)
		mtree_root(&t, n, root);
	if (!ret && (nleaves != n || memcmp(root, pubc.root, SOV_HASH_LEN)))
		ret = errf(err, errlen, -EIO, "journal changed while exporting");
	if (ret)
		goto cleanup;
	ret = add_external(o, vr.key, &ck, &nckpt, &capckpt, err, errlen);
	if (ret)
		goto cleanup;
	qsort(ck, nckpt, sizeof(*ck), ckpt_cmp);

	/* Written beside the target and renamed over it: that would replace
	 * a device node or a link, so only regular files are overwritten. */
	{
		struct stat sb;

		if (!lstat(o->out, &sb) && !S_ISREG(sb.st_mode)) {
			ret = errf(err, errlen, -EINVAL, "refusing to replace %s: not a regular file",
				   o->out);
			goto cleanup;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->out);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		ret = errf(err, errlen, -errno, "failed to create %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	writing = 1;
	m.first = first;
	m.count = end - first;
	m.tree_size = n;
	m.has_since = !open_since;
	m.since_ns = o->since_ns;
	m.has_until = !open_until;
	m.until_ns = o->until_ns;
	m.checkpoints = 1;
	{
		uint64_t last = 0;

		for (size_t i = 0; i < nckpt; i++)
			if (ckpt_wanted(&ck[i], first, n, last)) {
				m.checkpoints++;
				last = ck[i].size;
			}
	}
	ml = export_manifest_format(&m, vr.origin, vr.key, man, sizeof(man));
	if (ml < 0) {
		ret = errf(err, errlen, ml, "manifest too large");
		msg = 1;
		goto cleanup;
	}
	ret = out_frame(fd, FRAME_MANIFEST, man, ml);
	if (!ret)
		ret = out_frame(fd, FRAME_CHECKPOINT, pubnote, pubnote_len);
	{
		uint64_t last = 0;

		for (size_t i = 0; !ret && i < nckpt; i++) {
			int np;

			if (!ckpt_wanted(&ck[i], first, n, last))
				continue;
			last = ck[i].size;
			np = mtree_consistency(&t, ck[i].size, n, proof);
			ret = np < 0 ? np : out_frame(fd, FRAME_CHECKPOINT, ck[i].note, ck[i].len);
			if (!ret)
				ret = out_frame(fd, FRAME_CONSISTENCY, pbuf,
						export_proof_put(pbuf, ck[i].size, n, proof, np));
		}
	}
	if (ret)
		goto cleanup;

	/* Pass 2: the boundary record before the range, the records in it,
	 * and the boundary record after it, each with its inclusion proof. */
	idx = 0;
	ret = walk_begin(&w, o->dir, err, errlen);
	msg = ret != 0;
	while (!ret && idx <= end && idx < n) {
		ret = walk_next(&w, &f, err, errlen);
		if (ret <= 0) {
			msg = 1;
			if (!ret)
				ret = errf(err, errlen, -EIO, "journal changed while exporting");
			break;
		}
		ret = 0;
		if (f.kind != FRAME_RECORD)
			continue;
		if (idx + 1 == first)
			ret = out_proven(fd, FRAME_BEFORE, &f, &t, idx, n);
		else if (idx == end)
			ret = out_proven(fd, FRAME_AFTER, &f, &t, idx, n);
		else if (idx >= first)
			ret = out_proven(fd, FRAME_RECORD, &f, &t, idx, n);
		idx++;
	}
	walk_end(&w);
	if (ret)
		goto cleanup;
	if (fsync(fd)) {
		ret = -errno;
		goto cleanup;
	}
	ret = close(fd) ? -errno : 0;
	fd = -1;
	if (!ret && rename(tmp, o->out))
		ret = -errno;
	if (ret)
		goto cleanup;
	writing = 0;
	rep->first = first;
	rep->count = end - first;
	rep->checkpoints = m.checkpoints;
cleanup:
	if (fd >= 0)
		close(fd);
	/* A partial export must not be mistaken for one. */
	if (writing) {
		if (!msg)
			errf(err, errlen, ret, "failed to write export %s: %s", o->out, strerror(-ret));
		unlink(tmp);
	}
	mtree_free(&t);
	for (size_t i = 0; i < nckpt; i++)
		free(ck[i].note);
	free(ck);
	free(leaves);
	free(pubnote);
	return ret;
}
