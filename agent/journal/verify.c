// SPDX-License-Identifier: Apache-2.0
/*
 * Verification of a journal directory or an export file. Every byte is
 * accounted for: frames are parsed strictly, segment headers and manifests
 * must be exactly what the verified content implies, records hash into the
 * RFC 6962 tree that every signed checkpoint must match, and the
 * "checkpoint" and "pubkey" files must agree with the rest. The first
 * problem stops verification and is reported with its place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent/journal/jinternal.h"
#include "agent/journal/journal.h"
#include "agent/journal/export.h"

struct ext_ckpt {
	const char *path;
	struct checkpoint c;
	int seen;
};

struct vctx {
	struct sov_verify_report *rep;
	struct sov_pubkey key;
	int have_key;
	struct ext_ckpt *ext;
	int next;
	struct sov_pubkey *wit;	/* witness keys (issue 15) */
	int nwit, wit_required;
	int live;	/* a torn tail ends the walk (sovj_verify_live) */
};

static int bad(struct vctx *v, const char *file, int64_t off, int64_t seq, const char *fmt, ...)
{
	struct sov_verify_report *r = v->rep;
	va_list ap;

	r->valid = 0;
	snprintf(r->file, sizeof(r->file), "%s", file ? file : "");
	r->offset = off;
	r->seq = seq;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return 1;
}

static int env_err(struct vctx *v, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->rep->error, sizeof(v->rep->error), fmt, ap);
	va_end(ap);
	return err;
}

/* ---- witnesses: cosigned --checkpoint notes (docs/journal-format.md 7.1) ---- */

/* The --witness keys, which must be witness keys (type 0x04). */
static int load_witnesses(struct vctx *v, const struct sov_verify_opts *o)
{
	char why[256];
	int err;

	if (!o || (!o->nwitnesses && !o->witnesses_required))
		return 0;
	if (o->witnesses_required < 0 || o->witnesses_required > o->nwitnesses)
		return env_err(v, -EINVAL, "%d witness cosignature(s) required but %d witness key(s) given",
			       o->witnesses_required, o->nwitnesses);
	v->wit = calloc(o->nwitnesses, sizeof(*v->wit));
	if (!v->wit)
		return -ENOMEM;
	for (int i = 0; i < o->nwitnesses; i++) {
		err = sovj_pubkey_load(&v->wit[i], o->witness_paths[i], why, sizeof(why));
		if (err)
			return env_err(v, err, "%s", why);
		v->nwit++;
		if (v->wit[i].alg != KEY_ALG_COSIG)
			return env_err(v, -EINVAL,
				       "%s is a log key, not a witness key (cosignature/v1, type 0x04: sovctl keygen --witness)",
				       o->witness_paths[i]);
	}
	v->wit_required = o->witnesses_required;
	return 0;
}

/* A --checkpoint note: the log's signature, the witnesses' cosignatures
 * (each listed witness's must be valid; others are ignored), and at least
 * wit_required distinct witnesses. */
static int open_ext(struct vctx *v, struct ext_ckpt *e, const char *note, size_t n)
{
	struct sov_verify_report *r = v->rep;
	struct cosig cs[COSIG_MAX_LINES];
	char why[256];
	int ncs, nign;

	if (sovj_checkpoint_open_cosigned(&v->key, v->wit, v->nwit, note, n, &e->c, cs,
					  COSIG_MAX_LINES, &ncs, &nign, NULL, NULL, why, sizeof(why)))
		return bad(v, e->path, -1, -1, "given checkpoint is not valid: %s", why);
	r->ignored_sigs += nign;
	for (int i = 0; i < ncs && r->ncosigs < SOV_VERIFY_COSIGS; i++) {
		struct sov_verify_cosig *rc = &r->cosigs[r->ncosigs++];

		snprintf(rc->witness, sizeof(rc->witness), "%s", v->wit[cs[i].witness].name);
		snprintf(rc->checkpoint, sizeof(rc->checkpoint), "%s", e->path);
		rc->size = e->c.size;
		rc->time = cs[i].time;
	}
	if (ncs < v->wit_required)
		return bad(v, e->path, -1, -1,
			   "given checkpoint has %d valid cosignature(s) by the given witnesses, %d required (%d signature line(s) by other keys ignored: a witness key you did not give, or another key of the same name)",
			   ncs, v->wit_required, nign);
	/* The empty tree: every tree is consistent with it, no proof needed. */
	if (e->c.size == 0) {
		uint8_t empty[SOV_HASH_LEN];

		sovj_hash_plain("", 0, empty);
		if (memcmp(e->c.root, empty, SOV_HASH_LEN))
			return bad(v, e->path, -1, -1,
				   "given checkpoint of tree size 0 does not have the empty tree's root");
		e->seen = 1;
		r->external_ok++;
	}
	return 0;
}

/* Loads --pubkey (environment error if unusable) and the --checkpoint files
 * (which are evidence: a bad one makes the verdict invalid). */
static int load_inputs(struct vctx *v, const struct sov_verify_opts *o)
{
	char why[256];
	int err;

	if (o && o->pubkey_path) {
		err = sovj_pubkey_load(&v->key, o->pubkey_path, why, sizeof(why));
		if (err)
			return env_err(v, err, "%s", why);
		v->have_key = 1;
		if (v->key.alg == KEY_ALG_COSIG)
			return env_err(v, -EINVAL,
				       "%s is a witness key (cosignature/v1); --pubkey wants the log's key (give witness keys with --witness)",
				       o->pubkey_path);
	}
	v->next = o ? o->ncheckpoints : 0;
	if (v->next) {
		v->ext = calloc(v->next, sizeof(*v->ext));
		if (!v->ext)
			return -ENOMEM;
	}
	for (int i = 0; i < v->next; i++) {
		v->ext[i].path = o->checkpoint_paths[i];
	}
	return load_witnesses(v, o);
}

/* Opens the --checkpoint notes once the key is known. */
static int check_ext_sigs(struct vctx *v)
{
	for (int i = 0; i < v->next; i++) {
		uint8_t *b;
		size_t n;
		int err = sovj_read_file(v->ext[i].path, &b, &n);

		if (err)
			return env_err(v, err, "failed to read checkpoint %s: %s", v->ext[i].path,
				       strerror(-err));
		err = open_ext(v, &v->ext[i], (char *)b, n);
		free(b);
		if (err)
			return err;
		if (v->rep->origin[0] && strcmp(v->ext[i].c.origin, v->rep->origin))
			return bad(v, v->ext[i].path, -1, -1,
				   "given checkpoint is for origin \"%s\", the journal is \"%s\"",
				   v->ext[i].c.origin, v->rep->origin);
	}
	return 0;
}

