// SPDX-License-Identifier: Apache-2.0
/*
 * The journal writer. Records are framed into a user-space buffer and
 * written in batches; the Merkle tree is kept as a compact range so an
 * append costs one leaf hash and on average one node hash. A checkpoint
 * flushes, signs the root, makes the segment durable, and only then
 * publishes the note in the "checkpoint" file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <zlib.h>
#include <openssl/crypto.h>
#include "agent/journal/jinternal.h"
#include "agent/journal/journal.h"

#define REC_MAX			65536
#define BUF_FLUSH		(1u << 20)
#define DEF_SEGMENT_MAX		(64ull << 20)
#define DEF_CKPT_RECORDS	10000
#define DEF_CKPT_MS		1000
#define DEF_HEARTBEAT_MS	60000

struct sov_journal {
	char dir[4096];
	int dirfd, segfd;
	uint64_t seg_max;
	uint32_t ckpt_records, ckpt_ms, heartbeat_ms;
	int compress;
	sov_journal_log_fn log;
	void *log_ctx;

	struct sov_signer key;
	struct compact tree;
	struct rec_ctx rx;
	char origin[256], host[128], boot[128], version[64];

	uint32_t segno;
	uint64_t seg_bytes;	/* bytes of the current segment on disk */
	uint8_t *buf;
	size_t buflen;

	uint64_t ckpt_size;	/* tree size at the last checkpoint */
	uint64_t pub_size;	/* tree size at the last published checkpoint */
	uint64_t ckpt_ms_at, append_ms_at, pub_ms_at;
	char note[CHECKPOINT_MAX];	/* the last checkpoint written */
	int notelen, unpublished;
	int failed;
	struct sov_journal_stats st;
};

