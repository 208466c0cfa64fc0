#!/bin/sh
# What the sender hooks of issue 10 cost on the tracing path, from the
# kernel's own BPF statistics (kernel.bpf_stats_enabled=1: run_cnt and
# run_time_ns per program, read with bpftool before and after each load).
#   sys_enter    per syscall: getppid() (not a send call), write() of 64
#                bytes to /dev/null and send() of a UDP datagram to the EU,
#                untainted and tainted
#   skb_egress   per packet of those datagrams, untainted and tainted
# Run as root on a host where sovd takes the tracing path:
#   make bench-sender, or sh tools/bench/sender-stats.sh (SOV_BUILD; N:
#   calls per load, default 1000000)
: "${SOV_TOP:=.}"
N=${N:-1000000}
. "$SOV_TOP/tools/bench/bpfstats.sh"
bpfstats_setup stats

measure "getppid, untainted" sov_sys_enter "$ENFORCE" getppid "$N"
measure "getppid, untainted (reference)" sov_sys_exit "$ENFORCE" getppid "$N"
measure "write /dev/null, untainted" sov_sys_enter "$ENFORCE" write /dev/null "$N"
measure "write /dev/null, tainted" sov_sys_enter "$ENFORCE" write /dev/null "$N" "$LABELLED"
measure "UDP send to EU, untainted" sov_sys_enter "$ENFORCE" udp 10.10.0.2 9 "$N"
measure "UDP send to EU, tainted" sov_sys_enter "$ENFORCE" udp 10.10.0.2 9 "$N" "$LABELLED"
measure "UDP send to EU, untainted" sov_skb_egress "$ENFORCE" udp 10.10.0.2 9 "$N"
measure "UDP send to EU, tainted" sov_skb_egress "$ENFORCE" udp 10.10.0.2 9 "$N" "$LABELLED"
