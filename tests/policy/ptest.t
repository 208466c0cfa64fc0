#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `sovctl policy test` (issue 16) without a kernel: verdicts and zones of
# the example policy, a failing case named by file:line with what decided,
# JUnit XML that a parser reads, and malformed test files refused with
# file:line:column. (tests/scenarios/parts/80-policytest.sh checks its
# verdicts against the kernel's.)
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
pol=$top/policy/examples/demo.yaml
tmp=$(mktemp -d /tmp/sov-ptest-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
run() { out=$("$sovctl" policy test "$@" 2>&1); rc=$?; }

cat >"$tmp/pass.yaml" <<'Y'
tests:
  - name: pii to the EU peer, zone eu
    classes: [pii-eu]
    dst: 10.10.0.2:443
    expect: allow
    zone: eu
  - name: pii to the US, refused
    classes: [pii-eu]
    dst: 10.20.0.2
    expect: deny
    zone: us
  - name: pii to loopback over IPv6
    classes: [pii-eu]
    dst: "[::1]:8080"
    expect: allow
    zone: local
  - name: NAT64 of a US address is the US
    classes: [pii-eu]
    dst: "64:ff9b::10.20.0.2"
    expect: deny
    zone: us
  - name: a file under the labelled directory carries pii-eu
    path: /srv/sovd-demo/pii-eu/customers/2026.csv
    dst: fd00:20::1
    expect: deny
  - name: weights are audited, not refused
    classes: [weights-restricted]
    dst: 10.20.0.2
    expect: audit
  - name: both classes, the block class wins
    classes: [pii-eu, weights-restricted]
    dst: 192.0.2.1
    expect: deny
    zone: unknown
  - name: an unlabelled path is not judged
    path: /srv/other/file
    dst: 10.20.0.2
    expect: allow
  - name: raw sockets are a channel pii-eu does not allow
    classes: [pii-eu]
    channel: raw
    expect: deny
Y
run "$pol" "$tmp/pass.yaml"
if [ $rc -eq 0 ] && grep -q '^9 cases, 9 passed, 0 failed$' <<<"$out"; then
	ok "9 cases of the demo policy pass (zones, NAT64, paths, audit, channels)"
else
	notok "9 cases of the demo policy pass" "exit $rc" "$out"
fi

cat >"$tmp/fail.yaml" <<'Y'
tests:
  - name: fine
    classes: [pii-eu]
    dst: 10.10.0.2
    expect: allow
  - name: wrong zone
    classes: [pii-eu]
    dst: 10.10.0.2
    expect: allow
    zone: local
  - name: wrong verdict
    classes: [pii-eu]
    dst: 10.20.0.7:443
    expect: allow
Y
run "$pol" "$tmp/fail.yaml"
if [ $rc -eq 1 ] && grep -q '^3 cases, 1 passed, 2 failed$' <<<"$out" &&
	grep -q "^$tmp/fail.yaml:6: wrong zone: expected allow (zone local), got allow (zone eu)$" <<<"$out" &&
	grep -q "^$tmp/fail.yaml:11: wrong verdict: expected allow, got deny (zone us)$" <<<"$out" &&
	grep -q "decided by: $pol:8:3 zone 'us'; $pol:15:12 allow of class 'pii-eu' (violated); $pol:16:13 action of class 'pii-eu'; $pol:4:7 mode" <<<"$out"; then
	ok "failing cases: exit 1, file:line, expected and got, and the policy lines that decided"
else
	notok "failing cases are reported" "exit $rc" "$out"
fi

run -o junit "$pol" "$tmp/fail.yaml" "$tmp/pass.yaml"
printf '%s\n' "$out" >"$tmp/junit.xml"
j=$(python3 - "$tmp/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r.find("testsuite")
cases = s.findall("testcase")
fails = [c for c in cases if c.find("failure") is not None]
print(r.tag, s.get("tests"), s.get("failures"), len(cases), len(fails), fails[0].get("name"), fails[0].get("line"))
PY
)
if [ $rc -eq 1 ] && [ "$j" = "testsuites 12 2 12 2 wrong zone 6" ]; then
	ok "-o junit: XML with 12 testcases, 2 failures, names and lines"
else
	notok "-o junit is valid JUnit XML" "exit $rc" "parsed: $j" "$out"
fi

# Malformed tests: exit 2, file:line:column.
i=0
while IFS='|' read -r what body pat; do
	i=$((i + 1))
	printf '%b' "$body" >"$tmp/bad$i.yaml"
	run "$pol" "$tmp/bad$i.yaml"
	if [ $rc -eq 2 ] && grep -qE -- "^$tmp/bad$i.yaml:$pat" <<<"$out"; then
		ok "refused with its position: $what"
	else
		notok "refused with its position: $what" "exit $rc, expected $pat" "$out"
	fi
done <<'CASES'
an unknown class|tests:\n  - {classes: [pii-us], dst: 10.0.0.1, expect: deny}\n|2:16: error: not a class of the policy: pii-us
a bad verdict|tests:\n  - classes: [pii-eu]\n    dst: 10.0.0.1\n    expect: refuse\n|4:13: error: 'expect' must be allow, audit or deny
an unknown key|tests:\n  - {classes: [pii-eu], dst: 10.0.0.1, expect: deny, port: 80}\n|2:54: error: unknown key in a test case
a bad address|tests:\n  - {classes: [pii-eu], dst: "10.0.0.1:99999", expect: deny}\n|2:30: error: 'dst' must be ADDR
a host name without --resolve|tests:\n  - {classes: [pii-eu], dst: example.invalid, expect: deny}\n|2:30: error: a host name needs --resolve
an unknown zone|tests:\n  - {classes: [pii-eu], dst: 10.0.0.1, expect: deny, zone: mars}\n|2:60: error: not a zone of the policy: mars
no tests list|cases: []\n|1:1: error: a tests file is a mapping with 'tests:'
CASES

run "$pol"
if [ $rc -eq 2 ]; then ok "without a TESTS file: usage error (exit 2)"; else notok "without TESTS: exit 2" "$out"; fi
run "$top/tests/data/policy/bad/class-alow.yaml" "$tmp/pass.yaml"
if [ $rc -eq 2 ] && grep -q "invalid policy" <<<"$out"; then
	ok "an invalid policy: its errors and exit 2"
else
	notok "an invalid policy: exit 2" "$out"
fi

# policy explain: the zone and why, each class's allow list, the verdict.
out=$("$sovctl" policy explain "$pol" --class pii-eu --dst 10.20.0.7:443 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qx "destination 10.20.0.7:443: zone us ($pol:8:3)" <<<"$out" &&
	grep -qx "  kernel LPM entry: 10.20.0.0/16 -> zone us (the longest prefix that holds it)" <<<"$out" &&
	grep -qx "  $pol:9:13 cidrs of zone 'us': 10.20.0.0/16 holds it" <<<"$out" &&
	grep -qx "class pii-eu: $pol:15:12 allow \[eu, local\], action block: violated" <<<"$out" &&
	grep -qx "verdict: deny" <<<"$out"; then
	ok "policy explain: zone, LPM entry, the policy's prefix, the allow list, the verdict"
else
	notok "policy explain of a deny" "exit $rc" "$out"
fi
ex=$top/policy/examples/eu-gpu-cluster.yaml
out=$("$sovctl" policy explain "$ex" --path /data/customers/x --dst 64:ff9b::10.42.1.1 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qx "path /data/customers/x: pii-eu" <<<"$out" &&
	grep -q "^  $ex:[0-9]*:[0-9]* cidrs of zone 'onprem-fra': 10.0.0.0/8 holds it" <<<"$out" &&
	grep -q "^  kernel LPM entry: 10.42.0.0/16 -> zone object-store-fra" <<<"$out" &&
	grep -qx "verdict: allow" <<<"$out"; then
	ok "policy explain: a NAT64 address, nested zones (the longest prefix wins), a path's class"
else
	notok "policy explain: NAT64 and nested zones" "exit $rc" "$out"
fi
"$sovctl" policy explain "$pol" --class nope --dst 10.0.0.1 >/dev/null 2>&1
rc=$?; if [ $rc -eq 2 ]; then ok "policy explain of an unknown class: exit 2"; else notok "unknown class: exit 2 (got $rc)"; fi

# A policy in several files (docs/policy.md, "Includes"): the lines that
# decided are in the included files, and each is named by its own file.
inc=$top/tests/data/policy/good/include.yaml
idir=$top/tests/data/policy/good/../include
out=$("$sovctl" policy explain "$inc" --class pii-eu --dst 10.20.1.1:443 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qx "destination 10.20.1.1:443: zone us ($idir/zones/us.yaml:2:3)" <<<"$out" &&
	grep -qx "  $idir/zones/us.yaml:3:13 cidrs of zone 'us': 10.20.0.0/16 holds it" <<<"$out" &&
	grep -q "^class pii-eu: $idir/classes.yaml:6:12 allow \[eu, local\]" <<<"$out" &&
	grep -qx "  decided by: $idir/zones/us.yaml:2:3 zone 'us'; $idir/classes.yaml:6:12 allow of class 'pii-eu' (violated); $inc:5:7 mode" <<<"$out"; then
	ok "policy explain of an included policy: each contributing line named by its file"
else
	notok "policy explain of an included policy" "exit $rc" "$out"
fi
cat >"$tmp/inc.yaml" <<'Y'
tests:
  - name: weights (an included file's class) may reach the US (an included zone)
    classes: [weights]
    dst: 10.20.0.9
    expect: allow
    zone: us
  - name: wrong on purpose
    classes: [pii-eu]
    dst: 10.20.0.9
    expect: allow
Y
run "$inc" "$tmp/inc.yaml"
if [ $rc -eq 1 ] && grep -qx "$tmp/inc.yaml:7: wrong on purpose: expected allow, got deny (zone us)" <<<"$out" &&
	grep -q "decided by: $idir/zones/us.yaml:2:3 zone 'us'; $idir/classes.yaml:6:12 allow of class 'pii-eu' (violated)" <<<"$out" &&
	grep -qx "2 cases, 1 passed, 1 failed" <<<"$out"; then
	ok "policy test of an included policy: verdicts, and the included lines that decided"
else
	notok "policy test of an included policy" "exit $rc" "$out"
fi

echo "1..$n"
[ $failed -eq 0 ]
