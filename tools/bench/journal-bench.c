// SPDX-License-Identifier: Apache-2.0
/*
 * Journal throughput on one core: append (records framed, hashed into the
 * Merkle tree, written in batches, checkpoints signed and fsynced every
 * second) and verification of the result. Each record carries its event's
 * time, as sovd's do (the kernel event's timestamp, agent/pipeline.c), so
 * the journal's own clock reads, for records without one, are not timed.
 * Then an export of the first EXPORT_RECORDS records (DIR.sovj, default
 * 1,000,000) and its verification, beside the floor in the same run: the
 * SHA-256 work no verifier can skip (each record's leaf hash and the
 * tree's node hashes, the records already in memory), and SHA-256 of the
 * export's bytes as one stream. Calls libsovjournal (journal.h, and the
 * hash functions of jinternal.h for the floor).
 *   journal-bench DIR KEY [RECORDS [CHECKPOINT_EVERY_RECORDS [EXPORT_RECORDS]]]
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/sha.h>
#include "agent/journal/journal.h"
#include "agent/journal/jinternal.h"

/* CPU seconds (user + system) this process has used: on a shared machine
 * the wall clock also counts time other processes held the core. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* CPU time of this thread, to the ns: for the floor's hashing alone. */
static double tcpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The floor of export verification, over the export at path: its records
 * (R, B, A frames) are read in chunks, not timed; then each chunk's records
 * are hashed as leaves into a compact range, timed (*leaf_s), and the
 * chunk as one SHA-256 stream, timed (*stream_s). No CRC, no parsing. */
