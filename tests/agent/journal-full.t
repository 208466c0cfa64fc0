#!/bin/bash
# sovd with its journal on a full disk: it fails closed (says so, exits
# non-zero, leaves kernel enforcement pinned) and what is on disk verifies.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=$B/sovd SOVCTL=$B/sovctl SOVTEST=$B/tests/sovtest
T=$(mktemp -d /tmp/sovd-jfull.XXXXXX)
PIN=/sys/fs/bpf/sovd-jfull-$$
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

# Each allowed UDP send of a tainted process is a decision and a record.
for _ in 1 2 3 4 5 6 7 8; do
	kill -0 "$sovd_pid" 2>/dev/null || break
	"$SOVTEST" "read:$T/data/a.csv" udp-flood:127.0.0.1:9:2000 > /dev/null 2>&1
	sleep 0.3
done
for _ in $(seq 50); do kill -0 "$sovd_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sovd_pid" 2>/dev/null; then
	ok 1 "sovd stops once the journal cannot be written"
	rc=0
else
	wait "$sovd_pid"; rc=$?
	sovd_pid=
	ok 0 "sovd stops once the journal cannot be written"
fi
[ "$rc" -ne 0 ]; ok $? "it exits non-zero (exit $rc)"
grep -q "JOURNAL FAILED" "$T/log"; ok $? "it says so: JOURNAL FAILED"
[ -e "$PIN/links" ] && [ -n "$(ls "$PIN/links")" ]; ok $? "kernel enforcement stays pinned (fail closed)"
"$SOVCTL" journal verify "$T/disk/journal" --pubkey "$T/k.pub" > "$T/verify" 2>&1
ok $? "the journal on the full disk still verifies"
grep -E "VALID" "$T/verify" | sed 's/^/# /'
echo "1..$n"
[ $failed -eq 0 ]
