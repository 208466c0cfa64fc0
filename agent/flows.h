/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Aggregates of allowed egress flows (issue 14): the kernel counts an
 * allowed flow whose key (process, zone, class set, policy, hook, proto)
 * already had its first flow reported (bpf/egress.bpf.h egress_aggregate(),
 * abi.h struct sov_flow_key); sovd turns what each key counted since its
 * last record into one aggregate egress record, every FLOWS_INTERVAL_MS
 * and at a policy switch and at stop.
 */
#ifndef SOVD_FLOWS_H
#define SOVD_FLOWS_H

#include <stdint.h>
#include "sov/abi.h"

/* docs/architecture.md, "Aggregated allowed flows": why one second */
#define FLOWS_INTERVAL_MS	1000
/* Keys of gone processes are removed at every such flush (a syscall per
 * key: sov_taint's entry); their counts are reported at every flush. */
#define FLOWS_GONE_EVERY	10

struct pipeline;

struct flows {
	int map_fd;		/* sov_flows: the kernel's counts */
	int seen_fd;		/* sov_flows_seen: what sovd reported of each key */
	int taint_fd;		/* sov_taint: is a key's process still alive */
	uint64_t aggregated;	/* flows reported in aggregate records */
	uint64_t records;	/* aggregate records */
	uint64_t keys_seen;	/* keys in the map at the last flush */
	uint32_t gone_every;	/* 0: FLOWS_GONE_EVERY */
	uint32_t flushes;
	/* one flush's copy of both maps */
	struct sov_flow_key *keys, *skeys;
	struct sov_flow *vals;
	struct sov_flow_seen *svals;
	uint32_t cap, scap;
};

/*
 * The window of an aggregate: what the kernel counted of a key (v) beyond
 * what sovd already reported (s). Returns the flows to report (0: none)
 * and sets *first_ns, *last_ns (boot clock) to the window: from the key's
 * previous record (s->last_ns) to its latest flow, never backwards.
 */
uint64_t flows_window(const struct sov_flow *v, const struct sov_flow_seen *s,
		      uint64_t *first_ns, uint64_t *last_ns);

/*
 * Reports every key whose count grew as one aggregate record; keys of a
 * policy generation other than p's view are reported only with
 * any_generation. Every FLOWS_GONE_EVERY flushes (the first included),
 * removes the keys whose process is gone, once reported.
 * 0, or a negative errno when the map could not be read.
 */
int flows_flush(struct flows *f, struct pipeline *p, int any_generation);
void flows_free(struct flows *f);

#endif
