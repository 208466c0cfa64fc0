/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The event pipeline: decodes each kernel event and each of sovd's own
 * events once into a struct sovd_event and hands it to the sinks main
 * registered. It calls no sink by name.
 */
#ifndef SOVD_PIPELINE_H
#define SOVD_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "agent/record.h"

#define PIPELINE_MAX_SINKS 12	/* 5 of sovd's own, up to 4 syslog targets (issue 16) */

struct sov_map_fds;

struct pipeline {
	struct sovd_sink sinks[PIPELINE_MAX_SINKS];
	size_t n_sinks;
	const struct sovd_policy_view *policy;
	int64_t boot_to_real_ns;
	uint64_t lost_reported;		/* kernel-lost events already reported */
	/* Tracing path: nothing in the kernel sees an RDMA device held since
	 * before the taint; a taint event is followed by an audit event per
	 * such device (issue 10). */
	int report_held_rdma;
	/* the 5.10 build: complete its bounded fd walk from /proc on each
	 * taint event (mapscan_derive_fds()) */
	int scan_fds;
	/* Both paths: a taint event is followed by the derivation of the
	 * files the process maps shared and writable (mapscan.h). */
	const struct sov_map_fds *maps;
};

void pipeline_init(struct pipeline *p);
int pipeline_add_sink(struct pipeline *p, const struct sovd_sink *s);
void pipeline_set_policy(struct pipeline *p, const struct sovd_policy_view *v);
/* The ring buffer's callback: ctx is the pipeline. */
int pipeline_kernel_event(void *ctx, void *data, size_t len);
/* After a batch of events: sinks write out what they buffered. */
void pipeline_flush(struct pipeline *p);
/* One of sovd's own events (agent, policy, loss): body is the part after
 * the common fields, a JSON object's members without braces, may be "". */
void pipeline_emit_own(struct pipeline *p, const char *type, const char *body);
/* A taint or derive ('type') found by sovd itself, not by the kernel. */
void pipeline_emit_file_user(struct pipeline *p, const char *type, pid_t pid,
			     uint64_t classes, const char *path, uint64_t dev, uint64_t ino);
/* A process found holding a labelled file at start-up. */
void pipeline_emit_taint_user(struct pipeline *p, pid_t pid, uint64_t classes,
			      const char *path, uint64_t dev, uint64_t ino);
/*
 * An aggregate of allowed flows (agent/flows.c): count flows of key k after
 * its previous record, from first_ns to last_ns (boot clock). named: k's
 * generation is the view's, whose zone names apply.
 */
struct sov_flow_key;
struct sov_flow;
void pipeline_emit_flow(struct pipeline *p, const struct sov_flow_key *k,
			const struct sov_flow *v, uint64_t count, uint64_t first_ns,
			uint64_t last_ns, int named);
/* Kernel events dropped because the ring buffer was full are never silent:
 * each increase of the kernel's lost counter becomes a loss event. */
void pipeline_check_loss(struct pipeline *p, uint64_t lost_total);

#endif
