// SPDX-License-Identifier: Apache-2.0
/*
 * Journal throughput on one core: append (records framed, hashed into the
 * Merkle tree, written in batches, checkpoints signed and fsynced every
 * second) and verification of the result. Each record carries its event's
 * time, as sovd's do (the kernel event's timestamp, agent/pipeline.c), so
 * the journal's own clock reads, for records without one, are not timed.
 *   journal-bench DIR KEY [RECORDS [CHECKPOINT_EVERY_RECORDS]]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "agent/journal/journal.h"

/* CPU seconds (user + system) this process has used: on a shared machine
 * the wall clock also counts time other processes held the core. */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
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
	uint64_t n = argc > 3 ? strtoull(argv[3], NULL, 0) : 5000000;
	const char *classes[] = { "pii-eu" };
	struct sov_journal_stats st;
	struct sov_verify_report vr;
	struct sov_journal *j;
	double t0, t1, t2, c0, c1, c2;
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: journal-bench DIR KEY [RECORDS]\n");
		return 2;
	}
	if (argc > 4)
		o.checkpoint_every_records = strtoul(argv[4], NULL, 0);
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
	return 0;
}
