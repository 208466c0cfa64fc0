// SPDX-License-Identifier: Apache-2.0
/*
 * sovctl journal prune: retention by hand (docs/journal-format.md section
 * 12, docs/cli.md). Verifies the journal, then opens it as its writer (so
 * sovd must not be running: sovd prunes on its own with --retain) and
 * calls sov_journal_prune. Also the lines that `journal verify` and
 * `journal export` print about a pruned journal.
 * Calls libsovjournal; called by main.c's command table and cmd_journal.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent/journal/journal.h"
#include "agent/journal/jinternal.h"
#include "tools/sovctl/sovctl.h"

static int prune_run(int argc, char **argv);

enum { OPT_BEFORE = SOVCTL_LONG_ONLY, OPT_FORCE, OPT_DIR, OPT_KEY, OPT_PUBKEY };

static const struct sovctl_opt prune_opts[] = {
	{ "before", OPT_BEFORE, "SEQ|TIME", "remove the sealed segments all of whose records\n"
	  "have seq < SEQ, or a time before TIME", SOVCTL_OPT_REQUIRED },
	{ "key", OPT_KEY, "FILE", "the journal's private key (PREFIX.key): the prune\n"
	  "record is signed like every record", SOVCTL_OPT_REQUIRED },
	{ "dir", OPT_DIR, "DIR", "the journal directory (default " SOVD_DEFAULT_JOURNAL ")", 0 },
	{ "pubkey", OPT_PUBKEY, "FILE", "verify the journal against this key first\n"
	  "(default: the journal's own)", 0 },
	{ "force", OPT_FORCE, NULL, "also remove records no export has covered", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_journal_prune_cmd = {
	.name = "journal prune",
	.about = "Remove old sealed segments of a journal, leaving a signed prune record and a\n"
		 "journal that still verifies.",
	.notes = "TIME is RFC 3339 or a date; SEQ a record number. Only whole sealed segments\n"
		 "go, and only those `sovctl journal export` has covered (the journal's\n"
		 "\"exported\" marker) unless --force. sovd must be stopped (it holds the\n"
		 "journal); a running sovd prunes with --retain.\n"
		 "Exits 0 when done (or nothing was due), 1 when the journal does not verify or\n"
		 "everything due is not exported yet, 2 on usage or environment errors.\n",
	.opts = prune_opts,
	.run = prune_run,
};

static void fmt_ns(int64_t ns, char *out, size_t len)
{
	if (sovj_format_rfc3339(ns, out, len) < 0)
		snprintf(out, len, "%lld ns", (long long)ns);
}

void sovctl_prune_verify_note(const struct sov_verify_report *r)
{
	char t[48];

	if (!r->valid || r->prune_seq < 0)
		return;
	fmt_ns(r->prune_time_ns, t, sizeof(t));
	if (r->is_export) {
		printf("  PRUNED:      records 0..%llu were removed by prune record seq %lld (%s),\n"
		       "               proven in the checkpoint: the range starts there, not at since\n",
		       (unsigned long long)r->pruned_before - 1, (long long)r->prune_seq, t);
		return;
	}
	printf("  pruned:      records 0..%llu removed by prune record seq %lld (%s)\n",
	       (unsigned long long)r->pruned_before - 1, (long long)r->prune_seq, t);
	if (r->prune_pending)
		printf("               %llu segment(s) it removed are still present (an interrupted prune;\n"
		       "               the next prune removes them)\n",
		       (unsigned long long)r->prune_pending);
}

void sovctl_prune_verify_json(const struct sov_verify_report *r)
{
	char t[48];

	if (!r->valid || r->prune_seq < 0)
		return;
	fmt_ns(r->prune_time_ns, t, sizeof(t));
	printf(",\"pruned\":{\"before\":%llu,\"record_seq\":%lld,\"time\":\"%s\",\"pending_segments\":%llu}",
	       (unsigned long long)r->pruned_before, (long long)r->prune_seq, t,
	       (unsigned long long)r->prune_pending);
}

void sovctl_prune_export_note(const struct sov_export_report *r)
{
	char t[48];

	if (r->pruned_before) {
		fmt_ns(r->prune_time_ns, t, sizeof(t));
		printf("note: records 0..%llu of the window were pruned by prune record seq %lld (%s); the export starts at seq %llu and carries that record\n",
		       (unsigned long long)r->pruned_before - 1, (long long)r->prune_seq, t,
		       (unsigned long long)r->pruned_before);
	}
	if (!r->marker_err && r->exported_upto < r->first)
		printf("note: exports cover the journal only up to seq %llu, this one starts at %llu: pruning waits for an export of the records between\n",
		       (unsigned long long)r->exported_upto, (unsigned long long)r->first);
	if (r->marker_err)
		printf("note: could not update the journal's export marker: %s (pruning will not count this export)\n",
		       strerror(-r->marker_err));
}

/* The library's own messages: warnings and errors (a torn tail cut, say);
 * what was pruned is printed from the report. */
