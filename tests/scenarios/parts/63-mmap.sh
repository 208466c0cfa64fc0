# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): a writable shared file mapping of a tainted process makes
# its file a derivative (issue 11; LSM path: lsm/mmap_file, tracing path:
# the mmap exit). The output is opened O_RDWR while the writer is still
# untainted, at fd 2000 (above the 1024 fds the walk at taint time looks
# at, so only the mapping can derive it); the writer then reads the pii
# file, writes through a MAP_SHARED mapping and msyncs. An untainted reader
# of the output is tainted and refused the US. False positives: the same
# through MAP_PRIVATE, and the same by an untainted writer, leave the
# output unlabelled (its reader may connect to the US, no taint event).
# The start-up scan's mapping case (a file mapped, its fd closed before
# sovd started) is in run.sh beside the fd holder.
# Mappings made BEFORE the taint whose fd is closed: the kernel remembers
# up to SOV_MAPS_HELD (4) such files per process (sov_maps_held) and
# derives them at the taint; beyond that sovd derives them from
# /proc/PID/maps on the taint event (agent/mapscan.c).

MM=$SOV_TMP/mmap
rm -rf "$MM"
mkdir -p "$MM"

# mm_case NAME MODE TAINT: the writer (TAINT 1: reads the pii file after
# opening the output) writes "mm-secret-NAME" through a MODE mapping.
mm_case() {
	local name=$1 mode=$2 taint=$3 out=$MM/$1.out
	# MAP_PRIVATE needs no writable fd: the output is opened read-only (a
	# file open for writing at the taint derives by the fd walk, whatever
	# is mapped)
	local open=map-open
	if [ "$mode" = private ]; then
		open=map-open-ro
		dd if=/dev/zero of="$out" bs=4096 count=1 2>/dev/null
	fi
	if [ "$taint" = 1 ]; then
		act mm-w-$name "$open:$out" "read:$F" "map-write:$mode:mm-secret-$name"
		expect_ev "mmap ($name): the writer is tainted" taint "$A_PID" '"classes":["pii-eu"]'
	else
		act mm-w-$name "$open:$out" "map-write:$mode:mm-secret-$name"
	fi
	MM_W=$A_PID
	# the output's derive event, by inode (the writer's stdout, open for
	# writing at its taint, derives too)
	MM_INO="\"ino\":$(stat -c %i "$out" 2>/dev/null || echo none),"
	expect_out "mmap ($name): the output opens at fd 2000" "map-open $out ok"
	expect_out "mmap ($name): the writer writes through a $mode mapping" "map-write $mode ok"
}

# mm_reader NAME: an untainted process reads NAME's output, then the US.
mm_reader() {
	act mm-r-$1 "read:$MM/$1.out" "connect:$US4"
	expect_out "mmap ($1): the reader reads the output" "read $MM/$1.out ok"
}

# ---- tainted, MAP_SHARED: the output becomes a derivative
mm_case shared shared 1
if grep -q "mm-secret-shared" "$MM/shared.out" 2>/dev/null; then
	pass "mmap (shared): the bytes reached the file through the mapping"
else
	fail "mmap (shared): the bytes reached the file through the mapping"
fi
expect_ev "mmap (shared): the output becomes a derivative" derive "$MM_W" '"classes":["pii-eu"]' \
	"$MM_INO"
mm_reader shared
expect_ev "mmap (shared): an untainted reader of the output is tainted" taint "$A_PID" \
	'"classes":["pii-eu"]'
expect_out "mmap (shared): that reader is refused the US" "connect $US4 EPERM"

# ---- tainted, MAP_PRIVATE: copy-on-write, the file keeps no bytes
mm_case private private 1
expect_no_ev "mmap (private): the output does not derive" derive "$MM_W" "$MM_INO"
mm_reader private
expect_out "mmap (private): the reader may connect to the US" "connect $US4 ok"
expect_no_ev "mmap (private): the reader is not tainted" taint "$A_PID"

# ---- untainted, MAP_SHARED: nothing to derive
mm_case untainted shared 0
expect_no_ev "mmap (untainted): the output does not derive" derive "$MM_W" "$MM_INO"
mm_reader untainted
expect_out "mmap (untainted): the reader may connect to the US" "connect $US4 ok"
expect_no_ev "mmap (untainted): the reader is not tainted" taint "$A_PID"

# ---- mapped shared and writable BEFORE the taint, fd closed
mm_pre() {
	local name=$1 out=$MM/$1.out
	shift
	act mm-w-$name "$@" "map-pre:$out" "read:$F" "map-put:mm-secret-$name" sleep:300
	MM_W=$A_PID
	MM_INO="\"ino\":$(stat -c %i "$out" 2>/dev/null || echo none),"
	expect_out "mmap ($name): the output is mapped and its fd closed" "map-pre $out ok"
	expect_out "mmap ($name): the writer writes through the mapping after its taint" \
		"map-put mapping ok"
	expect_ev "mmap ($name): the output becomes a derivative" derive "$MM_W" \
		'"classes":["pii-eu"]' "$MM_INO"
	mm_reader $name
	expect_ev "mmap ($name): an untainted reader of the output is tainted" taint "$A_PID" \
		'"classes":["pii-eu"]'
	expect_out "mmap ($name): that reader is refused the US" "connect $US4 EPERM"
}
# in the kernel's record (one mapping)
mm_pre pre
# beyond it: four other shared mappings first, then the output
mm_pre pre-many "map-pre:$MM/m1" "map-pre:$MM/m2" "map-pre:$MM/m3" "map-pre:$MM/m4"
# an untainted writer through a mapping made the same way: no derivative
act mm-w-pre-clean "map-pre:$MM/pre-clean.out" "map-put:mm-clean" sleep:300
MM_W=$A_PID
MM_INO="\"ino\":$(stat -c %i "$MM/pre-clean.out" 2>/dev/null || echo none),"
expect_no_ev "mmap (pre-clean): the output does not derive" derive "$MM_W" "$MM_INO"
mm_reader pre-clean
expect_out "mmap (pre-clean): the reader may connect to the US" "connect $US4 ok"
expect_no_ev "mmap (pre-clean): the reader is not tainted" taint "$A_PID"

rm -rf "$MM"
