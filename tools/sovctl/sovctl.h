/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SOVCTL_H
#define SOVCTL_H

/* Exit status contract: 0 success, 1 the thing checked is bad, 2 usage/env. */
#define SOVCTL_OK	0
#define SOVCTL_BAD	1
#define SOVCTL_USAGE	2

#define SOVD_DEFAULT_SOCKET	"/run/sovd/sovd.sock"
#define SOVD_DEFAULT_JOURNAL	"/var/lib/sovd/journal"

/* Each command family lives in its own file: cmd_<family>.c.
 * argv[0] is the family name ("policy", "journal", ...). */
int cmd_policy(int argc, char **argv);
int cmd_zone(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_journal(int argc, char **argv);
/* status, watch, policy apply: talk to a running sovd over its socket. */
int cmd_status(const char *sock, int argc, char **argv);
int cmd_watch(const char *sock, int argc, char **argv);
int cmd_apply(const char *sock, int argc, char **argv);

#endif