/* At tree size `size` with root `root`: any --checkpoint of that size must
 * have the same root, or the journal forked from what was seen before. */
static int check_ext_at(struct vctx *v, uint64_t size, const uint8_t root[SOV_HASH_LEN],
			const char *file, int64_t off)
{
	for (int i = 0; i < v->next; i++) {
		if (v->ext[i].seen || v->ext[i].c.size != size)
			continue;
		if (memcmp(v->ext[i].c.root, root, SOV_HASH_LEN))
			return bad(v, file, off, size ? (int64_t)size - 1 : -1,
				   "the journal contradicts checkpoint %s at tree size %llu (rollback or fork: records up to seq %llu differ from what that checkpoint signed)",
				   v->ext[i].path, (unsigned long long)size,
				   (unsigned long long)(size ? size - 1 : 0));
		v->ext[i].seen = 1;
		v->rep->external_ok++;
	}
	return 0;
}

static int check_ext_missing(struct vctx *v, uint64_t n, const char *what)
{
	for (int i = 0; i < v->next; i++) {
		if (v->ext[i].seen)
			continue;
		if (v->ext[i].c.size > n)
			return bad(v, v->ext[i].path, -1, n,
				   "%s has %llu records but checkpoint %s covers %llu: the journal was truncated (records from seq %llu are missing)",
				   what, (unsigned long long)n, v->ext[i].path,
				   (unsigned long long)v->ext[i].c.size, (unsigned long long)n);
		return bad(v, v->ext[i].path, -1, -1,
			   "%s holds no proof linking checkpoint %s (tree size %llu) to its own; export again with --checkpoint %s",
			   what, v->ext[i].path, (unsigned long long)v->ext[i].c.size, v->ext[i].path);
	}
	return 0;
}

static int key_matches(const struct sov_pubkey *a, const struct sov_pubkey *b)
{
	return !strcmp(a->name, b->name) && !memcmp(a->pub, b->pub, 32);
}

static void set_key_text(struct vctx *v)
{
	sovj_pubkey_format(&v->key, v->rep->key, sizeof(v->rep->key));
}

/* ---- journal directory ---- */

/* Retention state of a directory walk (section 12): where the journal
 * starts, the header hash of each segment walked (a prune record names a
 * segment start and the frontier there), and the last prune record. */
struct seg_mark {
	uint32_t no;
	uint64_t first;
	uint8_t hdr[SOV_HASH_LEN];
};
struct prune_walk {
	uint64_t base;		/* seq of the first record present */
	uint32_t base_no;	/* its segment */
	struct seg_mark *marks;
	int nmarks;
	struct prune_info last;	/* the prune record with the largest before */
	int have;
};

static int prune_check_record(struct vctx *v, struct prune_walk *pw, const char *fn, size_t off,
			      const struct frame *f)
{
	struct prune_info pi;
	int ret = sovj_prune_parse(f->payload, f->len, &pi);

	if (ret == 0)
		return 0;
	if (ret < 0)
		return bad(v, fn, off, -1, "prune record is malformed (its detail is not the canonical prune detail, or names records after itself)");
	/* A frontier at a point still present must be that segment's header:
	 * the hashes of the tree there. Older prunes are history. */
	if (pi.before >= pw->base) {
		struct seghdr sh = { .no = pi.segment, .first = pi.before, .frontier = pi.frontier };
		char hdr[SEGHDR_MAX];
		uint8_t h[SOV_HASH_LEN];
		int hl = sovj_seghdr_encode(&sh, hdr, sizeof(hdr)), found = 0;

		if (hl > 0)
			sovj_hash_plain(hdr, hl, h);
		for (int i = 0; i < pw->nmarks && hl > 0; i++)
			if (pw->marks[i].no == pi.segment && pw->marks[i].first == pi.before &&
			    !memcmp(pw->marks[i].hdr, h, SOV_HASH_LEN))
				found = 1;
		if (!found)
			return bad(v, fn, off, pi.seq,
				   "prune record seq %llu names segment %u starting at seq %llu with a frontier that is not that segment's header",
				   (unsigned long long)pi.seq, pi.segment, (unsigned long long)pi.before);
	}
	if (!pw->have || pi.before >= pw->last.before) {
		pw->last = pi;
		pw->have = 1;
	}
	return 0;
}

static int prune_mark_segment(struct prune_walk *pw, uint32_t no, uint64_t first,
			      const char *hdr, int hl)
{
	struct seg_mark *nm = realloc(pw->marks, (pw->nmarks + 1) * sizeof(*nm));

	if (!nm)
		return -ENOMEM;
	pw->marks = nm;
	nm[pw->nmarks].no = no;
	nm[pw->nmarks].first = first;
	sovj_hash_plain(hdr, hl, nm[pw->nmarks++].hdr);
	return 0;
}

/* After the walk: records before base need a signed prune record. */
static int prune_check_end(struct vctx *v, struct prune_walk *pw, const char *first_seg,
			   uint64_t signed_size)
{
	struct sov_verify_report *r = v->rep;
	char tb[48] = "";

	r->first = pw->base;
	r->prune_seq = -1;
	if (pw->have) {
		r->pruned_before = pw->last.before;
		r->prune_seq = pw->last.seq;
		r->prune_time_ns = pw->last.time_ns;
		if (pw->last.before > pw->base)
			r->prune_pending = pw->last.segment - pw->base_no;
		sovj_format_rfc3339(pw->last.time_ns, tb, sizeof(tb));
	}
	if (!pw->base)
		return 0;
	if (!pw->have || pw->last.before < pw->base) {
		uint64_t from = pw->have ? pw->last.before : 0;
		uint32_t sfrom = pw->have ? pw->last.segment : 0;

		return bad(v, first_seg, -1, from,
			   "segments %u..%u (records %llu..%llu) are missing and no prune record removed them: records were deleted",
			   sfrom, pw->base_no - 1, (unsigned long long)from,
			   (unsigned long long)pw->base - 1);
	}
	if (pw->last.seq >= signed_size)
		return bad(v, first_seg, -1, pw->last.seq,
			   "records 0..%llu were removed by prune record seq %llu, which no checkpoint covers (not authenticated)",
			   (unsigned long long)pw->base - 1, (unsigned long long)pw->last.seq);
	for (int i = 0; i < v->next; i++)
		if (!v->ext[i].seen && v->ext[i].c.size < pw->base)
			return bad(v, v->ext[i].path, -1, -1,
				   "checkpoint %s (tree size %llu) predates the prune: records before seq %llu were removed by prune record seq %llu (%s); it cannot be checked against this journal",
				   v->ext[i].path, (unsigned long long)v->ext[i].c.size,
				   (unsigned long long)pw->base, (unsigned long long)pw->last.seq, tb);
	return 0;
}

