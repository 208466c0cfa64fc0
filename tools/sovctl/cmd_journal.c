// SPDX-License-Identifier: Apache-2.0
/*
 * sovctl journal verify|export|show|checkpoint|cosign: the auditor's side of
 * the journal, and a minimal witness (cosign). Calls libsovjournal
 * (agent/journal/): verification, export, reading, notes and cosignatures,
 * Merkle proofs. Called by main.c's command table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include "agent/journal/journal.h"
#include "agent/journal/export.h"
#include "tools/sovctl/sovctl.h"

static int verify_run(int argc, char **argv);
static int export_run(int argc, char **argv);
static int show_run(int argc, char **argv);
static int checkpoint_run(int argc, char **argv);
static int cosign_run(int argc, char **argv);

enum { OPT_PUBKEY = SOVCTL_LONG_ONLY, OPT_CHECKPOINT, OPT_JOURNAL, OPT_OUT, OPT_SINCE, OPT_UNTIL,
       OPT_WITNESS, OPT_WITNESSES, OPT_INSECURE, OPT_NO_VERIFY, OPT_TYPE, OPT_VERDICT, OPT_CLASS,
       OPT_PID, OPT_DIR, OPT_OLD, OPT_KEY, OPT_STATE };

/* One line, for scripts that grep stderr. */
#define NO_KEY_MSG "no --pubkey: %s cannot be authenticated (whoever can write it can re-sign " \
	"it with a key of their own); give the public key you hold with --pubkey, or " \
	"--insecure-no-key to check its internal consistency only"

