#!/bin/sh
# What an open() costs in sys_exit on the tracing path (issue 11: labels at
# creation replaced the per-open ancestor walk), from the kernel's own BPF
# statistics (as tools/bench/recv-stats.sh): sys_exit's run time per
# open()+close() (two runs: the close's exit is one of the cheap ones that
# getppid() measures) of
#   - an unlabelled file on the device that holds the labelled directory,
#     4 directories below / and 20 below (the old walk climbed up to 16),
#   - the labelled file (the process is tainted by the first open),
#   - an O_CREAT open of an existing unlabelled file that has data (an
#     append: nothing created, no walk), an O_CREAT|O_TRUNC open of an
#     empty one (the creation walk, which climbs to / when nothing above is
#     labelled), and of an empty file in the labelled directory (its own
#     label: no walk).
# Run as root on a host where sovd takes the tracing path:
#   make bench-open, or sh tools/bench/open-stats.sh (SOV_BUILD; N: opens
#   per load, default 300000)
: "${SOV_TOP:=.}"
N=${N:-300000}
. "$SOV_TOP/tools/bench/bpfstats.sh"
bpfstats_setup openstats

# Only this sovd's sys_exit program (other sovd instances on the machine
# may run a program of the same name): bpfstats_read by program id.
OPEN_PROG_ID=
for l in "$BPFFS/sovt-$$-openstats"/links/*; do
	id=$(bpftool link show pinned "$l" -j 2>/dev/null | jq -r '.prog_id // empty')
	[ -n "$id" ] || continue
	if [ "$(bpftool prog show id "$id" -j | jq -r .name)" = sov_sys_exit ]; then
		OPEN_PROG_ID=$id
	fi
done
[ -n "$OPEN_PROG_ID" ] || die "sovd's sys_exit program not found under its pins"
bpfstats_read() {
	bpftool prog show id "$OPEN_PROG_ID" -j | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"'
}

PLAIN=$SOV_TMP/data/plain/readme.txt
DEEP=$SOV_TMP/data/plain/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16
mkdir -p "$DEEP" && echo deep > "$DEEP/f.txt" || die "failed to make $DEEP"
: > "$SOV_TMP/data/pii/creat.txt" || die "failed to make a file in the labelled dir"
: > "$SOV_TMP/data/plain/empty.txt" && : > "$DEEP/empty.txt" || die "failed to make empty files"
measure "getppid (reference)" sov_sys_exit "$ENFORCE" getppid "$N"
measure "open, unlabelled, 4 levels" sov_sys_exit "$ENFORCE" open "$PLAIN" "$N"
measure "open, unlabelled, 20 levels" sov_sys_exit "$ENFORCE" open "$DEEP/f.txt" "$N"
measure "open, labelled (tainted)" sov_sys_exit "$ENFORCE" open "$LABELLED" "$N"
measure "O_CREAT, not empty, 20 levels" sov_sys_exit "$ENFORCE" open-creat "$DEEP/f.txt" "$N"
measure "O_CREAT|O_TRUNC, empty, 4 levels" sov_sys_exit "$ENFORCE" open-trunc "$SOV_TMP/data/plain/empty.txt" "$N"
measure "O_CREAT|O_TRUNC, empty, 20 levels" sov_sys_exit "$ENFORCE" open-trunc "$DEEP/empty.txt" "$N"
measure "O_CREAT|O_TRUNC, labelled dir" sov_sys_exit "$ENFORCE" open-trunc "$SOV_TMP/data/pii/creat.txt" "$N"
