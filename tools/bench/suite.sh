#!/bin/sh
# make bench: the issue 14 suite. Every figure has a fixed name; where it
# has a baseline, baseline and figure are measured in the same run,
# alternating (A, B, A, B...), and the medians are compared. Prints a table
# and writes the JSON list to $BENCH_JSON (tools/bench/result.sh).
#
#   BENCH_JSON   output file (default $SOV_BUILD/bench.json)
#   BENCH_QUICK  1: small counts, the whole suite within 2 minutes
#   BENCH_ONLY   regex of the groups to run: enforce loader nft journal
#                pipeline policy rss (default all); a name not run is not
#                in the JSON
#   SOV_BENCH_REPS  rounds of the alternating groups (default 5, quick 3)
#   BENCH_JOURNAL_RECORDS  records per journal run (default 5e6, quick 1e6)
#
# Groups and names (docs/performance.md says what each one means):
#   enforce   connect_untainted connect_tainted_allowed open_unlabelled
#             open_labelled syscall_added_ns
#   loader    loader_sovd loader_auditd
#   nft       nft_connect_100k sovd_connect_100k
#   journal   journal_append journal_verify journal_verify_export
#   pipeline  pipeline_lossless sovd_rss_load
#   policy    policy_compile_1m policy_apply_100k
#   rss       sovd_rss_idle sovd_rss_countries
#
# Runs as root (BPF, namespaces, nft, audit); takes the scenario lock while
# it starts sovd or uses the scenario namespaces. Never fails on a timing:
# a figure that cannot be measured here is null with its reason.

: "${SOV_TOP:=.}"
. "$SOV_TOP/tests/scenarios/lib.sh"
ENFORCE=${ENFORCE:-$SOV_BUILD/tools/bench/enforce}
BENCH_JSON=${BENCH_JSON:-$SOV_BUILD/bench.json}
ONLY=${BENCH_ONLY:-.}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	REPS=${SOV_BENCH_REPS:-3}
	NC=300 NO=20000 NG=200000
	SHARDS=2000 LCONN=100
	JREC=${BENCH_JOURNAL_RECORDS:-1000000} JRUNS=1
	FLOOD_S=2
	PC_RUNS=1 APPLY_RUNS=1
	IDLE_S=3
else
	REPS=${SOV_BENCH_REPS:-5}
	NC=3000 NO=200000 NG=2000000
	SHARDS=20000 LCONN=1000
	JREC=${BENCH_JOURNAL_RECORDS:-5000000} JRUNS=3
	FLOOD_S=10
	PC_RUNS=3 APPLY_RUNS=3
	IDLE_S=10
fi
PORT=8081
PIN=
SETUP=
AUDITD_PID=	# the auditd this run started
AUDIT_SAVED=	# "enabled backlog_limit" before this run
NFT_TABLE=

die() { echo "bench: $*" >&2; exit 1; }

