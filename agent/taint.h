/* SPDX-License-Identifier: Apache-2.0 */
/* The taint map from user space: the start-up scan, the garbage collector
 * of exited processes, the count of tainted processes. */
#ifndef SOVD_TAINT_H
#define SOVD_TAINT_H

#include <stddef.h>
#include <stdint.h>

struct sov_map_fds;
struct label_table;
struct pipeline;
struct sovd_sink;

/* Taints processes that already hold a labelled file open for reading,
 * each with a taint event. */
int taint_scan_proc(const struct sov_map_fds *fd, const struct label_table *labels,
		    struct pipeline *p);
/* Removes the entries of processes that exited more than
 * SOV_TAINT_LINGER_S before now_ns (CLOCK_BOOTTIME); returns the number of
 * live tainted processes it saw. */
size_t taint_gc(const struct sov_map_fds *fd, uint64_t now_ns);
/* The number of live tainted processes; changes nothing. */
size_t taint_count(const struct sov_map_fds *fd);
/* What the kernel could not store (struct sov_taint_state, include/sov/
 * abi.h): the overflow applied at egress, and of it the classes of lost
 * labels and of IPC labels an LRU map may have evicted; zeroes normally
 * and when it cannot be read. */
void taint_state_read(const struct sov_map_fds *fd, struct sov_taint_state *st);
/* The taint map's size when --max-procs is not given: min(pid_max,
 * threads-max), within 1024..2^22. */
uint32_t taint_default_size(void);

/* Shared memory labelled after it was mapped (issue 11): on the derive
 * event of a SysV segment, memfd or /dev/shm file, the processes mapping
 * it or holding it open for reading are tainted (taint_shm_sink). */
struct taint_shm {
	const struct sov_map_fds *fd;
	const struct label_table *labels;
	struct pipeline *p;
	uint64_t devs[2];	/* kernel dev of the shmem mount and of /dev/shm */
	size_t n_devs;
};

void taint_shm_init(struct taint_shm *s, const struct sov_map_fds *fd,
		    const struct label_table *labels, struct pipeline *p);
struct sovd_sink taint_shm_sink(struct taint_shm *s);

#endif
