/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared writable file mappings of a newly tainted process (issue 11).
 * The kernel derives a file mapped MAP_SHARED and writable when the
 * mapping is made by a tainted process (lsm/mmap_file, the mmap exit) and
 * a file held open for writing when the process becomes tainted (the fd
 * walk). A mapping made before the taint whose fd was closed is neither:
 * no BPF hook of 6.1 can walk a process's mappings. sovd reads
 * /proc/PID/maps on the taint event and labels those files as derivatives
 * (a derive event each), milliseconds after the taint.
 */
#ifndef SOVD_MAPSCAN_H
#define SOVD_MAPSCAN_H

#include <stdint.h>
#include <sys/types.h>

struct sov_map_fds;
struct pipeline;

/* Labels the files pid maps shared and writable with the derivable part of
 * 'classes'. Returns the number of files whose label grew, or -errno when
 * the process's maps could not be read (it exited). */
int mapscan_derive(const struct sov_map_fds *fd, struct pipeline *p, pid_t pid,
		   uint64_t classes);

/* The 5.10 build's fd walk is bounded (docs/kernels.md, "Linux 5.10"):
 * labels every regular file pid holds open for writing with the derivable
 * part of 'classes', as the kernel's walk does within its bound. Returns
 * the number of files whose label grew, or -errno. */
int mapscan_derive_fds(const struct sov_map_fds *fd, struct pipeline *p, pid_t pid,
		       uint64_t classes);

#endif