static int verify_dir(struct vctx *v, const char *dir)
{
	struct sov_verify_report *r = v->rep;
	char why[512], path[4200];
	struct seg_file *segs = NULL;
	uint8_t *buf = NULL, *pubckpt = NULL;
	size_t len, bufcap = 0, pubckpt_len = 0;
	struct checkpoint pubc = { 0 };
	int nseg = 0, err = 0, pub_matched = 0, stop = 0;
	struct compact tree;
	uint64_t last_ckpt = 0, ckpts = 0;
	struct prune_walk pw = { 0 };
	/* Uncompressed segments are read through a window (frame.c), not
	 * whole: a 256 MiB buffer does not stay in the cache between the CRC
	 * and the hash, and its first fill faults in 65,000 fresh pages. */
	struct freader win = { .fd = -1 }, mem, *fr;
	int segfd = -1;

	/* The key stored with the journal must be canonical and, when the
	 * caller brings its own, the same key. */
	snprintf(path, sizeof(path), "%s/" PUBKEY_FILE, dir);
	{
		uint8_t *b;
		size_t n;
		struct sov_pubkey k;
		char canon[300];
		int cl;

		err = sovj_read_file(path, &b, &n);
		if (err == -ENOTDIR || (err == -ENOENT && access(dir, F_OK)))
			return env_err(v, err, "failed to open journal %s: %s", dir, strerror(-err));
		if (err && err != -ENOENT)
			return env_err(v, err, "failed to read %s: %s", path, strerror(-err));
		if (err == -ENOENT) {
			if (!v->have_key) {
				stop = bad(v, PUBKEY_FILE, -1, -1,
					   "journal has no public key file and none was given with --pubkey");
				goto cleanup;
			}
			stop = bad(v, PUBKEY_FILE, -1, -1, "public key file is missing");
			goto cleanup;
		}
		err = sovj_pubkey_parse(&k, (char *)b, n, why, sizeof(why));
		cl = err ? -1 : sovj_pubkey_format(&k, canon, sizeof(canon) - 1);
		if (cl >= 0)
			canon[cl++] = '\n';
		if (err || cl != (int)n || memcmp(canon, b, n)) {
			int perr = err;

			free(b);
			if (!perr)
				sovj_pubkey_free(&k);
			err = 0;
			stop = bad(v, PUBKEY_FILE, 0, -1, "public key file is damaged%s%s",
				   perr ? ": " : " (not in canonical form)", perr ? why : "");
			goto cleanup;
		}
		free(b);
		if (v->have_key) {
			int same = key_matches(&k, &v->key);

			sovj_pubkey_free(&k);
			if (!same) {
				stop = bad(v, PUBKEY_FILE, -1, -1,
					   "journal's public key \"%s\" is not the key given with --pubkey (\"%s\")",
					   k.name, v->key.name);
				goto cleanup;
			}
		} else {
			v->key = k;
			v->have_key = 1;
			r->key_from_journal = 1;
		}
	}
	set_key_text(v);

	snprintf(path, sizeof(path), "%s/" CHECKPOINT_FILE, dir);
	err = sovj_read_file(path, &pubckpt, &pubckpt_len);
	if (err && err != -ENOENT) {
		err = env_err(v, err, "failed to read %s: %s", path, strerror(-err));
		goto cleanup;
	}
	err = 0;
	if (!pubckpt) {
		stop = bad(v, CHECKPOINT_FILE, -1, -1,
			   "the published checkpoint file is missing (sovd always writes one)");
		goto cleanup;
	}
	if (sovj_checkpoint_open(&v->key, (char *)pubckpt, pubckpt_len, &pubc, why, sizeof(why))) {
		stop = bad(v, CHECKPOINT_FILE, 0, -1, "published checkpoint is not valid: %s", why);
		goto cleanup;
	}
	snprintf(r->origin, sizeof(r->origin), "%s", pubc.origin);
	stop = check_ext_sigs(v);
	if (stop)
		goto cleanup;

	err = sovj_dir_list(dir, &segs, &nseg, why, sizeof(why));
	if (err == -EBADMSG) {
		err = 0;
		stop = bad(v, "", -1, -1, "%s", why);
		goto cleanup;
	}
	if (err) {
		err = env_err(v, err, "%s", why);
		goto cleanup;
	}
	if (nseg == 0) {
		stop = bad(v, "", -1, -1, "journal has no segments");
		goto cleanup;
	}
	for (int i = 0; i < nseg; i++) {
		if (i + 1 < nseg && segs[i + 1].no == segs[i].no) {
			stop = bad(v, segs[i].name, -1, -1, "segment %u exists both compressed and not",
				   segs[i].no);
			goto cleanup;
		}
		if (segs[i].no != segs[0].no + (uint32_t)i) {
			stop = bad(v, segs[i].name, -1, -1,
				   "segment %u is missing (next present is %s): records were deleted",
				   segs[0].no + i, segs[i].name);
			goto cleanup;
		}
	}
	r->segments = nseg;

	/* A pruned journal starts at its first segment's header: the
	 * frontier there, authenticated by every checkpoint after it (their
	 * roots are computed from it) and by the prune record (section 12). */
	sovj_compact_reset(&tree);
	if (segs[0].no > 0) {
		struct seghdr sh0;

		if (sovj_seg_read_header(dir, &segs[0], &sh0, why, sizeof(why))) {
			stop = bad(v, segs[0].name, 0, -1,
				   "segment 0 is missing and the first segment's header is damaged: %s", why);
			goto cleanup;
		}
		tree = sh0.frontier;
		pw.base = sh0.first;
		pw.base_no = sh0.no;
	}
	{
		uint8_t empty[SOV_HASH_LEN];

		sovj_compact_root(&tree, empty);
		stop = check_ext_at(v, tree.size, empty, "", -1);
	}
	for (int i = 0; i < nseg && !stop; i++) {
		const char *fn = segs[i].name;
		struct seghdr sh = { .no = segs[i].no, .first = tree.size, .frontier = tree };
		char hdr[64 + COMPACT_MAX * (2 * SOV_HASH_LEN + 1) + 64];
		enum frame_status fs;
		struct frame f;
		size_t off;
		int hl;

		struct seg_seal seal = { 0 };

		if (segfd >= 0)
			close(segfd);
		segfd = -1;
		if (!segs[i].compressed) {
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", dir, fn);
			segfd = open(path, O_RDONLY | O_CLOEXEC);
			if (segfd < 0 || fstat(segfd, &st)) {
				err = env_err(v, -errno, "failed to read %s: %s", fn, strerror(errno));
				break;
			}
			posix_fadvise(segfd, 0, 0, POSIX_FADV_SEQUENTIAL);
			err = sovj_freader_reopen(&win, segfd, st.st_size);
			if (err)
				break;
			fr = &win;
		} else {
			err = sovj_seg_read_into(dir, &segs[i], &buf, &bufcap, &len, &seal, why,
						 sizeof(why));
			/* the whole segment, decompressed, is the window */
			if (!err)
				mem = (struct freader){ .fd = -1, .size = len, .buf = buf, .cap = len,
							.wlen = len };
			fr = &mem;
		}
		if (err == -EBADMSG) {
			err = 0;
			stop = bad(v, fn, -1, tree.size, "%s", why);
			break;
		}
		if (err) {
			err = env_err(v, err, "%s", why);
			break;
		}
		if (segs[i].compressed) {
			struct checkpoint c;
			char want[300];

			snprintf(want, sizeof(want), "%.180s" SEAL_SUFFIX "%s", r->origin, fn);
			if (sovj_checkpoint_open(&v->key, (const char *)seal.note, seal.notelen, &c, why,
						 sizeof(why)))
				stop = bad(v, fn, -1, tree.size,
					   "seal after the zlib stream is not valid: %s", why);
			else if (strcmp(c.origin, want) || c.size != len ||
				 memcmp(c.root, seal.zhash, SOV_HASH_LEN))
				stop = bad(v, fn, -1, tree.size,
					   "compressed bytes differ from what the seal signed (zlib stream modified, or the file renamed)");
			free(seal.raw);
			if (stop)
				break;
		}
		hl = sovj_seghdr_encode(&sh, hdr, sizeof(hdr));
		fs = sovj_freader_get(fr, 0, &f);
		if (fr->err) {
			err = env_err(v, fr->err, "failed to read %s: %s", fn, strerror(-fr->err));
			break;
		}
		/* A segment sovd has only begun to write. */
		if (v->live && i == nseg - 1 && (fs == FRAME_TORN || fs == FRAME_END))
			break;
		if (fs != FRAME_OK || f.kind != FRAME_SEGHDR || (int)f.len != hl ||
		    memcmp(f.payload, hdr, hl)) {
			stop = bad(v, fn, 0, tree.size,
				   fs != FRAME_OK ? "segment header: %s" :
				   "segment header does not continue from the previous segment (segment %s, replaced, or from another journal)",
				   fs != FRAME_OK ? sovj_frame_status_str(fs) : "reordered");
			break;
		}
		if (prune_mark_segment(&pw, segs[i].no, tree.size, hdr, hl)) {
			err = -ENOMEM;
			break;
		}
		off = f.next;
		for (;;) {
			uint8_t leaf[SOV_HASH_LEN], root[SOV_HASH_LEN];
			uint64_t seq;

			fs = sovj_freader_get(fr, off, &f);
			if (fs == FRAME_END)
				break;
			if (fs != FRAME_OK) {
				if (fr->err) {
					err = env_err(v, fr->err, "failed to read %s: %s", fn,
						      strerror(-fr->err));
					break;
				}
				if (fs == FRAME_TORN && i == nseg - 1 && v->live)
					break;
				if (fs == FRAME_TORN && i == nseg - 1)
					stop = bad(v, fn, off, tree.size,
						   "torn tail: the last %zu bytes are an incomplete frame (journal not closed cleanly, being written, or truncated); sovd cuts it at its next start",
						   fr->size - off);
				else
					stop = bad(v, fn, off, tree.size, "%s", sovj_frame_status_str(fs));
				break;
			}
			if (f.kind == FRAME_RECORD) {
				if (sovj_record_seq(f.payload, f.len, &seq)) {
					stop = bad(v, fn, off, tree.size,
						   "record does not start with {\"seq\":N,");
					break;
				}
				if (seq != tree.size) {
					stop = bad(v, fn, off, seq,
						   "record has seq %llu where seq %llu belongs: records were deleted, inserted, duplicated or reordered",
						   (unsigned long long)seq, (unsigned long long)tree.size);
					break;
				}
				sovj_hash_leaf(f.payload, f.len, leaf);
				sovj_compact_append(&tree, leaf);
				r->records++;
				stop = prune_check_record(v, &pw, fn, off, &f);
				if (stop)
					break;
				if (v->next) {
					sovj_compact_root(&tree, root);
					stop = check_ext_at(v, tree.size, root, fn, off);
					if (stop)
						break;
				}
			} else if (f.kind == FRAME_CHECKPOINT) {
				struct checkpoint c;

				if (sovj_checkpoint_open(&v->key, (const char *)f.payload, f.len, &c, why,
							 sizeof(why))) {
					stop = bad(v, fn, off, -1, "checkpoint: %s", why);
					break;
				}
				if (strcmp(c.origin, r->origin)) {
					stop = bad(v, fn, off, -1,
						   "checkpoint is for origin \"%s\", the journal is \"%s\"",
						   c.origin, r->origin);
					break;
				}
				if (c.size != tree.size) {
					stop = bad(v, fn, off, tree.size,
						   "checkpoint for tree size %llu stands after %llu records: records were deleted or inserted",
						   (unsigned long long)c.size, (unsigned long long)tree.size);
					break;
				}
				sovj_compact_root(&tree, root);
				if (memcmp(root, c.root, SOV_HASH_LEN)) {
					stop = bad(v, fn, off, last_ckpt,
						   "records seq %llu..%llu do not hash to the root this checkpoint signed: one of them was modified",
						   (unsigned long long)last_ckpt,
						   (unsigned long long)(c.size ? c.size - 1 : 0));
					break;
				}
				if (f.len == pubckpt_len && !memcmp(f.payload, pubckpt, f.len))
					pub_matched = 1;
				last_ckpt = c.size;
				ckpts++;
			} else {
				stop = bad(v, fn, off, tree.size, "unexpected frame kind 0x%02x",
					   f.kind);
				break;
			}
			off = f.next;
		}
	}
	if (stop || err)
		goto cleanup;
	r->checkpoints = ckpts;
	r->checkpointed = last_ckpt;
	r->unauthenticated = tree.size - last_ckpt;
	if (ckpts == 0) {
		stop = bad(v, segs[nseg - 1].name, -1, -1, "journal holds no signed checkpoint");
		goto cleanup;
	}
	if (pubc.size > tree.size) {
		stop = bad(v, CHECKPOINT_FILE, -1, tree.size,
			   "published checkpoint covers %llu records but the journal has %llu: the journal was truncated (records from seq %llu are missing)",
			   (unsigned long long)pubc.size, (unsigned long long)tree.size,
			   (unsigned long long)tree.size);
		goto cleanup;
	}
	if (!pub_matched) {
		stop = bad(v, CHECKPOINT_FILE, -1, pubc.size,
			   "published checkpoint (tree size %llu) is not one of the journal's checkpoints",
			   (unsigned long long)pubc.size);
		goto cleanup;
	}
	stop = prune_check_end(v, &pw, segs[0].name, last_ckpt);
	if (stop)
		goto cleanup;
	stop = check_ext_missing(v, tree.size, "the journal");
	if (stop)
		goto cleanup;
	r->valid = 1;
cleanup:
	if (segfd >= 0)
		close(segfd);
	free(win.buf);
	free(pw.marks);
	free(pubckpt);
	free(buf);
	free(segs);
	return err;
}

