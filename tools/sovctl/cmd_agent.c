/* SPDX-License-Identifier: Apache-2.0 */
/* Scaffolding: replaced by the local API client. */
#include <stdio.h>
#include "tools/sovctl/sovctl.h"
int cmd_status(const char *s, int c, char **v) { (void)s; (void)c; (void)v; fprintf(stderr, "sovctl: status not built yet\n"); return SOVCTL_USAGE; }
int cmd_watch(const char *s, int c, char **v) { (void)s; (void)c; (void)v; fprintf(stderr, "sovctl: watch not built yet\n"); return SOVCTL_USAGE; }
int cmd_apply(const char *s, int c, char **v) { (void)s; (void)c; (void)v; fprintf(stderr, "sovctl: apply not built yet\n"); return SOVCTL_USAGE; }
