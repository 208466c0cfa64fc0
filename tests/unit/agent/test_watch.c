// SPDX-License-Identifier: Apache-2.0
/*
 * agent/watch.c without a daemon (issue 16): the watch request's parser
 * refuses bad values with a reason and takes back what the encoder wrote
 * (percent-encoded bytes included), filters match as docs/cli.md says
 * (values of one key OR, keys AND; CIDRs, cgroup subtrees, pod and
 * container ids from real cgroup path shapes), and the ring keeps the
 * newest events, copies and all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include "agent/conn.h"
#include "agent/watch.h"
#include "tests/lib/tap.h"

static struct watch_filter f;
static char why[400];

static int parse(const char *args)
{
	return watch_filter_parse(&f, args, why, sizeof(why));
}

static struct watch_rec egress(const char *dst, uint32_t port, const char *zone,
			       const char *verdict, const char *classes)
{
	struct watch_rec r = {
		.type = "egress", .verdict = verdict, .zone = zone, .comm = "curl",
		.cgroup = "/sys.slice/app.service", .classes = classes, .pid = 42,
		.dport = port, .has_dst = 1,
	};

	if (inet_pton(AF_INET, dst, r.dst_addr) == 1)
		r.dst_family = AF_INET;
	else if (inet_pton(AF_INET6, dst, r.dst_addr) == 1)
		r.dst_family = AF_INET6;
	return r;
}

static void test_parse_errors(void)
{
	static const struct { const char *args, *why; } bad[] = {
		{ " type=egres", "unknown event type 'egres'" },
		{ " verdict=refused", "unknown verdict 'refused'" },
		{ " pid=12x", "pid '12x' is not a process id" },
		{ " pid=0", "pid '0' is not a process id" },
		{ " port=65536", "port '65536' is not a port number" },
		{ " dst=10.0.0.0/33", "dst '10.0.0.0/33' is not an address or CIDR" },
		{ " dst=example.com", "dst 'example.com' is not an address or CIDR" },
		{ " comm=a-name-longer-than-15", "longer than the kernel's 15 bytes" },
		{ " cgroup=kubepods", "neither a path below the cgroup2 mount" },
		{ " since=-1", "since '-1' is not a number of events" },
		{ " since=1 since=2", "since given twice" },
		{ " follow=2", "follow must be 0 or 1" },
		{ " colour=red", "unknown watch filter 'colour'" },
		{ " type", "unknown watch filter 'type'" },
		{ " type=", "an empty value of type" },
		{ " class=a,,b", "an empty value of class" },
		{ " class=a%2", "a '%' without two hex digits" },
		{ " class=a%00b", "a NUL byte" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[128];

		snprintf(name, sizeof(name), "refused: '%s'", bad[i].args);
		if (ASSERT_EQ(parse(bad[i].args), -EINVAL, name))
			ASSERT_STRSTR(why, bad[i].why, name);
	}
}

static void test_parse_bounds(void)
{
	char req[CONN_IN_MAX + 64] = "watch";
	int err = 0, i;

	for (i = 0; i < WATCH_MAX_VALUES; i++) {
		char v[16];

		snprintf(v, sizeof(v), "%d", i + 1);
		err |= watch_request_add(req, sizeof(req), WK_PID, v, !i);
	}
	ASSERT_OK(err, "64 pids fit in a request");
	ASSERT_OK(parse(req + 5), "64 values are taken");
	ASSERT_EQ(f.n, (unsigned)WATCH_MAX_VALUES, "all 64 kept");
	watch_filter_free(&f);
	ASSERT_OK(watch_request_add(req, sizeof(req), WK_PID, "65", 0), "a 65th");
	ASSERT_EQ(parse(req + 5), -E2BIG, "65 values are refused");
	ASSERT_STRSTR(why, "more than 64 filter values", "and say why");

	/* a value the encoder cannot fit: -ENOSPC, never an overflow */
	memset(req, 0, sizeof(req));
	strcpy(req, "watch");
	for (i = 0; i < 40 && !err; i++)
		err = watch_request_add(req, 200, WK_CLASS, "a class with spaces", !i);
	ASSERT_EQ(err, -ENOSPC, "the encoder stops at the buffer's end");
	ASSERT_TRUE(strlen(req) < 200, "and stays inside it");
}

