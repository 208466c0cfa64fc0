# shellcheck shell=sh
# Part of tests/scenarios/run.sh (issue 16, `sovctl watch` filters; both
# kernel paths): with the main sovd enforcing the test policy, watchers
# with server-side filters run while three tainted processes act: one of
# class pii-eu (allowed to the EU, refused the US), one of class audited
# (audited to the US), one of pii-eu inside cgroups shaped like a
# Kubernetes pod (systemd driver: pod uid with '_', a containerd scope).
# Each watcher gets its process's events and none of the others', which
# the events file shows were produced. Then --since replays the ring
# (--no-follow prints and exits; with follow the replay comes before the
# live events) in each output format. sovctl's own checks (bad values,
# the request line, the formats) are in tests/sovctl/cli.t.
#
# Watchers read sovd's socket, not a tainted process's output: their files
# can be grepped from this shell.

WA=$SOV_TMP/watch
mkdir -p "$WA"
WS=$SOV_TMP/sovd.sock
WPOD_UID=0f2a6c1e-3b7d-4e8f-9a0b-1c2d3e4f5a6b
WPOD_CID=4b825dc642cb6eb9a060e54bf8d69288fbee4904a1b2c3d4e5f60718293a4b5c
WPOD_TOP=sovt-$$-kubepods.slice
WPOD_SLICE=$WPOD_TOP/kubepods-besteffort-pod$(echo "$WPOD_UID" | tr - _).slice
WPOD_CG=$WPOD_SLICE/cri-containerd-$WPOD_CID.scope
WPIDS=