bench_cleanup() {
	[ -n "$NFT_TABLE" ] && nft delete table inet "$NFT_TABLE" 2>/dev/null
	audit_off
	sovt_cleanup
	rm -f "$BENCH_RES"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

. "$SOV_TOP/tools/bench/result.sh"
: > "$BENCH_RES"

want() { echo "$1" | grep -Eq -- "$ONLY"; }

# The scenario world (lock, bpffs, cgroup2, namespaces, EU listener, data
# set, policy, journal key), once, for the groups that need it.
setup() {
	[ -n "$SETUP" ] && return 0
	[ "$(id -u)" = 0 ] || die "must run as root (BPF, namespaces)"
	for b in "$SOVD" "$SOVCTL" "$ENFORCE"; do
		[ -x "$b" ] || die "$b is not built (run make)"
	done
	sovt_lock || die "failed to take the scenario lock"
	sovt_tmp_init || die "failed to create SOV_TMP"
	sovt_mounts || die "failed to mount bpffs/cgroup2"
	sovt_netns || die "failed to set up the network namespaces"
	sovt_bg_ready "$SOV_TMP/srv/bench.log" "$IP" netns exec "$NS_EU" "$ENFORCE" serve 10.10.0.2 $PORT 3600 ||
		die "failed to start the listener"
	sovt_dataset || die "failed to make the data set"
	sovt_policy "$SOV_TMP/policy.yaml"
	"$SOVCTL" keygen --out "$SOV_TMP/jkey" --name bench > /dev/null || die "failed to make a journal key"
	mkdir -p "$SOV_TMP/raw"
	PIN=$BPFFS/sovt-$$-bench
	PLAIN=$SOV_TMP/data/plain/readme.txt
	LABELLED=$SOV_TMP/data/pii/customers.csv
	SETUP=1
}

# start TAG POLICY [PIN]: sovd with the journal on (the production setting).
# A clean stop leaves the labels pinned for the next sovd of the same pin
# directory; a start with another policy (classes renumbered) or one that
# must start cold gets its own PIN.
start() {
	rm -rf "$SOV_TMP/journal-$1"
	sovd_start "$1" "$2" "${3:-$PIN}" --journal "$SOV_TMP/journal-$1" --key "$SOV_TMP/jkey.key" ||
		die "sovd did not start ($1)"
}

# raw KEY TAG: the medians of the numbers (second field) recorded under KEY
raw() { awk '{ print $2 }' "$SOV_TMP/raw/$1.$2" 2>/dev/null | bench_median; }

# enforce CMD... >> raw file: one enforce run; fails the suite when it fails
run_enf() {
	local key=$1
	shift
	"$ENFORCE" "$@" >> "$SOV_TMP/raw/$key" || die "enforce $* failed"
}

# kB field of /proc/PID/status in MiB
rss_mib() { awk -v f="$2:" '$1 == f { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }

# The 100,000 prefixes of the nft and apply benchmarks: every other /24
# from 20.0.0.0 upwards (no two merge into one entry), nowhere near the
# scenario's 10.10/16 and 10.20/16.
prefixes_100k() {
	awk 'BEGIN { for (i = 0; i < 200000; i += 2)
		printf "%d.%d.%d.0/24\n", 20 + int(i / 65536), int(i / 256) % 256, i % 256 }'
}

# policy_100k FILE ZONEFILE: the scenario policy, its "us" zone holding the
# 100,000 prefixes as well
policy_100k() {
	[ -f "$2" ] || prefixes_100k > "$2"
	sed "/^  us:/a\\    files: [\"$2\"]" "$SOV_TMP/policy.yaml" > "$1"
}

# ---- auditd, configured for the same audit trail as sovd's journal -----
audit_usable() {
	command -v auditd > /dev/null || { echo "auditd is not installed"; return 1; }
	command -v auditctl > /dev/null || { echo "auditctl is not installed"; return 1; }
	auditctl -s > /dev/null 2>&1 || { echo "the kernel has no audit subsystem (auditctl -s failed)"; return 1; }
	[ "$(auditctl -s | awk '$1 == "pid" { print $2 }')" = 0 ] ||
		{ echo "another audit daemon runs; not reconfiguring it"; return 1; }
	return 0
}

audit_on() {
	local d=$SOV_TMP/audit i=0
	mkdir -p "$d/log" && chmod 0750 "$d" || return 1
	sed "s|^log_file.*|log_file = $d/log/audit.log|" /etc/audit/auditd.conf > "$d/auditd.conf" || return 1
	chmod 0640 "$d/auditd.conf"
	[ -n "$AUDIT_SAVED" ] ||
		AUDIT_SAVED=$(auditctl -s | awk '$1 == "enabled" { e = $2 } $1 == "backlog_limit" { b = $2 } END { print e, b }')
	auditd -c "$d" || return 1
	while [ "$(auditctl -s | awk '$1 == "pid" { print $2 }')" = 0 ]; do
		[ $i -ge 50 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	AUDITD_PID=$(auditctl -s | awk '$1 == "pid" { print $2 }')
	auditctl -b 8192 > /dev/null &&
	auditctl -w "$SOV_TMP/data/pii" -p r -k sovbench > /dev/null &&
	auditctl -a always,exit -F arch=b64 -S connect -k sovbench > /dev/null &&
	auditctl -e 1 > /dev/null
}

audit_off() {
	[ -n "$AUDITD_PID" ] || return 0
	auditctl -D > /dev/null 2>&1
	kill "$AUDITD_PID" 2>/dev/null
	while kill -0 "$AUDITD_PID" 2>/dev/null; do sleep 0.1; done
	AUDITD_PID=
	if [ -n "$AUDIT_SAVED" ]; then
		auditctl -e "${AUDIT_SAVED% *}" > /dev/null 2>&1
		auditctl -b "${AUDIT_SAVED#* }" > /dev/null 2>&1
	fi
}

# ---- nftables: an output chain dropping a set of 100,000 prefixes --------
nft_usable() {
	command -v nft > /dev/null || { echo "nft is not installed"; return 1; }
	nft list tables > /dev/null 2>&1 || { echo "nft cannot list tables (no nf_tables in the kernel?)"; return 1; }
	return 0
}

nft_on() {
	local f=$SOV_TMP/nft.rules
	NFT_TABLE=sovbench
	if [ ! -f "$f" ]; then
		{
			echo "table inet $NFT_TABLE {"
			echo "  set us { type ipv4_addr; flags interval; elements = {"
			prefixes_100k | sed 's/$/,/'
			echo "  10.20.0.0/16 } }"
			echo "  chain out { type filter hook output priority 0; policy accept; ip daddr @us drop; }"
			echo "}"
		} > "$f"
	fi
	nft -f "$f"
}

nft_off() {
	nft delete table inet "$NFT_TABLE" 2>/dev/null
	NFT_TABLE=
}

# ---- enforce, loader, nft: alternating rounds ------------------------------
group_alternating() {
	local r=0 do_enf= do_load= do_nft= audit_why= nft_why= ok
	want enforce && do_enf=1
	want loader && do_load=1
	want nft && do_nft=1
	[ -n "$do_enf$do_load$do_nft" ] || return 0
	setup
	if [ -n "$do_load" ]; then
		audit_why=$(audit_usable) && audit_why=
		mkdir -p "$SOV_TMP/data/pii/shards" &&
		"$ENFORCE" shards "$SOV_TMP/data/pii/shards" "$SHARDS" || die "failed to write the shards"
		[ "$SHARDS" = 20000 ] ||
			echo "bench: BENCH_QUICK: the loader reads $SHARDS shards and connects $LCONN times (the issue: 20000, 1000)"
	fi
	if [ -n "$do_nft" ]; then
		nft_why=$(nft_usable) && nft_why=
		policy_100k "$SOV_TMP/policy-100k.yaml" "$SOV_TMP/zone-100k.txt"
	fi
	# A round: every figure once without anything (A), with sovd (B), with
	# auditd (loader), with nft and with sovd holding the same prefixes.
	while [ $r -lt "$REPS" ]; do
		for tag in without sovd; do
			# sovd's start-up work (labels of the 20,000 shards, the
			# /proc scan) is not what the figures are about: measure
			# once it is idle again
			[ $tag = sovd ] && start "b$r" "$SOV_TMP/policy.yaml" && settle
			"$ENFORCE" connect 10.10.0.2 $PORT 200 > /dev/null || die "warm-up connect failed"
			if [ -n "$do_enf" ]; then
				run_enf cu.$tag connect 10.10.0.2 $PORT "$NC"
				run_enf ct.$tag connect 10.10.0.2 $PORT "$NC" "$LABELLED"
				run_enf ou.$tag open "$PLAIN" "$NO"
				run_enf ol.$tag open "$LABELLED" "$NO"
				run_enf g.$tag getppid "$NG"
			fi
			# The page cache holds the shards in both: a warm read first.
			[ -n "$do_load" ] && [ $r = 0 ] && [ $tag = without ] &&
				run_enf warm loader "$SOV_TMP/data/pii/shards" "$SHARDS" 10.10.0.2 $PORT 1
			[ -n "$do_load" ] && run_enf load.$tag loader "$SOV_TMP/data/pii/shards" "$SHARDS" 10.10.0.2 $PORT "$LCONN"
			[ $tag = sovd ] && sovd_stop TERM
		done
		if [ -n "$do_load" ] && [ -z "$audit_why" ]; then
			audit_on || { audit_off; die "failed to start auditd with the benchmark's rules"; }
			run_enf load.auditd loader "$SOV_TMP/data/pii/shards" "$SHARDS" 10.10.0.2 $PORT "$LCONN"
			audit_off
		fi
		if [ -n "$do_nft" ]; then
			if [ -z "$nft_why" ]; then
				nft_on || die "failed to load the nft set"
				run_enf nft.nft connect 10.10.0.2 $PORT "$NC"
				nft_off
			fi
			start "n$r" "$SOV_TMP/policy-100k.yaml" && settle
			run_enf nft.sovd connect 10.10.0.2 $PORT "$NC" "$LABELLED"
			sovd_stop TERM
			# the baseline of both: nothing attached, in the same round
			run_enf nft.without connect 10.10.0.2 $PORT "$NC"
		fi
		r=$((r + 1))
	done
	echo "bench: kernel path $(grep -h '"type":"agent"' "$SOV_TMP"/events-b0.ndjson "$SOV_TMP"/events-n0.ndjson 2>/dev/null |
		head -n1 | sed -n 's/.*"kernel_path":"\([a-z]*\)".*/\1/p'), median of $REPS alternating rounds"
	if [ -n "$do_enf" ]; then
		bench_put connect_untainted ns "$(raw cu sovd)" "$(raw cu without)"
		bench_put connect_tainted_allowed ns "$(raw ct sovd)" "$(raw ct without)"
		bench_put open_unlabelled ns "$(raw ou sovd)" "$(raw ou without)"
		bench_put open_labelled ns "$(raw ol sovd)" "$(raw ol without)"
		a=$(raw g without)
		b=$(raw g sovd)
		bench_put syscall_added_ns ns "$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')" "$a" \
			"$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) print b / a }')" \
			"getppid(): $b ns with, $a without"
	fi
	if [ -n "$do_load" ]; then
		ms() { raw "$1" "$2" | awk '{ print $1 / 1e6 }'; }
		bench_put loader_sovd ms "$(ms load sovd)" "$(ms load without)" "" "$SHARDS shards, $LCONN connects"
		if [ -n "$audit_why" ]; then
			bench_null loader_auditd ms "$audit_why"
		else
			bench_put loader_auditd ms "$(ms load auditd)" "$(ms load without)" "" \
				"auditd -w shards -p r, -S connect"
		fi
	fi
	if [ -n "$do_nft" ]; then
		if [ -n "$nft_why" ]; then
			bench_null nft_connect_100k ns "$nft_why"
		else
			bench_put nft_connect_100k ns "$(raw nft nft)" "$(raw nft without)" "" "untainted: nft drops by destination"
		fi
		bench_put sovd_connect_100k ns "$(raw nft sovd)" "$(raw nft without)" "" "tainted, allowed zone"
	fi
}

# ---- journal ----------------------------------------------------------------
group_journal() {
	local d i=0 pin=
	want journal || return 0
	[ -x "$SOV_BUILD/journal-bench" ] || die "$SOV_BUILD/journal-bench is not built"
	d=$(mktemp -d /tmp/sovbench-journal.XXXXXX) || die "mktemp failed"
	"$SOVCTL" keygen --out "$d/key" --name bench > /dev/null || die "failed to make a journal key"
	command -v taskset > /dev/null && pin="taskset -c 0"
	while [ $i -lt "$JRUNS" ]; do
		rm -rf "$d/j" "$d/j.sovj" "$d/j.exported"
		sync
		# The export (1,000,000 records) and its verification in the
		# first run only: exporting rehashes the whole journal.
		$pin "$SOV_BUILD/journal-bench" "$d/j" "$d/key.key" "$JREC" 4294967295 \
			"$([ $i = 0 ] && echo 1000000 || echo 0)" > "$d/out" ||
			{ rm -rf "$d"; die "journal-bench failed"; }
		[ $i = 0 ] && cp "$d/out" "$d/out0"
		sed -n 's/^append:.* \([0-9]*\) records\/s wall.*/\1/p' "$d/out" >> "$d/append.wall"
		sed -n 's/^append:.* \([0-9]*\) records\/s per CPU.*/\1/p' "$d/out" >> "$d/append"
		sed -n 's/^verify:.* \([0-9]*\) records\/s wall.*/\1/p' "$d/out" >> "$d/verify.wall"
		sed -n 's/^verify:.* \([0-9]*\) records\/s per CPU.*/\1/p' "$d/out" >> "$d/verify"
		i=$((i + 1))
	done
	# Per CPU second: the work of one core, which other load on a shared
	# machine does not change much; the wall rate (fsync waits and time
	# the pinned CPU served others included) is in the note.
	bench_put journal_append records/s "$(bench_median < "$d/append")" "" "" \
		"per CPU s, $JREC records, checkpoint each second; wall $(bench_median < "$d/append.wall")/s; goal >= 1e6"
	bench_put journal_verify records/s "$(bench_median < "$d/verify")" "" "" \
		"per CPU s; wall $(bench_median < "$d/verify.wall")/s; goal >= 2e6"
	# Beside the floor of the same run: the leaf and node SHA-256 of the
	# same records, in memory (the baseline; the ratio is the share of it
	# verification reaches).
	bench_put journal_verify_export records/s \
		"$(sed -n 's/^verify-export:.* \([0-9]*\) records\/s per CPU.*/\1/p' "$d/out0")" \
		"$(sed -n 's/^floor:.* \([0-9]*\) records\/s per CPU second; SHA-256 of.*/\1/p' "$d/out0")" "" \
		"per CPU s, sovctl journal verify of a 1,000,000-record export; baseline: its SHA-256 alone; $(sed -n 's/^floor:.*as one stream.* \([0-9.]* MB\/s\)$/one stream \1/p' "$d/out0"); goal >= 2e6"
	rm -rf "$d"
}

# ---- pipeline: the highest deny rate taken with zero loss -----------------
# counters: "deny lost" from sovd's status
counters() {
	"$SOVCTL" --socket "$SOV_TMP/sovd.sock" status -o json |
		jq -r '"\(.counters.deny) \(.counters.lost)"'
}

# cpu_ticks PID: utime + stime
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# settle: waits (up to 10 s) until sovd is idle again (its CPU time still
# for 0.3 s): the events of the last step are drained and journalled
settle() {
	local i=0 a b
	b=$(cpu_ticks "$SOVD_PID")
	while [ $i -lt 33 ]; do
		sleep 0.3
		a=$b
		b=$(cpu_ticks "$SOVD_PID")
		[ $((b - a)) -le 1 ] && return 0
		i=$((i + 1))
	done
}

# flood_step RATE: prints "achieved_rate lost cpu_us_per_event"
flood_step() {
	local c0 c1 t0 t1 s0 s1
	settle
	c0=$(counters) || return 1
	t0=$(cpu_ticks "$SOVD_PID")
	s0=$(date +%s.%N)
	"$ENFORCE" flood "$1" "$FLOOD_S" 4 "$LABELLED" || return 1
	s1=$(date +%s.%N)
	settle
	c1=$(counters) || return 1
	t1=$(cpu_ticks "$SOVD_PID")
	echo "$c0 $c1 $t0 $t1 $s0 $s1" | awk -v hz="$(getconf CLK_TCK)" '{
		n = $3 - $1; lost = $4 - $2; secs = $8 - $7
		printf "%.0f %d %.2f\n", n / secs, lost, (n > 0 ? ($6 - $5) / hz * 1e6 / n : 0) }'
}