static void test_roundtrip(void)
{
	char req[1024] = "watch";
	const char *odd = "a b,c%d=e\xc3\xa9";

	ASSERT_OK(watch_request_add(req, sizeof(req), WK_COMM, odd, 1), "encode an odd comm");
	ASSERT_OK(watch_request_add(req, sizeof(req), WK_CGROUP, "/my pods/x", 1), "encode a path");
	ASSERT_OK(watch_request_add(req, sizeof(req), WK_DST, "fd00:20::/32", 1), "encode a CIDR");
	ASSERT_OK(watch_request_add(req, sizeof(req), WK_SINCE, "10", 1), "encode since");
	ASSERT_STREQ(req, "watch comm=a%20b%2Cc%25d%3De%C3%A9 cgroup=/my%20pods/x dst=fd00:20::/32 since=10",
		     "the request line");
	if (!ASSERT_OK(parse(req + 5), "it parses back"))
		return;
	ASSERT_EQ(f.n, 3u, "three filter values");
	ASSERT_STREQ(f.v[0].s, odd, "the comm comes back byte for byte");
	ASSERT_STREQ(f.v[1].s, "/my pods/x", "the cgroup path too");
	ASSERT_EQ(f.since, 10u, "since");
	ASSERT_EQ(f.follow, 1, "follow by default");
	watch_filter_free(&f);
	ASSERT_OK(parse(""), "a plain watch: no filter");
	ASSERT_EQ(f.keys, 0u, "no keys");
	ASSERT_EQ(f.since, 0u, "no replay");
}

static void test_match(void)
{
	struct watch_rec eu = egress("10.10.0.2", 8080, "eu", "allow", "pii-eu\0");
	struct watch_rec us = egress("10.20.0.2", 8080, "us", "deny", "pii-eu\0audited\0");
	struct watch_rec v6 = egress("fd00:20::2", 9000, "us", "deny", "pii-eu\0");
	struct watch_rec taint = { .type = "taint", .comm = "cat", .cgroup = "/sys.slice",
				   .classes = "pii-eu\0", .pid = 7 };

	ASSERT_OK(parse(" type=egress verdict=deny,audit"), "type and two verdicts");
	ASSERT_TRUE(!watch_filter_match(&f, &eu), "allow is not deny or audit");
	ASSERT_TRUE(watch_filter_match(&f, &us), "deny passes");
	ASSERT_TRUE(!watch_filter_match(&f, &taint), "a taint event is not egress");
	watch_filter_free(&f);

	ASSERT_OK(parse(" dst=10.20.0.0/16,fd00:20::/32"), "two CIDRs");
	ASSERT_TRUE(watch_filter_match(&f, &us) && watch_filter_match(&f, &v6), "both families match");
	ASSERT_TRUE(!watch_filter_match(&f, &eu), "10.10.0.2 is outside 10.20/16");
	ASSERT_TRUE(!watch_filter_match(&f, &taint), "an event without a destination does not match");
	watch_filter_free(&f);
	ASSERT_OK(parse(" dst=10.20.0.3/31"), "a /31");
	ASSERT_TRUE(watch_filter_match(&f, &us), "10.20.0.2 is in 10.20.0.3/31");
	watch_filter_free(&f);
	ASSERT_OK(parse(" dst=10.20.0.3"), "one address");
	ASSERT_TRUE(!watch_filter_match(&f, &us), "10.20.0.2 is not 10.20.0.3");
	watch_filter_free(&f);

	ASSERT_OK(parse(" class=audited port=8080 zone=us"), "class, port, zone");
	ASSERT_TRUE(watch_filter_match(&f, &us), "the second class matches");
	ASSERT_TRUE(!watch_filter_match(&f, &eu), "eu has no audited class");
	watch_filter_free(&f);

	ASSERT_OK(parse(" pid=41,42 comm=curl"), "pids and comm");
	ASSERT_TRUE(watch_filter_match(&f, &us), "pid 42, comm curl");
	ASSERT_TRUE(!watch_filter_match(&f, &taint), "pid 7");
	watch_filter_free(&f);

	ASSERT_OK(parse(" cgroup=/sys.slice/"), "a cgroup (trailing slash dropped)");
	ASSERT_STREQ(f.v[0].s, "/sys.slice", "stored without it");
	ASSERT_TRUE(watch_filter_match(&f, &taint), "the cgroup itself");
	ASSERT_TRUE(watch_filter_match(&f, &us), "a cgroup below it");
	us.cgroup = "/sys.slicer";
	ASSERT_TRUE(!watch_filter_match(&f, &us), "not a cgroup whose name only starts with it");
	watch_filter_free(&f);
	ASSERT_OK(parse(" cgroup=1234"), "a cgroup id");
	ASSERT_TRUE(!f.v[0].s && f.v[0].num == 1234, "kept as a number for sovd");
	ASSERT_TRUE(!watch_filter_match(&f, &taint), "unresolved, it matches nothing");
	watch_filter_free(&f);
}

