// SPDX-License-Identifier: Apache-2.0
/*
 * sovctl lineage FILE | --class C, and sovctl lineage export --openlineage:
 * the journal's answers to "where did this file come from?" and "where did
 * this class go?" (docs/lineage.md). Only records that verified are used:
 * the journal (or export) is read through sovctl_journal_read_verified(),
 * as `journal show` reads it.
 *
 * Calls: cmd_journal.c (verified reading), lineage_ol.c (OpenLineage),
 * libsovjournal (times), json-c. Called by main.c's command table.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#include <json-c/json.h>
#include "agent/journal/journal.h"
#include "tools/sovctl/lineage.h"
#include "tools/sovctl/sovctl.h"

#define MAX_DEPTH	32	/* generations followed back */

static int lineage_run(int argc, char **argv);
static int export_run(int argc, char **argv);

enum { OPT_JOURNAL = SOVCTL_LONG_ONLY, OPT_EXPORT, OPT_PUBKEY, OPT_INSECURE, OPT_CHECKPOINT,
       OPT_WITNESS, OPT_WITNESSES, OPT_CLASS, OPT_SINCE, OPT_UNTIL, OPT_OPENLINEAGE, OPT_URL,
       OPT_OUT, OPT_FACET_URL };

#define JOURNAL_OPTS \
	{ "journal", OPT_JOURNAL, "DIR", "the journal directory (default " SOVD_DEFAULT_JOURNAL ")", 0 }, \
	{ "export", OPT_EXPORT, "FILE", "an export file (journal export) instead", 0 }, \
	{ "pubkey", OPT_PUBKEY, "FILE", "the public key you hold: the journal is verified\n" \
	  "and only records that verified are used", 0 }, \
	{ "insecure-no-key", OPT_INSECURE, NULL, "verify with the key stored in the journal (warns)", 0 }, \
	{ "checkpoint", OPT_CHECKPOINT, "FILE", "a checkpoint kept off the host, to be consistent\n" \
	  "with the journal (as journal verify)", SOVCTL_OPT_REPEAT }, \
	{ "witness", OPT_WITNESS, "KEY.pub", "a witness's public key: its cosignatures on the\n" \
	  "--checkpoint files are checked", SOVCTL_OPT_REPEAT }, \
	{ "witnesses", OPT_WITNESSES, "N", "each --checkpoint needs valid cosignatures by N\n" \
	  "of the --witness keys (default: all of them)", 0 }

static const struct sovctl_opt lineage_opts[] = {
	JOURNAL_OPTS,
	{ "class", OPT_CLASS, "C", "where data of class C went, instead of a FILE's\n"
	  "ancestry", 0 },
	{ "since", OPT_SINCE, "TIME", "only records at or after TIME", 0 },
	{ "until", OPT_UNTIL, "TIME", "only records before TIME", 0 },
	{ "output", 'o', "text|json|dot", "a report to read (default), one JSON object, or a\n"
	  "Graphviz digraph", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_lineage_cmd = {
	.name = "lineage",
	.operands = "[FILE]",
	.about = "Where a file came from (its ancestry: the labelled files it derives from,\n"
		 "through which processes, when), or with --class where data of a class went\n"
		 "(processes, derived files, egress destinations and verdicts), from the journal.",
	.notes = "The journal is verified first (as `journal show`); only records a checkpoint\n"
		 "signs are used. FILE is matched by device and inode (a record older than the\n"
		 "file's birth, or of another inode generation, is of an earlier file under the\n"
		 "number). TIME is RFC 3339 or YYYY-MM-DD. Exits 0 when an answer was found, 1\n"
		 "when the file has no derive record (or the class no record), or the journal\n"
		 "did not verify, 2 on usage or environment errors. `sovctl lineage export`\n"
		 "writes OpenLineage events.\n",
	.opts = lineage_opts,
	.flags = SOVCTL_CMD_IN_ORDER,
	.run = lineage_run,
};

static const struct sovctl_opt export_opts[] = {
	JOURNAL_OPTS,
	{ "openlineage", OPT_OPENLINEAGE, NULL, "OpenLineage RunEvents, one JSON object per line\n"
	  "(the only format; required)", SOVCTL_OPT_REQUIRED },
	{ "class", OPT_CLASS, "C", "only processes whose records carry class C", 0 },
	{ "since", OPT_SINCE, "TIME", "only records at or after TIME", 0 },
	{ "until", OPT_UNTIL, "TIME", "only records before TIME", 0 },
	{ "out", OPT_OUT, "FILE", "write the events to FILE (default: stdout)", 0 },
	{ "url", OPT_URL, "URL", "POST each event to this OpenLineage endpoint\n"
	  "(e.g. http://marquez:5000/api/v1/lineage)", 0 },
	{ "facet-url", OPT_FACET_URL, "URL", "where the sovd facet's schema is served (default\n"
	  "the installed file:///usr/local/share/sovd/...)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_lineage_export_cmd = {
	.name = "lineage export",
	.about = "Write the journal's lineage as OpenLineage RunEvents (jobs: processes;\n"
		 "datasets: files and network destinations; facet sovd: classes, verdicts,\n"
		 "zones, journal seq and checkpoint), or POST them to an OpenLineage endpoint.",
	.notes = "The journal is verified first; only records a checkpoint signs are used.\n"
		 "Each process (host, boot, pid, executable) is one run: a START event at its\n"
		 "first record and a COMPLETE event at its last, with a runId derived from\n"
		 "those, so a re-export gives the same ids. Exits 0 when written (or every\n"
		 "POST got a 2xx answer), 1 when the journal did not verify or a POST failed,\n"
		 "2 on usage or environment errors.\n",
	.opts = export_opts,
	.run = export_run,
};

/* ---- loading ---- */

static char *dup_of(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return strdup(json_object_get_string(v));
}

static uint64_t u64_of(struct json_object *o, const char *k, int *has)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int)) {
		if (has)
			*has = 0;
		return 0;
	}
	if (has)
		*has = 1;
	return (uint64_t)json_object_get_uint64(v);
}