static void jlog(struct sov_journal *j, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (j && j->log)
		j->log(level, msg, j->log_ctx);
	else
		fprintf(stderr, "sovd journal: %s\n", msg);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A write or fsync error leaves the kernel's view of the file uncertain
 * (a failed fsync may have dropped dirty pages), so the journal never
 * retries as if nothing happened: it stops for good. What is already on
 * disk stays verifiable; we cut a partially written frame if we can. */
static int fail(struct sov_journal *j, const char *what, int err)
{
	j->st.write_errors++;
	if (!j->failed) {
		j->failed = 1;
		if (j->segfd >= 0 && ftruncate(j->segfd, j->seg_bytes) == 0)
			fsync(j->segfd);
	}
	j->st.failed = 1;
	jlog(j, SOV_JLOG_ERR,
	     "JOURNAL FAILED: failed to %s in %s: %s; no further events are accepted "
	     "(fail closed); the last published checkpoint covers %llu records",
	     what, j->dir, strerror(-err), (unsigned long long)j->pub_size);
	return -EIO;
}

static int flush(struct sov_journal *j)
{
	int err;

	if (!j->buflen)
		return 0;
	err = sovj_write_all(j->segfd, j->buf, j->buflen);
	if (err)
		return fail(j, "write segment", err);
	j->seg_bytes += j->buflen;
	j->st.bytes_written += j->buflen;
	j->buflen = 0;
	return 0;
}

static void seg_name(char *out, size_t len, uint32_t no, int z)
{
	snprintf(out, len, SEG_PREFIX "%06u%s", no, z ? SEG_Z_SUFFIX : SEG_LOG_SUFFIX);
}

static int put_frame(struct sov_journal *j, int kind, const void *p, uint32_t len)
{
	if (j->buflen + FRAME_OVERHEAD + len > BUF_FLUSH + REC_MAX + FRAME_OVERHEAD) {
		int err = flush(j);

		if (err)
			return err;
	}
	j->buflen += sovj_frame_put(j->buf + j->buflen, kind, p, len);
	return 0;
}

/* Publishing costs an fdatasync of the segment, then an fsync, a rename and
 * a directory fsync for the "checkpoint" file. Checkpoints due to record
 * count (up to 100 a second at full rate) are therefore only signed and
 * appended; the next publication, at most one checkpoint interval later,
 * makes them durable with everything before them. Only durable checkpoints
 * are published, so the file never names a tree the disk may not hold. */
static int publish(struct sov_journal *j)
{
	int err = flush(j);

	if (err)
		return err;
	if (fdatasync(j->segfd))
		return fail(j, "fsync segment", -errno);
	err = sovj_publish_file(j->dirfd, CHECKPOINT_FILE, j->note, j->notelen, 0644);
	if (err)
		return fail(j, "publish checkpoint", err);
	j->pub_ms_at = now_ms();
	j->pub_size = j->ckpt_size;
	j->unpublished = 0;
	return 0;
}

static int do_checkpoint(struct sov_journal *j, int must_publish)
{
	struct checkpoint c = { 0 };
	char note[CHECKPOINT_MAX];
	int n, err;

	if (j->failed)
		return -EIO;
	snprintf(c.origin, sizeof(c.origin), "%s", j->origin);
	c.size = j->tree.size;
	sovj_compact_root(&j->tree, c.root);
	n = sovj_checkpoint_sign(&j->key, &c, note, sizeof(note));
	if (n < 0)
		return fail(j, "sign checkpoint", n);
	err = put_frame(j, FRAME_CHECKPOINT, note, n);
	if (err)
		return err;
	memcpy(j->note, note, n);
	j->notelen = n;
	j->unpublished = 1;
	j->ckpt_size = c.size;
	j->ckpt_ms_at = now_ms();
	j->st.checkpoints++;
	j->st.checkpointed = c.size;
	if (must_publish || j->ckpt_ms_at - j->pub_ms_at >= j->ckpt_ms)
		return publish(j);
	return 0;
}

int sov_journal_checkpoint(struct sov_journal *j)
{
	return do_checkpoint(j, 1);
}

static int seg_create(struct sov_journal *j, uint32_t no)
{
	struct seghdr sh = { .no = no, .first = j->tree.size, .frontier = j->tree };
	char name[64], hdr[64 + COMPACT_MAX * (2 * SOV_HASH_LEN + 1) + 64];
	int fd, n, err;

	seg_name(name, sizeof(name), no, 0);
	fd = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(j, "create segment", -errno);
	if (j->segfd >= 0)
		close(j->segfd);
	j->segfd = fd;
	j->segno = no;
	j->seg_bytes = 0;
	n = sovj_seghdr_encode(&sh, hdr, sizeof(hdr));
	if (n < 0)
		return fail(j, "encode segment header", n);
	err = put_frame(j, FRAME_SEGHDR, hdr, n);
	if (!err)
		err = flush(j);
	if (err)
		return err;
	if (fsync(fd))
		return fail(j, "fsync new segment", -errno);
	if (fsync(j->dirfd))
		return fail(j, "fsync journal directory", -errno);
	return 0;
}

/* Sealed segments are replaced by their zlib form only once the compressed
 * file is durable; a crash in between leaves both, and open() keeps .z. */
static int seg_compress(struct sov_journal *j, uint32_t no)
{
	char name[64], zname[64];
	struct seg_file sf = { .no = no };
	uint8_t *raw = NULL, *z = NULL;
	size_t rawlen;
	uLongf zlen;
	int err;

	seg_name(name, sizeof(name), no, 0);
	seg_name(zname, sizeof(zname), no, 1);
	snprintf(sf.name, sizeof(sf.name), "%s", name);
	err = sovj_seg_read(j->dir, &sf, &raw, &rawlen, NULL, NULL, 0);
	if (err)
		goto cleanup;
	zlen = compressBound(rawlen);
	z = malloc(zlen);
	if (!z) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (compress2(z, &zlen, raw, rawlen, Z_BEST_SPEED) != Z_OK) {
		err = -EIO;
		goto cleanup;
	}
	{
		struct checkpoint seal = { .size = rawlen };
		uint8_t *nz;
		int n;

		snprintf(seal.origin, sizeof(seal.origin), "%.180s" SEAL_SUFFIX "%s", j->origin, zname);
		sovj_hash_plain(z, zlen, seal.root);
		nz = realloc(z, zlen + CHECKPOINT_MAX);
		if (!nz) {
			err = -ENOMEM;
			goto cleanup;
		}
		z = nz;
		n = sovj_checkpoint_sign(&j->key, &seal, (char *)z + zlen, CHECKPOINT_MAX);
		if (n < 0) {
			err = n;
			goto cleanup;
		}
		zlen += n;
	}
	err = sovj_publish_file(j->dirfd, zname, z, zlen, 0644);
	if (err)
		goto cleanup;
	if (unlinkat(j->dirfd, name, 0) || fsync(j->dirfd))
		err = -errno;
cleanup:
	free(z);
	free(raw);
	/* The uncompressed segment stays valid, so this costs disk space, not
	 * evidence: keep journaling. */
	if (err)
		jlog(j, SOV_JLOG_WARN, "failed to compress sealed segment %s: %s; keeping it uncompressed",
		     name, strerror(-err));
	return 0;
}

static int rotate(struct sov_journal *j)
{
	uint32_t old = j->segno;
	int err;

	err = do_checkpoint(j, 1);
	if (!err)
		err = seg_create(j, old + 1);
	if (!err && j->compress)
		err = seg_compress(j, old);
	return err;
}

static int append_locked(struct sov_journal *j, const struct sov_record *r)
{
	uint64_t wall = r->wall_ns ? r->wall_ns : clock_ns(CLOCK_REALTIME);
	uint64_t boot = r->boot_ns ? r->boot_ns : clock_ns(CLOCK_BOOTTIME);
	uint8_t leaf[SOV_HASH_LEN], *f;
	int n, err;

	if (j->failed)
		return -EIO;
	if (j->buflen + FRAME_OVERHEAD + REC_MAX > BUF_FLUSH + REC_MAX + FRAME_OVERHEAD) {
		err = flush(j);
		if (err)
			return err;
	}
	f = j->buf + j->buflen;
	n = sovj_record_encode(&j->rx, r, j->tree.size, wall, boot, (char *)f + FRAME_HDR, REC_MAX);
	if (n == -ENOSPC)
		return -E2BIG;
	if (n < 0)
		return n;
	/* Framed in place: sovj_frame_put's copy would be a no-op overlap. */
	f[0] = n; f[1] = n >> 8; f[2] = n >> 16; f[3] = n >> 24;
	f[4] = FRAME_RECORD; f[5] = f[6] = f[7] = 0;
	{
		uint32_t crc = sovj_crc32c(0, f, FRAME_HDR + n);
		uint8_t *t = f + FRAME_HDR + n;

		t[0] = crc; t[1] = crc >> 8; t[2] = crc >> 16; t[3] = crc >> 24;
	}
	j->buflen += FRAME_OVERHEAD + n;
	sovj_hash_leaf(f + FRAME_HDR, n, leaf);
	sovj_compact_append(&j->tree, leaf);
	j->st.appended++;
	return 0;
}

int sov_journal_append(struct sov_journal *j, const struct sov_record *r)
{
	int err;

	/* Only sov_journal_prune writes prune records: the verifier trusts
	 * a signed one to justify missing segments. */
	if (r->type && !strcmp(r->type, SOV_REC_PRUNE))
		return -EINVAL;
	err = append_locked(j, r);

	if (err)
		return err;
	j->append_ms_at = 0;	/* re-read lazily by tick */
	if (j->seg_bytes + j->buflen >= j->seg_max)
		return rotate(j);
	if (j->tree.size - j->ckpt_size >= j->ckpt_records)
		return do_checkpoint(j, 0);
	return 0;
}

int sov_journal_tick(struct sov_journal *j)
{
	uint64_t now = now_ms();

	if (j->failed)
		return -EIO;
	/* Appends only clear append_ms_at (no clock read per record); the
	 * first tick after activity stamps it. */
	if (!j->append_ms_at)
		j->append_ms_at = now;
	if (now - j->append_ms_at >= j->heartbeat_ms) {
		int err = append_locked(j, &(struct sov_record){ .type = SOV_REC_HEARTBEAT });

		if (err)
			return err;
		j->append_ms_at = now;
		return do_checkpoint(j, 1);
	}
	if (j->tree.size > j->ckpt_size && now - j->ckpt_ms_at >= j->ckpt_ms)
		return do_checkpoint(j, 1);
	if (j->unpublished && now - j->pub_ms_at >= j->ckpt_ms)
		return publish(j);
	return 0;
}

void sov_journal_stats(const struct sov_journal *j, struct sov_journal_stats *st)
{
	*st = j->st;
	st->records = j->tree.size;
	st->checkpointed = j->ckpt_size;
	st->failed = j->failed;
}

static void journal_free(struct sov_journal *j)
{
	if (j->segfd >= 0)
		close(j->segfd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	sovj_signer_free(&j->key);
	if (j->buf)
		OPENSSL_cleanse(j->buf, j->buflen);
	free(j->buf);
	free(j);
}

int sov_journal_close(struct sov_journal *j)
{
	int err = 0;

	if (!j)
		return 0;
	if (j->failed) {
		err = -EIO;
	} else {
		err = do_checkpoint(j, 1);
		if (!err && fsync(j->segfd))
			err = fail(j, "fsync segment", -errno);
	}
	journal_free(j);
	return err;
}

/* ---- open and recovery ---- */

static void read_id(const char *path, const char *given, char *out, size_t len)
{
	uint8_t *b;
	size_t n;

	if (given) {
		snprintf(out, len, "%s", given);
		return;
	}
	if (sovj_read_file(path, &b, &n)) {
		snprintf(out, len, "unknown");
		return;
	}
	while (n && (b[n - 1] == '\n' || b[n - 1] == ' '))
		n--;
	snprintf(out, len, "%.*s", (int)n, (char *)b);
	free(b);
}

static int clean_dir(struct sov_journal *j)
{
	DIR *d = opendir(j->dir);
	struct dirent *de;
	char base[256];
	struct stat st;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 4 && !strcmp(de->d_name + l - 4, ".tmp")) {
			jlog(j, SOV_JLOG_WARN, "removing leftover %s from an interrupted write",
			     de->d_name);
			unlinkat(j->dirfd, de->d_name, 0);
		} else if (l > 6 && !strcmp(de->d_name + l - 6, SEG_Z_SUFFIX) && l - 2 < sizeof(base)) {
			snprintf(base, sizeof(base), "%.*s", (int)(l - 2), de->d_name);
			if (!fstatat(j->dirfd, base, &st, 0)) {
				jlog(j, SOV_JLOG_WARN, "removing %s: its compressed copy is complete",
				     base);
				unlinkat(j->dirfd, base, 0);
			}
		}
	}
	closedir(d);
	return fsync(j->dirfd) ? -errno : 0;
}

