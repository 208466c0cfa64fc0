/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the journal writer, reader, verifier and exporter.
 * Byte layouts are specified in docs/journal-format.md; keep the two in step.
 */
#ifndef SOV_JOURNAL_INTERNAL_H
#define SOV_JOURNAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <openssl/evp.h>

#define SOV_HASH_LEN		32
#define SOV_SIG_LEN		64
#define SOV_KEYNAME_MAX		128

/* Frame: u32le payload length, u8 kind, 3 zero bytes, payload, u32le CRC32C
 * of everything before it. */
#define FRAME_HDR		8
#define FRAME_TRL		4
#define FRAME_OVERHEAD		(FRAME_HDR + FRAME_TRL)
#define FRAME_MAX_PAYLOAD	(1u << 20)

#define FRAME_SEGHDR		'H'	/* segment header (first frame of a segment) */
#define FRAME_RECORD		'R'	/* one record: a Merkle leaf */
#define FRAME_CHECKPOINT	'C'	/* a signed checkpoint note */
#define FRAME_MANIFEST		'M'	/* export: manifest */
#define FRAME_CONSISTENCY	'P'	/* export: consistency proof */
#define FRAME_INCLUSION		'I'	/* export: inclusion proof */
#define FRAME_BEFORE		'B'	/* export: the record just before the range */
#define FRAME_AFTER		'A'	/* export: the record just after the range */
#define FRAME_PRUNED		'X'	/* export: the prune record that removed the records before the range */
#define FRAME_RANGE		'G'	/* export/3: the range proof of B, R..., A */

#define SEG_PREFIX		"seg-"
#define SEG_LOG_SUFFIX		".log"
#define SEG_Z_SUFFIX		".log.z"
#define CHECKPOINT_FILE		"checkpoint"
#define PUBKEY_FILE		"pubkey"
#define EXPORTED_SUFFIX		".exported"	/* export marker DIR.exported (prune.c) */
#define EXPORT_MAGIC		"sovd-journal-export/3"	/* one range proof */
#define EXPORT_MAGIC_V2		"sovd-journal-export/2"	/* a proof per record: still verified */
#define SEGHDR_MAGIC		"sovd-journal-segment/1"

/* util.c: at the bottom, calls no other file. */
/* Formats a message into err (when given) and returns ret: the library's
 * error style, "return sovj_errf(err, errlen, -EINVAL, "...", ...)". */
int sovj_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void sovj_hex_encode(const uint8_t *in, size_t len, char *out);
int sovj_read_file(const char *path, uint8_t **buf, size_t *len);
/* As sovj_read_file, reusing *buf (NULL or malloc'd, *bufcap bytes) when it
 * is big enough, else replacing it; *buf stays the caller's to free, also
 * after an error. */
int sovj_read_file_into(const char *path, uint8_t **buf, size_t *bufcap, size_t *len);
int sovj_write_all(int fd, const void *buf, size_t len);
/* Writes data to dir/name via a temporary file, fsync, rename, fsync(dir). */
int sovj_publish_file(int dirfd, const char *name, const void *data, size_t len, int mode);

/* crc32c.c */
uint32_t sovj_crc32c(uint32_t crc, const void *buf, size_t len);
/* The table version, for tests of the hardware one against it. */
uint32_t sovj_crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* frame.c */
size_t sovj_frame_put(uint8_t *dst, int kind, const void *payload, uint32_t len);
enum frame_status { FRAME_OK, FRAME_END, FRAME_TORN, FRAME_BADCRC, FRAME_BADHDR };
struct frame {
	int kind;
	const uint8_t *payload;
	uint32_t len;
	size_t next;	/* offset of the following frame */
};
enum frame_status sovj_frame_get(const uint8_t *buf, size_t size, size_t off, struct frame *f);
const char *sovj_frame_status_str(enum frame_status s);
/* Frames of a file of size bytes (an export), read through a window that
 * is reused: sovj_freader_get is sovj_frame_get over the whole file, with
 * offsets in the file; the frame's payload stays valid until the next
 * call. A read error (or a file that shrank) reads as FRAME_TORN and is
 * kept in err (-errno). */
struct freader {
	int fd;
	size_t size;
	uint8_t *buf;
	size_t cap;
	size_t wstart, wlen;	/* the window holds file bytes [wstart, wstart + wlen) */
	int err;
};
int sovj_freader_init(struct freader *r, int fd, size_t size);
/* The next file, through the same window (r initialised before). */
int sovj_freader_reopen(struct freader *r, int fd, size_t size);
/* The whole file already in buf (malloc'd; the reader frees it). */
void sovj_freader_init_mem(struct freader *r, uint8_t *buf, size_t len);
void sovj_freader_free(struct freader *r);
enum frame_status sovj_freader_get(struct freader *r, size_t off, struct frame *f);