static char **strs_of(struct json_object *o, const char *k, int *n)
{
	struct json_object *v;
	char **out;
	size_t len;

	*n = 0;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	len = json_object_array_length(v);
	out = calloc(len + 1, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
		out[(*n)++] = strdup(json_object_get_string(json_object_array_get_idx(v, i)));
	return out;
}

struct load_ctx {
	struct lineage *l;
	int oom;
};

/* The detail of a derive (sources, cmdline hash, gen) or of an aggregate. */
static void detail_of(struct lrec *r, struct json_object *o)
{
	struct json_object *d, *s;
	const char *text;

	if (!json_object_object_get_ex(o, "detail", &d) || !json_object_is_type(d, json_type_string))
		return;
	text = json_object_get_string(d);
	d = text[0] == '{' ? json_tokener_parse(text) : NULL;
	if (!d)
		return;
	if (r->type == LREC_DERIVE) {
		if (json_object_object_get_ex(d, "sources", &s) &&
		    json_object_is_type(s, json_type_array)) {
			size_t n = json_object_array_length(s);

			r->has_sources = 1;
			r->src = calloc(n + 1, sizeof(*r->src));
			for (size_t i = 0; r->src && i < n; i++) {
				struct json_object *e = json_object_array_get_idx(s, i);
				char *p = dup_of(e, "path");

				r->src[r->nsrc].path = p ? p : strdup("");
				r->src[r->nsrc].dev = u64_of(e, "dev", NULL);
				r->src[r->nsrc].ino = u64_of(e, "ino", NULL);
				r->nsrc++;
			}
		}
		r->dropped = u64_of(d, "sources_dropped", NULL);
		r->cmdline_sha256 = dup_of(d, "cmdline_sha256");
		r->gen = (uint32_t)u64_of(d, "gen", &r->has_gen);
	} else if (r->type == LREC_EGRESS) {
		int has;
		uint64_t c = u64_of(d, "count", &has);

		if (has) {
			r->agg = 1;
			r->flows = c;
		}
	}
	json_object_put(d);
}

static int load_one(const struct sov_journal_entry *e, void *ctx)
{
	struct load_ctx *x = ctx;
	struct lineage *l = x->l;
	struct json_tokener *tok;
	struct json_object *o;
	const char *type;
	struct lrec *r;
	int64_t t;
	int t_ok;

	l->records++;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, (const char *)e->data, e->len);
	json_tokener_free(tok);
	if (!o)
		return 0;	/* verified, so canonical: never happens */
	type = json_object_get_string(json_object_object_get(o, "type"));
	if (!type || (strcmp(type, "taint") && strcmp(type, "derive") && strcmp(type, "egress")))
		goto skip;
	{
		char *ts = dup_of(o, "time");

		t_ok = ts && !sov_journal_parse_time(ts, &t);
		free(ts);
	}
	if (!t_ok || t < l->since || t >= l->until)
		goto skip;
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 256;
		struct lrec *nr = realloc(l->r, nc * sizeof(*nr));

		if (!nr) {
			json_object_put(o);
			x->oom = 1;
			return -ENOMEM;
		}
		l->r = nr;
		l->cap = nc;
	}
	r = &l->r[l->n++];
	memset(r, 0, sizeof(*r));
	r->type = !strcmp(type, "taint") ? LREC_TAINT : !strcmp(type, "derive") ? LREC_DERIVE :
		  LREC_EGRESS;
	r->seq = e->index;
	r->t_ns = t;
	r->time = dup_of(o, "time");
	r->host = dup_of(o, "host");
	r->boot = dup_of(o, "boot");
	r->pid = (int64_t)u64_of(o, "pid", NULL);
	r->comm = dup_of(o, "comm");
	r->exe = dup_of(o, "exe");
	r->classes = strs_of(o, "classes", &r->nclasses);
	r->path = dup_of(o, "path");
	r->dev = u64_of(o, "dev", NULL);
	r->ino = u64_of(o, "ino", NULL);
	r->dst = dup_of(o, "dst");
	r->proto = dup_of(o, "proto");
	r->zone = dup_of(o, "zone");
	r->verdict = dup_of(o, "verdict");
	r->hook = dup_of(o, "hook");
	r->dport = u64_of(o, "dport", NULL);
	r->violated = strs_of(o, "violated", &r->nviolated);
	r->flows = 1;
	detail_of(r, o);
skip:
	json_object_put(o);
	return 0;
}

int lineage_load(struct lineage *l, const struct sovctl_cmd *cmd, const char *path,
		 const struct sovctl_jread *o)
{
	struct load_ctx x = { .l = l };
	struct sov_verify_report r;
	int ret;

	ret = sovctl_journal_read_verified(cmd, path, o, load_one, &x, &r);
	if (ret)
		return ret;
	if (x.oom) {
		fprintf(stderr, "sovctl %s: out of memory\n", cmd->name);
		return SOVCTL_USAGE;
	}
	snprintf(l->origin, sizeof(l->origin), "%s", r.origin);
	l->tree_size = r.checkpointed;	/* of an export: the checkpoint it is proven against */
	l->is_export = r.is_export;
	return SOVCTL_OK;
}