struct recovery {
	uint64_t torn_bytes, torn_frames, unsigned_records;
	int fresh;
};

static int load_published(struct sov_journal *j, struct checkpoint *pub)
{
	char path[4200], why[256];
	uint8_t *b;
	size_t n;
	int err;

	snprintf(path, sizeof(path), "%s/" CHECKPOINT_FILE, j->dir);
	err = sovj_read_file(path, &b, &n);
	if (err == -ENOENT)
		return 0;
	if (err) {
		jlog(j, SOV_JLOG_ERR, "failed to read %s: %s", path, strerror(-err));
		return err;
	}
	err = sovj_checkpoint_open(&j->key.pub, (char *)b, n, pub, why, sizeof(why));
	free(b);
	if (err) {
		jlog(j, SOV_JLOG_ERR, "failed to open journal %s: published checkpoint is invalid: %s",
		     j->dir, why);
		return -EUCLEAN;
	}
	if (strcmp(pub->origin, j->origin)) {
		jlog(j, SOV_JLOG_ERR, "failed to open journal %s: it belongs to origin \"%s\", not \"%s\"",
		     j->dir, pub->origin, j->origin);
		return -EUCLEAN;
	}
	return 1;
}

/* Rebuilds the writer state from the last segment: its header carries the
 * compact range of everything before it, so older segments are not read.
 * A crash leaves at most a torn tail, which is cut. Damage that would
 * remove records a published checkpoint covers is refused: continuing
 * would sign a tree that contradicts that checkpoint. */

