// SPDX-License-Identifier: Apache-2.0
/*
 * The label rules of bpf/rules.h, compiled for user space: the labels the
 * kernel creates (derived, directories keep labelling), the parent rule of
 * labels at creation (sov_label_inherits()) and the tracing path's
 * creation walk (sov_label_walk_step(), which the kernel runs under
 * bpf_loop), over a mock dentry tree and a mock label map.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

#define BIT(c)		(1ull << (c))
#define DEV		0x800001ull	/* (8 << 20) | 1 */
#define OTHER_DEV	0x800002ull

/* The mock dentry tree: node i's parent is parent[i]; the root is its own. */
#define N_NODES		(SOV_WALK_MAX + 8)
struct node {
	const struct node *parent;
	uint64_t ino;
	uint32_t gen;
};
static struct node nodes[N_NODES];

/* The mock sov_labels: a few (dev, ino) -> label entries. */
struct mock_label {
	struct sov_inode_key key;
	struct sov_label label;
};
static struct mock_label labels[8];
static int n_labels, n_lookups;

static const void *parent_of(const void *n)
{
	return ((const struct node *)n)->parent;
}

static __u64 ino_of(const void *n)
{
	return ((const struct node *)n)->ino;
}

static __u32 gen_of(const void *n)
{
	return ((const struct node *)n)->gen;
}

static const struct sov_label *lookup(const struct sov_inode_key *key)
{
	int i;

	n_lookups++;
	for (i = 0; i < n_labels; i++)
		if (labels[i].key.dev == key->dev && labels[i].key.ino == key->ino)
			return &labels[i].label;
	return NULL;
}

static void set_label(uint64_t dev, uint64_t ino, uint64_t classes, uint32_t flags)
{
	labels[n_labels].key.dev = dev;
	labels[n_labels].key.ino = ino;
	labels[n_labels].label.classes = classes;
	labels[n_labels].label.flags = flags;
	n_labels++;
}

/* A chain: node 0 is the root, node i's parent is node i-1, ino = 100 + i. */
static void chain(void)
{
	int i;

	memset(labels, 0, sizeof(labels));
	n_labels = 0;
	for (i = 0; i < N_NODES; i++) {
		nodes[i].parent = i ? &nodes[i - 1] : &nodes[0];
		nodes[i].ino = 100 + (uint64_t)i;
	}
}

/* The creation walk as the kernel runs it: at most SOV_WALK_MAX steps. */
static struct sov_walk last;

static const struct sov_label *walk(int from)
{
	static struct sov_label found;

	n_lookups = 0;
	memset(&last, 0, sizeof(last));
	last.node = &nodes[from];
	last.dev = DEV;
	for (int i = 0; i < SOV_WALK_MAX; i++)
		if (sov_label_walk_step(&last, parent_of, ino_of, gen_of, lookup))
			break;
	if (!last.found)
		return NULL;
	found.classes = last.classes;
	return &found;
}

static void test_derived_label(void)
{
	struct sov_label l;

	l = sov_label_derived(BIT(0) | BIT(63), S_IFREG | 0644);
	ASSERT_EQ(l.classes, BIT(0) | BIT(63), "derived: classes kept (bits 0 and 63)");
	ASSERT_EQ(l.flags, SOV_LABEL_DERIVED, "derived: a regular file is derived, not a dir");
	ASSERT_EQ(l.gen, 0, "derived: gen zeroed until stamped (a map value)");
	l = sov_label_derived(BIT(3), S_IFDIR | 0755);
	ASSERT_EQ(l.flags, SOV_LABEL_DERIVED | SOV_LABEL_DIR,
		  "derived: a directory keeps labelling what is created below");
	l = sov_label_derived(BIT(3), S_IFLNK | 0777);
	ASSERT_EQ(l.flags, SOV_LABEL_DERIVED, "derived: a symlink is not a directory");
	l = sov_label_derived(BIT(3), S_IFSOCK);
	ASSERT_EQ(l.flags, SOV_LABEL_DERIVED, "derived: S_IFSOCK (all of S_IFDIR's bits and more) is not a dir");
	l = sov_label_derived(0, S_IFREG);
	ASSERT_EQ(l.classes, 0, "derived: no classes stays no classes");
}

