// SPDX-License-Identifier: Apache-2.0
/*
 * sovd's side of the journal (agent/journal/journal.h): every event becomes
 * a record with what an auditor needs. A write or fsync error fails the
 * journal for good: sovd says so, stops and exits non-zero *without*
 * unpinning, so the kernel keeps enforcing while nothing goes unrecorded
 * silently.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "agent/log.h"
#include "agent/sovd.h"
#include "agent/record.h"
#include "agent/journal_glue.h"
#include "agent/journal/journal.h"

#define DEFAULT_JOURNAL	"/var/lib/sovd/journal"
#define DEFAULT_KEY	"/etc/sovd/journal"	/* .key / .pub */

static void jlog(int level, const char *msg, void *ctx)
{
	(void)ctx;
	log_msg(level == SOV_JLOG_ERR ? LOG_ERROR : level == SOV_JLOG_WARN ? LOG_WARN : LOG_INFO,
		"journal: %s", msg);
}

int journal_glue_open(struct sovd *d)
{
	struct sov_journal_opts o = { .log = jlog };
	char keybuf[PATH_MAX], err[256];
	int ret;

	if (d->o.journal && !strcmp(d->o.journal, "none")) {
		pr_warn("running without a journal (--journal none): decisions are not recorded");
		return 0;
	}
	o.dir = d->o.journal ? d->o.journal : DEFAULT_JOURNAL;
	o.key_path = d->o.key;
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
	ret = sov_journal_open(&d->journal, &o);
	if (ret) {
		pr_err("failed to open journal %s: %s", o.dir, strerror(-ret));
		d->journal = NULL;
		return ret;
	}
	pr_info("journal %s", o.dir);
	return 0;
}

static void fail(struct sovd *d, int err)
{
	if (d->journal_failed)
		return;
	d->journal_failed = 1;
	d->journal_errors++;
	pr_err("JOURNAL FAILED (%s): sovd stops accepting events and exits; "
	       "kernel enforcement stays pinned; fix the journal's storage and restart sovd",
	       strerror(-err));
}

void journal_glue_tick(struct sovd *d)
{
	int err;

	if (!d->journal || d->journal_failed)
		return;
	err = sov_journal_tick(d->journal);
	if (err)
		fail(d, err);
}

void journal_glue_close(struct sovd *d)
{
	int err;

	if (!d->journal)
		return;
	err = sov_journal_close(d->journal);
	if (err && !d->journal_failed)
		pr_err("failed to close journal: %s", strerror(-err));
	d->journal = NULL;
}

static uint32_t names_of(const struct sov_policy_image *img, uint64_t mask,
			 const char **out)
{
	uint32_t n = 0;

	for (size_t i = 0; img && i < img->n_classes; i++)
		if (mask & (1ull << img->classes[i].bit))
			out[n++] = img->classes[i].name;
	return n;
}

void record_journal(struct sovd *d, const struct sov_rec *r)
{
	const char *classes[SOV_MAX_CLASSES], *violated[SOV_MAX_CLASSES];
	char exe[PATH_MAX], link[64], jdata[1024];
	struct sov_record jr = {};
	ssize_t n;
	int err;

	if (!d->journal || d->journal_failed)
		return;
	snprintf(link, sizeof(link), "/proc/%u/exe", r->pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	policy_jdata(d->img, jdata, sizeof(jdata));

	jr.type = r->type;
	jr.wall_ns = r->wall_ns;
	jr.boot_ns = r->boot_ns;
	jr.has = SOV_HAS_ACTOR;
	jr.pid = r->pid;
	jr.uid = r->uid;
	jr.comm = r->comm;
	jr.exe = exe[0] ? exe : NULL;
	jr.cgroup = r->cgroup;
	jr.nclasses = names_of(d->img, r->classes, classes);
	jr.classes = classes;
	if (r->has_object) {
		jr.has |= SOV_HAS_OBJECT;
		jr.dev = r->dev;
		jr.ino = r->ino;
		jr.path = r->path;
	}
	if (r->has_dst) {
		jr.has |= SOV_HAS_DEST;
		jr.dst = r->dst;
		jr.dport = r->dport;
		jr.proto = r->proto;
		jr.zone = r->zone;
		jr.verdict = r->verdict;
		jr.nviolated = names_of(d->img, r->violated, violated);
		jr.violated = violated;
	}
	jr.policy_sha256 = d->img ? d->img->sha256_hex : NULL;
	jr.jdata = jdata;
	jr.detail = r->detail;
	err = sov_journal_append(d->journal, &jr);
	if (err == -EIO)
		fail(d, err);
	else if (err)
		pr_warn("journal refused a %s record: %s", r->type, strerror(-err));
}
