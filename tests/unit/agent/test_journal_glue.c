// SPDX-License-Identifier: Apache-2.0
/*
 * The journal sink stamps an event's seq whenever its record got into the
 * journal, also when the checkpoint that the append triggered fails: the
 * live line must not lack the seq of a record the journal holds. The
 * journal sits on a tmpfs that fills up once its segment is nearly 64 MiB
 * (the size at which it rotates): the record that makes the segment full
 * goes in, the rotation it triggers cannot be written. Needs root (mount).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "agent/journal_glue.h"
#include "agent/journal/journal.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/sovd-test-jglue.XXXXXX";
static char disk[256];

static void cleanup(void)
{
	char cmd[600];

	umount(disk);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "failed to remove %s\n", dir);
}

int main(void)
{
	struct journal_glue g;
	struct sovd_sink s;
	struct sov_journal_stats st0, st;
	char key[300], jdir[300], filler[300], err[256];
	uint64_t stamped = 0, failed_at = 0;
	int failed_seq = -1, filled = 0;
	FILE *f;

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "a temporary directory"))
		return tap_done();
	atexit(cleanup);
	snprintf(disk, sizeof(disk), "%s/disk", dir);
	snprintf(key, sizeof(key), "%s/k", dir);
	snprintf(jdir, sizeof(jdir), "%s/journal", disk);
	snprintf(filler, sizeof(filler), "%s/filler", disk);
	mkdir(disk, 0700);
	if (!ASSERT_OK(mount("tmpfs", disk, "tmpfs", 0, "size=96m"), "mount a 96 MiB tmpfs (needs root)"))
		return tap_done();
	ASSERT_OK(sov_journal_keygen(key, NULL, err, sizeof(err)), "a journal key");
	strcat(key, ".key");
	if (!ASSERT_OK(journal_glue_open(&g, jdir, key), "open the journal"))
		return tap_done();
	sov_journal_stats(g.j, &st0);
	s = journal_glue_sink(&g);
	for (uint64_t i = 0; i < 2000000 && !g.failed; i++) {
		struct sovd_event ev = {
			.type = "taint", .wall_ns = 1, .boot_ns = 1, .pid = 1, .tid = 1,
			.comm = "t", .exe = "", .cgroup = "/",
		};

		s.emit(s.ctx, &ev);
		stamped += ev.has_seq;
		if (g.failed) {
			failed_at = i;
			failed_seq = ev.has_seq;
		}
		sov_journal_stats(g.j, &st);
		/* Within 1 MiB (one buffer flush) of the rotation, the disk
		 * fills up behind the journal's back. */
		if (!filled && st.bytes_written >= (63ull << 20)) {
			filled = 1;
			f = fopen(filler, "w");
			memset(err, 'x', sizeof(err));
			while (f && fwrite(err, 1, sizeof(err), f) == sizeof(err) && !fflush(f))
				;
			if (f)
				fclose(f);
		}
	}
	ASSERT_TRUE(filled, "the segment reached 63 MiB");
	ASSERT_TRUE(g.failed, "the journal fails once it must write");
	sov_journal_stats(g.j, &st);
	printf("# failed at event %llu; %llu records in the journal, %llu stamped\n",
	       (unsigned long long)failed_at, (unsigned long long)(st.records - st0.records),
	       (unsigned long long)stamped);
	ASSERT_EQ(failed_seq, 1, "the event whose rotation failed got into the journal: it has its seq");
	ASSERT_EQ(stamped, st.records - st0.records, "every record in the journal is a stamped event");
	ASSERT_EQ(journal_glue_close(&g), -EIO, "close: the journal failed");
	return tap_done();
}
