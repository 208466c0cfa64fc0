#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `sovctl policy explain --dst` names where a zone's prefix comes from
# beyond the policy's cidrs (issue 16): the zone file line, the range file
# entry with its region and the glob that selected it, and the location
# database's network, country and AS, checked against python3-location
# (libloc's own Python binding, an independent reader of the same database).
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
py=/usr/bin/python3
db=/var/lib/location/database.db
tmp=$(mktemp -d /tmp/sov-explain-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
has() { grep -qF -- "$1" <<<"$out"; }

mkdir -p "$tmp/data"
printf '# the US office\n\n192.0.2.0/24\n198.18.0.0/15   # the bench network\n' > "$tmp/us.txt"
cp "$top/tests/data/zones/aws-ip-ranges.json" "$tmp/aws.json"
cat > "$tmp/p.yaml" <<Y
version: 1
locdb: $db
zones:
  us:
    files: [$tmp/us.txt]
  aws-eu:
    ranges:
      - {file: $tmp/aws.json, format: aws, regions: [eu-*]}
  aws-af:
    ranges:
      - file: $tmp/aws.json
        format: aws
        regions: [us-*]
  de:
    countries: [EU]
  amzn:
    asns: [AS16509]
classes:
  c:
    paths: [$tmp/data]
    allow: [de]
Y

# a zone file: the file's own line and column, and the policy line naming it
out=$("$sovctl" policy explain "$tmp/p.yaml" --class c --dst 198.19.1.1:443 2>&1); rc=$?
if [ $rc -eq 0 ] && has "destination 198.19.1.1:443: zone us" &&
   has "  $tmp/us.txt:4:1 zone file of zone 'us' ($tmp/p.yaml:5:13): 198.18.0.0/15 holds it" &&
   ! has "us.txt:3:1"; then
	ok "explain: the zone file line that holds the address (not the other lines)"
else
	notok "explain: the zone file line" "exit $rc" "$out"
fi

# a range file: the entry, its region, the glob that chose it, the file's version;
# the same prefix listed for two services is shown once
out=$("$sovctl" policy explain "$tmp/p.yaml" --class c --dst 3.5.137.1 2>&1); rc=$?
col=$(awk 'NR == 8 { print index($0, "eu-*") }' "$tmp/p.yaml")
line="  $tmp/aws.json (aws, syncToken=1700000001 createDate=2023-11-14-22-13-09) range of zone 'aws-eu': 3.5.136.0/22, region 'eu-central-1', selected by 'eu-*' ($tmp/p.yaml:8:$col): holds it"
cnt=$(grep -cF -- "range of zone 'aws-eu': 3.5.136.0/22" <<<"$out")
if [ $rc -eq 0 ] && has "zone aws-eu" && has "$line" && [ "$cnt" = 1 ]; then
	ok "explain: the range entry, its region and the glob that selected it, once"
else
	notok "explain: the range entry" "exit $rc, $cnt lines" "want: $line" "$out"
fi
if has "range file of zone 'aws-af' ($tmp/p.yaml:11:9): 3.5.136.0/22, region 'eu-central-1', holds it but no region glob of the zone selects it"; then
	ok "explain: a range entry that holds the address but no glob of the zone selects"
else
	notok "explain: an unselected range entry" "$out"
fi

# the location database: network, country and AS as libloc's Python binding reads them
for a in 3.5.137.1 193.99.144.80 "2001:db8::1"; do
	want=$("$py" - "$db" "$a" <<'P'
import sys, location
n = location.Database(sys.argv[1]).lookup(sys.argv[2])
if n is None:
    print("no network holds it")
else:
    print("network %s, country %s, %s" % (n, n.country_code or "none",
          "AS%d" % n.asn if n.asn else "no AS"))
    print(n.country_code or "", n.asn or 0)
P
) || { notok "python3-location reads $db" "$want"; continue; }
	out=$("$sovctl" policy explain "$tmp/p.yaml" --class c --dst "$a" 2>&1); rc=$?
	first=$(head -n1 <<<"$want")
	read -r cc asn < <(tail -n1 <<<"$want")
	good=1
	has "location database $db (" || good=0
	grep -qF -- "): $first" <<<"$out" || good=0
	eu=0
	for m in AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE; do
		[ "$cc" = "$m" ] && eu=1
	done
	if [ $eu = 1 ]; then
		has "countries of zone 'de': EU holds it ($cc)" || good=0
	else
		has "countries of zone 'de'" && good=0
	fi
	if [ "$asn" = 16509 ]; then
		has "asns of zone 'amzn': AS16509 holds it (AS16509)" || good=0
	else
		has "asns of zone 'amzn'" && good=0
	fi
	if [ $rc -eq 0 ] && [ $good = 1 ]; then
		ok "explain $a: the location database's network, country and AS (as python3-location reads them) and the zones that list them"
	else
		notok "explain $a: the location database" "exit $rc, python3-location: $first ($cc $asn)" "$out"
	fi
done

# an address no source holds: no source lines, no precedence line
out=$("$sovctl" policy explain "$tmp/p.yaml" --class c --dst 192.0.2.200 2>&1)
if has "$tmp/us.txt:3:1 zone file of zone 'us'" && ! has "range of zone"; then
	ok "explain: only the sources that hold the address are named"
else
	notok "explain: only the holding sources" "$out"
fi

# a zone file named in an included file: the included file's line
mkdir -p "$tmp/inc"
cat > "$tmp/inc/lab.yaml" <<Y
zones:
  lab:
    files: [$tmp/lab.txt]
Y
printf '203.0.113.0/25\n' > "$tmp/lab.txt"
cat > "$tmp/root.yaml" <<Y
version: 1
include: [inc/*.yaml]
classes:
  c:
    paths: [$tmp/data]
    allow: [lab]
Y
out=$("$sovctl" policy explain "$tmp/root.yaml" --class c --dst 203.0.113.9 2>&1); rc=$?
if [ $rc -eq 0 ] && has "  $tmp/lab.txt:1:1 zone file of zone 'lab' ($tmp/inc/lab.yaml:3:13): 203.0.113.0/25 holds it" &&
   has "verdict: allow"; then
	ok "explain: a source named in an included file is reported with that file's line"
else
	notok "explain: a source from an included file" "exit $rc" "$out"
fi

echo "1..$n"
[ $failed -eq 0 ]
