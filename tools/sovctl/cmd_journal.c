/* SPDX-License-Identifier: Apache-2.0 */
/* Scaffolding: replaced by the real command family. */
#include <stdio.h>
#include "tools/sovctl/sovctl.h"
int cmd_journal(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "sovctl: 'journal' is not built yet\n");
	return SOVCTL_USAGE;
}