static void free_strs(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void lineage_free(struct lineage *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct lrec *r = &l->r[i];

		free(r->time);
		free(r->host);
		free(r->boot);
		free(r->comm);
		free(r->exe);
		free_strs(r->classes, r->nclasses);
		free(r->path);
		for (int j = 0; j < r->nsrc; j++)
			free(r->src[j].path);
		free(r->src);
		free(r->cmdline_sha256);
		free(r->dst);
		free(r->proto);
		free(r->zone);
		free(r->verdict);
		free(r->hook);
		free_strs(r->violated, r->nviolated);
	}
	free(l->r);
	memset(l, 0, sizeof(*l));
}

int lrec_has_class(const struct lrec *r, const char *c)
{
	for (int i = 0; i < r->nclasses; i++)
		if (!strcmp(r->classes[i], c))
			return 1;
	return 0;
}

static int str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

int lrec_same_proc(const struct lrec *a, const struct lrec *b)
{
	return a->pid == b->pid && str_eq(a->boot, b->boot) && str_eq(a->host, b->host) &&
	       str_eq(a->exe, b->exe);
}

const char *lineage_host(const struct lineage *l, char *buf, size_t len)
{
	const char *slash = strchr(l->origin, '/');

	if (!strncmp(l->origin, "sovd.", 5) && slash && slash > l->origin + 5) {
		snprintf(buf, len, "%.*s", (int)(slash - l->origin - 5), l->origin + 5);
		return buf;
	}
	snprintf(buf, len, "%s", l->n && l->r[0].host ? l->r[0].host : "localhost");
	return buf;
}

/* ---- output helpers ---- */

enum { OUT_TEXT, OUT_JSON, OUT_DOT };

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static struct json_object *jstrs(char **v, int n)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(a, jstr(v[i]));
	return a;
}

static void print_classes(char **v, int n)
{
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? "," : "", v[i]);
	if (!n)
		printf("-");
}

/* A DOT string: quotes and backslashes escaped, a newline as DOT's \n (a
 * line break in a label), other control bytes dropped. */
static void dot_str(FILE *o, const char *s)
{
	fputc('"', o);
	for (; s && *s; s++) {
		if (*s == '\n') {
			fputs("\\n", o);
			continue;
		}
		if (*s == '"' || *s == '\\')
			fputc('\\', o);
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			fputc(*s, o);
	}
	fputc('"', o);
}

/* Edges and nodes printed once (a small set of strings). */
struct seen {
	char **v;
	size_t n, cap;
};

static int seen_add(struct seen *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], key))
			return 0;
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 64;
		char **nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return 0;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n] = strdup(key);
	if (!s->v[s->n])
		return 0;
	s->n++;
	return 1;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static void dot_file(struct seen *s, uint64_t dev, uint64_t ino, const char *path, int derived)
{
	char key[64];

	snprintf(key, sizeof(key), "f:%llu:%llu", (unsigned long long)dev, (unsigned long long)ino);
	if (!dev && !ino) {
		/* a channel (/proc/PID/mem): named by its path */
		printf("  ");
		dot_str(stdout, path);
		printf(" [shape=cds];\n");
		return;
	}
	if (!seen_add(s, key))
		return;
	printf("  \"%s\" [shape=box%s,label=", key, derived ? "" : ",style=bold");
	dot_str(stdout, path && path[0] ? path : key);
	printf("];\n");
}

static void dot_proc_key(const struct lrec *r, char *key, size_t len)
{
	snprintf(key, len, "p:%s:%lld:%s", r->boot ? r->boot : "", (long long)r->pid,
		 r->exe ? r->exe : "");
}

static void dot_proc(struct seen *s, const struct lrec *r)
{
	char key[PATH_MAX + 128], label[PATH_MAX + 64];

	dot_proc_key(r, key, sizeof(key));
	if (!seen_add(s, key))
		return;
	snprintf(label, sizeof(label), "pid %lld\n%s", (long long)r->pid,
		 r->exe ? r->exe : r->comm ? r->comm : "?");
	printf("  ");
	dot_str(stdout, key);
	printf(" [shape=ellipse,label=");
	dot_str(stdout, label);
	printf("];\n");
}

static void dot_edge(struct seen *s, const char *from, const char *to, const char *label,
		     const char *attrs)
{
	char key[2 * PATH_MAX + 512];

	snprintf(key, sizeof(key), "%s>%s>%s", from, to, label);
	if (!seen_add(s, key))
		return;
	printf("  ");
	dot_str(stdout, from);
	printf(" -> ");
	dot_str(stdout, to);
	printf(" [label=");
	dot_str(stdout, label);
	printf("%s%s];\n", attrs ? "," : "", attrs ? attrs : "");
}

static void file_key(uint64_t dev, uint64_t ino, const char *path, char *key, size_t len)
{
	if (!dev && !ino)
		snprintf(key, len, "%s", path ? path : "");
	else
		snprintf(key, len, "f:%llu:%llu", (unsigned long long)dev, (unsigned long long)ino);
}

/* ---- lineage FILE ---- */

struct anc {
	const struct lineage *l;
	int out;
	struct seen dot, visiting;
	uint64_t derivations;
	int64_t birth_ns;		/* the file's birth time, INT64_MIN unknown */
	int has_gen;
	uint32_t gen;
};

/* The sources of a derive: recorded, or for a record from before issue 17
 * the files whose taint records the process had before it. */
