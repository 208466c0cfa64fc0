/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sovctl lineage (cmd_lineage.c) and its OpenLineage export (lineage_ol.c):
 * the verified taint, derive and egress records of a journal, loaded once
 * (docs/lineage.md).
 */
#ifndef SOVCTL_LINEAGE_H
#define SOVCTL_LINEAGE_H

#include <stddef.h>
#include <stdint.h>
#include "agent/journal/journal.h"

enum { LREC_TAINT, LREC_DERIVE, LREC_EGRESS };

struct lsource {
	char *path;
	uint64_t dev, ino;
};

struct lrec {
	int type;			/* LREC_* */
	uint64_t seq;
	int64_t t_ns;
	char *time, *host, *boot;
	int64_t pid;
	char *comm, *exe;
	char **classes;
	int nclasses;
	/* taint, derive */
	char *path;
	uint64_t dev, ino;
	/* derive (issue 17): sources known to sovd; has_sources 0 for a
	 * record written before them */
	int has_sources;
	struct lsource *src;
	int nsrc;
	uint64_t dropped;
	char *cmdline_sha256;		/* NULL: not recorded */
	int has_gen;
	uint32_t gen;			/* the inode's generation, when recorded */
	/* egress */
	char *dst, *proto, *zone, *verdict, *hook;
	uint64_t dport;
	char **violated;
	int nviolated;
	int agg;			/* an aggregate of allowed flows */
	uint64_t flows;			/* flows the record stands for */
};

struct lineage {
	struct lrec *r;
	size_t n, cap;
	int64_t since, until;		/* INT64_MIN / INT64_MAX: open */
	/* what verified */
	char origin[256];
	uint64_t tree_size;		/* the checkpoint that signs the records */
	int is_export;
	uint64_t records;		/* records read (all types) */
};

/* Reads and verifies PATH (sovctl_journal_read_verified()) into l: the
 * taint, derive and egress records in [since, until). SOVCTL_* status. */
struct sovctl_cmd;
struct sovctl_jread;
int lineage_load(struct lineage *l, const struct sovctl_cmd *cmd, const char *path,
		 const struct sovctl_jread *o);
void lineage_free(struct lineage *l);

int lrec_has_class(const struct lrec *r, const char *c);
/* the same process: boot, pid and executable */
int lrec_same_proc(const struct lrec *a, const struct lrec *b);
/* The host's name from a journal origin "sovd.NAME/ID", else the record's
 * host id. */
const char *lineage_host(const struct lineage *l, char *buf, size_t len);

/* lineage export --openlineage (lineage_ol.c). class may be NULL; url
 * NULL: NDJSON to out. SOVCTL_* status. */
#include <stdio.h>
int lineage_openlineage(const struct lineage *l, const char *class, FILE *out, const char *url,
			const char *facet_url);

#endif
