# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): a labelled file's fd that arrives without an open taints
# the receiver (issue 11). An untainted process receives the fd of the pii
# file over SCM_RIGHTS (recvmsg, recvmmsg) or takes it with pidfd_getfd(), reads it
# and connects to the US: refused (LSM path: lsm/file_receive; tracing
# path: the recvmsg and pidfd_getfd exits), and its bytes never reach the
# US peer. The false-positive side: the fd of an unlabelled file passed the
# same ways leaves the receiver untainted (US allowed, its bytes arrive).

FDP_US=$SOV_TMP/srv/us-tcp.out
FDP_PLAIN=$D/plain/readme.txt

# fdp_wait_fd NAME: up to 5 s for "fd N" in NAME's output; N in SOVT_V
fdp_wait_fd() {
	wait_line "$SOV_TMP/act/$1.out" '^fd [0-9]'
	sovt_val "$SOV_TMP/act/$1.out" 's/^fd \([0-9][0-9]*\)$/\1/p'
}

# ---- SCM_RIGHTS: labelled and unlabelled through recvmsg(), labelled
# through recvmmsg() (kind pii-mm)
for kind in pii plain pii-mm; do
	FDP_RECV=recv-fd
	case $kind in
	pii) FDP_FILE=$F ;;
	plain) FDP_FILE=$FDP_PLAIN ;;
	*) FDP_FILE=$F FDP_RECV=recv-fd-mm ;;
	esac
	FDP_SOCK=$SOV_TMP/fdp-$kind-$$.sock
	FDP_TEXT=fdp-scm-$kind-$$
	act_bg fdp-passer-$kind "open-keep:$FDP_FILE" "pass-fd:$FDP_SOCK"
	FDP_PASSER=$BG_PID
	act fdp-recv-$kind "$FDP_RECV:$FDP_SOCK" read-fd connect:$US4 "write-sock:$FDP_TEXT"
	wait "$FDP_PASSER"
	expect_out "fd passing, SCM_RIGHTS, $kind: the receiver gets the file's fd" \
		"recv-fd $FDP_SOCK ok"
	if ! grep -q '^read-fd [0-9][0-9]* ok$' "$A_OUT"; then
		fail "fd passing, SCM_RIGHTS, $kind: the receiver reads the received fd"
		act_diag
	else
		pass "fd passing, SCM_RIGHTS, $kind: the receiver reads the received fd"
	fi
	if [ $kind != plain ]; then
		expect_ev "fd passing, SCM_RIGHTS, $kind: a taint event names the receiver, class pii-eu" \
			taint "$A_PID" '"classes":["pii-eu"]'
		expect_out "fd passing, SCM_RIGHTS, $kind: the receiver's connect to the US is refused" \
			"connect $US4 EPERM"
		sleep 0.3
		expect_file_lacks "fd passing, SCM_RIGHTS, $kind: the US peer never receives the receiver's bytes" \
			"$FDP_US" "$FDP_TEXT"
	else
		expect_out "fd passing, SCM_RIGHTS, unlabelled: the receiver's connect to the US is allowed" \
			"connect $US4 ok"
		sleep 0.3
		expect_file_has "fd passing, SCM_RIGHTS, unlabelled: the receiver's bytes reach the US" \
			"$FDP_US" "$FDP_TEXT"
		expect_no_ev "fd passing, SCM_RIGHTS, unlabelled: no taint event for the receiver" \
			taint "$A_PID"
	fi
	A_OUT=$SOV_TMP/act/fdp-passer-$kind.out
	expect_out "fd passing, SCM_RIGHTS, $kind: the sender passed the file's fd" \
		"pass-fd $FDP_SOCK ok"
done

# ---- pidfd_getfd, labelled and unlabelled
for kind in pii plain; do
	if [ $kind = pii ]; then FDP_FILE=$F; else FDP_FILE=$FDP_PLAIN; fi
	FDP_DONE=$SOV_TMP/fdp-got-$kind-$$
	FDP_TEXT=fdp-getfd-$kind-$$
	rm -f "$FDP_DONE"
	act_bg fdp-holder-$kind "open-keep:$FDP_FILE" show-fd "wait-file:$FDP_DONE"
	FDP_HOLDER=$BG_PID
	fdp_wait_fd fdp-holder-$kind
	FDP_FD=$SOVT_V
	act fdp-getfd-$kind "getfd:$FDP_HOLDER:${FDP_FD:-99}" read-fd connect:$US4 \
		"write-sock:$FDP_TEXT" "touch:$FDP_DONE"
	wait "$FDP_HOLDER"
	rm -f "$FDP_DONE"
	expect_out "fd passing, pidfd_getfd, $kind: the taker gets the file's fd" \
		"getfd $FDP_HOLDER:${FDP_FD:-99} ok"
	if ! grep -q '^read-fd [0-9][0-9]* ok$' "$A_OUT"; then
		fail "fd passing, pidfd_getfd, $kind: the taker reads the fd"
		act_diag
	else
		pass "fd passing, pidfd_getfd, $kind: the taker reads the fd"
	fi
	if [ $kind = pii ]; then
		expect_ev "fd passing, pidfd_getfd: a taint event names the taker, class pii-eu" \
			taint "$A_PID" '"classes":["pii-eu"]'
		expect_out "fd passing, pidfd_getfd: the taker's connect to the US is refused" \
			"connect $US4 EPERM"
		sleep 0.3
		expect_file_lacks "fd passing, pidfd_getfd: the US peer never receives the taker's bytes" \
			"$FDP_US" "$FDP_TEXT"
	else
		expect_out "fd passing, pidfd_getfd, unlabelled: the taker's connect to the US is allowed" \
			"connect $US4 ok"
		sleep 0.3
		expect_file_has "fd passing, pidfd_getfd, unlabelled: the taker's bytes reach the US" \
			"$FDP_US" "$FDP_TEXT"
		expect_no_ev "fd passing, pidfd_getfd, unlabelled: no taint event for the taker" \
			taint "$A_PID"
	fi
done
