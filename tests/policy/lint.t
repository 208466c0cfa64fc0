#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `sovctl policy check` lints and their options (issue 16): --strict makes
# warnings errors, --offline drops the warnings about class paths that do
# not exist here, --max-age warns about a stale location database or range
# file. The lints themselves are checked at their positions by
# tests/unit/policy/test_compile.c (tests/data/policy/good/lint*.yaml).
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
tmp=$(mktemp -d /tmp/sov-lint-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
# expect WHAT RC PATTERN|'' NOT-PATTERN|'' -- ARGS...: run policy check ARGS.
expect() {
	local what=$1 want=$2 pat=$3 nopat=$4 out rc
	shift 5
	out=$("$sovctl" policy check "$@" 2>&1); rc=$?
	if [ "$rc" -ne "$want" ]; then
		notok "$what" "expected exit $want, got $rc" "$out"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
		notok "$what" "expected output matching: $pat" "$out"
	elif [ -n "$nopat" ] && grep -qE -- "$nopat" <<<"$out"; then
		notok "$what" "expected no output matching: $nopat" "$out"
	else
		ok "$what"
	fi
}

mkdir -p "$tmp/data/pii"
cat >"$tmp/clean.yaml" <<Y
version: 1
zones:
  eu: {cidrs: [10.10.0.0/16]}
classes:
  pii-eu:
    paths: [$tmp/data/pii]
    allow: [eu]
Y
cat >"$tmp/missing.yaml" <<Y
version: 1
zones:
  eu: {cidrs: [10.10.0.0/16]}
classes:
  pii-eu:
    paths: [$tmp/data/not-here]
    allow: [eu]
Y
expect "a clean policy passes --strict" 0 ': ok \(' 'warning' -- --strict "$tmp/clean.yaml"
expect "a missing class path is a warning" 0 "missing.yaml:6:13: warning: path .* does not exist" '' -- "$tmp/missing.yaml"
expect "--strict refuses a policy with a warning" 1 'invalid policy under --strict \(1 warning\)' '' -- --strict "$tmp/missing.yaml"
expect "--offline: no warning about class paths" 0 ': ok \(' 'does not exist' -- --offline "$tmp/missing.yaml"
expect "--offline --strict passes it" 0 ': ok \(' '' -- --offline --strict "$tmp/missing.yaml"
expect "the lints fixture fails --strict" 1 'system directory' '' -- --strict --offline "$top/tests/data/policy/good/lints.yaml"
expect "--max-age takes a number of days" 2 'max-age takes a number of days' '' -- --max-age soon "$tmp/clean.yaml"

# A range file downloaded 200 days ago.
cp "$top/tests/data/zones/aws-ip-ranges.json" "$tmp/aws.json"
touch -d '200 days ago' "$tmp/aws.json"
cat >"$tmp/ranges.yaml" <<Y
version: 1
zones:
  eu:
    ranges: [{file: $tmp/aws.json, format: aws, regions: ["eu-*"]}]
classes:
  pii-eu:
    paths: [$tmp/data/pii]
    allow: [eu]
Y
expect "a range file 200 days old: warning at its file: (default 90 days)" 0 "ranges.yaml:4:21: warning: range file .*aws.json was last modified 20[01] days ago" '' -- "$tmp/ranges.yaml"
expect "--max-age 365: no warning" 0 ': ok \(' 'last modified' -- --max-age 365 "$tmp/ranges.yaml"
expect "--max-age 0: never" 0 ': ok \(' 'last modified' -- --max-age 0 "$tmp/ranges.yaml"
touch "$tmp/aws.json"
expect "a fresh range file: no warning" 0 ': ok \(' 'last modified' -- --strict "$tmp/ranges.yaml"

# The location database's own creation date (Debian's libloc-database is
# the package's, years old on a stable release): --max-age just above its
# age is quiet, just below it warns.
db=/var/lib/location/database.db
cat >"$tmp/countries.yaml" <<Y
version: 1
zones:
  de: {countries: [DE]}
classes:
  pii-eu:
    paths: [$tmp/data/pii]
    allow: [de]
Y
out=$("$sovctl" policy check --max-age 1 --locdb "$db" "$tmp/countries.yaml" 2>&1)
days=$(sed -n 's/.*location database .* is \([0-9]*\) days old.*/\1/p' <<<"$out" | head -1)
if [ -n "$days" ] && grep -q "countries.yaml:3:20: warning: location database" <<<"$out"; then
	ok "a location database older than --max-age: warning at countries: ($days days)"
	expect "--max-age $((days + 1)): quiet" 0 ': ok \(' 'location database' -- --max-age $((days + 1)) --locdb "$db" "$tmp/countries.yaml"
	expect "--max-age $((days - 1)): warns" 0 "is $days days old" '' -- --max-age $((days - 1)) --locdb "$db" "$tmp/countries.yaml"
else
	notok "a location database older than --max-age 1 warns" "$out"
fi

# A policy in several files (docs/policy.md, "Includes"): checked whole,
# its warnings and errors printed at their own files' positions.
d=$top/tests/data/policy
expect "an included policy: ok, with its included files counted" 0 \
	"^$d/good/include.yaml: ok \(2 classes, 3 zones, 3 IPv4 and 1 IPv6 prefixes; 4 included files\)$" \
	"warning" -- --offline "$d/good/include.yaml"
expect "an included policy under --strict: the included file's path warning fails it" 1 \
	"^$d/good/../include/classes.yaml:5:13: warning: path '/srv/sovd-test/include/customers' does not exist" \
	'' -- --strict "$d/good/include.yaml"
expect "errors in an included file: named by that file" 1 \
	"^$d/bad/../include/bad/errors.yaml:10:13: error: prefix 10.10.0.0/16 of zone 'eu2' is already in zone 'eu' \($d/bad/include-errors.yaml:5:13\)" \
	'' -- "$d/bad/include-errors.yaml"

echo "1..$n"
[ $failed -eq 0 ]
