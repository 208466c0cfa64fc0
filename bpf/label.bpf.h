/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Labels: which classes a file carries. A label belongs to the inode
 * (dev, ino) in sov_labels, so hard links, renames and moves keep it, and
 * to its generation (i_generation, struct sov_label.gen): a new file that
 * reuses a deleted labelled file's inode number is not labelled.
 *
 * Labels at creation (issue 11), no per-open ancestor walk: a file or
 * directory without its own label takes its parent directory's classes
 * when that directory passes them on (rules: sov_label_inherits()), so an
 * open costs the file's lookup and, when it has none, its parent's. What
 * keeps every directory below a labelled one labelled itself:
 *  - LSM path: lsm/d_instantiate labels a new dentry's inode (mkdir, create,
 *    mknod, symlink, link, O_TMPFILE's linkat, and a lookup that brings an
 *    inode into the dcache) from its parent, and lsm/inode_rename labels
 *    what is moved into a labelled directory, at any depth, at that moment.
 *  - tracing path (no hook sees mkdir's new dentry): an open that may
 *    create (O_CREAT, O_TMPFILE) walks up to the nearest labelled
 *    directory (label_on_create(), bpf_loop, SOV_WALK_MAX levels) and labels
 *    the file and every directory it crossed; other opens need the parent.
 */
#ifndef SOV_LABEL_BPF_H
#define SOV_LABEL_BPF_H

#include "events.bpf.h"

static __always_inline struct sov_label *label_of(const struct sov_inode_key *key)
{
	return bpf_map_lookup_elem(&sov_labels, key);
}

/* The walk's view of the dentry tree and of the label map. */
static __always_inline const void *label_dentry_parent(const void *node)
{
	const struct dentry *d = node;

	return BPF_CORE_READ(d, d_parent);
}

static __always_inline __u64 label_dentry_ino(const void *node)
{
	const struct dentry *d = node;

	return BPF_CORE_READ(d, d_inode, i_ino);
}

static __always_inline __u32 label_dentry_gen(const void *node)
{
	const struct dentry *d = node;

	return BPF_CORE_READ(d, d_inode, i_generation);
}

static __always_inline const struct sov_label *label_lookup(const struct sov_inode_key *key)
{
	return label_of(key);
}

/*
 * Gives the inode (dev, ino, generation gen, mode i_mode) the kernel label
 * 'classes' (derived; a directory keeps labelling), merged with a current
 * label it already has. A full map is counted.
 */
static __always_inline void label_store(const struct sov_inode_key *key, __u64 classes,
					__u32 i_mode, __u32 gen)
{
	struct sov_label nl = sov_label_derived(classes, i_mode), *old;

	sov_label_stamp(&nl, gen);
	old = label_of(key);
	if (old && sov_label_current(old, gen)) {
		if ((old->classes | classes) == old->classes)
			return;
		nl.classes |= old->classes;
		nl.flags |= old->flags;
	}
	if (bpf_map_update_elem(&sov_labels, key, &nl, BPF_ANY))
		overflow_add(nl.classes, SOV_LOST_LABEL);
}

/*
 * The label of the file's inode, by value (so a full label map still lets
 * this open taint). A file without its own label in a directory that passes
 * one on (created, linked or moved there) takes the directory's classes,
 * stored on its inode so that later opens, hard links and renames find it
 * with one lookup. Returns 1 and fills classes and flags when the file is
 * labelled. Lookups: the file's; when it has none and is data
 * (sov_label_kind()), its parent's.
 */
static __always_inline int file_label(struct file *file, struct sov_inode_key *key,
				      __u64 *classes, __u32 *flags)
{
	struct sov_inode_key pk;
	const struct sov_label *pl;
	struct sov_label *lab, nl;
	struct dentry *dentry, *parent;
	struct inode *inode;
	__u32 gen, i_mode;
	__u64 dev;

	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return 0;
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key->dev = dev;
	key->ino = BPF_CORE_READ(inode, i_ino);
	lab = label_of(key);
	if (lab) {
		gen = BPF_CORE_READ(inode, i_generation);
		if (sov_label_current(lab, gen)) {
			*classes = lab->classes;
			*flags = lab->flags;
			return 1;
		}
		/* The label of a deleted file whose inode number this new
		 * file reuses: it goes, and the file is judged as unlabelled. */
		bpf_map_delete_elem(&sov_labels, key);
	}
	/* Only data inherits a directory's label (sov_label_kind()). */
	i_mode = BPF_CORE_READ(inode, i_mode);
	if (!sov_label_kind(i_mode))
		return 0;
	dentry = BPF_CORE_READ(file, f_path.dentry);
	parent = BPF_CORE_READ(dentry, d_parent);
	if (!parent || parent == dentry)
		return 0;
	pk.dev = dev;
	pk.ino = BPF_CORE_READ(parent, d_inode, i_ino);
	pl = label_of(&pk);
	if (!pl || !sov_label_inherits(pl, BPF_CORE_READ(parent, d_inode, i_generation)))
		return 0;
	nl = sov_label_derived(pl->classes, i_mode);
	sov_label_stamp(&nl, BPF_CORE_READ(inode, i_generation));
	if (bpf_map_update_elem(&sov_labels, key, &nl, BPF_NOEXIST) && !label_of(key))
		overflow_add(nl.classes, SOV_LOST_LABEL);
	*classes = nl.classes;
	*flags = nl.flags;
	return 1;
}

/*
 * LSM path: a dentry gets its inode (lsm/d_instantiate: mkdir, create,
 * mknod, symlink, link and O_TMPFILE's linkat, and a lookup that reads an
 * inode into the dcache). The inode takes its parent directory's classes
 * when that directory passes them on. Data only; one lookup (the parent's)
 * when the parent is not labelled.
 */
static __always_inline void label_on_instantiate(struct dentry *dentry, struct inode *inode)
{
	struct sov_inode_key pk, key;
	const struct sov_label *pl;
	struct dentry *parent;
	__u32 i_mode;

	if (!inode || !dentry)
		return;
	i_mode = BPF_CORE_READ(inode, i_mode);
	if (!sov_label_kind(i_mode))
		return;
	parent = BPF_CORE_READ(dentry, d_parent);
	if (!parent || parent == dentry)
		return;
	pk.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	pk.ino = BPF_CORE_READ(parent, d_inode, i_ino);
	pl = label_of(&pk);
	if (!pl || !sov_label_inherits(pl, BPF_CORE_READ(parent, d_inode, i_generation)))
		return;
	key.dev = pk.dev;
	key.ino = BPF_CORE_READ(inode, i_ino);
	label_store(&key, pl->classes, i_mode, BPF_CORE_READ(inode, i_generation));
}

/*
 * LSM path: 'inode' is moved into 'new_dir' (lsm/inode_rename, before the
 * move; RENAME_EXCHANGE calls it for each side). It takes the directory's
 * classes when new_dir passes them on (a rename that then fails leaves the
 * label: fail closed). A directory moved in is labelled itself; what lies
 * below it inherits as it is instantiated or opened (docs/architecture.md).
 */
static __always_inline void label_on_move(struct inode *inode, struct inode *new_dir)
{
	struct sov_inode_key pk, key;
	const struct sov_label *pl;
	__u32 i_mode;

	if (!inode || !new_dir)
		return;
	i_mode = BPF_CORE_READ(inode, i_mode);
	if (!sov_label_kind(i_mode))
		return;
	pk.dev = BPF_CORE_READ(new_dir, i_sb, s_dev);
	pk.ino = BPF_CORE_READ(new_dir, i_ino);
	pl = label_of(&pk);
	if (!pl || !sov_label_inherits(pl, BPF_CORE_READ(new_dir, i_generation)))
		return;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	label_store(&key, pl->classes, i_mode, BPF_CORE_READ(inode, i_generation));
}

/* bpf_loop callbacks of the creation walk (tracing path). */
static long create_walk_cb(__u32 i, void *ctx)
{
	(void)i;
	return sov_label_walk_step(ctx, label_dentry_parent, label_dentry_ino,
				   label_dentry_gen, label_lookup);
}
SOV_WALK_FN(create_walk_cb, struct sov_walk, SOV_WALK_SLOT_CREATE)

struct create_memo {
	const struct dentry *node;	/* the next directory to label */
	__u64 dev;
	__u64 classes;
	__u32 left;			/* directories still to label */
};

static long create_memo_cb(__u32 i, void *ctx)
{
	struct create_memo *m = ctx;
	struct sov_inode_key key;
	const struct dentry *d = m->node;

	(void)i;
	if (!m->left || !d)
		return 1;
	key.dev = m->dev;
	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	label_store(&key, m->classes, BPF_CORE_READ(d, d_inode, i_mode),
		    BPF_CORE_READ(d, d_inode, i_generation));
	m->node = BPF_CORE_READ(d, d_parent);
	m->left--;
	return 0;
}
SOV_WALK_FN(create_memo_cb, struct create_memo, SOV_WALK_SLOT_MEMO)

/*
 * The label of an inode being freed without links (deleted: its last
 * name removed and its last user gone) is deleted with it, so the map
 * does not fill with the dead and a new inode that reuses the number
 * starts unlabelled (issue 12). Only the inode's own label (same
 * generation, or one stored without it) goes: on ext4 the number is free
 * again before this hook runs, and a new inode already labelled under it
 * has another generation. One lookup per freed unlinked inode.
 */
static __always_inline void label_reclaim(struct inode *inode)
{
	struct sov_inode_key key = {};
	struct sov_label *lab;

	if (BPF_CORE_READ(inode, __i_nlink))
		return;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	lab = label_of(&key);
	if (!lab || !sov_label_current(lab, BPF_CORE_READ(inode, i_generation)))
		return;
	if (!bpf_map_delete_elem(&sov_labels, &key))
		count(SOV_CNT_LABEL_GONE);
}

/*
 * Tracing path, an open that may have created its file (O_CREAT or
 * O_TMPFILE), before on_open() judges it. A file without a label of its
 * own on a device that holds a labelled directory looks for the nearest
 * labelled directory above it (any depth up to SOV_WALK_MAX); found, the
 * file and every directory crossed take its classes (so directories made
 * by mkdir -p below a labelled one are labelled by the first file created
 * in them). Cost: label_devs (1 lookup on a device without labelled
 * directories), the file's lookup, and one lookup per directory climbed; opens without O_CREAT, and O_CREAT opens of a file
 * that is not empty (it was not created), never walk.
 */
static __always_inline void label_on_create(struct file *file, int tmpfile)
{
	struct sov_walk zero = {}, w;
	struct create_memo m;
	struct sov_inode_key key;
	struct sov_label *lab;
	struct inode *inode;
	struct dentry *dentry;
	__u32 i_mode, gen;

	inode = BPF_CORE_READ(file, f_inode);
	if (!inode)
		return;
	i_mode = BPF_CORE_READ(inode, i_mode);
	if (!sov_label_kind(i_mode))
		return;
	/* A file this open created is empty (an O_TMPFILE one too): an
	 * O_CREAT open of a file that has data (an append to a log) created
	 * nothing, and pays no lookup. */
	if (!tmpfile && BPF_CORE_READ(inode, i_size) != 0)
		return;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	if (!bpf_map_lookup_elem(&sov_label_devs, &key.dev))
		return;
	key.ino = BPF_CORE_READ(inode, i_ino);
	gen = BPF_CORE_READ(inode, i_generation);
	lab = label_of(&key);
	if (lab && sov_label_current(lab, gen))
		return;
	/* The walk's state read by a probe read, not written as constants:
	 * verifiers before 6.7 check a bpf_loop callback once with the
	 * caller's stack as it is at the call, and would take found and
	 * depth for the known zeros they are there (see recv_exit()). */
	if (bpf_probe_read_kernel(&w, sizeof(w), &zero))
		return;
	dentry = BPF_CORE_READ(file, f_path.dentry);
	w.node = dentry;
	w.dev = key.dev;
	sov_walk(SOV_WALK_MAX, SOV_K510_WALK_LEVELS, create_walk_cb, &w, SOV_WALK_SLOT_CREATE);
	if (!w.found)
		return;
	label_store(&key, w.classes, i_mode, gen);
	if (!w.depth)
		return;
	m.node = BPF_CORE_READ(dentry, d_parent);
	m.dev = key.dev;
	m.classes = w.classes;
	m.left = w.depth;
	sov_walk(SOV_WALK_MAX, SOV_K510_WALK_LEVELS, create_memo_cb, &m, SOV_WALK_SLOT_MEMO);
}

#endif
