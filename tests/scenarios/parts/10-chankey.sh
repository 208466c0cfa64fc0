# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced; the main sovd enforces $POLICY).
# Issue 10: the per-class `channels:` policy key (docs/policy.md).
#
# A policy where pii-eu allows the ping channel but not raw is applied with
# sovctl policy apply: a tainted process keeps its ping sockets and their
# echoes reach the US peer (oracle: the peer's ICMP InEchos counter and the
# echo reply), a raw socket is still refused. A bad channels: policy is
# refused whole, with its position, and the one in force stays. The test
# policy is put back at the end, whatever failed before.

CK=$SOV_TMP/chankey
mkdir -p "$CK"
CK_USIP=10.20.0.2
CK_SOCK='"dst":"","dport":0,"zone":"unknown"'

# ck_policy OUT CHANNELS: the test policy with "channels: CHANNELS" in
# pii-eu (its only block class); prints the line the key is on.
ck_policy() {
	awk -v ch="$2" '{ print } /^    action: block$/ && !done { print "    channels: " ch; done = 1 }' \
		"$POLICY" > "$1"
	grep -n '^    channels: ' "$1" | cut -d: -f1
}

# ck_apply NAME FILE: sovctl policy apply, output in $CK/NAME.out; its status.
ck_apply() {
	"$SOVCTL" --socket "$SOV_TMP/sovd.sock" policy apply "$2" > "$CK/$1.out" 2>&1
}

ck_policy "$CK/ping.yaml" "{ping: allow, raw: deny}" > /dev/null
if ck_apply ping "$CK/ping.yaml" && grep -q "generation=" "$CK/ping.out"; then
	pass "channels key: a policy where pii-eu allows ping but not raw is applied"
else
	fail "channels key: a policy where pii-eu allows ping but not raw is applied"
	diag_file "$CK/ping.out"
fi

# ck_echos_grew DESC: the US peer's InEchos grew since n0 was read
ck_echos_grew() {
	n1=$(icmp_in_echos "$NS_US")
	if [ -n "$n0" ] && [ -n "$n1" ] && [ "$n1" -gt "$n0" ]; then
		pass "$1"
	else
		fail "$1"
		diag "the US peer's InEchos before ${n0:-?}, after ${n1:-?}: expected more"
		act_diag
	fi
}

# A tainted process: raw refused, ping kept, and its echoes reach the US.
n0=$(icmp_in_echos "$NS_US")
act ck-tainted "read:$F" sock:raw4 sock:ping4 "echo:$CK_USIP/ck-ping-$$" \
	sock:ping6 "echo:fd00:20::2/ck-ping6-$$"
expect_out "channels key: a tainted process is still refused a raw socket (EPERM)" "sock raw4 EPERM"
expect_ev "channels key: deny event for the raw socket (pii-eu violated)" egress "$A_PID" \
	"\"verdict\":\"deny\",\"proto\":\"raw\",$CK_SOCK,\"violated\":[\"pii-eu\"],\"hook\":\"socket\""
expect_out "channels key: ping allowed for pii-eu: the tainted process opens a ping socket" \
	"sock ping4 ok"
expect_out "channels key: its echo request to the US is answered" "echo $CK_USIP ok"
ck_echos_grew "channels key: the US peer counted the tainted process's echo request (InEchos)"
expect_out "channels key: an ICMPv6 ping socket is kept too" "sock ping6 ok"
expect_out "channels key: its echo to the US is answered" "echo fd00:20::2 ok"
expect_ev "channels key: the allowed ping socket is recorded with verdict allow" egress "$A_PID" \
	"\"verdict\":\"allow\",\"proto\":\"icmp\",$CK_SOCK,\"violated\":[],\"hook\":\"socket\""
expect_no_ev "channels key: no deny event for the ping sockets" egress "$A_PID" \
	'"verdict":"deny","proto":"icmp'

# A ping socket held since before the taint: kept as well (the send hook
# of either path judges it with the same rule).
n0=$(icmp_in_echos "$NS_US")
act ck-pre sock:ping4 "read:$F" "echo:$CK_USIP/ck-pre-$$"
expect_out "channels key: a ping socket held before the taint still sends after it" \
	"echo $CK_USIP ok"
ck_echos_grew "channels key: the US peer counted that echo request"

# Every class in the taint must allow the channel: audited does not allow
# ping, so a process tainted by both gets an audit (audited is audit-only).
act ck-both "read:$F" "read:$D/aud/model.bin" sock:ping4
expect_out "channels key: pii-eu + audited: the ping socket is kept (audited only audits)" \
	"sock ping4 ok"
expect_ev "channels key: and recorded as an audit naming only audited" egress "$A_PID" \
	"\"verdict\":\"audit\",\"proto\":\"icmp\",$CK_SOCK,\"violated\":[\"audited\"]"

# A bad channels: value is refused whole: the policy in force stays (ping
# kept, raw refused), although the bad one would have changed both.
ck_policy "$CK/bad.yaml" "{ping: deny, raw: allow, other: maybe}" > /dev/null
if ck_apply bad "$CK/bad.yaml"; then
	fail "channels key: apply refuses a policy with channels: {other: maybe}"
	diag_file "$CK/bad.out"
else
	expect_file_has "channels key: apply refuses a policy with channels: {other: maybe}, with its position" \
		"$CK/bad.out" "bad.yaml:"
fi
act ck-after-bad "read:$F" sock:raw4 sock:ping4
expect_out "channels key: after the refused policy, raw is still refused" "sock raw4 EPERM"
expect_out "channels key: and ping still allowed (nothing of it was applied)" "sock ping4 ok"

# sovctl policy check: an unknown channel and a value other than allow or
# deny are errors with FILE:LINE:COLUMN and a non-zero exit.
for c in "bogus: allow:16:unknown channel 'bogus'" "raw: maybe:21:channel 'raw' must be 'allow' or 'deny', not 'maybe'"; do
	kv=${c%%:[0-9]*}
	rest=${c#"$kv":}
	col=${rest%%:*}
	msg=${rest#*:}
	line=$(ck_policy "$CK/check.yaml" "{$kv}")
	"$SOVCTL" policy check "$CK/check.yaml" > "$CK/check.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		pass "channels key: policy check {$kv} exits non-zero ($rc)"
	else
		fail "channels key: policy check {$kv} exits non-zero"
		diag_file "$CK/check.out"
	fi
	expect_file_has "channels key: policy check {$kv} prints file:line:column and the error" \
		"$CK/check.out" "$CK/check.yaml:$line:$col: error: $msg"
done

# Put the test policy back, whatever failed above, and check it holds.
if ck_apply back "$POLICY" && grep -q "generation=" "$CK/back.out"; then
	pass "channels key: the test policy is applied again"
else
	fail "channels key: the test policy is applied again"
	diag_file "$CK/back.out"
fi
act ck-back "read:$F" sock:ping4
expect_out "channels key: back under the test policy, a tainted process is refused ping again" \
	"sock ping4 EPERM"