/* A complete, CRC-valid record or checkpoint frame somewhere after off. */
static int valid_frame_after(const uint8_t *buf, size_t len, size_t off)
{
	for (size_t p = off + 1; p + FRAME_OVERHEAD <= len; p++) {
		struct frame g;

		if (sovj_frame_get(buf, len, p, &g) == FRAME_OK &&
		    (g.kind == FRAME_RECORD || g.kind == FRAME_CHECKPOINT))
			return 1;
	}
	return 0;
}

static int recover(struct sov_journal *j, struct recovery *rc)
{
	struct seg_file *segs = NULL;
	int nseg = 0, err, have_pub;
	struct checkpoint pub = { 0 };
	uint8_t *buf = NULL;
	size_t len, off;
	char why[512];
	struct seghdr sh;
	struct frame f;
	enum frame_status fs;
	struct seg_file *last;

	have_pub = load_published(j, &pub);
	if (have_pub < 0)
		return have_pub;
	j->pub_size = pub.size;
	err = sovj_dir_list(j->dir, &segs, &nseg, why, sizeof(why));
	if (err) {
		jlog(j, SOV_JLOG_ERR, "failed to open journal: %s", why);
		goto cleanup;
	}
again:
	if (nseg == 0) {
		if (have_pub) {
			jlog(j, SOV_JLOG_ERR, "failed to open journal %s: no segments but a checkpoint of size %llu exists",
			     j->dir, (unsigned long long)pub.size);
			err = -EUCLEAN;
			goto cleanup;
		}
		sovj_compact_reset(&j->tree);
		rc->fresh = 1;
		err = seg_create(j, 0);
		goto cleanup;
	}
	last = &segs[nseg - 1];
	free(buf);
	buf = NULL;
	err = sovj_seg_read(j->dir, last, &buf, &len, NULL, why, sizeof(why));
	if (err) {
		jlog(j, SOV_JLOG_ERR, "failed to open journal: %s", why);
		goto cleanup;
	}
	fs = sovj_frame_get(buf, len, 0, &f);
	if (fs != FRAME_OK || sovj_seghdr_parse(f.kind == FRAME_SEGHDR ? f.payload : NULL, f.len, &sh) || sh.no != last->no) {
		/* A crash while creating the segment leaves it without a
		 * complete header and so without records: drop it and go on
		 * writing the previous one, which ends with a checkpoint (or,
		 * for the very first segment, start afresh). */
		if (fs == FRAME_OK || last->compressed || len > 4096 || (nseg == 1 && have_pub)) {
			jlog(j, SOV_JLOG_ERR, "failed to open journal: %s has a damaged segment header",
			     last->name);
			err = -EUCLEAN;
			goto cleanup;
		}
		jlog(j, SOV_JLOG_WARN, "removing %s: created by an interrupted rotation", last->name);
		if (unlinkat(j->dirfd, last->name, 0)) {
			err = -errno;
			goto cleanup;
		}
		rc->torn_bytes += len;
		nseg--;
		goto again;
	}
	j->tree = sh.frontier;
	j->segno = last->no;
	j->ckpt_size = sh.first;
	off = f.next;
	for (;;) {
		uint8_t leaf[SOV_HASH_LEN];
		uint64_t seq;

		fs = sovj_frame_get(buf, len, off, &f);
		if (fs != FRAME_OK)
			break;
		if (f.kind == FRAME_RECORD) {
			if (sovj_record_seq(f.payload, f.len, &seq) || seq != j->tree.size) {
				jlog(j, SOV_JLOG_ERR, "failed to open journal: %s offset %zu: record is not seq %llu",
				     last->name, off, (unsigned long long)j->tree.size);
				err = -EUCLEAN;
				goto cleanup;
			}
			sovj_hash_leaf(f.payload, f.len, leaf);
			sovj_compact_append(&j->tree, leaf);
		} else if (f.kind == FRAME_CHECKPOINT) {
			struct checkpoint c;
			uint8_t root[SOV_HASH_LEN];

			sovj_compact_root(&j->tree, root);
			if (sovj_checkpoint_open(&j->key.pub, (const char *)f.payload, f.len, &c, why, sizeof(why)) ||
			    c.size != j->tree.size || memcmp(c.root, root, SOV_HASH_LEN)) {
				jlog(j, SOV_JLOG_ERR, "failed to open journal: %s offset %zu: checkpoint does not match the records",
				     last->name, off);
				err = -EUCLEAN;
				goto cleanup;
			}
			j->ckpt_size = c.size;
		} else {
			jlog(j, SOV_JLOG_ERR, "failed to open journal: %s offset %zu: unexpected frame kind 0x%02x",
			     last->name, off, f.kind);
			err = -EUCLEAN;
			goto cleanup;
		}
		if (have_pub && pub.size == j->tree.size) {
			uint8_t root[SOV_HASH_LEN];

			sovj_compact_root(&j->tree, root);
			if (memcmp(root, pub.root, SOV_HASH_LEN)) {
				jlog(j, SOV_JLOG_ERR, "failed to open journal: records do not match the published checkpoint at size %llu",
				     (unsigned long long)pub.size);
				err = -EUCLEAN;
				goto cleanup;
			}
		}
		off = f.next;
	}
	if (have_pub && pub.size > j->tree.size) {
		jlog(j, SOV_JLOG_ERR,
		     "failed to open journal %s: the published checkpoint covers %llu records but only %llu are readable (%s at %s offset %zu); refusing to write a contradicting tree",
		     j->dir, (unsigned long long)pub.size, (unsigned long long)j->tree.size,
		     sovj_frame_status_str(fs), last->name, off);
		err = -EUCLEAN;
		goto cleanup;
	}
	if (last->compressed) {
		/* All sealed: the crash hit right after compression. */
		j->seg_bytes = len;
		err = seg_create(j, last->no + 1);
		goto cleanup;
	}
	/* Only a torn write may be cut. Damage followed by complete frames is
	 * not one: cutting would discard records and signed checkpoints. */
	if (off < len && fs != FRAME_TORN && valid_frame_after(buf, len, off)) {
		jlog(j, SOV_JLOG_ERR,
		     "failed to open journal: %s offset %zu: %s, and complete frames follow it: this is damage, not a torn write; refusing to cut signed data (run sovctl journal verify)",
		     last->name, off, sovj_frame_status_str(fs));
		err = -EUCLEAN;
		goto cleanup;
	}
	if (off < len) {
		size_t p = off;

		rc->torn_bytes += len - off;
		/* How many frames the cut bytes began, as far as their length
		 * fields can be trusted; at least the one that was torn. */
		do {
			uint32_t l = p + 3 < len ? buf[p] | buf[p + 1] << 8 | buf[p + 2] << 16 |
						   (uint32_t)buf[p + 3] << 24 : 0;

			rc->torn_frames++;
			if (l > FRAME_MAX_PAYLOAD)
				break;
			p += FRAME_OVERHEAD + (size_t)l;
		} while (p + 1 < len);
		jlog(j, SOV_JLOG_WARN, "journal %s: cutting torn tail of %s at offset %zu (%zu bytes: %s)",
		     j->dir, last->name, off, len - off, sovj_frame_status_str(fs));
	}
	{
		char name[64];
		int fd;

		seg_name(name, sizeof(name), last->no, 0);
		fd = openat(j->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			jlog(j, SOV_JLOG_ERR, "failed to open segment %s: %s", name, strerror(errno));
			goto cleanup;
		}
		j->segfd = fd;
		if (off < len && (ftruncate(fd, off) || fsync(fd))) {
			err = -errno;
			jlog(j, SOV_JLOG_ERR, "failed to cut torn tail of %s: %s", name, strerror(errno));
			goto cleanup;
		}
		j->seg_bytes = off;
	}
	rc->unsigned_records = j->tree.size - j->ckpt_size;
cleanup:
	free(buf);
	free(segs);
	return err;
}

