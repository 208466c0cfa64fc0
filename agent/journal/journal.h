/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libsovjournal: the signed, tamper-evident audit journal (docs/journal-format.md).
 *
 * How sovd uses it:
 *
 *	struct sov_journal_opts o = {
 *		.dir = "/var/lib/sovd/journal", .key_path = "/etc/sovd/journal.key",
 *		.log = my_log, .log_ctx = ctx,	// everything else 0 = defaults
 *	};
 *	struct sov_journal *j;
 *	err = sov_journal_open(&j, &o);	// -EPERM: key readable by group/others
 *	// open() already cut a torn tail and appended a "recovery" record.
 *	sov_journal_append(j, &(struct sov_record){ .type = "agent",
 *			   .detail = "start mode=lsm" });
 *	loop:
 *		poll(..., timeout <= 100 ms);
 *		for each event: err = sov_journal_append(j, &rec);
 *		err = sov_journal_tick(j);	// checkpoints, heartbeats
 *		if (err == -EIO) fail closed: stop accepting events, exit non-zero;
 *		the library has already logged why and counted it
 *		(sov_journal_stats().write_errors).
 *	sov_journal_append(j, &(struct sov_record){ .type = "agent", .detail = "stop" });
 *	sov_journal_close(j);		// final checkpoint, fsync
 *
 * A journal object is not thread-safe: call it from one thread. One process
 * at a time may write a directory (flock; a second open gets -EBUSY). A
 * directory belongs to one key and one origin: open() refuses another key
 * (-EKEYREJECTED) or origin (-EUCLEAN); a new key needs a new directory.
 * open() also refuses (-EUCLEAN) when records that the published checkpoint
 * covers cannot be read back, rather than sign a tree contradicting it:
 * run "sovctl journal verify" and move the directory aside.
 * Records are buffered and written in batches; they are durable and signed
 * at the next checkpoint (every checkpoint_interval_ms, every
 * checkpoint_every_records records, on rotation and on close). After an
 * fsync or write error the journal stays failed: every call returns -EIO.
 */
#ifndef SOV_JOURNAL_H
#define SOV_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sov_journal_log_level {
	SOV_JLOG_ERR,
	SOV_JLOG_WARN,
	SOV_JLOG_INFO,
};
typedef void (*sov_journal_log_fn)(int level, const char *msg, void *ctx);

struct sov_journal_opts {
	const char *dir;		/* created (0700) if missing */
	const char *key_path;		/* PRIVATE+KEY+... file, mode 0600 or stricter */
	const char *origin;		/* checkpoint origin; NULL: "sovd.<hostname>/<host id>" */
	const char *host_id;		/* NULL: /etc/machine-id */
	const char *boot_id;		/* NULL: /proc/sys/kernel/random/boot_id */
	const char *agent_version;	/* "version" of every record; NULL: left out */
	uint64_t segment_max_bytes;	/* 0: 64 MiB */
	uint32_t checkpoint_every_records; /* 0: 10000; UINT32_MAX: only by time */
	uint32_t checkpoint_interval_ms; /* 0: 1000 */
	uint32_t heartbeat_interval_ms;	/* 0: 60000 */
	int compress_sealed;		/* zlib-compress segments once sealed, in the
					 * appending thread: ~0.3 s per 64 MiB */
	sov_journal_log_fn log;		/* NULL: messages go to stderr */
	void *log_ctx;
};

/* Record types. */
#define SOV_REC_AGENT		"agent"
#define SOV_REC_POLICY		"policy"
#define SOV_REC_TAINT		"taint"
#define SOV_REC_DERIVE		"derive"
#define SOV_REC_EGRESS		"egress"
#define SOV_REC_LOSS		"loss"
#define SOV_REC_HEARTBEAT	"heartbeat"
#define SOV_REC_RECOVERY	"recovery"
#define SOV_REC_TAMPER		"tamper"	/* issue 12: sovd's self-audit, or an attempt on sovd refused */
#define SOV_REC_PRUNE		"prune"		/* issue 15: sealed segments removed (sov_journal_prune) */

/* Field groups present in a record (sov_record.has). */
#define SOV_HAS_ACTOR	(1u << 0)	/* pid, uid (+ comm, exe, cgroup if non-NULL) */
#define SOV_HAS_OBJECT	(1u << 1)	/* dev, ino (+ path if non-NULL) */
#define SOV_HAS_DEST	(1u << 2)	/* dst, dport (+ proto, zone if non-NULL) */

/*
 * One event. The library adds seq, host, boot and, when wall_ns/boot_ns are
 * 0, the current times. NULL strings and empty lists are omitted. Strings
 * are copied into the record; they need to live only for the call.
 */
