/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Self-audit (issue 12): every --audit-interval seconds from the loop's tick
 * and on each status request, sovd checks that its links are still attached
 * where it put them (and pinned under PIN_DIR/links with the same link id),
 * that they run its own programs (id and tag recorded at attach), that no
 * foreign program sits on the cgroup hooks it uses, and that the policy maps
 * hold what it wrote (an order-independent hash recorded after each write).
 * A new difference is a `tamper` event (journaled like sovd's other own
 * events), counts in sovd_tamper_total, and shows in the status; what can be
 * repaired (a pin, a detached cgroup link, the policy maps) is, and the event
 * says so.
 */
#ifndef SOVD_SELFAUDIT_H
#define SOVD_SELFAUDIT_H

#include <stddef.h>
#include <stdint.h>

struct kpath;
struct policy_life;
struct policy_maps;
struct pipeline;
struct jbuf;

#define SELFAUDIT_MAPS		7	/* config, zone4_0/1, zone6_0/1, zone_rules, classes */
#define SELFAUDIT_FINDINGS	4096

struct selfaudit_link {
	uint32_t link_id, prog_id, type, attach_type;
	uint64_t cgroup_id;		/* cgroup links: the scope cgroup */
	uint8_t tag[8];			/* the program's tag */
	char prog_name[16];		/* the program's name (BPF_OBJ_NAME_LEN) */
	int scope;			/* index of the scope cgroup, -1: not a cgroup link */
};

struct selfaudit {
	struct kpath *kp;
	struct policy_life *life;
	struct policy_maps *pm;
	struct pipeline *pipe;
	unsigned interval_s;
	struct selfaudit_link *links;
	size_t n_links;
	uint64_t map_hash[SELFAUDIT_MAPS];
	uint32_t active;		/* the zone tables' half sovd put in force */
	int recorded;			/* links and maps recorded */
	int64_t last_check_ns;		/* CLOCK_REALTIME of the last audit; 0: none */
	int64_t last_ok_ns;		/* of the last audit that found nothing */
	int64_t last_check_mono_ms, last_ok_mono_ms;
	int64_t last_finding_mono_ms;	/* of the last audit that found something */
	int ok;				/* the last audit found nothing */
	uint64_t tamper_total;		/* tamper events emitted */
	uint64_t audits;
	/* Programs on sovd's cgroup hooks named as sovd's own there: another
	 * sovd (a test, an upgrade); counted, not findings. */
	uint64_t other_sovd_progs;
	/* The last audit's findings: a JSON array's elements, and the keys
	 * of those reported already (a lasting finding is one event). */
	char findings[SELFAUDIT_FINDINGS];
	char reported[SELFAUDIT_FINDINGS];
};

/* After attach: records sovd's links, programs and the policy maps. */
int selfaudit_record(struct selfaudit *a);
/* After each policy write by sovd (apply, SIGHUP, repair). */
void selfaudit_record_maps(struct selfaudit *a);
/* One audit; returns the number of findings (0: all as recorded). */
int selfaudit_run(struct selfaudit *a);
/* "enforcing" when the last audit passed within the interval, else
 * "tampered" (the last audit found something), "repaired" (it passed, but
 * one within the last interval found what sovd repaired), "audit-stale". */
const char *selfaudit_state(const struct selfaudit *a);
/* ,"audit":{...} into a status document. */
void selfaudit_status_json(const struct selfaudit *a, struct jbuf *b);
void selfaudit_free(struct selfaudit *a);

#endif