static void test_passes_on(void)
{
	struct sov_label dir = { .classes = BIT(1), .flags = SOV_LABEL_DIR };
	struct sov_label file = { .classes = BIT(1), .flags = 0 };
	struct sov_label der = { .classes = BIT(1), .flags = SOV_LABEL_DERIVED };
	struct sov_label derdir = { .classes = BIT(1), .flags = SOV_LABEL_DERIVED | SOV_LABEL_DIR };

	ASSERT_TRUE(!sov_label_passes_on(NULL), "passes on: no label passes nothing");
	ASSERT_TRUE(sov_label_passes_on(&dir), "passes on: a labelled directory does");
	ASSERT_TRUE(!sov_label_passes_on(&file), "passes on: a labelled file does not");
	ASSERT_TRUE(!sov_label_passes_on(&der), "passes on: a derived file does not");
	ASSERT_TRUE(sov_label_passes_on(&derdir), "passes on: an inherited directory does");
}

static void test_walk(void)
{
	const struct sov_label *l;

	chain();
	l = walk(10);
	ASSERT_TRUE(l == NULL, "walk: nothing labelled: no label");
	ASSERT_EQ(n_lookups, 10, "walk: 10 levels deep, stops at the root after 10 lookups");

	/* /data (node 2) is a labelled directory: node 5 lies below it. */
	set_label(DEV, 102, BIT(4), SOV_LABEL_DIR);
	l = walk(5);
	ASSERT_TRUE(l != NULL, "walk: a file below a labelled dir inherits");
	if (l)
		ASSERT_EQ(l->classes, BIT(4), "walk: it gets the directory's classes");
	ASSERT_EQ(n_lookups, 3, "walk: parents 4, 3, 2 looked up");

	l = walk(2);
	ASSERT_TRUE(l == NULL, "walk: the labelled dir itself does not inherit from itself");

	/* The nearest labelled directory wins. */
	set_label(DEV, 104, BIT(5), SOV_LABEL_DIR | SOV_LABEL_DERIVED);
	l = walk(7);
	ASSERT_TRUE(l && l->classes == BIT(5), "walk: the nearest labelled dir wins");
	ASSERT_EQ(n_lookups, 3, "walk: parents 6, 5, 4 looked up");

	/* A labelled non-directory on the way is no source of inheritance. */
	set_label(DEV, 106, BIT(6), SOV_LABEL_DERIVED);
	l = walk(7);
	ASSERT_TRUE(l && l->classes == BIT(5), "walk: a labelled non-dir parent is passed over");

	/* The same inode number on another device is another file. */
	chain();
	set_label(OTHER_DEV, 102, BIT(4), SOV_LABEL_DIR);
	l = walk(5);
	ASSERT_TRUE(l == NULL, "walk: a label on another device does not count");
}

static void test_walk_depth(void)
{
	const struct sov_label *l;

	/* Labelled dir at node 0: a file 20 levels below (mkdir -p) finds it,
	 * and the walk counts the 19 directories it crossed (the kernel
	 * labels them). */
	chain();
	set_label(DEV, 100, BIT(9), SOV_LABEL_DIR);
	l = walk(20);
	ASSERT_TRUE(l && l->classes == BIT(9), "depth: a labelled dir 20 levels up is found");
	ASSERT_EQ(n_lookups, 20, "depth: 20 lookups");
	ASSERT_EQ(last.depth, 19, "depth: 19 unlabelled directories crossed");
	l = walk(SOV_WALK_MAX);
	ASSERT_TRUE(l && l->classes == BIT(9), "depth: SOV_WALK_MAX levels up is found");
	l = walk(SOV_WALK_MAX + 1);
	ASSERT_TRUE(l == NULL, "depth: one more is beyond the walk");
	ASSERT_EQ(n_lookups, SOV_WALK_MAX, "depth: never more than SOV_WALK_MAX lookups");

	/* A dentry without a parent (NULL) ends the walk. */
	chain();
	set_label(DEV, 100, BIT(9), SOV_LABEL_DIR);
	nodes[3].parent = NULL;
	l = walk(5);
	ASSERT_TRUE(l == NULL, "depth: a NULL parent ends the walk");
	ASSERT_EQ(n_lookups, 2, "depth: only parents 4 and 3 looked up");
}

