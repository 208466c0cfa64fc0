#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# sovd under the systemd unit's privileges speaks systemd's readiness
# protocol (agent/notify.c, tools/sovd.service). The test binds its own
# NOTIFY_SOCKET (an abstract name, as systemd's can be), starts sovd with
# only the unit's CapabilityBoundingSet and NoNewPrivileges (setpriv), and
# the moment READY=1 arrives it runs a process in the policy's scope that
# reads a labelled file and connects where its class may not go: the
# connect must already be refused (EPERM; ECONNREFUSED would mean nothing
# enforced yet), and so must be one by a process of another user that held
# the file open before sovd started (CAP_SYS_PTRACE). Then SIGHUP gives
# RELOADING=1 (with MONOTONIC_USEC) and READY=1, SIGTERM gives STOPPING=1;
# with a NOTIFY_SOCKET it cannot use,
# sovd warns, sends nothing and still starts. Needs root, BPF and a cgroup2
# mount.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${SOV_BUILD:-$top/build}
SOVD=${SOVD:-$B/sovd} SOVCTL=$B/sovctl
UNIT=$top/tools/sovd.service
T=$(mktemp -d /tmp/sovd-notify.XXXXXX)
PIN=/sys/fs/bpf/sovd-notify-$$
PORT=$((20000 + $$ % 20000))
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CGNAME=sovt-notify-$$
CG=$CGROOT/$CGNAME
n=0 failed=0 sovd_pid= lis_pid=
cleanup() {
	[ -n "$sovd_pid" ] && kill -9 "$sovd_pid" 2>/dev/null && wait "$sovd_pid" 2>/dev/null
	[ -n "$lis_pid" ] && kill "$lis_pid" 2>/dev/null && wait "$lis_pid" 2>/dev/null
	[ -n "${hold_pid:-}" ] && kill "$hold_pid" 2>/dev/null && wait "$hold_pid" 2>/dev/null
	rm -rf "$PIN"
	if [ -d "$CG" ]; then
		# the probes have exited; anything left goes back to the root
		while read -r p; do echo "$p" > "$CGROOT/cgroup.procs"; done < "$CG/cgroup.procs" 2>/dev/null
		rmdir "$CG" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; [ "$1" = 0 ]; }
diag() { sed 's/^/#   /' "$@"; }

if [ "$(id -u)" -ne 0 ] || [ -z "$CGROOT" ] || ! command -v setpriv > /dev/null || ! command -v python3 > /dev/null; then
	echo "not ok 1 - needs root, BPF, a cgroup2 mount, setpriv and python3 (CI has them)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/data" "$CG"
echo secret > "$T/data/a.csv"
chmod -R a+rX "$T"	# for the holder, who runs as nobody

# The unit's bounding set, as setpriv spells it: -all,+bpf,+perfmon,...
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
[ -n "$caps" ]; ok $? "the unit has a CapabilityBoundingSet ($caps)"
bset=-all
for c in $caps; do
	c=${c#CAP_}
	bset="$bset,+$(echo "$c" | tr 'A-Z' 'a-z')"
done
grep -qx 'NoNewPrivileges=yes' "$UNIT"; ok $? "the unit sets NoNewPrivileges=yes"

cat > "$T/p.yaml" <<Y
version: 1
scope: {cgroups: [/$CGNAME]}
zones:
  eu: {cidrs: [10.10.0.0/16]}
classes:
  c1: {paths: [$T/data], allow: [eu]}
Y

# The probe: joins the scope cgroup, reads the labelled file, connects to
# 127.0.0.1:PORT (nobody listens; loopback is no zone of c1): prints the
# errno's name.
cat > "$T/probe.py" <<'P'
import errno, os, socket, sys
cg, f, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(os.path.join(cg, "cgroup.procs"), "w") as p:
    p.write(str(os.getpid()))
with open(f) as d:
    d.read()
s = socket.socket()
try:
    s.connect(("127.0.0.1", port))
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
P

# The listener: every datagram to the log, one line per message with its
# assignments joined by '|'; at the first READY=1 the probe runs at once
# and its answer follows in the log as "probe: ...".
cat > "$T/listen.py" <<'L'
import socket, subprocess, sys
name, log, probe = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:])
print("bound", flush=True)
ready = False
with open(log, "a") as out:
    while True:
        msg = s.recv(4096).decode()
        out.write("msg: " + "|".join(l for l in msg.split("\n") if l) + "\n")
        out.flush()
        if not ready and "READY=1" in msg.split("\n"):
            ready = True
            r = subprocess.run(probe, capture_output=True, text=True)
            out.write("probe: " + (r.stdout.strip() or r.stderr.strip()) + "\n")
            out.flush()
L

# The holder: a process of another user (nobody) in the scope that opened
# the labelled file before sovd started; sovd must find it in /proc (which
# takes CAP_SYS_PTRACE for another user's process) and taint it. At "go" on
# a FIFO it connects like the probe.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
cat > "$T/hold.py" <<'H'
import errno, socket, sys
held = open(sys.argv[1])
open(sys.argv[2]).read()
s = socket.socket()
try:
    s.connect(("127.0.0.1", int(sys.argv[3])))
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
H
chmod a+r "$T/hold.py"
mkfifo -m 0644 "$T/go"
setpriv --reuid nobody --regid nogroup --clear-groups "$PY" "$T/hold.py" "$T/data/a.csv" "$T/go" "$PORT" \
	> "$T/held" 2>&1 &
