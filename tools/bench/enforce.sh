#!/bin/sh
# make bench-enforce: what sovd's hooks cost, measured side by side in one
# run without and with sovd (the scenario suite's policy and data set).
#   connect()  to a TCP listener in the EU namespace, untainted and tainted
#              (tainted-allowed: the destination zone is allowed)
#   open()     of an unlabelled and of a labelled file (open+close per op)
#   getppid()  an unrelated syscall: the tp_btf/sys_exit hook's price
#   socket()   socket()+close() of a UDP socket (its owner record) and of a
#              ping socket (a channel), untainted; a ping socket refused to
#              a tainted process (the verdict and its event)
#   send()     one 64-byte datagram on a connected UDP socket to the EU
#              (per packet: cgroup_skb/egress), untainted and tainted
#   write()    64 bytes to /dev/null, untainted and tainted: what a
#              send-capable syscall that is not a socket pays
# Each figure is the median of SOV_BENCH_REPS rounds (default 5); a round
# runs everything once without sovd, then starts sovd and runs it again.
# Env: as tests/scenarios/run.sh (SOVD, SOV_MODE, SOV_TMP, SOV_KEEP), plus
# SOV_BENCH_CONNECTS, SOV_BENCH_OPENS, SOV_BENCH_SYSCALLS, SOV_BENCH_SOCKETS,
# SOV_BENCH_PACKETS, SOV_BENCH_REPS.

: "${SOV_TOP:=.}"
. "$SOV_TOP/tests/scenarios/lib.sh"
ENFORCE=${ENFORCE:-$SOV_BUILD/tools/bench/enforce}
NC=${SOV_BENCH_CONNECTS:-3000}
NO=${SOV_BENCH_OPENS:-200000}
NG=${SOV_BENCH_SYSCALLS:-2000000}
NS=${SOV_BENCH_SOCKETS:-100000}
NP=${SOV_BENCH_PACKETS:-200000}
REPS=${SOV_BENCH_REPS:-5}
PORT=8081
UPORT=8082	# nothing listens: the datagrams are built, judged and dropped by the peer

trap sovt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { echo "bench-enforce: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (BPF, namespaces)"
for b in "$SOVD" "$ENFORCE"; do
	[ -x "$b" ] || die "$b is not built (run make)"
done
sovt_lock || die "failed to take the scenario lock"
sovt_tmp_init || die "failed to create SOV_TMP"
sovt_mounts || die "failed to mount bpffs/cgroup2"
sovt_netns || die "failed to set up the network namespaces"
sovt_bg_ready "$SOV_TMP/srv/bench.log" "$IP" netns exec "$NS_EU" "$ENFORCE" serve 10.10.0.2 $PORT 3600 ||
	die "failed to start the listener"
sovt_dataset || die "failed to make the data set"
sovt_ping_range || die "failed to open ping sockets to root"
sovt_policy "$SOV_TMP/policy.yaml"
PLAIN=$SOV_TMP/data/plain/readme.txt
LABELLED=$SOV_TMP/data/pii/customers.csv

# median of the numbers on stdin
median() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure TAG: one run of every benchmark, appended to $SOV_TMP/TAG.*
measure() {
	local tag=$1
	"$ENFORCE" connect 10.10.0.2 $PORT 200 > /dev/null &&	# warm-up: neighbours, caches
	"$ENFORCE" connect 10.10.0.2 $PORT "$NC" | cut -d' ' -f2 >> "$SOV_TMP/$tag.cu" &&
	"$ENFORCE" connect 10.10.0.2 $PORT "$NC" "$LABELLED" | cut -d' ' -f2 >> "$SOV_TMP/$tag.ct" &&
	"$ENFORCE" open "$PLAIN" "$NO" | cut -d' ' -f2 >> "$SOV_TMP/$tag.ou" &&
	"$ENFORCE" open "$LABELLED" "$NO" | cut -d' ' -f2 >> "$SOV_TMP/$tag.ol" &&
	"$ENFORCE" getppid "$NG" | cut -d' ' -f2 >> "$SOV_TMP/$tag.g" &&
	"$ENFORCE" socket udp "$NS" | cut -d' ' -f2 >> "$SOV_TMP/$tag.su" &&
	"$ENFORCE" socket ping "$NS" | cut -d' ' -f2 >> "$SOV_TMP/$tag.sp" &&
	"$ENFORCE" udp 10.10.0.2 $UPORT "$NP" | cut -d' ' -f2 >> "$SOV_TMP/$tag.pu" &&
	"$ENFORCE" udp 10.10.0.2 $UPORT "$NP" "$LABELLED" | cut -d' ' -f2 >> "$SOV_TMP/$tag.pt" &&
	"$ENFORCE" write /dev/null "$NG" | cut -d' ' -f2 >> "$SOV_TMP/$tag.wu" &&
	"$ENFORCE" write /dev/null "$NG" "$LABELLED" | cut -d' ' -f2 >> "$SOV_TMP/$tag.wt"
}

# Rounds alternate without/with sovd, so that load from other work on the
# machine drifts into both columns alike.
r=0
while [ $r -lt "$REPS" ]; do
	measure without || die "a benchmark failed without sovd"
	sovd_start "bench$r" "$SOV_TMP/policy.yaml" "$BPFFS/sovt-$$-bench" --journal none ||
		die "sovd did not start"
	MODE=$(grep '"type":"agent"' "$EVENTS" | head -n1 | sed -n 's/.*"kernel_path":"\([a-z]*\)".*/\1/p')
	measure with || die "a benchmark failed with sovd"
	sovd_stop TERM
	r=$((r + 1))
done

echo "bench-enforce: sovd kernel path $MODE, $(nproc) CPUs, kernel $(uname -r), median of $REPS runs"
printf '%-34s %12s %12s %8s %10s\n' "operation" "without ns" "with ns" "ratio" "added ns"
for m in "cu:connect() untainted" "ct:connect() tainted, zone allowed" \
	"ou:open()+close() unlabelled" "ol:open()+close() labelled" "g:getppid() (unrelated syscall)" \
	"su:socket()+close() UDP" "sp:socket()+close() ping (channel)" \
	"pu:send() UDP datagram, untainted" "pt:send() UDP datagram, tainted" \
	"wu:write() /dev/null, untainted" "wt:write() /dev/null, tainted"; do
	k=${m%%:*}
	a=$(median < "$SOV_TMP/without.$k")
	b=$(median < "$SOV_TMP/with.$k")
	awk -v n="${m#*:}" -v a="$a" -v b="$b" 'BEGIN {
		printf "%-34s %12.1f %12.1f %8.3f %10.1f\n", n, a, b, (a > 0 ? b / a : 0), b - a }'
done
