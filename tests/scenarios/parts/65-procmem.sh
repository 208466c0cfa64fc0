# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): taint through another process's memory and through shared
# memory (issue 11, bpf/procmem.bpf.h).
#
# Memory of another process, four ways (HOW): process_vm_writev/readv
# (vm), /proc/PID/mem (pmem), ptrace POKEDATA/PEEKDATA (ptrace), ptrace
# SETREGS/GETREGS (regs). Write: a writer that read the pii file writes
# into the memory of an untainted background target, which then connects
# to the US: refused, its bytes never reach the US peer, and a taint event
# names the target with class pii-eu. Read: an untainted reader reads the
# memory of a target that read the pii file, then connects to the US:
# refused, never arrives, taint event for the reader. The false-positive
# twin of each: the same with nobody tainted (US allowed, the bytes
# arrive, no taint event).
# Shared memory: a SysV segment written by a tainted process and attached
# by another; a /dev/shm file (POSIX shm) written through a shared mapping
# and mapped by the reader; a memfd written through a shared mapping and
# passed over SCM_RIGHTS to a receiver that maps it. Each with its twin.
# The tests run as root: ptrace, process_vm_* and /proc/PID/mem of an
# unrelated process need CAP_SYS_PTRACE under Yama ptrace_scope 1 and 2;
# scope 3 (no attach at all) is reported as a skip.

PM_US=$SOV_TMP/srv/us-tcp.out

# pm_addr NAME: up to 5 s for "mem-addr 0x..." in NAME's output, into PM_ADDR
pm_addr() {
	wait_line "$SOV_TMP/act/$1.out" '^mem-addr 0x'
	# sovt_val: a tainted target's output read through a pipe would taint
	# this shell (taint over local channels, parts/64-ipc.sh)
	sovt_val "$SOV_TMP/act/$1.out" 's/^mem-addr \(0x[0-9a-f]*\)$/\1/p'
	PM_ADDR=$SOVT_V
}

# pm_oracle DESC KIND TEXT: the current actor (A_OUT, A_PID) connected to
# the US and wrote TEXT; KIND pii: refused, taint event, never arrives;
# plain: allowed, arrives, no taint event.
pm_oracle() {
	if [ "$2" = pii ]; then
		expect_ev "$1: a taint event names it, class pii-eu" taint "$A_PID" \
			'"classes":["pii-eu"]'
		expect_out "$1: its connect to the US is refused" "connect $US4 EPERM"
		sleep 0.3
		expect_file_lacks "$1: the US peer never receives its bytes" "$PM_US" "$3"
	else
		expect_out "$1, untainted: its connect to the US is allowed" "connect $US4 ok"
		sleep 0.3
		expect_file_has "$1, untainted: its bytes reach the US" "$PM_US" "$3"
		expect_no_ev "$1, untainted: no taint event" taint "$A_PID"
	fi
}

PM_SCOPE=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)

for how in vm pmem ptrace regs; do
	if [ "$PM_SCOPE" = 3 ]; then
		skip "process memory, $how" "Yama ptrace_scope is 3: no process may attach to another"
		continue
	fi
	for kind in pii plain; do
		PM_PRE=
		[ $kind = pii ] && PM_PRE="read:$F"

		# ---- write: the writer's data goes into the target's memory
		PM_DONE=$SOV_TMP/pm-done-w-$how-$kind-$$
		PM_TEXT=pm-w-$how-$kind-$$
		rm -f "$PM_DONE"
		act_bg pm-tgt-w-$how-$kind mem-hold:clean "wait-file:$PM_DONE" mem-show \
			connect:$US4 "write-sock:$PM_TEXT"
		PM_TGT=$BG_PID
		pm_addr pm-tgt-w-$how-$kind
		act pm-w-$how-$kind $PM_PRE "$how-write:$PM_TGT:${PM_ADDR:-0}:from-writer" \
			"touch:$PM_DONE"
		wait "$PM_TGT"
		rm -f "$PM_DONE"
		expect_out "process memory, $how, $kind: the writer writes into the target" \
			"$how-write $PM_TGT ok"
		A_OUT=$SOV_TMP/act/pm-tgt-w-$how-$kind.out
		A_PID=$PM_TGT
		[ $how = regs ] ||
			expect_out "process memory, $how, $kind: the target's memory holds the writer's bytes" \
				"mem from-writer"
		pm_oracle "process memory, $how write, $kind: the target" $kind "$PM_TEXT"

		# ---- read: the reader copies the target's memory
		PM_DONE=$SOV_TMP/pm-done-r-$how-$kind-$$
		PM_TEXT=pm-r-$how-$kind-$$
		rm -f "$PM_DONE"
		act_bg pm-tgt-r-$how-$kind $PM_PRE mem-hold:secret-$how "wait-file:$PM_DONE"
		PM_TGT=$BG_PID
		pm_addr pm-tgt-r-$how-$kind
		act pm-r-$how-$kind "$how-read:$PM_TGT:${PM_ADDR:-0}:16" connect:$US4 \
			"write-sock:$PM_TEXT" "touch:$PM_DONE"
		wait "$PM_TGT"
		rm -f "$PM_DONE"
		expect_out "process memory, $how, $kind: the reader reads the target's memory" \
			"$how-read $PM_TGT ok"
		[ $how = regs ] ||
			expect_out "process memory, $how, $kind: the reader got the target's bytes" \
				"got secret-$how"
		pm_oracle "process memory, $how read, $kind: the reader" $kind "$PM_TEXT"
	done