struct sov_record {
	const char *type;		/* SOV_REC_*; required */
	uint64_t wall_ns;		/* CLOCK_REALTIME ns; 0: now */
	uint64_t boot_ns;		/* CLOCK_BOOTTIME ns; 0: now */
	unsigned int has;		/* SOV_HAS_* */
	int32_t pid;
	uint32_t uid;
	const char *comm, *exe, *cgroup;
	uint64_t dev, ino;
	const char *path;
	const char *const *classes;
	uint32_t nclasses;
	const char *dst;		/* address as text */
	uint16_t dport;
	const char *proto;		/* "tcp", "udp", ... */
	const char *zone;
	const char *verdict;		/* "allow", "deny", "audit" */
	const char *const *violated;
	uint32_t nviolated;
	const char *hook;		/* egress: where it was decided ("connect", "socket", ...) */
	const char *policy_sha256;	/* hex */
	const char *jdata;		/* jurisdiction data version */
	const char *detail;		/* agent/policy/loss/...: free text */
};

struct sov_journal;

int sov_journal_open(struct sov_journal **out, const struct sov_journal_opts *opts);
/* 0, -EIO once failed, -EINVAL for a bad record, -E2BIG if too large. */
int sov_journal_append(struct sov_journal *j, const struct sov_record *r);
/* Writes due checkpoints and heartbeats. Call at least every 100 ms. */
int sov_journal_tick(struct sov_journal *j);
/* Forces a checkpoint now (flush, sign, fsync, publish). */
int sov_journal_checkpoint(struct sov_journal *j);
/* Final checkpoint and fsync; frees j. Returns the first error seen. */
int sov_journal_close(struct sov_journal *j);

/*
 * Retention (docs/journal-format.md section 12). Removes whole sealed
 * segments from the oldest on, as long as each meets one of the criteria
 * given, and only those an export has covered (the "exported" marker that
 * sov_journal_export advances, DIR.exported beside the directory) unless force. Before removing anything it
 * appends a "prune" record (range removed, frontier of the tree at the
 * first record kept) and publishes a checkpoint covering it, then unlinks
 * the segments oldest first: a crash at any point leaves a journal that
 * verifies. Cheap enough for sovd's loop when only sealed_before_ns and
 * max_bytes are used (stat and one segment header per segment); before_ns
 * reads the segments.
 */
struct sov_prune_opts {
	uint64_t before_seq;		/* all records seq < before_seq; 0: not by seq */
	int64_t before_ns;		/* all records' time < before_ns; 0: not by time */
	int64_t sealed_before_ns;	/* sealed (file mtime) before, CLOCK_REALTIME; 0: no */
	uint64_t max_bytes;		/* oldest first while the segments take more; 0: no */
	uint64_t finish_before;		/* an earlier prune record removed the records
					 * before this (an interrupted prune, see
					 * sov_verify_report.prune_pending): those
					 * segments go, without the export check */
	int force;			/* also what no export covers */
};
struct sov_prune_report {
	uint32_t seg_from, seg_to;	/* segments removed: [seg_from, seg_to) */
	uint64_t from, before;		/* records removed: [from, before) */
	uint64_t record_seq;		/* the prune record; UINT64_MAX: nothing pruned */
	uint64_t exported;		/* the export marker: records before it are exported */
	int held_back;			/* stopped at a segment no export covers */
};
/* 0 (r says what was done, possibly nothing); -EIO: the journal failed
 * (fail closed, as for an append); other -errno: nothing or only part of
 * the unlinks was done, the journal verifies, err says why. */
int sov_journal_prune(struct sov_journal *j, const struct sov_prune_opts *o,
		      struct sov_prune_report *r, char *err, size_t errlen);

struct sov_journal_stats {
	uint64_t records;		/* tree size: records in the journal */
	uint64_t appended;		/* records appended by this process */
	uint64_t checkpoints;		/* checkpoints written by this process */
	uint64_t checkpointed;		/* tree size of the last checkpoint */
	uint64_t bytes_written;
	uint64_t write_errors;		/* write/fsync failures (journal failed) */
	uint64_t recovered_bytes;	/* torn tail cut at open */
	int failed;
};
void sov_journal_stats(const struct sov_journal *j, struct sov_journal_stats *st);

/* ---- keys ---- */

/* Writes PREFIX.key (0600, PRIVATE+KEY+name+hash+base64) and PREFIX.pub
 * (name+hash+base64). name NULL: "sovd.<hostname>/<host id>". Refuses to overwrite
 * existing files (-EEXIST). */
int sov_journal_keygen(const char *prefix, const char *name, char *err, size_t errlen);
/* As sov_journal_keygen; flags SOV_KEYGEN_WITNESS makes a witness's key
 * (cosignature/v1, type 0x04; default name "witness.<hostname>"). The
 * default name of a log key is the default origin, "sovd.<hostname>/<host id>". */
#define SOV_KEYGEN_WITNESS	0x1
int sov_journal_keygen_ex(const char *prefix, const char *name, unsigned int flags, char *err,
			  size_t errlen);

/* ---- reading, verification, export (sovctl, auditors) ---- */

