# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): overlayfs files are judged by their real (upper or lower)
# inode on both paths (issue 11). The LSM path: opening through an overlay
# also opens the real file (ovl_open_realfile(): security_file_open in the
# opener's context), which lsm/file_open judges; the tracing path: the fd
# names the overlay's file, whose real file real_file() reads from its
# private_data (bpf/views.bpf.h). The test mounts two overlays on a tmpfs
# of its own (upper and work dirs there): OL over data/pii/sub (inside the
# labelled tree) and OP over an unlabelled lower. (1) Reading a pii file
# through OL's merged view taints (US refused, its bytes never arrive);
# an untainted process's copy-up of it makes a labelled upper file.
# (2) A tainted process writing through OP (a copy-up of a lower file, and
# a new file) labels the upper file: an untainted reader of the upper file
# is tainted and refused. False positives: reading through OP, and an
# untainted process's copy-up write through OP, leave everything clean.

OV=$SOV_TMP/overlay
OV_US=$SOV_TMP/srv/us-tcp.out
OV_MOUNTED=
mkdir -p "$OV"
if mount -t tmpfs -o mode=0755,size=1m sovt-overlay "$OV"; then
	SOVT_MOUNTED="$OV $SOVT_MOUNTED"
	OV_MOUNTED=1
else
	diag "overlay: could not mount a tmpfs at $OV; using the scratch directory"
fi
mkdir -p "$OV/plain-lower" "$OV/l-up" "$OV/l-work" "$OV/l" "$OV/p-up" "$OV/p-work" "$OV/p"
echo "public lower" > "$OV/plain-lower/clean.txt"
echo "copy me" > "$OV/plain-lower/copy.txt"
echo "copy me too" > "$OV/plain-lower/copy2.txt"

# ov_mount LOWER UPPER WORK MERGED
ov_mount() {
	mount -t overlay sovt-overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" &&
		SOVT_MOUNTED="$4 $SOVT_MOUNTED"
}

# ov_reader NAME FILE TAINTED DESC: a process reads FILE and connects to the US
ov_reader() {
	local text=ov-$1-$$
	act "ov-$1-reader" "read:$2" connect:$US4 "write-sock:$text"
	expect_out "$4: the reader reads it" "read $2 ok"
	if [ "$3" = 1 ]; then
		expect_ev "$4: the reader is tainted, class pii-eu" taint "$A_PID" '"classes":["pii-eu"]'
		expect_out "$4: the reader's connect to the US is refused" "connect $US4 EPERM"
		sleep 0.3
		expect_file_lacks "$4: the US peer never receives the reader's bytes" "$OV_US" "$text"
	else
		expect_out "$4: the reader's connect to the US is allowed" "connect $US4 ok"
		sleep 0.3
		expect_file_has "$4: the reader's bytes reach the US" "$OV_US" "$text"
		expect_no_ev "$4: the reader is not tainted" taint "$A_PID"
	fi
}

if ! ov_mount "$PII/sub" "$OV/l-up" "$OV/l-work" "$OV/l"; then
	fail "overlay: mount an overlay whose lower dir is $PII/sub (labelled)"
elif ! ov_mount "$OV/plain-lower" "$OV/p-up" "$OV/p-work" "$OV/p"; then
	fail "overlay: mount an overlay over an unlabelled lower dir"
else
	# ---- (1) a labelled lower file read through the merged view
	ov_d="overlay (labelled lower, read through the view)"
	diag "overlay: $OV/l/deep.csv is dev:ino $(stat -c %d:%i "$OV/l/deep.csv"), lower $(stat -c %d:%i "$PII/sub/deep.csv")"
	ov_reader lower "$OV/l/deep.csv" 1 "$ov_d"

	# ---- (1') an unlabelled lower file read through the other view: clean
	ov_reader plain "$OV/p/clean.txt" 0 "overlay (unlabelled lower, read through the view)"

	# ---- (1'') an untainted process copies a labelled lower file up (an
	# open for writing that neither reads nor truncates): the upper file
	# holds the labelled bytes and must carry the label. LSM path: the
	# copy-up opens the lower file in the opener's context (file_open),
	# tainting it, and its write open derives the upper file; tracing path:
	# the upper file takes the lower file's label (copyup_label(),
	# bpf/open.bpf.h)
	ov_d="overlay (labelled lower copied up by an untainted process)"
	act ov-copyup "touch:$OV/l/deep.csv"
	expect_out "$ov_d: the open for writing succeeds" "touch $OV/l/deep.csv ok"
	if [ -f "$OV/l-up/deep.csv" ]; then
		pass "$ov_d: deep.csv was copied up"
	else
		fail "$ov_d: deep.csv was copied up"
	fi
	expect_ev "$ov_d: a derive event names the upper file, class pii-eu" derive "$A_PID" \
		'"classes":["pii-eu"]' "\"ino\":$(stat -c %i "$OV/l-up/deep.csv" 2>/dev/null || echo none),"
	ov_reader copyup-upper "$OV/l-up/deep.csv" 1 "$ov_d: the upper file read directly"
	ov_reader copyup-view "$OV/l/deep.csv" 1 "$ov_d: the file read through the view"

	# ---- (2) a tainted process's copy-up write and a new file: the upper
	# files are derivatives
	ov_d="overlay (copy-up write by a tainted process)"
	act ov-w "read:$F" "write:$OV/p/copy.txt:ov-secret" "write:$OV/p/new.txt:ov-secret"
	expect_out "$ov_d: the copy-up write succeeds" "write $OV/p/copy.txt ok"
	expect_out "$ov_d: the new file is written" "write $OV/p/new.txt ok"
	if [ -f "$OV/p-up/copy.txt" ]; then
		pass "$ov_d: copy.txt was copied up"
	else
		fail "$ov_d: copy.txt was copied up"
	fi
	expect_ev "$ov_d: the upper file becomes a derivative (its real inode)" derive "$A_PID" \
		'"classes":["pii-eu"]' "\"ino\":$(stat -c %i "$OV/p-up/copy.txt" 2>/dev/null || echo none),"
	ov_reader upper "$OV/p-up/copy.txt" 1 "$ov_d: the upper file read directly"
	ov_reader view "$OV/p/copy.txt" 1 "$ov_d: the file read through the view"
	ov_reader new "$OV/p-up/new.txt" 1 "overlay (new file by a tainted process): the upper file"

	# ---- (2') the same copy-up write by an untainted process: clean
	ov_d="overlay (copy-up write by an untainted process)"
	act ov-w-clean "write:$OV/p/copy2.txt:ov-public"
	expect_out "$ov_d: the copy-up write succeeds" "write $OV/p/copy2.txt ok"
	expect_no_ev "$ov_d: no derive event" derive "$A_PID"
	ov_reader clean-upper "$OV/p-up/copy2.txt" 0 "$ov_d: the upper file"
fi
umount "$OV/p" 2>/dev/null
umount "$OV/l" 2>/dev/null
if [ -n "$OV_MOUNTED" ]; then
	umount "$OV"
else
	rm -rf "$OV"
fi