static const struct sovctl_opt verify_opts[] = {
	{ "pubkey", OPT_PUBKEY, "FILE", "the public key you hold (PREFIX.pub from keygen);\n"
	  "required unless --insecure-no-key", 0 },
	{ "insecure-no-key", OPT_INSECURE, NULL, "without --pubkey: trust the key stored in PATH\n"
	  "(internal consistency only; warns)", 0 },
	{ "checkpoint", OPT_CHECKPOINT, "FILE...", "checkpoints kept off the host, each to be\n"
	  "consistent with the journal: the files after it\n"
	  "up to the next option, once PATH is given;\n"
	  "witness cosignatures on them are checked", 0 },
	{ "witness", OPT_WITNESS, "KEY.pub", "a witness's public key (keygen --witness)",
	  SOVCTL_OPT_REPEAT },
	{ "witnesses", OPT_WITNESSES, "N", "each --checkpoint needs valid cosignatures by N\n"
	  "of the --witness keys (default: all of them)", 0 },
	{ "output", 'o', "text|json", "a report to read (default) or one JSON object", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_journal_verify_cmd = {
	.name = "journal verify",
	.operands = "PATH",
	.about = "Verify a journal directory or an export file: hash chain, signed checkpoints,\n"
		 "and for an export the time window it proves complete.",
	.notes = "Exits 0 when PATH is valid and authenticated by --pubkey, 1 when it is not\n"
		 "(the first problem is named; also a missing or bad witness cosignature),\n"
		 "2 on usage or environment errors, including no --pubkey without\n"
		 "--insecure-no-key. A cosigned checkpoint's signature lines by keys not\n"
		 "given are ignored (signed-note).\n",
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
	{ "witness", OPT_WITNESS, "KEY.pub", "a witness's public key: its cosignatures on the\n"
	  "--checkpoint files are checked (as journal verify)", SOVCTL_OPT_REPEAT },
	{ "witnesses", OPT_WITNESSES, "N", "each --checkpoint needs valid cosignatures by N\n"
	  "of the --witness keys (default: all of them)", 0 },
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
	{ "pubkey", OPT_PUBKEY, "FILE", "the public key you hold: PATH is verified first\n"
	  "and only what verified is shown", 0 },
	{ "insecure-no-key", OPT_INSECURE, NULL, "verify with the key stored in PATH (warns)", 0 },
	{ "no-verify", OPT_NO_VERIFY, NULL, "show the records as stored, unverified (said on\n"
	  "stderr, and \"verified\":false in JSON)", 0 },
	{ "since", OPT_SINCE, "TIME", "records at or after TIME", 0 },
	{ "until", OPT_UNTIL, "TIME", "records before TIME", 0 },
	{ "type", OPT_TYPE, "T[,T...]", "records of these types", SOVCTL_OPT_REPEAT },
	{ "verdict", OPT_VERDICT, "V[,V...]", "records with these verdicts (allow, deny, audit)",
	  SOVCTL_OPT_REPEAT },
	{ "class", OPT_CLASS, "C[,C...]", "records carrying one of these data classes",
	  SOVCTL_OPT_REPEAT },
	{ "pid", OPT_PID, "PID[,PID...]", "records of these processes", SOVCTL_OPT_REPEAT },
	{ "checkpoint", OPT_CHECKPOINT, "FILE", "a checkpoint kept off the host, to be consistent\n"
	  "with PATH (as journal verify)", SOVCTL_OPT_REPEAT },
	{ "witness", OPT_WITNESS, "KEY.pub", "a witness's public key: its cosignatures on the\n"
	  "--checkpoint files are checked", SOVCTL_OPT_REPEAT },
	{ "witnesses", OPT_WITNESSES, "N", "each --checkpoint needs valid cosignatures by N\n"
	  "of the --witness keys (default: all of them)", 0 },
	{ "output", 'o', "text|json", "one line per record (default), or each record's JSON\n"
	  "(one object per line, \"detail\" as an object when it\n"
	  "holds one)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_journal_show_cmd = {
	.name = "journal show",
	.operands = "PATH",
	.about = "Print the records of a journal directory or an export file that verify.",
	.notes = "PATH is verified first (as `journal verify`, a journal directory being\n"
		 "written tolerated); only records a checkpoint authenticates are shown.\n"
		 "TIME is RFC 3339 (2026-01-31T12:00:00Z) or a date (2026-01-31, midnight UTC),\n"
		 "compared with each record's \"time\"; --until is exclusive, as for export.\n"
		 "Different filters must all match; the values of one filter are\n"
		 "alternatives. Exits 0 when PATH verified (or --no-verify), 1 when it did\n"
		 "not (nothing is shown), 2 on usage or environment errors.\n",
	.opts = show_opts,
	.run = show_run,
};

static const struct sovctl_opt checkpoint_opts[] = {
	{ "dir", OPT_DIR, "DIR", "the journal directory (default " SOVD_DEFAULT_JOURNAL ")", 0 },
	{ "old", OPT_OLD, "SIZE", "print a witness request instead: \"old SIZE\", the\n"
	  "consistency proof from tree size SIZE, a blank\n"
	  "line and the checkpoint (C2SP tlog-witness)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_journal_checkpoint_cmd = {
	.name = "journal checkpoint",
	.about = "Print the journal's latest published checkpoint, to ship off the host or to a\n"
		 "witness.",
	.notes = "The checkpoint's signature is checked with the journal's key first.\n",
	.opts = checkpoint_opts,
	.run = checkpoint_run,
};

static const struct sovctl_opt cosign_opts[] = {
	{ "key", OPT_KEY, "FILE", "the witness's private key (keygen --witness)",
	  SOVCTL_OPT_REQUIRED },
	{ "pubkey", OPT_PUBKEY, "FILE", "the log's public key: the checkpoint must be signed\n"
	  "by it", SOVCTL_OPT_REQUIRED },
	{ "state", OPT_STATE, "FILE", "the last checkpoint this witness cosigned for the\n"
	  "log (default: the key's path, .key -> .state)", 0 },
	{ "journal", OPT_JOURNAL, "DIR", "compute the consistency proof from this journal\n"
	  "(else REQUEST must carry it: journal checkpoint\n"
	  "--old)", 0 },
	{ "out", OPT_OUT, "FILE", "write the cosigned checkpoint here (default stdout)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_journal_cosign_cmd = {
	.name = "journal cosign",
	.operands = "REQUEST",
	.about = "A minimal witness: check a checkpoint against the last one this witness\n"
		 "cosigned and add its cosignature (C2SP tlog-cosignature, cosignature/v1).",
	.notes = "REQUEST is a checkpoint (from `journal checkpoint`) or a witness request\n"
		 "(`journal checkpoint --old SIZE`). The checkpoint must be signed by --pubkey,\n"
		 "not older than the state's, the same tree when of the same size, and proven\n"
		 "consistent with it when larger. Then the state is updated and the checkpoint\n"
		 "printed with the cosignature line appended. Exits 1 when the checkpoint is\n"
		 "refused, 2 on usage or environment errors.\n",
	.opts = cosign_opts,
	.run = cosign_run,
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
	const char **ck = calloc(argc, sizeof(*ck)), **wit = calloc(argc, sizeof(*wit));
	struct sov_verify_opts o = { 0 };
	struct sov_verify_report r;
	struct export_manifest m = { 0 };
	char why[256], since[48], until[48];
	struct sovctl_getopt g;
	int c, ret, nck = 0, in_ck = 0, nwit = 0, need = -1, insecure = 0;

	if (!ck || !wit) {
		free(ck);
		free(wit);
		return SOVCTL_USAGE;
	}
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
		case OPT_WITNESS:
			wit[nwit++] = g.arg;
			in_ck = 0;
			break;
		case OPT_WITNESSES: {
			char *e;
			long v = strtol(g.arg, &e, 10);

			if (*e || e == g.arg || v < 0 || v > 1000) {
				free(ck);
				free(wit);
				return sovctl_usage_error(&sovctl_journal_verify_cmd,
							  "--witnesses wants a count, not '%s'", g.arg);
			}
			need = v;
			in_ck = 0;
			break;
		}
		case OPT_INSECURE:
			insecure = 1;
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
				free(wit);
				return sovctl_usage_error(&sovctl_journal_verify_cmd,
							  "unexpected argument %s", g.arg);
			}
			break;
		default:
			free(ck);
			free(wit);
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (need < 0)
		need = nwit;
	if (!path || (strcmp(fmt, "text") && strcmp(fmt, "json")) || need > nwit ||
	    ((nwit || need) && !nck)) {
		free(ck);
		free(wit);
		return sovctl_usage_error(&sovctl_journal_verify_cmd, !path ? "no PATH to verify" :
					  need > nwit ? "--witnesses is more than the --witness keys given" :
					  (nwit || need) ? "--witness applies to the checkpoints given with --checkpoint" :
					  "-o must be text or json");
	}
	if (!o.pubkey_path && !insecure) {
		free(ck);
		free(wit);
		fprintf(stderr, "sovctl journal verify: " NO_KEY_MSG "\n", path);
		return SOVCTL_USAGE;
	}
	o.checkpoint_paths = ck;
	o.ncheckpoints = nck;
	o.witness_paths = wit;
	o.nwitnesses = nwit;
	o.witnesses_required = need;
	ret = sov_journal_verify(path, &o, &r);
	free(ck);
	free(wit);
	if (r.key_from_journal && !ret)
		fprintf(stderr, "sovctl journal verify: WARNING: --insecure-no-key: %s is checked with its own key; this shows internal consistency, not who wrote it\n",
			path);
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
		if (nwit) {
			printf(",\"witnesses_required\":%d,\"ignored_signatures\":%llu,\"cosignatures\":[",
			       need, (unsigned long long)r.ignored_sigs);
			for (int i = 0; i < r.ncosigs; i++) {
				printf("%s{", i ? "," : "");
				print_json_str("witness", r.cosigs[i].witness, 0);
				print_json_str("checkpoint", r.cosigs[i].checkpoint, 1);
				printf(",\"size\":%llu,\"time\":%llu}",
				       (unsigned long long)r.cosigs[i].size,
				       (unsigned long long)r.cosigs[i].time);
			}
			printf("]");
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
	for (int i = 0; i < r.ncosigs; i++) {
		char t[48];

		if (r.cosigs[i].time < 9000000000ull)
			window_end((int64_t)r.cosigs[i].time * 1000000000ll, t, sizeof(t));
		else
			snprintf(t, sizeof(t), "the far future");
		printf("  witness:     %s cosigned %s (tree size %llu) at %s (%llu)\n",
		       r.cosigs[i].witness, r.cosigs[i].checkpoint,
		       (unsigned long long)r.cosigs[i].size, t, (unsigned long long)r.cosigs[i].time);
	}
	if (nwit)
		printf("  witnesses:   %d of %d required cosignature(s) on every given checkpoint%s\n",
		       need, nwit, r.ignored_sigs ? " (signatures by other keys ignored)" : "");
	if (r.unauthenticated)
		printf("  NOT AUTHENTICATED: %llu record(s) after the last checkpoint (seq %llu..%llu)\n",
		       (unsigned long long)r.unauthenticated, (unsigned long long)r.checkpointed,
		       (unsigned long long)(r.checkpointed + r.unauthenticated - 1));
	return SOVCTL_OK;
}

/* --witnesses N: 0..1000, or -1 (and a usage message) */
int sovctl_parse_witnesses(const struct sovctl_cmd *cmd, const char *arg)
{
	char *e;
	long v = strtol(arg, &e, 10);

	if (*e || e == arg || v < 0 || v > 1000) {
		sovctl_usage_error(cmd, "--witnesses wants a count, not '%s'", arg);
		return -1;
	}
	return v;
}

/* The checks journal verify makes on --witness/--witnesses; 0 or the
 * usage error's exit status. */
int sovctl_check_witness_args(const struct sovctl_cmd *cmd, int nck, int nwit, int *need)
{
	if (*need < 0)
		*need = nwit;
	if (*need > nwit)
		return sovctl_usage_error(cmd, "--witnesses is more than the --witness keys given");
	if ((nwit || *need) && !nck)
		return sovctl_usage_error(cmd,
					  "--witness applies to the checkpoints given with --checkpoint");
	return 0;
}

static int export_run(int argc, char **argv)
{
	struct sov_export_opts o = { .since_ns = INT64_MIN, .until_ns = INT64_MAX };
	const char **ck = calloc(argc, sizeof(*ck)), **wit = calloc(argc, sizeof(*wit));
	struct sov_export_report r;
	struct sovctl_getopt g;
	char err[1024];
	int c, ret, nck = 0, nwit = 0, need = -1;

	if (!ck || !wit) {
		free(ck);
		free(wit);
		return SOVCTL_USAGE;
	}
	o.checkpoint_paths = ck;
	o.witness_paths = wit;
	sovctl_getopt_init(&g, &sovctl_journal_export_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case OPT_CHECKPOINT:
			ck[nck++] = g.arg;
			o.ncheckpoints = nck;
			break;
		case OPT_WITNESS:
			wit[nwit++] = g.arg;
			break;
		case OPT_WITNESSES:
			need = sovctl_parse_witnesses(&sovctl_journal_export_cmd, g.arg);
			if (need < 0) {
				free(ck);
				free(wit);
				return SOVCTL_USAGE;
			}
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
				free(wit);
				return SOVCTL_USAGE;
			}
			break;
		default:
			free(ck);
			free(wit);
			return sovctl_getopt_exit(&g, c);
		}
	}
	ret = optind < argc ? sovctl_usage_error(&sovctl_journal_export_cmd, "unexpected argument %s",
						 argv[optind]) :
	      sovctl_check_witness_args(&sovctl_journal_export_cmd, nck, nwit, &need);
	if (ret) {
		free(ck);
		free(wit);
		return ret;
	}
	o.nwitnesses = nwit;
	o.witnesses_required = need;
	ret = sov_journal_export(&o, &r, err, sizeof(err));
	free(ck);
	free(wit);
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

/* ---- journal show ---- */

/* A filter's values: "a,b" and repeated options alike. */
struct strlist {
	char **v;
	int n;
};

static int strlist_add(struct strlist *l, const char *arg)
{
	char *dup = strdup(arg), *save = NULL;

	if (!dup)
		return -ENOMEM;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

		if (!nv || !(nv[l->n] = strdup(t))) {
			if (nv)
				l->v = nv;
			free(dup);
			return -ENOMEM;
		}
		l->v = nv;
		l->n++;
	}
	free(dup);
	return 0;
}

static void strlist_free(struct strlist *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int strlist_has(const struct strlist *l, const char *s)
{
	for (int i = 0; s && i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return 1;
	return 0;
}

struct show_ctx {
	int json, verified;
	uint64_t shown;
	int64_t since, until;		/* INT64_MIN / INT64_MAX: open */
	struct strlist types, verdicts, classes, pids;
};

static const char *obj_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

static int show_match(const struct show_ctx *x, struct json_object *o, const uint8_t *rec,
		      size_t len)
{
	struct json_object *v;
	int64_t t;

	if (x->since != INT64_MIN || x->until != INT64_MAX) {
		if (sovj_record_time(rec, len, &t) || t < x->since || t >= x->until)
			return 0;
	}
	if (x->types.n && !strlist_has(&x->types, obj_str(o, "type")))
		return 0;
	if (x->verdicts.n && !strlist_has(&x->verdicts, obj_str(o, "verdict")))
		return 0;
	if (x->pids.n) {
		char pid[24];

		if (!json_object_object_get_ex(o, "pid", &v) || !json_object_is_type(v, json_type_int))
			return 0;
		snprintf(pid, sizeof(pid), "%lld", (long long)json_object_get_int64(v));
		if (!strlist_has(&x->pids, pid))
			return 0;
	}
	if (x->classes.n) {
		int any = 0;

		if (!json_object_object_get_ex(o, "classes", &v) ||
		    !json_object_is_type(v, json_type_array))
			return 0;
		for (size_t i = 0; i < json_object_array_length(v) && !any; i++)
			any = strlist_has(&x->classes,
					  json_object_get_string(json_object_array_get_idx(v, i)));
		if (!any)
			return 0;
	}
	return 1;
}

/* The record's own bytes, with two changes for a reader: a "detail" that
 * holds a JSON object (sovd's agent, policy, loss and tamper events) is
 * that object instead of its text, and "verified" says whether it was. */
static void show_json(const struct show_ctx *x, struct json_object *o, const uint8_t *rec,
		      size_t len)
{
	static const char key[] = ",\"detail\":\"";
	const uint8_t *d = memmem(rec, len, key, sizeof(key) - 1), *q = NULL;
	const char *detail = obj_str(o, "detail");
	struct json_object *dj = NULL;

	if (d && detail && detail[0] == '{') {
		/* the end of the string: the first quote no backslash escapes */
		for (q = d + sizeof(key) - 1; q < rec + len; q++) {
			if (*q == '\\')
				q++;
			else if (*q == '"')
				break;
		}
		dj = q < rec + len ? json_tokener_parse(detail) : NULL;
		if (dj && !json_object_is_type(dj, json_type_object)) {
			json_object_put(dj);
			dj = NULL;
		}
	}
	if (dj) {
		fwrite(rec, 1, d - rec, stdout);
		printf(",\"detail\":%s", json_object_to_json_string_ext(dj, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE));
		fwrite(q + 1, 1, rec + len - 1 - (q + 1), stdout);
		json_object_put(dj);
	} else {
		fwrite(rec, 1, len - 1, stdout);	/* without the closing brace */
	}
	printf(",\"verified\":%s}\n", x->verified ? "true" : "false");
}

/* One line per record: seq, time, type, then the other fields as key=value
 * (host and boot ids left out: they rarely change and make lines long). */
static void show_text(const struct sov_journal_entry *e, struct json_object *o)
{
	const char *t = obj_str(o, "time"), *ty = obj_str(o, "type");

	printf("%-8llu %s %-9s", (unsigned long long)e->index, t ? t : "?", ty ? ty : "?");
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
}

static int show_one(const struct sov_journal_entry *e, void *ctx)
{
	struct show_ctx *x = ctx;
	struct json_tokener *tok;
	struct json_object *o;

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, (const char *)e->data, e->len);
	json_tokener_free(tok);
	if (!o) {
		printf("%llu <unparsable record at %s offset %llu>\n", (unsigned long long)e->index,
		       e->file, (unsigned long long)e->offset);
		return 0;
	}
	if (show_match(x, o, e->data, e->len)) {
		if (x->json)
			show_json(x, o, e->data, e->len);
		else
			show_text(e, o);
		x->shown++;
	}
	json_object_put(o);
	return 0;
}

/* ---- reading what verified: journal show, lineage (sovctl.h) ---- */

struct verified_walk {
	sov_journal_entry_fn fn;
	void *ctx;
	int verified;
	uint64_t limit;			/* records with seq < limit verified */
};

static int verified_one(const struct sov_journal_entry *e, void *ctx)
{
	struct verified_walk *w = ctx;
	int ret;

	/* Past what verified: stop, before a frame sovd may be writing. */
	if (w->verified && e->index >= w->limit)
		return 1;
	ret = w->fn(e, w->ctx);
	if (ret)
		return ret;
	return w->verified && e->index + 1 >= w->limit;	/* the last that verified */
}

int sovctl_journal_read_verified(const struct sovctl_cmd *cmd, const char *path,
				 const struct sovctl_jread *o, sov_journal_entry_fn fn, void *ctx,
				 struct sov_verify_report *r)
{
	struct sov_verify_opts vo = { 0 };
	struct verified_walk w = { .fn = fn, .ctx = ctx, .verified = 1 };
	uint64_t hidden = 0;
	char err[1024];
	struct stat st;
	int ret;

	memset(r, 0, sizeof(*r));
	if (o->noverify) {
		w.verified = 0;
		fprintf(stderr, "sovctl %s: NOT VERIFIED (--no-verify): %s is shown as stored; nothing says it is authentic or complete\n",
			cmd->name, path);
	} else {
		if (!o->pubkey && !o->insecure) {
			fprintf(stderr, "sovctl %s: " NO_KEY_MSG "%s\n", cmd->name, path,
				o->noverify_hint ? " (or --no-verify to read the records unverified)" : "");
			return SOVCTL_USAGE;
		}
		vo.pubkey_path = o->pubkey;
		vo.checkpoint_paths = o->ck;
		vo.ncheckpoints = o->nck;
		vo.witness_paths = o->wit;
		vo.nwitnesses = o->nwit;
		vo.witnesses_required = o->need;
		/* A directory sovd is writing: the walk ends at a frame being
		 * written; only what the last checkpoint signs is read. */
		if (!stat(path, &st) && S_ISDIR(st.st_mode))
			ret = sovj_verify_live(path, &vo, r);
		else
			ret = sov_journal_verify(path, &vo, r);
		if (ret) {
			fprintf(stderr, "sovctl %s: %s\n", cmd->name, r->error);
			return SOVCTL_USAGE;
		}
		if (!r->valid) {
			err[0] = 0;
			if (r->offset >= 0)
				snprintf(err, sizeof(err), " offset %lld", (long long)r->offset);
			fprintf(stderr, "sovctl %s: %s is INVALID, nothing shown: %s%s: %s\n%s", cmd->name,
				path, r->file[0] ? r->file : path, err, r->error,
				o->noverify_hint ? "  (--no-verify shows the records as stored)\n" : "");
			return SOVCTL_BAD;
		}
		if (r->key_from_journal)
			fprintf(stderr, "sovctl %s: WARNING: --insecure-no-key: %s was checked with its own key (internal consistency only)\n",
				cmd->name, path);
		w.limit = r->is_export ? UINT64_MAX : r->checkpointed;
		hidden = r->is_export ? 0 : r->unauthenticated;
	}
	ret = sov_journal_read(path, verified_one, &w, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "sovctl %s: %s\n", cmd->name, err);
		return ret == -EBADMSG ? SOVCTL_BAD : SOVCTL_USAGE;
	}
	if (hidden)
		fprintf(stderr, "sovctl %s: %llu record(s) after the last checkpoint are not authenticated and were not %s\n",
			cmd->name, (unsigned long long)hidden, o->noverify_hint ? "shown" : "used");
	return SOVCTL_OK;
}

static int show_run(int argc, char **argv)
{
	struct show_ctx x = { .since = INT64_MIN, .until = INT64_MAX, .verified = 1 };
	const char *path, *fmt = "text", *pubkey = NULL;
	struct sovctl_jread jo = { 0 };
	struct sov_verify_report r;
	int c, ret = SOVCTL_USAGE, insecure = 0, noverify = 0, nck = 0, nwit = 0, need = -1;
	const char **ck = calloc(argc, sizeof(*ck)), **wit = calloc(argc, sizeof(*wit));
	struct sovctl_getopt g;

	if (!ck || !wit)
		goto out;
	sovctl_getopt_init(&g, &sovctl_journal_show_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case 'o':
			fmt = g.arg;
			break;
		case OPT_CHECKPOINT:
			ck[nck++] = g.arg;
			break;
		case OPT_WITNESS:
			wit[nwit++] = g.arg;
			break;
		case OPT_WITNESSES:
			need = sovctl_parse_witnesses(&sovctl_journal_show_cmd, g.arg);
			if (need < 0)
				goto out;
			break;
		case OPT_PUBKEY:
			pubkey = g.arg;
			break;
		case OPT_INSECURE:
			insecure = 1;
			break;
		case OPT_NO_VERIFY:
			noverify = 1;
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (sov_journal_parse_time(g.arg, c == OPT_SINCE ? &x.since : &x.until)) {
				fprintf(stderr, "sovctl journal show: bad time %s (want RFC 3339 or YYYY-MM-DD)\n",
					g.arg);
				goto out;
			}
			break;
		case OPT_TYPE:
		case OPT_VERDICT:
		case OPT_CLASS:
		case OPT_PID:
			if (strlist_add(c == OPT_TYPE ? &x.types : c == OPT_VERDICT ? &x.verdicts :
					c == OPT_CLASS ? &x.classes : &x.pids, g.arg))
				goto out;
			if (c == OPT_PID)
				for (int i = 0; i < x.pids.n; i++)
					if (strspn(x.pids.v[i], "-0123456789") != strlen(x.pids.v[i])) {
						ret = sovctl_usage_error(&sovctl_journal_show_cmd,
									 "--pid wants numbers, not '%s'",
									 x.pids.v[i]);
						goto out;
					}
			break;
		default:
			ret = sovctl_getopt_exit(&g, c);
			goto out;
		}
	}
	if (argc - optind != 1) {
		ret = sovctl_usage_error(&sovctl_journal_show_cmd, "takes one PATH");
		goto out;
	}
	path = argv[optind];
	if (strcmp(fmt, "text") && strcmp(fmt, "json")) {
		ret = sovctl_usage_error(&sovctl_journal_show_cmd, "-o must be text or json");
		goto out;
	}
	if (noverify && (pubkey || insecure || nck || nwit)) {
		ret = sovctl_usage_error(&sovctl_journal_show_cmd,
					 "--no-verify does not go with --pubkey, --insecure-no-key, --checkpoint or --witness");
		goto out;
	}
	ret = sovctl_check_witness_args(&sovctl_journal_show_cmd, nck, nwit, &need);
	if (ret)
		goto out;
	ret = SOVCTL_USAGE;
	x.json = !strcmp(fmt, "json");
	x.verified = !noverify;
	jo.pubkey = pubkey;
	jo.insecure = insecure;
	jo.noverify = noverify;
	jo.noverify_hint = 1;
	jo.ck = ck;
	jo.nck = nck;
	jo.wit = wit;
	jo.nwit = nwit;
	jo.need = need;
	ret = sovctl_journal_read_verified(&sovctl_journal_show_cmd, path, &jo, show_one, &x, &r);
	if (ret)
		goto out;
	ret = SOVCTL_OK;
out:
	free(ck);
	free(wit);
	strlist_free(&x.types);
	strlist_free(&x.verdicts);
	strlist_free(&x.classes);
	strlist_free(&x.pids);
	return ret;
}

/* ---- journal checkpoint, journal cosign: a minimal witness ---- */

struct leaves {
	uint8_t *h;
	uint64_t n, cap, want;
};

static int leaf_one(const struct sov_journal_entry *e, void *ctx)
{
	struct leaves *l = ctx;

	if (e->index != l->n)
		return -EBADMSG;
	if (l->n == l->cap) {
		uint64_t cap = l->cap ? 2 * l->cap : 4096;
		uint8_t *h = realloc(l->h, cap * SOV_HASH_LEN);

		if (!h)
			return -ENOMEM;
		l->h = h;
		l->cap = cap;
	}
	sovj_hash_leaf(e->data, e->len, l->h + l->n++ * SOV_HASH_LEN);
	return l->n >= l->want ? 1 : 0;		/* enough: stop before a write in progress */
}

/* The consistency proof from tree size m to c->size, from the records of
 * journal dir; its records must hash to c's root. Returns the number of
 * hashes, or a negative errno with err set. */
static int dir_proof(const char *dir, uint64_t m, const struct checkpoint *c,
		     uint8_t proof[64][SOV_HASH_LEN], char *err, size_t errlen)
{
	struct leaves l = { .want = c->size };
	uint8_t root[SOV_HASH_LEN];
	struct mtree t;
	int ret;

	if (m == 0 || m == c->size)
		return 0;
	ret = c->size ? sov_journal_read(dir, leaf_one, &l, err, errlen) : 0;
	if (ret < 0) {
		if (ret == -EBADMSG && l.n < l.want && !err[0])
			snprintf(err, errlen, "records of %s are out of order", dir);
		goto out;
	}
	if (l.n < c->size) {
		ret = sovj_errf(err, errlen, -EBADMSG,
				"journal %s has %llu records, the checkpoint covers %llu", dir,
				(unsigned long long)l.n, (unsigned long long)c->size);
		goto out;
	}
	ret = sovj_mtree_build(&t, l.h, c->size);
	if (ret) {
		sovj_errf(err, errlen, ret, "failed to build the tree: %s", strerror(-ret));
		goto out;
	}
	sovj_mtree_root(&t, c->size, root);
	if (memcmp(root, c->root, SOV_HASH_LEN))
		ret = sovj_errf(err, errlen, -EBADMSG,
				"the first %llu records of journal %s do not hash to the checkpoint's root",
				(unsigned long long)c->size, dir);
	else
		ret = sovj_mtree_consistency(&t, m, c->size, proof);
	sovj_mtree_free(&t);
out:
	free(l.h);
	return ret;
}

static int read_text(const char *path, char **buf, size_t *len, const char *cmd)
{
	int ret = sovj_read_file(path, (uint8_t **)buf, len);

	if (ret)
		fprintf(stderr, "sovctl %s: failed to read %s: %s\n", cmd, path, strerror(-ret));
	return ret;
}

static int checkpoint_run(int argc, char **argv)
{
	const char *dir = SOVD_DEFAULT_JOURNAL;
	char path[4200], why[512], *note = NULL, b64[64];
	uint8_t proof[64][SOV_HASH_LEN];
	struct sov_pubkey k = { 0 };
	struct sovctl_getopt g;
	struct checkpoint c;
	long long old = -1;
	int c2, ret = SOVCTL_USAGE, np;
	size_t len;

	sovctl_getopt_init(&g, &sovctl_journal_checkpoint_cmd, argc, argv);
	while ((c2 = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		char *e;

		switch (c2) {
		case OPT_DIR:
			dir = g.arg;
			break;
		case OPT_OLD:
			old = strtoll(g.arg, &e, 10);
			if (*e || e == g.arg || old < 0)
				return sovctl_usage_error(&sovctl_journal_checkpoint_cmd,
							  "--old wants a tree size, not '%s'", g.arg);
			break;
		default:
			return sovctl_getopt_exit(&g, c2);
		}
	}
	if (optind < argc)
		return sovctl_usage_error(&sovctl_journal_checkpoint_cmd, "unexpected argument %s",
					  argv[optind]);
	snprintf(path, sizeof(path), "%s/" PUBKEY_FILE, dir);
	if (sovj_pubkey_load(&k, path, why, sizeof(why))) {
		fprintf(stderr, "sovctl journal checkpoint: %s\n", why);
		return SOVCTL_USAGE;
	}
	snprintf(path, sizeof(path), "%s/" CHECKPOINT_FILE, dir);
	if (read_text(path, &note, &len, "journal checkpoint"))
		goto out;
	if (sovj_checkpoint_open(&k, note, len, &c, why, sizeof(why))) {
		fprintf(stderr, "sovctl journal checkpoint: %s is not valid: %s\n", path, why);
		ret = SOVCTL_BAD;
		goto out;
	}
	if (old >= 0) {
		if ((uint64_t)old > c.size) {
			fprintf(stderr, "sovctl journal checkpoint: --old %lld is larger than the checkpoint's tree size %llu\n",
				old, (unsigned long long)c.size);
			ret = SOVCTL_BAD;
			goto out;
		}
		why[0] = 0;
		np = dir_proof(dir, old, &c, proof, why, sizeof(why));
		if (np < 0) {
			fprintf(stderr, "sovctl journal checkpoint: no consistency proof from tree size %lld: %s\n",
				old, why);
			ret = SOVCTL_BAD;
			goto out;
		}
		printf("old %lld\n", old);
		for (int i = 0; i < np; i++) {
			EVP_EncodeBlock((unsigned char *)b64, proof[i], SOV_HASH_LEN);
			printf("%s\n", b64);
		}
		printf("\n");
	}
	fwrite(note, 1, len, stdout);
	ret = fflush(stdout) ? SOVCTL_USAGE : SOVCTL_OK;
out:
	free(note);
	sovj_pubkey_free(&k);
	return ret;
}

/* A witness request (c2sp.org/tlog-witness add-checkpoint body): "old N\n",
 * up to 63 base64 hashes one a line, "\n", the checkpoint. */
static int parse_request(char *req, size_t len, long long *old, uint8_t proof[64][SOV_HASH_LEN],
			 int *np, char **note, size_t *notelen, char *err, size_t errlen)
{
	char *p = req, *end = req + len, *nl, *e;

	*old = -1;
	*np = 0;
	*note = req;
	*notelen = len;
	if (len < 4 || memcmp(req, "old ", 4))
		return 0;
	nl = memchr(p, '\n', end - p);
	if (!nl)
		return sovj_errf(err, errlen, -EINVAL, "request has no line after \"old\"");
	*nl = 0;
	*old = strtoll(p + 4, &e, 10);
	if (e != nl || e == p + 4 || *old < 0 || (p[4] == '0' && nl - p > 5))
		return sovj_errf(err, errlen, -EINVAL, "request's old size line is not \"old <decimal>\"");
	for (p = nl + 1; p < end && *p != '\n'; p = nl + 1) {
		uint8_t tmp[48];

		nl = memchr(p, '\n', end - p);
		if (!nl || nl - p != 44 || *np == 63 ||
		    EVP_DecodeBlock(tmp, (unsigned char *)p, 44) != 33 || p[43] != '=')
			return sovj_errf(err, errlen, -EINVAL,
					 "request's consistency proof line %d is not base64 of 32 bytes",
					 *np + 1);
		memcpy(proof[(*np)++], tmp, SOV_HASH_LEN);
	}
	if (p >= end)
		return sovj_errf(err, errlen, -EINVAL, "request has no blank line before the checkpoint");
	*note = p + 1;
	*notelen = end - (p + 1);
	return 0;
}

/* "PATH.key" -> "PATH.state", else PATH + ".state". */
static void default_state(const char *key, char *out, size_t outlen)
{
	size_t n = strlen(key);

	if (n > 4 && !strcmp(key + n - 4, ".key"))
		n -= 4;
	snprintf(out, outlen, "%.*s.state", (int)n, key);
}

static int write_state(const char *path, const char *note, size_t len, char *err, size_t errlen)
{
	char dir[4200], *slash;
	int dfd, ret;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return sovj_errf(err, errlen, -errno, "failed to open %s: %s", dir, strerror(errno));
	ret = sovj_publish_file(dfd, strrchr(path, '/') ? strrchr(path, '/') + 1 : path, note, len,
				0644);
	close(dfd);
	if (ret)
		return sovj_errf(err, errlen, ret, "failed to write %s: %s", path, strerror(-ret));
	return 0;
}

static int cosign_run(int argc, char **argv)
{
	const char *keypath = NULL, *pubpath = NULL, *statepath = NULL, *dir = NULL, *out = NULL;
	char statebuf[4200], why[512], *req = NULL, *note, *st = NULL, line[512];
	char logonly[CHECKPOINT_MAX];
	uint8_t proof[64][SOV_HASH_LEN];
	struct sov_signer w = { 0 };
	struct sov_pubkey k = { 0 };
	struct checkpoint c, prev = { 0 };
	struct cosig cs[COSIG_MAX_LINES];
	size_t reqlen, notelen, stlen, lolen;
	int c2, ret = SOVCTL_USAGE, np, ncs, nign, have_prev = 0, bodylen, ll;
	long long old;
	struct sovctl_getopt g;
	FILE *o = stdout;

	sovctl_getopt_init(&g, &sovctl_journal_cosign_cmd, argc, argv);
	while ((c2 = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c2) {
		case OPT_KEY:
			keypath = g.arg;
			break;
		case OPT_PUBKEY:
			pubpath = g.arg;
			break;
		case OPT_STATE:
			statepath = g.arg;
			break;
		case OPT_JOURNAL:
			dir = g.arg;
			break;
		case OPT_OUT:
			out = g.arg;
			break;
		default:
			return sovctl_getopt_exit(&g, c2);
		}
	}
	if (argc - optind != 1)
		return sovctl_usage_error(&sovctl_journal_cosign_cmd, "takes one REQUEST");
	if (!statepath) {
		default_state(keypath, statebuf, sizeof(statebuf));
		statepath = statebuf;
	}
	if (sovj_signer_load(&w, keypath, why, sizeof(why))) {
		fprintf(stderr, "sovctl journal cosign: %s\n", why);
		return SOVCTL_USAGE;
	}
	if (w.pub.alg != KEY_ALG_COSIG) {
		fprintf(stderr, "sovctl journal cosign: %s is a log key, not a witness key (make one with sovctl keygen --witness)\n",
			keypath);
		goto out;
	}
	if (sovj_pubkey_load(&k, pubpath, why, sizeof(why))) {
		fprintf(stderr, "sovctl journal cosign: %s\n", why);
		goto out;
	}
	if (read_text(argv[optind], &req, &reqlen, "journal cosign"))
		goto out;
	if (parse_request(req, reqlen, &old, proof, &np, &note, &notelen, why, sizeof(why))) {
		fprintf(stderr, "sovctl journal cosign: %s: %s\n", argv[optind], why);
		ret = SOVCTL_BAD;
		goto out;
	}
	/* The log's signature, and this witness's own earlier cosignature if
	 * the note carries one; other lines are ignored. */
	if (sovj_checkpoint_open_cosigned(&k, &w.pub, 1, note, notelen, &c, cs, COSIG_MAX_LINES,
					  &ncs, &nign, logonly, &lolen, why, sizeof(why))) {
		fprintf(stderr, "sovctl journal cosign: refused %s: %s\n", argv[optind], why);
		ret = SOVCTL_BAD;
		goto out;
	}
	if (strstr(c.origin, SEAL_SUFFIX SEG_PREFIX)) {
		fprintf(stderr, "sovctl journal cosign: refused %s: a segment seal, not a checkpoint\n",
			argv[optind]);
		ret = SOVCTL_BAD;
		goto out;
	}

	/* The last checkpoint this witness cosigned for the log. */
	if (sovj_read_file(statepath, (uint8_t **)&st, &stlen) == 0) {
		const char *nlp = memchr(st, '\n', stlen);
		size_t ol = nlp ? (size_t)(nlp - st) : stlen;

		/* The origin line first: a state of another log says so. */
		if (ol >= stlen || ol != strlen(c.origin) || memcmp(st, c.origin, ol)) {
			fprintf(stderr, "sovctl journal cosign: state %s is for the log \"%.*s\", the checkpoint is for \"%s\" (one state file per log: --state)\n",
				statepath, (int)(ol > 200 ? 200 : ol), st, c.origin);
			goto out;
		}
		if (sovj_checkpoint_open(&k, st, stlen, &prev, why, sizeof(why))) {
			fprintf(stderr, "sovctl journal cosign: state %s is not a checkpoint signed by %s: %s\n",
				statepath, pubpath, why);
			goto out;
		}
		if (strcmp(prev.origin, c.origin)) {
			fprintf(stderr, "sovctl journal cosign: state %s is for the log \"%s\", the checkpoint is for \"%s\" (one state file per log: --state)\n",
				statepath, prev.origin, c.origin);
			goto out;
		}
		have_prev = 1;
	} else if (access(statepath, F_OK) == 0) {
		fprintf(stderr, "sovctl journal cosign: failed to read state %s\n", statepath);
		goto out;
	}
	ret = SOVCTL_BAD;
	if (c.size < prev.size) {
		fprintf(stderr, "sovctl journal cosign: refused: the checkpoint (tree size %llu) is older than the last one this witness cosigned (tree size %llu, %s): a log only grows; this is a rollback or a stale copy\n",
			(unsigned long long)c.size, (unsigned long long)prev.size, statepath);
		goto out;
	}
	if (c.size == prev.size && have_prev && memcmp(c.root, prev.root, SOV_HASH_LEN)) {
		fprintf(stderr, "sovctl journal cosign: refused: the checkpoint (tree size %llu) has another root than the one this witness cosigned at that size: the log forked or was rewritten\n",
			(unsigned long long)c.size);
		goto out;
	}
	if (old >= 0 && (uint64_t)old != prev.size) {
		fprintf(stderr, "sovctl journal cosign: refused: the request proves consistency from tree size %lld, but this witness last cosigned tree size %llu; ask again with journal checkpoint --old %llu\n",
			old, (unsigned long long)prev.size, (unsigned long long)prev.size);
		goto out;
	}
	if (c.size > prev.size && prev.size > 0) {
		if (old < 0) {
			if (!dir) {
				fprintf(stderr, "sovctl journal cosign: no consistency proof from tree size %llu (the last cosigned) to %llu: give --journal DIR, or a request from journal checkpoint --old %llu\n",
					(unsigned long long)prev.size, (unsigned long long)c.size,
					(unsigned long long)prev.size);
				ret = SOVCTL_USAGE;
				goto out;
			}
			why[0] = 0;
			np = dir_proof(dir, prev.size, &c, proof, why, sizeof(why));
			if (np < 0) {
				fprintf(stderr, "sovctl journal cosign: refused: no consistency proof from journal %s: %s\n",
					dir, why);
				goto out;
			}
		}
		if (sovj_merkle_verify_consistency(prev.size, c.size, prev.root, c.root, proof, np)) {
			fprintf(stderr, "sovctl journal cosign: refused: the checkpoint (tree size %llu) is not consistent with the one this witness cosigned (tree size %llu): the log forked or was rewritten\n",
				(unsigned long long)c.size, (unsigned long long)prev.size);
			goto out;
		}
	}

	ll = sovj_cosign_line(&w, note, notelen, (uint64_t)time(NULL), line, sizeof(line));
	if (ll < 0) {
		fprintf(stderr, "sovctl journal cosign: failed to sign: %s\n", strerror(-ll));
		ret = SOVCTL_USAGE;
		goto out;
	}
	/* Persist before answering (tlog-witness): a crash after this
	 * loses a cosignature, never the witness's memory of the log. */
	if (write_state(statepath, logonly, lolen, why, sizeof(why))) {
		fprintf(stderr, "sovctl journal cosign: %s\n", why);
		ret = SOVCTL_USAGE;
		goto out;
	}
	if (out && !(o = fopen(out, "w"))) {
		fprintf(stderr, "sovctl journal cosign: failed to create %s: %m\n", out);
		ret = SOVCTL_USAGE;
		goto out;
	}
	/* The note as given, less an earlier line by this witness, plus
	 * the new one. */
	bodylen = sovj_note_body_len(note, notelen);
	fwrite(note, 1, bodylen + 1, o);
	for (char *p = note + bodylen + 1, *nl; p < note + notelen; p = nl + 1) {
		size_t nn = strlen(w.pub.name);
		uint8_t id[6];

		nl = memchr(p, '\n', note + notelen - p);
		if (!nl)
			break;
		if (nl - p > (long)(4 + nn + 9) && !memcmp(p + 4, w.pub.name, nn) && p[4 + nn] == ' ' &&
		    EVP_DecodeBlock(id, (unsigned char *)p + 5 + nn, 8) == 6 &&
		    !memcmp(id, w.pub.hash, 4))
			continue;
		fwrite(p, 1, nl + 1 - p, o);
	}
	fwrite(line, 1, ll, o);
	ret = (out ? fclose(o) : fflush(o)) ? SOVCTL_USAGE : SOVCTL_OK;
	if (ret)
		fprintf(stderr, "sovctl journal cosign: failed to write the cosigned checkpoint\n");
	else if (have_prev)
		fprintf(stderr, "cosigned %s (tree size %llu, consistent with tree size %llu)\n",
			c.origin, (unsigned long long)c.size, (unsigned long long)prev.size);
	else
		fprintf(stderr, "cosigned %s (tree size %llu, first checkpoint of this log: trusted on first use)\n",
			c.origin, (unsigned long long)c.size);
out:
	free(req);
	free(st);
	sovj_signer_free(&w);
	sovj_pubkey_free(&k);
	return ret;
}