/* merkle.c: RFC 6962 hashing. */
void sovj_hash_leaf(const void *data, size_t len, uint8_t out[SOV_HASH_LEN]);
void sovj_hash_node(const uint8_t l[SOV_HASH_LEN],
		    const uint8_t r[SOV_HASH_LEN], uint8_t out[SOV_HASH_LEN]);
void sovj_hash_plain(const void *data, size_t len, uint8_t out[SOV_HASH_LEN]);

/* Compact range over [0, size): the roots of the perfect subtrees of the
 * binary decomposition of size, largest (leftmost) first. */
#define COMPACT_MAX	64
struct compact {
	uint64_t size;
	int n;
	uint8_t h[COMPACT_MAX][SOV_HASH_LEN];
};
void sovj_compact_reset(struct compact *c);
void sovj_compact_append(struct compact *c, const uint8_t leaf[SOV_HASH_LEN]);
void sovj_compact_root(const struct compact *c, uint8_t out[SOV_HASH_LEN]);

/* Full tree over an array of leaf hashes, for proofs (export, tests). */
struct mtree {
	uint64_t n;
	int nlevels;
	uint8_t **lvl;		/* lvl[k] holds the perfect subtree hashes of
				 * level k from index pruned >> k to n >> k */
	uint64_t pruned;	/* leaves [0, pruned) are gone (a pruned journal) */
	struct compact front;	/* their frontier: the compact range of [0, pruned) */
};
int sovj_mtree_build(struct mtree *t, const uint8_t *leaves, uint64_t n);
/* The tree of n leaves of which the first front->size were pruned: kept
 * holds the n - front->size others. Every node that ends after the prefix
 * is known, so are the proofs of kept leaves; a node inside the prefix
 * that is not a frontier node is not (-ENODATA from what needs it). */
int sovj_mtree_build_pruned(struct mtree *t, const struct compact *front,
			    const uint8_t *kept, uint64_t n);
void sovj_mtree_free(struct mtree *t);
/* Root of the first size leaves (size <= t->n); -ENODATA if pruned. */
int sovj_mtree_root(const struct mtree *t, uint64_t size, uint8_t out[SOV_HASH_LEN]);
/* Proofs: write at most 64 hashes to out, return the count or -errno
 * (-ENODATA: a hash it needs was pruned). */
int sovj_mtree_inclusion(const struct mtree *t, uint64_t index,
			 uint64_t size, uint8_t out[][SOV_HASH_LEN]);
int sovj_mtree_consistency(const struct mtree *t, uint64_t size1,
			   uint64_t size2, uint8_t out[][SOV_HASH_LEN]);
/* Range proofs (exports): the frontier of [0, lo), then the maximal
 * aligned perfect subtrees of [hi, n) left to right; at most 128 hashes.
 * sovj_compact_append_subtree appends the root of a perfect subtree of
 * 2^height leaves starting at c->size (a multiple of 2^height). */
#define RANGE_PROOF_MAX	128
int sovj_mtree_range_proof(const struct mtree *t, uint64_t lo, uint64_t hi, uint64_t n,
			   uint8_t out[][SOV_HASH_LEN]);
int sovj_range_proof_len(uint64_t lo, uint64_t hi, uint64_t n);
int sovj_range_right_height(uint64_t at, uint64_t n);
void sovj_compact_append_subtree(struct compact *c, const uint8_t h[SOV_HASH_LEN], int height);
/* 0 when the proof holds, -EINVAL otherwise. */
int sovj_merkle_verify_inclusion(uint64_t index, uint64_t size,
				 const uint8_t leaf[SOV_HASH_LEN], const uint8_t proof[][SOV_HASH_LEN],
				 int nproof, const uint8_t root[SOV_HASH_LEN]);
int sovj_merkle_verify_consistency(uint64_t size1, uint64_t size2,
				   const uint8_t root1[SOV_HASH_LEN], const uint8_t root2[SOV_HASH_LEN],
				   const uint8_t proof[][SOV_HASH_LEN], int nproof);

