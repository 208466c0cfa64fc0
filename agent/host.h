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

/* A mountinfo field, its \ooo escapes (space, tab, newline, backslash)
 * decoded in place. */
void host_mountinfo_unescape(char *s);

/* stat() reports new_encode_dev(s_dev); the kernel programs see s_dev. */
uint64_t kdev_from_user(dev_t dev);

/*
 * The inode's i_generation, as the kernel programs read it, from a file
 * handle (name_to_handle_at: no open, so no taint, no FIFO or device
 * opened). host_fh_gen() knows the handle layouts of ext2/3/4, xfs, tmpfs
 * and btrfs and accepts one only when its inode number is ino. Returns 0
 * and fills *gen, or -1 when the generation cannot be known (the label then
 * matches any generation). follow: follow a final symlink.
 */
int host_inode_gen(const char *path, int follow, uint64_t ino, uint32_t *gen);
int host_fh_gen(int type, const unsigned char *fh, unsigned int len, uint64_t ino,
		uint32_t *gen);

/*
 * The inverse, for the label collector (label_gc.c): the handle layout of
 * a filesystem, learnt from the handle of one of its inodes (ino) as
 * name_to_handle_at gave it (HOST_FH_NONE: a layout host_fh_gen does not
 * know, one that holds more than the inode number and generation, like
 * btrfs's subvolume, or tmpfs's, whose answer ESTALE does not mean the
 * inode is gone), and the handle of inode (ino, gen) in that layout.
 * xfs: the filesystem type is xfs (its 64-bit inode numbers have their own
 * handle type). host_fh_make returns the handle's length and fills *type,
 * or -1 when the inode cannot be named in that layout.
 */
enum { HOST_FH_NONE, HOST_FH_INO32_GEN, HOST_FH_XFS };
int host_fh_layout(int type, const unsigned char *fh, unsigned int len, uint64_t ino, int xfs);
int host_fh_make(int layout, uint64_t ino, uint32_t gen, unsigned char *fh, int *type);

/*
 * The executable of process tgid for an event at boot_ns (CLOCK_BOOTTIME),
 * "" if unknown. Kept per tgid with the process's start time and the boot
 * time at which it was last seen alive: an event between the two names
 * that process without a syscall, also after it exited; an event of a pid
 * whose live process started after the event never gets that process's
 * executable (pid reuse), only the one of the process last seen under the
 * pid, or "". Threads of one process share the entry (their names do not
 * matter).
 */
const char *proc_exe(uint32_t tgid, uint64_t boot_ns);

/* /proc as proc_exe() reads it; tests replace it (NULL: the real one). */
struct host_proc_reader {
	/* the start time of the live process tgid in ns since boot, 0 if none */
	uint64_t (*start_ns)(uint32_t tgid);
	/* its executable into buf; 0 or -errno */
	int (*exe)(uint32_t tgid, char *buf, size_t len);
	uint64_t (*now_ns)(void);
};
void host_set_proc_reader(const struct host_proc_reader *r);
/* The start of the live process tgid in ns since boot (CLOCK_BOOTTIME,
 * clock ticks: rounded down to 10 ms), 0 if none: through the reader. */
uint64_t proc_start_ns(uint32_t tgid);
const char *proc_stat_after_comm(uint32_t pid, char *buf, size_t len);
/* Forgets every cached executable (tests). */
void proc_exe_reset(void);

#endif
