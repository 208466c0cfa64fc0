#!/bin/sh
# What taint over local channels (issue 11, bpf/ipc.bpf.h) costs processes
# that are not tainted: write()+read() of one byte through a pipe, as wall
# time per iteration without sovd and with it, and the BPF run time of the
# IPC programs per iteration from the kernel's statistics (as
# tools/bench/recv-stats.sh): sov_sys_enter (the write) and sov_sys_exit
# (the read), first while no IPC object was ever labelled (the gate is
# closed), then after a tainted process wrote into a pipe (the gate is
# open: the untainted read pays one lookup). getppid() is the reference for
# a syscall both programs ignore.
# Run as root: make bench-ipc, or sh tools/bench/ipc-stats.sh (SOV_BUILD;
# N: loop iterations per load, default 300000)
: "${SOV_TOP:=.}"
N=${N:-300000}
. "$SOV_TOP/tools/bench/bpfstats.sh"

# without sovd (the scenario lock keeps other runs' sovd away only while
# they hold it too: run on a quiet machine)
base=$("$ENFORCE" pipe "$N") || die "enforce pipe failed"
echo "without sovd: $base ns/iteration"
bpfstats_setup ipcstats
echo "with sovd:    $("$ENFORCE" pipe "$N") ns/iteration"
measure "getppid (reference)" sov_sys_exit "$ENFORCE" getppid "$N"
measure "pipe, untainted, gate closed" sov_sys_enter "$ENFORCE" pipe "$N"
measure "pipe, untainted, gate closed" sov_sys_exit "$ENFORCE" pipe "$N"
# a tainted writer labels a pipe: from now on the gate is open
"$ENFORCE" pipe 1 "$LABELLED" > /dev/null || die "tainted pipe failed"
measure "pipe, untainted, gate open" sov_sys_enter "$ENFORCE" pipe "$N"
measure "pipe, untainted, gate open" sov_sys_exit "$ENFORCE" pipe "$N"
echo "with sovd, gate open: $("$ENFORCE" pipe "$N") ns/iteration"
measure "pipe, tainted writer and reader" sov_sys_exit "$ENFORCE" pipe "$N" "$LABELLED"
