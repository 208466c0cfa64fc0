# Issue 11: only data becomes a derivative, and inode reuse never gives a
# stale label. Sourced by tests/scenarios/run.sh with the main sovd
# enforcing the test policy ($F is the pii-eu file; pii-eu derives and
# allows [eu, local]).
#
# Kinds: a tainted process writes to a null device (1:3), a zero device
# (1:5), a pty master (ptmx of a private devpts instance: a tty) and a FIFO, opened after its
# taint (the open path) and held open at the moment of its taint (the fd
# walk); then an untainted process reads each and stays untainted (no
# taint event, connect to US allowed). The device nodes are made with
# mknod on a tmpfs of our own rather than using the host's /dev/null: the
# kernel decides by the inode's type (S_IFCHR), the same for both, and a
# failure must not leave the host's /dev/null labelled (labels are pinned).

DK=$SOV_TMP/dkinds
mkdir -p "$DK"
DK_MOUNTED=
if mount -t tmpfs -o mode=0755,size=64k sovt-dkinds "$DK"; then
	DK_MOUNTED=1
	SOVT_MOUNTED="$DK $SOVT_MOUNTED"
else
	diag "derive-kinds: could not mount a tmpfs at $DK; using the scratch directory"
fi
# Fresh nodes for each way in (open, fd walk), so that one case's failure
# cannot hide behind the other's. The pty master comes from a private devpts
# instance (a ptmx node outside devpts does not open), so a label on it
# would touch no terminal of the host.
for dk_how in open walk; do
	dk=$DK/$dk_how
	if ! { mkdir -p "$dk/pts" && mknod "$dk/null" c 1 3 && mknod "$dk/zero" c 1 5 &&
		mount -t devpts -o newinstance,ptmxmode=0666 sovt-devpts "$dk/pts" &&
		SOVT_MOUNTED="$dk/pts $SOVT_MOUNTED" && ln -s pts/ptmx "$dk/ptmx" &&
		mkfifo "$dk/fifo"; }; then
		fail "derive-kinds ($dk_how): mknod, a devpts instance and mkfifo make null, zero, ptmx and a FIFO in $dk"
		umount "$dk/pts" 2>/dev/null
		continue
	fi
	if [ $dk_how = open ]; then
		act dk-writer-$dk_how "read:$F" "hold-rw:$dk/null:x" "hold-rw:$dk/zero:x" \
			"hold-rw:$dk/ptmx" "hold-rw:$dk/fifo:x"
	else
		act dk-writer-$dk_how "hold-rw:$dk/null:x" "hold-rw:$dk/zero:x" \
			"hold-rw:$dk/ptmx" "hold-rw:$dk/fifo:x" "read:$F"
	fi
	dk_w=$A_PID
	expect_ev "derive-kinds ($dk_how): the writer is tainted" taint "$dk_w" '"classes":["pii-eu"]'
	for n in null zero ptmx fifo; do
		expect_out "derive-kinds ($dk_how): the tainted writer opens and writes $n" \
			"hold-rw $dk/$n ok"
	done
	expect_no_ev "derive-kinds ($dk_how): no derive event names a device or FIFO" derive "$dk_w" \
		"\"path\":\"$dk/"
	for n in null zero ptmx fifo; do
		act dk-reader-$dk_how-$n "read1:$dk/$n" "connect:$US4"
		expect_out "derive-kinds ($dk_how): an untainted reader of $n reads it" "read1 $dk/$n ok"
		expect_out "derive-kinds ($dk_how): and may connect to US" "connect $US4 ok"
		expect_no_ev "derive-kinds ($dk_how): and is not tainted by $n" taint "$A_PID"
	done
	umount "$dk/pts" 2>/dev/null
done
[ -n "$DK_MOUNTED" ] && umount "$DK"
rm -rf "$DK"

# Inode reuse: a derivative on a loop-mounted ext2/ext4 image (the lowest
# free inode is reused at once: deterministic), deleted; a new file made by
# an untainted shell gets its inode number; an untainted reader of the new
# file stays untainted (the label recorded the old file's i_generation).
RU=$SOV_TMP/reuse
RU_IMG=$SOV_TMP/reuse.img
RU_MOUNTED=
mkdir -p "$RU"
if ! dd if=/dev/zero of="$RU_IMG" bs=1024 count=2048 2>/dev/null ||
	! mke2fs -F "$RU_IMG" > "$SOV_TMP/reuse-mkfs.out" 2>&1; then
	fail "inode reuse: mke2fs makes a file system image"
	diag_file "$SOV_TMP/reuse-mkfs.out"
elif ! mount -o loop "$RU_IMG" "$RU" 2> "$SOV_TMP/reuse-mount.out"; then
	skip "inode reuse: a new file reusing a derivative's inode number is not labelled" \
		"this kernel cannot loop-mount an ext2 image: $(cat "$SOV_TMP/reuse-mount.out")"
else
	RU_MOUNTED=1
	SOVT_MOUNTED="$RU $SOVT_MOUNTED"
	act ru-writer "read:$F" "write:$RU/old.csv:secret-reuse" "stat:$RU/old.csv"
	expect_ev "inode reuse: the tainted writer's output is a derivative" derive "$A_PID" \
		"\"path\":\"$RU/old.csv\""
	sovt_val "$A_OUT" "s|^stat $RU/old.csv ino=||p"
	ru_old=$SOVT_V
	act ru-check "read:$RU/old.csv"
	expect_ev "inode reuse: a reader of the derivative is tainted (the label works)" taint "$A_PID"
	rm -f "$RU/old.csv"
	echo "public" > "$RU/new.txt"
	act ru-new "stat:$RU/new.txt"
	sovt_val "$A_OUT" "s|^stat $RU/new.txt ino=||p"
	ru_new=$SOVT_V
	if [ -z "$ru_old" ] || [ "$ru_old" != "$ru_new" ]; then
		skip "inode reuse: a new file reusing a derivative's inode number is not labelled" \
			"the file system gave the new file inode ${ru_new:-?}, not ${ru_old:-?}"
	else
		pass "inode reuse: the new file has the deleted derivative's inode number $ru_new"
		act ru-reader "read:$RU/new.txt" "connect:$US4"
		expect_out "inode reuse: an untainted reader reads the new file" "read $RU/new.txt ok"
		expect_out "inode reuse: and may connect to US" "connect $US4 ok"
		expect_no_ev "inode reuse: and is not tainted by a stale label" taint "$A_PID"
	fi
fi
[ -n "$RU_MOUNTED" ] && umount "$RU"
rm -rf "$RU" "$RU_IMG"
