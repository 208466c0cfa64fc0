/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The label collector (issue 12): labels of inodes that no longer exist
 * are deleted from the label map, so it does not fill with the dead.
 * On the LSM path the kernel does it at once (lsm/inode_free_security,
 * bpf/label.bpf.h label_reclaim()); the tracing path has no hook where an
 * inode dies, and a label may outlive its inode while sovd is stopped, so
 * sovd also walks the map, a slice each second: each label names its
 * inode by (device, inode number, generation), which is a file handle on
 * ext2/3/4 and xfs; open_by_handle_at() (O_PATH: no open hook reads,
 * nothing is read) says ESTALE when that inode is gone. A label on another
 * filesystem (tmpfs answers ESTALE for live inodes nobody made a handle
 * of; btrfs, overlayfs, NFS, FUSE), or without a generation, is never
 * deleted (counted as unverifiable). docs/architecture.md gives the window
 * and the race.
 */
#ifndef SOVD_LABEL_GC_H
#define SOVD_LABEL_GC_H

#include <stddef.h>
#include <stdint.h>
#include "sov/abi.h"

#define LABEL_GC_DEVS	64

struct label_gc {
	int map_fd;
	struct label_gc_dev {
		uint64_t dev;		/* the kernel's s_dev */
		int fd;			/* a mount's root directory, or -1; only
					 * during a slice (it keeps the mount busy) */
		int layout;		/* HOST_FH_*, HOST_FH_NONE: unverifiable */
	} devs[LABEL_GC_DEVS];
	size_t n_devs;
	struct sov_inode_key cursor;	/* the next key to visit */
	int in_pass;
	/* totals since start */
	uint64_t reclaimed, checked, unverifiable, passes;
};

void label_gc_init(struct label_gc *g, int map_fd);
/* Visits up to budget labels from where the last call stopped; a pass
 * ends at the end of the map (and the next starts afresh, mounts re-read).
 * Returns the labels it deleted. */
size_t label_gc_step(struct label_gc *g, size_t budget);
void label_gc_close(struct label_gc *g);

#endif
