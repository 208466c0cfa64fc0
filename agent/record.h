/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one record type of the event pipeline (docs/events.md). A kernel
 * event (struct sov_event) and each of sovd's own events (agent, policy,
 * loss, start-up taint) is decoded once into a struct sovd_event; the
 * NDJSON line (events file, `sovctl watch`) and the journal record are
 * renderings of it, done by the sinks main registers (struct sovd_sink).
 */
#ifndef SOVD_RECORD_H
#define SOVD_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "sov/abi.h"

/*
 * What the renderings need of the policy in force, resolved once per
 * policy (lifecycle.c), not per record.
 */
struct sovd_policy_view {
	const char *sha256;			/* hex */
	const char *jdata;			/* the jurisdiction data behind the zones */
	const char *class_name[SOV_MAX_CLASSES];	/* by bit; NULL: none */
	const struct sov_policy_image *img;	/* zone names */
	uint32_t generation;			/* the policy generation it names */
};

struct sovd_event {
	const char *type;		/* taint derive egress agent policy loss */
	int64_t wall_ns, boot_ns;
	uint32_t pid, tid, uid;
	char comm[32];
	const char *exe;		/* "" if unknown */
	const char *cgroup;
	const char *host;
	uint64_t classes;		/* class bits; names from the view */
	/* taint, derive */
	int has_object;
	const char *path;
	uint64_t dev, ino;
	/* egress */
	int has_dst;
	const char *verdict, *proto, *dst, *zone, *hook;
	uint32_t dport;
	uint64_t violated;
	/* egress of a channel not judged by destination (raw, ping, packet,
	 * xdp, other protocols): the socket as socket() made it */
	int has_channel;
	uint32_t sock_family, sock_type, sock_protocol;
	/* egress of an RDMA device (issue 10): its number, major << 20 | minor */
	int has_device;
	uint32_t device;
	/* egress, aggregate of allowed flows (issue 14, agent/flows.c): the
	 * flows counted after the key's previous record, in the window from
	 * agg_first_wall_ns (that record's time) to agg_last_wall_ns (the
	 * latest flow); also rendered into body (count, first, last) */
	int has_agg;
	uint64_t agg_count;
	int64_t agg_first_wall_ns, agg_last_wall_ns;
	/* agent, policy, loss: the event's own fields, a JSON object body
	 * without braces (may be "") */
	const char *body;
	/* the journal record's seq, set by the journal sink */
	int has_seq;
	uint64_t seq;
	const struct sovd_policy_view *policy;
	/* the NDJSON line, once rendered (ndjson_line) */
	const char *line;
	size_t line_len;
};

/*
 * A sink takes every record, in the order sinks were added. The journal
 * sink comes first: it stamps seq, which the others render.
 */
struct sovd_sink {
	const char *name;
	void (*emit)(void *ctx, struct sovd_event *ev);
	void (*flush)(void *ctx);	/* may be NULL: after a batch */
	void *ctx;
};

#endif
