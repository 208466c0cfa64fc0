# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): io_uring on both paths (issue 11). The LSM path sees
# io_uring's opens at lsm/file_open; the tracing path at
# tp_btf/io_uring_complete (bpf/views.bpf.h): an OPENAT that returns an fd
# is judged as an open, the read ops taint by the request's file, the
# write ops of a tainted ring owner derive it. The fixed-file cases open
# straight into the ring's fixed table, so no fd ever exists and no open
# syscall runs: (1) an io_uring read of the pii file taints (refused the
# US, its bytes never arrive); (2) a tainted process's io_uring write
# makes a derivative (its untainted reader is tainted and refused). The
# false positives: the same read of an unlabelled file and the same write
# by an untainted process leave everything clean. (2') registers an output
# as a fixed file while untainted and closes its fd: written through the
# ring after the taint, only the completion hook can derive it (attached on
# the LSM path too: lsm/file_permission does not derive). The plain OPENAT case
# (an fd, then read(2)) is in run.sh ("io_uring").

IU=$SOV_TMP/iouring
IU_US=$SOV_TMP/srv/us-tcp.out
rm -rf "$IU"
mkdir -p "$IU"

if [ "$K510" = 1 ]; then
# ---- 5.10 (docs/kernels.md, "Linux 5.10"): io_uring_complete has no
# request there, so the ring's reads and writes are not seen; a process
# that sets up a ring takes every class of the policy (fail closed). The
# LSM path still sees the ring's opens at file_open, so what a ring opens
# for writing is a derivative there; the tracing path sees no ring open.
iu_d="io_uring (fixed read, 5.10)"
iu_text=iu-read-$$
act iu-read "uring-fixed-read:$F" connect:$US4 "write-sock:$iu_text"
expect_out "$iu_d: OPENAT into the fixed table and READ of the pii file succeed" \
	"uring-fixed-read $F ok"
expect_ev "$iu_d: setting up the ring taints with every class" taint "$A_PID" \
	'"pii-eu","audited"'
expect_out "$iu_d: its connect to the US is refused" "connect $US4 EPERM"
sleep 0.3
expect_file_lacks "$iu_d: the US peer never receives its bytes" "$IU_US" "$iu_text"

iu_d="io_uring (fixed read, unlabelled, 5.10)"
iu_text=iu-read-plain-$$
act iu-read-plain "uring-fixed-read:$D/plain/readme.txt" connect:$US4 "write-sock:$iu_text"
expect_out "$iu_d: the read succeeds" "uring-fixed-read $D/plain/readme.txt ok"
expect_out "$iu_d: the ring user is refused the US all the same (every class)" \
	"connect $US4 EPERM"
sleep 0.3
expect_file_lacks "$iu_d: the US peer never receives its bytes" "$IU_US" "$iu_text"

iu_d="io_uring (fixed write, tainted, 5.10)"
iu_out=$IU/tainted.out
act iu-write "read:$F" "uring-fixed-write:$iu_out:iu-secret"
expect_out "$iu_d: OPENAT into the fixed table and WRITE succeed" "uring-fixed-write $iu_out ok"
if [ "$MODE" = lsm ]; then
	expect_ev "$iu_d: the output opened by the ring (file_open) is a derivative" derive "$A_PID" \
		'"pii-eu"' "\"ino\":$(stat -c %i "$iu_out" 2>/dev/null || echo none),"
	# (every class: the writer had them all)
	out_reader iu-tainted "$iu_out" 1 "$iu_d" '"pii-eu"'
else
	skip "$iu_d: the output becomes a derivative" \
		"Linux 5.10, tracing path: no hook sees the ring's opens and writes (docs/kernels.md)"
fi
else
# ---- (1) a fixed-file read of the pii file
iu_d="io_uring (fixed read)"
iu_text=iu-read-$$
act iu-read "uring-fixed-read:$F" connect:$US4 "write-sock:$iu_text"
expect_out "$iu_d: OPENAT into the fixed table and READ of the pii file succeed" \
	"uring-fixed-read $F ok"
expect_ev "$iu_d: the reader is tainted, class pii-eu" taint "$A_PID" '"classes":["pii-eu"]'
expect_out "$iu_d: its connect to the US is refused" "connect $US4 EPERM"
sleep 0.3
expect_file_lacks "$iu_d: the US peer never receives its bytes" "$IU_US" "$iu_text"

# ---- (1') the same read of an unlabelled file: clean
iu_d="io_uring (fixed read, unlabelled)"
iu_text=iu-read-plain-$$
act iu-read-plain "uring-fixed-read:$D/plain/readme.txt" connect:$US4 "write-sock:$iu_text"
expect_out "$iu_d: the read succeeds" "uring-fixed-read $D/plain/readme.txt ok"
expect_out "$iu_d: the connect to the US is allowed" "connect $US4 ok"
sleep 0.3
expect_file_has "$iu_d: the bytes reach the US" "$IU_US" "$iu_text"
expect_no_ev "$iu_d: the reader is not tainted" taint "$A_PID"

# ---- (2) a fixed-file write by a tainted process derives
iu_d="io_uring (fixed write, tainted)"
iu_out=$IU/tainted.out
act iu-write "read:$F" "uring-fixed-write:$iu_out:iu-secret"
expect_out "$iu_d: OPENAT into the fixed table and WRITE succeed" "uring-fixed-write $iu_out ok"
expect_ev "$iu_d: the writer is tainted" taint "$A_PID" '"classes":["pii-eu"]'
expect_ev "$iu_d: the output becomes a derivative, class pii-eu" derive "$A_PID" \
	'"classes":["pii-eu"]' "\"ino\":$(stat -c %i "$iu_out" 2>/dev/null || echo none),"
out_reader iu-tainted "$iu_out" 1 "$iu_d"

# ---- (2') a file registered in the ring while untainted, its fd closed
# (no fd walk at the taint can see it), written through the ring after the
# taint
iu_d="io_uring (registered file written after the taint)"
iu_out=$IU/registered.out
act iu-write-reg "uring-reg:$iu_out" "read:$F" "uring-write-reg:iu-secret"
expect_out "$iu_d: the file is registered as a fixed file" "uring-reg $iu_out ok"
expect_out "$iu_d: the WRITE to the fixed file succeeds" "uring-write-reg iu-secret ok"
expect_ev "$iu_d: the output becomes a derivative, class pii-eu" derive "$A_PID" \
	'"classes":["pii-eu"]' "\"ino\":$(stat -c %i "$iu_out" 2>/dev/null || echo none),"
out_reader iu-registered "$iu_out" 1 "$iu_d"

# ---- (2'') the same fixed-file write by an untainted process: clean
iu_d="io_uring (fixed write, untainted)"
iu_out=$IU/untainted.out
act iu-write-clean "uring-fixed-write:$iu_out:iu-public"
expect_out "$iu_d: the write succeeds" "uring-fixed-write $iu_out ok"
expect_no_ev "$iu_d: no derive event" derive "$A_PID"
out_reader iu-untainted "$iu_out" 0 "$iu_d"

fi

rm -rf "$IU"
