// SPDX-License-Identifier: Apache-2.0
/*
 * Aggregates of allowed flows (agent/flows.c, issue 14): the window of an
 * aggregate (flows_window(), pure), and flows_flush() against real BPF
 * hash maps shaped as the kernel's (needs root: it creates maps): each
 * key's count since its last record becomes one record, counted once;
 * counts added between flushes are reported by the next; a key whose
 * process is gone is reported, then removed; the NDJSON line carries
 * count, first and last after the egress fields.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "agent/flows.h"
#include "agent/ndjson.h"
#include "agent/pipeline.h"
#include "tests/lib/tap.h"

static char lines[8][1024];
static uint64_t counts[8];
static int nseen;

static void keep(void *ctx, struct sovd_event *ev)
{
	const char *l;
	size_t len;

	(void)ctx;
	if (nseen >= 8)
		return;
	l = ndjson_line(ev, &len);
	snprintf(lines[nseen], sizeof(lines[nseen]), "%.*s", (int)len, l ? l : "");
	counts[nseen] = ev->has_agg ? ev->agg_count : 0;
	nseen++;
}

static void test_window(void)
{
	struct sov_flow v = { .count = 5, .first_ns = 100, .last_ns = 900 };
	struct sov_flow_seen s = {};
	uint64_t f = 0, l = 0;

	ASSERT_EQ(flows_window(&v, &s, &f, &l), 5, "window: everything when nothing was reported");
	ASSERT_EQ(f, 100, "window: the first aggregate starts at the first flow's event");
	ASSERT_EQ(l, 900, "window: it ends at the latest flow");
	s = (struct sov_flow_seen){ .count = 5, .last_ns = 900 };
	ASSERT_EQ(flows_window(&v, &s, &f, &l), 0, "window: nothing new, no aggregate");
	v.count = 8;
	v.last_ns = 1500;
	ASSERT_EQ(flows_window(&v, &s, &f, &l), 3, "window: only what came since the last record");
	ASSERT_EQ(f, 900, "window: it starts where the last aggregate ended");
	ASSERT_EQ(l, 1500, "window: and ends at the latest flow");
	v.last_ns = 800;	/* a flow counted before its time was stored */
	ASSERT_EQ(flows_window(&v, &s, &f, &l), 3, "window: a racing time store changes no count");
	ASSERT_EQ(l, 900, "window: never ends before it began");
	v.count = 4;
	ASSERT_EQ(flows_window(&v, &s, &f, &l), 0, "window: a count below what was reported is no aggregate");
}

static int mkmap(const char *name, size_t k, size_t v)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, name, k, v, 64, NULL);
}

