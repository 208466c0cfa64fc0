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
. "$SOV_TOP/tests/scenarios/lib.sh"
ENFORCE=${ENFORCE:-$SOV_BUILD/tools/bench/enforce}
N=${N:-1000000}

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
sovd_start stats "$SOV_TMP/policy.yaml" "$BPFFS/sovt-$$-stats" --journal none ||
	die "sovd did not start"
sysctl -qw kernel.bpf_stats_enabled=1

# cnt ns of program $1 (name as bpftool shows it, 15 bytes at most)
stats() {
	bpftool prog show -j | jq -r --arg n "$1" \
		'[.[] | select(.name == $n)] | "\(map(.run_cnt // 0) | add) \(map(.run_time_ns // 0) | add)"'
}

# measure LABEL PROG CMD...: runs CMD, prints calls and ns per call of PROG
measure() {
	local label=$1 prog=$2 a b
	shift 2
	a=$(stats "$prog")
	"$@" > "$SOV_TMP/cmd.out" || die "$* failed"
	b=$(stats "$prog")
	echo "$a $b" | awk -v l="$label" -v p="$prog" -v w="$(cat "$SOV_TMP/cmd.out")" '{
		c = $3 - $1; t = $4 - $2
		printf "%-34s %-14s runs %9d  %6.1f ns/run   (%s)\n", l, p, c, c ? t / c : 0, w }'
}

measure "getppid, untainted" sov_sys_enter "$ENFORCE" getppid "$N"
measure "getppid, untainted (reference)" sov_sys_exit "$ENFORCE" getppid "$N"
measure "write /dev/null, untainted" sov_sys_enter "$ENFORCE" write /dev/null "$N"
measure "write /dev/null, tainted" sov_sys_enter "$ENFORCE" write /dev/null "$N" "$LABELLED"
measure "UDP send to EU, untainted" sov_sys_enter "$ENFORCE" udp 10.10.0.2 9 "$N"
measure "UDP send to EU, tainted" sov_sys_enter "$ENFORCE" udp 10.10.0.2 9 "$N" "$LABELLED"
measure "UDP send to EU, untainted" sov_skb_egress "$ENFORCE" udp 10.10.0.2 9 "$N"
measure "UDP send to EU, tainted" sov_skb_egress "$ENFORCE" udp 10.10.0.2 9 "$N" "$LABELLED"