static int floor_pass(const char *path, uint64_t *nrec, double *leaf_s, double *stream_s)
{
	static struct compact c;
	size_t cap = 4u << 20, have = 0, off;
	uint8_t *b = malloc(cap), leaf[SOV_HASH_LEN], md[SOV_HASH_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	SHA256_CTX sc;
	double t;

	*nrec = 0;
	*leaf_s = *stream_s = 0;
	if (fd < 0 || !b) {
		free(b);
		return -1;
	}
	sovj_compact_reset(&c);
	SHA256_Init(&sc);
	for (;;) {
		ssize_t got = read(fd, b + have, cap - have);

		if (got < 0) {
			free(b);
			close(fd);
			return -1;
		}
		have += got;
		t = tcpu();
		SHA256_Update(&sc, b + have - got, got);
		*stream_s += tcpu() - t;
		t = tcpu();
		for (off = 0; have - off >= 12; ) {
			uint32_t len = b[off] | b[off + 1] << 8 | b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
			int kind = b[off + 4];

			if (have - off < 12 + (size_t)len)
				break;
			if (kind == 'R' || kind == 'B' || kind == 'A') {
				sovj_hash_leaf(b + off + 8, len, leaf);
				sovj_compact_append(&c, leaf);
				(*nrec)++;
			}
			off += 12 + len;
		}
		*leaf_s += tcpu() - t;
		memmove(b, b + off, have - off);
		have -= off;
		if (got == 0)
			break;
	}
	SHA256_Final(md, &sc);
	free(b);
	close(fd);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sov_journal_opts o = {
		.checkpoint_every_records = UINT32_MAX,	/* time-driven: every second */
		.checkpoint_interval_ms = 1000,
		.segment_max_bytes = 256ull << 20,
	};
	uint64_t n = argc > 3 ? strtoull(argv[3], NULL, 0) : 5000000, xn = 1000000, fn;
	double fleaf, fstream;
	char xpath[4096], xerr[512];
	const char *classes[] = { "pii-eu" };
	struct sov_journal_stats st;
	struct sov_verify_report vr;
	struct sov_journal *j;
	double t0, t1, t2, c0, c1, c2;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: journal-bench DIR KEY [RECORDS [CHECKPOINT_EVERY_RECORDS [EXPORT_RECORDS]]]\n");
		return 2;
	}
	if (argc > 4)
		o.checkpoint_every_records = strtoul(argv[4], NULL, 0);
	if (argc > 5)
		xn = strtoull(argv[5], NULL, 0);
	if (xn > n)
		xn = n;
	o.dir = argv[1];
	o.key_path = argv[2];
	err = sov_journal_open(&j, &o);
	if (err) {
		fprintf(stderr, "journal-bench: failed to open journal: %s\n", strerror(-err));
		return 2;
	}
	struct timespec bt, wt;

	clock_gettime(CLOCK_BOOTTIME, &bt);
	clock_gettime(CLOCK_REALTIME, &wt);
	t0 = now();
	c0 = cpu();
	for (uint64_t i = 0; i < n; i++) {
		/* events 731 ns apart: every record's time differs */
		uint64_t ev = i * 731;
		struct sov_record r = {
			.boot_ns = bt.tv_sec * 1000000000ull + bt.tv_nsec + ev,
			.wall_ns = wt.tv_sec * 1000000000ull + wt.tv_nsec + ev,
			.type = SOV_REC_EGRESS, .has = SOV_HAS_ACTOR | SOV_HAS_DEST,
			.pid = 4242, .uid = 1000, .comm = "python3",
			.classes = classes, .nclasses = 1,
			.dst = "10.20.1.7", .dport = 443, .proto = "tcp", .zone = "us",
			.verdict = "deny", .violated = classes, .nviolated = 1,
		};

		err = sov_journal_append(j, &r);
		if (!err && (i & 1023) == 0)
			err = sov_journal_tick(j);
		if (err) {
			fprintf(stderr, "journal-bench: append failed: %s\n", strerror(-err));
			return 1;
		}
	}
	sov_journal_stats(j, &st);
	err = sov_journal_close(j);
	t1 = now();
	c1 = cpu();
	if (err) {
		fprintf(stderr, "journal-bench: close failed: %s\n", strerror(-err));
		return 1;
	}
	printf("append: %llu records (avg %.0f bytes framed), %.1f MB, %llu checkpoints: %.3f s wall, %.3f s CPU: %.0f records/s wall, %.0f records/s per CPU second, %.1f MB/s\n",
	       (unsigned long long)n, (double)st.bytes_written / n, st.bytes_written / 1e6,
	       (unsigned long long)st.checkpoints + 1, t1 - t0, c1 - c0, n / (t1 - t0),
	       n / (c1 - c0), st.bytes_written / 1e6 / (t1 - t0));
	err = sov_journal_verify(argv[1], NULL, &vr);
	t2 = now();
	c2 = cpu();
	if (err || !vr.valid) {
		fprintf(stderr, "journal-bench: verification failed: %s\n", vr.error);
		return 1;
	}
	printf("verify: %llu records: %.3f s wall, %.3f s CPU: %.0f records/s wall, %.0f records/s per CPU second, %.1f MB/s\n",
	       (unsigned long long)vr.records, t2 - t1, c2 - c1, vr.records / (t2 - t1),
	       vr.records / (c2 - c1), st.bytes_written / 1e6 / (t2 - t1));
	if (!xn)
		return 0;

	/* An export of records [0, xn): until the time of record xn. */
	struct sov_export_opts xo = {
		.dir = argv[1], .out = xpath, .since_ns = INT64_MIN,
		.until_ns = xn < n ? (int64_t)(wt.tv_sec * 1000000000ull + wt.tv_nsec + xn * 731) : INT64_MAX,
	};
	struct sov_export_report xr;
	struct stat xs;

	snprintf(xpath, sizeof(xpath), "%s.sovj", argv[1]);
	t1 = now();
	c1 = cpu();
	err = sov_journal_export(&xo, &xr, xerr, sizeof(xerr));
	t2 = now();
	c2 = cpu();
	if (err || stat(xpath, &xs)) {
		fprintf(stderr, "journal-bench: export failed: %s\n", err ? xerr : strerror(errno));
		return 1;
	}
	printf("export: %llu records, %.1f MB: %.3f s wall, %.3f s CPU\n",
	       (unsigned long long)xr.count, xs.st_size / 1e6, t2 - t1, c2 - c1);
	t1 = now();
	c1 = cpu();
	err = sov_journal_verify(xpath, NULL, &vr);
	t2 = now();
	c2 = cpu();
	if (err || !vr.valid) {
		fprintf(stderr, "journal-bench: verification of the export failed: %s\n", vr.error);
		return 1;
	}
	if (floor_pass(xpath, &fn, &fleaf, &fstream)) {
		fprintf(stderr, "journal-bench: failed to read %s\n", xpath);
		return 1;
	}
	printf("verify-export: %llu records: %.3f s wall, %.3f s CPU: %.0f records/s wall, %.0f records/s per CPU second, %.1f MB/s\n",
	       (unsigned long long)vr.records, t2 - t1, c2 - c1, vr.records / (t2 - t1),
	       vr.records / (c2 - c1), xs.st_size / 1e6 / (c2 - c1));
	printf("floor: %llu records: leaf and node SHA-256 %.3f s CPU: %.0f records/s per CPU second; SHA-256 of the export as one stream %.3f s CPU: %.0f records/s per CPU second, %.1f MB/s\n",
	       (unsigned long long)fn, fleaf, fn / fleaf, fstream, fn / fstream,
	       xs.st_size / 1e6 / fstream);
	return 0;
}