static int sources_of(const struct lineage *l, const struct lrec *d, struct lsource **out,
		      int *own)
{
	struct lsource *v;
	int n = 0;

	if (d->has_sources) {
		*out = d->src;
		*own = 0;
		return d->nsrc;
	}
	*own = 1;
	v = calloc(l->n + 1, sizeof(*v));
	if (!v) {
		*out = NULL;
		return 0;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct lrec *t = &l->r[i];
		int dup = 0;

		if (t->type != LREC_TAINT || t->seq > d->seq || !lrec_same_proc(t, d))
			continue;
		for (int j = 0; j < n; j++)
			dup |= v[j].dev == t->dev && v[j].ino == t->ino && str_eq(v[j].path, t->path);
		if (dup)
			continue;
		v[n].path = t->path;
		v[n].dev = t->dev;
		v[n].ino = t->ino;
		n++;
	}
	*out = v;
	return n;
}

static int derive_matches(const struct anc *a, const struct lrec *r, uint64_t dev, uint64_t ino,
			  uint64_t before_seq, int root)
{
	if (r->type != LREC_DERIVE || r->dev != dev || r->ino != ino || r->seq >= before_seq)
		return 0;
	if (!dev && !ino)
		return 0;
	/* the inode number reused: a record of an earlier file */
	if (root && a->birth_ns != INT64_MIN && r->t_ns + 1000000000ll < a->birth_ns)
		return 0;
	if (root && a->has_gen && r->has_gen && r->gen != a->gen)
		return 0;
	return 1;
}

static struct json_object *ancestry(struct anc *a, uint64_t dev, uint64_t ino, const char *path,
				    uint64_t before_seq, int depth, int root);

static struct json_object *source_node(struct anc *a, const struct lsource *s, uint64_t seq,
				       int depth)
{
	struct json_object *o = json_object_new_object(), *up;

	json_object_object_add(o, "path", jstr(s->path));
	json_object_object_add(o, "dev", json_object_new_uint64(s->dev));
	json_object_object_add(o, "ino", json_object_new_uint64(s->ino));
	if (a->out == OUT_TEXT) {
		printf("%*sfrom %s (dev %llu ino %llu)", 2 * depth, "",
		       s->path && s->path[0] ? s->path : "?", (unsigned long long)s->dev,
		       (unsigned long long)s->ino);
	}
	up = ancestry(a, s->dev, s->ino, s->path, seq, depth + 1, 0);
	if (a->out == OUT_TEXT && !json_object_array_length(up))
		printf(": %s\n", !s->dev && !s->ino ? "a channel" :
		       "no derive record before: labelled by the policy (an origin)");
	json_object_object_add(o, "origin", json_object_new_boolean(!json_object_array_length(up)));
	json_object_object_add(o, "derived", up);
	return o;
}

/* The derivations of file (dev, ino) recorded before before_seq, each with
 * its sources' derivations, as a JSON array (also printed as text or dot). */
static struct json_object *ancestry(struct anc *a, uint64_t dev, uint64_t ino, const char *path,
				    uint64_t before_seq, int depth, int root)
{
	const struct lineage *l = a->l;
	struct json_object *arr = json_object_new_array();
	char vkey[64], fkey[PATH_MAX + 64], pkey[PATH_MAX + 128], label[256];
	int first = 1;

	snprintf(vkey, sizeof(vkey), "%llu:%llu", (unsigned long long)dev, (unsigned long long)ino);
	if (depth > MAX_DEPTH) {
		if (a->out == OUT_TEXT)
			printf("%*s(deeper than %d generations: not followed)\n", 2 * depth, "", MAX_DEPTH);
		return arr;
	}
	for (size_t i = l->n; i-- > 0;) {
		const struct lrec *d = &l->r[i];
		struct json_object *o, *srcs;
		struct lsource *sv;
		int own, ns;

		if (!derive_matches(a, d, dev, ino, before_seq, root))
			continue;
		if (a->out == OUT_TEXT && first && depth)
			putchar('\n');
		first = 0;
		a->derivations++;
		o = json_object_new_object();
		json_object_object_add(o, "seq", json_object_new_uint64(d->seq));
		json_object_object_add(o, "time", jstr(d->time));
		json_object_object_add(o, "path", jstr(d->path));
		json_object_object_add(o, "pid", json_object_new_int64(d->pid));
		json_object_object_add(o, "comm", jstr(d->comm));
		json_object_object_add(o, "exe", jstr(d->exe));
		json_object_object_add(o, "cmdline_sha256", jstr(d->cmdline_sha256));
		json_object_object_add(o, "classes", jstrs(d->classes, d->nclasses));
		if (root && path && d->path && d->path[0] && strcmp(path, d->path))
			json_object_object_add(o, "path_differs", json_object_new_boolean(1));
		if (a->out == OUT_TEXT) {
			printf("%*sderived %s by pid %lld %s", 2 * depth + (depth ? 2 : 0), "",
			       d->time, (long long)d->pid, d->exe ? d->exe : d->comm ? d->comm : "?");
			if (d->cmdline_sha256 && d->cmdline_sha256[0])
				printf(" (cmdline sha256 %.16s...)", d->cmdline_sha256);
			printf(" classes ");
			print_classes(d->classes, d->nclasses);
			printf(" [seq %llu]", (unsigned long long)d->seq);
			if (root && path && d->path && d->path[0] && strcmp(path, d->path))
				printf(" as %s", d->path);
			if (d->has_sources && !d->nsrc)
				printf(": no source known to sovd");
			else if (!d->has_sources)
				printf(" (record without sources: the process's taint records)");
			putchar('\n');
		}
		if (a->out == OUT_DOT) {
			file_key(dev, ino, path, fkey, sizeof(fkey));
			dot_file(&a->dot, dev, ino, path && path[0] ? path : d->path, 1);
			dot_proc(&a->dot, d);
			dot_proc_key(d, pkey, sizeof(pkey));
			snprintf(label, sizeof(label), "wrote %s", d->time);
			dot_edge(&a->dot, pkey, fkey, label, NULL);
		}
		ns = sources_of(l, d, &sv, &own);
		srcs = json_object_new_array();
		/* a cycle (a file derived from itself, through a copy of it)
		 * is followed once */
		if (seen_add(&a->visiting, vkey) || depth == 0) {
			for (int k = 0; k < ns; k++) {
				json_object_array_add(srcs, source_node(a, &sv[k], d->seq, depth + 2));
				if (a->out == OUT_DOT) {
					file_key(sv[k].dev, sv[k].ino, sv[k].path, fkey, sizeof(fkey));
					dot_file(&a->dot, sv[k].dev, sv[k].ino, sv[k].path,
						 0);
					dot_edge(&a->dot, fkey, pkey, "read", NULL);
				}
			}
		}
		if (d->dropped)
			json_object_object_add(o, "sources_dropped", json_object_new_uint64(d->dropped));
		if (own)
			free(sv);
		json_object_object_add(o, "sources", srcs);
		json_object_array_add(arr, o);
	}
	return arr;
}

