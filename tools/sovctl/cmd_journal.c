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

static void usage(FILE *o)
{
	fprintf(o,
"usage: sovctl journal verify PATH [--pubkey FILE] [--checkpoint FILE...] [-o text|json]\n"
"       sovctl journal export --journal DIR --out FILE [--since TIME] [--until TIME]\n"
"                             [--checkpoint FILE...]\n"
"       sovctl journal show PATH [-o text|json]\n"
"  PATH is a journal directory or an export file. TIME is RFC 3339\n"
"  (2026-01-31T12:00:00Z) or a date (2026-01-31, midnight UTC).\n"
"  verify exits 0 when valid, 1 when not, 2 on usage or environment errors.\n");
}

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

static int do_verify(int argc, char **argv)
{
	const char *path = NULL, *fmt = "text";
	const char **ck = calloc(argc, sizeof(*ck));
	struct sov_verify_opts o = { 0 };
	struct sov_verify_report r;
	struct export_manifest m = { 0 };
	char why[256], since[48], until[48];
	int ret, nck = 0;

	if (!ck)
		return SOVCTL_USAGE;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pubkey") && i + 1 < argc) {
			o.pubkey_path = argv[++i];
		} else if (!strcmp(argv[i], "--checkpoint") && i + 1 < argc) {
			ck[nck++] = argv[++i];
			/* "--checkpoint A B C": the files after it, up to the next option */
			while (i + 1 < argc && argv[i + 1][0] != '-' && path)
				ck[nck++] = argv[++i];
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			fmt = argv[++i];
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			fprintf(stderr, "sovctl journal verify: unexpected argument %s\n", argv[i]);
			usage(stderr);
			free(ck);
			return SOVCTL_USAGE;
		}
	}
	if (!path || (strcmp(fmt, "text") && strcmp(fmt, "json"))) {
		usage(stderr);
		free(ck);
		return SOVCTL_USAGE;
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
		printf("               complete: %s, %s\n",
		       r.first ? "the record before is older than since" : "it starts at seq 0",
		       r.first + r.records < r.checkpointed ? "the record after is not before until" :
		       "it ends at the checkpoint's last record");
	} else {
		printf("  records:     %llu in %llu segment(s)\n", (unsigned long long)r.records,
		       (unsigned long long)r.segments);
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

static int do_export(int argc, char **argv)
{
	struct sov_export_opts o = { .since_ns = INT64_MIN, .until_ns = INT64_MAX };
	const char **ck = calloc(argc, sizeof(*ck));
	struct sov_export_report r;
	char err[1024];
	int ret, nck = 0;

	if (!ck)
		return SOVCTL_USAGE;
	o.checkpoint_paths = ck;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--checkpoint") && i + 1 < argc) {
			ck[nck++] = argv[++i];
			o.ncheckpoints = nck;
		} else if (!strcmp(argv[i], "--journal") && i + 1 < argc) {
			o.dir = argv[++i];
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			o.out = argv[++i];
		} else if ((!strcmp(argv[i], "--since") || !strcmp(argv[i], "--until")) && i + 1 < argc) {
			int64_t *t = argv[i][2] == 's' ? &o.since_ns : &o.until_ns;

			if (sov_journal_parse_time(argv[i + 1], t)) {
				fprintf(stderr, "sovctl journal export: bad time %s (want RFC 3339 or YYYY-MM-DD)\n",
					argv[i + 1]);
				free(ck);
				return SOVCTL_USAGE;
			}
			i++;
		} else {
			fprintf(stderr, "sovctl journal export: unexpected argument %s\n", argv[i]);
			usage(stderr);
			free(ck);
			return SOVCTL_USAGE;
		}
	}
	if (!o.dir || !o.out) {
		usage(stderr);
		free(ck);
		return SOVCTL_USAGE;
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

static int do_show(int argc, char **argv)
{
	const char *path = NULL, *fmt = "text";
	char err[1024];
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			fmt = argv[++i];
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			fprintf(stderr, "sovctl journal show: unexpected argument %s\n", argv[i]);
			usage(stderr);
			return SOVCTL_USAGE;
		}
	}
	if (!path || (strcmp(fmt, "text") && strcmp(fmt, "json"))) {
		usage(stderr);
		return SOVCTL_USAGE;
	}
	ret = sov_journal_read(path, !strcmp(fmt, "json") ? show_json : show_text, NULL, err,
			       sizeof(err));
	if (ret) {
		fprintf(stderr, "sovctl journal show: %s\n", err);
		return ret == -EBADMSG ? SOVCTL_BAD : SOVCTL_USAGE;
	}
	return SOVCTL_OK;
}

int cmd_journal(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SOVCTL_USAGE;
	}
	if (!strcmp(argv[1], "verify"))
		return do_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export"))
		return do_export(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return do_show(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return SOVCTL_OK;
	}
	fprintf(stderr, "sovctl journal: unknown command %s\n", argv[1]);
	usage(stderr);
	return SOVCTL_USAGE;
}
