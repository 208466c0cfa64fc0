#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `sovctl policy diff OLD NEW` (issue 16): what a new policy changes, from
# the two compiled images: mode, scope, zones, what each class may reach,
# its action, derive, paths and channels, and the LPM entries added,
# removed or moved between zones, with counts. Exit 0 same, 1 differ.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
old=$top/policy/examples/demo.yaml
tmp=$(mktemp -d /tmp/sov-pdiff-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

out=$("$sovctl" policy diff "$old" "$old" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "make the same decisions" <<<"$out"; then
	ok "a policy against itself: exit 0, same decisions"
else
	notok "a policy against itself: exit 0" "exit $rc" "$out"
fi
# The same decisions in another spelling: other order, other IPv6 spelling.
cat >"$tmp/respelt.yaml" <<'Y'
version: 1
classes:
  weights-restricted: {paths: [/srv/sovd-demo/weights], allow: [eu], action: audit, derive: false}
  pii-eu: {paths: [/srv/sovd-demo/pii-eu], allow: [local, eu], action: block}
zones:
  local: {cidrs: ["0:0::1/128", 127.0.0.0/8]}
  us: {cidrs: ["fd00:0020::/32", 10.20.0.0/16]}
  eu: {cidrs: [10.10.0.0/16, "fd00:10::/32"]}
Y
out=$("$sovctl" policy diff "$old" "$tmp/respelt.yaml" 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "reordered and respelt: exit 0"; else notok "reordered and respelt: exit 0" "$out"; fi

cat >"$tmp/new.yaml" <<'Y'
version: 1
mode: audit
scope: {cgroups: [/gpu.slice]}
zones:
  eu:
    cidrs: [10.10.0.0/16, "fd00:10::/32", 10.20.5.0/24]
  us:
    cidrs: [10.20.0.0/16, "fd00:20::/32"]
  apac:
    cidrs: [10.40.0.0/16]
classes:
  pii-eu:
    paths: [/srv/sovd-demo/pii-eu, /srv/sovd-demo/more]
    allow: [eu]
    action: block
    channels: {ping: allow}
  weights-restricted:
    paths: [/srv/sovd-demo/weights]
    allow: [eu, apac]
    action: block
    derive: true
  new-class:
    paths: [/srv/new]
    allow: []
Y
"$sovctl" policy diff "$old" "$tmp/new.yaml" >"$tmp/out" 2>&1; rc=$?
want=(
	"--- $old"
	"+++ $tmp/new.yaml"
	"~ mode enforce -> audit"
	"- scope cgroup /"
	"+ scope cgroup /gpu.slice"
	"- zone local"
	"+ zone apac"
	"- class pii-eu may reach zone local"
	"+ class pii-eu labels /srv/sovd-demo/more"
	"+ class pii-eu may use channel ping"
	"~ class weights-restricted: action audit -> block"
	"~ class weights-restricted: derive false -> true"
	"+ class weights-restricted may reach zone apac"
	"+ class new-class: labels /srv/new; may reach nothing; action audit"
	"+ prefix 10.20.5.0/24 (zone eu)"
	"+ prefix 10.40.0.0/16 (zone apac)"
	"- prefix 127.0.0.0/8 (zone local)"
	"# IPv4 LPM entries: 3 -> 4 (2 added, 1 removed, 0 moved between zones)"
	"- prefix ::1/128 (zone local)"
	"# IPv6 LPM entries: 3 -> 2 (0 added, 1 removed, 0 moved between zones)"
)
if [ $rc -eq 1 ] && diff <(printf '%s\n' "${want[@]}") "$tmp/out" >"$tmp/d"; then
	ok "every kind of change, in order, exit 1"
else
	notok "every kind of change, in order, exit 1 (got $rc)" "$(cat "$tmp/d")"
fi

# A prefix moved between zones, and --limit.
{ echo "version: 1"; echo "zones:"; echo "  a:"; echo "    cidrs:"
  for i in $(seq 1 30); do echo "      - $((2 * i + 1)).1.0.0/16"; done
  echo "  b: {cidrs: [192.0.2.0/24]}"; } >"$tmp/m1.yaml"
{ echo "version: 1"; echo "zones:"; echo "  a:"; echo "    cidrs:"
  for i in $(seq 2 30); do echo "      - $((2 * i + 1)).2.0.0/16"; done
  echo "  b: {cidrs: [192.0.2.0/24, 3.1.0.0/16]}"; } >"$tmp/m2.yaml"
out=$("$sovctl" policy diff --limit 5 "$tmp/m1.yaml" "$tmp/m2.yaml" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -qx "~ prefix 3.1.0.0/16: zone a -> b" <<<"$out" &&
	[ "$(grep -c '^- prefix' <<<"$out")" -eq 5 ] && [ "$(grep -c '^+ prefix' <<<"$out")" -eq 5 ] &&
	grep -qx "# IPv4 LPM entries: 31 -> 31 (29 added, 29 removed, 1 moved between zones; --limit 0 lists them all)" <<<"$out"; then
	ok "a prefix moved between zones; --limit 5 lists five of each, the counts are whole"
else
	notok "moved prefix and --limit" "exit $rc" "$out"
fi
out=$("$sovctl" policy diff "$old" "$top/tests/data/policy/bad/class-alow.yaml" 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q "invalid policy" <<<"$out"; then ok "an invalid NEW: exit 2"; else notok "an invalid NEW: exit 2" "$out"; fi

# A policy that includes others: a change in an included file is a change
# of the policy (docs/policy.md, "Includes").
cp -r "$top/tests/data/policy/include" "$top/tests/data/policy/good/include.yaml" "$tmp/"
sed -i 's|\.\./include/|include/|g' "$tmp/include.yaml"
sed -i 's|10.20.0.0/16|10.20.0.0/16, 10.22.0.0/16|' "$tmp/include/zones/us.yaml"
out=$("$sovctl" policy diff "$top/tests/data/policy/good/include.yaml" "$tmp/include.yaml" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -qx "+ prefix 10.22.0.0/16 (zone us)" <<<"$out" &&
	grep -qx "# IPv4 LPM entries: 3 -> 4 (1 added, 0 removed, 0 moved between zones)" <<<"$out"; then
	ok "a prefix added in an included file: exit 1, the prefix"
else
	notok "a prefix added in an included file" "exit $rc" "$out"
fi

echo "1..$n"
[ $failed -eq 0 ]
