// SPDX-License-Identifier: Apache-2.0
/*
 * proc_exe(): the executable an event names. It used to be keyed on the
 * event's comm (the thread's name), so threads with different names made
 * the entry flip and an event after exit got "", a reused pid could name
 * the new process's executable, and every event read /proc/PID/stat.
 * /proc is replaced by a fake one here (no root).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agent/host.h"
#include "tests/lib/tap.h"

#define S 1000000000ull

/* One fake pid: what /proc says about it now. */
static uint64_t f_start, f_now;
static const char *f_exe;
static int n_start, n_exe;

static uint64_t fake_start(uint32_t tgid)
{
	(void)tgid;
	n_start++;
	return f_start;
}

static int fake_exe(uint32_t tgid, char *buf, size_t len)
{
	(void)tgid;
	n_exe++;
	if (!f_exe)
		return -2;
	snprintf(buf, len, "%s", f_exe);
	return 0;
}

static uint64_t fake_now(void)
{
	return f_now;
}

static const struct host_proc_reader fake = {
	.start_ns = fake_start, .exe = fake_exe, .now_ns = fake_now,
};

static void *named_thread(void *arg)
{
	uint64_t *t = arg;

	pthread_setname_np(pthread_self(), "worker-b");
	t[0] = (uint64_t)(proc_exe(getpid(), t[1])[0] != '\0');
	return NULL;
}

/* host_fh_gen(): i_generation from the file handle layouts (labels.c). */
static void test_fh_gen(void)
{
	uint32_t w[5], gen = 0;
	uint64_t ino64 = 0x123456789aull;

	w[0] = 1234; w[1] = 0xdeadbeef;	/* ext4: {ino32, gen} */
	ASSERT_TRUE(!host_fh_gen(1, (unsigned char *)w, 8, 1234, &gen) && gen == 0xdeadbeef,
		    "fh: ext4 {ino32, gen}");
	ASSERT_TRUE(host_fh_gen(1, (unsigned char *)w, 8, 1235, &gen), "fh: another inode's handle");
	w[0] = 77; w[1] = 1234; w[2] = 0;	/* tmpfs: {gen, ino lo, ino hi} */
	ASSERT_TRUE(!host_fh_gen(1, (unsigned char *)w, 12, 1234, &gen) && gen == 77,
		    "fh: tmpfs {gen, ino}");
	memcpy(w, &ino64, 8); w[2] = 99;	/* xfs 64-bit: {ino64, gen} */
	ASSERT_TRUE(!host_fh_gen(0x81, (unsigned char *)w, 12, ino64, &gen) && gen == 99,
		    "fh: xfs {ino64, gen}");
	memcpy(w, &ino64, 8); w[2] = 5; w[3] = 0; w[4] = 42;	/* btrfs */
	ASSERT_TRUE(!host_fh_gen(0x4d, (unsigned char *)w, 20, ino64, &gen) && gen == 42,
		    "fh: btrfs {objectid, root, gen}");
	ASSERT_TRUE(host_fh_gen(0x2, (unsigned char *)w, 20, ino64, &gen), "fh: unknown layout");
	ASSERT_TRUE(host_fh_gen(1, (unsigned char *)w, 4, 1234, &gen), "fh: short handle");
}

/* host_fh_layout() and host_fh_make(): a handle made for (ino, gen) in the
 * layout learnt from another inode's handle reads back as (ino, gen). */
static void test_fh_make(void)
{
	uint32_t w[5], gen = 0;
	unsigned char fh[32];
	uint64_t ino64 = 0x123456789aull;
	int type = 0, len;

	w[0] = 2; w[1] = 0;			/* ext4 root: {2, 0} */
	ASSERT_TRUE(host_fh_layout(1, (unsigned char *)w, 8, 2, 0) == HOST_FH_INO32_GEN,
		    "layout: ext4");
	ASSERT_TRUE(host_fh_layout(1, (unsigned char *)w, 8, 3, 0) == HOST_FH_NONE,
		    "layout: a handle of another inode says nothing");
	len = host_fh_make(HOST_FH_INO32_GEN, 4321, 0xabcdef01u, fh, &type);
	ASSERT_TRUE(len == 8 && type == 1 && !host_fh_gen(type, fh, len, 4321, &gen) &&
		    gen == 0xabcdef01u, "make: ext4 {ino32, gen}");
	ASSERT_TRUE(host_fh_make(HOST_FH_INO32_GEN, ino64, 1, fh, &type) < 0,
		    "make: ext4 has no 64-bit inode numbers");
	w[0] = 9; w[1] = 1; w[2] = 0;		/* tmpfs root: {gen, 1, 0} */
	ASSERT_TRUE(host_fh_layout(1, (unsigned char *)w, 12, 1, 0) == HOST_FH_NONE,
		    "layout: tmpfs has none (ESTALE there does not mean gone)");
	w[0] = 128; w[1] = 0;			/* xfs root */
	ASSERT_TRUE(host_fh_layout(1, (unsigned char *)w, 8, 128, 1) == HOST_FH_XFS,
		    "layout: xfs");
	len = host_fh_make(HOST_FH_XFS, ino64, 99, fh, &type);
	ASSERT_TRUE(len == 12 && type == 0x81 && !host_fh_gen(type, fh, len, ino64, &gen) &&
		    gen == 99, "make: xfs 64-bit {ino64, gen}");
	len = host_fh_make(HOST_FH_XFS, 500, 98, fh, &type);
	ASSERT_TRUE(len == 8 && type == 1 && !host_fh_gen(type, fh, len, 500, &gen) && gen == 98,
		    "make: xfs 32-bit {ino32, gen}");
	memcpy(w, &ino64, 8); w[2] = 5; w[3] = 0; w[4] = 42;	/* btrfs: holds its subvolume */
	ASSERT_TRUE(host_fh_layout(0x4d, (unsigned char *)w, 20, ino64, 0) == HOST_FH_NONE,
		    "layout: btrfs is not made from (ino, gen) alone");
	ASSERT_TRUE(host_fh_make(HOST_FH_NONE, 1, 1, fh, &type) < 0, "make: no layout");
}