static int ancestry_run(const struct lineage *l, const char *file, int out)
{
	struct anc a = { .l = l, .out = out, .birth_ns = INT64_MIN };
	struct json_object *root, *arr, *j;
	char real[PATH_MAX];
	struct statx sx;
	uint64_t dev, ino;
	int fd;

	if (statx(AT_FDCWD, file, 0, STATX_BASIC_STATS | STATX_BTIME, &sx)) {
		fprintf(stderr, "sovctl lineage: %s: %s\n", file, strerror(errno));
		return SOVCTL_USAGE;
	}
	/* the kernel's numbering, as records have it (MAJOR << 20 | MINOR) */
	dev = ((uint64_t)sx.stx_dev_major << 20) | sx.stx_dev_minor;
	ino = sx.stx_ino;
	if (sx.stx_mask & STATX_BTIME)
		a.birth_ns = (int64_t)sx.stx_btime.tv_sec * 1000000000ll + sx.stx_btime.tv_nsec;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		int g;

		if (!ioctl(fd, FS_IOC_GETVERSION, &g)) {
			a.has_gen = 1;
			a.gen = (uint32_t)g;
		}
		close(fd);
	}
	if (!realpath(file, real))
		snprintf(real, sizeof(real), "%s", file);
	if (out == OUT_TEXT)
		printf("%s (dev %llu ino %llu)\n", real, (unsigned long long)dev,
		       (unsigned long long)ino);
	if (out == OUT_DOT) {
		printf("digraph lineage {\n  rankdir=LR;\n");
		dot_file(&a.dot, dev, ino, real, 1);
	}
	arr = ancestry(&a, dev, ino, real, UINT64_MAX, 0, 1);
	if (out == OUT_DOT)
		printf("}\n");
	root = json_object_new_object();
	j = json_object_new_object();
	json_object_object_add(j, "path", jstr(real));
	json_object_object_add(j, "dev", json_object_new_uint64(dev));
	json_object_object_add(j, "ino", json_object_new_uint64(ino));
	json_object_object_add(root, "file", j);
	json_object_object_add(root, "derived", arr);
	j = json_object_new_object();
	json_object_object_add(j, "origin", jstr(l->origin));
	json_object_object_add(j, "tree_size", json_object_new_uint64(l->tree_size));
	json_object_object_add(j, "export", json_object_new_boolean(l->is_export));
	json_object_object_add(root, "checkpoint", j);
	if (out == OUT_JSON)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!a.derivations)
		fprintf(stderr, "sovctl lineage: %s has no derive record in the verified journal (not a derivative sovd saw)\n",
			real);
	else if (out == OUT_TEXT)
		printf("(records verified by the checkpoint of %s at tree size %llu)\n", l->origin,
		       (unsigned long long)l->tree_size);
	json_object_put(root);
	seen_free(&a.dot);
	seen_free(&a.visiting);
	return a.derivations ? SOVCTL_OK : SOVCTL_BAD;
}

/* ---- lineage --class C ---- */

/* The text view's process: its executable, else its command name. */
static const char *who(struct json_object *p)
{
	const char *exe = json_object_get_string(json_object_object_get(p, "exe"));

	return exe && exe[0] ? exe : json_object_get_string(json_object_object_get(p, "comm"));
}

/* The text view's file: its path, else "(dev D ino I)" (a path sovd could
 * not name). */
static const char *where(struct json_object *p, const char *key)
{
	static char buf[96];
	const char *path = json_object_get_string(json_object_object_get(p, key));

	if (path && path[0])
		return path;
	snprintf(buf, sizeof(buf), "(dev %llu ino %llu)",
		 (unsigned long long)json_object_get_uint64(json_object_object_get(p, "dev")),
		 (unsigned long long)json_object_get_uint64(json_object_object_get(p, "ino")));
	return buf;
}

struct flowsum {
	const struct lrec *r;		/* the first record of the group */
	uint64_t flows, records;
	const struct lrec *last;
};

static int same_dest(const struct lrec *a, const struct lrec *b)
{
	return lrec_same_proc(a, b) && str_eq(a->dst, b->dst) && a->dport == b->dport &&
	       str_eq(a->proto, b->proto) && str_eq(a->zone, b->zone) &&
	       str_eq(a->verdict, b->verdict) && str_eq(a->hook, b->hook);
}

