// SPDX-License-Identifier: Apache-2.0
/* sovctl journal verify|export|show: the auditor's side of the journal. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "agent/journal/journal.h"
#include "agent/journal/export.h"
#include "tools/sovctl/sovctl.h"

static int verify_run(int argc, char **argv);
static int export_run(int argc, char **argv);
static int show_run(int argc, char **argv);

enum { OPT_PUBKEY = SOVCTL_LONG_ONLY, OPT_CHECKPOINT, OPT_JOURNAL, OPT_OUT, OPT_SINCE, OPT_UNTIL };

static const struct sovctl_opt verify_opts[] = {
	{ "pubkey", OPT_PUBKEY, "FILE", "the public key you hold (PREFIX.pub from keygen);\n"
	  "without it, the journal's own key (with a warning)", 0 },
	{ "checkpoint", OPT_CHECKPOINT, "FILE...", "checkpoints kept off the host, each to be\n"
	  "consistent with the journal: the files after it\n"
	  "up to the next option, once PATH is given", 0 },
	{ "output", 'o', "text|json", "a report to read (default) or one JSON object", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_journal_verify_cmd = {
	.name = "journal verify",
	.operands = "PATH",
	.about = "Verify a journal directory or an export file: hash chain, signed checkpoints,\n"
		 "and for an export the time window it proves complete.",
	.notes = "Exits 0 when PATH is valid, 1 when it is not (the first problem is named),\n"
		 "2 on usage or environment errors.\n",
	.opts = verify_opts,
	.flags = SOVCTL_CMD_IN_ORDER,
	.run = verify_run,
};

static const struct sovctl_opt export_opts[] = {
	{ "journal", OPT_JOURNAL, "DIR", "the journal directory, e.g. " SOVD_DEFAULT_JOURNAL,
	  SOVCTL_OPT_REQUIRED },
	{ "out", OPT_OUT, "FILE", "the export file to write", SOVCTL_OPT_REQUIRED },
	{ "since", OPT_SINCE, "TIME", "only records at or after TIME", 0 },
	{ "until", OPT_UNTIL, "TIME", "only records before TIME", 0 },
	{ "checkpoint", OPT_CHECKPOINT, "FILE", "an older checkpoint to prove consistent inside\n"
	  "the export", SOVCTL_OPT_REPEAT },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_journal_export_cmd = {
	.name = "journal export",
	.about = "Write the records of a time window, with the proofs that it is complete, to\n"
		 "one file that `sovctl journal verify` checks on its own.",
	.notes = "TIME is RFC 3339 (2026-01-31T12:00:00Z) or a date (2026-01-31, midnight UTC).\n"
		 "Records after the last checkpoint are not authenticated and are left out.\n",
	.opts = export_opts,
	.run = export_run,
};

static const struct sovctl_opt show_opts[] = {
	{ "output", 'o', "text|json", "one line per record (default), or each record's JSON", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_journal_show_cmd = {
	.name = "journal show",
	.operands = "PATH",
	.about = "Print the records of a journal directory or an export file (no verification:\n"
		 "use `sovctl journal verify` for that).",
	.opts = show_opts,
	.run = show_run,
};

static void print_json_str(const char *k, const char *v, int comma)
{
	struct json_object *s = json_object_new_string(v);

	printf("%s\"%s\":%s", comma ? "," : "", k,
	       json_object_to_json_string_ext(s, JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(s);
}

static void window_end(int64_t ns, char *out, size_t outlen)
{
	if (sovj_format_rfc3339(ns, out, outlen) < 0)
		snprintf(out, outlen, "%lld ns", (long long)ns);
}

static int verify_run(int argc, char **argv)
{
	const char *path = NULL, *fmt = "text";
	const char **ck = calloc(argc, sizeof(*ck));
	struct sov_verify_opts o = { 0 };
	struct sov_verify_report r;
	struct export_manifest m = { 0 };
	char why[256], since[48], until[48];
	struct sovctl_getopt g;
	int c, ret, nck = 0, in_ck = 0;

	if (!ck)
		return SOVCTL_USAGE;
	sovctl_getopt_init(&g, &sovctl_journal_verify_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case OPT_PUBKEY:
			o.pubkey_path = g.arg;
			in_ck = 0;
			break;
		case OPT_CHECKPOINT:
			ck[nck++] = g.arg;
			in_ck = 1;
			break;
		case 'o':
			fmt = g.arg;
			in_ck = 0;
			break;
		case SOVCTL_OPT_OPERAND:
			/* "--checkpoint A B C": the files after it, up to the
			 * next option, once PATH is known */
			if (in_ck && path) {
				ck[nck++] = g.arg;
			} else if (!path) {
				path = g.arg;
				in_ck = 0;
			} else {
				free(ck);
				return sovctl_usage_error(&sovctl_journal_verify_cmd,
							  "unexpected argument %s", g.arg);
			}
			break;
		default:
			free(ck);
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (!path || (strcmp(fmt, "text") && strcmp(fmt, "json"))) {
		free(ck);
		return sovctl_usage_error(&sovctl_journal_verify_cmd, !path ? "no PATH to verify" :
					  "-o must be text or json");
	}
	o.checkpoint_paths = ck;
	o.ncheckpoints = nck;
	ret = sov_journal_verify(path, &o, &r);
	free(ck);
	if (ret) {
		fprintf(stderr, "sovctl journal verify: %s\n", r.error);
		return SOVCTL_USAGE;
	}
	/* A valid export's manifest is exactly what its content proves, its
	 * window included: the boundary records were checked against it. */
	if (r.valid && r.is_export &&
	    sovj_export_manifest_read(path, &m, why, sizeof(why))) {
		fprintf(stderr, "sovctl journal verify: %s\n", why);
		return SOVCTL_USAGE;
	}
	if (!strcmp(fmt, "json")) {
		printf("{\"valid\":%s", r.valid ? "true" : "false");
		print_json_str("kind", r.is_export ? "export" : "journal", 1);
		print_json_str("origin", r.origin, 1);
		print_json_str("key", r.key, 1);
		printf(",\"key_from_journal\":%s,\"records\":%llu,\"first\":%llu,\"checkpoints\":%llu,"
		       "\"checkpointed\":%llu,\"unauthenticated\":%llu,\"external_checkpoints_ok\":%llu",
		       r.key_from_journal ? "true" : "false", (unsigned long long)r.records,
		       (unsigned long long)r.first, (unsigned long long)r.checkpoints,
		       (unsigned long long)r.checkpointed, (unsigned long long)r.unauthenticated,
		       (unsigned long long)r.external_ok);
		if (r.valid && r.is_export) {
			snprintf(since, sizeof(since), m.has_since ? "%lld" : "null",
				 (long long)m.since_ns);
			snprintf(until, sizeof(until), m.has_until ? "%lld" : "null",
				 (long long)m.until_ns);
			printf(",\"window\":{\"since\":%s,\"until\":%s}", since, until);
		}
		sovctl_prune_verify_json(&r);
		if (!r.valid) {
			printf(",\"problem\":{");
			print_json_str("file", r.file, 0);
			printf(",\"offset\":%lld,\"seq\":%lld", (long long)r.offset, (long long)r.seq);
			print_json_str("error", r.error, 1);
			printf("}");
		}
		printf("}\n");
		return r.valid ? SOVCTL_OK : SOVCTL_BAD;
	}
	if (!r.valid) {
		printf("%s: INVALID\n", path);
		printf("  first problem: %s%s", r.file[0] ? r.file : path, r.offset >= 0 ? "" : "");
		if (r.offset >= 0)
			printf(" offset %lld", (long long)r.offset);
		if (r.seq >= 0)
			printf(" seq %lld", (long long)r.seq);
		printf(": %s\n", r.error);
		return SOVCTL_BAD;
	}
	printf("%s: VALID (%s)\n", path, r.is_export ? "export" : "journal directory");
	printf("  origin:      %s\n", r.origin);
	printf("  key:         %s\n", r.key);
	if (r.key_from_journal)
		printf("  WARNING:     the key was taken from the %s itself; pass --pubkey with a key\n"
		       "               you hold to rule out a wholesale re-signing\n",
		       r.is_export ? "export" : "journal");
	if (r.is_export) {
		if (m.has_since)
			window_end(m.since_ns, since, sizeof(since));
		if (m.has_until)
			window_end(m.until_ns, until, sizeof(until));
		printf("  window:      since %s until %s (compare with the window you asked for)\n",
		       m.has_since ? since : "the start", m.has_until ? until : "the end");
		if (r.records)
			printf("  records:     %llu (seq %llu..%llu), each proven against the checkpoint;\n",
			       (unsigned long long)r.records, (unsigned long long)r.first,
			       (unsigned long long)(r.first + r.records - 1));
		else
			printf("  records:     none in the window (it falls before seq %llu);\n",
			       (unsigned long long)r.first);
		sovctl_prune_verify_note(&r);
		printf("               complete: %s, %s\n",
		       r.prune_seq >= 0 ? "the records before it were pruned" :
		       r.first ? "the record before is older than since" : "it starts at seq 0",
		       r.first + r.records < r.checkpointed ? "the record after is not before until" :
		       "it ends at the checkpoint's last record");
	} else {
		printf("  records:     %llu in %llu segment(s)\n", (unsigned long long)r.records,
		       (unsigned long long)r.segments);
		sovctl_prune_verify_note(&r);
	}
	printf("  checkpoints: %llu verified; latest covers tree size %llu\n",
	       (unsigned long long)r.checkpoints, (unsigned long long)r.checkpointed);
	if (o.ncheckpoints)
		printf("  external:    %llu given checkpoint(s) consistent\n",
		       (unsigned long long)r.external_ok);
	if (r.unauthenticated)
		printf("  NOT AUTHENTICATED: %llu record(s) after the last checkpoint (seq %llu..%llu)\n",
		       (unsigned long long)r.unauthenticated, (unsigned long long)r.checkpointed,
		       (unsigned long long)(r.checkpointed + r.unauthenticated - 1));
	return SOVCTL_OK;
}