/* ---- export file ---- */

/* A record (R, B or A frame at off) and its inclusion proof to fin. */
static int export_proven(struct vctx *v, struct freader *fr, const char *fn,
			 size_t off, const struct frame *rf, const struct checkpoint *fin,
			 uint64_t want, const char *what, struct frame *pf)
{
	uint8_t leaf[SOV_HASH_LEN], proof[64][SOV_HASH_LEN];
	uint64_t seq, idx, sz;
	enum frame_status fs;
	int np;

	if (sovj_record_seq(rf->payload, rf->len, &seq))
		return bad(v, fn, off, want, "%s does not start with {\"seq\":N,", what);
	if (seq != want)
		return bad(v, fn, off, seq,
			   "%s has seq %llu where seq %llu belongs: records were deleted, inserted, duplicated or reordered",
			   what, (unsigned long long)seq, (unsigned long long)want);
	if (seq >= fin->size)
		return bad(v, fn, off, seq, "%s seq %llu is beyond the checkpoint's tree size %llu",
			   what, (unsigned long long)seq, (unsigned long long)fin->size);
	sovj_hash_leaf(rf->payload, rf->len, leaf);
	fs = sovj_freader_get(fr, rf->next, pf);
	if (fs != FRAME_OK || pf->kind != FRAME_INCLUSION)
		return bad(v, fn, rf->next, seq, "%s lacks its inclusion proof", what);
	np = sovj_export_proof_parse(pf->payload, pf->len, &idx, &sz, proof, 64);
	if (np < 0 || idx != seq || sz != fin->size)
		return bad(v, fn, rf->next, seq, "inclusion proof is malformed or for another record");
	if (sovj_merkle_verify_inclusion(seq, fin->size, leaf, proof, np, fin->root))
		return bad(v, fn, off, seq,
			   "%s seq %llu is not in the tree the checkpoint signed: it was modified",
			   what, (unsigned long long)seq);
	return 0;
}