static int setup_pubkey(struct sov_journal *j)
{
	char path[4200], want[256], why[256];
	struct sov_pubkey k;
	uint8_t *b;
	size_t n;
	int len, err;

	len = sovj_pubkey_format(&j->key.pub, want, sizeof(want) - 1);
	if (len < 0)
		return len;
	want[len++] = '\n';
	snprintf(path, sizeof(path), "%s/" PUBKEY_FILE, j->dir);
	err = sovj_read_file(path, &b, &n);
	if (err == -ENOENT)
		return sovj_publish_file(j->dirfd, PUBKEY_FILE, want, len, 0644);
	if (err)
		return err;
	err = sovj_pubkey_parse(&k, (char *)b, n, why, sizeof(why));
	free(b);
	if (err) {
		jlog(j, SOV_JLOG_ERR, "failed to open journal: %s: %s", path, why);
		return -EUCLEAN;
	}
	sovj_pubkey_free(&k);
	if (strcmp(k.name, j->key.pub.name) || memcmp(k.pub, j->key.pub.pub, 32)) {
		jlog(j, SOV_JLOG_ERR,
		     "failed to open journal %s: it is signed by key \"%s\", the key given is \"%s\"; a new key needs a new journal directory",
		     j->dir, k.name, j->key.pub.name);
		return -EKEYREJECTED;
	}
	return 0;
}

