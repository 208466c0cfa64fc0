#!/bin/bash
# sovd's sockets and its event stream under load: the API socket takes a
# burst of 50 simultaneous non-blocking connects; 50 idle connections to the
# API and 50 to the metrics port cost the ring-buffer drain nothing (no
# loss during a burst of events, status answers promptly); live events
# carry host, uid, exe and the journal seq, and the journal record at that
# seq is the same event; a process that has exited keeps its exe in both.
# Needs root + BPF.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=$B/sovd SOVCTL=$B/sovctl SOVTEST=$B/tests/sovtest CLIENTS=$B/tests/agent/clients
T=$(mktemp -d /tmp/sovd-sockets.XXXXXX)
PIN=/sys/fs/bpf/sovd-sockets-$$
n=0 failed=0
bg=()
cleanup() {
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${sovd_pid:-}" ] && kill -9 "$sovd_pid" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
diag() { sed 's/^/#   /' "$@"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - needs root and BPF (CI runs as root)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/data"
echo secret > "$T/data/a.csv"
# Loopback is outside the only allowed zone: every send of a tainted
# process is a denied egress event.
cat > "$T/p.yaml" <<Y
version: 1
zones:
  eu: {cidrs: [10.10.0.0/16]}
classes:
  c1: {paths: [$T/data], allow: [eu]}
Y
"$SOVCTL" keygen --out "$T/k" > /dev/null
# A 1 MiB ring buffer holds ~2700 events: a drain stalled for a second by a
# socket client would lose part of the burst below. The metrics port is
# below the ephemeral range (32768-); another one if it is taken.
for _ in 1 2 3 4 5; do
	mport=$((20000 + RANDOM % 12000))
	rm -rf "$T/j" "$T/ev"
	"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events "$T/ev" \
		--journal "$T/j" --key "$T/k.key" --metrics 127.0.0.1:$mport \
		--ringbuf-size 1048576 --kernel-path tracing 2> "$T/log" &
	sovd_pid=$!
	for _ in $(seq 100); do
		grep -q '"action":"start"' "$T/ev" 2>/dev/null && break
		kill -0 "$sovd_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$sovd_pid" 2>/dev/null && break
	wait "$sovd_pid"; sovd_pid=
	grep -q "Address already in use" "$T/log" || break
done
grep -q '"action":"start"' "$T/ev"; ok $? "sovd starts"

"$CLIENTS" burst "unix:$T/s" 50 > "$T/burst" 2>&1
r=$?
grep -qx "connected=50 eagain=0 other=0" "$T/burst" && [ $r = 0 ]
r=$?; ok $r "50 simultaneous non-blocking connects to the API socket all succeed"
[ $r = 0 ] || { echo "# expected: connected=50 eagain=0 other=0, got:"; diag "$T/burst"; }

# The holders stay open until the test kills them.
"$CLIENTS" hold "unix:$T/s" 50 0 > "$T/hold-api" 2>&1 &
bg+=($!)
"$CLIENTS" hold "tcp:127.0.0.1:$mport" 50 0 > "$T/hold-metrics" 2>&1 &
bg+=($!)
# And clients that ask but never read: watchers, scrapers.
"$CLIENTS" hold "unix:$T/s" 10 0 'watch
' > "$T/hold-watch" 2>&1 &
bg+=($!)
"$CLIENTS" hold "tcp:127.0.0.1:$mport" 10 0 $'GET /metrics HTTP/1.0\r\n\r\n' > "$T/hold-scrape" 2>&1 &
bg+=($!)
held() {
	grep -q "^holding 50" "$T/hold-api" && grep -q "^holding 50" "$T/hold-metrics" &&
		grep -q "^holding 10" "$T/hold-watch" && grep -q "^holding 10" "$T/hold-scrape"
}
for _ in $(seq 50); do held && break; sleep 0.1; done
held
r=$?; ok $r "50 idle connections held to the API and 50 to the metrics port, 10 more to each that ask and never read"
[ $r = 0 ] || { diag "$T/hold-api"; diag "$T/hold-metrics"; diag "$T/hold-watch"; diag "$T/hold-scrape"; }
# connect() succeeds from the backlog even if sovd never accepts: sovd's
# own counts say whether it holds them (the status request is one more).
pools() { # pools FILE: "api=N metrics=M watchers=W idle_dropped=D"
	printf 'api=%s metrics=%s watchers=%s idle_dropped=%s\n' \
		"$(grep -o '"api":{"open":[0-9]*' "$1" | grep -o '[0-9]*$')" \
		"$(grep -o '"metrics":{"open":[0-9]*' "$1" | grep -o '[0-9]*$')" \
		"$(grep -o '"watchers":[0-9]*' "$1" | grep -o '[0-9]*$')" \
		"$(grep -o '"dropped_idle":[0-9]*' "$1" | grep -o '[0-9]*$' | awk '{s += $1} END {print s + 0}')"
}
want_pools="api=51 metrics=50 watchers=10 idle_dropped=0"
"$CLIENTS" request "unix:$T/s" status > "$T/status0" 2> /dev/null
got=$(pools "$T/status0")
[ "$got" = "$want_pools" ]; ok $? "sovd holds them: $want_pools before the burst (got $got)"

# The burst: 10 rounds of 400 denied datagrams (4000 events, 1.5 MB of
# ring buffer), then the process exits at once: its last events are read
# after it has gone.
flood=
for _ in 1 2 3 4 5 6 7 8 9; do flood="$flood udp-flood:127.0.0.1:9:400 sleep:40"; done
# shellcheck disable=SC2086
"$SOVTEST" pid "read:$T/data/a.csv" sleep:200 $flood udp-flood:127.0.0.1:9:400 > "$T/flood" 2>&1 &
flood_pid=$!
sleep 0.4
"$CLIENTS" request "unix:$T/s" status > "$T/status" 2> "$T/status.err"
ms=$(sed -n 's/^elapsed_ms=//p' "$T/status.err")
[ -n "$ms" ] && [ "$ms" -lt 3000 ]
r=$?; ok $r "status answers promptly during the burst with 120 idle clients (${ms:-?} ms, want < 3000)"
[ $r = 0 ] || diag "$T/status.err"
# (Watchers that read nothing are dropped once their socket buffer fills.)
got=$(pools "$T/status" | sed 's/ watchers=[0-9]*//')
want_pools=${want_pools/ watchers=10/}
[ "$got" = "$want_pools" ]; ok $? "sovd still holds the idle ones during the burst: $want_pools (got $got)"
wait "$flood_pid"
fpid=$(sed -n 's/^pid \([0-9]*\)$/\1/p' "$T/flood")
sleep 0.5
"$CLIENTS" request "unix:$T/s" status > "$T/status" 2> /dev/null
grep -q '"lost":0,' "$T/status"
r=$?; ok $r "the kernel lost no events during the burst (status counters lost = 0)"
[ $r = 0 ] || { echo "# expected \"lost\":0 in:"; diag "$T/status"; }
! grep -q '"type":"loss"' "$T/ev"
r=$?; ok $r "no loss event"
[ $r = 0 ] || grep '"type":"loss"' "$T/ev" | diag
got=$(grep -c "\"type\":\"egress\",\"pid\":$fpid," "$T/ev")
[ "$got" -ge 4000 ]
ok $? "every datagram of the burst is an egress event (want 4000, got $got)"
kill "${bg[@]}" 2>/dev/null
wait "${bg[@]}" 2>/dev/null
bg=()

grep "\"type\":\"egress\",\"pid\":$fpid," "$T/ev" > "$T/fev"
noexe=$(grep -vc '"exe":"[^"]*sovtest"' "$T/fev")
[ "$noexe" = 0 ]; ok $? "every live egress event of the burst names its exe, also after the process exited ($noexe without)"
host=$(hostname)
nohost=$(grep -vc "\"uid\":0,.*\"host\":\"$host\",\"seq\":[0-9]*}$" "$T/fev")
[ "$nohost" = 0 ]; ok $? "every live event carries uid, host and seq ($nohost without)"
[ "$nohost" = 0 ] || head -n 2 "$T/fev" | diag
grep '"type":"agent"' "$T/ev" | head -n 1 > "$T/start"
grep -q '"action":"start","kernel_path":"tracing","version":"[^"]\+"' "$T/start"
r=$?; ok $r "the agent start event names the kernel path and the version"
[ $r = 0 ] || diag "$T/start"
seq=$(sed -n 's/.*"seq":\([0-9]*\)}$/\1/p' "$T/fev" | tail -n 1)

kill -TERM "$sovd_pid"; wait "$sovd_pid"; rc=$?
sovd_pid=
[ $rc = 0 ]; ok $? "SIGTERM: exit 0"
"$SOVCTL" journal show "$T/j" --pubkey "$T/k.pub" -o json > "$T/jshow" 2> "$T/jshow.err"
ok $? "the journal reads back"
grep "\"pid\":$fpid," "$T/jshow" | grep '"type":"egress"' > "$T/jev"
jn=$(wc -l < "$T/jev")
jnoexe=$(grep -vc '"exe":"[^"]*sovtest"' "$T/jev")
[ "$jn" -ge 4000 ] && [ "$jnoexe" = 0 ]
r=$?; ok $r "every journal egress record of the burst names its exe ($jn records, $jnoexe without)"
[ $r = 0 ] || head -n 2 "$T/jev" | diag
grep -q "\"seq\":$seq,.*\"pid\":$fpid,.*\"type\":\"egress\"\|\"seq\":$seq,.*\"type\":\"egress\".*\"pid\":$fpid," "$T/jshow"
r=$?; ok $r "the live event's seq ($seq) is the journal record of the same event"
[ $r = 0 ] || { grep "\"seq\":$seq," "$T/jshow" | diag; }
grep '"type":"agent"' "$T/jshow" | head -n 1 > "$T/jstart"
grep -q 'version' "$T/jstart"
r=$?; ok $r "the journal's agent start record carries the version"
[ $r = 0 ] || diag "$T/jstart"

echo "1..$n"
[ $failed -eq 0 ]
