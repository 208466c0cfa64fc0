// SPDX-License-Identifier: Apache-2.0
/* The writer through its public API: open/append/close, re-open, torn-tail
 * recovery, refusals (key mode, lock, other key, lost checkpointed records),
 * rotation with compression, checkpoint and heartbeat triggers, fail-closed
 * on a write error, and export with a time range. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/lib/tap.h"
#include "agent/journal/journal.h"

static char tmpdir[] = "/tmp/sov-journal-XXXXXX";
static char key[300], key2[300], dir[300];
static char lastlog[1024];
static int nerr;

static void logcb(int level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == SOV_JLOG_ERR)
		nerr++;
	snprintf(lastlog, sizeof(lastlog), "%s", msg);
}

static struct sov_journal_opts opts(void)
{
	return (struct sov_journal_opts){
		.dir = dir, .key_path = key, .host_id = "host-a", .boot_id = "boot-1",
		.origin = "sovd.test/host-a", .log = logcb,
	};
}

static int append_n(struct sov_journal *j, int n, uint64_t t0)
{
	for (int i = 0; i < n; i++) {
		int err = sov_journal_append(j, &(struct sov_record){
			.type = SOV_REC_TAINT, .has = SOV_HAS_ACTOR | SOV_HAS_OBJECT,
			.pid = 100 + i, .comm = "cat", .dev = 1, .ino = i, .path = "/srv/x",
			.wall_ns = t0 ? t0 + i * 1000000000ull : 0 });
		if (err)
			return err;
	}
	return 0;
}

static int verify(const char *path, struct sov_verify_report *r)
{
	int err = sov_journal_verify(path, NULL, r);

	if (err || !r->valid)
		printf("#   verify %s: err %d: %s offset %lld seq %lld: %s\n", path, err, r->file,
		       (long long)r->offset, (long long)r->seq, r->error);
	return err ? err : !r->valid;
}

struct grab {
	char last[1024];
	int n;
};

static int grab_cb(const struct sov_journal_entry *e, void *ctx)
{
	struct grab *g = ctx;

	snprintf(g->last, sizeof(g->last), "%.*s", (int)e->len, (const char *)e->data);
	g->n++;
	return 0;
}

static void test_basic(void)
{
	struct sov_journal_opts o = opts();
	struct sov_verify_report r;
	struct sov_journal_stats st;
	struct sov_journal *j, *j2;
	struct grab g = { 0 };
	char err[256];

	if (!ASSERT_OK(sov_journal_open(&j, &o), "open fresh journal"))
		return;
	ASSERT_EQ(sov_journal_open(&j2, &o), -EBUSY, "second writer refused (-EBUSY)");
	ASSERT_OK(append_n(j, 100, 0), "append 100");
	sov_journal_stats(j, &st);
	ASSERT_EQ(st.records, 100, "tree size 100");
	ASSERT_OK(sov_journal_close(j), "close");
	if (ASSERT_OK(verify(dir, &r), "journal verifies")) {
		ASSERT_EQ(r.records, 100, "100 records verified");
		ASSERT_EQ(r.unauthenticated, 0, "all authenticated after close");
	}
	if (!ASSERT_OK(sov_journal_open(&j, &o), "re-open"))
		return;
	ASSERT_OK(append_n(j, 50, 0), "append 50 more");
	ASSERT_OK(sov_journal_close(j), "close again");
	ASSERT_OK(sov_journal_read(dir, grab_cb, &g, err, sizeof(err)), "read records");
	ASSERT_EQ(g.n, 150, "150 records, no recovery record after a clean stop");
	ASSERT_STRSTR(g.last, "{\"seq\":149,\"type\":\"taint\"", "last record is seq 149");
	ASSERT_STRSTR(g.last, "\"host\":\"host-a\",\"boot\":\"boot-1\"", "host and boot ids");
	ASSERT_OK(verify(dir, &r), "verifies after re-open");
}

static void test_torn_tail(void)
{
	struct sov_journal_opts o = opts();
	struct sov_verify_report r;
	struct sov_journal *j;
	struct grab g = { 0 };
	char seg[400], err[256];
	int fd;

	snprintf(seg, sizeof(seg), "%s/seg-000000.log", dir);
	fd = open(seg, O_WRONLY | O_APPEND);
	/* A frame header promising 200 bytes, then 30: a write cut short. */
	ASSERT_EQ(write(fd, "\xc8\x00\x00\x00R\x00\x00\x00{\"seq\":150,\"type\":\"taint\",\"ti", 38),
		  38, "append a torn frame");
	close(fd);
	ASSERT_OK(sov_journal_verify(dir, NULL, &r), "verify runs");
	ASSERT_EQ(r.valid, 0, "torn tail is not valid");
	ASSERT_STRSTR(r.error, "torn tail", "verify names the torn tail");
	if (!ASSERT_OK(sov_journal_open(&j, &o), "open cuts the torn tail"))
		return;
	ASSERT_STRSTR(lastlog, "recovered after an unclean stop", "recovery is logged");
	ASSERT_OK(sov_journal_close(j), "close");
	ASSERT_OK(verify(dir, &r), "verifies after recovery");
	ASSERT_OK(sov_journal_read(dir, grab_cb, &g, err, sizeof(err)), "read");
	ASSERT_EQ(g.n, 151, "150 records and a recovery record");
	ASSERT_STRSTR(g.last, "\"type\":\"recovery\"", "last record is the recovery record");
	ASSERT_STRSTR(g.last, "\"detail\":\"torn_bytes=38 torn_frames=1 unsigned_records=0\"",
		      "recovery record says what was dropped");
}