struct sov_verify_opts {
	const char *pubkey_path;	/* NULL: the key stored with the journal/export */
	const char *const *checkpoint_paths; /* checkpoints held elsewhere */
	int ncheckpoints;
	/* Witnesses (c2sp.org/tlog-cosignature): public keys of type 0x04
	 * (sovctl keygen --witness). Each checkpoint_paths note must carry
	 * valid cosignatures by at least witnesses_required distinct ones of
	 * them; cosignature lines by other keys are ignored, a bad one by a
	 * listed witness makes the verdict invalid. */
	const char *const *witness_paths;
	int nwitnesses;
	int witnesses_required;
};

/* One valid witness cosignature on a checkpoint_paths note. */
struct sov_verify_cosig {
	char witness[128];		/* the witness key's name */
	char checkpoint[256];		/* the note's path */
	uint64_t size;			/* the tree size it cosigned */
	uint64_t time;			/* when, POSIX seconds (as signed) */
};
#define SOV_VERIFY_COSIGS	32

struct sov_verify_report {
	int valid;			/* 1: every check passed */
	int is_export;
	int key_from_journal;		/* no --pubkey: trusted the embedded key */
	char origin[256];
	char key[256];			/* verifier key used */
	uint64_t records;		/* records seen */
	uint64_t first;			/* index of the first record (exports) */
	uint64_t checkpoints;		/* signed checkpoints checked */
	uint64_t checkpointed;		/* tree size of the last good checkpoint */
	uint64_t unauthenticated;	/* records after the last checkpoint */
	uint64_t external_ok;		/* --checkpoint files found consistent */
	uint64_t ignored_sigs;		/* signature lines on them by unknown keys */
	int ncosigs;			/* valid witness cosignatures (first SOV_VERIFY_COSIGS) */
	struct sov_verify_cosig cosigs[SOV_VERIFY_COSIGS];
	uint64_t segments;
	/* First problem: where and why. */
	char file[256];
	int64_t offset;			/* -1: not applicable */
	int64_t seq;			/* -1: not applicable */
	char error[512];
	/* Retention (directories): the journal starts at seq first, records
	 * before it removed by the prune record prune_seq. */
	uint64_t pruned_before;		/* the last prune record's "before"; 0: none */
	int64_t prune_seq;		/* -1: no prune record */
	int64_t prune_time_ns;
	uint64_t prune_pending;		/* segments the last prune removed still present
					 * (an interrupted prune): their count */
};

/* 0 when verification ran (report->valid says the verdict); negative errno
 * when it could not (unreadable path, bad --pubkey), message in report->error. */
int sov_journal_verify(const char *path, const struct sov_verify_opts *o,
		       struct sov_verify_report *report);

struct sov_journal_entry {
	uint64_t index;			/* leaf index == record seq */
	const char *file;
	uint64_t offset;		/* frame offset in the (uncompressed) file */
	const uint8_t *data;		/* record bytes (canonical JSON, not NUL-terminated) */
	size_t len;
};
typedef int (*sov_journal_entry_fn)(const struct sov_journal_entry *e, void *ctx);

/* Calls fn for each record of a journal directory or export file, in order.
 * Does not verify (use sov_journal_verify); stops at the first damaged frame
 * with an error. A non-zero return from fn stops and is returned. */
int sov_journal_read(const char *path, sov_journal_entry_fn fn, void *ctx,
		     char *err, size_t errlen);

struct sov_export_opts {
	const char *dir;
	const char *out;
	int64_t since_ns;		/* INT64_MIN: from the start */
	int64_t until_ns;		/* INT64_MAX: to the end */
	/* Checkpoints an auditor already holds (an earlier export's): each
	 * must be consistent with the journal, and the export carries a
	 * consistency proof from it. */
	const char *const *checkpoint_paths;
	int ncheckpoints;
	/* Witness keys and how many must have cosigned each of those
	 * checkpoints: as struct sov_verify_opts (the journal is verified
	 * with them before anything is written). */
	const char *const *witness_paths;
	int nwitnesses;
	int witnesses_required;
};
struct sov_export_report {
	uint64_t first, count;		/* records exported: [first, first+count) */
	uint64_t tree_size;		/* size of the checkpoint they are proven against */
	uint64_t checkpoints;
	uint64_t skipped_unauthenticated;
	/* Retention: the window reached into records a prune removed; the
	 * export starts at pruned_before and carries that prune record. */
	uint64_t pruned_before;		/* 0: nothing asked for was pruned */
	int64_t prune_seq, prune_time_ns;
	/* The directory's export marker after this export (section 12);
	 * marker_err: it could not be written (a read-only copy). */
	uint64_t exported_upto;
	int marker_err;
};
/* The journal is verified first; an invalid journal is not exported
 * (-EBADMSG, reason in err). */
int sov_journal_export(const struct sov_export_opts *o, struct sov_export_report *r,
		       char *err, size_t errlen);

/* RFC 3339 (UTC "Z" or numeric offset, optional fraction) or a date
 * YYYY-MM-DD (midnight UTC) to ns since the epoch. */
int sov_journal_parse_time(const char *s, int64_t *ns);

#ifdef __cplusplus
}
#endif
#endif