/* One parent lookup: what a file without its own label takes. */
static void test_inherits(void)
{
	struct sov_label dir = { .classes = BIT(1), .flags = SOV_LABEL_DIR };
	struct sov_label file = { .classes = BIT(1) };

	ASSERT_TRUE(sov_label_inherits(&dir, 5), "inherits: from a labelled directory");
	ASSERT_TRUE(!sov_label_inherits(&file, 5), "inherits: not from a labelled file");
	ASSERT_TRUE(!sov_label_inherits(NULL, 5), "inherits: not from an unlabelled parent");
	sov_label_stamp(&dir, 5);
	ASSERT_TRUE(sov_label_inherits(&dir, 5), "inherits: the directory's own generation");
	ASSERT_TRUE(!sov_label_inherits(&dir, 6), "inherits: not from a stale directory label");
	ASSERT_TRUE(sov_open_creates(0100), "creates: O_CREAT");
	ASSERT_TRUE(sov_open_creates(020200000), "creates: O_TMPFILE");
	ASSERT_TRUE(sov_open_creates(0101 | 01000), "creates: O_CREAT|O_WRONLY|O_TRUNC");
	ASSERT_TRUE(!sov_open_creates(0 | 02 | 01000 | 02000), "creates: not O_RDWR|O_TRUNC|O_APPEND");
}

/* Inode reuse: a label of another generation is no label. */
static void test_generation(void)
{
	struct sov_label l = sov_label_derived(BIT(2), S_IFREG | 0644);

	ASSERT_TRUE(sov_label_current(&l, 7), "gen: a label without a generation matches any");
	sov_label_stamp(&l, 7);
	ASSERT_TRUE(l.flags & SOV_LABEL_GEN, "gen: stamped label records one");
	ASSERT_EQ(l.gen, 7, "gen: the inode's i_generation");
	ASSERT_EQ(l.flags & ~SOV_LABEL_GEN, SOV_LABEL_DERIVED, "gen: stamping keeps the flags");
	ASSERT_TRUE(sov_label_current(&l, 7), "gen: same generation, same inode");
	ASSERT_TRUE(!sov_label_current(&l, 8), "gen: another generation is a reused number");
	ASSERT_TRUE(!sov_label_current(&l, 0), "gen: generation 0 is a generation too");
	ASSERT_TRUE(!sov_label_current(NULL, 7), "gen: no entry, no label");
	l.gen = 0;
	ASSERT_TRUE(sov_label_current(&l, 0), "gen: a recorded 0 matches 0");
}

/* A labelled directory of another generation passes nothing on. */
static void test_walk_generation(void)
{
	const struct sov_label *l;

	chain();
	nodes[4].gen = 9;
	set_label(DEV, 104, BIT(4), SOV_LABEL_DIR | SOV_LABEL_GEN);
	labels[0].label.gen = 9;
	l = walk(7);
	ASSERT_TRUE(l && l->classes == BIT(4), "walk gen: the directory's own generation passes on");
	nodes[4].gen = 10;	/* node 4's number now belongs to a new directory */
	l = walk(7);
	ASSERT_TRUE(l == NULL, "walk gen: a stale directory label passes nothing on");
	set_label(DEV, 102, BIT(2), SOV_LABEL_DIR);
	l = walk(7);
	ASSERT_TRUE(l && l->classes == BIT(2),
		    "walk gen: the walk goes on past it (a label without generation matches)");
}

/* Only data takes a label from the kernel. */
static void test_kind(void)
{
	ASSERT_TRUE(sov_label_kind(S_IFREG | 0644), "kind: a regular file");
	ASSERT_TRUE(sov_label_kind(S_IFDIR | 0755), "kind: a directory");
	ASSERT_TRUE(sov_label_kind(S_IFLNK | 0777), "kind: a symlink");
	ASSERT_TRUE(!sov_label_kind(S_IFIFO | 0600), "kind: a FIFO is not");
	ASSERT_TRUE(!sov_label_kind(S_IFSOCK | 0755), "kind: a socket file is not");
	ASSERT_TRUE(!sov_label_kind(S_IFCHR | 0666), "kind: a char device (/dev/null, a tty) is not");
	ASSERT_TRUE(!sov_label_kind(S_IFBLK | 0660), "kind: a block device is not");
	ASSERT_TRUE(!sov_label_kind(0), "kind: no type is not");
}

int main(void)
{
	test_derived_label();
	test_passes_on();
	test_walk();
	test_walk_depth();
	test_inherits();
	test_generation();
	test_walk_generation();
	test_kind();
	return tap_done();
}
