# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): sovd protects itself (issue 12, LSM path: lsm/bpf_map,
# lsm/bpf, lsm/inode_unlink/rmdir/rename, lsm/path_truncate, lsm/file_open
# in bpf/selfprot.bpf.h). Another root process is refused a writable fd of
# sovd's maps, the detach of its links, the removal of its pins and writes
# to its journal and key; each attempt is a tamper event naming the
# process. Read-only access and unrelated files stay allowed, and sovd
# still enforces afterwards. The tracing path has no such hooks.

SP_SEG=$(ls "$SOV_TMP"/journal/seg-*.log 2>/dev/null | head -n1)
SP_LINK=$PIN1/links/fork
if [ "$MODE" != lsm ]; then
	skip "self-protection: other processes are refused sovd's maps, links, pins and journal" \
		"the tracing path has no LSM hooks to refuse with"
else
	act sp-map-rw "bpf-get:rw:$PIN1/sov_config"
	expect_out "self-protection: a writable fd of sovd's config map is refused" "bpf-get rw EPERM"
	expect_ev "self-protection: that attempt is a tamper event naming the process" tamper "$A_PID" \
		'"action":"map-write"' '"object":"sov_config"' '"refused":true'
	act sp-map-ro "bpf-get:ro:$PIN1/sov_config"
	expect_out "self-protection: a read-only fd of it is allowed" "bpf-get ro ok"

	act sp-detach "bpf-detach:$SP_LINK"
	expect_out "self-protection: detaching sovd's fork link is refused" "bpf-detach $SP_LINK EPERM"
	expect_ev "self-protection: the detach is a tamper event" tamper "$A_PID" '"action":"link-detach"'

	act sp-unlink "unlink:$SP_LINK"
	expect_out "self-protection: removing a link pin is refused" "unlink $SP_LINK EPERM"
	if [ -e "$SP_LINK" ]; then
		pass "self-protection: the pin is still there"
	else
		fail "self-protection: the pin is still there"
	fi
	expect_ev "self-protection: the removal is a tamper event" tamper "$A_PID" '"action":"pin-change"'

	act sp-journal "append:$SP_SEG" "append:$SOV_TMP/jkey.key"
	expect_out "self-protection: appending to a journal segment is refused" "append $SP_SEG EPERM"
	expect_out "self-protection: writing the journal key is refused" "append $SOV_TMP/jkey.key EPERM"
	expect_ev "self-protection: the journal write is a tamper event" tamper "$A_PID" \
		'"action":"journal-write"'
	: > "$SOV_TMP/sp-other"
	act sp-other "append:$SOV_TMP/sp-other"
	expect_out "self-protection: an unrelated file is still writable" "append $SOV_TMP/sp-other ok"
	expect_no_ev "self-protection: no tamper event for it" tamper "$A_PID"

	act sp-still "read:$F" "connect:$US4"
	expect_out "self-protection: sovd still enforces after the attempts" "connect $US4 EPERM"
	rm -f "$SOV_TMP/sp-other"
fi
