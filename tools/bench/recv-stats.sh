#!/bin/sh
# What the recvmsg exit of issue 11 costs on the tracing path, from the
# kernel's own BPF statistics (as tools/bench/sender-stats.sh): sys_exit's
# run time per loop iteration (sendmsg + recvmsg of a 1-byte datagram on
# an AF_UNIX pair, + close of the received fd), without control data, with
# an unlabelled file's fd and with the labelled file's fd (tainted).
# getppid() is the reference for a syscall that sys_exit ignores.
# Run as root on a host where sovd takes the tracing path:
#   make bench-recv, or sh tools/bench/recv-stats.sh (SOV_BUILD; N: loop
#   iterations per load, default 300000)
: "${SOV_TOP:=.}"
N=${N:-300000}
. "$SOV_TOP/tools/bench/bpfstats.sh"
bpfstats_setup recvstats

PLAIN=$SOV_TMP/data/plain/readme.txt
measure "getppid (reference)" sov_sys_exit "$ENFORCE" getppid "$N"
measure "recvmsg, no control data" sov_sys_exit "$ENFORCE" recvfd "$N"
measure "recvmsg, an unlabelled fd" sov_sys_exit "$ENFORCE" recvfd "$N" "$PLAIN"
measure "recvmsg, the labelled fd (tainted)" sov_sys_exit "$ENFORCE" recvfd "$N" "$LABELLED"
