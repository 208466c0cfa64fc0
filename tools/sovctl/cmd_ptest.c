/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovctl policy test: test cases for a policy, judged without a kernel by
 * the kernel's own decision functions (bpf/rules.h: sov_egress_verdict(),
 * sov_channel_rule(), compiled here for user space) over the compiled
 * image (sov_policy_zone_of() answers as the kernel's LPM tries). Calls:
 * libsovpolicy (compile, ynode), bpf/rules.h. Called by main.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/rules.h"
#include "policy/policy.h"
#include "policy/prefix.h"
#include "policy/includes.h"
#include "policy/ynode.h"
#include "tools/sovctl/explain_src.h"
#include "tools/sovctl/sovctl.h"

static int ptest_run(int argc, char **argv);
static int explain_run(int argc, char **argv);

enum { OPT_RESOLVE = SOVCTL_LONG_ONLY, OPT_PT_LOCDB };

static const struct sovctl_opt ptest_opts[] = {
	{ "output", 'o', "text|junit", "results as text (default) or JUnit XML on stdout", 0 },
	{ "resolve", OPT_RESOLVE, NULL, "resolve host names in dst: (the system resolver)", 0 },
	{ "locdb", OPT_PT_LOCDB, "PATH", "IP location database (default: the policy's locdb:)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_policy_test_cmd = {
	.name = "policy test",
	.operands = "POLICY TESTS...",
	.about = "Run test cases (YAML, 'tests:') against a policy, without root or a kernel.",
	.notes = "Exits 0 when every case passes, 1 when one fails, 2 when a file cannot be\n"
		 "used. Each case: name, classes: [...] or path: P, dst: ADDR[:PORT] or\n"
		 "channel: C, expect: allow|audit|deny, and optionally zone: Z\n"
		 "(docs/policy.md, \"Testing a policy\").\n",
	.opts = ptest_opts,
	.run = ptest_run,
};

enum { OPT_EX_CLASS = SOVCTL_LONG_ONLY + 16, OPT_EX_DST, OPT_EX_PATH, OPT_EX_CHANNEL,
       OPT_EX_LOCDB };

static const struct sovctl_opt explain_opts[] = {
	{ "class", OPT_EX_CLASS, "C", "the process's taint: a class (repeatable)", SOVCTL_OPT_REPEAT },
	{ "path", OPT_EX_PATH, "P", "or a file: the classes of every policy path above it", 0 },
	{ "dst", OPT_EX_DST, "ADDR[:PORT]", "the destination", 0 },
	{ "channel", OPT_EX_CHANNEL, "C", "or a channel (raw, ping, packet, xdp, other, rdma)", 0 },
	{ "locdb", OPT_EX_LOCDB, "PATH", "IP location database (default: the policy's locdb:)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_policy_explain_cmd = {
	.name = "policy explain",
	.operands = "POLICY",
	.about = "Explain the verdict for a class (or path) and a destination (or channel).",
	.notes = "Prints the zone the address falls in and why (the LPM entry, the policy's\n"
		 "prefixes, zone file lines, range entries and location database network that\n"
		 "hold it, with the data's versions), each class's allow list and\n"
		 "the verdict, with file:line:column of every line that contributed. Exit 0.\n",
	.opts = explain_opts,
	.run = explain_run,
};

/* The compiled image the decision callbacks read (one policy per run). */
static const struct sov_policy_image *g_img;
static struct sov_zone_rule g_rule;

static __u32 zone4(const struct sov_config *cfg, __u32 addr_be)
{
	(void)cfg;
	return sov_policy_zone_of(g_img, AF_INET, &addr_be);
}

static __u32 zone6(const struct sov_config *cfg, const __u32 addr_be[4])
{
	(void)cfg;
	return sov_policy_zone_of(g_img, AF_INET6, addr_be);
}

/* The zone rule table of half 0: zone id -> the classes it allows. */
static const struct sov_zone_rule *rule_of(__u32 idx)
{
	g_rule.allowed = idx < g_img->n_zones ? g_img->zone_allowed[idx] : 0;
	return &g_rule;
}

/* As agent/policy_maps.c writes sov_config for the image. */
static void config_of(const struct sov_policy_image *img, struct sov_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->block_classes = img->block_classes;
	cfg->derive_classes = img->derive_classes;
	for (size_t i = 0; i < img->n_classes; i++)
		cfg->all_classes |= 1ull << img->classes[i].bit;
	cfg->mode = img->mode == SOV_POLICY_AUDIT ? SOV_MODE_AUDIT : SOV_MODE_ENFORCE;
	for (uint32_t ch = 1; ch < SOV_POLICY_CHAN_MAX && ch < SOV_CHAN_SLOTS; ch++)
		cfg->chan_allow[ch] = img->chan_allowed[ch];
}

static const char *const verdict_names[] = { "allow", "deny", "audit" };

struct pos {
	int line, col;
};

/* Where the policy says what decided: zone keys and classes' allow lists
 * (and channels), found in the policy's own tree (with the files it
 * includes merged in: every node names its file). */
struct policy_where {
	struct sovp_doc doc;
	struct ynode *root;
	const struct ynode *zones, *classes;
};

static const struct ynode *map_get(const struct ynode *m, const char *key)
{
	if (!m || m->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (sovp_ynode_eq(m->kids[i], key) && !m->kids[i]->dup)
			return m->kids[i + 1];
	return NULL;
}

static const struct ynode *map_key(const struct ynode *m, const char *key)
{
	if (!m || m->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (sovp_ynode_eq(m->kids[i], key) && !m->kids[i]->dup)
			return m->kids[i];
	return NULL;
}

struct result {
	int verdict;
	__u32 zone;
	__u64 taint, violated;
	char why[1024];		/* the policy lines that decided */
};

static void why_add(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_add(struct result *r, const char *fmt, ...)
{
	size_t n = strlen(r->why);
	va_list ap;

	if (n + 2 >= sizeof(r->why))
		return;
	if (n)
		r->why[n++] = ';', r->why[n++] = ' ', r->why[n] = 0;
	va_start(ap, fmt);
	vsnprintf(r->why + n, sizeof(r->why) - n, fmt, ap);
	va_end(ap);
}

/* The classes a path carries at sovd's start: every class with a path at
 * or above it (component-wise, as written: no symlink is resolved). */
static uint64_t classes_of_path(const struct sov_policy_image *img, const char *path)
{
	uint64_t m = 0;

	for (size_t c = 0; c < img->n_classes; c++)
		for (size_t p = 0; p < img->classes[c].n_paths; p++) {
			const char *cp = img->classes[c].paths[p];
			size_t n = strlen(cp);

			while (n > 1 && cp[n - 1] == '/')
				n--;
			if (!strcmp(cp, "/") || (!strncmp(cp, path, n) &&
						 (path[n] == 0 || path[n] == '/')))
				m |= 1ull << img->classes[c].bit;
		}
	return m;
}

static int class_bit(const struct sov_policy_image *img, const char *name)
{
	for (size_t c = 0; c < img->n_classes; c++)
		if (!strcmp(img->classes[c].name, name))
			return (int)img->classes[c].bit;
	return -1;
}

static const struct sov_img_class *class_by_bit(const struct sov_policy_image *img, int bit)
{
	for (size_t c = 0; c < img->n_classes; c++)
		if ((int)img->classes[c].bit == bit)
			return &img->classes[c];
	return NULL;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT" or a bare IPv6 address. */
static int parse_addr(const char *s, struct sov_dst *d, char *host, size_t hlen)
{
	char buf[256], *port = NULL;
	const char *a = buf;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (buf[0] == '[') {
		char *e = strchr(buf, ']');

		if (!e)
			return -EINVAL;
		*e = 0;
		a = buf + 1;
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return -EINVAL;
	} else if (strchr(buf, ':') == strrchr(buf, ':') && strchr(buf, ':')) {
		port = strchr(buf, ':');
		*port++ = 0;
	}
	if (port) {
		char *end;
		unsigned long v = strtoul(port, &end, 10);

		if (!*port || *end || v > 65535)
			return -EINVAL;
		d->dport = (__u16)v;
	}
	if (inet_pton(AF_INET, a, &d->addr[0]) == 1) {
		d->family = SOV_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, a, d->addr) == 1) {
		d->family = SOV_AF_INET6;
		return 0;
	}
	snprintf(host, hlen, "%s", a);
	return 1;	/* a host name */
}

/*
 * POLICY compiled (offline: class paths are not looked up) and its YAML
 * tree again, for the positions of what decided. 0, or SOVCTL_USAGE after
 * printing why (the policy's diagnostics when it is invalid).
 */
static int load_policy(const char *path, const struct sov_policy_opts *po,
		       struct sov_policy_image **img, struct policy_where *pw)
{
	const char *why = NULL;
	struct sov_diags d;
	char *buf = NULL;
	size_t len = 0;
	int err;

	sov_diags_init(&d);
	sov_policy_compile_file(path, po, img, &d);
	if (!*img) {
		sov_diags_print(&d, stderr);
		fprintf(stderr, "%s: invalid policy (%zu error%s)\n", path, d.n_errors,
			d.n_errors == 1 ? "" : "s");
		sov_diags_free(&d);
		return SOVCTL_USAGE;
	}
	sov_diags_free(&d);
	sov_diags_init(&d);
	err = sovp_read_file(path, 64u << 20, &buf, &len, &why) ||
	      sovp_doc_load(&pw->doc, path, buf, len, 0, &d);
	pw->root = pw->doc.root;
	sov_diags_free(&d);
	free(buf);
	if (err) {
		fprintf(stderr, "%s: error: cannot read the policy again\n", path);
		sovp_doc_free(&pw->doc);
		sov_policy_free(*img);
		*img = NULL;
		return SOVCTL_USAGE;
	}
	pw->zones = map_get(pw->root, "zones");
	pw->classes = map_get(pw->root, "classes");
	return 0;
}

static int judge(const struct sov_policy_image *img, const struct sov_config *cfg,
		 struct policy_where *pw, uint64_t taint, const struct sov_dst *d,
		 uint32_t channel, struct result *r)
{
	memset(r, 0, sizeof(*r));
	r->taint = taint;
	if (!taint) {
		/* The kernel judges only tainted processes. */
		r->verdict = SOV_VERDICT_ALLOW;
		r->zone = SOV_ZONE_UNKNOWN;
		why_add(r, "no class: an untainted process is not judged");
		return 0;
	}
	if (channel) {
		r->verdict = sov_channel_rule(taint, cfg, channel, &r->violated);
		r->zone = SOV_ZONE_UNKNOWN;
	} else {
		r->verdict = sov_egress_verdict(taint, cfg, d, zone4, zone6, rule_of, &r->zone,
						&r->violated);
		const struct ynode *zk = map_key(pw->zones, sov_policy_zone_name(img, r->zone));

		if (zk && r->zone != SOV_ZONE_UNKNOWN)
			why_add(r, "%s:%d:%d zone '%s'", zk->file, zk->line, zk->col,
				sov_policy_zone_name(img, r->zone));
		else
			why_add(r, "in no zone (unknown)");
	}
	for (int b = 0; b < 64; b++) {
		const struct sov_img_class *cl;
		const struct ynode *cv, *k;

		if (!(taint & (1ull << b)) || !(cl = class_by_bit(img, b)))
			continue;
		cv = map_get(pw->classes, cl->name);
		k = channel ? map_key(map_get(cv, "channels"), sov_policy_channel_name(channel))
			    : map_get(cv, "allow");
		if (!k && channel)
			k = map_key(cv, "channels") ? map_key(cv, "channels") : map_key(pw->classes, cl->name);
		if (k)
			why_add(r, "%s:%d:%d %s of class '%s'%s", k->file, k->line, k->col,
				channel ? "channels" : "allow", cl->name,
				(r->violated & (1ull << b)) ? " (violated)" : "");
		if ((r->violated & (1ull << b)) && r->verdict != SOV_VERDICT_ALLOW) {
			const struct ynode *a = map_get(cv, "action");

			if (a)
				why_add(r, "%s:%d:%d action of class '%s'", a->file, a->line,
					a->col, cl->name);
		}
	}
	if (r->verdict != SOV_VERDICT_ALLOW) {
		const struct ynode *m = map_get(pw->root, "mode");

		if (m)
			why_add(r, "%s:%d:%d mode", m->file, m->line, m->col);
	}
	return 0;
}

static void xml_esc(FILE *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '&': fputs("&amp;", o); break;
		case '"': fputs("&quot;", o); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', o);
			else
				fputc(*s, o);
		}
	}
}

struct junit_case {
	char *name, *file, *failure;
	int line;
};

struct run {
	const struct sov_policy_image *img;
	struct sov_config cfg;
	struct policy_where pw;
	int resolve, junit;
	size_t n, failed;
	struct junit_case *cases;
	size_t n_cases, cap_cases;
};

static int scalar(const struct ynode *n)
{
	return n && n->kind == YN_SCALAR && !sovp_ynode_is_null(n);
}

/* A malformed case: an error with its position; the run exits 2. */
static int case_error(const char *file, const struct ynode *n, const char *msg, const char *arg)
{
	fprintf(stderr, "%s:%d:%d: error: %s%s%s\n", file, n->line, n->col, msg,
		arg ? " " : "", arg ? arg : "");
	return -EINVAL;
}

static int record(struct run *R, const char *name, const char *file, int line, const char *fail)
{
	struct junit_case *c;

	if (R->n_cases == R->cap_cases) {
		size_t cap = R->cap_cases ? 2 * R->cap_cases : 16;
		struct junit_case *v = realloc(R->cases, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		R->cases = v;
		R->cap_cases = cap;
	}
	c = &R->cases[R->n_cases++];
	c->name = strdup(name);
	c->file = strdup(file);
	c->failure = fail ? strdup(fail) : NULL;
	c->line = line;
	return 0;
}

static int run_case(struct run *R, const char *file, const struct ynode *tc, size_t idx)
{
	const struct sov_policy_image *img = R->img;
	const struct ynode *nm = map_get(tc, "name"), *cls = map_get(tc, "classes"),
			   *path = map_get(tc, "path"), *dst = map_get(tc, "dst"),
			   *chan = map_get(tc, "channel"), *exp = map_get(tc, "expect"),
			   *zone = map_get(tc, "zone");
	static const char *const keys[] = { "name", "classes", "path", "dst", "channel",
					    "expect", "zone" };
	char name[256], host[256] = "", msg[2048], got[128];
	struct sov_dst d = {};
	uint32_t channel = 0;
	uint64_t taint = 0;
	int want = -1, n_addr = 0, ok = 1;
	struct addrinfo *ai = NULL;

	if (tc->kind != YN_MAP)
		return case_error(file, tc, "a test case must be a mapping", NULL);
	for (size_t i = 0; i + 1 < tc->n; i += 2) {
		size_t k;

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (sovp_ynode_eq(tc->kids[i], keys[k]))
				break;
		if (k == sizeof(keys) / sizeof(keys[0]))
			return case_error(file, tc->kids[i], "unknown key in a test case (expected name, classes, path, dst, channel, expect, zone):",
					  tc->kids[i]->str);
	}
	if (scalar(nm))
		snprintf(name, sizeof(name), "%s", nm->str);
	else
		snprintf(name, sizeof(name), "case %zu", idx + 1);
	if (!scalar(exp))
		return case_error(file, tc, "a test case needs 'expect: allow|audit|deny'", NULL);
	for (int v = 0; v < 3; v++)
		if (sovp_ynode_eq(exp, verdict_names[v]))
			want = v;
	if (want < 0)
		return case_error(file, exp, "'expect' must be allow, audit or deny, not", exp->str);
	if (!!cls + !!path != 1)
		return case_error(file, tc, "a test case needs one of 'classes: [...]' and 'path: P'", NULL);
	if (cls) {
		if (cls->kind != YN_SEQ)
			return case_error(file, cls, "'classes' must be a list of class names", NULL);
		for (size_t i = 0; i < cls->n; i++) {
			int b = scalar(cls->kids[i]) ? class_bit(img, cls->kids[i]->str) : -1;

			if (b < 0)
				return case_error(file, cls->kids[i], "not a class of the policy:",
						  scalar(cls->kids[i]) ? cls->kids[i]->str : "(not a name)");
			taint |= 1ull << b;
		}
	} else {
		if (!scalar(path) || path->str[0] != '/')
			return case_error(file, path, "'path' must be an absolute path", NULL);
		taint = classes_of_path(img, path->str);
	}
	if (!!dst + !!chan != 1)
		return case_error(file, tc, "a test case needs one of 'dst: ADDR[:PORT]' and 'channel: C'", NULL);
	if (chan) {
		for (uint32_t c = 1; c < SOV_POLICY_CHAN_MAX; c++)
			if (scalar(chan) && sov_policy_channel_name(c) &&
			    !strcmp(chan->str, sov_policy_channel_name(c)))
				channel = c;
		if (!channel)
			return case_error(file, chan, "unknown channel (raw, ping, packet, xdp, other, rdma):",
					  scalar(chan) ? chan->str : "");
	} else {
		int r = scalar(dst) ? parse_addr(dst->str, &d, host, sizeof(host)) : -EINVAL;

		if (r < 0)
			return case_error(file, dst, "'dst' must be ADDR, ADDR:PORT or [IPv6]:PORT", NULL);
		if (r == 1) {
			struct addrinfo hints = { .ai_socktype = SOCK_STREAM };

			if (!R->resolve)
				return case_error(file, dst, "a host name needs --resolve:", host);
			if (getaddrinfo(host, NULL, &hints, &ai) || !ai)
				return case_error(file, dst, "cannot resolve", host);
		}
	}
	if (zone && (!scalar(zone) || (strcmp(zone->str, "unknown") &&
				       !map_key(R->pw.zones, zone->str))))
		return case_error(file, zone, "not a zone of the policy:", scalar(zone) ? zone->str : "");

	msg[0] = 0;
	for (struct addrinfo *a = ai;; a = a->ai_next) {
		struct result res;
		size_t len = strlen(msg);

		if (ai) {
			if (!a)
				break;
			memset(d.addr, 0, sizeof(d.addr));
			if (a->ai_family == AF_INET) {
				d.family = SOV_AF_INET;
				memcpy(d.addr, &((struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
			} else if (a->ai_family == AF_INET6) {
				d.family = SOV_AF_INET6;
				memcpy(d.addr, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, 16);
			} else {
				continue;
			}
		}
		judge(img, &R->cfg, &R->pw, taint, &d, channel, &res);
		n_addr++;
		snprintf(got, sizeof(got), "%s (zone %s)", verdict_names[res.verdict],
			 channel ? "-" : sov_policy_zone_name(img, res.zone));
		if (res.verdict != want ||
		    (zone && !channel && strcmp(zone->str, sov_policy_zone_name(img, res.zone)))) {
			char where[INET6_ADDRSTRLEN + 8] = "", expected[128];

			if (ai) {
				strcpy(where, " for ");
				inet_ntop(a->ai_family, d.addr, where + 5, sizeof(where) - 5);
			}
			snprintf(expected, sizeof(expected), "%s%s%s%s", verdict_names[want],
				 zone ? " (zone " : "", zone ? zone->str : "", zone ? ")" : "");
			snprintf(msg + len, sizeof(msg) - len,
				 "%s:%d: %s: expected %s, got %s%s\n    decided by: %s\n",
				 file, tc->line, name, expected, got, where, res.why);
			ok = 0;
		}
		if (!ai)
			break;
	}
	if (ai)
		freeaddrinfo(ai);
	if (!n_addr)
		return case_error(file, dst, "no IPv4 or IPv6 address for", host);
	R->n++;
	if (!ok) {
		R->failed++;
		if (!R->junit)
			fputs(msg, stdout);
	}
	return record(R, name, file, tc->line, ok ? NULL : msg);
}

static int run_file(struct run *R, const char *file)
{
	struct ynode *root = NULL, *tests;
	struct sov_diags d;
	const char *why = NULL;
	char *buf = NULL;
	size_t len = 0;
	int err;

	err = sovp_read_file(file, 64u << 20, &buf, &len, &why);
	if (err) {
		fprintf(stderr, "%s: error: cannot read tests: %s\n", file,
			why && strcmp(why, "open") && strcmp(why, "read") && strcmp(why, "stat")
				? why : strerror(-err));
		return -EINVAL;
	}
	sov_diags_init(&d);
	err = sovp_ynode_parse(file, buf, len, &root, &d);
	sov_diags_print(&d, stderr);
	sov_diags_free(&d);
	free(buf);
	if (err)
		return -EINVAL;
	tests = (struct ynode *)map_get(root, "tests");
	if (!tests || tests->kind != YN_SEQ) {
		fprintf(stderr, "%s:%d:%d: error: a tests file is a mapping with 'tests:', a list of cases\n",
			file, root ? root->line : 1, root ? root->col : 1);
		sovp_ynode_free(root);
		return -EINVAL;
	}
	for (size_t i = 0; i < tests->n && !err; i++)
		err = run_case(R, file, tests->kids[i], i);
	sovp_ynode_free(root);
	return err;
}

static void junit(struct run *R, FILE *o)
{
	fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(o, "<testsuites tests=\"%zu\" failures=\"%zu\">\n", R->n, R->failed);
	fprintf(o, "  <testsuite name=\"");
	xml_esc(o, R->img->path);
	fprintf(o, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n", R->n, R->failed);
	for (size_t i = 0; i < R->n_cases; i++) {
		struct junit_case *c = &R->cases[i];

		fprintf(o, "    <testcase classname=\"");
		xml_esc(o, c->file);
		fprintf(o, "\" name=\"");
		xml_esc(o, c->name);
		fprintf(o, "\" file=\"");
		xml_esc(o, c->file);
		fprintf(o, "\" line=\"%d\"", c->line);
		if (!c->failure) {
			fprintf(o, "/>\n");
			continue;
		}
		fprintf(o, ">\n      <failure message=\"verdict differs\">");
		xml_esc(o, c->failure);
		fprintf(o, "</failure>\n    </testcase>\n");
	}
	fprintf(o, "  </testsuite>\n</testsuites>\n");
}

static int ptest_run(int argc, char **argv)
{
	struct sov_policy_opts po = { .flags = SOV_POLICY_F_OFFLINE };
	struct sov_policy_image *img = NULL;
	const char *fmt = "text";
	struct run R = {};
	struct sovctl_getopt g;
	int c, err = 0, ret;

	sovctl_getopt_init(&g, &sovctl_policy_test_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case 'o':
			fmt = g.arg;
			break;
		case OPT_RESOLVE:
			R.resolve = 1;
			break;
		case OPT_PT_LOCDB:
			po.locdb_path = g.arg;
			break;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (argc - optind < 2)
		return sovctl_usage_error(&sovctl_policy_test_cmd, "takes a POLICY and TESTS files");
	if (strcmp(fmt, "text") && strcmp(fmt, "junit"))
		return sovctl_usage_error(&sovctl_policy_test_cmd,
					  "unknown output format '%s' (text or junit)", fmt);
	R.junit = !strcmp(fmt, "junit");
	if (load_policy(argv[optind], &po, &img, &R.pw))
		return SOVCTL_USAGE;
	g_img = img;
	R.img = img;
	config_of(img, &R.cfg);
	for (int i = optind + 1; i < argc && !err; i++)
		err = run_file(&R, argv[i]);
	if (err) {
		ret = SOVCTL_USAGE;
	} else {
		if (R.junit)
			junit(&R, stdout);
		else
			printf("%zu case%s, %zu passed, %zu failed\n", R.n, R.n == 1 ? "" : "s",
			       R.n - R.failed, R.failed);
		ret = R.failed ? SOVCTL_BAD : SOVCTL_OK;
	}
	for (size_t i = 0; i < R.n_cases; i++) {
		free(R.cases[i].name);
		free(R.cases[i].file);
		free(R.cases[i].failure);
	}
	free(R.cases);
	sovp_doc_free(&R.pw.doc);
	sov_policy_free(img);
	return ret;
}

/* The address the kernel judges for d as a full-length prefix; 0 when
 * it judges none (an IPv6 address judged as unknown). */
static int judged_prefix(const struct sov_dst *d, struct sov_prefix *p)
{
	__u32 v4;

	memset(p, 0, sizeof(*p));
	if (d->family == SOV_AF_INET) {
		memcpy(p->addr, d->addr, 4);
	} else {
		int as = sov_ip6_judged_as(d->addr, &v4);

		if (as == SOV_IP6_UNKNOWN)
			return 0;
		if (as == SOV_IP6_V4) {
			memcpy(p->addr, &v4, 4);
		} else {
			memcpy(p->addr, d->addr, 16);
			p->family = 6;
			p->plen = 128;
			return 1;
		}
	}
	p->family = 4;
	p->plen = 32;
	return 1;
}

/* 1 when the first plen bits of p are those of the full-length prefix a. */
static int holds(const uint8_t *p, int plen, const struct sov_prefix *a)
{
	for (int k = 0; k < plen; k++)
		if ((a->addr[k / 8] ^ p[k / 8]) & (0x80 >> (k % 8)))
			return 0;
	return 1;
}

/* The LPM entry of img that holds addr (longest prefix), or -1. */
static long lpm_entry(const struct sov_policy_image *img, const struct sov_dst *d, int *fam)
{
	struct sov_prefix a;
	long best = -1;
	int bestlen = -1;
	size_t n;

	*fam = AF_INET;
	if (!judged_prefix(d, &a))
		return -1;
	if (a.family == 6)
		*fam = AF_INET6;
	n = *fam == AF_INET ? img->n_v4 : img->n_v6;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = *fam == AF_INET ? img->v4[i].addr : img->v6[i].addr;
		int plen = *fam == AF_INET ? img->v4[i].plen : img->v6[i].plen;

		if (plen > bestlen && holds(p, plen, &a)) {
			best = (long)i;
			bestlen = plen;
		}
	}
	return best;
}

/* 1 when prefix p holds the address the kernel judges for d. */
static int prefix_holds(const struct sov_prefix *p, const struct sov_dst *d)
{
	struct sov_prefix a;

	return judged_prefix(d, &a) && p->family == a.family && holds(p->addr, p->plen, &a);
}

static int explain_run(int argc, char **argv)
{
	struct sov_policy_opts po = { .flags = SOV_POLICY_F_OFFLINE };
	const char *classes[64], *path = NULL, *dst = NULL, *chan = NULL;
	struct sov_policy_image *img = NULL;
	struct policy_where pw = {};
	struct sovctl_getopt g;
	struct sov_config cfg;
	struct sov_dst dd = {};
	struct sov_prefix ap;
	struct result r;
	uint32_t channel = 0;
	uint64_t taint = 0;
	size_t n_classes = 0;
	char host[256], cn[1024];
	int c, ret = SOVCTL_USAGE;

	sovctl_getopt_init(&g, &sovctl_policy_explain_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case OPT_EX_CLASS:
			if (n_classes < 64)
				classes[n_classes++] = g.arg;
			break;
		case OPT_EX_PATH:
			path = g.arg;
			break;
		case OPT_EX_DST:
			dst = g.arg;
			break;
		case OPT_EX_CHANNEL:
			chan = g.arg;
			break;
		case OPT_EX_LOCDB:
			po.locdb_path = g.arg;
			break;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (argc - optind != 1)
		return sovctl_usage_error(&sovctl_policy_explain_cmd, "takes one POLICY");
	if (!!n_classes + !!path != 1)
		return sovctl_usage_error(&sovctl_policy_explain_cmd, "give --class C (repeatable) or --path P");
	if (!!dst + !!chan != 1)
		return sovctl_usage_error(&sovctl_policy_explain_cmd, "give --dst ADDR[:PORT] or --channel C");
	if (dst && parse_addr(dst, &dd, host, sizeof(host)))
		return sovctl_usage_error(&sovctl_policy_explain_cmd,
					  "--dst must be ADDR, ADDR:PORT or [IPv6]:PORT, not '%s'", dst);
	if (chan) {
		for (uint32_t ch = 1; ch < SOV_POLICY_CHAN_MAX; ch++)
			if (sov_policy_channel_name(ch) && !strcmp(chan, sov_policy_channel_name(ch)))
				channel = ch;
		if (!channel)
			return sovctl_usage_error(&sovctl_policy_explain_cmd,
						  "unknown channel '%s' (raw, ping, packet, xdp, other, rdma)", chan);
	}
	if (load_policy(argv[optind], &po, &img, &pw))
		return SOVCTL_USAGE;
	for (size_t i = 0; i < n_classes; i++) {
		int b = class_bit(img, classes[i]);

		if (b < 0) {
			fprintf(stderr, "sovctl: '%s' is not a class of %s\n", classes[i], img->path);
			goto out;
		}
		taint |= 1ull << b;
	}
	if (path) {
		taint = classes_of_path(img, path);
		printf("path %s: %s\n", path, taint ? sov_policy_class_names(img, taint, cn, sizeof(cn))
						   : "no class labels it (not judged)");
	}
	g_img = img;
	config_of(img, &cfg);
	judge(img, &cfg, &pw, taint ? taint : ~0ull & cfg.all_classes, &dd, channel, &r);
	if (dst) {
		int fam;
		long e = lpm_entry(img, &dd, &fam);
		char ps[PREFIX_STR_MAX];
		const struct ynode *zk = map_key(pw.zones, sov_policy_zone_name(img, r.zone));

		printf("destination %s: zone %s", dst, sov_policy_zone_name(img, r.zone));
		if (zk && r.zone != SOV_ZONE_UNKNOWN)
			printf(" (%s:%d:%d)", zk->file, zk->line, zk->col);
		printf("\n");
		if (e >= 0) {
			struct sov_prefix p = { .family = fam == AF_INET ? 4 : 6 };

			if (fam == AF_INET) {
				memcpy(p.addr, img->v4[e].addr, 4);
				p.plen = img->v4[e].plen;
			} else {
				memcpy(p.addr, img->v6[e].addr, 16);
				p.plen = img->v6[e].plen;
			}
			printf("  kernel LPM entry: %s -> zone %s (the longest prefix that holds it)\n",
			       sovp_prefix_format(&p, ps, sizeof(ps)),
			       sov_policy_zone_name(img, fam == AF_INET ? img->v4[e].zone : img->v6[e].zone));
		} else {
			printf("  kernel LPM entry: none (%s)\n",
			       dd.family == SOV_AF_INET6 ? "in no prefix, or an IPv6 address judged as unknown" : "in no prefix");
		}
		/* The policy's own prefixes that hold it, in every zone. */
		for (size_t i = 0; pw.zones && pw.zones->kind == YN_MAP && i + 1 < pw.zones->n; i += 2) {
			const struct ynode *zv = pw.zones->kids[i + 1], *cidrs = map_get(zv, "cidrs");

			for (size_t k = 0; cidrs && cidrs->kind == YN_SEQ && k < cidrs->n; k++) {
				const struct ynode *n = cidrs->kids[k];
				struct sov_prefix p;
				char whyb[128];

				if (!scalar(n) || sovp_prefix_parse(n->str, n->len, &p, whyb, sizeof(whyb)) ||
				    !prefix_holds(&p, &dd))
					continue;
				printf("  %s:%d:%d cidrs of zone '%s': %s holds it\n", n->file, n->line,
				       n->col, pw.zones->kids[i]->str, n->str);
			}
			if (strcmp(pw.zones->kids[i]->str, sov_policy_zone_name(img, r.zone)))
				continue;
		}
		if (judged_prefix(&dd, &ap))
			explain_zone_sources(img, pw.zones, po.locdb_path, &ap);
		for (size_t s = 0; s < img->n_sources; s++)
			printf("  data: %s %s (%s)\n", img->sources[s].kind, img->sources[s].file,
			       img->sources[s].version ? img->sources[s].version : "no version");
	} else {
		printf("channel %s\n", chan);
	}
	for (size_t i = 0; i < img->n_classes; i++) {
		const struct sov_img_class *cl = &img->classes[i];
		const struct ynode *cv = map_get(pw.classes, cl->name), *al = map_get(cv, "allow");
		uint64_t bit = 1ull << cl->bit;

		if (!(taint & bit))
			continue;
		printf("class %s: ", cl->name);
		if (al)
			printf("%s:%d:%d allow [", al->file, al->line, al->col);
		for (size_t k = 0; al && al->kind == YN_SEQ && k < al->n; k++)
			printf("%s%s", k ? ", " : "", al->kids[k]->str);
		printf("]%s, action %s: %s\n", channel ? (cl->channels & (1u << channel) ? ", channel allowed" : ", channel not allowed") : "",
		       cl->action == SOV_ACTION_BLOCK ? "block" : "audit",
		       (r.violated & bit) ? "violated" : "allowed");
	}
	if (!taint)
		printf("verdict: allow (an untainted process is not judged)\n");
	else
		printf("verdict: %s\n  decided by: %s\n", verdict_names[r.verdict], r.why);
	ret = SOVCTL_OK;
out:
	sovp_doc_free(&pw.doc);
	sov_policy_free(img);
	return ret;
}