static int export_run(int argc, char **argv)
{
	struct sov_export_opts o = { .since_ns = INT64_MIN, .until_ns = INT64_MAX };
	const char **ck = calloc(argc, sizeof(*ck));
	struct sov_export_report r;
	struct sovctl_getopt g;
	char err[1024];
	int c, ret, nck = 0;

	if (!ck)
		return SOVCTL_USAGE;
	o.checkpoint_paths = ck;
	sovctl_getopt_init(&g, &sovctl_journal_export_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case OPT_CHECKPOINT:
			ck[nck++] = g.arg;
			o.ncheckpoints = nck;
			break;
		case OPT_JOURNAL:
			o.dir = g.arg;
			break;
		case OPT_OUT:
			o.out = g.arg;
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (sov_journal_parse_time(g.arg, c == OPT_SINCE ? &o.since_ns : &o.until_ns)) {
				fprintf(stderr, "sovctl journal export: bad time %s (want RFC 3339 or YYYY-MM-DD)\n",
					g.arg);
				free(ck);
				return SOVCTL_USAGE;
			}
			break;
		default:
			free(ck);
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (optind < argc) {
		free(ck);
		return sovctl_usage_error(&sovctl_journal_export_cmd, "unexpected argument %s",
					  argv[optind]);
	}
	ret = sov_journal_export(&o, &r, err, sizeof(err));
	free(ck);
	if (ret) {
		fprintf(stderr, "sovctl journal export: %s\n", err);
		return ret == -EBADMSG ? SOVCTL_BAD : SOVCTL_USAGE;
	}
	printf("exported %llu record(s) (seq %llu..%llu) with %llu checkpoint(s), proven against tree size %llu, to %s\n",
	       (unsigned long long)r.count, (unsigned long long)r.first,
	       (unsigned long long)(r.first + r.count - (r.count ? 1 : 0)),
	       (unsigned long long)r.checkpoints, (unsigned long long)r.tree_size, o.out);
	sovctl_prune_export_note(&r);
	if (r.skipped_unauthenticated)
		printf("note: %llu record(s) after the last checkpoint are not authenticated and were left out\n",
		       (unsigned long long)r.skipped_unauthenticated);
	return SOVCTL_OK;
}

static int show_json(const struct sov_journal_entry *e, void *ctx)
{
	(void)ctx;
	fwrite(e->data, 1, e->len, stdout);
	putchar('\n');
	return 0;
}

/* One line per record: seq, time, type, then the other fields as key=value
 * (host and boot ids left out: they rarely change and make lines long). */
static int show_text(const struct sov_journal_entry *e, void *ctx)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	(void)ctx;
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, (const char *)e->data, e->len);
	json_tokener_free(tok);
	if (!o) {
		printf("%llu <unparsable record at %s offset %llu>\n", (unsigned long long)e->index,
		       e->file, (unsigned long long)e->offset);
		return 0;
	}
	{
		struct json_object *t, *ty;

		json_object_object_get_ex(o, "time", &t);
		json_object_object_get_ex(o, "type", &ty);
		printf("%-8llu %s %-9s", (unsigned long long)e->index, t ? json_object_get_string(t) : "?",
		       ty ? json_object_get_string(ty) : "?");
	}
	json_object_object_foreach(o, k, v) {
		if (!strcmp(k, "seq") || !strcmp(k, "time") || !strcmp(k, "type") ||
		    !strcmp(k, "host") || !strcmp(k, "boot"))
			continue;
		if (json_object_is_type(v, json_type_array)) {
			printf(" %s=", k);
			for (size_t i = 0; i < json_object_array_length(v); i++)
				printf("%s%s", i ? "," : "",
				       json_object_get_string(json_object_array_get_idx(v, i)));
		} else if (json_object_is_type(v, json_type_string) &&
			   strpbrk(json_object_get_string(v), " \t\"")) {
			printf(" %s=%s", k, json_object_to_json_string_ext(v, JSON_C_TO_STRING_NOSLASHESCAPE));
		} else {
			printf(" %s=%s", k, json_object_get_string(v));
		}
	}
	putchar('\n');
	json_object_put(o);
	return 0;
}

static int show_run(int argc, char **argv)
{
	const char *path, *fmt = "text";
	struct sovctl_getopt g;
	char err[1024];
	int c, ret;

	sovctl_getopt_init(&g, &sovctl_journal_show_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		if (c != 'o')
			return sovctl_getopt_exit(&g, c);
		fmt = g.arg;
	}
	if (argc - optind != 1)
		return sovctl_usage_error(&sovctl_journal_show_cmd, "takes one PATH");
	path = argv[optind];
	if (strcmp(fmt, "text") && strcmp(fmt, "json"))
		return sovctl_usage_error(&sovctl_journal_show_cmd, "-o must be text or json");
	ret = sov_journal_read(path, !strcmp(fmt, "json") ? show_json : show_text, NULL, err,
			       sizeof(err));
	if (ret) {
		fprintf(stderr, "sovctl journal show: %s\n", err);
		return ret == -EBADMSG ? SOVCTL_BAD : SOVCTL_USAGE;
	}
	return SOVCTL_OK;
}
