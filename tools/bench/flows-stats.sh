#!/bin/sh
# What a tainted process's allowed connect costs in the kernel on the
# tracing path (issue 14, aggregated allowed flows), from the kernel's own
# BPF statistics: cgroup/connect4 per TCP connect to the EU peer (allowed),
# untainted and tainted, and to the US peer (refused: an event each).
# Run as root on a host where sovd takes the tracing path, once per build
# to compare (SOV_BUILD; N: connects per load, default 3000):
#   sh tools/bench/flows-stats.sh
: "${SOV_TOP:=.}"
N=${N:-3000}
. "$SOV_TOP/tools/bench/bpfstats.sh"
bpfstats_setup flows
sovt_servers || die "servers"

measure "connect to EU, untainted" sov_connect4 "$ENFORCE" connect 10.10.0.2 "$TCP_PORT" "$N"
measure "connect to EU, tainted (allow)" sov_connect4 "$ENFORCE" connect 10.10.0.2 "$TCP_PORT" "$N" "$LABELLED"
measure "connect to EU, untainted" sov_connect4 "$ENFORCE" connect 10.10.0.2 "$TCP_PORT" "$N"
measure "connect to EU, tainted (allow)" sov_connect4 "$ENFORCE" connect 10.10.0.2 "$TCP_PORT" "$N" "$LABELLED"
