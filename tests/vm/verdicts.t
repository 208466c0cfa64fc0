#!/bin/bash
# tools/vmtest/run's verdicts without booting a kernel: a fake
# qemu-system-x86_64 prints what a guest would on its serial console, and
# the runner must tell a passing boot, failed assertions, a guest kernel
# panic and a stalled guest that hits the time limit apart (issue 13), and
# never run more boots at once than the host's CPUs carry. Needs the
# cached Debian 12 kernel of `make vmtest` (build/vmtest/bookworm; make test
# runs this after tests/vm/vmtest.t, which fetches it): the
# runner fetches and builds an image before it boots.
set -uo pipefail
top=${SOV_TOP:-$(pwd)}
build=${SOV_BUILD:-$top/build}
cache=$build/vmtest/bookworm
if [ ! -f "$cache/vmlinuz" ] || [ ! -f "$cache/wanted" ]; then
	echo "1..0 # SKIP no cached Debian 12 kernel in $cache (make vmtest fetches it)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sov-verdicts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/build/vmtest"
# The cached kernel, read-only to this test: its own directory of links.
mkdir -p "$tmp/build/vmtest/bookworm/modules"
for f in vmlinuz config release package wanted; do ln -s "$cache/$f" "$tmp/build/vmtest/bookworm/$f"; done
ln -s "$cache"/modules/* "$tmp/build/vmtest/bookworm/modules/"

cat > "$tmp/bin/qemu-system-x86_64" <<'FAKE'
#!/bin/sh
# Fake guest: its behaviour is the fake= word of the -append line.
while [ $# -gt 0 ]; do
	[ "$1" = -append ] && append=$2
	shift
done
echo "$append" > "$VERDICTS_DIR/append.$$"
case $append in
*fake=pass*)
	echo "ok 1 - a"
	echo "vmtest: kernel=fake arch=x86_64 lsm=on mode=lsm passed=1 failed=0 skipped=0" ;;
*fake=fail*)
	# A kernel report beside failed assertions stays a test failure.
	echo "[   12.000000] rcu: INFO: rcu_sched self-detected stall on CPU"
	echo "not ok 1 - a"
	echo "vmtest: kernel=fake arch=x86_64 lsm=on mode=lsm passed=0 failed=1 skipped=0" ;;
*fake=panic*)
	echo "ok 1 - a"
	echo "[   52.000000] watchdog: BUG: soft lockup - CPU#0 stuck for 26s! [sh:99]"
	echo "[   52.100000] Kernel panic - not syncing: softlockup: hung tasks" ;;
*fake=hang*)
	echo "[   30.000000] rcu: INFO: rcu_sched self-detected stall on CPU"
	exec sleep 60 ;;
esac
FAKE
chmod +x "$tmp/bin/qemu-system-x86_64"
cat > "$tmp/matrix" <<'M'
t-pass   bookworm on lsm fake=pass
t-fail   bookworm on lsm fake=fail
t-panic  bookworm on lsm fake=panic
t-hang   bookworm on lsm fake=hang
M
export VERDICTS_DIR=$tmp
PATH=$tmp/bin:$PATH VMTEST_MATRIX=$tmp/matrix VMTEST_TIMEOUT=4 VMTEST_JOBS=999 \
	"$top/tools/vmtest/run" "$tmp/build" "$top" > "$tmp/out" 2>&1
rc=$?
res=$tmp/build/vmtest/results
reason() { awk -F'\t' -v n="$1" '$1 == n { print $2 ": " $5 }' "$res" 2>/dev/null; }

echo "1..8"
n=0
t() {	# t DESC CONDITION...
	local d=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; sed 's/^/# /' "$tmp/out"; fi
}
t "the runner fails when a boot fails (exit $rc)" [ "$rc" = 1 ]
t "a boot with a passing summary line passes: $(reason t-pass)" \
	grep -q "^PASS: -$" <(reason t-pass)
t "failed assertions are a test failure, not a stall: $(reason t-fail)" \
	bash -c '[[ $1 == "FAIL: failed=1 (TEST FAILURE"* && $1 != *"STALL/PANIC"* ]]' - "$(reason t-fail)"
t "a test failure still names the kernel's report beside it" \
	bash -c '[[ $1 == *"also reported: rcu: INFO: rcu_sched self-detected stall"* ]]' - "$(reason t-fail)"
t "a guest panic without a summary line is named a guest stall/panic: $(reason t-panic)" \
	bash -c '[[ $1 == "FAIL: no summary line"*"GUEST KERNEL STALL/PANIC"*"soft lockup"* ]]' - "$(reason t-panic)"
t "a stalled guest past its time limit is named so: $(reason t-hang)" \
	bash -c '[[ $1 == "FAIL: did not finish within 4s; GUEST KERNEL STALL/PANIC"*"self-detected stall"* ]]' - "$(reason t-hang)"
cpus=$(nproc)
t "VMTEST_JOBS=999 is cut to the host's $cpus CPU(s)" \
	grep -q "more than $cpus host CPUs carry: $cpus at a time" "$tmp/out"
t "every guest gets the anti-stall command line" \
	bash -c 'for f in "$1"/append.*; do grep -q "softlockup_panic=0 hung_task_panic=0 watchdog_thresh=60 nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=300" "$f" || exit 1; done; [ "$(ls "$1"/append.* | wc -l)" = 4 ]' - "$tmp"