static void test_refusals(void)
{
	struct sov_journal_opts o = opts();
	struct sov_journal *j;
	char seg[400];
	struct stat st;

	chmod(key, 0644);
	ASSERT_EQ(sov_journal_open(&j, &o), -EPERM, "key readable by others refused (-EPERM)");
	ASSERT_STRSTR(lastlog, "chmod 600", "message says how to fix it");
	chmod(key, 0600);
	o.key_path = key2;
	ASSERT_EQ(sov_journal_open(&j, &o), -EKEYREJECTED, "a different key refused (-EKEYREJECTED)");
	o.key_path = key;
	o.origin = "sovd.other/host-b";
	ASSERT_EQ(sov_journal_open(&j, &o), -EUCLEAN, "a different origin refused");
	o.origin = "sovd.test/host-a";
	/* Records a published checkpoint covers go missing: continuing would
	 * sign a tree contradicting it, so open refuses. */
	snprintf(seg, sizeof(seg), "%s/seg-000000.log", dir);
	stat(seg, &st);
	ASSERT_OK(truncate(seg, st.st_size - 2000), "cut 2000 bytes of checkpointed records");
	ASSERT_EQ(sov_journal_open(&j, &o), -EUCLEAN, "open refuses to fork the tree");
	ASSERT_STRSTR(lastlog, "refusing to write a contradicting tree", "and says why");
}

static void test_rotation(void)
{
	struct sov_journal_opts o = opts();
	struct sov_verify_report r;
	struct sov_journal_stats st;
	struct sov_journal *j;
	char p[400];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/rot", tmpdir);
	o.dir = dir;
	o.segment_max_bytes = 8192;
	o.compress_sealed = 1;
	o.checkpoint_every_records = 10;
	if (!ASSERT_OK(sov_journal_open(&j, &o), "open with small segments"))
		return;
	ASSERT_OK(append_n(j, 200, 0), "append 200");
	sov_journal_stats(j, &st);
	ASSERT_TRUE(st.checkpoints >= 20, "a checkpoint every 10 records");
	ASSERT_OK(sov_journal_close(j), "close");
	snprintf(p, sizeof(p), "%s/seg-000001.log.z", dir);
	ASSERT_OK(stat(p, &sb), "sealed segment 1 is compressed");
	snprintf(p, sizeof(p), "%s/seg-000001.log", dir);
	ASSERT_EQ(stat(p, &sb), -1, "and its uncompressed form is gone");
	if (ASSERT_OK(verify(dir, &r), "rotated, compressed journal verifies")) {
		ASSERT_EQ(r.records, 200, "200 records");
		ASSERT_TRUE(r.segments > 3, "several segments");
	}
	if (ASSERT_OK(sov_journal_open(&j, &o), "re-open rotated journal")) {
		ASSERT_OK(append_n(j, 10, 0), "append 10");
		ASSERT_OK(sov_journal_close(j), "close");
		if (ASSERT_OK(verify(dir, &r), "verifies"))
			ASSERT_EQ(r.records, 210, "210 records");
	}
}

