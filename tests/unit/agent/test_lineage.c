// SPDX-License-Identifier: Apache-2.0
/*
 * The sources of derives (agent/lineage.c) against the real /proc: a
 * process's taint events become its sources, oldest first, at most 8 and
 * the rest counted; a file listed once; cmdline_sha256 is the SHA-256 of
 * /proc/PID/cmdline; a forked child takes its parent's sources from before
 * it started, not a later one; a gone process's hash is ""; lists of gone
 * processes are freed at the second sweep. Prints the cost of a derive
 * (measured, not asserted). No root needed (no kernel maps: maps NULL).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <openssl/evp.h>
#include "agent/host.h"
#include "agent/lineage.h"
#include "tests/lib/tap.h"

static struct sovd_event file_ev(const char *type, pid_t pid, uint64_t ino, const char *path,
				 uint64_t boot_ns)
{
	return (struct sovd_event){ .type = type, .pid = pid, .has_object = 1, .dev = 7,
				    .ino = ino, .path = path, .boot_ns = boot_ns };
}

static void self_sha(char out[65])
{
	unsigned char buf[65536], md[32];
	unsigned int len = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf));

	close(fd);
	EVP_Digest(buf, n > 0 ? (size_t)n : 0, md, &len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

int main(void)
{
	char path[16][32], want[65], needle[128];
	struct sovd_event ev;
	const char *body;
	pid_t self = getpid(), child;
	int pfd[2];
	uint64_t now = host_now_ns(CLOCK_BOOTTIME);

	for (int i = 0; i < 10; i++) {
		snprintf(path[i], sizeof(path[i]), "/data/f%d.csv", i);
		ev = file_ev("taint", self, 100 + i, path[i], now - 1000000000ull + i);
		ASSERT_TRUE(!lineage_event(NULL, &ev), i ? "taint: no body" : "a taint gets no body");
	}
	ev = file_ev("taint", self, 100, path[0], now);
	lineage_event(NULL, &ev);
	ev = file_ev("derive", self, 500, "/out/x", now);
	body = lineage_event(NULL, &ev);
	ASSERT_TRUE(body && !strncmp(body, "\"sources\":[{\"path\":\"/data/f0.csv\",\"dev\":7,\"ino\":100},", 52),
		    "derive: sources, oldest first");
	ASSERT_TRUE(body && strstr(body, "/data/f7.csv") && !strstr(body, "/data/f8.csv"),
		    "at most 8 sources");
	ASSERT_TRUE(body && strstr(body, "\"sources_dropped\":2,"), "the other 2 counted");
	ASSERT_TRUE(body && !strstr(strstr(body, "f0.csv") + 1, "f0.csv"),
		    "a file read twice is listed once");
	self_sha(want);
	snprintf(needle, sizeof(needle), "\"cmdline_sha256\":\"%s\"", want);
	ASSERT_TRUE(body && strstr(body, needle), "cmdline_sha256 is the SHA-256 of /proc/PID/cmdline");

	/* fields another part of sovd put in the derive's body stay first */
	ev = file_ev("derive", self, 501, "/out/x2", now);
	ev.body = "\"gen\":7";
	body = lineage_event(NULL, &ev);
	ASSERT_TRUE(body && !strncmp(body, "\"gen\":7,\"sources\":[{", 20),
		    "a body given before: kept, then the sources");

	/* a child forked now: the parent's sources; one the parent gains
	 * after the fork is not the child's */
	if (pipe(pfd))
		return 1;
	child = fork();
	if (child == 0) {
		char c;

		close(pfd[1]);
		if (read(pfd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[0]);
	usleep(50000);
	ev = file_ev("taint", self, 200, "/data/later.csv", host_now_ns(CLOCK_BOOTTIME) + 50000000ull);
	lineage_event(NULL, &ev);
	ev = file_ev("derive", child, 600, "/out/y", host_now_ns(CLOCK_BOOTTIME));
	body = lineage_event(NULL, &ev);
	ASSERT_TRUE(body && strstr(body, "/data/f0.csv"), "a forked child's derive names its parent's sources");
	ASSERT_TRUE(body && !strstr(body, "/data/later.csv"),
		    "but not a source the parent read after the fork");
	ASSERT_TRUE(body && !strstr(body, "\"cmdline_sha256\":\"\""), "the live child's command line is hashed");
	ASSERT_TRUE(lineage_count() == 2, "two lists");
	if (write(pfd[1], "x", 1) != 1)
		return 1;
	close(pfd[1]);
	waitpid(child, NULL, 0);
	ev = file_ev("derive", child, 601, "/out/z", host_now_ns(CLOCK_BOOTTIME));
	body = lineage_event(NULL, &ev);
	ASSERT_TRUE(body && strstr(body, "\"cmdline_sha256\":\"\"") && strstr(body, "/data/f0.csv"),
		    "after its exit: the hash is \"\", the sources are kept");
	lineage_gc();
	ASSERT_TRUE(lineage_count() == 2, "one sweep after the exit: the list stays");
	lineage_gc();
	ASSERT_TRUE(lineage_count() == 1, "the second sweep frees the gone process's list");

	/* the cost of a derive record's body (reads /proc/self/stat twice and
	 * /proc/self/cmdline once) */
	{
		struct timespec a, b;
		int n = 20000;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < n; i++) {
			ev = file_ev("derive", self, 700, "/out/w", host_now_ns(CLOCK_BOOTTIME));
			lineage_event(NULL, &ev);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("# a derive's sources and cmdline hash: %.1f us each (%d)\n",
		       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n / 1000.0, n);
	}
	lineage_reset();
	ASSERT_TRUE(lineage_count() == 0, "reset forgets everything");
	return tap_done();
}