group_pipeline() {
	local rate=25000 good=0 good_cpu= bad= out ach lost step=0 note=
	want pipeline || return 0
	setup
	command -v jq > /dev/null || die "jq is not installed"
	start pipe "$SOV_TMP/policy.yaml"
	while :; do
		out=$(flood_step $rate) || die "a flood step failed"
		set -- $out
		ach=$1 lost=$2
		echo "bench: pipeline: asked $rate/s: $ach denies/s, lost $lost, sovd ${3} us CPU per event"
		if [ "$lost" = 0 ]; then
			[ "$ach" -gt "$good" ] && good=$ach good_cpu=$3
			if [ "$ach" -lt $((rate * 8 / 10)) ]; then
				note="the load generator peaked at ${ach}/s: a lower bound"
				break
			fi
		else
			bad=$rate
		fi
		# double until the first loss, then three bisection steps
		if [ -z "$bad" ]; then
			rate=$((rate * 2))
		else
			step=$((step + 1))
			[ $step -gt 3 ] && break
			rate=$(( (good + bad) / 2 ))
		fi
		[ $rate -gt 4000000 ] && break
	done
	bench_put pipeline_lossless events/s "$good" "" "" \
		"${FLOOD_S} s per step, journal on, sovd ${good_cpu:-?} us CPU/event${note:+; $note}"
	bench_put sovd_rss_load MiB "$(rss_mib "$SOVD_PID" VmHWM)" "" "" "peak (VmHWM) after the flood"
	sovd_stop TERM
}

