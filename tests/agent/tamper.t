#!/bin/bash
# Self-audit (issue 12): tampering with sovd's kernel state by root is
# detected within --audit-interval, journaled, counted, shown by `sovctl
# status` (non-zero), and repaired where sovd says so: a cgroup link detached
# with bpftool (re-attached), a policy map rewritten (zone table and config:
# rewritten), a link pin removed (re-pinned), a foreign program next to
# sovd's on its cgroup hook (reported, not removed). Then sovd is killed
# with -9: `sovctl status` reads the pins and says programs still enforce.
# Needs root, BPF, bpftool; the tracing path (the host's) for the cgroup
# links (on the LSM path those steps are skipped with the reason).
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=${SOVD:-$B/sovd} SOVCTL=$B/sovctl
ALLOW=$B/tests/agent/allow.bpf.o
T=$(mktemp -d /tmp/sovd-tamper.XXXXXX)
PIN=/sys/fs/bpf/sovd-tamper-$$
FOREIGN=/sys/fs/bpf/sovt-tamper-allow-$$
IVL=2
PORT=$((20000 + $$ % 20000))
n=0 failed=0 sovd_pid=
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGNAME=sovt-tamper-$$
CG=$CGROOT/$CGNAME
cleanup() {
	[ -n "${sovd_pid:-}" ] && kill -9 "$sovd_pid" 2>/dev/null && wait "$sovd_pid" 2>/dev/null
	[ -e "$FOREIGN" ] && bpftool cgroup detach "$CG" connect4 pinned "$FOREIGN" 2>/dev/null
	rm -f "$FOREIGN"
	rm -rf "$PIN"
	[ -d "$CG" ] && rmdir "$CG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; [ "$1" = 0 ]; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/#   /' "$@"; }
st() { "$SOVCTL" --socket "$T/s" status "$@" > "$T/st" 2>&1; }
# wait_ev REGEX SECONDS: a tamper event matching REGEX in the events file.
wait_ev() {
	local i
	for i in $(seq $(($2 * 10))); do
		grep '"type":"tamper"' "$T/ev" 2>/dev/null | grep -Eq "$1" && return 0
		sleep 0.1
	done
	return 1
}
nev() { grep '"type":"tamper"' "$T/ev" 2>/dev/null | grep -Ec "$1"; }
metric() {
	local out
	out=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3)
	printf '%s\n' "$out" | awk -v m="$1" '$1 == m { print $2 }'
}

if [ "$(id -u)" -ne 0 ] || ! command -v bpftool > /dev/null || [ -z "$CGROOT" ]; then
	echo "not ok 1 - needs root, BPF, bpftool and cgroup2 (CI has them)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/data" "$CG"
echo secret > "$T/data/a.csv"
# The scope is a cgroup of the test's own: foreign programs of other sovd
# instances on the host's other cgroups are none of this test's business.
cat > "$T/p.yaml" <<Y
version: 1
scope: {cgroups: [/$CGNAME]}
zones:
  eu: {cidrs: [10.10.0.0/16]}
classes:
  c1: {paths: [$T/data], allow: [eu]}
Y
"$SOVCTL" keygen --out "$T/k" > /dev/null
"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events "$T/ev" \
	--journal "$T/j" --key "$T/k.key" --audit-interval $IVL --metrics "127.0.0.1:$PORT" \
	2> "$T/log" &
sovd_pid=$!
for _ in $(seq 100); do st && break; sleep 0.1; done
st -o json; r=$?
ok $r "sovd starts; status exit 0 (got $r)"
[ $r = 0 ] || diag "$T/st" "$T/log"
grep -q '"state":"enforcing"' "$T/st" && grep -q '"audit":{"ok":true' "$T/st"
ok $? "status: enforcing, the audit object says ok"
KP=$(grep -o '"kernel_path":"[a-z]*"' "$T/st" | cut -d'"' -f4)
[ "$(metric sovd_tamper_total)" = 0 ]; ok $? "sovd_tamper_total is 0 before any tampering"

