/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>
#include "tools/sovctl/sovctl.h"

static void usage(FILE *o)
{
	fprintf(o,
"usage: sovctl [--socket PATH] status [-o text|json]\n"
"       sovctl [--socket PATH] watch [-o compact|json] [--type T] [--verdict V] [--class C]\n"
"       sovctl [--socket PATH] policy apply FILE\n"
"       sovctl policy check FILE...\n"
"       sovctl policy compile FILE [-o text|json] [--locdb PATH]\n"
"       sovctl keygen --out PREFIX [--name NAME]\n"
"       sovctl journal verify PATH [--pubkey FILE] [--checkpoint FILE...]\n"
"       sovctl journal export --journal DIR --out FILE [--since TIME] [--until TIME] [--checkpoint FILE...]\n"
"       sovctl journal show PATH [-o text|json]\n"
"       sovctl zone lookup --policy FILE [--locdb PATH] ADDR...\n");
}

int main(int argc, char **argv)
{
	const char *sock = SOVD_DEFAULT_SOCKET;
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			sock = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--socket=", 9)) {
			sock = argv[i] + 9;
			i++;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return SOVCTL_OK;
		} else {
			fprintf(stderr, "sovctl: unknown option %s\n", argv[i]);
			usage(stderr);
			return SOVCTL_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return SOVCTL_USAGE;
	}
	argc -= i;
	argv += i;

	if (!strcmp(argv[0], "policy")) {
		if (argc >= 2 && !strcmp(argv[1], "apply"))
			return cmd_apply(sock, argc - 1, argv + 1);
		return cmd_policy(argc, argv);
	}
	if (!strcmp(argv[0], "status"))
		return cmd_status(sock, argc, argv);
	if (!strcmp(argv[0], "watch"))
		return cmd_watch(sock, argc, argv);
	if (!strcmp(argv[0], "zone"))
		return cmd_zone(argc, argv);
	if (!strcmp(argv[0], "keygen"))
		return cmd_keygen(argc, argv);
	if (!strcmp(argv[0], "journal"))
		return cmd_journal(argc, argv);
	fprintf(stderr, "sovctl: unknown command %s\n", argv[0]);
	usage(stderr);
	return SOVCTL_USAGE;
}