done

# ---- SysV shared memory: written by one process, attached by another
for kind in pii plain; do
	PM_PRE=
	[ $kind = pii ] && PM_PRE="read:$F"
	PM_TEXT=pm-sysv-$kind-$$
	act pm-sysv-w-$kind $PM_PRE sysv-new:shm-data-$kind
	expect_out "SysV shm, $kind: the writer fills a new segment" "sysv-new shm-data-$kind ok"
	sovt_val "$A_OUT" 's/^shm-id \([0-9][0-9]*\)$/\1/p'
	PM_ID=$SOVT_V
	[ $kind = pii ] &&
		expect_ev "SysV shm: a derive event labels the segment pii-eu" derive "$A_PID" \
			'"classes":["pii-eu"]'
	act pm-sysv-r-$kind "sysv-read:${PM_ID:-0}" connect:$US4 "write-sock:$PM_TEXT" \
		"sysv-rm:${PM_ID:-0}"
	expect_out "SysV shm, $kind: the reader attaches the segment" "sysv-read ${PM_ID:-0} ok"
	expect_out "SysV shm, $kind: the reader got the writer's bytes" "got shm-data-$kind"
	pm_oracle "SysV shm, $kind: the reader" $kind "$PM_TEXT"
done

# ---- POSIX shm: a /dev/shm file written and read through shared mappings
for kind in pii plain; do
	PM_PRE=
	[ $kind = pii ] && PM_PRE="read:$F"
	PM_TEXT=pm-posix-$kind-$$
	PM_SHM=/dev/shm/sovt-pm-$kind-$$
	act pm-posix-w-$kind $PM_PRE "posix-write:$PM_SHM:posix-data-$kind"
	expect_out "POSIX shm, $kind: the writer fills $PM_SHM through a shared mapping" \
		"posix-write $PM_SHM ok"
	act pm-posix-r-$kind "posix-read:$PM_SHM" connect:$US4 "write-sock:$PM_TEXT"
	rm -f "$PM_SHM"
	expect_out "POSIX shm, $kind: the reader maps it" "posix-read $PM_SHM ok"
	expect_out "POSIX shm, $kind: the reader got the writer's bytes" "got posix-data-$kind"
	pm_oracle "POSIX shm, $kind: the reader" $kind "$PM_TEXT"
done

# ---- memfd: written through a shared mapping, passed over SCM_RIGHTS, mapped
for kind in pii plain; do
	PM_PRE=
	[ $kind = pii ] && PM_PRE="read:$F"
	PM_SOCK=$SOV_TMP/pm-memfd-$kind-$$.sock
	PM_TEXT=pm-memfd-$kind-$$
	act_bg pm-memfd-w-$kind $PM_PRE memfd-new:memfd-data-$kind "pass-fd:$PM_SOCK"
	PM_W=$BG_PID
	act pm-memfd-r-$kind "recv-fd:$PM_SOCK" map-fd-read connect:$US4 "write-sock:$PM_TEXT"
	wait "$PM_W"
	expect_out "memfd, $kind: the receiver gets the memfd" "recv-fd $PM_SOCK ok"
	expect_out "memfd, $kind: the receiver got the writer's bytes through a mapping" \
		"got memfd-data-$kind"
	pm_oracle "memfd, $kind: the receiver" $kind "$PM_TEXT"
	A_OUT=$SOV_TMP/act/pm-memfd-w-$kind.out
	A_PID=$PM_W
	expect_out "memfd, $kind: the writer made and passed it" "memfd-new memfd-data-$kind ok"
	[ $kind = pii ] &&
		expect_ev "memfd: a derive event labels the tainted writer's memfd pii-eu" derive \
			"$A_PID" '"classes":["pii-eu"]'
done