static void fmt_time(int64_t ns, char *out, size_t outlen)
{
	if (sovj_format_rfc3339(ns, out, outlen) < 0)
		snprintf(out, outlen, "%lld ns", (long long)ns);
}

/* The boundary records prove the range complete: the one before it is
 * older than since, the one after it is not before until, and a missing
 * one means the range reaches that end of the tree. */
static int check_boundary(struct vctx *v, const char *fn, size_t off, const struct frame *bf,
			  int after, int has_end, int64_t end_ns)
{
	char tb[48], te[48];
	uint64_t seq = 0;
	int64_t ts;

	sovj_record_seq(bf->payload, bf->len, &seq);
	if (sovj_record_time(bf->payload, bf->len, &ts))
		return bad(v, fn, off, seq, "boundary record has no readable \"time\"");
	if (!has_end)
		return bad(v, fn, off, seq,
			   "a boundary record %s the range, but the manifest's %s is open: records were removed from the %s of the range",
			   after ? "follows" : "precedes", after ? "until" : "since",
			   after ? "tail" : "head");
	fmt_time(ts, tb, sizeof(tb));
	fmt_time(end_ns, te, sizeof(te));
	if (!after && ts >= end_ns)
		return bad(v, fn, off, seq,
			   "boundary record seq %llu before the range has time %s, not before since %s: records of the window were removed from the head of the range",
			   (unsigned long long)seq, tb, te);
	if (after && ts < end_ns)
		return bad(v, fn, off, seq,
			   "boundary record seq %llu after the range has time %s, before until %s: records of the window were removed from the tail of the range",
			   (unsigned long long)seq, tb, te);
	return 0;
}

/* Frame X (section 12.4): the prune record that removed the records before
 * the range, proven in the final tree like a record; the range starts at
 * its "before". */
static int export_pruned_head(struct vctx *v, struct freader *fr, const char *fn,
			      size_t off, const struct frame *xf, const struct checkpoint *fin,
			      uint64_t *first, struct frame *pf, struct prune_info *pip)
{
	struct prune_info pi;
	int stop;

	if (sovj_prune_parse(xf->payload, xf->len, &pi) != 1)
		return bad(v, fn, off, -1, "frame X does not hold a well-formed prune record");
	stop = export_proven(v, fr, fn, off, xf, fin, pi.seq, "prune record", pf);
	if (stop)
		return stop;
	*first = pi.before;
	v->rep->pruned_before = pi.before;
	v->rep->prune_seq = pi.seq;
	v->rep->prune_time_ns = pi.time_ns;
	if (pip)
		*pip = pi;
	return 0;
}

static int export_v2_records(struct vctx *v, struct freader *fr, const char *fn,
			     size_t off, const struct export_manifest *mp,
			     const struct checkpoint *finp, uint64_t *firstp, uint64_t *nrecp);

