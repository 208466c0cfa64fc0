// SPDX-License-Identifier: Apache-2.0
/*
 * Export: one self-contained file an auditor verifies offline
 * (docs/journal-format.md section 10). It holds a manifest, the journal's
 * published checkpoint, the earlier checkpoints that fall in the exported
 * range with consistency proofs to it, one range proof (merkle.c) and the
 * records of the range with the boundary record on each side. Also the
 * plain record reader used by "sovctl journal show". Called by sovctl
 * (tools/sovctl/cmd_journal.c); calls verify.c, merkle.c, exportfmt.c and
 * the segment reader.
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
	return sovj_dir_list(dir, &w->segs, &w->nseg, err, errlen);
}

/* Where the journal starts: 0, or after a prune (section 12) the first
 * segment header's first record and frontier. */
static int walk_base(struct walker *w, uint64_t *base, struct compact *front, char *err,
		     size_t errlen)
{
	struct seghdr sh;
	int ret;

	*base = 0;
	if (front)
		sovj_compact_reset(front);
	if (!w->nseg || !w->segs[0].no)
		return 0;
	ret = sovj_seg_read_header(w->dir, &w->segs[0], &sh, err, errlen);
	if (ret)
		return ret;
	*base = sh.first;
	if (front)
		*front = sh.frontier;
	return 0;
}

