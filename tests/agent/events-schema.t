#!/bin/bash
# Every line of the NDJSON schema of docs/events.md (issue 16): sovd runs,
# a process does what makes each kind of event (policy, agent start and
# stop, taint, derive, egress deny and allow, an aggregate of allowed
# flows, a channel refused at creation, and a loss: the syslog sink with
# nobody listening), and tests/agent/events_schema.py checks, against the
# tables of docs/events.md, that every field of a produced type appears in
# an event of that type with the documented JSON type (unless the doc marks
# it optional: "only ..." or "**Absent**"), and that no event carries a
# field the doc does not list. Needs root and BPF.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=${SOVD:-$B/sovd} SOVCTL=$B/sovctl
T=$(mktemp -d /tmp/sovd-schema.XXXXXX)
PIN=/sys/fs/bpf/sovd-schema-$$
n=0 failed=0 sovd_pid=''
cleanup() {
	[ -n "$sovd_pid" ] && kill -9 "$sovd_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - needs root and BPF (CI runs as root)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/data" "$T/out"
echo secret > "$T/data/a.csv"
cat > "$T/p.yaml" <<Y
version: 1
zones:
  local: {cidrs: [127.0.0.0/8]}
  nowhere: {cidrs: [127.0.0.2/32]}
classes:
  c1: {paths: [$T/data], allow: [local]}
Y
"$SOVCTL" keygen --out "$T/k" > /dev/null
# the syslog sink's collector is a socket nobody reads: its 4 KiB buffer
# fills and a loss event counts what it dropped
"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events "$T/ev" \
	--journal "$T/j" --key "$T/k.key" --syslog "unix:$T/nobody.sock" --syslog-buffer 4096 \
	2> "$T/log" &
sovd_pid=$!
for _ in $(seq 300); do grep -q '"action":"start"' "$T/ev" 2>/dev/null && break; sleep 0.1; done
grep -q '"action":"start"' "$T/ev"; ok $? "sovd starts"

python3 - "$T" <<'PY'
import socket, sys, time
t = sys.argv[1]
open(t + "/data/a.csv").read()                     # taint
open(t + "/out/b.csv", "w").write("derived\n")     # derive
for dst in (("127.0.0.2", 9), ("127.0.0.1", 1), ("127.0.0.1", 1), ("127.0.0.1", 1)):
    s = socket.socket()                            # deny; allow; aggregated allows
    try: s.connect(dst)
    except OSError: pass
    s.close()
try: socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)  # a channel
except OSError: pass
time.sleep(1.5)                                    # the aggregate's second
PY
for _ in $(seq 20); do cat "$T/data/a.csv" > /dev/null; done
for _ in $(seq 30); do grep -q '"sink":"syslog"' "$T/ev" && break; sleep 0.1; done
kill -TERM "$sovd_pid"; wait "$sovd_pid"; rc=$?; sovd_pid=
ok $rc "sovd stops cleanly"
python3 "$(dirname "$0")/events_schema.py" "$(dirname "$0")/../../docs/events.md" "$T/ev" \
	agent policy taint derive egress loss
ok $? "every field docs/events.md lists for these types is in their events, typed as documented, and nothing else is"
[ $failed -eq 0 ] || sed 's/^/#   /' "$T/log" | tail -20
echo "1..$n"
[ $failed -eq 0 ]