# ---- policy -----------------------------------------------------------------
group_policy() {
	local out i=0 t0 t1
	want policy || return 0
	[ -x "$SOV_BUILD/policy-compile-bench" ] || die "$SOV_BUILD/policy-compile-bench is not built"
	# exits 1 when over its goal: a benchmark never fails the suite
	out=$("$SOV_BUILD/policy-compile-bench" 1000000 "$PC_RUNS")
	bench_put policy_compile_1m s "$(echo "$out" | sed -n 's/.* best of [0-9]* \([0-9.]*\) s wall.*/\1/p')" "" "" \
		"best of $PC_RUNS, one core; goal < 2 s"
	setup
	policy_100k "$SOV_TMP/policy-100k.yaml" "$SOV_TMP/zone-100k.txt"
	# sovd sizes its zone maps at start from the policy it starts with
	start apply "$SOV_TMP/policy-100k.yaml"
	while [ $i -lt "$APPLY_RUNS" ]; do
		# alternate: the small policy, then the 100k one (timed)
		"$SOVCTL" --socket "$SOV_TMP/sovd.sock" policy apply "$SOV_TMP/policy.yaml" > /dev/null ||
			die "policy apply failed"
		t0=$(date +%s.%N)
		"$SOVCTL" --socket "$SOV_TMP/sovd.sock" policy apply "$SOV_TMP/policy-100k.yaml" > /dev/null ||
			die "policy apply of 100k prefixes failed"
		t1=$(date +%s.%N)
		echo "$t0 $t1" | awk '{ print $2 - $1 }' >> "$SOV_TMP/raw/apply"
		i=$((i + 1))
	done
	sovd_stop TERM
	bench_put policy_apply_100k s "$(bench_median < "$SOV_TMP/raw/apply")" "" "" \
		"sovctl policy apply, wall, median of $APPLY_RUNS"
}