static void prune_log(int level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level != SOV_JLOG_INFO)
		fprintf(stderr, "sovctl journal prune: %s\n", msg);
}

static int parse_before(const char *s, struct sov_prune_opts *o)
{
	char *end;

	if (isdigit((unsigned char)*s) && !strchr(s, '-') && !strchr(s, ':')) {
		errno = 0;
		o->before_seq = strtoull(s, &end, 10);
		return errno || *end || !o->before_seq ? -EINVAL : 0;
	}
	return sov_journal_parse_time(s, &o->before_ns) ? -EINVAL : 0;
}

static int prune_run(int argc, char **argv)
{
	struct sov_prune_opts po = { 0 };
	struct sov_verify_report vr;
	struct sov_prune_report pr;
	struct sov_journal *j;
	struct sovctl_getopt g;
	const char *dir = SOVD_DEFAULT_JOURNAL, *key = NULL, *pubkey = NULL;
	char err[1024];
	int c, ret;

	sovctl_getopt_init(&g, &sovctl_journal_prune_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case OPT_BEFORE:
			if (parse_before(g.arg, &po))
				return sovctl_usage_error(&sovctl_journal_prune_cmd,
							  "--before takes a seq (1 or more) or a time (RFC 3339 or YYYY-MM-DD), not %s",
							  g.arg);
			break;
		case OPT_FORCE:
			po.force = 1;
			break;
		case OPT_DIR:
			dir = g.arg;
			break;
		case OPT_KEY:
			key = g.arg;
			break;
		case OPT_PUBKEY:
			pubkey = g.arg;
			break;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (optind < argc)
		return sovctl_usage_error(&sovctl_journal_prune_cmd, "unexpected argument %s",
					  argv[optind]);
	/* Nothing is removed from a journal that does not verify. */
	ret = sov_journal_verify(dir, &(struct sov_verify_opts){ .pubkey_path = pubkey }, &vr);
	if (ret) {
		fprintf(stderr, "sovctl journal prune: %s\n", vr.error);
		return SOVCTL_USAGE;
	}
	if (!vr.valid && strstr(vr.error, "torn tail")) {
		/* sovd stopped uncleanly: opening the journal cuts the tail
		 * (and records it); the prune then verifies what is left. */
	} else if (!vr.valid) {
		fprintf(stderr, "sovctl journal prune: %s does not verify, not pruning: %s%s%s\n",
			dir, vr.file, vr.file[0] ? ": " : "", vr.error);
		return SOVCTL_BAD;
	}
	/* An interrupted prune is finished by any later one. */
	if (vr.prune_pending)
		po.finish_before = vr.pruned_before;
	ret = sov_journal_open(&j, &(struct sov_journal_opts){
		.dir = dir, .key_path = key, .origin = vr.origin[0] ? vr.origin : NULL,
		.log = prune_log });
	if (ret == -EBUSY) {
		fprintf(stderr, "sovctl journal prune: sovd (or another writer) holds %s: stop it first, or let sovd prune with --retain\n",
			dir);
		return SOVCTL_USAGE;
	}
	if (ret) {
		fprintf(stderr, "sovctl journal prune: failed to open %s as its writer: %s\n", dir,
			strerror(-ret));
		return SOVCTL_USAGE;
	}
	ret = sov_journal_prune(j, &po, &pr, err, sizeof(err));
	c = sov_journal_close(j);
	if (ret) {
		fprintf(stderr, "sovctl journal prune: %s\n", err);
		return SOVCTL_USAGE;
	}
	if (c) {
		fprintf(stderr, "sovctl journal prune: failed to close the journal: %s\n", strerror(-c));
		return SOVCTL_USAGE;
	}
	if (pr.record_seq != UINT64_MAX)
		printf("pruned segments %u..%u (records %llu..%llu); prune record seq %llu\n",
		       pr.seg_from, pr.seg_to - 1, (unsigned long long)pr.from,
		       (unsigned long long)pr.before - 1, (unsigned long long)pr.record_seq);
	if (pr.held_back) {
		printf("%s: the next segment due (records from seq %llu on) is not wholly covered by exports, which reach seq %llu: export it first (sovctl journal export), or --force\n",
		       pr.record_seq == UINT64_MAX ? "refused" : "stopped",
		       (unsigned long long)(pr.record_seq == UINT64_MAX ? pr.exported : pr.before),
		       (unsigned long long)pr.exported);
		return pr.record_seq == UINT64_MAX ? SOVCTL_BAD : SOVCTL_OK;
	}
	if (pr.record_seq == UINT64_MAX)
		printf("nothing to prune: no sealed segment is entirely before that point\n");
	return SOVCTL_OK;
}
