// SPDX-License-Identifier: Apache-2.0
/* sovctl keygen --out PREFIX [--name NAME]: the journal's Ed25519 key pair. */
#include <stdio.h>
#include <string.h>
#include "agent/journal/journal.h"
#include "tools/sovctl/sovctl.h"

static void usage(FILE *o)
{
	fprintf(o, "usage: sovctl keygen --out PREFIX [--name NAME]\n"
		   "  writes PREFIX.key (private, mode 0600) and PREFIX.pub (public) in the\n"
		   "  signed-note key format; NAME (default sovd.<hostname>) names the key in\n"
		   "  checkpoint signatures\n");
}

int cmd_keygen(int argc, char **argv)
{
	const char *prefix = NULL, *name = NULL;
	char err[512];
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			prefix = argv[++i];
		} else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return SOVCTL_OK;
		} else {
			fprintf(stderr, "sovctl keygen: unexpected argument %s\n", argv[i]);
			usage(stderr);
			return SOVCTL_USAGE;
		}
	}
	if (!prefix) {
		usage(stderr);
		return SOVCTL_USAGE;
	}
	ret = sov_journal_keygen(prefix, name, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "sovctl keygen: %s\n", err);
		return SOVCTL_USAGE;
	}
	printf("wrote %s.key (private, 0600) and %s.pub\n", prefix, prefix);
	return SOVCTL_OK;
}
