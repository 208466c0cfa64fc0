# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): `sovctl policy test` (issue 16) judges with the kernel's
# own decision functions (bpf/rules.h) over the compiled image, without a
# kernel. Here the kernel's answers are the oracle: a process tainted by
# pii-eu (and one by the audited class) connects to each destination, and
# test cases expecting exactly what the kernel did must all pass; the same
# cases with one verdict flipped must fail, naming that case.

PT=$SOV_TMP/policytest
mkdir -p "$PT"
PT_DSTS="$EU4 $US4 127.0.0.1:$LO_PORT [fd00:10::2]:$TCP_PORT [fd00:20::2]:$TCP_PORT [::ffff:10.20.0.2]:$TCP_PORT"
# (no address in no zone: an audited connect there would leave the host)
# pt_cases CLASS FILE: one actor reads FILE (tainted by CLASS) and connects
# to every destination; then a child shell turns its output into cases
# expecting what the kernel did. The child, not this shell, reads the
# actor's output: it is a labelled derivative, and data from it through a
# pipe would taint this shell (lib.sh, sovt_val).
pt_cases() {
	local cls=$1 f=$2 d args=""
	for d in $PT_DSTS; do args="$args connect:$d"; done
	# shellcheck disable=SC2086
	act "pt-$cls" "read:$f" $args
	sleep 1	# egress events reach the events file within sovd's 50 ms drain
	# shellcheck disable=SC2016,SC2086
	sh -c '
		out=$1 ev=$2 pid=$3 cls=$4
		shift 4
		for d in "$@"; do
			r=$(awk -v p="connect $d " "index(\$0, p) == 1 { print substr(\$0, length(p) + 1) }" "$out")
			case "$r" in
			EPERM) v=deny ;;
			"") v=missing ;;
			*)	# connected: audit when sovd recorded an audit for it
				dst=$(printf "%s" "${d%:*}" | tr -d "[]" | sed "s/^::ffff://")
				if grep -F "\"type\":\"egress\",\"pid\":$pid," "$ev" | grep -F "\"verdict\":\"audit\"" |
					grep -F "\"dport\":${d##*:}" | grep -qF "\"dst\":\"$dst\""; then
					v=audit
				else
					v=allow
				fi ;;
			esac
			printf "  - {name: \"%s to %s (kernel: %s)\", classes: [%s], dst: \"%s\", expect: %s}\n" \
				"$cls" "$d" "${r:-none}" "$cls" "$d" "$v"
		done' sh "$A_OUT" "$EVENTS" "$A_PID" "$cls" $PT_DSTS >> "$PT/kernel.yaml"
}
echo "tests:" > "$PT/kernel.yaml"
pt_cases pii-eu "$F"
pt_cases audited "$D/aud/model.bin"
if grep -q 'expect: missing' "$PT/kernel.yaml"; then
	fail "policy test: the kernel answered every connect"
	diag_file "$PT/kernel.yaml"
else
	pass "policy test: the kernel answered every connect"
fi
"$SOVCTL" policy test "$POLICY" "$PT/kernel.yaml" > "$PT/kernel.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "12 cases, 12 passed, 0 failed" "$PT/kernel.out"; then
	pass "policy test: its verdicts are the kernel's for 12 connects (2 classes, 6 destinations)"
else
	fail "policy test: its verdicts are the kernel's (exit $rc)"
	diag_file "$PT/kernel.yaml"
	diag_file "$PT/kernel.out"
fi
# One verdict flipped: the case fails, with its line and what decided.
# (awk, not GNU sed's 0,/re/ address: the guests have busybox)
awk '!f && sub(/expect: deny/, "expect: allow") { f = 1 } { print }' "$PT/kernel.yaml" > "$PT/flipped.yaml"
sovt_val "$PT/kernel.yaml" '/expect: deny/{=;q}'
PT_LINE=$SOVT_V
"$SOVCTL" policy test "$POLICY" "$PT/flipped.yaml" > "$PT/flipped.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "^$PT/flipped.yaml:$PT_LINE: .*expected allow, got deny (zone " "$PT/flipped.out" &&
	grep -q "decided by: .*allow of class" "$PT/flipped.out"; then
	pass "policy test: a flipped verdict fails at its line ($PT_LINE) with the policy lines that decided"
else
	fail "policy test: a flipped verdict fails at its line (exit $rc, line ${PT_LINE:-?})"
	diag_file "$PT/flipped.out"
fi
rm -rf "$PT"