/* note.c: Ed25519 keys in the signed-note key formats and checkpoints. */
#define KEY_ALG_ED25519		0x01	/* signed-note Ed25519: the log's key */
#define KEY_ALG_COSIG		0x04	/* tlog-cosignature/v1 Ed25519: a witness's key */
struct sov_pubkey {
	char name[SOV_KEYNAME_MAX];
	uint8_t pub[32];
	uint8_t hash[4];	/* C2SP key id */
	int alg;		/* KEY_ALG_*: the signature type byte */
	EVP_PKEY *pkey;
};
struct sov_signer {
	struct sov_pubkey pub;
	EVP_PKEY *pkey;
};
/* "<name>+<hash hex>+<base64(0x01 || pub)>" */
int sovj_pubkey_format(const struct sov_pubkey *k, char *out, size_t outlen);
int sovj_pubkey_parse(struct sov_pubkey *k, const char *text, size_t len, char *err, size_t errlen);
int sovj_pubkey_load(struct sov_pubkey *k, const char *path, char *err, size_t errlen);
void sovj_pubkey_free(struct sov_pubkey *k);
int sovj_signer_load(struct sov_signer *s, const char *path, char *err, size_t errlen);
int sovj_signer_generate(struct sov_signer *s, const char *name);
/* As sovj_signer_generate, of type alg (KEY_ALG_*). */
int sovj_signer_generate_alg(struct sov_signer *s, const char *name, int alg);
/* NULL when name is a valid signed-note key name (non-empty, at most
 * SOV_KEYNAME_MAX - 1 bytes, valid UTF-8, no Unicode space, no '+', no
 * control character), else what is wrong with it. */
const char *sovj_key_name_problem(const char *name);
/* "PRIVATE+KEY+<name>+<hash hex>+<base64(alg || seed)>" */
int sovj_signer_format(const struct sov_signer *s, char *out, size_t outlen);
void sovj_signer_free(struct sov_signer *s);

struct checkpoint {
	char origin[256];
	uint64_t size;
	uint8_t root[SOV_HASH_LEN];
};
/* Writes the signed note to out; returns its length or -errno. */
int sovj_checkpoint_sign(struct sov_signer *s, const struct checkpoint *c, char *out, size_t outlen);
/* Parses a note and checks the signature by key k. err says what is wrong. */
int sovj_checkpoint_open(const struct sov_pubkey *k, const char *note, size_t len,
			 struct checkpoint *c, char *err, size_t errlen);
#define CHECKPOINT_MAX	1024

/*
 * Checkpoints held off the host may carry more signature lines: witness
 * cosignatures (c2sp.org/tlog-cosignature, cosignature/v1) and signatures by
 * keys this verifier does not know, which signed-note says to ignore.
 * sovj_checkpoint_open_cosigned checks the signature by the log key k, and
 * each cosignature by one of the nw witness keys w (a known witness's bad
 * cosignature is an error, -EKEYREJECTED); valid cosignatures, one per
 * witness, go to cs (at most maxcs), their count to *ncs; *nignored counts
 * the lines by unknown keys. logonly (CHECKPOINT_MAX bytes, or NULL) gets
 * the note with the log's signature line alone, as sovd wrote it, and
 * *logonly_len its length. sovj_checkpoint_open stays strict: sovd's own
 * notes (segments, exports, the checkpoint file) hold exactly one line.
 */
struct cosig {
	int witness;			/* index into w */
	uint64_t time;			/* POSIX seconds, as signed */
};
#define COSIG_MAX_LINES	64	/* signature lines accepted in one note */
int sovj_checkpoint_open_cosigned(const struct sov_pubkey *k, const struct sov_pubkey *w, int nw,
				  const char *note, size_t len, struct checkpoint *c,
				  struct cosig *cs, int maxcs, int *ncs, int *nignored,
				  char *logonly, size_t *logonly_len, char *err, size_t errlen);
/* Length of the note's signed text (the body up to and including the
 * newline before the blank line), or -EINVAL. */
int sovj_note_body_len(const char *note, size_t len);
/* The cosignature line "— <name> <base64(key id || u64be t || sig)>\n"
 * by witness key s over the note's body at time t. Returns its length. */
int sovj_cosign_line(const struct sov_signer *s, const char *note, size_t len, uint64_t t,
		     char *out, size_t outlen);

/* record.c */
struct sov_record;
struct rec_ctx {
	const char *host;
	const char *boot;
	const char *version;	/* the agent's version, or NULL */
	int64_t cached_sec;
	char cached_prefix[32];	/* "YYYY-MM-DDTHH:MM:SS" of cached_sec */
	int cached_prefix_len;
	/* `,"host":"…","boot":"…","version":"…"` as every record of this writer encodes it,
	 * made at the first record (host and boot never change): 0 not yet,
	 * -1 too long for the cache (encoded per record) */
	int hb_len;
	char hb[512];
};
/* Encodes r as canonical JSON into buf; returns length, or -ENOSPC. */
int sovj_record_encode(struct rec_ctx *x, const struct sov_record *r, uint64_t seq,
		       uint64_t wall_ns, uint64_t boot_ns, char *buf, size_t buflen);