int main(void)
{
	struct sovd_policy_view view = { .sha256 = "ab", .jdata = "explicit", .generation = 3 };
	struct sovd_sink sink = { .name = "keep", .emit = keep };
	struct sov_flow_key live = { .tgid = (uint32_t)getpid(), .zone = 0, .classes = 1,
				     .since_ns = 777, .generation = 3, .hook = SOV_HOOK_CONNECT,
				     .proto = 6 };
	struct sov_flow_key gone = live, other = live;
	struct sov_flow v = { .count = 0, .first_ns = 1000, .last_ns = 1000, .uid = 0 };
	struct sov_taint t = { .classes = 1, .since_ns = 777 };
	struct sov_flow_seen s;
	struct pipeline p;
	struct flows f = { .gone_every = 1 };
	uint64_t total = 0;

	test_window();

	f.map_fd = mkmap("t_flows", sizeof(struct sov_flow_key), sizeof(struct sov_flow));
	f.seen_fd = mkmap("t_flows_seen", sizeof(struct sov_flow_key), sizeof(struct sov_flow_seen));
	f.taint_fd = mkmap("t_taint", sizeof(uint32_t), sizeof(struct sov_taint));
	if (!ASSERT_TRUE(f.map_fd >= 0 && f.seen_fd >= 0 && f.taint_fd >= 0,
			 "create the three maps (root and BPF needed)"))
		return tap_done();
	pipeline_init(&p);
	pipeline_add_sink(&p, &sink);
	view.class_name[0] = "pii-eu";
	pipeline_set_policy(&p, &view);

	gone.since_ns = 555;		/* an earlier process under the same tgid */
	other.generation = 4;		/* a policy the view does not name yet */
	memcpy(v.comm, "flowtest", 9);
	ASSERT_OK(bpf_map_update_elem(f.taint_fd, &live.tgid, &t, BPF_ANY), "the live process's taint");
	v.count = 9;
	v.last_ns = 2000;
	ASSERT_OK(bpf_map_update_elem(f.map_fd, &live, &v, BPF_NOEXIST), "a live key, 9 counted");
	v.count = 4;
	ASSERT_OK(bpf_map_update_elem(f.map_fd, &gone, &v, BPF_NOEXIST), "a key of a gone process, 4 counted");
	v.count = 2;
	ASSERT_OK(bpf_map_update_elem(f.map_fd, &other, &v, BPF_NOEXIST), "a key of the next policy, 2 counted");

	ASSERT_OK(flows_flush(&f, &p, 0), "flush, the view's generation only");
	ASSERT_EQ(nseen, 2, "two aggregates: the live key and the gone one");
	total = counts[0] + counts[1];
	ASSERT_EQ(total, 13, "they count 9 + 4");
	ASSERT_STRSTR(lines[0], "\"verdict\":\"allow\",\"proto\":\"tcp\",\"dst\":\"\",\"dport\":0,\"zone\":\"unknown\",\"violated\":[],\"hook\":\"connect\",\"count\":",
		      "the line: egress fields, then count");
	ASSERT_STRSTR(lines[0], "\"comm\":\"flowtest\"", "the line names the first flow's comm");
	ASSERT_STRSTR(lines[0], "\"classes\":[\"pii-eu\"]", "and the key's classes");
	ASSERT_TRUE(strstr(lines[0], ",\"first\":\"") && strstr(lines[0], "Z\",\"last\":\""),
		    "the line carries the window, first and last, as RFC 3339 times");
	ASSERT_TRUE(bpf_map_lookup_elem(f.map_fd, &gone, &v) == -ENOENT,
		    "the gone process's key is removed once reported");
	ASSERT_TRUE(bpf_map_lookup_elem(f.seen_fd, &gone, &s) == -ENOENT, "and what was seen of it");
	ASSERT_OK(bpf_map_lookup_elem(f.seen_fd, &live, &s), "the live key's reported count is kept");
	ASSERT_EQ(s.count, 9, "as 9");
	ASSERT_OK(bpf_map_lookup_elem(f.map_fd, &live, &v), "the live key stays");

	nseen = 0;
	ASSERT_OK(flows_flush(&f, &p, 0), "flush again, nothing new");
	ASSERT_EQ(nseen, 0, "no aggregate counts anything twice");

	/* the kernel adds to the live key (what its atomic add does) */
	v.count += 6;
	v.last_ns = 5000;
	bpf_map_update_elem(f.map_fd, &live, &v, BPF_EXIST);
	nseen = 0;
	ASSERT_OK(flows_flush(&f, &p, 1), "flush, every generation");
	ASSERT_EQ(nseen, 2, "the live key's new flows and the next policy's key");
	ASSERT_EQ(counts[0] + counts[1], 8, "6 new flows + 2");
	ASSERT_EQ(f.aggregated, 21, "flows.aggregated: 9 + 4 + 6 + 2");
	ASSERT_EQ(f.records, 4, "flows.records: four aggregates");

	/* the process exits: its taint leaves sov_taint */
	bpf_map_delete_elem(f.taint_fd, &live.tgid);
	nseen = 0;
	ASSERT_OK(flows_flush(&f, &p, 1), "flush after the process exited");
	ASSERT_EQ(nseen, 0, "nothing new to report");
	ASSERT_TRUE(bpf_map_lookup_elem(f.map_fd, &live, &v) == -ENOENT,
		    "its keys are removed");
	flows_free(&f);
	close(f.map_fd);
	close(f.seen_fd);
	close(f.taint_fd);
	return tap_done();
}
