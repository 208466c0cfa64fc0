# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): every writable fd of a tainted process makes a derivative
# (issue 11). (1) A process opens an output file for writing, moves the fd
# above 1024 (2000: the fd walk at taint time has no fd-number
# limit), reads the pii file (taint) and writes; an untainted reader of the
# output is then tainted (pii-eu), its connect to the US refused and its
# bytes never arrive there. (2) A tainted process receives an untainted
# process's writable fd of an output file (SCM_RIGHTS, pidfd_getfd) and
# writes it: an untainted reader of the output is tainted. The
# false-positive side: an untainted receiver writing leaves the output
# unlabelled (its reader's connect to the US is allowed and arrives).

FDW=$SOV_TMP/fdwalk
mkdir -p "$FDW"

# ---- (1) a writable fd above 1024 at taint time
for fdw_n in 2000; do
	fdw_out=$FDW/high-$fdw_n.out
	fdw_d="fd walk, fd $fdw_n"
	rm -f "$fdw_out"
	act "fdw-high-$fdw_n" "open-wkeep:$fdw_out" "dup-to:$fdw_n" "read:$F" "write-sock:high-$fdw_n-$$"
	expect_out "$fdw_d: the writer opens the output" "open-wkeep $fdw_out ok"
	expect_out "$fdw_d: the writer moves it to fd $fdw_n" "dup-to $fdw_n ok"
	expect_out "$fdw_d: the writer writes it" "write-sock high-$fdw_n-$$ ok"
	expect_ev "$fdw_d: the writer is tainted" taint "$A_PID" '"classes":["pii-eu"]'
	expect_ev "$fdw_d: a derive event names the writer, class pii-eu" \
		derive "$A_PID" '"classes":["pii-eu"]'
	out_reader fdw-"high-$fdw_n" "$fdw_out" 1 "$fdw_d"
	rm -f "$fdw_out"
done

# ---- (1') a writable fd behind 1200 other open fds: more steps than the
# 5.10 build's bounded fd walk takes (docs/kernels.md, "Linux 5.10"), where
# sovd completes the walk from /proc/PID/fd on the taint event (the
# writer lives on for a second: sovd reads its fds after the event); the
# current build's bpf_loop walk reaches it in the kernel
fdw_out=$FDW/behind.out
fdw_d="fd walk, behind 1200 open fds"
rm -f "$fdw_out"
act fdw-behind "fill-fds:1200" "open-wkeep:$fdw_out" "read:$F" sleep:1000
expect_out "$fdw_d: the writer opens 1200 fds" "fill-fds 1200 ok"
expect_out "$fdw_d: then the output" "open-wkeep $fdw_out ok"
expect_ev "$fdw_d: a derive event names the output's inode, class pii-eu" \
	derive "$A_PID" '"classes":["pii-eu"]' "\"ino\":$(stat -c %i "$fdw_out" 2>/dev/null || echo none),"
out_reader fdw-behind "$fdw_out" 1 "$fdw_d"
rm -f "$fdw_out"

# ---- (2) received writable fds: SCM_RIGHTS and pidfd_getfd, a tainted
# receiver (derives) and an untainted one (does not)
for fdw_how in scm getfd; do
	for fdw_who in tainted clean; do
		fdw_out=$FDW/recv-$fdw_how-$fdw_who.out
		fdw_d="received writable fd, $fdw_how, $fdw_who receiver"
		rm -f "$fdw_out"
		if [ $fdw_who = tainted ]; then fdw_pre="read:$F"; else fdw_pre="sleep:1"; fi
		if [ $fdw_how = scm ]; then
			fdw_sock=$SOV_TMP/fdw-$fdw_who-$$.sock
			act_bg "fdw-giver-$fdw_how-$fdw_who" "open-wkeep:$fdw_out" "pass-fd:$fdw_sock"
			fdw_giver=$BG_PID
			act "fdw-recv-$fdw_how-$fdw_who" "$fdw_pre" "recv-fd:$fdw_sock" "write-sock:recv-$fdw_how-$fdw_who-$$"
			expect_out "$fdw_d: the receiver gets the fd" "recv-fd $fdw_sock ok"
		else
			fdw_done=$SOV_TMP/fdw-got-$fdw_who-$$
			rm -f "$fdw_done"
			act_bg "fdw-giver-$fdw_how-$fdw_who" "open-wkeep:$fdw_out" show-fd "wait-file:$fdw_done"
			fdw_giver=$BG_PID
			wait_line "$SOV_TMP/act/fdw-giver-$fdw_how-$fdw_who.out" '^fd [0-9]'
			sovt_val "$SOV_TMP/act/fdw-giver-$fdw_how-$fdw_who.out" \
				's/^fd \([0-9][0-9]*\)$/\1/p'
			fdw_fd=$SOVT_V
			act "fdw-recv-$fdw_how-$fdw_who" "$fdw_pre" "getfd:$fdw_giver:${fdw_fd:-99}" \
				"write-sock:recv-$fdw_how-$fdw_who-$$" "touch:$fdw_done"
			expect_out "$fdw_d: the taker gets the fd" "getfd $fdw_giver:${fdw_fd:-99} ok"
			rm -f "$fdw_done"
		fi
		wait "$fdw_giver"
		expect_out "$fdw_d: the receiver writes the output" "write-sock recv-$fdw_how-$fdw_who-$$ ok"
		if [ $fdw_who = tainted ]; then
			expect_ev "$fdw_d: the receiver is tainted" taint "$A_PID" '"classes":["pii-eu"]'
			expect_ev "$fdw_d: a derive event names the receiver, class pii-eu" \
				derive "$A_PID" '"classes":["pii-eu"]'
			out_reader fdw-"recv-$fdw_how-$fdw_who" "$fdw_out" 1 "$fdw_d"
		else
			expect_no_ev "$fdw_d: no derive event for the receiver" derive "$A_PID"
			out_reader fdw-"recv-$fdw_how-$fdw_who" "$fdw_out" 0 "$fdw_d"
		fi
		rm -f "$fdw_out"
	done
done
rm -rf "$FDW"