# --- a cgroup link detached with bpftool: re-attached ---------------------
if [ "$KP" = tracing ]; then
	lid=$(bpftool link show pinned "$PIN/links/connect4@0" | sed -n 's/^\([0-9]*\):.*/\1/p')
	bpftool link detach id "$lid"; ok $? "bpftool link detach id $lid (sovd's connect4 link)"
	wait_ev '"what":"link".*"name":"connect4@0".*"change":"detached".*"repaired":true' $((IVL + 1))
	ok $? "tamper event within the interval: link connect4@0 detached, repaired"
	st; r=$?
	[ $r = 1 ] && grep -q "state: *repaired" "$T/st" && grep -q '"change":"detached"' "$T/st"
	ok $? "status right after: exit 1 (got $r), state repaired, the finding listed"
	[ $? = 0 ] || diag "$T/st"
	nlid=$(bpftool link show pinned "$PIN/links/connect4@0" | sed -n 's/^\([0-9]*\):.*/\1/p')
	bpftool link show pinned "$PIN/links/connect4@0" | grep -q "cgroup_id [1-9]" && [ "$nlid" != "$lid" ]
	ok $? "a new link ($nlid) attached to the scope cgroup and pinned"
	bpftool cgroup show "$CG" > "$T/cgshow" 2>&1
	grep -Eq "connect4|inet4_connect" "$T/cgshow"; ok $? "bpftool cgroup show lists connect4 on the scope cgroup again"
	[ $? = 0 ] || diag "$T/cgshow"
	sleep $((IVL + 1))
	st; r=$?
	[ $r = 0 ]; ok $? "status one interval later: enforcing, exit 0 (got $r)"
	[ $r = 0 ] || diag "$T/st"
else
	skip "link detach of a cgroup link" "the $KP path has no cgroup links (its LSM links are refused detach on the LSM path's own tests)"
fi

# --- a tracing link: the kernel has no detach for it -----------------------
# the syscall exit program's link: raw (sys_exit, a tracing link) or per
# syscall (sc_exit_openat, a perf_event link; sovd --syscall-hooks)
SCX=sys_exit
[ -e "$PIN/links/$SCX" ] || SCX=sc_exit_openat
tid=$(bpftool link show pinned "$PIN/links/$SCX" | sed -n 's/^\([0-9]*\):.*/\1/p')
[ -n "$tid" ]; ok $? "the syscall exit link is pinned ($SCX: id $tid)"
! bpftool link detach id "$tid" 2> /dev/null
ok $? "bpftool link detach of the tracing link $SCX ($tid): refused by the kernel"

# --- a zone table rewritten: rewritten back -------------------------------
before=$(bpftool map dump pinned "$PIN/sov_zone4_1" 2>&1)
bpftool map update pinned "$PIN/sov_zone4_1" key 24 0 0 0 10 20 0 0 value 0 0 0 0 0 0 0 0
ok $? "bpftool map update: 10.20.0.0/24 into the active IPv4 zone table"
wait_ev '"what":"maps".*sov_zone4_1.*"repaired":true' $((IVL + 1))
ok $? "tamper event within the interval: maps [sov_zone4_1] differ, repaired"
after=$(bpftool map dump pinned "$PIN/sov_zone4_1" 2>&1)
[ "$before" = "$after" ]; ok $? "the zone table holds what sovd wrote again"

# --- the config rewritten (zeroed: no block classes, other half) ----------
cfg_before=$(bpftool map dump pinned "$PIN/sov_config" 2>&1)
vsz=$(bpftool map show pinned "$PIN/sov_config" | sed -n 's/.*value \([0-9]*\)B.*/\1/p')
bpftool map update pinned "$PIN/sov_config" key 0 0 0 0 value $(for _ in $(seq "$vsz"); do printf '0 '; done)
ok $? "bpftool map update: sov_config zeroed ($vsz bytes)"
wait_ev '"what":"maps".*sov_config.*"repaired":true' $((IVL + 1))
ok $? "tamper event within the interval: maps [sov_config] differ, repaired"
st; r=$?
[ $r = 1 ] && grep -q "sov_config" "$T/st"; ok $? "status right after: exit 1 (got $r) and names sov_config"
cfg_after=$(bpftool map dump pinned "$PIN/sov_config" 2>&1)
[ "$cfg_before" = "$cfg_after" ]; ok $? "sov_config holds what sovd wrote again"
[ $? = 0 ] || { echo "$cfg_before" > "$T/c0"; echo "$cfg_after" > "$T/c1"; diff "$T/c0" "$T/c1" | diag; }

