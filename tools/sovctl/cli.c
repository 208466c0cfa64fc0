// SPDX-License-Identifier: Apache-2.0
/*
 * The command tables at work: getopt_long's option array, the synopsis and
 * the --help text, all from one struct sovctl_cmd. Used by every command;
 * calls none of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/sovctl/sovctl.h"

const char *sovctl_socket = SOVD_DEFAULT_SOCKET;

#define WIDTH		79	/* wrap synopses before this column */
#define HELP_COL	26	/* option descriptions start here */

static const struct sovctl_opt help_opt = {
	"help", 'h', NULL, "print this help and exit", 0
};

static int nopts(const struct sovctl_cmd *cmd)
{
	int n = 0;

	while (cmd->opts && cmd->opts[n].name)
		n++;
	return n;
}

void sovctl_getopt_init(struct sovctl_getopt *g, const struct sovctl_cmd *cmd, int argc,
			char **argv)
{
	int i, n = nopts(cmd);
	char *s;

	memset(g, 0, sizeof(*g));
	g->cmd = cmd;
	g->argc = argc;
	g->argv = argv;
	s = g->shorts;
	if (cmd->flags & SOVCTL_CMD_IN_ORDER)
		*s++ = '-';
	else if (cmd->flags & SOVCTL_CMD_STOP)
		*s++ = '+';
	/* A table longer than the arrays is a programming error: say so on
	 * the command's first run (cli.t runs each) rather than overrun. */
	if (n > SOVCTL_MAX_OPTS) {
		fprintf(stderr, "sovctl %s: %d options, more than SOVCTL_MAX_OPTS\n", cmd->name, n);
		abort();
	}
	for (i = 0; i < n; i++) {
		const struct sovctl_opt *o = &cmd->opts[i];

		g->lo[i] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					    NULL, o->key };
		if (o->key < SOVCTL_LONG_ONLY) {
			*s++ = (char)o->key;
			if (o->arg)
				*s++ = ':';
		}
	}
	g->lo[i] = (struct option){ help_opt.name, no_argument, NULL, help_opt.key };
	*s++ = (char)help_opt.key;
	*s = '\0';
	/* 0, not 1: glibc then starts afresh (the top level parsed before us). */
	optind = 0;
	opterr = 1;
}

static int missing_required(struct sovctl_getopt *g)
{
	for (int i = 0; i < nopts(g->cmd); i++) {
		const struct sovctl_opt *o = &g->cmd->opts[i];

		if ((o->flags & SOVCTL_OPT_REQUIRED) && !(g->seen & (1u << i))) {
			fprintf(stderr, "%s: --%s%s%s is required\n", g->argv[0], o->name,
				o->arg ? " " : "", o->arg ? o->arg : "");
			return 1;
		}
	}
	return 0;
}

int sovctl_getopt_next(struct sovctl_getopt *g)
{
	int c, i;

	if (g->done) {
		/* In-order commands: what follows "--" is operands, in order. */
		if (optind < g->argc) {
			g->arg = g->argv[optind++];
			return SOVCTL_OPT_OPERAND;
		}
		return SOVCTL_OPT_END;
	}
	c = getopt_long(g->argc, g->argv, g->shorts, g->lo, NULL);
	g->arg = optarg;
	switch (c) {
	case -1:
		if (missing_required(g))
			return SOVCTL_OPT_ERROR;
		if (!(g->cmd->flags & SOVCTL_CMD_IN_ORDER))
			return SOVCTL_OPT_END;
		g->done = 1;
		return sovctl_getopt_next(g);
	case 1:
		return SOVCTL_OPT_OPERAND;
	case '?':
	case ':':
		/* getopt_long has said what is wrong (opterr) */
		return SOVCTL_OPT_ERROR;
	case 'h':
		return SOVCTL_OPT_HELP;
	}
	for (i = 0; i < nopts(g->cmd); i++)
		if (g->cmd->opts[i].key == c)
			g->seen |= 1u << i;
	return c;
}