hold_pid=$!
echo "$hold_pid" > "$CG/cgroup.procs"
# what the listener runs at READY=1: the probe, then the holder's connect
cat > "$T/at-ready.sh" <<A
python3 "$T/probe.py" "$CG" "$T/data/a.csv" "$PORT"
echo go > "$T/go"
wait_s=0
while [ ! -s "$T/held" ] && [ \$wait_s -lt 50 ]; do sleep 0.1; wait_s=\$((wait_s + 1)); done
A

NS=@sovt-notify-$$
python3 "$T/listen.py" "$NS" "$T/log" sh "$T/at-ready.sh" > "$T/lis.out" 2>&1 &
lis_pid=$!
for _ in $(seq 50); do grep -q bound "$T/lis.out" && break; sleep 0.1; done
grep -q bound "$T/lis.out"; ok $? "the listener bound $NS"

"$SOVCTL" keygen --out "$T/k" > /dev/null
NOTIFY_SOCKET=$NS setpriv --bounding-set "$bset" --no-new-privs -- \
	"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events "$T/ev" \
	--journal "$T/j" --key "$T/k.key" 2> "$T/sovd.log" &
sovd_pid=$!
# wait_log REGEX SECONDS
wait_log() {
	local i
	for i in $(seq $(($2 * 10))); do
		grep -Eq "$1" "$T/log" 2>/dev/null && return 0
		kill -0 "$sovd_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
wait_log '^probe: ' 60
ok $? "READY=1 arrived from sovd under the unit's bounding set and no_new_privs" || { diag "$T/sovd.log"; diag "$T/log" 2>/dev/null; }
head -1 "$T/log" | grep -Eq '^msg: READY=1\|STATUS=enforcing '"$T"'/p.yaml on the (lsm|tracing) kernel path$'
ok $? "the first message is READY=1 with STATUS=enforcing POLICY on the KERNEL path" || diag "$T/log"
got=$(sed -n 's/^probe: //p' "$T/log")
[ "$got" = EPERM ]; ok $? "a connect right after READY=1 by a process that read a labelled file is refused (want EPERM, got ${got:-nothing})"
wait "$hold_pid"; hold_pid=
got=$(cat "$T/held")
[ "$got" = EPERM ]; ok $? "so is one by a process of another user that held the file open before sovd started (found through /proc: CAP_SYS_PTRACE; want EPERM, got ${got:-nothing})"
grep '^CapBnd' "/proc/$sovd_pid/status" > "$T/capbnd"
want=$(setpriv --bounding-set "$bset" -- grep '^CapBnd' /proc/self/status)
[ "$(cat "$T/capbnd")" = "$want" ]; ok $? "sovd runs with the unit's bounding set ($(cat "$T/capbnd"))"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$sovd_pid/status"; ok $? "and with no_new_privs"
kill -HUP "$sovd_pid"
wait_log 'READY=1.*generation=2' 30
ok $? "SIGHUP: READY=1 again with the new generation" || diag "$T/log"
grep '^msg: ' "$T/log" | sed -n 2p | grep -Eq '^msg: RELOADING=1\|MONOTONIC_USEC=[0-9]+\|STATUS=reloading'
ok $? "SIGHUP: RELOADING=1 with MONOTONIC_USEC first" || diag "$T/log"
kill -TERM "$sovd_pid"
wait "$sovd_pid"; rc=$?
sovd_pid=
[ $rc = 0 ]; ok $? "SIGTERM: sovd exits 0 (got $rc)" || diag "$T/sovd.log"
grep -q '^msg: STOPPING=1|STATUS=stopping$' "$T/log"; ok $? "STOPPING=1 at the stop" || diag "$T/log"

# A NOTIFY_SOCKET that is no socket name (systemd 254's vsock:): a warning
# that names it, nothing is sent, sovd starts and enforces as without one
# (as every other test of the suite runs it).
: > "$T/log"
NOTIFY_SOCKET=vsock:2:1 "$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s2" \
	--events /dev/null --journal none 2> "$T/sovd2.log" &
sovd_pid=$!
for _ in $(seq 300); do "$SOVCTL" --socket "$T/s2" status > /dev/null 2>&1 && break; sleep 0.1; done
"$SOVCTL" --socket "$T/s2" status > /dev/null 2>&1
ok $? "NOTIFY_SOCKET=vsock:2:1: sovd starts and enforces" || diag "$T/sovd2.log"
grep -q 'NOTIFY_SOCKET=vsock:2:1 is not a socket path or abstract name' "$T/sovd2.log"
ok $? "with a warning that names it" || diag "$T/sovd2.log"
kill -TERM "$sovd_pid"; wait "$sovd_pid"; sovd_pid=
[ ! -s "$T/log" ]; ok $? "and sends nothing" || diag "$T/log"

echo "1..$n"
[ "$failed" = 0 ]
