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
. "$SOV_TOP/tests/scenarios/lib.sh"
ENFORCE=${ENFORCE:-$SOV_BUILD/tools/bench/enforce}
N=${N:-300000}

trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS0"; sovt_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
die() { echo "sender-stats: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
command -v bpftool > /dev/null && command -v jq > /dev/null || die "needs bpftool and jq"
STATS0=$(sysctl -n kernel.bpf_stats_enabled)
sovt_lock || die "scenario lock"
sovt_tmp_init && sovt_mounts && sovt_netns && sovt_dataset || die "setup"
sovt_policy "$SOV_TMP/policy.yaml"
LABELLED=$SOV_TMP/data/pii/customers.csv
sovd_start recvstats "$SOV_TMP/policy.yaml" "$BPFFS/sovt-$$-recvstats" --journal none ||
	die "sovd did not start"
sysctl -qw kernel.bpf_stats_enabled=1

# cnt ns of program $1 (name as bpftool shows it, 15 bytes at most)
stats() {
	bpftool prog show -j | jq -r --arg n "$1" \
		'[.[] | select(.name == $n)] | "\(map(.run_cnt // 0) | add) \(map(.run_time_ns // 0) | add)"'
}

# measure LABEL PROG CMD...: runs CMD, prints runs of PROG and its ns per
# run and per loop iteration (N)
measure() {
	local label=$1 prog=$2 a b
	shift 2
	a=$(stats "$prog")
	"$@" > "$SOV_TMP/cmd.out" || die "$* failed"
	b=$(stats "$prog")
	echo "$a $b" | awk -v n="$N" -v l="$label" -v p="$prog" -v w="$(cat "$SOV_TMP/cmd.out")" '{
		c = $3 - $1; t = $4 - $2
		printf "%-34s %-14s runs %9d  %6.1f ns/run  %7.1f ns/iteration   (%s)\n", l, p, c, c ? t / c : 0, t / n, w }'
}

PLAIN=$SOV_TMP/data/plain/readme.txt
measure "getppid (reference)" sov_sys_exit "$ENFORCE" getppid "$N"
measure "recvmsg, no control data" sov_sys_exit "$ENFORCE" recvfd "$N"
measure "recvmsg, an unlabelled fd" sov_sys_exit "$ENFORCE" recvfd "$N" "$PLAIN"
measure "recvmsg, the labelled fd (tainted)" sov_sys_exit "$ENFORCE" recvfd "$N" "$LABELLED"
