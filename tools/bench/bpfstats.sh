# Sourced by the BPF run-time benchmarks (tools/bench/sender-stats.sh,
# recv-stats.sh): the scenario world with sovd enforcing the test policy,
# kernel.bpf_stats_enabled=1 while they run (restored at exit), and
# measure(), which reads one program's run_cnt and run_time_ns with bpftool
# before and after a load.
#   bpfstats_setup NAME   NAME names the benchmark in errors and pins
# Sets LABELLED (the labelled file) and ENFORCE (tools/bench/enforce); N is
# the caller's calls or loop iterations per load.
: "${SOV_TOP:=.}"
. "$SOV_TOP/tests/scenarios/lib.sh"
ENFORCE=${ENFORCE:-$SOV_BUILD/tools/bench/enforce}
BPFSTATS_NAME=bpfstats

die() { echo "$BPFSTATS_NAME: $*" >&2; exit 1; }

bpfstats_setup() {
	BPFSTATS_NAME=$1
	[ "$(id -u)" = 0 ] || die "must run as root"
	command -v bpftool > /dev/null && command -v jq > /dev/null || die "needs bpftool and jq"
	STATS0=$(sysctl -n kernel.bpf_stats_enabled)
	trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS0"; sovt_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	sovt_lock || die "scenario lock"
	sovt_tmp_init && sovt_mounts && sovt_netns && sovt_dataset || die "setup"
	sovt_policy "$SOV_TMP/policy.yaml"
	LABELLED=$SOV_TMP/data/pii/customers.csv
	sovd_start "$1" "$SOV_TMP/policy.yaml" "$BPFFS/sovt-$$-$1" --journal none ||
		die "sovd did not start"
	sysctl -qw kernel.bpf_stats_enabled=1
}

# cnt ns of program $1 (name as bpftool shows it, 15 bytes at most)
bpfstats_read() {
	bpftool prog show -j | jq -r --arg n "$1" \
		'[.[] | select(.name == $n)] | "\(map(.run_cnt // 0) | add) \(map(.run_time_ns // 0) | add)"'
}

# measure LABEL PROG CMD...: runs CMD, prints the runs of PROG, its ns per
# run and per loop iteration (N), and what CMD printed
measure() {
	local label=$1 prog=$2 a b
	shift 2
	a=$(bpfstats_read "$prog")
	"$@" > "$SOV_TMP/cmd.out" || die "$* failed"
	b=$(bpfstats_read "$prog")
	echo "$a $b" | awk -v n="$N" -v l="$label" -v p="$prog" -v w="$(cat "$SOV_TMP/cmd.out")" '{
		c = $3 - $1; t = $4 - $2
		printf "%-34s %-14s runs %9d  %6.1f ns/run  %7.1f ns/iteration   (%s)\n", l, p, c, c ? t / c : 0, t / n, w }'
}
