// SPDX-License-Identifier: Apache-2.0
/*
 * The NDJSON rendering of struct sovd_event: the schema of docs/events.md.
 * The fields keep the order of the first release (consumers grep them);
 * uid, exe, host and seq come last.
 *
 * Calls: jbuf.c. Called by the line sinks (events_file.c, api.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "agent/ndjson.h"
#include "policy/policy.h"

/* RFC 3339, UTC, nanoseconds. The date and time of day are formatted once
 * per second (events come in bursts within a second: issue 14). */
void ndjson_time(int64_t wall_ns, char *buf, size_t len)
{
	static _Thread_local int64_t last_sec = -1;
	static _Thread_local char day[32];
	static _Thread_local size_t dlen;
	time_t sec = wall_ns / 1000000000;
	uint32_t ns = (uint32_t)(wall_ns % 1000000000);
	struct tm tm;

	if (wall_ns < 0 || len < sizeof(day) + 11) {
		/* not a time an event has; the plain way */
		gmtime_r(&sec, &tm);
		dlen = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf + dlen, len - dlen, ".%09lldZ", (long long)(wall_ns % 1000000000));
		last_sec = -1;
		return;
	}
	if (sec != last_sec) {
		gmtime_r(&sec, &tm);
		dlen = strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = sec;
	}
	memcpy(buf, day, dlen);
	buf[dlen] = '.';
	for (int i = 9; i >= 1; i--) {
		buf[dlen + i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	buf[dlen + 10] = 'Z';
	buf[dlen + 11] = '\0';
}

static void classes_array(struct jbuf *b, const char *key, uint64_t mask,
			  const struct sovd_policy_view *v)
{
	int first = 1;

	jb_array_begin(b, key);
	for (int bit = 0; v && bit < SOV_MAX_CLASSES; bit++) {
		if (!(mask & (1ull << bit)) || !v->class_name[bit])
			continue;
		jb_array_str(b, v->class_name[bit], first);
		first = 0;
	}
	jb_array_end(b);
}

void ndjson_render(struct jbuf *b, const struct sovd_event *ev)
{
	char ts[64];

	ndjson_time(ev->wall_ns, ts, sizeof(ts));
	jb_reset(b);
	jb_open(b);
	jb_str(b, "time", ts);
	jb_str(b, "type", ev->type);
	jb_u64(b, "pid", ev->pid);
	jb_u64(b, "tid", ev->tid);
	jb_str(b, "comm", ev->comm);
	jb_str(b, "cgroup", ev->cgroup);
	classes_array(b, "classes", ev->classes, ev->policy);
	if (ev->has_object) {
		jb_str(b, "path", ev->path);
		jb_u64(b, "dev", ev->dev);
		jb_u64(b, "ino", ev->ino);
	}
	if (ev->has_dst) {
		jb_str(b, "verdict", ev->verdict);
		jb_str(b, "proto", ev->proto);
		jb_str(b, "dst", ev->dst);
		jb_u64(b, "dport", ev->dport);
		jb_str(b, "zone", ev->zone);
		classes_array(b, "violated", ev->violated, ev->policy);
		jb_str(b, "hook", ev->hook);
		if (ev->has_channel) {
			jb_u64(b, "sock_family", ev->sock_family);
			jb_u64(b, "sock_type", ev->sock_type);
			jb_u64(b, "sock_protocol", ev->sock_protocol);
		}
		if (ev->has_device) {
			char dev[24];

			snprintf(dev, sizeof(dev), "%u:%u", ev->device >> SOV_MINORBITS,
				 ev->device & SOV_DEV_ANY_MINOR);
			jb_str(b, "device", dev);
		}
	}
	if (ev->body && ev->body[0]) {
		jb_raw(b, ",", 1);
		jb_raw(b, ev->body, strlen(ev->body));
	}
	jb_u64(b, "uid", ev->uid);
	if (ev->exe && ev->exe[0])
		jb_str(b, "exe", ev->exe);
	jb_str(b, "host", ev->host);
	if (ev->has_seq)
		jb_u64(b, "seq", ev->seq);
	jb_close(b);
	jb_raw(b, "\n", 1);
}

const char *ndjson_line(struct sovd_event *ev, size_t *len)
{
	static struct jbuf b;

	if (!ev->line) {
		ndjson_render(&b, ev);
		if (b.oom)
			return NULL;
		ev->line = b.s;
		ev->line_len = b.len;
	}
	*len = ev->line_len;
	return ev->line;
}
