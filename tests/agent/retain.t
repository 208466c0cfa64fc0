#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# sovd --retain (issue 15): a journal with sealed segments (written by
# jwriter with small segments, same key and origin as sovd's) is pruned
# from sovd's loop: not before an export covers it, then up to what the
# export covered, and everything due with --retain-unexported. The pruned
# journal verifies and names its prune records.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=${SOVD:-$B/sovd} SOVCTL=$B/sovctl JWRITER=$B/tests/journal/jwriter
T=$(mktemp -d /tmp/sovd-retain.XXXXXX)
PIN=/sys/fs/bpf/sovd-retain-$$
n=0 failed=0
sovd_pid=
cleanup() {
	[ -n "$sovd_pid" ] && kill -9 "$sovd_pid" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - needs root and BPF (CI runs as root)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/data"
echo secret > "$T/data/a.csv"
cat > "$T/p.yaml" <<Y
version: 1
zones:
  local: {cidrs: [127.0.0.0/8]}
classes:
  c1: {paths: [$T/data], allow: [local]}
Y
"$SOVCTL" keygen --out "$T/k" > /dev/null
# sovd's default origin, so that sovd continues this journal
origin="sovd.$(hostname | cut -c1-100)/$(head -c 100 /etc/machine-id)"
"$JWRITER" --dir "$T/j" --key "$T/k.key" --origin "$origin" --segment-max 8192 \
	--ckpt-records 50 --count 300 --compress 2> "$T/jw"; ok $? "jwriter writes a journal of 300 records in sealed segments"
nseg=$(ls "$T/j" | grep -c '^seg-')
sleep 1.2	# every sealed segment is now more than 1 s old

# start_sovd LOG ARGS...: runs sovd on the journal until status answers
start_sovd() {
	local log=$1
	shift
	"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events /dev/null \
		--journal "$T/j" --key "$T/k.key" "$@" 2> "$log" &
	sovd_pid=$!
	for _ in $(seq 100); do "$SOVCTL" --socket "$T/s" status > /dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
stop_sovd() {
	kill -TERM "$sovd_pid"
	wait "$sovd_pid"
	local rc=$?
	sovd_pid=
	return $rc
}
# wait_log LOG PATTERN: up to 5 s
wait_log() {
	for _ in $(seq 50); do grep -q "$2" "$1" && return 0; sleep 0.1; done
	return 1
}

start_sovd "$T/log1" --retain 1s; ok $? "sovd starts with --retain 1s on that journal"
wait_log "$T/log1" "segments are due but not exported"; ok $? "it warns that the segments due are not exported"
[ -e "$T/j/seg-000000.log.z" ]; ok $? "and removes nothing"
stop_sovd; ok $? "sovd stops cleanly"

"$SOVCTL" journal export --journal "$T/j" --out "$T/e2" --until "$(date -u -d '+1 hour' +%FT%TZ)" > "$T/exp" 2>&1
ok $? "an export of the whole journal (moves the export marker)"
start_sovd "$T/log2" --retain 1s; ok $? "sovd starts again with --retain 1s"
wait_log "$T/log2" "journal retention: pruned segments 0\.\."; ok $? "it prunes from its loop: $(grep -o 'pruned segments.*' "$T/log2" | head -1)"
stop_sovd; ok $? "sovd stops cleanly"
"$SOVCTL" journal verify "$T/j" --pubkey "$T/k.pub" > "$T/v" 2>&1; ok $? "the pruned journal verifies"
grep -q "pruned: *records 0\.\." "$T/v"; ok $? "verify names the prune record"
first=$(ls "$T/j" | grep '^seg-' | head -1)
left=$(ls "$T/j" | grep -c '^seg-')
[ "$left" -lt "$nseg" ]; ok $? "segments removed ($nseg -> $left, first kept $first)"
"$SOVCTL" journal show "$T/j" -o json --pubkey "$T/k.pub" | grep '"type":"prune"' | grep -q '"forced\\\{0,1\}":false'
ok $? "the prune record says it was not forced"

# More sealed segments, not exported: only --retain-unexported removes them.
"$JWRITER" --dir "$T/j" --key "$T/k.key" --origin "$origin" --segment-max 8192 \
	--ckpt-records 50 --count 100 --compress 2>> "$T/jw"; ok $? "jwriter adds 100 records in new segments"
sleep 1.2
start_sovd "$T/log3" --retain 1s --retain-unexported; ok $? "sovd starts with --retain 1s --retain-unexported"
wait_log "$T/log3" "journal retention: pruned segments"; ok $? "it prunes what no export covers: $(grep -o 'pruned segments.*' "$T/log3" | head -1)"
stop_sovd; ok $? "sovd stops cleanly"
"$SOVCTL" journal show "$T/j" -o json --pubkey "$T/k.pub" | grep '"type":"prune"' | tail -1 | grep -q '"forced\\\{0,1\}":true'
ok $? "that prune record says forced"
"$SOVCTL" journal verify "$T/j" --pubkey "$T/k.pub" > "$T/v" 2>&1; ok $? "the journal still verifies"
[ $failed -eq 0 ] || { sed 's/^/# /' "$T/log2" | tail -20; sed 's/^/# /' "$T/v"; }
echo "1..$n"
[ $failed -eq 0 ]
