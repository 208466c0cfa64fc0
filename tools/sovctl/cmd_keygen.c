// SPDX-License-Identifier: Apache-2.0
/* sovctl keygen: the journal's Ed25519 key pair, or a witness's. Calls
 * sov_journal_keygen_ex (agent/journal/writer.c); called by main.c. */
#include <stdio.h>
#include <string.h>
#include "agent/journal/journal.h"
#include "tools/sovctl/sovctl.h"

static int keygen_run(int argc, char **argv);

enum { OPT_OUT = SOVCTL_LONG_ONLY, OPT_NAME, OPT_WITNESS };

static const struct sovctl_opt keygen_opts[] = {
	{ "out", OPT_OUT, "PREFIX", "write PREFIX.key (private, mode 0600) and PREFIX.pub",
	  SOVCTL_OPT_REQUIRED },
	{ "name", OPT_NAME, "NAME", "the key's name in checkpoint signatures: UTF-8,\n"
	  "no spaces, no '+' (default: the journal's origin,\n"
	  "sovd.<hostname>/<machine-id>; witness.<hostname>\n"
	  "with --witness)", 0 },
	{ "witness", OPT_WITNESS, NULL, "a witness's key (C2SP tlog-cosignature, type 0x04),\n"
	  "for sovctl journal cosign", 0 },
	{ NULL, 0, NULL, NULL, 0 }
};

const struct sovctl_cmd sovctl_keygen_cmd = {
	.name = "keygen",
	.about = "Make the journal's Ed25519 key pair, in the signed-note key format.",
	.opts = keygen_opts,
	.run = keygen_run,
};

static int keygen_run(int argc, char **argv)
{
	const char *prefix = NULL, *name = NULL;
	struct sovctl_getopt g;
	unsigned int flags = 0;
	char err[512];
	int c, ret;

	sovctl_getopt_init(&g, &sovctl_keygen_cmd, argc, argv);
	while ((c = sovctl_getopt_next(&g)) != SOVCTL_OPT_END) {
		switch (c) {
		case OPT_OUT:
			prefix = g.arg;
			break;
		case OPT_NAME:
			name = g.arg;
			break;
		case OPT_WITNESS:
			flags |= SOV_KEYGEN_WITNESS;
			break;
		default:
			return sovctl_getopt_exit(&g, c);
		}
	}
	if (optind < argc)
		return sovctl_usage_error(&sovctl_keygen_cmd, "unexpected argument '%s'",
					  argv[optind]);
	ret = sov_journal_keygen_ex(prefix, name, flags, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "sovctl keygen: %s\n", err);
		return SOVCTL_USAGE;
	}
	printf("wrote %s%s.key (private, 0600) and %s.pub\n",
	       flags & SOV_KEYGEN_WITNESS ? "witness key " : "", prefix, prefix);
	return SOVCTL_OK;
}
