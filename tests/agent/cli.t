#!/bin/bash
# sovd's command line and bad input: exit codes, one clear sentence, and
# nothing attached or pinned when sovd refuses to start. Needs root + BPF.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=$B/sovd SOVCTL=$B/sovctl
T=$(mktemp -d /tmp/sovd-cli.XXXXXX)
PIN=/sys/fs/bpf/sovd-cli-$$
n=0 failed=0
cleanup() {
	[ -n "${sovd_pid:-}" ] && kill -9 "$sovd_pid" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
check() { # check NAME WANT_RC GOT_RC FILE PATTERN
	local r=0
	[ "$3" = "$2" ] || { echo "# expected exit $2, got $3"; r=1; }
	if [ -n "${5:-}" ] && ! grep -qE -- "$5" "$4"; then
		echo "# expected /$5/ in:"; sed 's/^/#   /' "$4"; r=1
	fi
	ok $r "$1"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP not root: sovd needs root and BPF (CI runs as root)"
	exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

cat > "$T/ok.yaml" <<Y
version: 1
zones:
  eu: {cidrs: [10.10.0.0/16]}
classes:
  c1: {paths: [$T], allow: [eu]}
Y
printf 'version: 1\nzones:\n  eu: {cidrs: [10.10.0.0/16]}\nclasses:\n  c1: {paths: [%s], alow: [eu]}\n' "$T" > "$T/bad.yaml"

"$SOVD" --bogus > "$T/out" 2>&1; check "unknown option: exit 2 with usage" 2 $? "$T/out" "usage: sovd"
"$SOVD" > "$T/out" 2>&1; check "no --policy: exit 2" 2 $? "$T/out" "usage: sovd"
"$SOVD" --help > "$T/out" 2> "$T/err"; check "--help: usage on stdout, exit 0" 0 $? "$T/out" "^usage: sovd"
[ ! -s "$T/err" ]; ok $? "--help: nothing on stderr"
"$SOVD" --version > "$T/out" 2>&1; check "--version: 'sovd VERSION', exit 0" 0 $? "$T/out" "^sovd [^ ]+$"
for bad in 127.0.0.1:x 127.0.0.1: 127.0.0.1:0 127.0.0.1:65536 127.0.0.1:80x 127.0.0.1:-1 nohost:9100 9100; do
	"$SOVD" --policy "$T/ok.yaml" --metrics "$bad" --pin-dir "$PIN" --journal none --socket "$T/s" > "$T/out" 2>&1
	check "--metrics $bad: exit 2, clear error, nothing bound" 2 $? "$T/out" "--metrics"
done
[ ! -e "$PIN" ]; ok $? "--metrics refused: nothing pinned"
"$SOVD" --policy "$T/ok.yaml" --kernel-path sideways > "$T/out" 2>&1
check "--kernel-path sideways: exit 2" 2 $? "$T/out" "--kernel-path must be auto, lsm or tracing"
"$SOVD" --mode tracing --probe > "$T/out" 2>&1
check "--mode (the old name of --kernel-path) is still accepted" 0 $? "$T/out" "kernel_path=tracing"

"$SOVD" --policy "$T/bad.yaml" --pin-dir "$PIN" --journal none --socket "$T/s" > "$T/out" 2>&1
check "invalid policy: exit 1 with file:line:column" 1 $? "$T/out" "bad.yaml:5:[0-9]+: error: .*alow"
[ ! -e "$PIN" ]; ok $? "invalid policy: nothing pinned"

"$SOVD" --probe > "$T/out" 2>&1
check "--probe: exit 0 and one line of findings" 0 $? "$T/out" "^btf=yes bpf_lsm=(yes|no) tp_btf=yes .* bpf_build=(current|5\.10) kernel_path=(lsm|tracing) mode=(lsm|tracing)$"
# which build of the programs (docs/kernels.md, "Linux 5.10")
"$SOVD" --policy "$T/ok.yaml" --bpf-build 5.9 > "$T/out" 2>&1
check "--bpf-build 5.9: exit 2" 2 $? "$T/out" "--bpf-build must be auto, current or 5.10"
"$SOVD" --probe --bpf-build 5.10 > "$T/out" 2>&1
check "--bpf-build 5.10 is taken on any kernel that has BTF" 0 $? "$T/out" "bpf_build=5\.10 kernel_path="
if grep -q "bpf_loop=yes" "$T/out"; then
	"$SOVD" --probe --bpf-build current > "$T/out" 2>&1
	check "--bpf-build current where bpf_loop() exists" 0 $? "$T/out" "bpf_loop=yes bpf_build=current"
	"$SOVD" --probe > "$T/out" 2>&1
	check "--bpf-build auto takes the current build where bpf_loop() exists" 0 $? "$T/out" "bpf_build=current"
fi

# where the syscall programs attach (issue 14, docs/kernels.md)
"$SOVD" --policy "$T/ok.yaml" --syscall-hooks sometimes > "$T/out" 2>&1
check "--syscall-hooks sometimes: exit 2" 2 $? "$T/out" "--syscall-hooks must be auto, raw or tracepoints"
"$SOVD" --probe > "$T/out.default" 2>&1
"$SOVD" --probe --syscall-hooks auto > "$T/out" 2>&1
dflt=$(sed -n 's/.* \(syscall_hooks=[a-z]*\) .*/\1/p' "$T/out.default")
[ -n "$dflt" ] || dflt=syscall_hooks=MISSING
check "--syscall-hooks: auto by default (the default chooses as auto does)" 0 $? "$T/out" " $dflt "
if grep -q "sc_tracepoints=yes ia32=no x32=no" "$T/out"; then
	check "--syscall-hooks auto: tracepoints where they run and no ia32 or x32 syscall does" 0 $? "$T/out" " syscall_hooks=tracepoints "
else
	check "--syscall-hooks auto: raw where the tracepoints cannot run or ia32/x32 syscalls do" 0 $? "$T/out" " syscall_hooks=raw "
fi
if grep -q "sc_tracepoints=no" "$T/out"; then
	"$SOVD" --probe --syscall-hooks tracepoints > "$T/out" 2>&1
	check "--syscall-hooks tracepoints where they do not run: exit 2, cause" 2 $? "$T/out" "--syscall-hooks tracepoints: no per-syscall tracepoint program runs"
fi

if grep -q "bpf_lsm=no" "$T/out"; then
	"$SOVD" --policy "$T/ok.yaml" --kernel-path lsm --pin-dir "$PIN" --journal none --socket "$T/s" > "$T/out2" 2>&1
	check "--kernel-path lsm without BPF LSM: exit 2, cause and fix" 2 $? "$T/out2" "BPF LSM programs do not run on this kernel.*lsm="
	[ ! -e "$PIN/links" ]; ok $? "--kernel-path lsm refused: nothing attached"
else
	"$SOVD" --policy "$T/ok.yaml" --kernel-path tracing --probe > "$T/out2" 2>&1
	check "--kernel-path tracing is accepted where BPF LSM runs" 0 $? "$T/out2" "kernel_path=tracing"
	ok 0 "# SKIP BPF LSM runs here: the refusal case needs a kernel without it"
fi

"$SOVD" --policy "$T/ok.yaml" --watch-ring 2000000 > "$T/out" 2>&1
check "--watch-ring 2000000: exit 2" 2 $? "$T/out" "--watch-ring takes 0..1048576 events"
"$SOVD" --policy "$T/ok.yaml" --ringbuf-size 1000 > "$T/out" 2>&1
check "--ringbuf-size not a power of two: exit 2" 2 $? "$T/out" "power of two"
# Numbers are whole numbers: trailing garbage is not ignored.
for bad in "--ringbuf-size 8192junk" "--ringbuf-size 0x" "--ringbuf-size -4096" "--ringbuf-size ''" \
	   "--max-procs 12xyz" "--max-procs 0" "--max-procs -5" "--max-procs 99999999999999999999" \
	   "--max-labels 10k" "--max-labels 1.5"; do
	eval "\"\$SOVD\" --policy \"\$T/ok.yaml\" --pin-dir \"\$PIN\" --journal none --socket \"\$T/s\" $bad" > "$T/out" 2>&1
	check "$bad: exit 2, clear error" 2 $? "$T/out" "--(ringbuf-size|max-procs)"
done
[ ! -e "$PIN" ]; ok $? "bad numbers refused: nothing pinned"

"$SOVD" --policy "$T/ok.yaml" --pin-dir "$T/not-bpffs/pins" --journal none --socket "$T/s" > "$T/out" 2>&1
check "pin dir off bpffs: exit 2 with the fix" 2 $? "$T/out" "not on a bpf filesystem"

# sovctl status: fails without a daemon, succeeds once sovd enforces.
"$SOVCTL" --socket "$T/s" status > "$T/out" 2>&1
check "sovctl status without sovd: exit 2" 2 $? "$T/out" "cannot reach sovd"
# A port below the ephemeral range (32768-); another one if it is taken.
for _ in 1 2 3 4 5; do
	mport=$((20000 + RANDOM % 12000))
	"$SOVD" --policy "$T/ok.yaml" --pin-dir "$PIN" --journal none --socket "$T/s" --events "$T/ev" --metrics 127.0.0.1:$mport 2> "$T/log" &
	sovd_pid=$!
	for _ in $(seq 100); do
		"$SOVCTL" --socket "$T/s" status > "$T/out" 2>&1 && break
		kill -0 "$sovd_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$sovd_pid" 2>/dev/null && break
	wait "$sovd_pid"; sovd_pid=
	grep -q "Address already in use" "$T/log" || break
done
"$SOVCTL" --socket "$T/s" status > "$T/out" 2>&1
check "sovctl status with sovd enforcing: exit 0" 0 $? "$T/out" "state: +enforcing"
"$SOVCTL" --socket "$T/s" status -o json > "$T/out" 2>&1
check "sovctl status -o json" 0 $? "$T/out" '"state":"enforcing".*"kernel_path":"(lsm|tracing)"'
{ exec 3<>/dev/tcp/127.0.0.1/$mport && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3 > "$T/out"; exec 3<&-; } 2>/dev/null
check "--metrics serves Prometheus counters" 0 $? "$T/out" '^sovd_kernel_decisions_total\{verdict="deny"\} [0-9]+$'
grep -qE '^sovd_kernel_path_info\{kernel_path="(lsm|tracing)"\} 1' "$T/out"; ok $? "metrics: sovd_kernel_path_info"
grep -qE '^sovd_mode_info\{mode="(lsm|tracing)"\} 1' "$T/out" && grep -q '^# HELP sovd_mode_info .*[Dd]eprecated' "$T/out"
ok $? "metrics: the old sovd_mode_info is still there, marked deprecated"
# A request longer than the buffer is refused, not cut and applied.
long=$(printf "$T/%05000d" 0)
timeout 5 "$B/tests/agent/clients" request "unix:$T/s" "apply $long" > "$T/out" 2> /dev/null
check "apply with an over-long path: request too long" 0 $? "$T/out" "^request too long"
head -1 "$T/out" | grep -qx error; ok $? "... answered with error"
"$SOVCTL" --socket "$T/s" policy apply "$T/bad.yaml" > "$T/out" 2>&1
check "policy apply of a bad policy: exit 1, errors, old policy stays" 1 $? "$T/out" "bad.yaml:5:[0-9]+: error"
"$SOVCTL" --socket "$T/s" status -o json > "$T/out" 2>&1
check "after a rejected apply: still generation 1" 0 $? "$T/out" '"generation":1'
sed 's/10.10.0.0/10.11.0.0/' "$T/ok.yaml" > "$T/ok2.yaml"
"$SOVCTL" --socket "$T/s" policy apply "$T/ok2.yaml" > "$T/out" 2>&1
check "policy apply of a good policy: generation 2" 0 $? "$T/out" "generation=2"
grep -q '"type":"policy".*"generation":2' "$T/ev"; ok $? "policy event for generation 2"
# SIGHUP reloads --policy: a good one is the next generation...
sed 's/10.10.0.0/10.12.0.0/' "$T/ok.yaml" > "$T/ok3.yaml" && cp "$T/ok.yaml" "$T/ok.orig" && cp "$T/ok3.yaml" "$T/ok.yaml"
kill -HUP "$sovd_pid"
for _ in $(seq 50); do "$SOVCTL" --socket "$T/s" status -o json > "$T/out" 2>&1; grep -q '"generation":3' "$T/out" && break; sleep 0.1; done
check "SIGHUP with a good policy: generation 3" 0 $? "$T/out" '"generation":3'
grep -q "SIGHUP: reloaded .*generation=3" "$T/log"; ok $? "SIGHUP: the reload is logged"
# ...a bad one changes nothing and says why on stderr.
cp "$T/bad.yaml" "$T/ok.yaml"
kill -HUP "$sovd_pid"
for _ in $(seq 50); do grep -q "ok.yaml:5:[0-9]*: error" "$T/log" && break; sleep 0.1; done
check "SIGHUP with a bad policy: the errors on stderr" 0 0 "$T/log" "ok.yaml:5:[0-9]+: error: .*alow"
"$SOVCTL" --socket "$T/s" status -o json > "$T/out" 2>&1
check "SIGHUP with a bad policy: still generation 3" 0 $? "$T/out" '"generation":3'
cp "$T/ok.orig" "$T/ok.yaml"
# A watcher that goes frees its slot at once, not at the next event.
"$B/tests/agent/clients" hold "unix:$T/s" 1 0 'watch
' > "$T/hold" 2>&1 &
wpid=$!
for _ in $(seq 50); do "$SOVCTL" --socket "$T/s" status -o json > "$T/out" 2>&1; grep -q '"watchers":1' "$T/out" && break; sleep 0.1; done
check "a watcher connects: watchers 1" 0 $? "$T/out" '"watchers":1,'
kill "$wpid"; wait "$wpid" 2>/dev/null
for _ in $(seq 30); do "$SOVCTL" --socket "$T/s" status -o json > "$T/out" 2>&1; grep -q '"watchers":0' "$T/out" && break; sleep 0.1; done
check "it hangs up, no event follows: watchers 0" 0 $? "$T/out" '"watchers":0,'
grep -q '"connections":{"api":{"open":1,' "$T/out"; ok $? "status reports the API's open connections (itself)"
# issue 16: watch requests sovd refuses, with the reason, and stays up
req() { "$B/tests/agent/clients" request "unix:$T/s" "$1" > "$T/req.out" 2> /dev/null; }
req $'watch type=bogus\n'
check "watch type=bogus: error, the reason" 0 $? "$T/req.out" "^unknown event type 'bogus'"
req "watch class=$(printf 'x%.0s' $(seq 5000))"$'\n'
check "watch with a 5000-byte filter: refused (request too long)" 0 $? "$T/req.out" "^request too long$"
req "watch pid=$(seq -s, 1 65)"$'\n'
check "watch with 65 values: refused" 0 $? "$T/req.out" "^more than 64 filter values$"
req $'watch cgroup=999999999999\n'
check "watch cgroup=ID of no cgroup: refused" 0 $? "$T/req.out" "^no cgroup with id 999999999999 below the cgroup2 mount$"
req $'watch type=policy since=100 follow=0\n'
check "watch type=policy since=100 follow=0: answered, closed" 0 $? "$T/req.out" ""
grep '"type":"policy"' "$T/ev" > "$T/policies"
cmp -s "$T/req.out" "$T/policies" && [ "$(wc -l < "$T/policies")" = 3 ]
r=$?; ok $r "the replay: the three policy events, the events file's lines byte for byte"
[ $r = 0 ] || { echo "# got:"; sed 's/^/#   /' "$T/req.out"; }
req $'watch since=2 follow=0\n'
[ "$(wc -l < "$T/req.out")" = 2 ] && cmp -s "$T/req.out" <(grep -v '^$' "$T/ev" | tail -n 2)
ok $? "watch since=2 follow=0: the last two events"
"$SOVCTL" --socket "$T/s" status -o json > "$T/out" 2>&1
check "sovd still answers; status has the ring (1024, some held)" 0 $? "$T/out" '"watch_ring":\{"size":1024,"held":[1-9]'
grep -q '"counts_as_of_ns":[1-9]' "$T/out"; ok $? "status says when its map counts were taken"
kill -TERM "$sovd_pid"; wait "$sovd_pid"; rc=$?
sovd_pid=
check "SIGTERM: exit 0" 0 $rc "$T/log" ""
[ ! -e "$PIN/links" ]; ok $? "SIGTERM: links unpinned (programs detached)"
grep -q '"type":"agent".*"action":"stop","kernel_path":"\(lsm\|tracing\)"' "$T/ev"; ok $? "agent stop event names the kernel path"
grep -q '"type":"agent".*"action":"start","kernel_path":"\(lsm\|tracing\)","version":"[^"]*","bpf_build":"\(current\|5\.10\)"' "$T/ev"; ok $? "agent start event names the kernel path, the version and the build of the programs"

echo "1..$n"
[ $failed -eq 0 ]