static int class_run(const struct lineage *l, const char *class, int out)
{
	struct json_object *root = json_object_new_object(), *procs = json_object_new_array(),
			   *files = json_object_new_array(), *egress = json_object_new_array(), *o;
	struct flowsum *g = calloc(l->n + 1, sizeof(*g));
	const struct lrec **firsts = calloc(l->n + 1, sizeof(*firsts));
	struct seen dot = { 0 };
	char pkey[PATH_MAX + 128], fkey[PATH_MAX + 64], dkey[256], label[256];
	size_t ng = 0, np = 0, found = 0;

	if (!g || !firsts) {
		free(g);
		free(firsts);
		json_object_put(root);
		fprintf(stderr, "sovctl lineage: out of memory\n");
		return SOVCTL_USAGE;
	}
	if (out == OUT_DOT) {
		printf("digraph lineage {\n  rankdir=LR;\n  ");
		snprintf(dkey, sizeof(dkey), "class %s", class);
		dot_str(stdout, dkey);
		printf(" [shape=diamond];\n");
	}
	/* tainted processes: each process's first record with the class */
	for (size_t i = 0; i < l->n; i++) {
		const struct lrec *r = &l->r[i];
		size_t k;

		if (!lrec_has_class(r, class))
			continue;
		found++;
		for (k = 0; k < np && !lrec_same_proc(firsts[k], r); k++)
			;
		if (k == np)
			firsts[np++] = r;
		if (r->type == LREC_TAINT) {
			o = json_object_new_object();
			json_object_object_add(o, "seq", json_object_new_uint64(r->seq));
			json_object_object_add(o, "time", jstr(r->time));
			json_object_object_add(o, "pid", json_object_new_int64(r->pid));
			json_object_object_add(o, "comm", jstr(r->comm));
			json_object_object_add(o, "exe", jstr(r->exe));
			json_object_object_add(o, "read", jstr(r->path));
			json_object_object_add(o, "dev", json_object_new_uint64(r->dev));
			json_object_object_add(o, "ino", json_object_new_uint64(r->ino));
			json_object_object_add(o, "classes", jstrs(r->classes, r->nclasses));
			json_object_array_add(procs, o);
			if (out == OUT_DOT) {
				dot_proc(&dot, r);
				dot_proc_key(r, pkey, sizeof(pkey));
				file_key(r->dev, r->ino, r->path, fkey, sizeof(fkey));
				dot_file(&dot, r->dev, r->ino, r->path, 0);
				snprintf(dkey, sizeof(dkey), "class %s", class);
				dot_edge(&dot, dkey, fkey, "labels", "style=dashed");
				dot_edge(&dot, fkey, pkey, "read", NULL);
			}
		} else if (r->type == LREC_DERIVE) {
			o = json_object_new_object();
			json_object_object_add(o, "seq", json_object_new_uint64(r->seq));
			json_object_object_add(o, "time", jstr(r->time));
			json_object_object_add(o, "path", jstr(r->path));
			json_object_object_add(o, "dev", json_object_new_uint64(r->dev));
			json_object_object_add(o, "ino", json_object_new_uint64(r->ino));
			json_object_object_add(o, "pid", json_object_new_int64(r->pid));
			json_object_object_add(o, "comm", jstr(r->comm));
			json_object_object_add(o, "exe", jstr(r->exe));
			json_object_object_add(o, "cmdline_sha256", jstr(r->cmdline_sha256));
			json_object_object_add(o, "classes", jstrs(r->classes, r->nclasses));
			json_object_array_add(files, o);
			if (out == OUT_DOT) {
				dot_proc(&dot, r);
				dot_proc_key(r, pkey, sizeof(pkey));
				file_key(r->dev, r->ino, r->path, fkey, sizeof(fkey));
				dot_file(&dot, r->dev, r->ino, r->path, 1);
				dot_edge(&dot, pkey, fkey, "wrote", NULL);
			}
		} else {
			for (k = 0; k < ng && !same_dest(g[k].r, r); k++)
				;
			if (k == ng)
				g[ng++].r = r;
			g[k].flows += r->flows;
			g[k].records++;
			g[k].last = r;
		}
	}
	for (size_t k = 0; k < ng; k++) {
		const struct lrec *r = g[k].r;

		o = json_object_new_object();
		json_object_object_add(o, "verdict", jstr(r->verdict));
		json_object_object_add(o, "proto", jstr(r->proto));
		json_object_object_add(o, "dst", jstr(r->dst));
		json_object_object_add(o, "dport", json_object_new_uint64(r->dport));
		json_object_object_add(o, "zone", jstr(r->zone));
		json_object_object_add(o, "hook", jstr(r->hook));
		json_object_object_add(o, "violated", jstrs(r->violated, r->nviolated));
		json_object_object_add(o, "pid", json_object_new_int64(r->pid));
		json_object_object_add(o, "exe", jstr(r->exe));
		json_object_object_add(o, "flows", json_object_new_uint64(g[k].flows));
		json_object_object_add(o, "records", json_object_new_uint64(g[k].records));
		json_object_object_add(o, "first", jstr(r->time));
		json_object_object_add(o, "last", jstr(g[k].last->time));
		json_object_object_add(o, "first_seq", json_object_new_uint64(r->seq));
		json_object_object_add(o, "last_seq", json_object_new_uint64(g[k].last->seq));
		json_object_array_add(egress, o);
		if (out == OUT_DOT) {
			dot_proc(&dot, r);
			dot_proc_key(r, pkey, sizeof(pkey));
			if (r->dst && r->dst[0])
				snprintf(dkey, sizeof(dkey), "%s %s:%llu\nzone %s", r->proto, r->dst,
					 (unsigned long long)r->dport, r->zone ? r->zone : "?");
			else
				snprintf(dkey, sizeof(dkey), "%s zone %s", r->proto ? r->proto : "?",
					 r->zone ? r->zone : "?");
			if (seen_add(&dot, dkey)) {
				printf("  ");
				dot_str(stdout, dkey);
				printf(" [shape=hexagon];\n");
			}
			snprintf(label, sizeof(label), "%s x%llu", r->verdict ? r->verdict : "?",
				 (unsigned long long)g[k].flows);
			dot_edge(&dot, pkey, dkey, label,
				 str_eq(r->verdict, "deny") ? "color=red" : NULL);
		}
	}
	if (out == OUT_TEXT) {
		printf("class %s: %zu process(es), %zu tainting read(s), %zu derived file(s), %zu egress destination(s)\n",
		       class, np, json_object_array_length(procs), json_object_array_length(files), ng);
		printf("tainted processes:\n");
		for (size_t k = 0; k < json_object_array_length(procs); k++) {
			struct json_object *p = json_object_array_get_idx(procs, k);

			printf("  %s pid %lld %s read %s [seq %llu]\n",
			       json_object_get_string(json_object_object_get(p, "time")),
			       (long long)json_object_get_int64(json_object_object_get(p, "pid")),
			       who(p), where(p, "read"),
			       (unsigned long long)json_object_get_uint64(json_object_object_get(p, "seq")));
		}
		printf("derived files:\n");
		for (size_t k = 0; k < json_object_array_length(files); k++) {
			struct json_object *p = json_object_array_get_idx(files, k);

			printf("  %s %s by pid %lld %s [seq %llu]\n",
			       json_object_get_string(json_object_object_get(p, "time")),
			       where(p, "path"),
			       (long long)json_object_get_int64(json_object_object_get(p, "pid")),
			       who(p),
			       (unsigned long long)json_object_get_uint64(json_object_object_get(p, "seq")));
		}
		printf("egress:\n");
		for (size_t k = 0; k < ng; k++) {
			const struct lrec *r = g[k].r;

			if (r->dst && r->dst[0])
				snprintf(dkey, sizeof(dkey), r->dport ? "%s:%llu" : "%s", r->dst,
					 (unsigned long long)r->dport);
			else
				snprintf(dkey, sizeof(dkey), r->agg ? "(aggregated)" : "(channel)");
			printf("  %-5s %s %s zone %s by pid %lld %s: %llu flow(s) in %llu record(s), %s .. %s [seq %llu..%llu]\n",
			       r->verdict ? r->verdict : "?", r->proto ? r->proto : "?", dkey,
			       r->zone ? r->zone : "?", (long long)r->pid, r->exe ? r->exe : "?",
			       (unsigned long long)g[k].flows, (unsigned long long)g[k].records,
			       r->time, g[k].last->time, (unsigned long long)r->seq,
			       (unsigned long long)g[k].last->seq);
		}
		printf("(records verified by the checkpoint of %s at tree size %llu)\n", l->origin,
		       (unsigned long long)l->tree_size);
	}
	if (out == OUT_DOT)
		printf("}\n");
	json_object_object_add(root, "class", jstr(class));
	json_object_object_add(root, "tainted", procs);
	json_object_object_add(root, "derived", files);
	json_object_object_add(root, "egress", egress);
	o = json_object_new_object();
	json_object_object_add(o, "origin", jstr(l->origin));
	json_object_object_add(o, "tree_size", json_object_new_uint64(l->tree_size));
	json_object_object_add(o, "export", json_object_new_boolean(l->is_export));
	json_object_object_add(root, "checkpoint", o);
	if (out == OUT_JSON)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	if (!found)
		fprintf(stderr, "sovctl lineage: no verified record carries class %s\n", class);
	json_object_put(root);
	seen_free(&dot);
	free(g);
	free(firsts);
	return found ? SOVCTL_OK : SOVCTL_BAD;
}