/* The default directory, /var/lib/sovd/journal, may be the first thing
 * under /var/lib/sovd on a new host. */
static int mkdir_parents(const char *dir)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

int sov_journal_open(struct sov_journal **out, const struct sov_journal_opts *o)
{
	struct sov_journal *j;
	struct recovery rc = { 0 };
	char why[512], hostname[128] = "localhost";
	int err;

	*out = NULL;
	if (!o || !o->dir || !o->key_path)
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->dirfd = j->segfd = -1;
	j->log = o->log;
	j->log_ctx = o->log_ctx;
	snprintf(j->dir, sizeof(j->dir), "%s", o->dir);
	j->seg_max = o->segment_max_bytes ? o->segment_max_bytes : DEF_SEGMENT_MAX;
	if (j->seg_max < 4096)
		j->seg_max = 4096;
	j->ckpt_records = o->checkpoint_every_records ? o->checkpoint_every_records : DEF_CKPT_RECORDS;
	j->ckpt_ms = o->checkpoint_interval_ms ? o->checkpoint_interval_ms : DEF_CKPT_MS;
	j->heartbeat_ms = o->heartbeat_interval_ms ? o->heartbeat_interval_ms : DEF_HEARTBEAT_MS;
	j->compress = o->compress_sealed;
	j->rx.cached_sec = -1;
	j->buf = malloc(BUF_FLUSH + 2 * (REC_MAX + FRAME_OVERHEAD));
	if (!j->buf) {
		err = -ENOMEM;
		goto cleanup;
	}

	err = sovj_signer_load(&j->key, o->key_path, why, sizeof(why));
	if (err) {
		jlog(j, SOV_JLOG_ERR, "%s", why);
		goto cleanup;
	}
	read_id("/etc/machine-id", o->host_id, j->host, sizeof(j->host));
	read_id("/proc/sys/kernel/random/boot_id", o->boot_id, j->boot, sizeof(j->boot));
	j->rx.host = j->host;
	j->rx.boot = j->boot;
	if (o->agent_version) {
		snprintf(j->version, sizeof(j->version), "%s", o->agent_version);
		j->rx.version = j->version;
	}
	gethostname(hostname, sizeof(hostname) - 1);
	if (o->origin)
		snprintf(j->origin, sizeof(j->origin), "%s", o->origin);
	else
		snprintf(j->origin, sizeof(j->origin), "sovd.%.100s/%.100s", hostname, j->host);
	if (!j->origin[0] || strpbrk(j->origin, "\n") || strlen(j->origin) > 180) {
		jlog(j, SOV_JLOG_ERR, "failed to open journal: origin must be one non-empty line of at most 180 bytes");
		err = -EINVAL;
		goto cleanup;
	}

	if (mkdir_parents(j->dir) || (mkdir(j->dir, 0700) && errno != EEXIST)) {
		err = -errno;
		jlog(j, SOV_JLOG_ERR, "failed to create journal directory %s: %s", j->dir, strerror(errno));
		goto cleanup;
	}
	j->dirfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0) {
		err = -errno;
		jlog(j, SOV_JLOG_ERR, "failed to open journal directory %s: %s", j->dir, strerror(errno));
		goto cleanup;
	}
	if (flock(j->dirfd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		jlog(j, SOV_JLOG_ERR, "failed to lock journal directory %s: %s", j->dir,
		     errno == EWOULDBLOCK ? "another process is writing it" : strerror(errno));
		goto cleanup;
	}
	err = setup_pubkey(j);
	if (!err)
		err = clean_dir(j);
	if (err) {
		if (err != -EKEYREJECTED && err != -EUCLEAN)
			jlog(j, SOV_JLOG_ERR, "failed to prepare journal directory %s: %s", j->dir,
			     strerror(-err));
		goto cleanup;
	}
	err = recover(j, &rc);
	if (err)
		goto cleanup;
	j->ckpt_ms_at = now_ms();
	if (rc.torn_bytes || rc.unsigned_records) {
		char detail[160];

		snprintf(detail, sizeof(detail), "torn_bytes=%llu torn_frames=%llu unsigned_records=%llu",
			 (unsigned long long)rc.torn_bytes, (unsigned long long)rc.torn_frames,
			 (unsigned long long)rc.unsigned_records);
		j->st.recovered_bytes = rc.torn_bytes;
		jlog(j, SOV_JLOG_WARN, "journal %s recovered after an unclean stop: %s", j->dir, detail);
		err = append_locked(j, &(struct sov_record){ .type = SOV_REC_RECOVERY, .detail = detail });
		if (err)
			goto cleanup;
	}
	if (rc.fresh || rc.torn_bytes || rc.unsigned_records) {
		err = do_checkpoint(j, 1);
		if (err)
			goto cleanup;
	}
	*out = j;
	return 0;
cleanup:
	journal_free(j);
	return err;
}

