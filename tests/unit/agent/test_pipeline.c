// SPDX-License-Identifier: Apache-2.0
/*
 * The pipeline's one record and its renderings: a kernel event decoded once
 * reaches every sink with the same values; the NDJSON line keeps its field
 * order and gains uid, exe, host and seq; a process's exe outlives it.
 * No root needed.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "agent/host.h"
#include "agent/jbuf.h"
#include "agent/ndjson.h"
#include "agent/pipeline.h"
#include "tests/lib/tap.h"

static struct sovd_event seen[2];
static char lines[2][4096];
static int nseen;

static void stamp(void *ctx, struct sovd_event *ev)
{
	(void)ctx;
	ev->has_seq = 1;
	ev->seq = 41;
}

static void keep(void *ctx, struct sovd_event *ev)
{
	const char *l;
	size_t len;

	(void)ctx;
	if (nseen >= 2)
		return;
	seen[nseen] = *ev;
	l = ndjson_line(ev, &len);
	snprintf(lines[nseen], sizeof(lines[nseen]), "%.*s", (int)len, l ? l : "");
	nseen++;
}

/* The time field: RFC 3339 with nanoseconds, the same when the second is
 * formatted once and reused (ndjson.c ndjson_time()). */
static void test_time(void)
{
	static const int64_t when[] = {
		1764665731000000000LL, 1764665731000000001LL, 1764665731999999999LL,
		1764665732123456789LL, 1764665731500000000LL, 0, 951782400000000007LL,
	};
	struct sovd_event ev = { .type = "agent", .exe = "", .cgroup = "/", .host = "h" };
	char want[64], got[64], day[32];
	const char *l, *t;
	size_t len;
	int bad = 0;

	for (size_t i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		time_t sec = when[i] / 1000000000;
		struct tm tm;

		gmtime_r(&sec, &tm);
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want, sizeof(want), "%s.%09lldZ", day, (long long)(when[i] % 1000000000));
		ev.wall_ns = when[i];
		ev.line = NULL;		/* a new event: not the cached line */
		l = ndjson_line(&ev, &len);
		t = l ? strstr(l, "\"time\":\"") : NULL;
		if (!t || sscanf(t, "\"time\":\"%63[^\"]", got) != 1 || strcmp(got, want)) {
			printf("# %lld: got %s, want %s\n", (long long)when[i], t ? got : "none", want);
			bad++;
		}
	}
	ASSERT_EQ(bad, 0, "event times: RFC 3339 nanoseconds, within a second and across seconds");
}

int main(void)
{
	struct pipeline p;
	struct sovd_policy_view v = { .sha256 = "ab", .jdata = "explicit" };

	test_time();
	struct sovd_sink s1 = { .name = "journal", .emit = stamp };
	struct sovd_sink s2 = { .name = "a", .emit = keep }, s3 = { .name = "b", .emit = keep };
	struct sov_event e = {};
	char want[PATH_MAX + 512], self[PATH_MAX], comm[16];
	const char *exe;
	ssize_t n;
	pid_t child;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	proc_comm(getpid(), comm, sizeof(comm));

	pipeline_init(&p);
	ASSERT_OK(pipeline_add_sink(&p, &s1), "add the seq-stamping sink first");
	ASSERT_OK(pipeline_add_sink(&p, &s2), "add a sink");
	ASSERT_OK(pipeline_add_sink(&p, &s3), "add another");
	v.class_name[0] = "pii-eu";
	v.class_name[3] = "weights";
	pipeline_set_policy(&p, &v);

	e.type = SOV_EV_EGRESS;
	e.tgid = getpid();
	e.pid = getpid() + 1;
	e.uid = 1000;
	e.classes = 1 | 8;
	e.violated = 8;
	e.family = 2;
	e.proto = 17;
	e.dport = 53;
	e.verdict = SOV_VERDICT_DENY;
	e.hook = SOV_HOOK_SENDMSG;
	e.daddr[0] = 10; e.daddr[1] = 20; e.daddr[2] = 0; e.daddr[3] = 2;
	memcpy(e.comm, comm, sizeof(comm));
	/* exe is named for events of the process's lifetime only. */
	e.ts_boot_ns = host_now_ns(CLOCK_BOOTTIME);
	pipeline_kernel_event(&p, &e, sizeof(e));
	ASSERT_EQ(nseen, 2, "both sinks got the record");
	ASSERT_STREQ(lines[0], lines[1], "both render the same line");
	snprintf(want, sizeof(want),
		 "\"type\":\"egress\",\"pid\":%d,\"tid\":%d,\"comm\":\"%s\",", getpid(), getpid() + 1, comm);
	ASSERT_STRSTR(lines[0], want, "type, pid, tid, comm adjacent as before");
	ASSERT_STRSTR(lines[0], "\"classes\":[\"pii-eu\",\"weights\"],\"verdict\":\"deny\",\"proto\":\"udp\",\"dst\":\"10.20.0.2\",\"dport\":53,\"zone\":\"unknown\",\"violated\":[\"weights\"],\"hook\":\"sendmsg\"",
		      "egress fields, class names resolved from the policy view");
	snprintf(want, sizeof(want), "\"uid\":1000,\"exe\":\"%s\",\"host\":\"%s\",\"seq\":41}\n",
		 self, host_name());
	ASSERT_STRSTR(lines[0], want, "uid, exe, host and the journal's seq at the end");

	/* The kernel sends an egress event without its path (issue 14): the
	 * first SOV_EVENT_SMALL bytes render the same fields; fewer are no
	 * event. */
	{
		unsigned char small[SOV_EVENT_SMALL + 8];
		char *seq;

		memset(small, 0xa5, sizeof(small));
		memcpy(small, &e, SOV_EVENT_SMALL);
		seq = strstr(lines[0], ",\"seq\":");
		if (seq)
			*seq = '\0';	/* the journal's seq differs */
		snprintf(want, sizeof(want), "%s", lines[0]);
		nseen = 0;
		pipeline_kernel_event(&p, small, SOV_EVENT_SMALL);
		ASSERT_EQ(nseen, 2, "a 128-byte egress record is an event");
		ASSERT_TRUE(strncmp(lines[0], want, strlen(want)) == 0,
			    "it renders the same line as the whole record");
		nseen = 0;
		pipeline_kernel_event(&p, small, SOV_EVENT_SMALL - 1);
		ASSERT_EQ(nseen, 0, "a record shorter than that is dropped");
	}

	/* exe outlives the process. */
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	exe = proc_exe(child, host_now_ns(CLOCK_BOOTTIME));
	ASSERT_STREQ(exe, self, "exe of a live process, read at its first event");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ASSERT_TRUE(access("/proc/self", F_OK) == 0 && kill(child, 0) != 0, "the process is gone");
	ASSERT_STREQ(proc_exe(child, host_now_ns(CLOCK_BOOTTIME)), self,
		     "exe still known after the process exited");
	ASSERT_STREQ(proc_exe(child, 1), "", "not for an event from before the process started");
	return tap_done();
}
