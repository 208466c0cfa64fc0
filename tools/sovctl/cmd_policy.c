/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovctl policy check | compile | schema: offline, from the policy library.
 * (policy apply talks to sovd and lives with the other socket commands.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "tools/sovctl/sovctl.h"

static int check_run(int argc, char **argv);
static int compile_run(int argc, char **argv);
static int schema_run(int argc, char **argv);

#include "policy_schema.h"	/* policy/schema.json as bytes (mk/sovctl.mk) */

enum { OPT_STRICT = SOVCTL_LONG_ONLY, OPT_OFFLINE, OPT_MAX_AGE, OPT_CHECK_LOCDB };

static const struct sovctl_opt check_opts[] = {
	{ "strict", OPT_STRICT, NULL, "warnings (lints included) make a policy invalid", 0 },
	{ "offline", OPT_OFFLINE, NULL,
	  "do not check that class paths exist\n(a machine without the data)", 0 },
	{ "max-age", OPT_MAX_AGE, "DAYS",
	  "warn about a location database or range file\nolder than DAYS (default 90; 0: never)", 0 },
	{ "locdb", OPT_CHECK_LOCDB, "PATH", "IP location database (default: the policy's locdb:)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_policy_check_cmd = {
	.name = "policy check",
	.operands = "FILE...",
	.about = "Check policy files: FILE:LINE:COL diagnostics on stderr, a summary if good.",
	.notes = "Exits 0 when every FILE is a valid policy, 1 when one is not (or, with\n"
		 "--strict, has a warning).\n",
	.opts = check_opts,
	.run = check_run,
};

enum { OPT_LOCDB = SOVCTL_LONG_ONLY };

static const struct sovctl_opt compile_opts[] = {
	{ "output", 'o', "text|json", "the compiled tables as text (default) or JSON", 0 },
	{ "locdb", OPT_LOCDB, "PATH", "IP location database (default: the policy's locdb:)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_policy_compile_cmd = {
	.name = "policy compile",
	.operands = "FILE",
	.about = "Compile FILE and print the tables sovd would load into the kernel.",
	.opts = compile_opts,
	.run = compile_run,
};

static const struct sovctl_opt schema_opts[] = { { NULL, 0, NULL, NULL, 0 } };

const struct sovctl_cmd sovctl_policy_schema_cmd = {
	.name = "policy schema",
	.about = "Print the JSON Schema of the policy language (for editors' YAML servers).",
	.notes = "make install installs the same file as PREFIX/share/sovd/policy.schema.json.\n"
		 "It checks the structure only: 'policy check' also checks prefixes, zone\n"
		 "files, conflicts between zones and the zone names in allow lists.\n",
	.opts = schema_opts,
	.run = schema_run,
};

static int schema_run(int argc, char **argv)
{
	struct sovctl_getopt g;
	int c;

	sovctl_getopt_init(&g, &sovctl_policy_schema_cmd, argc, argv);
	if ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END)
		return sovctl_getopt_exit(&g, c);
	if (optind < argc)
		return sovctl_usage_error(&sovctl_policy_schema_cmd, "takes no operand");
	if (fwrite(policy_schema_json, 1, sizeof(policy_schema_json), stdout) !=
		    sizeof(policy_schema_json) || fflush(stdout)) {
		perror("sovctl: stdout");
		return SOVCTL_USAGE;
	}
	return SOVCTL_OK;
}

static int check_run(int argc, char **argv)
{
	struct sov_policy_opts opts = { .max_age_days = 90 };
	struct sovctl_getopt g;
	int c, i, bad = 0, strict = 0;

	sovctl_getopt_init(&g, &sovctl_policy_check_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		char *end;
		unsigned long v;

		switch (c) {
		case OPT_STRICT:
			strict = 1;
			break;
		case OPT_OFFLINE:
			opts.flags |= SOV_POLICY_F_OFFLINE;
			break;
		case OPT_MAX_AGE:
			errno = 0;
			v = strtoul(g.arg, &end, 10);
			if (errno || end == g.arg || *end || g.arg[0] == '-' || v > 36500)
				return sovctl_usage_error(&sovctl_policy_check_cmd,
							  "--max-age takes a number of days (0 to 36500)");
			opts.max_age_days = (unsigned int)v;
			break;
		case OPT_CHECK_LOCDB:
			opts.locdb_path = g.arg;
			break;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return sovctl_usage_error(&sovctl_policy_check_cmd, "no FILE to check");
	for (i = 0; i < argc; i++) {
		struct sov_policy_image *img = NULL;
		struct sov_diags d;

		sov_diags_init(&d);
		sov_policy_compile_file(argv[i], &opts, &img, &d);
		sov_diags_print(&d, stderr);
		if (img && strict && d.n > d.n_errors) {
			fprintf(stderr, "%s: invalid policy under --strict (%zu warning%s)\n",
				argv[i], d.n - d.n_errors, d.n - d.n_errors == 1 ? "" : "s");
			bad = 1;
		} else if (img) {
			printf("%s: ok (%zu classes, %zu zones, %zu IPv4 and %zu IPv6 prefixes",
			       argv[i], img->n_classes, img->n_zones - 1, img->n_v4,
			       img->n_v6);
			if (img->n_includes)
				printf("; %zu included file%s", img->n_includes,
				       img->n_includes == 1 ? "" : "s");
			printf(")\n");
		} else {
			fprintf(stderr, "%s: invalid policy (%zu error%s)\n", argv[i],
				d.n_errors, d.n_errors == 1 ? "" : "s");
			bad = 1;
		}
		sov_policy_free(img);
		sov_diags_free(&d);
	}
	return bad ? SOVCTL_BAD : SOVCTL_OK;
}

static int compile_run(int argc, char **argv)
{
	struct sov_policy_image *img = NULL;
	const char *file = NULL, *fmt = "text";
	struct sov_policy_opts po = {};
	struct sovctl_getopt g;
	struct sov_diags d;
	int c, err, ret;

	sovctl_getopt_init(&g, &sovctl_policy_compile_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case 'o':
			fmt = g.arg;
			break;
		case OPT_LOCDB:
			po.locdb_path = g.arg;
			break;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (argc - optind != 1)
		return sovctl_usage_error(&sovctl_policy_compile_cmd, "takes one FILE");
	file = argv[optind];
	if (strcmp(fmt, "text") && strcmp(fmt, "json"))
		return sovctl_usage_error(&sovctl_policy_compile_cmd,
					  "unknown output format '%s' (text or json)", fmt);
	sov_diags_init(&d);
	sov_policy_compile_file(file, &po, &img, &d);
	sov_diags_print(&d, stderr);
	if (!img) {
		fprintf(stderr, "%s: invalid policy (%zu error%s)\n", file, d.n_errors,
			d.n_errors == 1 ? "" : "s");
		ret = SOVCTL_BAD;
		goto cleanup;
	}
	err = !strcmp(fmt, "json") ? sov_policy_write_json(img, stdout)
				   : sov_policy_write_text(img, stdout);
	if (!err && fflush(stdout))
		err = -1;
	if (err) {
		fprintf(stderr, "sovctl: failed to write the compiled policy\n");
		ret = SOVCTL_USAGE;
		goto cleanup;
	}
	ret = SOVCTL_OK;
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
	return ret;
}
