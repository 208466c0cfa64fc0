# RDMA devices (issue 10): sourced by tests/scenarios/run.sh with the main
# sovd enforcing the test policy ($F is the pii-eu file, $D the data set).
#
# A tainted process of a block class cannot open an RDMA device
# (/dev/infiniband/uverbs*, umad*, issm*: char major 231; rdma_cm: misc
# major 10 with a dynamic minor), refused with EPERM by lsm/file_open (LSM
# path) or cgroup/dev (tracing path), while an untainted one gets the
# kernel's own answer. The nodes are made with mknod on a tmpfs of our own
# (a nodev mount would answer EACCES before any device check): a minor no
# driver has registered opens with ENXIO, the oracle that the kernel, not
# sovd, answered the untainted open. Held devices and soft-RoCE traffic
# are in the part's second half, where the kernel has the modules.

RD=$SOV_TMP/rdma
mkdir -p "$RD"
if mount -t tmpfs -o mode=0755,size=64k sovt-rdma "$RD"; then
	RD_MOUNTED=1
else
	RD_MOUNTED=
	diag "rdma: could not mount a tmpfs at $RD; using the scratch directory"
fi
RDEV_OK=1
# 231:223 is the last fixed uverbs minor, 231:0 the first umad port: no
# machine here has 32 HCAs, so no driver answers for them.
mknod "$RD/uverbs31" c 231 223 && mknod "$RD/umad0" c 231 0 || RDEV_OK=
if [ -z "$RDEV_OK" ]; then
	fail "rdma: mknod makes RDMA device nodes in $RD"
else
	RDEV='"dst":"","dport":0,"zone":"unknown","violated":["pii-eu"],"hook":"device"'

	act rdma-untainted "dev:$RD/uverbs31" "dev:$RD/umad0"
	expect_out "rdma: an untainted open of uverbs (231:223) gets the kernel's answer ENXIO" \
		"dev $RD/uverbs31 ENXIO"
	expect_out "rdma: an untainted open of umad (231:0) gets the kernel's answer ENXIO" \
		"dev $RD/umad0 ENXIO"
	expect_no_ev "rdma: no egress event for the untainted opens" egress "$A_PID"

	act rdma-tainted "read:$F" "dev:$RD/uverbs31" "dev:$RD/umad0" dev:/dev/null
	expect_out "rdma: a tainted open of uverbs is refused with EPERM" "dev $RD/uverbs31 EPERM"
	expect_ev "rdma: deny event for it (proto rdma, hook device, device 231:223)" egress "$A_PID" \
		"\"verdict\":\"deny\",\"proto\":\"rdma\",$RDEV,\"device\":\"231:223\""
	expect_out "rdma: a tainted open of umad is refused with EPERM" "dev $RD/umad0 EPERM"
	expect_ev "rdma: deny event for umad (device 231:0)" egress "$A_PID" \
		'"verdict":"deny","proto":"rdma"' '"device":"231:0"'
	expect_out "rdma: the tainted process still opens other character devices (/dev/null)" \
		"dev /dev/null ok"
	expect_no_ev "rdma: and that open is no egress event" egress "$A_PID" '"device":"1:3"'

	act rdma-audit "read:$D/aud/model.bin" "dev:$RD/uverbs31"
	expect_out "rdma: an audit class's open is not refused (the kernel answers ENXIO)" \
		"dev $RD/uverbs31 ENXIO"
	expect_ev "rdma: and is recorded with verdict audit" egress "$A_PID" \
		'"verdict":"audit","proto":"rdma"' '"violated":["audited"],"hook":"device","device":"231:223"'

	# rdma_cm: a misc device whose minor sovd learns from sysfs.
	if [ -r /sys/class/misc/rdma_cm/dev ]; then
		cm=$(cat /sys/class/misc/rdma_cm/dev)
		mknod "$RD/rdma_cm" c "${cm%%:*}" "${cm#*:}"
		act rdma-cm "read:$F" "dev:$RD/rdma_cm"
		expect_out "rdma: a tainted open of rdma_cm ($cm) is refused with EPERM" "dev $RD/rdma_cm EPERM"
		expect_ev "rdma: deny event for rdma_cm (device $cm)" egress "$A_PID" \
			'"verdict":"deny","proto":"rdma"' "\"device\":\"$cm\""
		act rdma-cm-untainted "dev:$RD/rdma_cm"
		expect_out "rdma: an untainted open of rdma_cm succeeds" "dev $RD/rdma_cm ok"
	else
		skip "rdma: a tainted open of rdma_cm is refused" \
			"this kernel has no rdma_cm device (rdma_ucm not loaded or CONFIG_INFINIBAND off: $(uname -r))"
	fi
fi
[ -n "$RD_MOUNTED" ] && umount "$RD"