/* Format 3: one range proof (G) for the leaves lo..hi-1, which follow it:
 * the boundary record before the range (B, if lo > 0), the records (R),
 * the boundary record after it (A, if hi < n). The frontier of [0, lo),
 * the leaves, then the subtrees of [hi, n) make the frontier of [0, n),
 * whose right fold must be the checkpoint's root. */
static int export_range(struct vctx *v, struct freader *fr, const char *fn,
			size_t off, const struct export_manifest *m,
			const struct checkpoint *fin, uint64_t *firstp, uint64_t *nrecp)
{
	const uint8_t *hashes;
	uint8_t right[RANGE_PROOF_MAX][SOV_HASH_LEN];
	uint64_t lo, hi, n, want, nrec = 0, first;
	uint8_t leaf[SOV_HASH_LEN], root[SOV_HASH_LEN];
	struct compact c;
	enum frame_status fs;
	struct frame f;
	int k, nleft, stop, have_before = 0, have_after = 0, pruned_head = 0;
	size_t first_off = 0, last_off = 0;
	struct prune_info pi;

	/* A pruned head (section 12.4): the prune record with its inclusion
	 * proof; the range proof then starts at its "before", and its left
	 * part is the prune record's frontier. */
	fs = sovj_freader_get(fr, off, &f);
	if (fs == FRAME_OK && f.kind == FRAME_PRUNED) {
		struct frame pf;

		stop = export_pruned_head(v, fr, fn, off, &f, fin, &first, &pf, &pi);
		if (stop)
			return stop;
		pruned_head = 1;
		off = pf.next;
		fs = sovj_freader_get(fr, off, &f);
	}
	if (fs != FRAME_OK || f.kind != FRAME_RANGE)
		return bad(v, fn, off, -1, "expected the range proof frame%s%s",
			   fs != FRAME_OK ? ": " : "", fs != FRAME_OK ? sovj_frame_status_str(fs) :
			   (f.kind == FRAME_INCLUSION || f.kind == FRAME_RECORD ?
			    " (a record or inclusion proof: a format 2 export with its manifest changed?)" : ""));
	k = sovj_export_range_parse(f.payload, f.len, &lo, &hi, &n, &hashes);
	if (k < 0 || n != fin->size || lo > hi || hi > n || n >> 62 ||
	    k != sovj_range_proof_len(lo, hi, n))
		return bad(v, fn, off, -1,
			   "range proof is malformed or for another tree size than the checkpoint's");
	nleft = __builtin_popcountll(lo);
	if (pruned_head && (lo != pi.before || pi.frontier.size != lo || pi.frontier.n != nleft ||
			    memcmp(pi.frontier.h, hashes, (size_t)nleft * SOV_HASH_LEN)))
		return bad(v, fn, off, lo,
			   "the range proof does not start at the prune record's first kept record (seq %llu) with its frontier",
			   (unsigned long long)pi.before);
	c.size = lo;
	c.n = nleft;
	memcpy(c.h, hashes, (size_t)nleft * SOV_HASH_LEN);
	/* The window moves under the records: keep the right part. */
	memcpy(right, hashes + (size_t)nleft * SOV_HASH_LEN, (size_t)(k - nleft) * SOV_HASH_LEN);
	off = f.next;
	want = lo;
	for (;;) {
		uint64_t seq;

		fs = sovj_freader_get(fr, off, &f);
		if (fs == FRAME_END)
			break;
		if (fs != FRAME_OK)
			return bad(v, fn, off, want, "%s", sovj_frame_status_str(fs));
		if (have_after)
			return bad(v, fn, off, -1,
				   "frames after the boundary record that closes the range");
		if (f.kind == FRAME_BEFORE ? want != lo || pruned_head :
		    f.kind != FRAME_RECORD && f.kind != FRAME_AFTER)
			return bad(v, fn, off, want, f.kind == FRAME_BEFORE ?
				   "boundary record before the range is not the range proof's first leaf" :
				   "unexpected frame kind 0x%02x", f.kind);
		if (sovj_record_seq(f.payload, f.len, &seq))
			return bad(v, fn, off, want, "record does not start with {\"seq\":N,");
		if (seq != want)
			return bad(v, fn, off, seq,
				   "record has seq %llu where seq %llu belongs: records were deleted, inserted, duplicated or reordered",
				   (unsigned long long)seq, (unsigned long long)want);
		if (want >= hi)
			return bad(v, fn, off, seq,
				   "record seq %llu is beyond the range proof, which ends at seq %llu",
				   (unsigned long long)seq, (unsigned long long)(hi - 1));
		sovj_hash_leaf(f.payload, f.len, leaf);
		sovj_compact_append(&c, leaf);
		if (f.kind == FRAME_BEFORE) {
			have_before = 1;
			first_off = off;
		} else if (f.kind == FRAME_AFTER) {
			have_after = 1;
			last_off = off;
		} else {
			nrec++;
		}
		want++;
		off = f.next;
	}
	first = lo + have_before;
	if (want != hi)
		return bad(v, fn, fr->size, want,
			   "the range proof covers seq %llu..%llu but the export ends before seq %llu: records were removed from the tail of the range (or frames deleted)",
			   (unsigned long long)lo, (unsigned long long)(hi - 1), (unsigned long long)want);
	for (int i = nleft; i < k; i++)
		sovj_compact_append_subtree(&c, right[i - nleft],
					    sovj_range_right_height(c.size, n));
	sovj_compact_root(&c, root);
	if (memcmp(root, fin->root, SOV_HASH_LEN))
		return bad(v, fn, off, lo,
			   "records seq %llu..%llu with the range proof do not hash to the root the checkpoint signed: one of them (or the proof) was modified",
			   (unsigned long long)lo, (unsigned long long)(hi ? hi - 1 : 0));
	/* Proven: now the range's completeness against the window. */
	if (have_before) {
		fs = sovj_freader_get(fr, first_off, &f);
		stop = check_boundary(v, fn, first_off, &f, 0, m->has_since, m->since_ns);
		if (stop)
			return stop;
	} else if (lo > 0 && !pruned_head) {
		return bad(v, fn, first_off, lo,
			   "the range starts at seq %llu but the boundary record seq %llu before it is missing: records were removed from the head of the range (or that record's frame deleted)",
			   (unsigned long long)lo, (unsigned long long)(lo - 1));
	}
	if (have_after) {
		fs = sovj_freader_get(fr, last_off, &f);
		stop = check_boundary(v, fn, last_off, &f, 1, m->has_until, m->until_ns);
		if (stop)
			return stop;
	} else if (hi < n) {
		return bad(v, fn, fr->size, hi,
			   "the range ends before seq %llu but the boundary record seq %llu after it is missing (tree size %llu): records were removed from the tail of the range (or that record's frame deleted)",
			   (unsigned long long)hi, (unsigned long long)hi, (unsigned long long)n);
	}
	*firstp = first;
	*nrecp = nrec;
	return 0;
}

