/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovctl policy check FILE...
 * sovctl policy compile FILE [-o text|json] [--locdb PATH]
 * (policy apply talks to sovd and lives with the other socket commands.)
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "tools/sovctl/sovctl.h"

static void policy_usage(FILE *o)
{
	fprintf(o, "usage: sovctl policy check FILE...\n"
		   "       sovctl policy compile FILE [-o text|json] [--locdb PATH]\n");
}

static int policy_check(int argc, char **argv)
{
	int i, bad = 0;

	if (argc < 1) {
		policy_usage(stderr);
		return SOVCTL_USAGE;
	}
	for (i = 0; i < argc; i++) {
		struct sov_policy_image *img = NULL;
		struct sov_diags d;

		sov_diags_init(&d);
		sov_policy_compile_file(argv[i], NULL, &img, &d);
		sov_diags_print(&d, stderr);
		if (img) {
			printf("%s: ok (%zu classes, %zu zones, %zu IPv4 and %zu IPv6 prefixes)\n",
			       argv[i], img->n_classes, img->n_zones - 1, img->n_v4,
			       img->n_v6);
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

static int policy_compile(int argc, char **argv)
{
	struct sov_policy_image *img = NULL;
	const char *file = NULL, *fmt = "text";
	struct sov_policy_opts po = {};
	struct sov_diags d;
	int i, err, ret;

	for (i = 0; i < argc; i++) {
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) {
			fmt = argv[++i];
		} else if (!strncmp(argv[i], "--output=", 9)) {
			fmt = argv[i] + 9;
		} else if (!strcmp(argv[i], "--locdb") && i + 1 < argc) {
			po.locdb_path = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "sovctl: unknown option %s\n", argv[i]);
			policy_usage(stderr);
			return SOVCTL_USAGE;
		} else if (!file) {
			file = argv[i];
		} else {
			fprintf(stderr, "sovctl: policy compile takes one FILE\n");
			policy_usage(stderr);
			return SOVCTL_USAGE;
		}
	}
	if (!file || (strcmp(fmt, "text") && strcmp(fmt, "json"))) {
		if (file)
			fprintf(stderr, "sovctl: unknown output format '%s' (text or json)\n", fmt);
		policy_usage(stderr);
		return SOVCTL_USAGE;
	}
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

int cmd_policy(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		policy_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? SOVCTL_USAGE : SOVCTL_OK;
	}
	if (!strcmp(argv[1], "check"))
		return policy_check(argc - 2, argv + 2);
	if (!strcmp(argv[1], "compile"))
		return policy_compile(argc - 2, argv + 2);
	fprintf(stderr, "sovctl: unknown policy command '%s'\n", argv[1]);
	policy_usage(stderr);
	return SOVCTL_USAGE;
}