static void test_heartbeat(void)
{
	struct sov_journal_opts o = opts();
	struct sov_journal_stats st;
	struct sov_journal *j;
	struct grab g = { 0 };
	char err[256];

	snprintf(dir, sizeof(dir), "%s/hb", tmpdir);
	o.dir = dir;
	o.heartbeat_interval_ms = 400;
	o.checkpoint_interval_ms = 20;
	if (!ASSERT_OK(sov_journal_open(&j, &o), "open"))
		return;
	ASSERT_OK(append_n(j, 3, 0), "append 3");
	ASSERT_OK(sov_journal_tick(j), "tick");
	usleep(30000);
	ASSERT_OK(sov_journal_tick(j), "tick after the checkpoint interval");
	sov_journal_stats(j, &st);
	ASSERT_EQ(st.checkpointed, 3, "time-driven checkpoint covers the 3 records");
	usleep(420000);
	ASSERT_OK(sov_journal_tick(j), "tick after the heartbeat interval");
	sov_journal_stats(j, &st);
	ASSERT_EQ(st.records, 4, "idle: a heartbeat record was added");
	ASSERT_EQ(st.checkpointed, 4, "and checkpointed");
	ASSERT_OK(sov_journal_close(j), "close");
	sov_journal_read(dir, grab_cb, &g, err, sizeof(err));
	ASSERT_STRSTR(g.last, "\"type\":\"heartbeat\"", "heartbeat record in the journal");
}