static int verify_export(struct vctx *v, struct freader *fr, const char *fn)
{
	struct sov_verify_report *r = v->rep;
	struct export_manifest m;
	struct checkpoint fin, c;
	struct frame f;
	enum frame_status fs;
	uint8_t proof[64][SOV_HASH_LEN];
	char why[512], canon[2048];
	size_t off;
	int stop = 0, cl, np;
	uint64_t prev_size = 0, nrec = 0, nck = 0, first = 0;
	struct sov_pubkey mk;

	r->is_export = 1;
	fs = sovj_freader_get(fr, 0, &f);
	if (fs != FRAME_OK || f.kind != FRAME_MANIFEST)
		return bad(v, fn, 0, -1, "export does not start with a manifest frame%s%s",
			   fs != FRAME_OK ? ": " : "", fs != FRAME_OK ? sovj_frame_status_str(fs) : "");
	if (sovj_export_manifest_parse(f.payload, f.len, &m, why, sizeof(why)))
		return bad(v, fn, 0, -1, "manifest: %s", why);
	if (sovj_pubkey_parse(&mk, m.key, strlen(m.key), why, sizeof(why)))
		return bad(v, fn, 0, -1, "manifest key: %s", why);
	if (v->have_key) {
		int same = key_matches(&mk, &v->key);

		sovj_pubkey_free(&mk);
		if (!same)
			return bad(v, fn, 0, -1,
				   "export is signed by key \"%s\", not the key given with --pubkey (\"%s\")",
				   m.key, v->key.name);
	} else {
		v->key = mk;
		v->have_key = 1;
		r->key_from_journal = 1;
	}
	set_key_text(v);
	off = f.next;

	fs = sovj_freader_get(fr, off, &f);
	if (fs != FRAME_OK || f.kind != FRAME_CHECKPOINT)
		return bad(v, fn, off, -1, "expected the export's checkpoint frame%s%s",
			   fs != FRAME_OK ? ": " : "", fs != FRAME_OK ? sovj_frame_status_str(fs) : "");
	if (sovj_checkpoint_open(&v->key, (const char *)f.payload, f.len, &fin, why, sizeof(why)))
		return bad(v, fn, off, -1, "checkpoint: %s", why);
	/* Same key, but a seal note signs a zlib stream's hash, not a tree. */
	if (strstr(fin.origin, SEAL_SUFFIX SEG_PREFIX))
		return bad(v, fn, off, -1,
			   "the export's checkpoint is a segment seal (origin \"%s\"), not a checkpoint",
			   fin.origin);
	snprintf(r->origin, sizeof(r->origin), "%s", fin.origin);
	stop = check_ext_sigs(v);
	if (stop)
		return stop;
	stop = check_ext_at(v, fin.size, fin.root, fn, off);
	if (stop)
		return stop;
	nck = 1;
	off = f.next;

	/* Earlier checkpoints, each with its consistency proof to fin. */
	for (;;) {
		size_t coff = off;
		uint64_t s1, s2;

		fs = sovj_freader_get(fr, off, &f);
		if (fs != FRAME_OK || f.kind != FRAME_CHECKPOINT)
			break;
		if (sovj_checkpoint_open(&v->key, (const char *)f.payload, f.len, &c, why, sizeof(why)))
			return bad(v, fn, off, -1, "checkpoint: %s", why);
		if (strcmp(c.origin, fin.origin))
			return bad(v, fn, off, -1, "checkpoint is for another origin \"%s\"", c.origin);
		if (c.size >= fin.size || (nck > 1 && c.size <= prev_size))
			return bad(v, fn, off, -1, "checkpoints are not in increasing order of size");
		off = f.next;
		fs = sovj_freader_get(fr, off, &f);
		if (fs != FRAME_OK || f.kind != FRAME_CONSISTENCY)
			return bad(v, fn, off, -1, "checkpoint at offset %zu lacks its consistency proof",
				   coff);
		np = sovj_export_proof_parse(f.payload, f.len, &s1, &s2, proof, 64);
		if (np < 0 || s1 != c.size || s2 != fin.size)
			return bad(v, fn, off, -1, "consistency proof is malformed or for other sizes");
		if (sovj_merkle_verify_consistency(c.size, fin.size, c.root, fin.root, proof, np))
			return bad(v, fn, coff, -1,
				   "checkpoint of tree size %llu is not consistent with the export's checkpoint (size %llu): the log forked or was rewritten",
				   (unsigned long long)c.size, (unsigned long long)fin.size);
		stop = check_ext_at(v, c.size, c.root, fn, coff);
		if (stop)
			return stop;
		prev_size = c.size;
		nck++;
		off = f.next;
	}

	if (m.version == 2) {
		stop = export_v2_records(v, fr, fn, off, &m, &fin, &first, &nrec);
		if (stop)
			return stop;
	} else {
		stop = export_range(v, fr, fn, off, &m, &fin, &first, &nrec);
		if (stop)
			return stop;
	}
	r->records = nrec;
	r->first = first;
	r->checkpoints = nck;
	r->checkpointed = fin.size;
	/* The manifest says nothing the content does not: rebuild and compare.
	 * Its window (since, until) is the claim the boundaries were checked
	 * against. */
	m.tree_size = fin.size;
	m.first = first;
	m.count = nrec;
	m.checkpoints = nck;
	cl = sovj_export_manifest_format(&m, fin.origin, v->rep->key, canon, sizeof(canon));
	fs = sovj_freader_get(fr, 0, &f);
	if (cl < 0 || (int)f.len != cl || memcmp(f.payload, canon, cl))
		return bad(v, fn, 0, -1, "manifest does not describe the export's content (expected %s)",
			   cl > 0 ? canon : "?");
	stop = check_ext_missing(v, fin.size, "the export");
	if (stop)
		return stop;
	r->valid = 1;
	return 0;
}