# ---- SysV shm attached before it was labelled: an untainted process makes
# a segment, a reader attaches it and keeps it; then a process that read
# the pii file (twin: one that did not) writes into the segment. The
# segment is labelled at that writable shmat; sovd, on its derive event,
# taints the processes that map it (/proc/PID/map_files), so the reader,
# which only reads through its old mapping, is refused the US.
for kind in pii plain; do
	PM_PRE=
	[ $kind = pii ] && PM_PRE="read:$F"
	PM_TEXT=pm-sysv-late-$kind-$$
	PM_DONE=$SOV_TMP/pm-done-sysv-late-$kind-$$
	rm -f "$PM_DONE"
	act pm-sysv-late-c-$kind sysv-new:empty
	sovt_val "$A_OUT" 's/^shm-id \([0-9][0-9]*\)$/\1/p'
	PM_ID=$SOVT_V
	act_bg pm-sysv-late-r-$kind "sysv-hold:${PM_ID:-0}" "wait-file:$PM_DONE" sysv-show \
		connect:$US4 "write-sock:$PM_TEXT" "sysv-rm:${PM_ID:-0}"
	PM_R=$BG_PID
	wait_line "$SOV_TMP/act/pm-sysv-late-r-$kind.out" '^sysv-hold '
	act pm-sysv-late-w-$kind $PM_PRE "sysv-write:${PM_ID:-0}:late-data-$kind"
	expect_out "SysV shm attached before its label, $kind: the writer writes the segment" \
		"sysv-write ${PM_ID:-0}:late-data-$kind ok"
	A_OUT=$SOV_TMP/act/pm-sysv-late-r-$kind.out
	A_PID=$PM_R
	# sovd taints the reader after the derive event: wait for it first
	[ $kind = pii ] && ev_wait taint "$PM_R" > /dev/null
	touch "$PM_DONE"
	wait "$PM_R"
	rm -f "$PM_DONE"
	expect_out "SysV shm attached before its label, $kind: the reader attached it first" \
		"sysv-hold ${PM_ID:-0} ok"
	expect_out "SysV shm attached before its label, $kind: the reader sees the later bytes" \
		"got late-data-$kind"
	pm_oracle "SysV shm attached before its label, $kind: the reader" $kind "$PM_TEXT"
done

# ---- a memfd received and mapped before it was labelled: an untainted
# process makes a memfd and passes it; the receiver maps it and keeps the
# mapping; then the maker reads the pii file (twin: does not) and writes
# the memfd through a new shared mapping, which labels it (mmap exit /
# mmap_file); sovd, on that derive event, taints the receiver that holds
# the memfd, which then reads the bytes through its old mapping.
for kind in pii plain; do
	PM_PRE=
	[ $kind = pii ] && PM_PRE="read:$F"
	PM_SOCK=$SOV_TMP/pm-memfd-late-$kind-$$.sock
	PM_TEXT=pm-memfd-late-$kind-$$
	PM_GO=$SOV_TMP/pm-go-memfd-late-$kind-$$
	PM_DONE=$SOV_TMP/pm-done-memfd-late-$kind-$$
	rm -f "$PM_GO" "$PM_DONE"
	act_bg pm-memfd-late-w-$kind memfd-new:empty "pass-fd:$PM_SOCK" "wait-file:$PM_GO" \
		$PM_PRE "memfd-put:late-memfd-$kind"
	PM_W=$BG_PID
	act_bg pm-memfd-late-r-$kind "recv-fd:$PM_SOCK" map-fd-hold "touch:$PM_GO" \
		"wait-file:$PM_DONE" map-show connect:$US4 "write-sock:$PM_TEXT"
	PM_R=$BG_PID
	wait "$PM_W"
	A_OUT=$SOV_TMP/act/pm-memfd-late-w-$kind.out
	A_PID=$PM_W
	expect_out "memfd mapped before its label, $kind: the maker writes it later" \
		"memfd-put late-memfd-$kind ok"
	A_OUT=$SOV_TMP/act/pm-memfd-late-r-$kind.out
	A_PID=$PM_R
	[ $kind = pii ] && ev_wait taint "$PM_R" > /dev/null
	touch "$PM_DONE"
	wait "$PM_R"
	rm -f "$PM_GO" "$PM_DONE"
	if grep -q '^map-fd-hold [0-9][0-9]* ok$' "$A_OUT"; then
		pass "memfd mapped before its label, $kind: the receiver mapped it first"
	else
		fail "memfd mapped before its label, $kind: the receiver mapped it first"
		act_diag
	fi
	expect_out "memfd mapped before its label, $kind: the receiver sees the later bytes" \
		"got late-memfd-$kind"
	pm_oracle "memfd mapped before its label, $kind: the receiver" $kind "$PM_TEXT"
done
