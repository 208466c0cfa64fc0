# shellcheck shell=sh
# Part of tests/scenarios/run.sh (issue 12, self-audit; both kernel paths,
# no bpftool needed): a link pin of the main sovd removed behind its back is
# found by the periodic self-audit (default --audit-interval 5 s) and
# re-pinned: a tamper event naming the pin (repaired: true) within the
# interval, the pin back, `sovctl status` exit 1 (state repaired, the
# finding listed) right after, exit 0 (enforcing) once an interval passed.
# tests/agent/tamper.t does the bpftool tamperings on the host. On the LSM
# path the removal is refused in the kernel (parts/70-selfprot.sh), so the
# part checks that and that status stays enforcing.

SA_PIN=$(ls "$PIN1/links" | head -n 1)
SA_OUT=$SOV_TMP/selfaudit-status.out
if [ -z "$SA_PIN" ]; then
	fail "self-audit: the main sovd has link pins under $PIN1/links"
elif [ "$MODE" = lsm ]; then
	# the LSM path refuses the removal itself (bpf/selfprot.bpf.h,
	# parts/70-selfprot.sh): nothing for the self-audit to find there
	if rm "$PIN1/links/$SA_PIN" 2> /dev/null; then
		fail "self-audit (LSM path): removing the link pin $SA_PIN is refused"
	else
		pass "self-audit (LSM path): removing the link pin $SA_PIN is refused"
	fi
	"$SOVCTL" --socket "$SOV_TMP/sovd.sock" status > "$SA_OUT" 2>&1
	sa_rc=$?
	if [ $sa_rc = 0 ] && grep -q "state: *enforcing" "$SA_OUT"; then
		pass "self-audit (LSM path): status stays enforcing, exit 0"
	else
		fail "self-audit (LSM path): status stays enforcing, exit 0 (exit $sa_rc)"
		diag_file "$SA_OUT"
	fi
elif ! rm "$PIN1/links/$SA_PIN"; then
	fail "self-audit: rm of the link pin $SA_PIN"
else
	sa_i=0
	while ! ev_match tamper "$SOVD_PID" '"what":"pin"' "\"name\":\"$SA_PIN\"" \
			'"change":"removed"' '"repaired":true' > /dev/null; do
		[ $sa_i -ge 70 ] && break
		sleep 0.1
		sa_i=$((sa_i + 1))
	done
	if [ $sa_i -lt 70 ]; then
		pass "self-audit: pin $SA_PIN removed: a tamper event within the interval, repaired"
	else
		fail "self-audit: pin $SA_PIN removed: a tamper event within the interval, repaired"
		diag_file "$SOVD_LOG"
	fi
	if [ -e "$PIN1/links/$SA_PIN" ]; then
		pass "self-audit: the pin $SA_PIN is back"
	else
		fail "self-audit: the pin $SA_PIN is back"
	fi
	"$SOVCTL" --socket "$SOV_TMP/sovd.sock" status > "$SA_OUT" 2>&1
	sa_rc=$?
	if [ $sa_rc = 1 ] && grep -q "state: *repaired" "$SA_OUT" &&
	   grep -q "\"name\":\"$SA_PIN\"" "$SA_OUT"; then
		pass "self-audit: status right after: exit 1, state repaired, the finding listed"
	else
		fail "self-audit: status right after: exit 1, state repaired, the finding listed (exit $sa_rc)"
		diag_file "$SA_OUT"
	fi
	sleep 6
	"$SOVCTL" --socket "$SOV_TMP/sovd.sock" status > "$SA_OUT" 2>&1
	sa_rc=$?
	if [ $sa_rc = 0 ] && grep -q "state: *enforcing" "$SA_OUT"; then
		pass "self-audit: one interval later: enforcing, exit 0"
	else
		fail "self-audit: one interval later: enforcing, exit 0 (exit $sa_rc)"
		diag_file "$SA_OUT"
	fi
fi
