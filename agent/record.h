/* SPDX-License-Identifier: Apache-2.0 */
/* One decision or agent event, as handed to the journal. */
#ifndef SOVD_RECORD_H
#define SOVD_RECORD_H

#include <stdint.h>

struct sovd;

struct sov_rec {
	const char *type;
	int64_t wall_ns, boot_ns;
	uint32_t pid, tid, uid;
	char comm[32];
	const char *cgroup;
	uint64_t classes;
	int has_object;
	const char *path;
	uint64_t dev, ino;
	int has_dst;
	const char *verdict, *proto, *dst, *zone;
	uint32_t dport;
	uint64_t violated;
	const char *detail;	/* agent/policy/loss: the event's JSON body */
};

/* Appends r to the journal, if one is open. Failures are counted, said
 * loudly once, and stop the journal (see journal.c). */
void record_journal(struct sovd *d, const struct sov_rec *r);

#endif