# watch_n: the watchers sovd holds now (its status)
watch_n() {
	"$SOVCTL" --socket "$WS" status -o json 2> /dev/null |
		sed -n 's/.*"watchers":\([0-9]*\),.*/\1/p'
}
# watch_bg NAME ARGS...: a watcher in the background, its lines in $WA/NAME
watch_bg() {
	local name=$1
	shift
	"$SOVCTL" --socket "$WS" watch "$@" > "$WA/$name" 2> "$WA/$name.err" &
	WPIDS="$WPIDS $!"
	SOVT_BG="$SOVT_BG $!"
}
# watch_wait N: until sovd holds N watchers (5 s)
watch_wait() {
	local i=0
	while [ "$(watch_n)" != "$1" ]; do
		[ $i -ge 50 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}
# only FILE DESC STRING: every line of FILE holds STRING (and there is one)
only() {
	if [ -s "$1" ] && ! grep -Fv -- "$3" "$1" > "$1.other"; then
		pass "$2"
	else
		fail "$2"
		diag "expected only lines with $3 in $1:"
		diag_file "$1"
	fi
}
# has FILE DESC STRING...: a line of FILE holds every STRING
has() {
	local f=$1 d=$2 m=$WA/.has
	shift 2
	cp "$f" "$m"
	for s in "$@"; do
		grep -F -- "$s" "$m" > "$m.2"
		mv "$m.2" "$m"
	done
	if [ -s "$m" ]; then
		pass "$d"
	else
		fail "$d"
		diag "expected a line of $f with: $*; it holds:"
		diag_file "$f"
	fi
}
# lacks FILE DESC STRING: no line of FILE holds STRING
lacks() {
	if grep -Fq -- "$3" "$1"; then
		fail "$2"
		diag "unexpected lines with $3 in $1:"
		grep -F -- "$3" "$1" | sed 's/^/#   /'
	else
		pass "$2"
	fi
}

w_made=
if mkdir -p "$CG2/$WPOD_CG"; then
	SOVT_CGROUPS="$CG2/$WPOD_CG $CG2/$WPOD_SLICE $CG2/$WPOD_TOP $SOVT_CGROUPS"
	w_made=1
else
	fail "watch: create the pod-shaped cgroups $CG2/$WPOD_CG"
fi
w_cgid=$(stat -c %i "$CG2/$WPOD_SLICE" 2> /dev/null)
w_base=$(watch_n)

watch_bg us-deny -o ndjson --dst 10.20.0.0/16 --verdict deny
watch_bg audited -o ndjson --class audited
watch_bg pod -o ndjson --pod "$WPOD_UID"
watch_bg pod-taint -o ndjson --cgroup "${w_cgid:-1}" --type taint
watch_bg pod-cid -o ndjson --pod "$(echo "$WPOD_CID" | cut -c1-12)" --verdict deny
if watch_wait $((w_base + 5)); then
	pass "watch: sovd holds the five filtered watchers"
else
	fail "watch: sovd holds the five filtered watchers (has $(watch_n), had $w_base)"
	for f in "$WA"/*.err; do diag_file "$f"; done
fi

act watch-eu "read:$F" connect:$EU4 connect:$US4
W_EU=$A_PID
expect_out "watch: the pii-eu process is refused US" "connect $US4 EPERM"
act watch-aud "read:$D/aud/model.bin" connect:$US4
W_AUD=$A_PID
expect_out "watch: the audited process is allowed US" "connect $US4 ok"
if [ -n "$w_made" ]; then
	ACT_WRAP="in_cgroup $CG2/$WPOD_CG"
	act watch-pod "read:$F" connect:$US4
	ACT_WRAP=
	W_POD=$A_PID
	expect_out "watch: the process in the pod is refused US" "connect $US4 EPERM"
	expect_ev "watch: its deny event names the pod's cgroup" egress "$W_POD" \
		'"verdict":"deny"' "\"cgroup\":\"/$WPOD_CG\""
else
	W_POD=none
fi
# every event of the three is in the events file (and so was written to
# the watchers, which come after the file in the sink order)
barrier
sleep 0.3

# the others' events were produced: the negative checks below mean something
A_PID=$W_EU
expect_ev "watch: the pii-eu process's allow event (EU) was produced" egress "$W_EU" '"verdict":"allow"'
expect_ev "watch: and its deny event (US)" egress "$W_EU" '"verdict":"deny"' '"dst":"10.20.0.2"'
A_PID=$W_AUD
expect_ev "watch: the audited process's audit event was produced" egress "$W_AUD" '"verdict":"audit"'

has "$WA/us-deny" "watch --dst 10.20.0.0/16 --verdict deny: the pii-eu process's deny" \
	"\"type\":\"egress\",\"pid\":$W_EU," '"verdict":"deny"' '"dst":"10.20.0.2"'
only "$WA/us-deny" "watch --dst --verdict: only denies" '"verdict":"deny"'
only "$WA/us-deny" "watch --dst --verdict: only to 10.20.0.0/16" '"dst":"10.20.'
lacks "$WA/us-deny" "watch --dst --verdict: not the audited process's audit event" "\"pid\":$W_AUD,"
lacks "$WA/us-deny" "watch --dst --verdict: not the allow to the EU" '"zone":"eu"'

has "$WA/audited" "watch --class audited: the audited process's taint" \
	"\"type\":\"taint\",\"pid\":$W_AUD," '"classes":["audited"]'
has "$WA/audited" "watch --class audited: and its audit event" \
	"\"type\":\"egress\",\"pid\":$W_AUD," '"verdict":"audit"'
lacks "$WA/audited" "watch --class audited: nothing of the pii-eu process" "\"pid\":$W_EU,"
lacks "$WA/audited" "watch --class audited: nothing of the pod" "\"pid\":$W_POD,"

has "$WA/pod" "watch --pod UID: the pod's taint" "\"type\":\"taint\",\"pid\":$W_POD,"
has "$WA/pod" "watch --pod UID: the pod's deny" "\"type\":\"egress\",\"pid\":$W_POD," '"verdict":"deny"'
only "$WA/pod" "watch --pod UID: only the pod's events" "\"cgroup\":\"/$WPOD_CG\""
has "$WA/pod-taint" "watch --cgroup ID --type taint: the taint in the pod slice's subtree" \
	"\"type\":\"taint\",\"pid\":$W_POD,"
only "$WA/pod-taint" "watch --cgroup ID --type taint: only taints" '"type":"taint"'
only "$WA/pod-taint" "watch --cgroup ID: only below that cgroup" "\"cgroup\":\"/$WPOD_SLICE/"
has "$WA/pod-cid" "watch --pod CONTAINER-ID-PREFIX --verdict deny: the pod's deny" \
	"\"type\":\"egress\",\"pid\":$W_POD," '"verdict":"deny"'
lacks "$WA/pod-cid" "watch --pod CONTAINER-ID-PREFIX --verdict deny: not its taint" '"type":"taint"'

for p in $WPIDS; do
	kill "$p" 2> /dev/null
	wait "$p" 2> /dev/null
done
WPIDS=

# ---- --since: the ring of recent events
"$SOVCTL" --socket "$WS" watch --since 2 --no-follow --pid "$W_EU" -o ndjson \
	> "$WA/since2" 2> "$WA/since2.err"
w_rc=$?
w_n=$(grep -c . "$WA/since2")
if [ $w_rc = 0 ] && [ "$w_n" = 2 ] && tail -n 1 "$WA/since2" | grep -Fq '"verdict":"deny","proto":"tcp","dst":"10.20.0.2"' &&
	head -n 1 "$WA/since2" | grep -Fq '"verdict":"allow","proto":"tcp","dst":"10.10.0.2"'; then
	pass "watch --since 2 --no-follow --pid: the process's last two events, oldest first, exit 0"
else
	fail "watch --since 2 --no-follow --pid: the process's last two events, oldest first, exit 0 (exit $w_rc, $w_n lines)"
	diag_file "$WA/since2"
	diag_file "$WA/since2.err"
fi
"$SOVCTL" --socket "$WS" watch --since 1 --no-follow --pid "$W_EU" -o compact > "$WA/compact" 2>&1
if grep -q "egress $COMM\[$W_EU\] classes=\[\"pii-eu\"\] deny tcp 10\.20\.0\.2:8080 zone=us$" "$WA/compact" &&
	[ "$(grep -c . "$WA/compact")" = 1 ]; then
	pass "watch -o compact: one readable line for the deny"
else
	fail "watch -o compact: one readable line for the deny"
	diag_file "$WA/compact"
fi
"$SOVCTL" --socket "$WS" watch --since 1 --no-follow --pid "$W_EU" -o json > "$WA/json" 2>&1
if command -v python3 > /dev/null 2>&1; then
	if python3 -c 'import json, sys; o = json.load(open(sys.argv[1])); assert o["verdict"] == "deny" and o["dst"] == "10.20.0.2", o' \
		"$WA/json" 2> "$WA/json.py"; then
		pass "watch -o json: python3's json.load reads the deny back"
	else
		fail "watch -o json: python3's json.load reads the deny back"
		diag_file "$WA/json"
		diag_file "$WA/json.py"
	fi
else
	skip "watch -o json: python3's json.load reads the deny back" "no python3 here (a VM guest's busybox)"
fi

# with follow: the replay first, then what happens after
watch_bg follow -o ndjson --since 1 --type egress --verdict audit
watch_wait $((w_base + 1)) || diag "the --since watcher did not register"
act watch-late "read:$D/aud/model.bin" "connect:$US4"
W_LATE=$A_PID
watch_bg late -o ndjson --since 1 --type taint --pid "$W_LATE"
watch_wait $((w_base + 2)) || diag "the second --since watcher did not register"
act watch-late2 "read:$D/aud/model.bin" "connect:$US4"
barrier
sleep 0.3
for p in $WPIDS; do
	kill "$p" 2> /dev/null
	wait "$p" 2> /dev/null
done
WPIDS=
if head -n 1 "$WA/follow" | grep -Fq "\"type\":\"egress\",\"pid\":$W_AUD," &&
	sed -n 2p "$WA/follow" | grep -Fq "\"type\":\"egress\",\"pid\":$W_LATE," &&
	sed -n 3p "$WA/follow" | grep -Fq '"verdict":"audit"' &&
	[ "$(grep -c . "$WA/follow")" = 3 ]; then
	pass "watch --since 1 (follow): the last audit replayed, then the two live ones"
else
	fail "watch --since 1 (follow): the last audit replayed, then the two live ones"
	diag_file "$WA/follow"
fi
# the filter holds for the replay and after it
if [ "$(grep -c "\"type\":\"taint\",\"pid\":$W_LATE," "$WA/late")" = 1 ] && [ "$(grep -c . "$WA/late")" = 1 ]; then
	pass "watch --since 1 --type taint --pid P: P's taint replayed, nothing of the next process"
else
	fail "watch --since 1 --type taint --pid P: P's taint replayed, nothing of the next process"
	diag_file "$WA/late"
fi
