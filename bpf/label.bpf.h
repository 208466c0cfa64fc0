/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Labels: which classes a file carries. A label belongs to the inode
 * (dev, ino) in sov_labels, so hard links, renames and moves keep it, and
 * to its generation (i_generation, struct sov_label.gen): a new file that
 * reuses a deleted labelled file's inode number is not labelled. A
 * file without a label of its own below a labelled directory inherits the
 * directory's classes (rules: sov_label_walk(), sov_label_derived()).
 */
#ifndef SOV_LABEL_BPF_H
#define SOV_LABEL_BPF_H

#include "events.bpf.h"

static __always_inline struct sov_label *label_of(const struct sov_inode_key *key)
{
	return bpf_map_lookup_elem(&sov_labels, key);
}

/* The ancestor walk's view of the dentry tree and of the label map. */
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
 * The label of the file's inode, by value (so a full label map still lets
 * this open taint). A file without its own label that lies below a labelled
 * directory (created after sovd labelled the tree, or moved in) takes the
 * directory's classes, and the label is stored on its inode so that later
 * opens, hard links and renames find it with one lookup. Only devices in
 * sov_label_devs (those holding a labelled directory) pay for the walk.
 * Returns 1 and fills classes and flags when the file is labelled.
 */
static __always_inline int file_label(struct file *file, struct sov_inode_key *key,
				      __u64 *classes, __u32 *flags)
{
	const struct sov_label *pl;
	struct sov_label *lab, nl;
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
	if (!bpf_map_lookup_elem(&sov_label_devs, &dev))
		return 0;
	/* Only data inherits a directory's label (sov_label_kind()). */
	i_mode = BPF_CORE_READ(inode, i_mode);
	if (!sov_label_kind(i_mode))
		return 0;

	pl = sov_label_walk(BPF_CORE_READ(file, f_path.dentry), dev, label_dentry_parent,
			    label_dentry_ino, label_dentry_gen, label_lookup);
	if (!pl)
		return 0;
	nl = sov_label_derived(pl->classes, i_mode);
	sov_label_stamp(&nl, BPF_CORE_READ(inode, i_generation));
	if (bpf_map_update_elem(&sov_labels, key, &nl, BPF_NOEXIST) && !label_of(key))
		count(SOV_CNT_MAP_FULL);
	*classes = nl.classes;
	*flags = nl.flags;
	return 1;
}

#endif
