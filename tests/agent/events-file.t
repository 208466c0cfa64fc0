#!/bin/bash
# --events FILE (issue 16): rotation by size keeps whole lines and the
# newest N files, FILE.1 .. FILE.N, with no line lost between them (the
# journal's seq runs on across the files); SIGHUP reopens FILE after an
# external rotation (logrotate's postrotate); a full disk loses lines
# counted in a loss event in the journal, never half a line, and writing
# resumes when there is room. Needs root and BPF.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=${SOVD:-$B/sovd} SOVCTL=$B/sovctl
T=$(mktemp -d /tmp/sovd-evfile.XXXXXX)
PIN=/sys/fs/bpf/sovd-evfile-$$
n=0 failed=0 sovd_pid=''
cleanup() {
	[ -n "$sovd_pid" ] && kill -9 "$sovd_pid" 2>/dev/null
	wait 2>/dev/null
	umount "$T/disk" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - needs root and BPF (CI runs as root)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/data" "$T/disk"
echo secret > "$T/data/a.csv"
cat > "$T/p.yaml" <<Y
version: 1
zones:
  local: {cidrs: [127.0.0.0/8]}
classes:
  c1: {paths: [$T/data], allow: [local]}
Y
"$SOVCTL" keygen --out "$T/k" > /dev/null
taints() { for _ in $(seq "$1"); do cat "$T/data/a.csv" > /dev/null; done; sleep 0.3; }
# valid FILE...: every line of the files is one whole JSON object
valid() { python3 -c 'import json,sys
for f in sys.argv[1:]:
    for l in open(f): json.loads(l)' "$@"; }

# 1. Rotation: 2 KiB files, two kept.
E=$T/ev
"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events "$E" \
	--events-max-size 2K --events-keep 2 --journal "$T/j" --key "$T/k.key" 2> "$T/log" &
sovd_pid=$!
for _ in $(seq 300); do grep -q '"action":"start"' "$E" 2>/dev/null && break; sleep 0.1; done
grep -q '"action":"start"' "$E"; ok $? "sovd starts with --events-max-size 2K --events-keep 2"
taints 40
[ -s "$E" ] && [ -s "$E.1" ] && [ -s "$E.2" ] && [ ! -e "$E.3" ]
ok $? "rotated: FILE, FILE.1 and FILE.2, no FILE.3"
big=0
for f in "$E" "$E.1" "$E.2"; do
	s=$(stat -c %s "$f")
	[ "$s" -le 2048 ] || [ "$(wc -l < "$f")" = 1 ] || big=$((big + 1))
done
[ $big = 0 ]; ok $? "no file passes 2048 bytes (unless it is one line)"
valid "$E.2" "$E.1" "$E"; ok $? "every line of every file is whole JSON"
seqs=$(cat "$E.2" "$E.1" "$E" | sed -n 's/.*"seq":\([0-9]*\)}$/\1/p')
first=$(echo "$seqs" | head -1) last=$(echo "$seqs" | tail -1) cnt=$(echo "$seqs" | wc -l)
[ -n "$first" ] && [ $((last - first + 1)) = "$cnt" ] && [ "$(echo "$seqs" | sort -n)" = "$seqs" ]
ok $? "no line lost across the rotated files: seq $first..$last, $cnt lines, in order"

# 2. An external rotation, then SIGHUP: sovd writes to a new FILE.
mv "$E" "$T/moved"
kill -HUP "$sovd_pid"
sleep 0.5
taints 1
[ -s "$E" ] && grep -q '"type":"taint"' "$E"; ok $? "after SIGHUP the events go to a new FILE"
before=$(wc -l < "$T/moved")
taints 1
[ "$(wc -l < "$T/moved")" = "$before" ]; ok $? "the moved file gets nothing more"
grep -q "events file $E reopened" "$T/log"; ok $? "sovd says it reopened the file"
kill -TERM "$sovd_pid"; wait "$sovd_pid"; rc=$?; sovd_pid=
ok $rc "sovd stops cleanly"

# 3. A full disk: lines are counted as lost and journaled, never cut.
mount -t tmpfs -o size=64k tmpfs "$T/disk" || { echo "not ok $((n + 1)) - mount a small tmpfs"; echo "1..$((n + 1))"; exit 1; }
E=$T/disk/ev
MPORT=$((20000 + RANDOM % 12000))
"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events "$E" \
	--journal "$T/j2" --key "$T/k.key" --metrics "127.0.0.1:$MPORT" 2> "$T/log2" &
sovd_pid=$!
for _ in $(seq 300); do grep -q '"action":"start"' "$E" 2>/dev/null && break; sleep 0.1; done
grep -q '"action":"start"' "$E"; ok $? "sovd starts with its events file on a 64 KiB tmpfs"
# no page left (the file's last page still takes a few lines)
dd if=/dev/zero of="$T/disk/filler" bs=1k 2>/dev/null
taints 30
sleep 0.5
kill -0 "$sovd_pid"; ok $? "sovd runs on with its events file's disk full"
valid "$E"; ok $? "the events file holds whole lines only"
# once per failing spell, not per line (a write into the file's last page
# may still succeed in between and end a spell)
c=$(grep -c "events file $E: failed to write" "$T/log2")
[ "$c" -ge 1 ] && [ "$c" -lt 10 ]; ok $? "sovd says it cannot write, once per spell ($c times for 30 taints)"
# the same loss in the metrics (sovd_sink_lines_dropped_total, docs/cli.md)
scrape() {
	exec 3<>"/dev/tcp/127.0.0.1/$MPORT" || return 1
	printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3 > "$T/m"
	exec 3<&-
}
scrape 2> /dev/null
md=$(awk -v s="sovd_sink_lines_dropped_total{sink=\"events\",target=\"$E\"}" '$1 == s { print $2 }' "$T/m" 2>/dev/null)
mw=$(awk -v s="sovd_sink_lines_total{sink=\"events\",target=\"$E\"}" '$1 == s { print $2 }' "$T/m" 2>/dev/null)
[ -n "$md" ] && [ "$md" -gt 0 ] && [ -n "$mw" ] && [ "$mw" -gt 0 ]
ok $? "metrics: the events sink's lines written ($mw) and dropped ($md) are counted" || grep sink_ "$T/m" | sed 's/^/#   /'
rm -f "$T/disk/filler"
taints 1
grep -q "events file $E: writing again" "$T/log2"; ok $? "with room again, sovd writes again and says so"
kill -TERM "$sovd_pid"; wait "$sovd_pid"; rc=$?; sovd_pid=
ok $rc "sovd stops cleanly"
# at the latest at stop (the first one was lost with the disk full)
grep -q '"type":"loss".*"sink":"events"' "$E"; ok $? "a loss event for the events file is in it"
total=$(grep '"sink":"events"' "$E" | tail -1 | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
[ -n "$total" ] && [ "$total" -gt 0 ]; ok $? "it counts the lost lines (${total:-none})"
valid "$E"; ok $? "the events file still holds whole lines only"
"$SOVCTL" journal show --pubkey "$T/k.pub" --type loss "$T/j2" > "$T/jl" 2>&1
grep -q 'sink.*events' "$T/jl"; ok $? "the loss event is in the journal"

# 4. Bad input.
"$SOVD" --policy "$T/p.yaml" --events-max-size 10X > /dev/null 2> "$T/e"; rc=$?
[ $rc = 2 ] && grep -q "events-max-size takes a size" "$T/e"; ok $? "--events-max-size 10X: exit 2 ($rc)"
"$SOVD" --policy "$T/p.yaml" --events-max-size 1M > /dev/null 2> "$T/e"; rc=$?
[ $rc = 2 ] && grep -q "needs --events FILE" "$T/e"; ok $? "--events-max-size without --events FILE: exit 2 ($rc)"

[ $failed -eq 0 ] || { sed 's/^/#   /' "$T/log" | tail -10; sed 's/^/#   /' "$T/log2" | tail -10; }
echo "1..$n"
[ $failed -eq 0 ]
