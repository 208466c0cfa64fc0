/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovctl zone lookup: prints "ADDR ZONE" per address, answered from the
 * compiled tables exactly as the kernel's LPM tries answer (IPv4-mapped IPv6
 * looks up as IPv4).
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

static int lookup_run(int argc, char **argv);

enum { OPT_POLICY = SOVCTL_LONG_ONLY, OPT_LOCDB };

static const struct sovctl_opt lookup_opts[] = {
	{ "policy", OPT_POLICY, "FILE", "the policy whose zones answer", SOVCTL_OPT_REQUIRED },
	{ "locdb", OPT_LOCDB, "PATH", "IP location database (default: the policy's locdb:)", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_zone_lookup_cmd = {
	.name = "zone lookup",
	.operands = "ADDR...",
	.about = "Print \"ADDR ZONE\" per IPv4 or IPv6 address, answered as the kernel answers.",
	.opts = lookup_opts,
	.run = lookup_run,
};

static int lookup_run(int argc, char **argv)
{
	struct sov_policy_image *img = NULL;
	struct sov_policy_opts opts = { 0 };
	const char *policy = NULL;
	struct addr *addrs = NULL;
	struct sovctl_getopt g;
	char **names = NULL;
	struct sov_diags d;
	int c, i, n = 0, ret;

	sovctl_getopt_init(&g, &sovctl_zone_lookup_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case OPT_POLICY:
			policy = g.arg;
			break;
		case OPT_LOCDB:
			opts.locdb_path = g.arg;
			break;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	argc -= optind;
	argv += optind;
	sov_diags_init(&d);
	addrs = calloc((size_t)argc + 1, sizeof(*addrs));
	names = calloc((size_t)argc + 1, sizeof(*names));
	if (!addrs || !names) {
		fprintf(stderr, "sovctl: failed to allocate memory\n");
		ret = SOVCTL_USAGE;
		goto cleanup;
	}
	for (i = 0; i < argc; i++) {
		if (inet_pton(AF_INET, argv[i], addrs[n].a) == 1) {
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
		ret = sovctl_usage_error(&sovctl_zone_lookup_cmd, "no ADDR to look up");
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
