/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RDMA devices beyond the fixed major (issue 10): what sovd writes into
 * sov_rdma_devs (include/sov/abi.h SOV_RDMA_*): the dynamic majors of
 * "infiniband_verbs" and "infiniband_mad" from /proc/devices, and the
 * device number of the misc device rdma_cm. Kept current while sovd runs,
 * so a module loaded after start is governed within a second.
 */
#ifndef SOVD_DEVICES_H
#define SOVD_DEVICES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rdma_dev {
	uint32_t key;		/* SOV_DEV(major, minor or SOV_DEV_ANY_MINOR) */
	uint32_t kind;		/* SOV_RDMA_VERBS, _MAD, _CM */
};

/* Reads the devices from proc_devices (/proc/devices) and misc_dev
 * (/sys/class/misc/rdma_cm/dev); a missing file adds nothing. Returns how
 * many were found (at most max). */
size_t rdma_devs_scan(const char *proc_devices, const char *misc_dev,
		      struct rdma_dev *out, size_t max);

/* Makes the map hold exactly what rdma_devs_scan() finds on this host.
 * Returns the number of entries added or removed, or a negative errno. */
int rdma_devs_sync(int map_fd);

/* Tracing path: the RDMA devices process pid holds open (from
 * /proc/PID/fd), as SOV_DEV numbers; at most max. The kernel cannot refuse
 * their use there, so sovd reports them when the process is tainted. */
size_t rdma_held_devs(pid_t pid, uint32_t *out, size_t max);

#endif
