/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovctl zone lookup --policy FILE [--locdb PATH] ADDR...
 * Prints "ADDR ZONE" per address, answered from the compiled tables exactly
 * as the kernel's LPM tries answer (IPv4-mapped IPv6 looks up as IPv4).
 * --locdb overrides the location database, as sovd --locdb does.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "tools/sovctl/sovctl.h"

struct addr {
	int family;
	unsigned char a[16];
};

static void zone_usage(FILE *o)
{
	fprintf(o, "usage: sovctl zone lookup --policy FILE [--locdb PATH] ADDR...\n");
}

static int zone_lookup(int argc, char **argv)
{
	struct sov_policy_image *img = NULL;
	struct sov_policy_opts opts = { 0 };
	const char *policy = NULL;
	struct addr *addrs = NULL;
	char **names = NULL;
	struct sov_diags d;
	int i, n = 0, ret;

	sov_diags_init(&d);
	addrs = calloc((size_t)argc + 1, sizeof(*addrs));
	names = calloc((size_t)argc + 1, sizeof(*names));
	if (!addrs || !names) {
		fprintf(stderr, "sovctl: failed to allocate memory\n");
		ret = SOVCTL_USAGE;
		goto cleanup;
	}
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			policy = argv[++i];
		} else if (!strncmp(argv[i], "--policy=", 9)) {
			policy = argv[i] + 9;
		} else if (!strcmp(argv[i], "--locdb") && i + 1 < argc) {
			opts.locdb_path = argv[++i];
		} else if (!strncmp(argv[i], "--locdb=", 8)) {
			opts.locdb_path = argv[i] + 8;
		} else if (argv[i][0] == '-' && strchr(argv[i], ':') == NULL) {
			fprintf(stderr, "sovctl: unknown option %s\n", argv[i]);
			zone_usage(stderr);
			ret = SOVCTL_USAGE;
			goto cleanup;
		} else if (inet_pton(AF_INET, argv[i], addrs[n].a) == 1) {
			addrs[n].family = AF_INET;
			names[n++] = argv[i];
		} else if (inet_pton(AF_INET6, argv[i], addrs[n].a) == 1) {
			addrs[n].family = AF_INET6;
			names[n++] = argv[i];
		} else {
			fprintf(stderr, "sovctl: '%s' is not an IPv4 or IPv6 address\n", argv[i]);
			ret = SOVCTL_USAGE;
			goto cleanup;
		}
	}
	if (!policy || !n) {
		zone_usage(stderr);
		ret = SOVCTL_USAGE;
		goto cleanup;
	}
	sov_policy_compile_file(policy, &opts, &img, &d);
	/* Warnings (paths not there yet) do not concern a lookup. */
	if (!img) {
		sov_diags_print(&d, stderr);
		fprintf(stderr, "%s: invalid policy (%zu error%s)\n", policy, d.n_errors,
			d.n_errors == 1 ? "" : "s");
		ret = SOVCTL_BAD;
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		printf("%s %s\n", names[i],
		       sov_policy_zone_name(img, sov_policy_zone_of(img, addrs[i].family,
								    addrs[i].a)));
	ret = fflush(stdout) ? SOVCTL_USAGE : SOVCTL_OK;
cleanup:
	sov_policy_free(img);
	sov_diags_free(&d);
	free(names);
	free(addrs);
	return ret;
}

int cmd_zone(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		zone_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? SOVCTL_USAGE : SOVCTL_OK;
	}
	if (!strcmp(argv[1], "lookup"))
		return zone_lookup(argc - 2, argv + 2);
	fprintf(stderr, "sovctl: unknown zone command '%s'\n", argv[1]);
	zone_usage(stderr);
	return SOVCTL_USAGE;
}