int sov_journal_keygen(const char *prefix, const char *name, char *err, size_t errlen)
{
	return sov_journal_keygen_ex(prefix, name, 0, err, errlen);
}

int sov_journal_keygen_ex(const char *prefix, const char *name, unsigned int flags, char *err,
			  size_t errlen)
{
	char path[4096], text[512], host[65] = "localhost", id[64], defname[SOV_KEYNAME_MAX];
	int witness = flags & SOV_KEYGEN_WITNESS;
	struct sov_signer s;
	const char *why;
	int fd, n, ret;

	if (!name) {
		/* Key names may not hold spaces or '+'; hostnames rarely do. */
		gethostname(host, sizeof(host) - 1);
		for (char *p = host; *p; p++)
			if (*p <= ' ' || *p == '+' || *p == 0x7f)
				*p = '-';
		/* A log key is named like the origin it signs (tlog-checkpoint:
		 * they SHOULD match): "sovd.<hostname>/<host id>". */
		read_id("/etc/machine-id", NULL, id, sizeof(id));
		if (witness)
			snprintf(defname, sizeof(defname), "witness.%s", host);
		else
			snprintf(defname, sizeof(defname), "sovd.%s/%s", host, id);
		name = defname;
	}
	why = sovj_key_name_problem(name);
	if (why) {
		snprintf(err, errlen, "failed to generate key: %s", why);
		return -EINVAL;
	}
	ret = sovj_signer_generate_alg(&s, name, witness ? KEY_ALG_COSIG : KEY_ALG_ED25519);
	if (ret) {
		snprintf(err, errlen, "failed to generate key: OpenSSL error");
		return ret;
	}
	snprintf(path, sizeof(path), "%s.key", prefix);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to create %s: %s", path, strerror(errno));
		goto cleanup;
	}
	n = sovj_signer_format(&s, text, sizeof(text) - 1);
	if (n < 0) {
		ret = n;
		close(fd);
		snprintf(err, errlen, "failed to encode key");
		goto cleanup;
	}
	text[n++] = '\n';
	/* umask may have widened nothing, but fchmod makes 0600 explicit. */
	ret = fchmod(fd, 0600) ? -errno : sovj_write_all(fd, text, n);
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	OPENSSL_cleanse(text, sizeof(text));
	if (ret) {
		unlink(path);
		snprintf(err, errlen, "failed to write %s: %s", path, strerror(-ret));
		goto cleanup;
	}
	snprintf(path, sizeof(path), "%s.pub", prefix);
	n = sovj_pubkey_format(&s.pub, text, sizeof(text) - 1);
	text[n++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to create %s: %s", path, strerror(errno));
	} else {
		ret = sovj_write_all(fd, text, n);
		if (!ret && fsync(fd))
			ret = -errno;
		close(fd);
		if (ret) {
			snprintf(err, errlen, "failed to write %s: %s", path, strerror(-ret));
			unlink(path);
		}
	}
	/* Half a key pair is of no use and would block the next attempt. */
	if (ret) {
		snprintf(path, sizeof(path), "%s.key", prefix);
		unlink(path);
	}
cleanup:
	sovj_signer_free(&s);
	return ret;
}

/* ---- retention ---- */

/* Every record of segment s has a time before ns (the segment is read). */
static int seg_all_before(struct sov_journal *j, const struct seg_file *s, int64_t ns)
{
	uint8_t *buf = NULL;
	size_t len, off = 0;
	struct frame f;
	int ret = 1;

	if (sovj_seg_read(j->dir, s, &buf, &len, NULL, NULL, 0))
		return 0;
	while (sovj_frame_get(buf, len, off, &f) == FRAME_OK) {
		int64_t t;

		if (f.kind == FRAME_RECORD && (sovj_record_time(f.payload, f.len, &t) || t >= ns)) {
			ret = 0;
			break;
		}
		off = f.next;
	}
	free(buf);
	return ret;
}

