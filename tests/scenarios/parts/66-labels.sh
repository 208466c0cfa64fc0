# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): labels at creation, late policy paths and late mounts
# (issue 11). Every case makes a file that should (or, in its twin, should
# not) carry pii-eu, then a fresh untainted reader reads it and sends a
# datagram with a marker to the US peer: labelled, the send is refused and
# the marker never reaches the peer; unlabelled (the twin), it arrives.
#  - a file 22 directories below the labelled one, made with mkdir -p after
#    start (no 16-level limit any more);
#  - a file made with O_TMPFILE elsewhere and linkat()ed into it;
#  - a file renamed into it; a hard link made into it (then read through
#    its old name too: the label is the inode's);
#  - a policy path that did not exist when sovd started (sovd labels it
#    when it appears: its log line says when);
#  - a filesystem image (ext4 where mkfs.ext4 exists, else busybox's ext2)
#    loop-mounted below the labelled directory after start: its files,
#    those it held and one made after the mount, taint their readers;
#  - twins: the same in an unlabelled directory stay clean.

LB=$SOV_TMP/lab66
LB_PLAIN=$D/plain/lab66
LB_PII=$PII/lab66
LB_UDP=$SOV_TMP/srv/us-udp.out
rm -rf "$LB" "$LB_PLAIN" "$LB_PII"
mkdir -p "$LB" "$LB_PLAIN" "$LB_PII"
LB_MOUNTED=

# lb_labelled DESC FILE: an untainted reader of FILE is tainted with pii-eu
# and its datagram to the US is refused and never arrives.
lb_labelled() {
	local m="lab66-$1-$$"
	act lb-r-$1 "read:$2" "udp:10.20.0.2:$UDP_PORT:$m"
	expect_out "labels ($1): the reader reads $2" "read $2 ok"
	expect_ev "labels ($1): reading it taints with pii-eu" taint "$A_PID" \
		'"classes":["pii-eu"]'
	expect_out "labels ($1): the reader's datagram to the US is refused" \
		"udp 10.20.0.2:$UDP_PORT EPERM"
	sleep 0.2
	expect_file_lacks "labels ($1): the US peer never receives it" "$LB_UDP" "$m"
}

# lb_clean DESC FILE: the twin: the reader stays untainted, its datagram
# reaches the US peer.
lb_clean() {
	local m="lab66-$1-$$"
	act lb-r-$1 "read:$2" "udp:10.20.0.2:$UDP_PORT:$m"
	expect_out "labels ($1): the reader reads $2" "read $2 ok"
	expect_out "labels ($1): the reader's datagram to the US is sent" \
		"udp 10.20.0.2:$UDP_PORT ok"
	sleep 0.2
	expect_file_has "labels ($1): the US peer receives it (no label)" "$LB_UDP" "$m"
	expect_no_ev "labels ($1): and the reader is not tainted" taint "$A_PID"
}

# ---- a file 22 levels below the labelled directory, made after start
lb_deep=d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20/d21/d22
mkdir -p "$LB_PII/$lb_deep" "$LB_PLAIN/$lb_deep"
act lb-w-deep "write:$LB_PII/$lb_deep/deep.csv:deep-secret" \
	"write:$LB_PLAIN/$lb_deep/deep.csv:deep-public"
expect_out "labels (deep): an untainted writer makes a file 22 levels below the labelled dir" \
	"write $LB_PII/$lb_deep/deep.csv ok"
lb_labelled deep "$LB_PII/$lb_deep/deep.csv"
lb_clean deep-twin "$LB_PLAIN/$lb_deep/deep.csv"
# a second file in the same deep directory (its label now comes from the
# parent, no walk)
echo "deep two" > "$LB_PII/$lb_deep/two.csv"
lb_labelled deep-second "$LB_PII/$lb_deep/two.csv"

# ---- O_TMPFILE made in an unlabelled directory, then linkat() into it
act lb-w-tmpfile "tmpfile-link:$LB:$LB_PII/tmpfile.csv:tmpfile-secret" \
	"tmpfile-link:$LB:$LB_PLAIN/tmpfile.csv:tmpfile-public"
if grep -Fqx "tmpfile-link $LB_PII/tmpfile.csv EOPNOTSUPP" "$A_OUT"; then
	skip "labels (tmpfile): O_TMPFILE + linkat into the labelled dir" \
		"the file system of $LB has no O_TMPFILE"
else
	expect_out "labels (tmpfile): an O_TMPFILE file is linkat()ed into the labelled dir" \
		"tmpfile-link $LB_PII/tmpfile.csv ok"
	expect_out "labels (tmpfile twin): and another into an unlabelled dir" \
		"tmpfile-link $LB_PLAIN/tmpfile.csv ok"
	lb_labelled tmpfile "$LB_PII/tmpfile.csv"
	lb_clean tmpfile-twin "$LB_PLAIN/tmpfile.csv"
fi

# ---- renamed into it
echo "moved in" > "$LB/moved.csv"
echo "moved elsewhere" > "$LB/moved-twin.csv"
mv "$LB/moved.csv" "$LB_PII/moved.csv"
mv "$LB/moved-twin.csv" "$LB_PLAIN/moved.csv"
lb_labelled renamed "$LB_PII/moved.csv"
lb_clean renamed-twin "$LB_PLAIN/moved.csv"