static void short_usage(const struct sovctl_cmd *cmd)
{
	sovctl_synopsis(cmd, stderr, "usage: ");
	fprintf(stderr, "run 'sovctl %s%s--help' for the meaning of each option\n", cmd->name,
		cmd->name[0] ? " " : "");
}

int sovctl_getopt_exit(const struct sovctl_getopt *g, int c)
{
	if (c == SOVCTL_OPT_HELP) {
		sovctl_help(g->cmd, stdout);
		return SOVCTL_OK;
	}
	short_usage(g->cmd);
	return SOVCTL_USAGE;
}

int sovctl_usage_error(const struct sovctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sovctl %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	short_usage(cmd);
	return SOVCTL_USAGE;
}

static void put_token(FILE *o, int *col, int indent, const char *tok)
{
	int len = (int)strlen(tok);

	if (*col > indent && *col + 1 + len > WIDTH) {
		fprintf(o, "\n%*s", indent, "");
		*col = indent;
	} else {
		fputc(' ', o);
		(*col)++;
	}
	fputs(tok, o);
	*col += len;
}

static void opt_token(const struct sovctl_opt *o, char *buf, size_t len)
{
	int req = o->flags & SOVCTL_OPT_REQUIRED;
	char name[64];

	if (o->key < SOVCTL_LONG_ONLY)
		snprintf(name, sizeof(name), "-%c", o->key);
	else
		snprintf(name, sizeof(name), "--%s", o->name);
	snprintf(buf, len, "%s%s%s%s%s%s", req ? "" : "[", name, o->arg ? " " : "",
		 o->arg ? o->arg : "", req ? "" : "]",
		 o->flags & SOVCTL_OPT_REPEAT ? "..." : "");
}

void sovctl_synopsis(const struct sovctl_cmd *cmd, FILE *o, const char *lead)
{
	char tok[128];
	int col, indent;

	col = fprintf(o, "%ssovctl%s%s%s", lead,
		      cmd->flags & SOVCTL_CMD_SOCKET ? " [--socket PATH]" : "",
		      cmd->name[0] ? " " : "", cmd->name);
	indent = col + 1;
	for (int i = 0; i < nopts(cmd); i++) {
		opt_token(&cmd->opts[i], tok, sizeof(tok));
		put_token(o, &col, indent, tok);
	}
	if (cmd->operands)
		put_token(o, &col, indent, cmd->operands);
	fputc('\n', o);
}

static void opt_help(const struct sovctl_opt *o, FILE *f)
{
	char label[128];
	const char *h = o->help, *nl;
	int n;

	if (o->key < SOVCTL_LONG_ONLY)
		n = snprintf(label, sizeof(label), "  -%c, --%s", o->key, o->name);
	else
		n = snprintf(label, sizeof(label), "      --%s", o->name);
	if (o->arg)
		snprintf(label + n, sizeof(label) - n, " %s", o->arg);
	n = fprintf(f, "%s", label);
	if (n + 2 > HELP_COL) {
		fputc('\n', f);
		n = 0;
	}
	/* continuation lines of the description line up under its first */
	for (; (nl = strchr(h, '\n')); h = nl + 1, n = 0)
		fprintf(f, "%*s%.*s\n", HELP_COL - n, "", (int)(nl - h), h);
	fprintf(f, "%*s%s\n", HELP_COL - n, "", h);
}

void sovctl_help(const struct sovctl_cmd *cmd, FILE *o)
{
	sovctl_synopsis(cmd, o, "usage: ");
	if (cmd->about)
		fprintf(o, "%s\n", cmd->about);
	fprintf(o, "\noptions:\n");
	for (int i = 0; i < nopts(cmd); i++)
		opt_help(&cmd->opts[i], o);
	opt_help(&help_opt, o);
	if (cmd->notes)
		fprintf(o, "\n%s", cmd->notes);
}