/* ---- the commands ---- */

struct common {
	struct sovctl_jread jo;
	const char *journal, *export, *class;
	int64_t since, until;
};

/* The options both commands take; 1 when c was one, 0 when not, or the
 * usage error's status negated. */
static int common_opt(const struct sovctl_cmd *cmd, struct common *x, int c, char *arg)
{
	switch (c) {
	case OPT_JOURNAL:
		x->journal = arg;
		return 1;
	case OPT_EXPORT:
		x->export = arg;
		return 1;
	case OPT_PUBKEY:
		x->jo.pubkey = arg;
		return 1;
	case OPT_INSECURE:
		x->jo.insecure = 1;
		return 1;
	case OPT_CHECKPOINT:
		x->jo.ck[x->jo.nck++] = arg;
		return 1;
	case OPT_WITNESS:
		x->jo.wit[x->jo.nwit++] = arg;
		return 1;
	case OPT_WITNESSES:
		x->jo.need = sovctl_parse_witnesses(cmd, arg);
		return x->jo.need < 0 ? -SOVCTL_USAGE : 1;
	case OPT_CLASS:
		x->class = arg;
		return 1;
	case OPT_SINCE:
	case OPT_UNTIL:
		if (sov_journal_parse_time(arg, c == OPT_SINCE ? &x->since : &x->until))
			return -sovctl_usage_error(cmd, "bad time %s (want RFC 3339 or YYYY-MM-DD)", arg);
		return 1;
	}
	return 0;
}

static int common_init(struct common *x, int argc)
{
	memset(x, 0, sizeof(*x));
	x->since = INT64_MIN;
	x->until = INT64_MAX;
	x->jo.need = -1;
	x->jo.ck = calloc(argc + 1, sizeof(*x->jo.ck));
	x->jo.wit = calloc(argc + 1, sizeof(*x->jo.wit));
	return x->jo.ck && x->jo.wit ? 0 : -ENOMEM;
}

