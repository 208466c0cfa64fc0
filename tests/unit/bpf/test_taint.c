// SPDX-License-Identifier: Apache-2.0
/*
 * The taint and derivation rules of bpf/rules.h, compiled for user space:
 * which opens taint, what counts as a write for derivation (at open and for
 * the descriptors a process holds when it becomes tainted), which classes
 * pass on, and when a merge is a change worth an event. A mock taint table
 * replays an open sequence the way bpf/open.bpf.h composes the rules.
 */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

#define BIT(c)		(1ull << (c))
#define RD		SOV_FMODE_READ
#define WR		SOV_FMODE_WRITE

static void test_open_taints(void)
{
	ASSERT_TRUE(sov_open_taints(1, RD, 0), "taints: reading a labelled file");
	ASSERT_TRUE(sov_open_taints(1, RD | WR, SOV_LABEL_DERIVED),
		    "taints: O_RDWR of a derived file");
	ASSERT_TRUE(!sov_open_taints(0, RD, 0), "taints: an unlabelled file does not");
	ASSERT_TRUE(!sov_open_taints(1, WR, 0), "taints: write-only does not read the data");
	ASSERT_TRUE(!sov_open_taints(1, 0, 0), "taints: an open with neither mode (O_PATH)");
	ASSERT_TRUE(!sov_open_taints(1, RD, SOV_LABEL_DIR),
		    "taints: listing a labelled directory does not");
	ASSERT_TRUE(!sov_open_taints(1, RD, SOV_LABEL_DIR | SOV_LABEL_DERIVED),
		    "taints: nor an inherited directory");
	/* Other f_mode bits (FMODE_LSEEK 0x4, FMODE_PREAD 0x8...) are ignored. */
	ASSERT_TRUE(sov_open_taints(1, RD | 0x4 | 0x8, 0), "taints: other f_mode bits ignored");
	ASSERT_TRUE(!sov_open_taints(1, 0x4 | 0x8, 0), "taints: no FMODE_READ, no taint");
}

static void test_writes(void)
{
	ASSERT_TRUE(sov_open_writes(WR), "writes: FMODE_WRITE");
	ASSERT_TRUE(sov_open_writes(RD | WR), "writes: O_RDWR");
	ASSERT_TRUE(!sov_open_writes(RD), "writes: read-only is no write");
	ASSERT_TRUE(!sov_open_writes(0x4 | 0x8), "writes: other bits are no write");

	ASSERT_TRUE(sov_fd_writes(WR, S_IFREG | 0600), "fd: a regular file open for writing");
	ASSERT_TRUE(!sov_fd_writes(RD, S_IFREG | 0600), "fd: read-only regular file");
	ASSERT_TRUE(!sov_fd_writes(WR, S_IFIFO | 0600), "fd: a pipe is not a derivative");
	ASSERT_TRUE(!sov_fd_writes(WR, S_IFSOCK | 0600), "fd: a socket is not");
	ASSERT_TRUE(!sov_fd_writes(WR, S_IFCHR | 0620), "fd: a tty is not");
	ASSERT_TRUE(!sov_fd_writes(WR, S_IFDIR | 0755), "fd: a directory is not");

	/* mmap (issue 11): only a writable shared file mapping writes through */
	ASSERT_TRUE(sov_map_writes(0x1 | 0x2, 0x01), "map: shared read-write writes");
	ASSERT_TRUE(sov_map_writes(0x2, 0x03), "map: MAP_SHARED_VALIDATE writes");
	ASSERT_TRUE(sov_map_writes(0x2, 0x01 | 0x8000), "map: other flags (MAP_POPULATE) do not matter");
	ASSERT_TRUE(!sov_map_writes(0x1 | 0x2, 0x02), "map: MAP_PRIVATE is copy-on-write");
	ASSERT_TRUE(!sov_map_writes(0x1, 0x01), "map: shared read-only does not write");
	ASSERT_TRUE(!sov_map_writes(0x2, 0x01 | 0x20), "map: shared anonymous has no file");
	ASSERT_TRUE(!sov_map_writes(0x2 | 0x4, 0x0), "map: no map type is no write-through");
}