# --- a link pin removed: re-pinned ----------------------------------------
rm "$PIN/links/$SCX"; ok $? "rm of the link pin $SCX"
wait_ev '"what":"pin".*"name":"'"$SCX"'".*"change":"removed".*"repaired":true' $((IVL + 1))
ok $? "tamper event within the interval: pin $SCX removed, repaired"
[ -e "$PIN/links/$SCX" ]; ok $? "the pin is back"

# --- a foreign program on sovd's cgroup hook: reported --------------------
if [ "$KP" = tracing ]; then
	bpftool prog load "$ALLOW" "$FOREIGN" type cgroup/connect4 2> "$T/err"
	ok $? "bpftool prog load of a foreign connect4 program"
	[ $? = 0 ] || diag "$T/err"
	! bpftool cgroup attach "$CG" connect4 pinned "$FOREIGN" override 2> /dev/null
	ok $? "attaching it with override next to sovd's links: refused by the kernel"
	! bpftool cgroup attach "$CG" connect4 pinned "$FOREIGN" 2> /dev/null
	ok $? "attaching it exclusively (no flag) next to sovd's links: refused by the kernel"
	bpftool cgroup attach "$CG" connect4 pinned "$FOREIGN" multi
	ok $? "attaching it with BPF_F_ALLOW_MULTI next to sovd's connect4"
	fid=$(bpftool prog show pinned "$FOREIGN" | sed -n 's/^\([0-9]*\):.*/\1/p')
	wait_ev "\"what\":\"foreign_program\".*\"found_prog_id\":$fid.*\"attach_flags\":\"multi\".*\"repaired\":false" $((IVL + 1))
	ok $? "tamper event within the interval: foreign program $fid on connect4 (multi), not repaired"
	st; r=$?
	[ $r = 1 ] && grep -q "state: *tampered" "$T/st" && grep -q "foreign_program" "$T/st"
	ok $? "status: exit 1 (got $r), tampered, names the foreign program"
	sleep $((IVL + 1))
	[ "$(nev foreign_program)" = 1 ]; ok $? "a lasting finding is one event, not one per audit (got $(nev foreign_program))"
	bpftool cgroup detach "$CG" connect4 pinned "$FOREIGN"; rm -f "$FOREIGN"
	sleep $((IVL + 1))
	st; r=$?
	[ $r = 0 ]; ok $? "foreign program detached: status back to enforcing, exit 0 (got $r)"
else
	skip "foreign program on a cgroup hook" "the $KP path attaches no cgroup programs"
fi

# --- the journal, the metric ----------------------------------------------
"$SOVCTL" journal show "$T/j" --pubkey "$T/k.pub" > "$T/jshow" 2>&1
nj=$(awk '$3 == "tamper"' "$T/jshow" | wc -l); ne=$(nev .)
[ "$nj" -ge 3 ] && [ "$nj" = "$ne" ]; ok $? "every tamper event is in the journal ($nj journaled, $ne events)"
[ $? = 0 ] || diag "$T/jshow"
m=$(metric sovd_tamper_total)
[ "${m:-0}" -gt 0 ] && [ "$m" = "$ne" ]; ok $? "sovd_tamper_total = $m (the events: $ne)"

# --- kill -9: status reads the pins ---------------------------------------
kill -9 "$sovd_pid"; wait "$sovd_pid" 2>/dev/null; sovd_pid=
"$SOVCTL" --socket "$T/s" status --pin-dir "$PIN" > "$T/st" 2>&1; r=$?
[ $r = 3 ] && grep -q "not running; [1-9][0-9]* programs still attached" "$T/st"
ok $? "after kill -9: status exit 3 (got $r), not running, programs still attached from pins"
[ $r = 3 ] || diag "$T/st"
"$SOVCTL" --socket "$T/s" status --pin-dir "$PIN" -o json > "$T/st" 2>&1
grep -q '"state":"not-running-pinned"' "$T/st"; ok $? "-o json: state not-running-pinned"
rm -rf "$PIN"
"$SOVCTL" --socket "$T/s" status --pin-dir "$PIN" > "$T/st" 2>&1; r=$?
[ $r = 2 ] && grep -q "not running, nothing attached" "$T/st"
ok $? "pins removed: status exit 2 (got $r), not running, nothing attached"
[ $failed -eq 0 ] || { echo "# sovd log:"; tail -20 "$T/log" | sed 's/^/#   /'; }
echo "1..$n"
[ $failed -eq 0 ]