/* Pulls fields out of a canonical record without a full parse. */
/* s as a JSON string literal with the record escaping rules. */
int sovj_json_string(const char *s, char *out, size_t outlen);
int sovj_record_seq(const uint8_t *rec, size_t len, uint64_t *seq);
int sovj_record_time(const uint8_t *rec, size_t len, int64_t *wall_ns);
int sovj_format_rfc3339(int64_t ns, char *out, size_t outlen);

/* segment.c: reading a journal directory. */
struct seg_file {
	char name[64];
	uint32_t no;
	int compressed;
};
/* Lists the segments of dir in order; unexpected names are an error. */
int sovj_dir_list(const char *dir, struct seg_file **segs, int *nseg, char *err, size_t errlen);
/* A sealed (compressed) segment is the zlib stream followed by a signed
 * note binding the stream's exact bytes: deflate has bits a decoder
 * ignores, so without it some changes would decompress to the same data. */
struct seg_seal {
	uint8_t zhash[SOV_HASH_LEN];	/* SHA-256 of the zlib stream */
	const uint8_t *note;		/* points into the buffer sovj_seg_read frees */
	size_t notelen;
	uint8_t *raw;			/* owned: free() */
};
#define SEAL_SUFFIX	" sealed "
/* Reads a whole segment (decompressing if needed). seal (optional) gets
 * the trailer of a compressed segment; callers that do not check it pass
 * NULL. */
int sovj_seg_read(const char *dir, const struct seg_file *s, uint8_t **buf, size_t *len,
		  struct seg_seal *seal, char *err, size_t errlen);
/* As sovj_seg_read, reading an uncompressed segment into *buf (NULL or
 * malloc'd, *bufcap bytes; reused when big enough). *buf stays the caller's
 * to free, also after an error. */
int sovj_seg_read_into(const char *dir, const struct seg_file *s, uint8_t **buf, size_t *bufcap,
		       size_t *len, struct seg_seal *seal, char *err, size_t errlen);

struct seghdr {
	uint32_t no;
	uint64_t first;		/* index of its first record */
	struct compact frontier; /* tree over [0, first) */
};
#define SEGHDR_MAX	(64 + COMPACT_MAX * (2 * SOV_HASH_LEN + 1) + 64)
int sovj_seghdr_encode(const struct seghdr *s, char *out, size_t outlen);
/* Parses a header payload (canonical form only); p NULL fails. */
int sovj_seghdr_parse(const uint8_t *p, size_t len, struct seghdr *sh);
/* Reads and parses only the header of segment s (cheap, also sealed). */
int sovj_seg_read_header(const char *dir, const struct seg_file *s, struct seghdr *sh,
			 char *err, size_t errlen);

/* prune.c: the prune record (type "prune") and the export marker. */
struct prune_info {
	uint64_t seq;		/* of the prune record */
	int64_t time_ns;
	uint64_t from;		/* first record of the journal before this prune */
	uint64_t before;	/* first record kept: records [0, before) are gone */
	uint32_t segment;	/* first segment kept; its header starts at before */
	struct compact frontier; /* compact range of [0, before) */
	uint64_t exported;	/* the export marker when it pruned */
	int forced;		/* pruned beyond the export marker (--force) */
};
/* The detail text (canonical JSON object); length or -ENOSPC. */
int sovj_prune_detail(const struct prune_info *p, char *out, size_t outlen);
/* 0: not a prune record; 1: parsed into p; -EBADMSG: a prune record that
 * is not in canonical form or not self-consistent. */
int sovj_prune_parse(const uint8_t *rec, size_t len, struct prune_info *p);
/* The marker, DIR.exported beside the journal directory DIR: records
 * [.., upto) are held by exports. -ENOENT: none yet. */
int sovj_exported_read(const char *dir, uint64_t *upto);
/* After an export of [first, end) from a journal whose first record is
 * base: moves the marker to end when the export continues the covered
 * range; *upto gets the marker as it stands. */
int sovj_exported_advance(const char *dir, uint64_t base, uint64_t first, uint64_t end,
			  uint64_t *upto);

/* verify.c: sov_journal_verify for a journal directory that may be in use:
 * an incomplete frame at the end of the last segment (a write in progress)
 * ends the walk instead of failing it. The exporter uses it, proving only
 * what the published checkpoint covers. */
struct sov_verify_opts;
struct sov_verify_report;
int sovj_verify_live(const char *dir, const struct sov_verify_opts *o,
		     struct sov_verify_report *report);

#endif
