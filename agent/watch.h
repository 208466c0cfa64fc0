/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `sovctl watch` filters and sovd's ring of recent events (issue 16).
 *
 * A watcher's filter travels in its request line (docs/cli.md, "The watch
 * request"):
 *   watch [KEY=VALUE[,VALUE...]]...
 * each VALUE percent-encoded. The same parser checks the request in sovctl
 * (before it connects) and in sovd (which evaluates the filter before it
 * writes to that watcher), so the two cannot disagree on what is valid.
 * Several values of one key are alternatives; different keys must all
 * match.
 */
#ifndef SOVD_WATCH_H
#define SOVD_WATCH_H

#include <stddef.h>
#include <stdint.h>

/* The filter keys, in the order of the request and of docs/cli.md. */
enum watch_key {
	WK_TYPE, WK_VERDICT, WK_CLASS, WK_ZONE, WK_PID, WK_COMM, WK_DST, WK_PORT,
	WK_CGROUP, WK_POD, WK_FILTERS,		/* the keys that select events */
	WK_SINCE = WK_FILTERS, WK_FOLLOW, WK_MAX
};

#define WATCH_MAX_VALUES	64	/* values in one request, all keys together */
#define WATCH_VALUE_MAX		255	/* bytes of one decoded value */
#define WATCH_RING_DEFAULT	1024	/* sovd --watch-ring */
#define WATCH_RING_MAX		(1u << 20)
/* The bytes sovd queues for one watcher (a replay and what arrives while
 * it drains); a watcher further behind is disconnected. */
#define WATCH_OUT_MAX		(1u << 20)

struct watch_value {
	uint8_t key;		/* enum watch_key */
	uint8_t family;		/* WK_DST: AF_INET or AF_INET6 */
	uint8_t bits;		/* WK_DST: prefix length */
	uint8_t addr[16];	/* WK_DST */
	uint64_t num;		/* WK_PID, WK_PORT; WK_CGROUP: an id (s is then NULL) */
	char *s;		/* the decoded text (type, class, comm, a cgroup path...) */
};

struct watch_filter {
	struct watch_value v[WATCH_MAX_VALUES];
	unsigned int n;
	uint32_t keys;		/* bit k: some value of key k */
	uint64_t since;		/* replay this many past events (0: none) */
	int follow;		/* 0: close after the replay */
};

/*
 * The fields of a record that filters look at, as pointers into the
 * record (live) or into a ring entry (replay).
 */
struct watch_rec {
	const char *type;
	const char *verdict, *zone;	/* NULL unless egress */
	const char *comm, *cgroup;
	const char *classes;	/* names, each '\0'-ended; an empty name ends the list */
	uint32_t pid;
	uint32_t dport;
	int has_dst;		/* egress: dport is meaningful */
	uint8_t dst_family;	/* 0: no address (channels, aggregates) */
	uint8_t dst_addr[16];
};

/*
 * Parses a request line without its "watch" word (args: "" or
 * " type=egress ..."). 0, or -EINVAL with the reason in why (one line).
 * Cgroup ids are kept as numbers (num, s NULL): sovd resolves them.
 */
int watch_filter_parse(struct watch_filter *f, const char *args, char *why, size_t whylen);
void watch_filter_free(struct watch_filter *f);

/* 1 when rec passes f (every key present has a matching value). */
int watch_filter_match(const struct watch_filter *f, const struct watch_rec *rec);

/* The request key's name ("type", ...), NULL past the end. */
const char *watch_key_name(unsigned int k);

/*
 * Appends " key=" and value, percent-encoded, to buf (a request being
 * built); a value after the first of the same key is appended with ','
 * (first = 0). -ENOSPC when it does not fit in len.
 */
int watch_request_add(char *buf, size_t len, unsigned int key, const char *value, int first);

/*
 * What the cgroup path tells of a pod or container (issue 16, --pod):
 * Kubernetes pod uids (pod<uid>, kubepods-...-pod<uid>.slice, '_' read as
 * '-'), container ids (64 hex digits: docker-, cri-containerd-, crio-,
 * libpod-<id>.scope or a bare <id> directory), podman pod ids
 * (machine-libpod_pod_<id>.slice), and machined names (machine-NAME.scope).
 * 1 when the value names one of them: equal, or for a 64-hex id a prefix of
 * at least 12 digits.
 */
int watch_pod_match(const char *cgroup, const char *value);

/* The ring of recent events sovd replays to `watch --since N`. */
struct watch_entry;
struct watch_ring {
	struct watch_entry **e;
	size_t cap, n, next;	/* next: the slot the next push fills */
};

int watch_ring_init(struct watch_ring *r, size_t cap);
/* Keeps a copy of rec and line (the oldest goes when full). -ENOMEM. */
int watch_ring_push(struct watch_ring *r, const struct watch_rec *rec, const char *line,
		    size_t len);
/* Entry i, 0 the oldest held, r->n - 1 the newest. */
const struct watch_rec *watch_ring_rec(const struct watch_ring *r, size_t i,
				       const char **line, size_t *len);
void watch_ring_free(struct watch_ring *r);

#endif
