/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SOVCTL_H
#define SOVCTL_H

#include <getopt.h>
#include <stdio.h>

/* Exit status contract: 0 success (and --help), 1 the thing checked is bad,
 * 2 usage or environment error. */
#define SOVCTL_OK	0
#define SOVCTL_BAD	1
#define SOVCTL_USAGE	2

#define SOVD_DEFAULT_SOCKET	"/run/sovd/sovd.sock"
#define SOVD_DEFAULT_JOURNAL	"/var/lib/sovd/journal"

/* sovd's socket, set by the global --socket option. */
extern const char *sovctl_socket;

/*
 * A command is described once, by a table: the parser (getopt_long), the
 * synopsis and the --help text are all generated from it, so they cannot
 * drift apart. -h/--help is added to every table.
 */
#define SOVCTL_OPT_REQUIRED	0x1	/* the command refuses to run without it */
#define SOVCTL_OPT_REPEAT	0x2	/* may be given more than once */

/* Keys of long-only options start here; a short option's key is its letter. */
#define SOVCTL_LONG_ONLY	256

struct sovctl_opt {
	const char *name;	/* long name, without "--"; NULL ends the table */
	int key;
	const char *arg;	/* metavariable; NULL: the option takes no argument */
	const char *help;	/* may hold '\n' for further lines */
	unsigned int flags;
};

#define SOVCTL_CMD_SOCKET	0x1	/* talks to sovd: [--socket PATH] in the synopsis */
#define SOVCTL_CMD_IN_ORDER	0x2	/* operands come back in place (getopt's "-") */
#define SOVCTL_CMD_STOP		0x4	/* options end at the first operand (getopt's "+") */

struct sovctl_cmd {
	const char *name;	/* as typed: "status", "journal verify" */
	const char *operands;	/* "PATH", "FILE...", or NULL */
	const char *about;	/* one line for --help */
	const char *notes;	/* further text for --help, or NULL */
	const struct sovctl_opt *opts;
	unsigned int flags;
	/* argv[0] is the command's name with "sovctl " in front */
	int (*run)(int argc, char **argv);
};

/* Every command and family, in the order --help lists them (main.c). */
extern const struct sovctl_cmd sovctl_status_cmd, sovctl_watch_cmd, sovctl_policy_check_cmd,
	sovctl_policy_compile_cmd, sovctl_policy_schema_cmd, sovctl_policy_test_cmd, sovctl_policy_explain_cmd, sovctl_policy_diff_cmd, sovctl_policy_apply_cmd, sovctl_keygen_cmd,
	sovctl_journal_verify_cmd, sovctl_journal_export_cmd, sovctl_journal_show_cmd,
	sovctl_journal_checkpoint_cmd, sovctl_journal_cosign_cmd,
	sovctl_zone_lookup_cmd, sovctl_completion_cmd;
/* cmd_lineage.c */
extern const struct sovctl_cmd sovctl_lineage_cmd, sovctl_lineage_export_cmd;
/* cmd_prune.c */
extern const struct sovctl_cmd sovctl_journal_prune_cmd;
struct sov_verify_report;
struct sov_export_report;
void sovctl_prune_verify_note(const struct sov_verify_report *r);
void sovctl_prune_verify_json(const struct sov_verify_report *r);
void sovctl_prune_export_note(const struct sov_export_report *r);

#define SOVCTL_MAX_OPTS	15

/* What sovctl_getopt_next() returns besides an option's key. */
#define SOVCTL_OPT_END		(-1)	/* no more options: operands are at argv[optind] */
#define SOVCTL_OPT_HELP		(-2)
#define SOVCTL_OPT_ERROR	(-3)	/* the cause is printed already */
#define SOVCTL_OPT_OPERAND	(-4)	/* SOVCTL_CMD_IN_ORDER only: g->arg is the operand */

struct sovctl_getopt {
	const struct sovctl_cmd *cmd;
	int argc;
	char **argv;
	char *arg;		/* the argument of the option just returned */
	unsigned int seen;	/* bit i: opts[i] was given */
	int done;
	struct option lo[SOVCTL_MAX_OPTS + 2];
	char shorts[3 * SOVCTL_MAX_OPTS + 8];
};

void sovctl_getopt_init(struct sovctl_getopt *g, const struct sovctl_cmd *cmd, int argc,
			char **argv);
int sovctl_getopt_next(struct sovctl_getopt *g);
/* For SOVCTL_OPT_HELP or _ERROR: prints the usage where it belongs and returns
 * the exit status (0 for help, 2 otherwise). */
int sovctl_getopt_exit(const struct sovctl_getopt *g, int c);
/* Prints "sovctl CMD: message" and the usage on stderr; returns 2. */
int sovctl_usage_error(const struct sovctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* policy diff OLD NEW (cmd_pdiff.c), also for policy apply --dry-run:
 * prints the changes; returns 0 (same decisions), 1 (they differ), 2. */
int sovctl_policy_diff_files(const char *old, const char *new, const char *locdb,
			     size_t limit);

/* Every command, in --help's order, and the top level (main.c): for
 * sovctl completion. */
const struct sovctl_cmd *const *sovctl_commands(size_t *n);
const struct sovctl_cmd *sovctl_top_command(void);

/*
 * Reading a journal directory or export file the way `journal show` does
 * (cmd_journal.c): verified first (a directory being written tolerated),
 * then fn is called for each record a checkpoint authenticates (of an
 * export: all), in order; problems are said on stderr as "sovctl CMD: ...".
 * noverify: no verification (said on stderr); noverify_hint: the messages
 * mention --no-verify. Returns SOVCTL_OK, SOVCTL_BAD (invalid: fn was never
 * called) or SOVCTL_USAGE; *r is the verification's report.
 */
struct sov_journal_entry;
struct sovctl_jread {
	const char *pubkey;
	int insecure, noverify, noverify_hint;
	const char **ck, **wit;		/* --checkpoint, --witness files */
	int nck, nwit, need;		/* need: --witnesses (checked) */
};
int sovctl_journal_read_verified(const struct sovctl_cmd *cmd, const char *path,
				 const struct sovctl_jread *o,
				 int (*fn)(const struct sov_journal_entry *e, void *ctx), void *ctx,
				 struct sov_verify_report *r);
/* --witnesses N (-1 and a usage message when bad), and the checks journal
 * verify makes on --checkpoint/--witness/--witnesses (0 or the exit status). */
int sovctl_parse_witnesses(const struct sovctl_cmd *cmd, const char *arg);
int sovctl_check_witness_args(const struct sovctl_cmd *cmd, int nck, int nwit, int *need);

/* The full --help text of a command. */
void sovctl_help(const struct sovctl_cmd *cmd, FILE *o);
/* The synopsis alone, each line starting with lead (the first) or spaces. */
void sovctl_synopsis(const struct sovctl_cmd *cmd, FILE *o, const char *lead);

#endif
