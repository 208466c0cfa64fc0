# shellcheck shell=sh
# Part of tests/scenarios/run.sh (issue 14, both kernel paths): repeated
# allowed flows are aggregated in the kernel, per (process, zone, class
# set); every deny and every audit stays its own event and journal record.
#
# One tainted process makes FL_N allowed connects to the EU peer and FL_K
# refused ones to the US peer: the events file and the journal hold exactly
# FL_K deny records, one allow record for its first flow (no "count"), and
# aggregate allow records whose counts add up to FL_N - 1. Two processes at
# once, one of them to two zones: a key (first-flow record and aggregates)
# per process and zone. A process of an audit class: each would-be deny is
# its own audit record. sovd reports aggregates every second and at once
# for a process that exited.

FL_N=40
FL_K=5

# fl_sum PID ZONE: the sum of "count" over the aggregates of PID in the
# events file, and how many there are (FL_SUM, FL_AGGS)
fl_sum() {
	grep -F "\"type\":\"egress\",\"pid\":$1," "$EVENTS" | grep -F '"verdict":"allow"' |
		grep -F "\"zone\":\"$2\"" | grep -F '"count":' > "$SOV_TMP/fl.agg"
	FL_AGGS=$(wc -l < "$SOV_TMP/fl.agg")
	FL_SUM=$(sed -n 's/.*"count":\([0-9][0-9]*\).*/\1/p' "$SOV_TMP/fl.agg" |
		awk '{ s += $1 } END { print s + 0 }')
}

