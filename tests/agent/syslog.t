#!/bin/bash
# --syslog (issue 16): sovd's events reach a real rsyslog from Debian, as
# RFC 5424 messages, over a Unix datagram socket of the test's own
# (imuxsock), TCP with octet counting (imptcp) and TLS (imtcp with the gtls
# driver, a CA and server certificate made here with openssl). Each line
# of the events file arrives as one message whose MSGID is the event's
# type, APP-NAME sovd, PROCID sovd's pid, PRI by the event's severity, and
# whose MSG is the very same JSON. One sovd sends to all of them at once
# (--syslog four times, one sovd start). A collector killed under sovd: sovd runs
# on, drops beyond its buffer, journals a loss event that counts them, and
# reconnects when the collector is back. A collector whose certificate the
# CA does not sign gets nothing. The test's rsyslogd has its own config,
# pid file, work directory, sockets and ports on 127.0.0.1; the system's
# syslog is not touched. Needs root, BPF, rsyslog and rsyslog-gnutls
# (tools/install-deps --test).
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=${SOVD:-$B/sovd} SOVCTL=$B/sovctl
T=$(mktemp -d /tmp/sovd-syslog.XXXXXX)
PIN=/sys/fs/bpf/sovd-syslog-$$
n=0 failed=0 sovd_pid='' rs_pid=''
cleanup() {
	[ -n "$sovd_pid" ] && kill -9 "$sovd_pid" 2>/dev/null
	[ -n "$rs_pid" ] && kill -9 "$rs_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
show() { sed 's/^/#   /' "$@" | tail -20; }

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - needs root and BPF (CI runs as root)"; echo "1..1"; exit 1
fi
if ! command -v rsyslogd > /dev/null || [ ! -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] &&
	! ls /usr/lib/*/rsyslog/lmnsd_gtls.so > /dev/null 2>&1; then
	echo "not ok 1 - needs rsyslog and rsyslog-gnutls (tools/install-deps --test)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PTCP=$(free_port) PTLS=$(free_port) PBAD=$(free_port)
mkdir -p "$T/data" "$T/rs"
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

# A test CA, a server certificate for 127.0.0.1 it signs, and one it does not.
cert() { # cert NAME ISSUER: NAME.key, NAME.pem for IP 127.0.0.1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$1.key" -subj "/CN=$1" -out "$T/$1.csr" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\n' > "$T/$1.ext" &&
	openssl x509 -req -in "$T/$1.csr" -CA "$T/$2.pem" -CAkey "$T/$2.key" \
		-CAcreateserial -days 2 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null
}
for ca in ca otherca; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$T/$ca.key" -subj "/CN=sovd test $ca" -out "$T/$ca.pem" 2>/dev/null
done
cert srv ca && cert bad otherca
ok $? "a test CA and server certificates (openssl)"

# rsyslog: the message as rsyslog parsed it, RFC 5424 fields first, input
# name last; RFC 5424's TIMESTAMP as received.
cat > "$T/rsyslog.conf" <<C
global(workDirectory="$T/rs" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="$T/ca.pem"
       defaultNetstreamDriverCertFile="$T/srv.pem"
       defaultNetstreamDriverKeyFile="$T/srv.key")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/log.sock" UseSpecialParser="off" IgnoreTimestamp="off")
module(load="imptcp")
input(type="imptcp" address="127.0.0.1" port="$PTCP")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" address="127.0.0.1" port="$PTLS")
template(name="t" type="string"
	 string="<%PRI%>%PROTOCOL-VERSION% %TIMESTAMP:::date-rfc3339% %HOSTNAME% %APP-NAME% %PROCID% %MSGID% %STRUCTURED-DATA% %msg%\t%inputname%\n")
*.* action(type="omfile" file="$T/out.log" template="t")
C
start_rsyslog() {
	rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rs.pid" 2>> "$T/rs.err" &
	rs_pid=$!
	for _ in $(seq 50); do
		[ -S "$T/log.sock" ] && ss -ltn | grep -q "127.0.0.1:$PTLS " &&
			ss -ltn | grep -q "127.0.0.1:$PTCP " && return 0
		sleep 0.1
	done
	return 1
}
start_rsyslog; ok $? "rsyslogd runs with the test's own config, socket and ports"

# sovd_run TAG ARGS...: sovd with events in $T/TAG.ndjson and a journal.
sovd_run() {
	local tag=$1
	shift
	"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events "$T/$tag.ndjson" \
		--journal "$T/j-$tag" --key "$T/k.key" "$@" 2> "$T/$tag.log" &
	sovd_pid=$!
	for _ in $(seq 300); do
		grep -q '"action":"start"' "$T/$tag.ndjson" 2>/dev/null && return 0
		kill -0 "$sovd_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
sovd_stop() {
	kill -TERM "$sovd_pid"
	wait "$sovd_pid"
	local rc=$?
	sovd_pid=
	return $rc
}
# a taint (reads the labelled file) and a deny (then connects to 127.0.0.2)
act() {
	bash -c "read -r x < '$T/data/$1'; exec 3<> /dev/tcp/127.0.0.2/9" 2>/dev/null
	sleep 0.3
}
# arrived INPUT: waits (10 s) for the last act's deny through INPUT
arrived() {
	for _ in $(seq 100); do
		grep '"verdict":"deny"' "$T/out.log" 2>/dev/null | grep -q "	$1\$" && return 0
		sleep 0.1
	done
	return 1
}
# check TAG INPUT: every line of the events file reached rsyslog through
# INPUT as an RFC 5424 message carrying it
check() {
	python3 - "$T/$1.ndjson" "$T/out.log" "$2" "$3" <<'PY'
import json, re, sys
events, out, inp, pid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
sev = lambda e: {"tamper": 2, "loss": 3}.get(e["type"], {"deny": 4, "audit": 5}.get(e.get("verdict"), 6))
rx = re.compile(r'^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (.*)\t(\S+)$')
got = {}
for l in open(out):
    m = rx.match(l.rstrip("\n"))
    if m and m.group(9) == inp:
        got[m.group(8)] = m
bad = 0
lines = [l.rstrip("\n") for l in open(events)]
for l in lines:
    e = json.loads(l)
    m = got.get(l)
    why = None
    if not m:
        why = "not received"
    else:
        pri, ts, host, app, procid, msgid, sd = m.groups()[:7]
        if int(pri) != 3 * 8 + sev(e): why = "PRI %s, want %d" % (pri, 24 + sev(e))
        elif msgid != e["type"]: why = "MSGID %s" % msgid
        elif app != "sovd" or procid != pid: why = "APP-NAME %s PROCID %s" % (app, procid)
        elif host != e["host"]: why = "HOSTNAME %s, want %s" % (host, e["host"])
        elif sd != "-": why = "STRUCTURED-DATA %s" % sd
        elif ts[:19] != e["time"][:19]: why = "TIMESTAMP %s, event %s" % (ts, e["time"])
    if why:
        bad += 1
        print("# %s: %s" % (why, l[:160]))
types = sorted({json.loads(l)["type"] for l in lines})
print("# %d events (%s), %d not as expected" % (len(lines), ",".join(types), bad))
sys.exit(1 if bad or len(lines) < 4 or "egress" not in types or "taint" not in types else 0)
PY
}

# One sovd, four collectors: the test's Unix socket (the local form),
# TCP, TLS, and a TLS server whose certificate the CA does not sign.
openssl s_server -accept "127.0.0.1:$PBAD" -cert "$T/bad.pem" -key "$T/bad.key" -quiet \
	< /dev/null > "$T/bad.out" 2>&1 &
bad_pid=$!
sovd_run all --syslog "unix:$T/log.sock" --syslog "tcp://127.0.0.1:$PTCP" \
	--syslog "tls://127.0.0.1:$PTLS" --syslog "tls://127.0.0.1:$PBAD" --syslog-ca "$T/ca.pem" \
	--syslog-buffer 4096
ok $? "sovd starts with --syslog unix:PATH, tcp://, tls:// and a tls:// it cannot trust"
p=$sovd_pid
act a.csv
for input in imuxsock imptcp imtcp; do arrived "$input"; done
# the events up to the act's deny (a loss event of the untrusted
# collector may follow it)
last=$(grep -n '"verdict":"deny"' "$T/all.ndjson" | tail -1 | cut -d: -f1)
head -n "${last:-0}" "$T/all.ndjson" > "$T/first.ndjson"
check first imuxsock "$p"; ok $? "unix: every event arrived, RFC 5424 fields parse, MSGID = type, MSG = the line"
check first imptcp "$p"; ok $? "tcp: every event arrived, octet-counted, fields and line as sent"
check first imtcp "$p"; ok $? "tls: every event arrived, octet-counted over TLS, fields and line as sent"
grep -q "syslog tls://127.0.0.1:$PBAD: TLS handshake failed: certificate" "$T/all.log"
ok $? "a collector the CA does not sign: the handshake fails on its certificate, and sovd says so"
! grep -q '"type"' "$T/bad.out"; ok $? "no event reached the untrusted collector"

# The collector dies (all three inputs) and comes back.
kill -9 "$rs_pid"; wait "$rs_pid" 2>/dev/null; rs_pid=''
pids=
for _ in $(seq 40); do act a.csv & pids="$pids $!"; done
wait $pids
sleep 1
kill -0 "$sovd_pid"; ok $? "sovd runs on with its collectors gone"
loss=$(grep '"type":"loss"' "$T/all.ndjson" | grep "\"sink\":\"syslog\",\"target\":\"tcp://127.0.0.1:$PTCP\"" | head -1)
lost=$(echo "$loss" | sed -n 's/.*"lost":\([0-9]*\).*/\1/p')
[ -n "$lost" ] && [ "$lost" -gt 0 ]; ok $? "a loss event counts the messages the tcp target dropped beyond its 4 KiB buffer (lost ${lost:-none})"
grep -q "syslog tcp://127.0.0.1:$PTCP: .*retrying" "$T/all.log"; ok $? "sovd says the collector is down and that it retries"
start_rsyslog; ok $? "rsyslogd is back"
echo x > "$T/data/marker-$$.csv"
for _ in $(seq 80); do
	act "marker-$$.csv"
	[ "$(grep "marker-$$" "$T/out.log" | awk -F'\t' '{print $NF}' | sort -u | wc -l)" -ge 3 ] && break
done
for input in imuxsock imptcp imtcp; do
	grep "marker-$$" "$T/out.log" | grep -q "$input\$"; ok $? "$input: sovd reconnected, an event after the restart arrives"
done
grep -q "syslog tcp://127.0.0.1:$PTCP: connected" "$T/all.log"; ok $? "sovd says it reconnected"
sovd_stop; ok $? "sovd stops cleanly"
kill "$bad_pid" 2>/dev/null; wait "$bad_pid" 2>/dev/null
"$SOVCTL" journal show --pubkey "$T/k.pub" --type loss "$T/j-all" > "$T/jl" 2>&1
grep -q "sink.*syslog.*tcp://127.0.0.1:$PTCP" "$T/jl"; ok $? "the loss event is in the journal"
[ $? = 0 ] || show "$T/jl"

# 5. Bad input: clear errors, exit 2, nothing started.
"$SOVD" --policy "$T/p.yaml" --syslog "udp://x:1" > /dev/null 2> "$T/e"; rc=$?
[ $rc = 2 ] && grep -q "tcp://HOST:PORT or tls://HOST:PORT" "$T/e"; ok $? "an unknown --syslog form: exit 2 with the forms ($rc)"
"$SOVD" --policy "$T/p.yaml" --syslog "tcp://127.0.0.1:0" > /dev/null 2> "$T/e"; rc=$?
[ $rc = 2 ] && grep -q "port must be" "$T/e"; ok $? "port 0: exit 2 ($rc)"
"$SOVD" --policy "$T/p.yaml" --syslog-ca "$T/ca.pem" > /dev/null 2> "$T/e"; rc=$?
[ $rc = 2 ]; ok $? "--syslog-ca without tls://: exit 2 ($rc)"
"$SOVD" --policy "$T/p.yaml" --syslog local --syslog local --syslog local --syslog local \
	--syslog local > /dev/null 2> "$T/e"; rc=$?
[ $rc = 2 ] && grep -q "at most 4" "$T/e"; ok $? "a fifth --syslog: exit 2 ($rc)"

[ $failed -eq 0 ] || { show "$T/rs.err"; for f in "$T"/*.log; do echo "# $f"; show "$f"; done; }
echo "1..$n"
[ $failed -eq 0 ]