static void test_pod(void)
{
	const char *uid = "0f2a6c1e-3b7d-4e8f-9a0b-1c2d3e4f5a6b";
	const char *cid = "4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f60718293a4b5c";
	static const char *const ids[] = {
		/* kubelet, systemd driver */
		"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0f2a6c1e_3b7d_4e8f_9a0b_1c2d3e4f5a6b.slice/cri-containerd-4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f60718293a4b5c.scope",
		/* kubelet, cgroupfs driver */
		"/kubepods/burstable/pod0f2a6c1e-3b7d-4e8f-9a0b-1c2d3e4f5a6b/4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f60718293a4b5c",
	};

	for (size_t i = 0; i < 2; i++) {
		ASSERT_TRUE(watch_pod_match(ids[i], uid), "the pod uid");
		ASSERT_TRUE(watch_pod_match(ids[i], cid), "the container id");
		ASSERT_TRUE(watch_pod_match(ids[i], "4b825dc642cb"), "its 12-digit prefix");
		ASSERT_TRUE(!watch_pod_match(ids[i], "4b825dc642c"), "not 11 digits");
		ASSERT_TRUE(!watch_pod_match(ids[i], "0f2a6c1e"), "not part of a uid");
		ASSERT_TRUE(!watch_pod_match(ids[i], "burstable"), "not a QoS class");
	}
	ASSERT_TRUE(watch_pod_match("/kubepods/pod0f2a6c1e-3b7d-4e8f-9a0b-1c2d3e4f5a6b",
				    "0F2A6C1E_3B7D_4E8F_9A0B_1C2D3E4F5A6B"), "uid case and '_' ignored");
	ASSERT_TRUE(watch_pod_match("/system.slice/docker-4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f60718293a4b5c.scope",
				    "4b825dc642cb6eb9"), "a docker container");
	ASSERT_TRUE(watch_pod_match("/machine.slice/machine-libpod_pod_4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f60718293a4b5c.slice/libpod-1111111111111111111111111111111111111111111111111111111111111111.scope",
				    "4b825dc642cb"), "a podman pod");
	ASSERT_TRUE(watch_pod_match("/machine.slice/machine-web1.scope", "web1"), "a machined name");
	ASSERT_TRUE(!watch_pod_match("/machine.slice/machine-web1.scope", "web"), "not a part of it");
	ASSERT_TRUE(!watch_pod_match("/user.slice/user-0.slice/session-1.scope", "0"), "no pod in a session");
}

static void test_ring(void)
{
	struct watch_ring r;
	const struct watch_rec *got;
	const char *line;
	size_t len;
	char l[32], cg[32];

	ASSERT_OK(watch_ring_init(&r, 3), "a ring of 3");
	for (int i = 0; i < 5; i++) {
		struct watch_rec rec = egress("10.20.0.2", 8080, "us", "deny", "pii-eu\0");

		snprintf(l, sizeof(l), "{\"n\":%d}\n", i);
		snprintf(cg, sizeof(cg), "/cg%d", i);
		rec.cgroup = cg;	/* overwritten next round: the ring copies */
		rec.pid = i;
		ASSERT_OK(watch_ring_push(&r, &rec, l, strlen(l)), "push");
	}
	ASSERT_EQ(r.n, 3u, "holds 3");
	got = watch_ring_rec(&r, 0, &line, &len);
	ASSERT_TRUE(got && got->pid == 2, "the oldest held is the third pushed");
	if (got) {
		ASSERT_MEMEQ(line, "{\"n\":2}\n", len, "its line");
		ASSERT_STREQ(got->cgroup, "/cg2", "its own copy of the cgroup");
		ASSERT_STREQ(got->classes, "pii-eu", "and of the classes");
		ASSERT_STREQ(got->zone, "us", "and zone");
	}
	got = watch_ring_rec(&r, 2, &line, &len);
	ASSERT_TRUE(got && got->pid == 4, "the newest");
	ASSERT_TRUE(!watch_ring_rec(&r, 3, &line, &len), "nothing past it");
	watch_ring_free(&r);
	ASSERT_OK(watch_ring_init(&r, 0), "a ring of 0 (--watch-ring 0)");
	ASSERT_OK(watch_ring_push(&r, &(struct watch_rec){ .type = "agent" }, "x\n", 2),
		  "push to it is a no-op");
	ASSERT_EQ(r.n, 0u, "it holds nothing");
	watch_ring_free(&r);
}

int main(void)
{
	test_parse_errors();
	test_parse_bounds();
	test_roundtrip();
	test_match();
	test_pod();
	test_ring();
	return tap_done();
}
