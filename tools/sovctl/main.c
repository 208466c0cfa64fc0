/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovctl's entry: the global options, then the command (or family and
 * subcommand) found in the table below. Each command parses its own options
 * from its own table (tools/sovctl/cli.c).
 */
#include <stdio.h>
#include <string.h>
#include "sov_version.h"
#include "tools/sovctl/sovctl.h"

static const struct sovctl_cmd help_cmd, version_cmd;

/* The order of `sovctl --help`. */
static const struct sovctl_cmd *const cmds[] = {
	&sovctl_status_cmd,
	&sovctl_watch_cmd,
	&sovctl_policy_check_cmd,
	&sovctl_policy_compile_cmd,
	&sovctl_policy_test_cmd,
	&sovctl_policy_explain_cmd,
	&sovctl_policy_diff_cmd,
	&sovctl_policy_schema_cmd,
	&sovctl_policy_apply_cmd,
	&sovctl_keygen_cmd,
	&sovctl_journal_verify_cmd,
	&sovctl_journal_export_cmd,
	&sovctl_journal_show_cmd,
	&sovctl_journal_checkpoint_cmd,
	&sovctl_journal_cosign_cmd,
	&sovctl_journal_prune_cmd,
	&sovctl_zone_lookup_cmd,
	&sovctl_lineage_cmd,
	&sovctl_lineage_export_cmd,
	&sovctl_completion_cmd,
	&help_cmd,
	&version_cmd,
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static const struct {
	const char *name, *about;
} families[] = {
	{ "policy", "Check, compile and apply sovd policy files." },
	{ "journal", "Verify, export, read, witness and prune sovd's signed journal." },
	{ "zone", "Answer which zone of a policy an address falls in." },
};

enum { OPT_SOCKET = SOVCTL_LONG_ONLY, OPT_VERSION };

static const struct sovctl_opt top_opts[] = {
	{ "socket", OPT_SOCKET, "PATH", "sovd's local API socket (default " SOVD_DEFAULT_SOCKET ")", 0 },
	{ "version", OPT_VERSION, NULL, "print sovctl's version and exit", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

static const struct sovctl_cmd top_cmd = {
	.name = "",
	.operands = "COMMAND [ARG...]",
	.about = "Client of sovd's local API, and offline tool for its policies and journal.",
	.notes = "Every command answers --help. Options take their value as --opt VALUE or\n"
		 "--opt=VALUE; -- ends the options.\n"
		 "Exit status: 0 success, 1 the thing checked is bad (invalid policy, failed\n"
		 "verification, sovd not enforcing), 2 usage or environment error.\n",
	.opts = top_opts,
	.flags = SOVCTL_CMD_STOP,
};

const struct sovctl_cmd *const *sovctl_commands(size_t *n)
{
	*n = NCMDS;
	return cmds;
}

const struct sovctl_cmd *sovctl_top_command(void)
{
	return &top_cmd;
}

static void top_help(FILE *o)
{
	sovctl_help(&top_cmd, o);
	fprintf(o, "\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		sovctl_synopsis(cmds[i], o, "  ");
}

/* "policy" for "policy check": the first word of a two-word name. */
static int in_family(const struct sovctl_cmd *c, const char *fam)
{
	size_t n = strlen(fam);

	return !strncmp(c->name, fam, n) && c->name[n] == ' ';
}

static const struct sovctl_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i]->name, name))
			return cmds[i];
	return NULL;
}

static int family_of(const char *name)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcmp(families[i].name, name))
			return (int)i;
	return -1;
}

static void family_help(int f, FILE *o)
{
	fprintf(o, "usage: sovctl %s COMMAND [ARG...]\n%s\n\ncommands:\n", families[f].name,
		families[f].about);
	for (size_t i = 0; i < NCMDS; i++)
		if (in_family(cmds[i], families[f].name))
			sovctl_synopsis(cmds[i], o, "  ");
	fprintf(o, "\nrun 'sovctl %s COMMAND --help' for the options of each\n", families[f].name);
}

static int run(const struct sovctl_cmd *c, int argc, char **argv)
{
	static char prog[64];

	/* getopt_long and the commands' messages name the command this way */
	snprintf(prog, sizeof(prog), "sovctl %s", c->name);
	argv[0] = prog;
	return c->run(argc, argv);
}