/* 1: a frame (segment headers skipped), 0: end, <0: error. */
static int walk_next(struct walker *w, struct frame *f, char *err, size_t errlen)
{
	enum frame_status fs;
	int ret;

	for (;;) {
		if (w->buf) {
			fs = sovj_frame_get(w->buf, w->len, w->off, f);
			if (fs == FRAME_OK) {
				size_t at = w->off;

				w->off = f->next;
				if (at == 0)
					continue;
				return 1;
			}
			if (fs != FRAME_END)
				return sovj_errf(err, errlen, -EBADMSG, "%s offset %zu: %s",
						 w->segs[w->cur].name, w->off, sovj_frame_status_str(fs));
			free(w->buf);
			w->buf = NULL;
		}
		if (++w->cur >= w->nseg)
			return 0;
		ret = sovj_seg_read(w->dir, &w->segs[w->cur], &w->buf, &w->len, NULL, err, errlen);
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

	ret = sovj_read_file(path, &buf, &len);
	if (ret)
		return sovj_errf(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
	for (;;) {
		struct frame f;
		enum frame_status fs = sovj_frame_get(buf, len, off, &f);
		uint64_t seq;

		if (fs == FRAME_END)
			break;
		if (fs != FRAME_OK) {
			ret = sovj_errf(err, errlen, -EBADMSG, "%s offset %zu: %s", path, off,
					sovj_frame_status_str(fs));
			break;
		}
		if (off == 0 && f.kind != FRAME_MANIFEST) {
			ret = sovj_errf(err, errlen, -EBADMSG, "%s is neither a journal directory nor an export",
					path);
			break;
		}
		if (f.kind == FRAME_RECORD) {
			struct sov_journal_entry e = {
				.file = base ? base + 1 : path, .offset = off,
				.data = f.payload, .len = f.len,
			};

			if (sovj_record_seq(f.payload, f.len, &seq)) {
				ret = sovj_errf(err, errlen, -EBADMSG, "%s offset %zu: malformed record", path, off);
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
		return sovj_errf(err, errlen, -errno, "failed to open %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return read_export(path, fn, ctx, err, errlen);
	ret = walk_begin(&w, path, err, errlen);
	if (!ret)
		ret = walk_base(&w, &index, NULL, err, errlen);
	if (ret) {
		walk_end(&w);
		return ret;
	}
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

/* Frames go through one buffer: a million records are a million frames. */
#define OUTBUF_SIZE	(1u << 20)
struct outbuf {
	int fd;
	size_t len;
	uint8_t *b;
};

static int out_flush(struct outbuf *o)
{
	int ret = sovj_write_all(o->fd, o->b, o->len);

	o->len = 0;
	return ret;
}

static int out_frame(struct outbuf *o, int kind, const void *p, uint32_t len)
{
	int ret;

	if (o->len + FRAME_OVERHEAD + len > OUTBUF_SIZE) {
		ret = out_flush(o);
		if (ret)
			return ret;
	}
	if (FRAME_OVERHEAD + len > OUTBUF_SIZE) {
		uint8_t *b = malloc(FRAME_OVERHEAD + len);

		if (!b)
			return -ENOMEM;
		ret = sovj_write_all(o->fd, b, sovj_frame_put(b, kind, p, len));
		free(b);
		return ret;
	}
	o->len += sovj_frame_put(o->b + o->len, kind, p, len);
	return 0;
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
	ret = sovj_pubkey_parse(&k, keytext, strlen(keytext), err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < o->ncheckpoints && !ret; i++) {
		struct checkpoint c;
		struct ckpt_note *nck;
		uint8_t *b;
		size_t len;

		ret = sovj_read_file(o->checkpoint_paths[i], &b, &len);
		if (ret) {
			sovj_errf(err, errlen, ret, "failed to read %s: %s", o->checkpoint_paths[i],
				  strerror(-ret));
			break;
		}
		/* A witness-cosigned note joins the export as sovd signed it,
		 * with the log's signature line alone (issue 15). */
		{
			char one[CHECKPOINT_MAX], why[256];
			size_t onelen;
			int ncs, nign;

			ret = sovj_checkpoint_open_cosigned(&k, NULL, 0, (char *)b, len, &c, NULL, 0,
							    &ncs, &nign, one, &onelen, why, sizeof(why));
			if (!ret && c.size == 0)
				ret = sovj_errf(err, errlen, -EINVAL,
						"checkpoint %s is of the empty tree (size 0): every tree is consistent with it, so there is nothing to prove; leave it out",
						o->checkpoint_paths[i]);
			else if (ret)
				sovj_errf(err, errlen, ret, "checkpoint %s is not valid: %s",
					  o->checkpoint_paths[i], why);
			if (!ret && (onelen != len || memcmp(one, b, len))) {
				memcpy(b, one, onelen);
				len = onelen;
			}
		}
		if (ret) {
			free(b);
			break;
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
	sovj_pubkey_free(&k);
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

	ret = sovj_pubkey_parse(&k, keytext, strlen(keytext), err, errlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/" CHECKPOINT_FILE, dir);
	ret = sovj_read_file(path, &b, &len);
	if (ret) {
		sovj_errf(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (sovj_checkpoint_open(&k, (char *)b, len, c, why, sizeof(why))) {
		ret = sovj_errf(err, errlen, -EBADMSG, "published checkpoint %s is not valid: %s", path, why);
		goto cleanup;
	}
	*note = (char *)b;
	*notelen = len;
	b = NULL;
cleanup:
	free(b);
	sovj_pubkey_free(&k);
	return ret;
}

/* Which earlier checkpoints go into the export: those signed while the
 * range was written (size > first) and those the auditor brought, below
 * the final size, each size once. */
static int ckpt_wanted(const struct ckpt_note *c, uint64_t first, uint64_t n, uint64_t last)
{
	return (c->size > first || c->external) && c->size < n && c->size > last;
}

/* A frame and its inclusion proof (I): the prune record of a pruned
 * export (X), which the range proof does not cover. */
static int out_proven(struct outbuf *o, int kind, const struct frame *f, const struct mtree *t,
		      uint64_t idx, uint64_t n)
{
	uint8_t proof[64][SOV_HASH_LEN], pbuf[16 + 64 * SOV_HASH_LEN];
	int np, ret;

	np = sovj_mtree_inclusion(t, idx, n, proof);
	if (np < 0)
		return np;
	ret = out_frame(o, kind, f->payload, f->len);
	if (!ret)
		ret = out_frame(o, FRAME_INCLUSION, pbuf, sovj_export_proof_put(pbuf, idx, n, proof, np));
	return ret;
}

/* Keeps the prune record with the largest "before" (the journal verified,
 * so it is well-formed): 0, or -errno. */
static int export_note_prune(const struct frame *f, struct prune_info *best, uint8_t **rec,
			     size_t *len)
{
	struct prune_info pi;
	uint8_t *c;

	if (sovj_prune_parse(f->payload, f->len, &pi) != 1 || (*rec && pi.before < best->before))
		return 0;
	c = malloc(f->len);
	if (!c)
		return -ENOMEM;
	memcpy(c, f->payload, f->len);
	free(*rec);
	*rec = c;
	*len = f->len;
	*best = pi;
	return 0;
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
	uint8_t *leaves = NULL, *nl, proof[RANGE_PROOF_MAX][SOV_HASH_LEN];
	uint8_t pbuf[24 + RANGE_PROOF_MAX * SOV_HASH_LEN];
	struct outbuf ob = { .fd = -1 };
	uint8_t root[SOV_HASH_LEN] = { 0 };
	uint64_t nleaves = 0, capleaves = 0, n, first, end, idx, lo, hi;
	char tmp[4200], man[2048], *pubnote = NULL;
	uint32_t pubnote_len = 0;
	struct export_manifest m = { 0 };
	struct frame f;
	int ret, fd = -1, ml, writing = 0, msg = 0, np;
	int open_since = o->since_ns == INT64_MIN, open_until = o->until_ns == INT64_MAX;
	struct compact front;
	uint64_t base = 0;
	struct prune_info prune = { 0 };
	uint8_t *prune_rec = NULL;
	size_t prune_len = 0;
	int pruned_head = 0;

	memset(rep, 0, sizeof(*rep));
	if (err && errlen)
		err[0] = 0;
	ret = sovj_verify_live(o->dir, &(struct sov_verify_opts){
		.checkpoint_paths = o->checkpoint_paths, .ncheckpoints = o->ncheckpoints,
		.witness_paths = o->witness_paths, .nwitnesses = o->nwitnesses,
		.witnesses_required = o->witnesses_required }, &vr);
	if (ret)
		return sovj_errf(err, errlen, ret, "%s", vr.error);
	if (!vr.valid)
		return sovj_errf(err, errlen, -EBADMSG,
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
	if (!ret)
		ret = walk_base(&w, &base, &front, err, errlen);
	while (!ret && base + nleaves < n && (ret = walk_next(&w, &f, err, errlen)) == 1) {
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
		sovj_hash_leaf(f.payload, f.len, leaves + nleaves * SOV_HASH_LEN);
		if (sovj_record_time(f.payload, f.len, &ts) == 0) {
			if (first == UINT64_MAX && ts >= o->since_ns)
				first = base + nleaves;
			if (!open_until && ts < o->until_ns)
				end = base + nleaves + 1;
		}
		ret = export_note_prune(&f, &prune, &prune_rec, &prune_len);
		if (ret < 0)
			break;
		ret = 0;
		nleaves++;
	}
	walk_end(&w);
	if (ret < 0)
		goto cleanup;
	ret = 0;
	if (first == UINT64_MAX)
		first = n;
	if (base && first <= base && (!prune_rec || prune.before < base)) {
		ret = sovj_errf(err, errlen, -EBADMSG,
				"records before seq %llu were pruned, and the published checkpoint (tree size %llu) does not cover the prune record that says so: export against a later checkpoint",
				(unsigned long long)base, (unsigned long long)n);
		goto cleanup;
	}
	/* The window reaches into pruned records: the range starts where
	 * the last prune left the journal, and the prune record proves why
	 * (frame X instead of the boundary record B, section 12.4). */
	if (prune_rec && first <= prune.before) {
		first = prune.before;
		pruned_head = 1;
	}
	if (end < first)
		end = first;
	ret = sovj_mtree_build_pruned(&t, &front, leaves, base + nleaves);
	if (!ret && base + nleaves == n)
		ret = sovj_mtree_root(&t, n, root);
	if (!ret && (base + nleaves != n || memcmp(root, pubc.root, SOV_HASH_LEN)))
		ret = sovj_errf(err, errlen, -EIO, "journal changed while exporting");
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
			ret = sovj_errf(err, errlen, -EINVAL, "refusing to replace %s: not a regular file",
					o->out);
			goto cleanup;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", o->out);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		ret = sovj_errf(err, errlen, -errno, "failed to create %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	writing = 1;
	ob.fd = fd;
	ob.b = malloc(OUTBUF_SIZE);
	if (!ob.b) {
		ret = -ENOMEM;
		goto cleanup;
	}
	m.version = 3;
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
	ml = sovj_export_manifest_format(&m, vr.origin, vr.key, man, sizeof(man));
	if (ml < 0) {
		ret = sovj_errf(err, errlen, ml, "manifest too large");
		msg = 1;
		goto cleanup;
	}
	ret = out_frame(&ob, FRAME_MANIFEST, man, ml);
	if (!ret)
		ret = out_frame(&ob, FRAME_CHECKPOINT, pubnote, pubnote_len);
	{
		uint64_t last = 0;

		for (size_t i = 0; !ret && i < nckpt; i++) {
			if (!ckpt_wanted(&ck[i], first, n, last))
				continue;
			last = ck[i].size;
			np = sovj_mtree_consistency(&t, ck[i].size, n, proof);
			if (np == -ENODATA) {
				ret = sovj_errf(err, errlen, np,
						"checkpoint of tree size %llu predates the prune at seq %llu: its consistency proof needs pruned records",
						(unsigned long long)ck[i].size, (unsigned long long)base);
				msg = 1;
				break;
			}
			ret = np < 0 ? np : out_frame(&ob, FRAME_CHECKPOINT, ck[i].note, ck[i].len);
			if (!ret)
				ret = out_frame(&ob, FRAME_CONSISTENCY, pbuf,
						sovj_export_proof_put(pbuf, ck[i].size, n, proof, np));
		}
	}
	if (ret)
		goto cleanup;

	/* A pruned head: the prune record with its inclusion proof stands
	 * where the boundary record B would (section 12.4); the range proof
	 * then starts at the first kept record, and its left part is the
	 * prune record's frontier. */
	if (pruned_head) {
		struct frame pf = { .kind = FRAME_PRUNED, .payload = prune_rec, .len = prune_len };

		ret = out_proven(&ob, FRAME_PRUNED, &pf, &t, prune.seq, n);
		if (ret)
			goto cleanup;
	}

	/* The range proof: the leaves lo..hi-1 are the boundary record
	 * before the range (if first > 0 and it was not pruned), the range,
	 * and the boundary record after it (if end < n). */
	lo = first - (first > 0 && !pruned_head);
	hi = end + (end < n);
	np = sovj_mtree_range_proof(&t, lo, hi, n, proof);
	ret = np < 0 ? np : out_frame(&ob, FRAME_RANGE, pbuf,
				     sovj_export_range_put(pbuf, lo, hi, n, proof, np));
	if (ret)
		goto cleanup;

	/* Pass 2: the records lo..hi-1 themselves (the journal starts at
	 * base). */
	idx = base;
	ret = walk_begin(&w, o->dir, err, errlen);
	msg = ret != 0;
	while (!ret && idx < hi) {
		ret = walk_next(&w, &f, err, errlen);
		if (ret <= 0) {
			msg = 1;
			if (!ret)
				ret = sovj_errf(err, errlen, -EIO, "journal changed while exporting");
			break;
		}
		ret = 0;
		if (f.kind != FRAME_RECORD)
			continue;
		if (idx + 1 == first && !pruned_head)
			ret = out_frame(&ob, FRAME_BEFORE, f.payload, f.len);
		else if (idx == end)
			ret = out_frame(&ob, FRAME_AFTER, f.payload, f.len);
		else if (idx >= first)
			ret = out_frame(&ob, FRAME_RECORD, f.payload, f.len);
		idx++;
	}
	walk_end(&w);
	if (!ret)
		ret = out_flush(&ob);
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
	if (pruned_head) {
		rep->pruned_before = prune.before;
		rep->prune_seq = prune.seq;
		rep->prune_time_ns = prune.time_ns;
	}
	rep->marker_err = sovj_exported_advance(o->dir, prune_rec ? prune.before : base,
						 first, end, &rep->exported_upto);
cleanup:
	if (fd >= 0)
		close(fd);
	/* A partial export must not be mistaken for one. */
	if (writing) {
		if (!msg)
			sovj_errf(err, errlen, ret, "failed to write export %s: %s", o->out, strerror(-ret));
		unlink(tmp);
	}
	free(ob.b);
	sovj_mtree_free(&t);
	for (size_t i = 0; i < nckpt; i++)
		free(ck[i].note);
	free(ck);
	free(leaves);
	free(pubnote);
	free(prune_rec);
	return ret;
}
