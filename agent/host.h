/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What sovd reads of the host, below every other module: clocks, the
 * hostname, the cgroup2 mount and cgroup paths, /proc, device numbers, and
 * what sovd learned of each process (its executable, kept after it exits).
 */
#ifndef SOVD_HOST_H
#define SOVD_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int64_t host_now_ns(int clock_id);
const char *host_name(void);

/* The cgroup2 mount from mountinfo, NULL if none. */
const char *cgroup2_mount(void);
/* cgroup id -> path below the cgroup2 mount ("" if unknown), cached. */
const char *cgroup_path(uint64_t id);
/* /proc/PID/cgroup's v2 path ("/" if unknown). */
void proc_cgroup(pid_t pid, char *out, size_t len);
/* /proc/PID/comm ("" if gone). */
void proc_comm(pid_t pid, char *out, size_t len);
/* The owner uid of /proc/PID, (uint32_t)-1 if gone. */
uint32_t proc_uid(pid_t pid);

/* stat() reports new_encode_dev(s_dev); the kernel programs see s_dev. */
uint64_t kdev_from_user(dev_t dev);

/*
 * The executable of process tgid ("" if unknown). Read from /proc when the
 * process's first event arrives and kept, keyed by tgid and the process's
 * start time, so that a later event of a process that has exited meanwhile
 * still names it, and a new process that reuses the pid is not mixed up
 * with the old one (nor an execve's new program with the old one: comm).
 */
const char *proc_exe(uint32_t tgid, const char *comm);

#endif
