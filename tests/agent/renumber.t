#!/bin/sh
# A restart whose policy renumbers the classes, over 2,000 pinned labels:
# sovd starts (the rewrite of the pinned class bits once never ended when
# two labels shared a hash bucket), and a pinned derivative keeps its class
# under the class's new bit, not whatever class took its old bit.
# Root + BPF; the scenario lock, namespaces and data set (tests/scenarios/lib.sh).
: "${SOV_TOP:=.}"
. "$SOV_TOP/tests/scenarios/lib.sh"
ENFORCE=${ENFORCE:-$SOV_BUILD/tools/bench/enforce}
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
trap sovt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "1..5"
if [ "$(id -u)" -ne 0 ] || [ ! -x "$ENFORCE" ] || [ ! -x "$SOVD" ]; then
	echo "Bail out! needs root, BPF, and $SOVD and $ENFORCE built"
	exit 1
fi
sovt_lock && sovt_tmp_init && sovt_mounts && sovt_netns && sovt_dataset ||
	{ echo "Bail out! failed to set up the scenario world"; exit 1; }
sovt_policy "$SOV_TMP/p1.yaml"
# p2: a class first that allows the US, taking pii-eu's old bit 0
sed 's|^classes:|classes:\n  zz-first:\n    paths: ["/nonexistent-sovd-renumber"]\n    allow: [eu, us, local]\n    action: block|' \
	"$SOV_TMP/p1.yaml" > "$SOV_TMP/p2.yaml"
mkdir -p "$SOV_TMP/data/pii/many"
"$ENFORCE" shards "$SOV_TMP/data/pii/many" 2000 || { echo "Bail out! failed to write 2000 files"; exit 1; }
PIN=$BPFFS/sovt-$$-renum
DERIV=$SOV_TMP/data/out/deriv.csv

# refused PROBE: a tainted-by-$DERIV connect to the US peer gets EPERM (no
# one listens there: an allowed one gets ECONNREFUSED). Only grep reads what
# the tainted process wrote, so this shell stays untainted.
refused() {
	"$ENFORCE" connect 10.20.0.2 8099 1 "$DERIV" > /dev/null 2> "$SOV_TMP/act/$1.err"
	grep -q "Operation not permitted" "$SOV_TMP/act/$1.err"
}

sovd_start a "$SOV_TMP/p1.yaml" "$PIN" --journal none || { echo "Bail out! sovd did not start"; exit 1; }
sh -c 'cat "$1" > "$2"' sh "$SOV_TMP/data/pii/customers.csv" "$DERIV"
sleep 1	# the derive event is asynchronous; the label is set in the kernel
refused p1
ok $? "policy 1: the derivative (outside every policy path) carries pii-eu"
sovd_stop TERM

t0=$(date +%s)
sovd_start b "$SOV_TMP/p2.yaml" "$PIN" --journal none
ok $? "a restart that renumbers the classes over 2000 pinned labels starts ($(($(date +%s) - t0)) s)"
grep -q "rewrote [0-9]* labels" "$SOVD_LOG"
ok $? "it says it rewrote the pinned labels"
refused p2
ok $? "policy 2: the derivative is still pii-eu (its new bit), not zz-first (its old bit, which allows the US)"
sovd_stop TERM
[ "$SOVD_STATUS" = 0 ]
ok $? "sovd stops cleanly (status ${SOVD_STATUS:-none})"
[ $failed = 0 ]
