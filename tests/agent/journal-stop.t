#!/bin/bash
# The journal fails at shutdown (the stop record or the final checkpoint
# find the disk full): sovd must not call that a clean stop. It says
# JOURNAL FAILED, exits 2 and leaves kernel enforcement pinned.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=${SOVD:-$B/sovd} SOVCTL=$B/sovctl
T=$(mktemp -d /tmp/sovd-jstop.XXXXXX)
PIN=/sys/fs/bpf/sovd-jstop-$$
n=0 failed=0
cleanup() {
	[ -n "${sovd_pid:-}" ] && kill -9 "$sovd_pid" 2>/dev/null
	umount "$T/disk" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - needs root and BPF (CI runs as root)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/disk" "$T/data"
mount -t tmpfs -o size=256k tmpfs "$T/disk" || { echo "not ok 1 - mount a small tmpfs"; echo "1..1"; exit 1; }
echo secret > "$T/data/a.csv"
cat > "$T/p.yaml" <<Y
version: 1
zones:
  local: {cidrs: [127.0.0.0/8]}
classes:
  c1: {paths: [$T/data], allow: [local]}
Y
"$SOVCTL" keygen --out "$T/k" > /dev/null
"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events /dev/null \
	--journal "$T/disk/journal" --key "$T/k.key" 2> "$T/log" &
sovd_pid=$!
for _ in $(seq 100); do "$SOVCTL" --socket "$T/s" status > /dev/null 2>&1 && break; sleep 0.1; done
"$SOVCTL" --socket "$T/s" status > /dev/null 2>&1; ok $? "sovd starts with its journal on a 256 KiB tmpfs"
# The start records are checkpointed; then the disk fills up behind sovd's back.
sleep 1.5
dd if=/dev/zero of="$T/disk/filler" bs=4k 2> /dev/null
[ "$(df --output=avail "$T/disk" | tail -1)" -eq 0 ]; ok $? "the journal's disk is full"
kill -0 "$sovd_pid" 2>/dev/null; ok $? "sovd still runs (nothing was written since)"
kill -TERM "$sovd_pid"
for _ in $(seq 100); do kill -0 "$sovd_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sovd_pid" 2>/dev/null; then
	rc=running
else
	wait "$sovd_pid"; rc=$?
	sovd_pid=
fi
[ "$rc" = 2 ]; ok $? "SIGTERM with a journal that cannot take the stop record: exit 2 (got $rc)"
grep -q "JOURNAL FAILED" "$T/log"; ok $? "it says JOURNAL FAILED"
[ -e "$PIN/links" ] && [ -n "$(ls "$PIN/links" 2>/dev/null)" ]; ok $? "kernel enforcement stays pinned"
[ $failed -eq 0 ] || sed 's/^/# /' "$T/log" | tail -20
echo "1..$n"
[ $failed -eq 0 ]
