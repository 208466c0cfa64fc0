#!/bin/sh
# What the process/shared memory program of issue 11 (sov_sys_exit,
# bpf/procmem.bpf.h, a second tp_btf/sys_exit) costs, from the kernel's own
# BPF statistics (as tools/bench/sender-stats.sh): its run time per call
# for a syscall it ignores (getppid) and for open()+close() of /dev/null,
# untainted and tainted (every open pays the fd-table and s_magic reads
# that find /proc/PID/mem). The main sys_exit is measured beside it.
# Run as root on a host where sovd takes the tracing path:
#   make bench-procmem, or sh tools/bench/procmem-stats.sh (SOV_BUILD; N:
#   calls per load, default 300000)
: "${SOV_TOP:=.}"
N=${N:-300000}
. "$SOV_TOP/tools/bench/bpfstats.sh"
bpfstats_setup procmemstats

measure "getppid" sov_sys_exit "$ENFORCE" getppid "$N"
measure "getppid (main sys_exit)" sov_sys_exit "$ENFORCE" getppid "$N"
measure "open /dev/null, untainted" sov_sys_exit "$ENFORCE" open /dev/null "$N"
measure "open /dev/null, tainted" sov_sys_exit "$ENFORCE" open /dev/null "$N" "$LABELLED"
measure "open /dev/null (main sys_exit)" sov_sys_exit "$ENFORCE" open /dev/null "$N"