# ---- hard-linked into it: the inode takes the label, whichever name reads it
echo "linked in" > "$LB/linked.csv"
echo "linked elsewhere" > "$LB/linked-twin.csv"
ln "$LB/linked.csv" "$LB_PII/linked.csv"
ln "$LB/linked-twin.csv" "$LB_PLAIN/linked.csv"
lb_labelled hardlink "$LB_PII/linked.csv"
lb_labelled hardlink-oldname "$LB/linked.csv"
lb_clean hardlink-twin "$LB_PLAIN/linked.csv"

# ---- a file created in an unlabelled directory stays clean
act lb-w-plain "write:$LB_PLAIN/new.csv:public"
lb_clean unlabelled-new "$LB_PLAIN/new.csv"

# ---- a policy path that did not exist when sovd started
# (lib.sh's test policy names $SOV_TMP/late-pii/data in class pii-eu)
LATE=$SOV_TMP/late-pii/data
if [ -e "$LATE" ]; then
	fail "labels (late path): $LATE does not exist before this part"
else
	mkdir -p "$LATE" "$SOV_TMP/late-pii/other"
	echo "late secret" > "$LATE/held.csv"
	if wait_line "$SOVD_LOG" "policy path $LATE appeared"; then
		pass "labels (late path): sovd labels the policy path when it appears"
	else
		fail "labels (late path): sovd labels the policy path when it appears"
		diag "no 'policy path $LATE appeared' in $SOVD_LOG within 5 s"
	fi
	echo "late secret, after" > "$LATE/after.csv"
	echo "late public" > "$SOV_TMP/late-pii/other/x.csv"
	lb_labelled late-path "$LATE/held.csv"
	lb_labelled late-path-new "$LATE/after.csv"
	lb_clean late-path-twin "$SOV_TMP/late-pii/other/x.csv"
fi

# ---- a filesystem mounted below the labelled directory after start
MKFS=$(command -v mkfs.ext4 || true)
MKFS_WHAT=ext4
if [ -z "$MKFS" ]; then
	MKFS=mke2fs
	MKFS_WHAT="ext2 (busybox mke2fs; this guest has no mkfs.ext4)"
fi
diag "late mount: images made with $MKFS: $MKFS_WHAT"
lb_img_ok=1
for n in in twin; do
	if ! dd if=/dev/zero of="$LB/$n.img" bs=1024 count=4096 2>/dev/null ||
		! "$MKFS" -F "$LB/$n.img" > "$LB/mkfs-$n.out" 2>&1; then
		fail "labels (late mount): $MKFS makes an image"
		diag_file "$LB/mkfs-$n.out"
		lb_img_ok=
		continue
	fi
	# its data, written before the mount below the labelled directory
	mkdir -p "$LB/prep"
	if mount -o loop "$LB/$n.img" "$LB/prep" 2> "$LB/mount-$n.out"; then
		echo "on the volume ($n)" > "$LB/prep/vol.csv"
		umount "$LB/prep"
	else
		lb_img_ok=
	fi
done
if [ -z "$lb_img_ok" ]; then
	fail "labels (late mount): the images mount"
	diag_file "$LB/mount-in.out"
else
	mkdir -p "$LB_PII/vol" "$LB_PLAIN/vol"
	if mount -o loop "$LB/in.img" "$LB_PII/vol" 2> "$LB/mount-in.out"; then
		LB_MOUNTED="$LB_PII/vol"
		SOVT_MOUNTED="$LB_PII/vol $SOVT_MOUNTED"
	fi
	if mount -o loop "$LB/twin.img" "$LB_PLAIN/vol" 2> "$LB/mount-twin.out"; then
		LB_MOUNTED="$LB_PLAIN/vol $LB_MOUNTED"
		SOVT_MOUNTED="$LB_PLAIN/vol $SOVT_MOUNTED"
	fi
	if wait_line "$SOVD_LOG" "late mount $LB_PII/vol below"; then
		pass "labels (late mount): sovd labels a filesystem mounted below the labelled dir"
	else
		fail "labels (late mount): sovd labels a filesystem mounted below the labelled dir"
		diag "no 'late mount $LB_PII/vol below' in $SOVD_LOG within 5 s"
		diag_file "$LB/mount-in.out"
	fi
	lb_labelled late-mount "$LB_PII/vol/vol.csv"
	act lb-w-mount "write:$LB_PII/vol/after.csv:volume-after"
	lb_labelled late-mount-new "$LB_PII/vol/after.csv"
	lb_clean late-mount-twin "$LB_PLAIN/vol/vol.csv"
	if grep -q "late mount $LB_PLAIN/vol" "$SOVD_LOG"; then
		fail "labels (late mount twin): a mount outside the labelled dirs is not labelled"
	else
		pass "labels (late mount twin): a mount outside the labelled dirs is not labelled"
	fi
fi
for m in $LB_MOUNTED; do
	umount "$m" 2>/dev/null
done
rm -rf "$LB" "$LB_PLAIN" "$LB_PII" "$SOV_TMP/late-pii"
