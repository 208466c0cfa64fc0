# shellcheck shell=sh
# Part of tests/scenarios/run.sh (issue 12): the label of a deleted inode
# goes with it, so the label map does not fill with the dead. On the LSM
# path the kernel deletes it when the inode is freed
# (lsm/inode_free_security): gone right after the rm, counted in
# counters.labels_reclaimed. On the tracing path sovd's collector
# (agent/label_gc.c, open_by_handle_at by inode and generation) removes it
# within a few seconds on ext2/3/4 and xfs (status label_gc.reclaimed); on
# tmpfs (the guests' /tmp) it cannot tell a deleted inode from one nobody
# made a handle of, so the label must stay (never a false deletion:
# tests/agent/labelgc.t covers ext4 on the host). Twins: a derivative
# with a second name (hard link) keeps its label (its reader is refused and
# its datagram never reaches the US peer), and one deleted while a process
# holds it open keeps its label until that process is gone.

RC=$SOV_TMP/rc69
RC_UDP=$SOV_TMP/srv/us-udp.out
RC_ST=$SOV_TMP/rc69-status.json
rm -rf "$RC"
mkdir -p "$RC/a" "$RC/b"

# rc_key FILE: its (dev:ino) as the kernel programs see it, in RC_K
rc_key() {
	act rc-inode "inode:$1"
	sovt_val "$A_OUT" 's/^inode [^ ]* \([0-9][0-9]*:[0-9][0-9]*\)$/\1/p'
	RC_K=$SOVT_V
}

# rc_label KEY: the label map's answer for KEY in A_OUT
rc_label() {
	act rc-label "label-of:$PIN1/sov_labels:$1"
}

# rc_wait_gone KEY TRIES: waits (0.1 s per try) until KEY has no label
rc_wait_gone() {
	local i=0
	while [ $i -lt "$2" ]; do
		rc_label "$1"
		grep -q " none$" "$A_OUT" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

RC_FS=$(stat -f -c %T "$RC" 2> /dev/null)
RC_KEEP=0
if [ "$MODE" = lsm ]; then
	RC_TRIES=10	# the kernel, at the rm (and its RCU grace)
	RC_BY="the kernel (inode_free_security)"
elif [ "$RC_FS" = tmpfs ]; then
	RC_TRIES=30	# the collector must keep it: 3 s, its passes
	RC_BY="nobody (tracing path on tmpfs: sovd's collector cannot tell)"
	RC_KEEP=1
else
	RC_TRIES=60	# the collector: a slice of the map each second
	RC_BY="sovd's collector ($RC_FS)"
fi

act rc-w "read:$PII/customers.csv" "write:$RC/a/gone.csv:rc-gone" \
	"write:$RC/a/linked.csv:rc-linked" "write:$RC/a/held.csv:rc-held"
expect_out "reclaim: a tainted writer makes three derivatives" "write $RC/a/held.csv ok"
ln "$RC/a/linked.csv" "$RC/b/linked.csv"
rc_key "$RC/a/gone.csv"; RC_GONE=$RC_K
rc_key "$RC/a/linked.csv"; RC_LINKED=$RC_K
rc_key "$RC/a/held.csv"; RC_HELD=$RC_K
if [ -z "$RC_GONE" ] || [ -z "$RC_LINKED" ] || [ -z "$RC_HELD" ]; then
	fail "reclaim: the derivatives' inodes are known"
else
	rc_label "$RC_GONE"
	expect_out "reclaim: the derivative is labelled ($RC_GONE)" "label $RC_GONE classes=0x1"
	act_bg rc-holder "open-keep:$RC/a/held.csv" "sleep:60000"
	RC_HOLDER=$BG_PID
	rc_i=0
	while ! grep -q "open-keep .* ok" "$SOV_TMP/act/rc-holder.out" 2> /dev/null; do
		[ $rc_i -ge 50 ] && break
		sleep 0.1
		rc_i=$((rc_i + 1))
	done
	rm -f "$RC/a/gone.csv" "$RC/a/linked.csv" "$RC/a/held.csv"
	if [ $RC_KEEP = 1 ]; then
		if rc_wait_gone "$RC_GONE" "$RC_TRIES"; then
			fail "reclaim: on tmpfs the collector keeps the deleted derivative's label (it cannot tell)"
		else
			pass "reclaim: on tmpfs the collector keeps the deleted derivative's label (it cannot tell)"
		fi
		rc_counted='"label_gc":{"reclaimed":[0-9]*,"checked":[0-9]*,"unverifiable":[1-9]'
	elif rc_wait_gone "$RC_GONE" "$RC_TRIES"; then
		pass "reclaim: the deleted derivative's label is removed by $RC_BY"
	else
		fail "reclaim: the deleted derivative's label is removed by $RC_BY"
		act_diag
	fi
	"$SOVCTL" --socket "$SOV_TMP/sovd.sock" status -o json > "$RC_ST" 2>&1
	if [ $RC_KEEP = 1 ]; then
		:
	elif [ "$MODE" = lsm ]; then
		rc_counted='"labels_reclaimed":[1-9]'
	else
		rc_counted='"label_gc":{"reclaimed":[1-9]'
	fi
	if grep -q "$rc_counted" "$RC_ST"; then
		pass "reclaim: status counts it ($rc_counted)"
	else
		fail "reclaim: status counts it ($rc_counted)"
		diag_file "$RC_ST"
	fi
	rc_label "$RC_LINKED"
	expect_out "reclaim: a derivative with another name keeps its label" \
		"label $RC_LINKED classes=0x1"
	rc_m="rc69-linked-$$"
	act rc-r "read:$RC/b/linked.csv" "udp:10.20.0.2:$UDP_PORT:$rc_m"
	expect_out "reclaim: its reader's datagram to the US is refused" \
		"udp 10.20.0.2:$UDP_PORT EPERM"
	sleep 0.2
	expect_file_lacks "reclaim: the US peer never receives it" "$RC_UDP" "$rc_m"
	rc_label "$RC_HELD"
	expect_out "reclaim: a derivative deleted while held open keeps its label" \
		"label $RC_HELD classes=0x1"
	kill "$RC_HOLDER" 2> /dev/null
	wait "$RC_HOLDER" 2> /dev/null
	if [ $RC_KEEP = 1 ]; then
		:
	elif rc_wait_gone "$RC_HELD" "$RC_TRIES"; then
		pass "reclaim: once its holder is gone, its label goes too"
	else
		fail "reclaim: once its holder is gone, its label goes too"
		act_diag
	fi
fi
rm -rf "$RC"