int sov_journal_prune(struct sov_journal *j, const struct sov_prune_opts *o,
		      struct sov_prune_report *r, char *err, size_t errlen)
{
	struct seg_file *segs = NULL;
	struct seghdr first_hdr, next_hdr, cut;
	struct prune_info pi = { 0 };
	char detail[64 + COMPACT_MAX * (2 * SOV_HASH_LEN + 3) + 160];
	uint64_t total = 0, removed = 0;
	int nseg = 0, k = 0, ret, n;
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->record_seq = UINT64_MAX;
	if (j->failed)
		return sovj_errf(err, errlen, -EIO, "the journal has failed");
	ret = sovj_dir_list(j->dir, &segs, &nseg, err, errlen);
	if (ret)
		return ret;
	sovj_exported_read(j->dir, &r->exported);
	for (int i = 0; i < nseg; i++) {
		if (i && segs[i].no != segs[i - 1].no + 1) {
			ret = sovj_errf(err, errlen, -EUCLEAN,
					"segment %u is missing (next is %s): run sovctl journal verify; not pruning",
					segs[i - 1].no + 1, segs[i].name);
			goto out;
		}
		if (!fstatat(j->dirfd, segs[i].name, &st, 0))
			total += st.st_size;
	}
	if (nseg < 2 || segs[0].no >= j->segno)
		goto out;
	ret = sovj_seg_read_header(j->dir, &segs[0], &first_hdr, err, errlen);
	if (ret)
		goto out;
	cut = first_hdr;
	/* The longest run of sealed segments from the oldest that meets a
	 * criterion; segs[k] is the first one kept. */
	for (int i = 0; i + 1 < nseg && segs[i].no < j->segno; i++) {
		int chosen;

		ret = sovj_seg_read_header(j->dir, &segs[i + 1], &next_hdr, err, errlen);
		if (ret)
			goto out;
		if (fstatat(j->dirfd, segs[i].name, &st, 0))
			memset(&st, 0, sizeof(st));
		chosen = next_hdr.first <= o->finish_before ||
			 (o->before_seq && next_hdr.first <= o->before_seq) ||
			 (o->sealed_before_ns && st.st_mtim.tv_sec * 1000000000ll +
			  st.st_mtim.tv_nsec < o->sealed_before_ns) ||
			 (o->max_bytes && total - removed > o->max_bytes) ||
			 (o->before_ns && seg_all_before(j, &segs[i], o->before_ns));
		if (!chosen)
			break;
		if (!o->force && next_hdr.first > r->exported &&
		    next_hdr.first > o->finish_before) {
			r->held_back = 1;
			break;
		}
		removed += st.st_size;
		k = i + 1;
		cut = next_hdr;
	}
	if (!k)
		goto out;

	/* The record first, durable and signed; then the unlinks. */
	pi.from = first_hdr.first;
	pi.before = cut.first;
	pi.segment = cut.no;
	pi.frontier = cut.frontier;
	pi.exported = r->exported;
	pi.forced = o->force && cut.first > r->exported;
	n = sovj_prune_detail(&pi, detail, sizeof(detail));
	if (n < 0) {
		ret = sovj_errf(err, errlen, n, "prune record too large");
		goto out;
	}
	r->record_seq = j->tree.size;
	ret = append_locked(j, &(struct sov_record){ .type = SOV_REC_PRUNE, .detail = detail });
	if (!ret)
		ret = do_checkpoint(j, 1);
	if (ret) {
		sovj_errf(err, errlen, ret, "failed to write the prune record: %s", strerror(-ret));
		goto out;
	}
	r->seg_from = segs[0].no;
	r->seg_to = cut.no;
	r->from = pi.from;
	r->before = pi.before;
	for (int i = 0; i < k; i++) {
		if (unlinkat(j->dirfd, segs[i].name, 0) && errno != ENOENT) {
			ret = sovj_errf(err, errlen, -errno,
					"prune record seq %llu written, but removing %s failed: %s (the journal verifies; prune again to finish)",
					(unsigned long long)r->record_seq, segs[i].name, strerror(errno));
			goto out;
		}
	}
	if (fsync(j->dirfd))
		ret = sovj_errf(err, errlen, -errno, "fsync journal directory: %s", strerror(errno));
	jlog(j, SOV_JLOG_INFO, "pruned %s: segments %u..%u, records %llu..%llu (prune record seq %llu%s)",
	     j->dir, r->seg_from, r->seg_to - 1, (unsigned long long)r->from,
	     (unsigned long long)r->before - 1, (unsigned long long)r->record_seq,
	     pi.forced ? ", forced beyond the export marker" : "");
out:
	free(segs);
	return ret;
}
