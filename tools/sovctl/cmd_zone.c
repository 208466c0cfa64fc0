/* SPDX-License-Identifier: Apache-2.0 */
/* Scaffolding: replaced by the real command family. */
#include <stdio.h>
#include "tools/sovctl/sovctl.h"
int cmd_zone(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "sovctl: 'zone' is not built yet\n");
	return SOVCTL_USAGE;
}
