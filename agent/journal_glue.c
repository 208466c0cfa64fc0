// SPDX-License-Identifier: Apache-2.0
/*
 * sovd's side of the journal (agent/journal/journal.h): every event becomes
 * a record with what an auditor needs. A write or fsync error fails the
 * journal for good: sovd says so, stops and exits non-zero *without*
 * unpinning, so the kernel keeps enforcing while nothing goes unrecorded
 * silently.
 *
 * Calls: libsovjournal, log.c. Called by main.c; records arrive through
 * the sink table.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>
#include "agent/log.h"
#include "agent/jbuf.h"
#include "agent/journal_glue.h"
#include "agent/journal/journal.h"
#include "sov_version.h"

#define DEFAULT_JOURNAL	"/var/lib/sovd/journal"
#define DEFAULT_KEY	"/etc/sovd/journal"	/* .key / .pub */

static void jlog(int level, const char *msg, void *ctx)
{
	(void)ctx;
	log_msg(level == SOV_JLOG_ERR ? LOG_ERROR : level == SOV_JLOG_WARN ? LOG_WARN : LOG_INFO,
		"journal: %s", msg);
}

int journal_glue_open(struct journal_glue *g, const char *dir, const char *key)
{
	/* Every record names the sovd that wrote it (issue 15). */
	struct sov_journal_opts o = { .log = jlog, .agent_version = SOV_VERSION };
	char keybuf[PATH_MAX], err[256];
	int ret;

	memset(g, 0, sizeof(*g));
	if (dir && !strcmp(dir, "none")) {
		pr_warn("running without a journal (--journal none): decisions are not recorded");
		return 0;
	}
	o.dir = dir ? dir : DEFAULT_JOURNAL;
	o.key_path = key;
	if (!o.key_path) {
		/* First start without --key: make the host's journal key, as
		 * sshd makes host keys. */
		snprintf(keybuf, sizeof(keybuf), "%s.key", DEFAULT_KEY);
		if (access(keybuf, F_OK)) {
			mkdir("/etc/sovd", 0755);
			ret = sov_journal_keygen(DEFAULT_KEY, NULL, err, sizeof(err));
			if (ret) {
				pr_err("failed to create journal key %s: %s", keybuf, err);
				return ret;
			}
			pr_info("created journal key %s (public key %s.pub)", keybuf, DEFAULT_KEY);
		}
		o.key_path = keybuf;
	}
	ret = sov_journal_open(&g->j, &o);
	if (ret) {
		pr_err("failed to open journal %s: %s", o.dir, strerror(-ret));
		g->j = NULL;
		return ret;
	}
	pr_info("journal %s", o.dir);
	return 0;
}

static void fail(struct journal_glue *g, int err)
{
	if (g->failed)
		return;
	g->failed = 1;
	g->errors++;
	pr_err("JOURNAL FAILED (%s): sovd stops accepting events and exits; "
	       "kernel enforcement stays pinned; fix the journal's storage and restart sovd",
	       strerror(-err));
}

void journal_glue_tick(struct journal_glue *g)
{
	int err;

	if (!g->j || g->failed)
		return;
	err = sov_journal_tick(g->j);
	if (err)
		fail(g, err);
}

int journal_glue_parse_retain(const char *s, struct journal_retain *r)
{
	static const struct {
		const char *suf;
		uint64_t mul;
		int size;
	} u[] = {
		{ "s", 1000000000ull, 0 }, { "m", 60000000000ull, 0 },
		{ "h", 3600000000000ull, 0 }, { "d", 86400000000000ull, 0 },
		{ "w", 604800000000000ull, 0 }, { "", 1, 1 }, { "K", 1ull << 10, 1 },
		{ "M", 1ull << 20, 1 }, { "G", 1ull << 30, 1 }, { "T", 1ull << 40, 1 },
	};
	unsigned long long v;
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !v)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (strcmp(end, u[i].suf))
			continue;
		if (v > UINT64_MAX / u[i].mul || (!u[i].size && v * u[i].mul > INT64_MAX))
			return -EINVAL;
		if (u[i].size)
			r->max_bytes = v * u[i].mul;
		else
			r->age_ns = v * u[i].mul;
		return 0;
	}
	return -EINVAL;
}

