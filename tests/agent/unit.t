#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tools/sovd.service: `systemd-analyze security --offline=true` rates its
# sandbox OK or better (PERFECT, SAFE, OK), and every line of it parses (an
# unknown or misspelt setting is ignored by systemd with only a warning,
# which would silently drop a protection); sovd's ia32/x32 probe under a
# filter like SystemCallArchitectures=native fails closed (root, x86-64).
# The sandbox itself is checked against sovd by tests/agent/notify.t (the
# bounding set, NoNewPrivileges) and docs/deployment.md, "systemd" (the
# rest).
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
UNIT=$top/tools/sovd.service
T=$(mktemp -d /tmp/sovd-unit.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; [ "$1" = 0 ]; }
diag() { sed 's/^/#   /' "$@"; }

if ! command -v systemd-analyze > /dev/null; then
	echo "not ok 1 - needs systemd-analyze (Debian's systemd package; CI has it)"; echo "1..1"; exit 1
fi
# A copy named sovd.service: the name is what systemd reads the type from.
cp "$UNIT" "$T/sovd.service"
systemd-analyze security --offline=true "$T/sovd.service" > "$T/out" 2> "$T/err"
rc=$?
[ $rc = 0 ]; ok $? "systemd-analyze security --offline=true exits 0 (got $rc)" || diag "$T/err"
line=$(grep 'Overall exposure level' "$T/out")
level=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9.]*\) \([A-Z]*\).*/\2/p')
score=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9.]*\) \([A-Z]*\).*/\1/p')
case "$level" in
PERFECT|SAFE|OK) r=0 ;;
*) r=1 ;;
esac
ok $r "exposure level OK or better (got ${score:-?} ${level:-none})" ||
	grep '✗' "$T/out" | diag
[ ! -s "$T/err" ]; ok $? "every setting of the unit is known to systemd (no warnings)" || diag "$T/err"
grep -qx 'Type=notify' "$UNIT"; ok $? "Type=notify (sovd sends READY=1: agent/notify.c)"

# The threshold the level stands for, by systemd's own check (exposure
# 0..100; OK ends below 50).
systemd-analyze security --offline=true --threshold=49 "$T/sovd.service" > /dev/null 2>&1
ok $? "systemd-analyze security --threshold=49 passes"

# SystemCallArchitectures=native refuses ia32 and x32 syscalls to sovd
# alone: its probe of whether the host runs them must take a refusal for
# "they run" (the raw syscall hooks, which see them), never for "the kernel
# lacks them" (agent/probe.c). archfilter installs such a filter (EPERM or
# kill) and runs sovd --probe under it.
B=${SOV_BUILD:-$top/build}
if [ "$(uname -m)" = x86_64 ]; then
	if [ "$(id -u)" -ne 0 ] || [ ! -x "$B/sovd" ] || [ ! -x "$B/tests/agent/archfilter" ]; then
		ok 1 "the probe under an architecture filter: needs root, $B/sovd and $B/tests/agent/archfilter"
	else
		"$B/sovd" --probe --syscall-hooks auto > "$T/plain" 2>&1
		ia32=$(grep -o ' ia32=[a-z]*' "$T/plain")
		for how in e k; do
			"$B/tests/agent/archfilter" $how "$B/sovd" --probe --syscall-hooks auto > "$T/f" 2>&1
			grep -q ' x32=yes ' "$T/f" && grep -q ' syscall_hooks=raw ' "$T/f" && grep -q -- "$ia32 " "$T/f"
			ok $? "sovd --probe under a filter that $([ $how = e ] && echo 'refuses (EPERM)' || echo kills) other ABIs: x32=yes,$ia32 as without it, syscall_hooks=raw" ||
				diag "$T/plain" "$T/f"
		done
	fi
fi

echo "1..$n"
[ "$failed" = 0 ]