int main(void)
{
	test_fh_gen();
	test_fh_make();
	char self[PATH_MAX];
	struct timespec ts;
	uint64_t now, arg[2];
	const char *a, *b;
	pthread_t th;
	ssize_t n;

	/* The real /proc: this process, from two threads with two names. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = (uint64_t)ts.tv_sec * S + ts.tv_nsec;
	pthread_setname_np(pthread_self(), "worker-a");
	a = proc_exe(getpid(), now);
	ASSERT_STREQ(a, self, "real /proc: this process's executable");
	arg[1] = now;
	pthread_create(&th, NULL, named_thread, arg);
	pthread_join(th, NULL);
	ASSERT_EQ(arg[0], 1, "a thread with another name gets it too");
	ASSERT_STREQ(proc_exe(getpid(), now), self, "and the first thread still does");
	proc_exe_reset();

	host_set_proc_reader(&fake);
	/* pid 4242 started at 100 s, now 200 s, runs /usr/bin/one. */
	f_start = 100 * S, f_now = 200 * S, f_exe = "/usr/bin/one";
	ASSERT_STREQ(proc_exe(4242, 150 * S), "/usr/bin/one", "first event: read from /proc");
	ASSERT_EQ(n_start + n_exe, 2, "first event: /proc/PID/stat and exe read once each");
	n_start = n_exe = 0;
	b = proc_exe(4242, 160 * S);
	ASSERT_STREQ(b, "/usr/bin/one", "an event before it was last seen alive: cached");
	ASSERT_EQ(n_start + n_exe, 0, "... with no syscall");
	ASSERT_STREQ(proc_exe(4242, 200 * S), "/usr/bin/one", "an event at the time it was seen: cached");
	ASSERT_EQ(n_start + n_exe, 0, "... with no syscall");
	ASSERT_STREQ(proc_exe(4242, 50 * S), "", "an event older than the process: not its exe");

	/* It exits; an event from before its exit arrives later. */
	f_start = 0, f_exe = NULL, f_now = 300 * S;
	ASSERT_STREQ(proc_exe(4242, 250 * S), "/usr/bin/one", "event after exit: the exe it had");

	/* The pid is reused by a process started at 400 s. */
	f_start = 400 * S, f_now = 500 * S, f_exe = "/usr/bin/two";
	a = proc_exe(4242, 260 * S);
	ASSERT_STREQ(a, "/usr/bin/one", "pid reused after the event: the old process's exe");
	ASSERT_TRUE(strcmp(a, "/usr/bin/two"), "never the new process's exe");
	ASSERT_STREQ(proc_exe(4242, 450 * S), "/usr/bin/two", "an event of the new process: its exe");
	ASSERT_STREQ(proc_exe(4242, 260 * S), "", "then an old event: not the new process's exe");

	/* A pid never seen, whose live process started after the event. */
	n_exe = 0;
	ASSERT_STREQ(proc_exe(777, 100 * S), "", "unknown pid, reused: \"\"");
	ASSERT_EQ(n_exe, 0, "... and the new process's exe is not even read");

	/* execve: same start time, new program. */
	f_start = 400 * S, f_now = 600 * S, f_exe = "/usr/bin/three";
	ASSERT_STREQ(proc_exe(4242, 550 * S), "/usr/bin/three", "after an execve: the new program");
	proc_exe_reset();
	host_set_proc_reader(NULL);
	return tap_done();
}