/* Format 2: the boundary records and records each with an inclusion proof
 * (exports written before the range proof; still verified). */
static int export_v2_records(struct vctx *v, struct freader *fr, const char *fn,
			     size_t off, const struct export_manifest *mp,
			     const struct checkpoint *finp, uint64_t *firstp, uint64_t *nrecp)
{
	struct export_manifest m = *mp;
	struct checkpoint fin = *finp;
	struct frame f, bf;
	enum frame_status fs;
	int stop, have_before = 0, have_after = 0;
	uint64_t nrec = 0, first = 0;

	/* The boundary record before the range, if the range does not start
	 * at seq 0: its seq fixes where the range starts. Or, where the
	 * records before the range were pruned, the prune record (X). */
	fs = sovj_freader_get(fr, off, &f);
	if (fs == FRAME_OK && f.kind == FRAME_PRUNED) {
		stop = export_pruned_head(v, fr, fn, off, &f, &fin, &first, &bf, NULL);
		if (stop)
			return stop;
		have_before = 1;
		off = bf.next;
	} else if (fs == FRAME_OK && f.kind == FRAME_BEFORE) {
		uint64_t seq;

		if (sovj_record_seq(f.payload, f.len, &seq))
			return bad(v, fn, off, -1, "boundary record does not start with {\"seq\":N,");
		stop = export_proven(v, fr, fn, off, &f, &fin, seq, "boundary record", &bf);
		if (stop)
			return stop;
		/* Reading the proof moved the window: the record again. */
		sovj_freader_get(fr, off, &f);
		stop = check_boundary(v, fn, off, &f, 0, m.has_since, m.since_ns);
		if (stop)
			return stop;
		have_before = 1;
		first = seq + 1;
		off = bf.next;
	}

	/* Records, each with its inclusion proof to fin, then the boundary
	 * record after the range, if it does not reach the tree's end. */
	for (;;) {
		struct frame pf;
		uint64_t want = first + nrec, seq;

		fs = sovj_freader_get(fr, off, &f);
		if (fs == FRAME_END)
			break;
		if (fs != FRAME_OK)
			return bad(v, fn, off, want, "%s", sovj_frame_status_str(fs));
		if (have_after)
			return bad(v, fn, off, -1,
				   "frames after the boundary record that closes the range");
		if (f.kind == FRAME_INCLUSION)
			return bad(v, fn, off, want,
				   "inclusion proof without its record: a record was deleted");
		if (f.kind != FRAME_RECORD && f.kind != FRAME_AFTER)
			return bad(v, fn, off, want, "unexpected frame kind 0x%02x", f.kind);
		if (!have_before && nrec == 0 && !sovj_record_seq(f.payload, f.len, &seq) && seq > 0)
			return bad(v, fn, off, seq,
				   "the range starts at seq %llu but the boundary record seq %llu before it is missing: records were removed from the head of the range (or that record's frame deleted)",
				   (unsigned long long)seq, (unsigned long long)(seq - 1));
		stop = export_proven(v, fr, fn, off, &f, &fin, want,
				     f.kind == FRAME_RECORD ? "record" : "boundary record", &pf);
		if (stop)
			return stop;
		if (f.kind == FRAME_AFTER) {
			sovj_freader_get(fr, off, &f);
			stop = check_boundary(v, fn, off, &f, 1, m.has_until, m.until_ns);
			if (stop)
				return stop;
			have_after = 1;
		} else {
			nrec++;
		}
		off = pf.next;
	}
	if (!have_after && first + nrec != fin.size)
		return bad(v, fn, fr->size, first + nrec,
			   "the range ends before seq %llu but the boundary record seq %llu after it is missing (tree size %llu): records were removed from the tail of the range (or that record's frame deleted)",
			   (unsigned long long)(first + nrec), (unsigned long long)(first + nrec),
			   (unsigned long long)fin.size);
	*firstp = first;
	*nrecp = nrec;
	return 0;
}

static int verify_path(const char *path, const struct sov_verify_opts *o,
		       struct sov_verify_report *report, int live)
{
	struct vctx v = { .rep = report, .live = live };
	struct stat st;
	int err;

	memset(report, 0, sizeof(*report));
	report->offset = -1;
	report->seq = -1;
	report->prune_seq = -1;
	err = load_inputs(&v, o);
	if (err)
		goto cleanup;
	if (stat(path, &st)) {
		err = env_err(&v, -errno, "failed to open %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		err = verify_dir(&v, path);
	} else {
		const char *base = strrchr(path, '/');
		struct freader fr;
		int fd;

		/* An export is read through a small window, reused (frame.c):
		 * a million records are 350 MB, and the first touch of so many
		 * fresh pages (a mapping, or one buffer) cost more than hashing
		 * them. */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st)) {
			err = env_err(&v, -errno, "failed to open %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto cleanup;
		}
		if (S_ISREG(st.st_mode)) {
			posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
			err = sovj_freader_init(&fr, fd, st.st_size);
		} else {
			/* A pipe or a device: read whole, once. */
			uint8_t *buf;
			size_t len;

			err = sovj_read_file(path, &buf, &len);
			if (err) {
				close(fd);
				err = env_err(&v, err, "failed to read %s: %s", path, strerror(-err));
				goto cleanup;
			}
			sovj_freader_init_mem(&fr, buf, len);
		}
		if (!err)
			err = verify_export(&v, &fr, base ? base + 1 : path);
		/* A read that failed, or a file that shrank, reads as a torn
		 * frame: never VALID, and an environment error, not a verdict. */
		if (err >= 0 && fr.err) {
			report->valid = 0;
			err = env_err(&v, fr.err, "failed to read %s: %s", path, strerror(-fr.err));
		}
		sovj_freader_free(&fr);
		close(fd);
	}
	if (err > 0)
		err = 0;
cleanup:
	if (v.have_key)
		sovj_pubkey_free(&v.key);
	for (int i = 0; i < v.nwit; i++)
		sovj_pubkey_free(&v.wit[i]);
	free(v.wit);
	free(v.ext);
	return err;
}

int sov_journal_verify(const char *path, const struct sov_verify_opts *o,
		       struct sov_verify_report *report)
{
	return verify_path(path, o, report, 0);
}

int sovj_verify_live(const char *dir, const struct sov_verify_opts *o,
		     struct sov_verify_report *report)
{
	return verify_path(dir, o, report, 1);
}