void journal_glue_retain(struct journal_glue *g, int64_t now_ms)
{
	struct sov_prune_opts o = { .max_bytes = g->retain.max_bytes, .force = g->retain.force };
	struct sov_prune_report r;
	struct timespec ts;
	char err[512];
	int ret;

	if (!g->j || g->failed || (!g->retain.age_ns && !g->retain.max_bytes))
		return;
	if (g->retain.age_ns) {
		clock_gettime(CLOCK_REALTIME, &ts);
		o.sealed_before_ns = ts.tv_sec * 1000000000ll + ts.tv_nsec - g->retain.age_ns;
	}
	ret = sov_journal_prune(g->j, &o, &r, err, sizeof(err));
	if (ret == -EIO) {
		fail(g, ret);
		return;
	}
	if (ret)
		pr_warn("journal retention: %s", err);
	if (r.record_seq != UINT64_MAX)
		pr_info("journal retention: pruned segments %u..%u (records %llu..%llu), prune record seq %llu",
			r.seg_from, r.seg_to - 1, (unsigned long long)r.from,
			(unsigned long long)r.before - 1, (unsigned long long)r.record_seq);
	if (r.held_back && (!g->retain_warned_ms || now_ms - g->retain_warned_ms >= 3600000)) {
		g->retain_warned_ms = now_ms;
		pr_warn("journal retention: segments are due but not exported (exports cover records before seq %llu): "
			"export them (sovctl journal export), or run sovd with --retain-unexported; the journal keeps growing",
			(unsigned long long)r.exported);
	}
}

int journal_glue_close(struct journal_glue *g)
{
	int err;

	if (!g->j)
		return g->failed ? -EIO : 0;
	err = sov_journal_close(g->j);
	g->j = NULL;
	if (err)
		fail(g, err == -EIO ? err : -EIO);
	return g->failed ? -EIO : 0;
}

static uint32_t names_of(const struct sovd_policy_view *v, uint64_t mask, const char **out)
{
	uint32_t n = 0;

	for (int bit = 0; v && bit < SOV_MAX_CLASSES; bit++)
		if ((mask & (1ull << bit)) && v->class_name[bit])
			out[n++] = v->class_name[bit];
	return n;
}

static void emit(void *ctx, struct sovd_event *ev)
{
	static struct jbuf detail;
	struct journal_glue *g = ctx;
	const char *classes[SOV_MAX_CLASSES], *violated[SOV_MAX_CLASSES];
	const struct sovd_policy_view *v = ev->policy;
	struct sov_journal_stats st, after;
	struct sov_record jr = {};
	int err;

	if (!g->j || g->failed)
		return;
	jr.type = ev->type;
	jr.wall_ns = ev->wall_ns;
	jr.boot_ns = ev->boot_ns;
	jr.has = SOV_HAS_ACTOR;
	jr.pid = ev->pid;
	jr.uid = ev->uid;
	jr.comm = ev->comm;
	jr.exe = ev->exe && ev->exe[0] ? ev->exe : NULL;
	jr.cgroup = ev->cgroup;
	jr.nclasses = names_of(v, ev->classes, classes);
	jr.classes = classes;
	if (ev->has_object) {
		jr.has |= SOV_HAS_OBJECT;
		jr.dev = ev->dev;
		jr.ino = ev->ino;
		jr.path = ev->path;
	}
	if (ev->has_dst) {
		jr.has |= SOV_HAS_DEST;
		jr.dst = ev->dst;
		jr.dport = ev->dport;
		jr.proto = ev->proto;
		jr.zone = ev->zone;
		jr.verdict = ev->verdict;
		jr.nviolated = names_of(v, ev->violated, violated);
		jr.violated = violated;
		jr.hook = ev->hook;
	}
	jr.policy_sha256 = v ? v->sha256 : NULL;
	jr.jdata = v ? v->jdata : "explicit";
	/* sovd's own events: the journal keeps their fields as one JSON
	 * object. */
	if (ev->body) {
		jb_reset(&detail);
		jb_open(&detail);
		jb_raw(&detail, ev->body, strlen(ev->body));
		jb_close(&detail);
		jr.detail = detail.oom ? ev->body : detail.s;
	}
	/* The record's seq is its index: the number of records before it.
	 * A rotation or checkpoint after the append can fail with the
	 * record already in: it still carries its seq. */
	sov_journal_stats(g->j, &st);
	err = sov_journal_append(g->j, &jr);
	sov_journal_stats(g->j, &after);
	if (after.records > st.records) {
		ev->has_seq = 1;
		ev->seq = st.records;
	}
	if (err == -EIO)
		fail(g, err);
	else if (err)
		pr_warn("journal refused a %s record: %s", ev->type, strerror(-err));
}

struct sovd_sink journal_glue_sink(struct journal_glue *g)
{
	return (struct sovd_sink){ .name = "journal", .emit = emit, .ctx = g };
}