static void test_derivable_and_grow(void)
{
	struct sov_config cfg = { .derive_classes = BIT(0) | BIT(2) | BIT(63) };

	ASSERT_EQ(sov_derivable(BIT(0) | BIT(1), &cfg), BIT(0),
		  "derivable: only classes with derive: true pass on");
	ASSERT_EQ(sov_derivable(BIT(1), &cfg), 0, "derivable: none of them: nothing");
	ASSERT_EQ(sov_derivable(0, &cfg), 0, "derivable: no taint: nothing");
	ASSERT_EQ(sov_derivable(~0ull, &cfg), cfg.derive_classes, "derivable: all: the mask");
	cfg.derive_classes = 0;
	ASSERT_EQ(sov_derivable(~0ull, &cfg), 0, "derivable: no class derives");

	ASSERT_TRUE(!sov_classes_grow(0, 0), "grow: nothing to nothing");
	ASSERT_TRUE(sov_classes_grow(0, BIT(3)), "grow: first class");
	ASSERT_TRUE(!sov_classes_grow(BIT(3), BIT(3)), "grow: the same class again is no change");
	ASSERT_TRUE(!sov_classes_grow(BIT(3) | BIT(4), BIT(4)), "grow: a subset is no change");
	ASSERT_TRUE(sov_classes_grow(BIT(3), BIT(3) | BIT(63)), "grow: one new class (63)");
	ASSERT_TRUE(!sov_classes_grow(BIT(3), 0), "grow: adding nothing is no change");
}

/*
 * The open sequence of `sh -c 'cat labelled > out'` and friends, replayed
 * on a one-process mock of sov_taint the way on_open() composes the rules:
 * taint first (O_RDWR), then derivation of what is written.
 */
struct proc {
	int tainted;
	uint64_t taint;
	int taint_events, derive_events;
	uint64_t derived;
};

static void mock_open(struct proc *p, const struct sov_config *cfg, int labelled,
		      uint64_t classes, uint32_t lflags, uint32_t f_mode)
{
	if (sov_open_taints(labelled, f_mode, lflags) &&
	    (!p->tainted || sov_classes_grow(p->taint, classes))) {
		p->tainted = 1;
		p->taint |= classes;
		p->taint_events++;
	}
	if (sov_open_writes(f_mode) && p->tainted && sov_derivable(p->taint, cfg)) {
		p->derived = sov_derivable(p->taint, cfg);
		p->derive_events++;
	}
}

static void test_sequence(void)
{
	struct sov_config cfg = { .derive_classes = BIT(0) | BIT(1) };
	struct proc p = { 0 };

	mock_open(&p, &cfg, 0, 0, 0, WR);
	ASSERT_EQ(p.derive_events, 0, "seq: an untainted write derives nothing");
	mock_open(&p, &cfg, 1, BIT(0), 0, RD);
	ASSERT_EQ(p.taint, BIT(0), "seq: reading class 0 taints with it");
	ASSERT_EQ(p.taint_events, 1, "seq: one taint event");
	mock_open(&p, &cfg, 1, BIT(0), 0, RD);
	ASSERT_EQ(p.taint_events, 1, "seq: reading it again: no new taint event");
	mock_open(&p, &cfg, 1, BIT(5), SOV_LABEL_DIR, RD);
	ASSERT_EQ(p.taint, BIT(0), "seq: listing a labelled dir adds nothing");
	mock_open(&p, &cfg, 1, BIT(1) | BIT(2), 0, RD | WR);
	ASSERT_EQ(p.taint, BIT(0) | BIT(1) | BIT(2), "seq: O_RDWR taints first");
	ASSERT_EQ(p.derive_events, 1, "seq: ...then derives");
	ASSERT_EQ(p.derived, BIT(0) | BIT(1), "seq: with the derivable classes only");
	mock_open(&p, &cfg, 0, 0, 0, RD);
	ASSERT_EQ(p.derive_events, 1, "seq: a read of an unlabelled file derives nothing");

	memset(&p, 0, sizeof(p));
	mock_open(&p, &cfg, 1, BIT(2), 0, RD);
	mock_open(&p, &cfg, 0, 0, 0, WR);
	ASSERT_EQ(p.taint, BIT(2), "seq: tainted by a class that does not derive");
	ASSERT_EQ(p.derive_events, 0, "seq: its writes derive nothing");
}

int main(void)
{
	test_open_taints();
	test_writes();
	test_derivable_and_grow();
	test_sequence();
	return tap_done();
}