/* argv[0] is the family's name: the subcommand follows its options (-h). */
static int family(int f, int argc, char **argv)
{
	const struct sovctl_cmd fam = {
		.name = families[f].name,
		.operands = "COMMAND [ARG...]",
		.flags = SOVCTL_CMD_STOP,
	};
	const struct sovctl_cmd *c;
	struct sovctl_getopt g;
	char prog[64], name[128];
	int opt;

	snprintf(prog, sizeof(prog), "sovctl %s", fam.name);
	argv[0] = prog;
	sovctl_getopt_init(&g, &fam, argc, argv);
	while ((opt = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		family_help(f, opt == SOVCTL_OPT_HELP ? stdout : stderr);
		return opt == SOVCTL_OPT_HELP ? SOVCTL_OK : SOVCTL_USAGE;
	}
	if (optind >= argc) {
		family_help(f, stderr);
		return SOVCTL_USAGE;
	}
	snprintf(name, sizeof(name), "%s %s", fam.name, argv[optind]);
	c = find(name);
	if (!c) {
		fprintf(stderr, "sovctl %s: unknown command '%s'\n", fam.name, argv[optind]);
		family_help(f, stderr);
		return SOVCTL_USAGE;
	}
	return run(c, argc - optind, argv + optind);
}

static int dispatch(int argc, char **argv)
{
	const struct sovctl_cmd *c = NULL;
	char two[128];
	int f;

	/* a command with a subcommand of its own ("lineage export") */
	if (argc >= 2) {
		snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
		c = find(two);
		if (c)
			return run(c, argc - 1, argv + 1);
	}
	c = find(argv[0]);
	if (c)
		return run(c, argc, argv);
	f = family_of(argv[0]);
	if (f >= 0)
		return family(f, argc, argv);
	fprintf(stderr, "sovctl: unknown command '%s'\n", argv[0]);
	sovctl_synopsis(&top_cmd, stderr, "usage: ");
	fprintf(stderr, "run 'sovctl --help' for the commands\n");
	return SOVCTL_USAGE;
}

static int print_version(void)
{
	printf("sovctl %s\n", SOV_VERSION);
	return fflush(stdout) ? SOVCTL_USAGE : SOVCTL_OK;
}

static int version_run(int argc, char **argv)
{
	struct sovctl_getopt g;
	int c;

	sovctl_getopt_init(&g, &version_cmd, argc, argv);
	if ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END)
		return sovctl_getopt_exit(&g, c);
	if (optind < argc)
		return sovctl_usage_error(&version_cmd, "unexpected argument '%s'", argv[optind]);
	return print_version();
}

static const struct sovctl_opt no_opts[] = { { NULL, 0, NULL, NULL, 0 } };

static const struct sovctl_cmd version_cmd = {
	.name = "version",
	.about = "Print sovctl's version (git describe at build time), as --version does.",
	.opts = no_opts,
	.run = version_run,
};

static int help_run(int argc, char **argv)
{
	const struct sovctl_cmd *c;
	struct sovctl_getopt g;
	char name[128];
	int opt, f;

	sovctl_getopt_init(&g, &help_cmd, argc, argv);
	if ((opt = sovctl_getopt_next(&g)) != SOVCTL_OPT_END)
		return sovctl_getopt_exit(&g, opt);
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		top_help(stdout);
		return SOVCTL_OK;
	}
	if (argc > 2)
		return sovctl_usage_error(&help_cmd, "too many arguments");
	snprintf(name, sizeof(name), "%s%s%s", argv[0], argc == 2 ? " " : "",
		 argc == 2 ? argv[1] : "");
	c = find(name);
	if (c) {
		sovctl_help(c, stdout);
		return SOVCTL_OK;
	}
	f = argc == 1 ? family_of(name) : -1;
	if (f >= 0) {
		family_help(f, stdout);
		return SOVCTL_OK;
	}
	return sovctl_usage_error(&help_cmd, "no command '%s'", name);
}

static const struct sovctl_cmd help_cmd = {
	.name = "help",
	.operands = "[COMMAND [SUBCOMMAND]]",
	.about = "Print the usage of sovctl, of a command family or of one command.",
	.opts = no_opts,
	.run = help_run,
};

int main(int argc, char **argv)
{
	struct sovctl_getopt g;
	int c;

	argv[0] = "sovctl";
	sovctl_getopt_init(&g, &top_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case OPT_SOCKET:
			sovctl_socket = g.arg;
			break;
		case OPT_VERSION:
			return print_version();
		case SOVCTL_OPT_HELP:
			top_help(stdout);
			return SOVCTL_OK;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (optind >= argc) {
		top_help(stderr);
		return SOVCTL_USAGE;
	}
	return dispatch(argc - optind, argv + optind);
}