static void common_free(struct common *x)
{
	free(x->jo.ck);
	free(x->jo.wit);
}

/* The checks and the load both commands make. */
static int common_load(const struct sovctl_cmd *cmd, struct common *x, struct lineage *l)
{
	const char *path = x->export ? x->export : x->journal ? x->journal : SOVD_DEFAULT_JOURNAL;
	int ret;

	if (x->journal && x->export)
		return sovctl_usage_error(cmd, "--journal and --export are alternatives");
	ret = sovctl_check_witness_args(cmd, x->jo.nck, x->jo.nwit, &x->jo.need);
	if (ret)
		return ret;
	memset(l, 0, sizeof(*l));
	l->since = x->since;
	l->until = x->until;
	ret = lineage_load(l, cmd, path, &x->jo);
	if (!ret && x->export && !l->is_export) {
		fprintf(stderr, "sovctl %s: %s is not an export file (use --journal for a directory)\n",
			cmd->name, path);
		ret = SOVCTL_USAGE;
	}
	if (!ret && x->journal && l->is_export) {
		fprintf(stderr, "sovctl %s: %s is an export file (use --export)\n", cmd->name, path);
		ret = SOVCTL_USAGE;
	}
	return ret;
}

static int lineage_run(int argc, char **argv)
{
	const struct sovctl_cmd *cmd = &sovctl_lineage_cmd;
	const char *file = NULL, *fmt = "text";
	struct sovctl_getopt g;
	struct common x;
	struct lineage l = { 0 };
	int c, ret, out;

	if (common_init(&x, argc))
		return SOVCTL_USAGE;
	sovctl_getopt_init(&g, cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		if (c == 'o') {
			fmt = g.arg;
			continue;
		}
		if (c == SOVCTL_OPT_OPERAND) {
			if (file) {
				ret = sovctl_usage_error(cmd, "takes one FILE");
				goto out;
			}
			file = g.arg;
			continue;
		}
		ret = common_opt(cmd, &x, c, g.arg);
		if (ret < 0) {
			ret = -ret;
			goto out;
		}
		if (!ret) {
			ret = sovctl_getopt_exit(&g, c);
			goto out;
		}
	}
	for (; optind < argc; optind++) {
		if (file) {
			ret = sovctl_usage_error(cmd, "takes one FILE");
			goto out;
		}
		file = argv[optind];
	}
	out = !strcmp(fmt, "text") ? OUT_TEXT : !strcmp(fmt, "json") ? OUT_JSON :
	      !strcmp(fmt, "dot") ? OUT_DOT : -1;
	if (out < 0) {
		ret = sovctl_usage_error(cmd, "-o must be text, json or dot");
		goto out;
	}
	if (!!file == !!x.class) {
		ret = sovctl_usage_error(cmd, "give a FILE or --class C (one of them)");
		goto out;
	}
	if (file && access(file, F_OK)) {
		fprintf(stderr, "sovctl lineage: %s: %s\n", file, strerror(errno));
		ret = SOVCTL_USAGE;
		goto out;
	}
	ret = common_load(cmd, &x, &l);
	if (ret)
		goto out;
	ret = file ? ancestry_run(&l, file, out) : class_run(&l, x.class, out);
	if (fflush(stdout))
		ret = SOVCTL_USAGE;
out:
	lineage_free(&l);
	common_free(&x);
	return ret;
}

static int export_run(int argc, char **argv)
{
	const struct sovctl_cmd *cmd = &sovctl_lineage_export_cmd;
	const char *outpath = NULL, *url = NULL, *facet_url = NULL;
	struct sovctl_getopt g;
	struct common x;
	struct lineage l = { 0 };
	FILE *out = stdout;
	int c, ret;

	if (common_init(&x, argc))
		return SOVCTL_USAGE;
	sovctl_getopt_init(&g, cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		if (c == OPT_OPENLINEAGE)
			continue;
		if (c == OPT_OUT || c == OPT_URL || c == OPT_FACET_URL) {
			*(c == OPT_OUT ? &outpath : c == OPT_URL ? &url : &facet_url) = g.arg;
			continue;
		}
		ret = common_opt(cmd, &x, c, g.arg);
		if (ret < 0) {
			ret = -ret;
			goto out;
		}
		if (!ret) {
			ret = sovctl_getopt_exit(&g, c);
			goto out;
		}
	}
	if (optind < argc) {
		ret = sovctl_usage_error(cmd, "unexpected argument %s", argv[optind]);
		goto out;
	}
	if (url && outpath) {
		ret = sovctl_usage_error(cmd, "--url and --out are alternatives");
		goto out;
	}
	ret = common_load(cmd, &x, &l);
	if (ret)
		goto out;
	if (outpath) {
		out = fopen(outpath, "we");
		if (!out) {
			fprintf(stderr, "sovctl lineage export: %s: %s\n", outpath, strerror(errno));
			ret = SOVCTL_USAGE;
			goto out;
		}
	}
	ret = lineage_openlineage(&l, x.class, out, url, facet_url);
	if (out != stdout) {
		if (fclose(out) && !ret) {
			fprintf(stderr, "sovctl lineage export: %s: %s\n", outpath, strerror(errno));
			ret = SOVCTL_USAGE;
		}
	} else if (fflush(stdout) && !ret) {
		ret = SOVCTL_USAGE;
	}
out:
	lineage_free(&l);
	common_free(&x);
	return ret;
}
