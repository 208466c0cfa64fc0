// SPDX-License-Identifier: Apache-2.0
/*
 * Reading the number of tainted processes (sovctl status) must only count:
 * it used to run the garbage collector, deleting the entries of processes
 * that exited more than SOV_TAINT_LINGER_S ago. Only taint_gc() deletes.
 * Needs root (it creates a BPF hash map); no programs are loaded.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "agent/kpath.h"
#include "agent/taint.h"
#include "tests/lib/tap.h"

static size_t entries(int fd)
{
	__u32 cur, next, *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		cur = next;
		prev = &cur;
		n++;
	}
	return n;
}

int main(void)
{
	struct sov_map_fds fds;
	struct sov_taint live = { .classes = 1 }, gone = { .classes = 1 };
	struct timespec ts;
	__u32 k1 = 1001, k2 = 1002;
	uint64_t now;
	int fd;

	/* The collector's clock is the caller's: a time far enough after
	 * boot for an entry to be stale, however long ago this machine
	 * booted. */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec +
	      (SOV_TAINT_LINGER_S + 60) * 1000000000ull;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "test_taint", sizeof(__u32),
			    sizeof(struct sov_taint), 16, NULL);
	if (!ASSERT_TRUE(fd >= 0, "create a taint map (needs root)"))
		return tap_done();
	memset(&fds, -1, sizeof(fds));
	fds.taint = fd;
	gone.exited_ns = now - (SOV_TAINT_LINGER_S + 30) * 1000000000ull;
	ASSERT_OK(bpf_map_update_elem(fd, &k1, &live, BPF_ANY), "insert a live process");
	ASSERT_OK(bpf_map_update_elem(fd, &k2, &gone, BPF_ANY), "insert one gone for longer than the linger time");

	ASSERT_EQ(taint_count(&fds), 1, "count: one live tainted process");
	ASSERT_EQ(entries(fd), 2, "count: deleted nothing (status only reads)");
	ASSERT_EQ(taint_count(&fds), 1, "count again: the same");
	ASSERT_EQ(taint_gc(&fds, now), 1, "gc: counts one live tainted process");
	ASSERT_EQ(entries(fd), 1, "gc: the stale entry is removed");
	ASSERT_TRUE(bpf_map_lookup_elem(fd, &k1, &live) == 0, "gc: the live entry stays");
	close(fd);
	return tap_done();
}