static void test_fail_closed(void)
{
	struct sov_journal_opts o = opts();
	struct sov_verify_report r;
	struct sov_journal_stats st;
	struct sov_journal *j;
	struct rlimit old, lim;
	int err = 0, i;

	snprintf(dir, sizeof(dir), "%s/full", tmpdir);
	o.dir = dir;
	o.checkpoint_every_records = 100;
	if (!ASSERT_OK(sov_journal_open(&j, &o), "open"))
		return;
	/* RLIMIT_FSIZE makes writes past 64 KiB fail with EFBIG, like a full
	 * disk but without needing one. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 65536;
	setrlimit(RLIMIT_FSIZE, &lim);
	nerr = 0;
	for (i = 0; i < 100000 && !err; i++) {
		err = append_n(j, 1, 0);
		if (!err && i % 100 == 99)
			err = sov_journal_checkpoint(j);
	}
	setrlimit(RLIMIT_FSIZE, &old);
	ASSERT_EQ(err, -EIO, "append fails with -EIO once a write fails");
	ASSERT_STRSTR(lastlog, "JOURNAL FAILED", "says so loudly");
	ASSERT_TRUE(nerr >= 1, "logged as an error");
	ASSERT_EQ(append_n(j, 1, 0), -EIO, "later appends fail too (no retry)");
	ASSERT_EQ(sov_journal_tick(j), -EIO, "tick fails too");
	sov_journal_stats(j, &st);
	ASSERT_TRUE(st.failed && st.write_errors >= 1, "failure counted in stats");
	ASSERT_EQ(sov_journal_close(j), -EIO, "close reports the failure");
	if (ASSERT_OK(verify(dir, &r), "what is on disk still verifies"))
		ASSERT_TRUE(r.records > 0 && r.records <= (uint64_t)i, "with the records written before");
}

static void test_export(void)
{
	struct sov_journal_opts o = opts();
	struct sov_export_opts eo = { .since_ns = INT64_MIN, .until_ns = INT64_MAX };
	struct sov_export_report er;
	struct sov_verify_report r;
	struct sov_journal *j;
	const uint64_t t0 = 1767225600000000000ull;	/* 2026-01-01T00:00:00Z */
	char out[400], err[512];
	struct grab g = { 0 };

	snprintf(dir, sizeof(dir), "%s/exp", tmpdir);
	snprintf(out, sizeof(out), "%s/e.sovj", tmpdir);
	o.dir = dir;
	o.checkpoint_every_records = 7;
	if (!ASSERT_OK(sov_journal_open(&j, &o), "open"))
		return;
	ASSERT_OK(append_n(j, 100, t0), "append 100 records one second apart");
	ASSERT_OK(sov_journal_close(j), "close");
	eo.dir = dir;
	eo.out = out;
	eo.since_ns = t0 + 10 * 1000000000ll;
	eo.until_ns = t0 + 20 * 1000000000ll;
	if (!ASSERT_OK(sov_journal_export(&eo, &er, err, sizeof(err)), "export 10 s"))
		printf("#   %s\n", err);
	ASSERT_EQ(er.first, 10, "range starts at seq 10");
	ASSERT_EQ(er.count, 10, "10 records");
	ASSERT_EQ(er.tree_size, 100, "proven against tree size 100");
	if (ASSERT_OK(verify(out, &r), "export verifies")) {
		ASSERT_EQ(r.is_export, 1, "recognised as export");
		ASSERT_EQ(r.records, 10, "10 records proven");
		ASSERT_TRUE(r.checkpoints >= 2, "earlier checkpoints in range proven consistent");
	}
	ASSERT_OK(sov_journal_read(out, grab_cb, &g, err, sizeof(err)), "read export");
	ASSERT_EQ(g.n, 10, "10 records read back");
	ASSERT_STRSTR(g.last, "{\"seq\":19,", "last is seq 19");

	/* Windows with no record in them still prove where they fall. */
	{
		static const struct {
			const char *what;
			int64_t since, until;	/* offsets from t0 in ms; INT64_MIN/MAX: open */
			uint64_t first;
		} w[] = {
			{ "between two records", 10200, 10800, 11 },
			{ "after the last record", 200000, INT64_MAX, 100 },
			{ "before the first record", INT64_MIN, -1000, 0 },
			{ "since after until", 20000, 10000, 20 },
		};

		for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
			char msg[128];

			eo.since_ns = w[i].since == INT64_MIN ? INT64_MIN :
				      (int64_t)t0 + w[i].since * 1000000;
			eo.until_ns = w[i].until == INT64_MAX ? INT64_MAX :
				      (int64_t)t0 + w[i].until * 1000000;
			snprintf(msg, sizeof(msg), "empty window %s: exported", w[i].what);
			if (!ASSERT_OK(sov_journal_export(&eo, &er, err, sizeof(err)), msg)) {
				printf("#   %s\n", err);
				continue;
			}
			snprintf(msg, sizeof(msg), "empty window %s: no records", w[i].what);
			ASSERT_EQ(er.count, 0, msg);
			snprintf(msg, sizeof(msg), "empty window %s: falls before seq %llu", w[i].what,
				 (unsigned long long)w[i].first);
			ASSERT_EQ(er.first, w[i].first, msg);
			snprintf(msg, sizeof(msg), "empty window %s: verifies", w[i].what);
			if (ASSERT_OK(verify(out, &r), msg)) {
				snprintf(msg, sizeof(msg), "empty window %s: verifier agrees", w[i].what);
				ASSERT_TRUE(r.valid && r.records == 0 && r.first == w[i].first, msg);
			}
		}
	}
}

int main(void)
{
	char cmd[400];

	(void)tap__skipped;	/* tap.h declares it for TAP_SKIP users only */
	if (!ASSERT_TRUE(mkdtemp(tmpdir), "mkdtemp"))
		return tap_done();
	snprintf(key, sizeof(key), "%s/a", tmpdir);
	snprintf(key2, sizeof(key2), "%s/b", tmpdir);
	snprintf(dir, sizeof(dir), "%s/j", tmpdir);
	ASSERT_OK(sov_journal_keygen(key, "sovd.test", cmd, sizeof(cmd)), "keygen a");
	ASSERT_OK(sov_journal_keygen(key2, "sovd.test", cmd, sizeof(cmd)), "keygen b");
	strcat(key, ".key");
	strcat(key2, ".key");
	test_basic();
	test_torn_tail();
	test_refusals();
	test_rotation();
	test_heartbeat();
	test_fail_closed();
	test_export();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		printf("# failed to remove %s\n", tmpdir);
	return tap_done();
}