# ---- memory -----------------------------------------------------------------
group_rss() {
	local locdb=/var/lib/location/database.db t0 t1 peak
	want rss || return 0
	setup
	t0=$(date +%s.%N)
	start idle "$SOV_TOP/policy/examples/demo.yaml" "$BPFFS/sovt-$$-idle"
	t1=$(date +%s.%N)
	sleep "$IDLE_S"
	bench_put sovd_rss_idle MiB "$(rss_mib "$SOVD_PID" VmRSS)" "" "" \
		"policy/examples/demo.yaml, after ${IDLE_S} s; goal < 16; peak $(rss_mib "$SOVD_PID" VmHWM) MiB, start $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s wall"
	sovd_stop TERM
	if [ ! -r "$locdb" ]; then
		bench_null sovd_rss_countries MiB "no location database at $locdb"
		return 0
	fi
	sed "/^  eu:/a\\    countries: [EU]" "$SOV_TMP/policy.yaml" > "$SOV_TMP/policy-eu.yaml"
	t0=$(date +%s.%N)
	start countries "$SOV_TMP/policy-eu.yaml" "$BPFFS/sovt-$$-countries"
	t1=$(date +%s.%N)
	sleep 1
	peak=$(rss_mib "$SOVD_PID" VmHWM)
	# the reload's peak: the same policy applied again
	"$SOVCTL" --socket "$SOV_TMP/sovd.sock" policy apply "$SOV_TMP/policy-eu.yaml" > /dev/null ||
		die "policy apply of the countries policy failed"
	bench_put sovd_rss_countries MiB "$peak" "" "" \
		"peak (VmHWM) compiling the 27 EU countries; goal < 24; start $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s wall (0.1 s steps); $(rss_mib "$SOVD_PID" VmHWM) MiB after a policy apply of it"
	sovd_stop TERM
}

T0=$(date +%s)
echo "bench: $(uname -r), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')${BENCH_QUICK:+, BENCH_QUICK=$BENCH_QUICK}"
for g in alternating journal pipeline policy rss; do
	t=$(date +%s)
	group_$g
	[ -n "${BENCH_VERBOSE:-}" ] && echo "bench: group $g: $(($(date +%s) - t)) s"
done
bench_table
bench_json "$BENCH_JSON"
echo "bench: $(($(date +%s) - T0)) s; JSON in $BENCH_JSON"