# fl_wait PID ZONE WANT: up to 5 s for PID's aggregates to ZONE to add up
# to WANT (sovd flushes every second)
fl_wait() {
	local i=0
	while fl_sum "$1" "$2"; [ "$FL_SUM" -lt "$3" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# fl_count PID STRING...: events of PID (egress) holding every string
fl_count() {
	local p=$1 m=$SOV_TMP/fl.m
	shift
	grep -F "\"type\":\"egress\",\"pid\":$p," "$EVENTS" > "$m"
	for s in "$@"; do
		grep -F -- "$s" "$m" > "$m.2"
		mv "$m.2" "$m"
	done
	wc -l < "$m"
}

# fl_expect DESC GOT WANT
fl_expect() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1 (got $2, want $3)"
		act_diag
	fi
}

FL_ALLOW='"verdict":"allow","proto":"tcp","dst":"10.10.0.2","dport":8080,"zone":"eu","violated":[],"hook":"connect"'
FL_DENY='"verdict":"deny","proto":"tcp","dst":"10.20.0.2","dport":8080,"zone":"us"'

# ---- one process: N allowed, K refused
act flows-one "read:$F" "connects:$EU4:$FL_N" "connects:$US4:$FL_K"
FL_ONE=$A_PID
expect_out "flows: $FL_N allowed connects to EU succeed" "connects $EU4 ok ok=$FL_N errors=0"
expect_out "flows: $FL_K connects to US are refused" "connects $US4 EPERM ok=0 errors=$FL_K"
fl_wait "$FL_ONE" eu $((FL_N - 1))
fl_expect "flows: the aggregates of the allowed connects count N-1 = $((FL_N - 1))" \
	"$FL_SUM" $((FL_N - 1))
FL_FIRST=$(grep -F "\"type\":\"egress\",\"pid\":$FL_ONE," "$EVENTS" | grep -F "$FL_ALLOW" |
	grep -vc '"count":')
fl_expect "flows: exactly one allow event without a count (the first flow, with its destination)" "$FL_FIRST" 1
fl_expect "flows: exactly $FL_K deny events, one per refused connect" \
	"$(fl_count "$FL_ONE" "$FL_DENY" | tr -d ' ')" "$FL_K"
if [ "$FL_AGGS" -ge 1 ] && grep -q '"dst":"","dport":0,"zone":"eu","violated":\[\],"hook":"connect","count":[0-9]*,"first":"[-0-9T:.]*Z","last":"[-0-9T:.]*Z"' "$SOV_TMP/fl.agg"; then
	pass "flows: an aggregate names zone, hook, count and its window (first, last)"
else
	fail "flows: an aggregate names zone, hook, count and its window (first, last)"
	diag_file "$SOV_TMP/fl.agg"
fi

# ---- two processes at once, the second to two zones: a key each
act_bg flows-a "read:$F" "connects:$EU4:$FL_N" sleep:1500
FL_A=$BG_PID
act flows-b "read:$F" "connects:$EU4:$FL_N" "connects:127.0.0.1:$LO_PORT:$FL_N"
FL_B=$A_PID
expect_out "flows, two zones: the second process's connects to loopback succeed" \
	"connects 127.0.0.1:$LO_PORT ok ok=$FL_N errors=0"
wait "$FL_A"
for fl_k in "$FL_A eu" "$FL_B eu" "$FL_B local"; do
	# shellcheck disable=SC2086 # "pid zone"
	set -- $fl_k
	fl_wait "$1" "$2" $((FL_N - 1))
	fl_expect "flows, separate keys: pid $1, zone $2: aggregates count N-1" "$FL_SUM" $((FL_N - 1))
	FL_FIRST=$(grep -F "\"type\":\"egress\",\"pid\":$1," "$EVENTS" | grep -F '"verdict":"allow"' |
		grep -F "\"zone\":\"$2\"" | grep -vc '"count":')
	fl_expect "flows, separate keys: pid $1, zone $2: one first-flow event" "$FL_FIRST" 1
done

# ---- an audit class: each would-be deny is its own audit event
act flows-audit "read:$D/aud/model.bin" "connects:$US4:$FL_K"
expect_out "flows, audit class: connects to US are allowed (audit)" \
	"connects $US4 ok ok=$FL_K errors=0"
sleep 1.5
fl_expect "flows, audit class: $FL_K audit events, none aggregated" \
	"$(fl_count "$A_PID" '"verdict":"audit"' '"zone":"us"' | tr -d ' ')" "$FL_K"
fl_expect "flows, audit class: no aggregate" "$(fl_count "$A_PID" '"count":' | tr -d ' ')" 0

# ---- the journal: the same records, each deny its own
fl_i=0
while :; do
	"$SOVCTL" journal show -o json --pubkey "$SOV_TMP/jkey.pub" "$SOV_TMP/journal" > "$SOV_TMP/fl.journal" 2>&1
	fl_aggsum=$(grep -F "\"type\":\"egress\"" "$SOV_TMP/fl.journal" | grep -F "\"pid\":$FL_ONE," |
		grep -F '"verdict":"allow"' | sed -n 's/.*"count\\\{0,1\}":\([0-9][0-9]*\).*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$fl_aggsum" -ge $((FL_N - 1)) ] || [ $fl_i -ge 30 ] || { fl_i=$((fl_i + 1)); sleep 0.2; continue; }
	break
done
fl_expect "flows, journal: the aggregate records of the allowed connects count N-1" \
	"$fl_aggsum" $((FL_N - 1))
fl_expect "flows, journal: one first-flow allow record (no detail)" \
	"$(grep -F "\"type\":\"egress\"" "$SOV_TMP/fl.journal" | grep -F "\"pid\":$FL_ONE," |
		grep -F '"verdict":"allow"' | grep -F '"dst":"10.10.0.2"' | grep -vc '"detail"')" 1
fl_expect "flows, journal: $FL_K deny records, one per refused connect" \
	"$(grep -F "\"type\":\"egress\"" "$SOV_TMP/fl.journal" | grep -F "\"pid\":$FL_ONE," |
		grep -cF '"verdict":"deny"')" "$FL_K"

# ---- status: the aggregated flows are counted
"$SOVCTL" --socket "$SOV_TMP/sovd.sock" status -o json > "$SOV_TMP/fl.status" 2>&1
fl_agg=$(sed -n 's/.*"egress_aggregated":\([0-9][0-9]*\).*/\1/p' "$SOV_TMP/fl.status")
if [ "${fl_agg:-0}" -ge $((4 * (FL_N - 1))) ]; then
	pass "flows: sovctl status counts the aggregated flows ($fl_agg)"
else
	fail "flows: sovctl status counts the aggregated flows (${fl_agg:-none})"
	diag_file "$SOV_TMP/fl.status"
fi
