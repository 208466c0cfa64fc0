#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The policy language's JSON Schema (policy/schema.json, `sovctl policy
# schema`) against a real JSON Schema validator (Debian python3-jsonschema,
# draft-07, as editors' YAML language servers use it): it must be a valid
# schema, accept every example and good policy of the suite, and agree with
# `sovctl policy check` on every bad policy except those whose fault a
# schema cannot express (listed below with the reason; each must still be
# refused by policy check and accepted by the schema, so the list cannot
# rot).
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
schema=$top/policy/schema.json
tmp=$(mktemp -d /tmp/sov-schema-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# Debian's python3 (tools/install-deps --test installs python3-jsonschema
# and python3-yaml for it); another python3 on PATH only if it has both.
py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import jsonschema, yaml' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	echo "not ok 1 - python3 with jsonschema and yaml (tools/install-deps --test installs python3-jsonschema python3-yaml)"
	exit 1
fi
check="$py $top/tests/policy/schema_check.py $schema"

# Faults no JSON Schema can see: YAML aliases and duplicate keys (a YAML
# loader resolves or merges them before validation), cross-references
# (allow names an undefined zone), prefix arithmetic (host bits,
# IPv4-mapped, one prefix in two zones under two spellings) and files.
declare -A semantic=(
	[alias]="YAML alias (resolved by the loader)"
	[channels-duplicate]="duplicate key (merged by the loader)"
	[class-duplicate-key]="duplicate key"
	[duplicate-top-key]="duplicate key"
	[duplicate-zone]="duplicate key"
	[duplicate-zone-many]="duplicate key"
	[class-allow-undefined]="allow names an undefined zone"
	[conflict-and-other-errors]="a prefix in two zones, an undefined zone"
	[zone-same-prefix]="a prefix in two zones"
	[zone-same-prefix-v6-spelling]="a prefix in two zones, two spellings"
	[zone-host-bits]="host bits set"
	[zone-v6-host-bits]="host bits set"
	[zone-v4-mapped]="IPv4-mapped IPv6 prefix"
	[zone-file-missing]="a zone file that does not exist"
	[zone-file-conflict]="a prefix of a zone file in another zone"
	[zone-file-errors]="errors inside a zone file"
	[include-missing]="an included file that does not exist"
	[include-glob-none]="an include glob that matches no file"
	[include-self]="a policy that includes itself"
	[include-cycle]="included files that include each other"
	[include-duplicate]="a zone and a class defined in two files"
	[include-errors]="errors inside an included file"
	[include-syntax]="a YAML syntax error inside an included file"
)

out=$($check 2>&1)
rc=$?
if [ $rc -eq 0 ]; then ok "policy/schema.json is a valid draft-07 JSON Schema"; else notok "schema is valid draft-07" "$out"; fi

if "$sovctl" policy schema | cmp -s - "$schema"; then
	ok "sovctl policy schema prints policy/schema.json"
else
	notok "sovctl policy schema prints policy/schema.json"
fi

# Each file: the schema's verdict next to policy check's. The suite's
# fixtures name their data directory @DATA@ (tests/unit/policy/test_bad.c).
files=()
mkdir -p "$tmp/good" "$tmp/bad" "$tmp/examples"
# The files fixtures include (../include/...), where the copies find them.
ln -s "$top/tests/data/policy/include" "$tmp/include"
for f in "$top"/policy/examples/*.yaml "$top"/tests/data/policy/good/*.yaml "$top"/tests/data/policy/bad/*.yaml; do
	d=$(basename "$(dirname "$f")")
	sed -e "s|@DATA@|$top/tests/data/policy|g" -e "s|@FILE@|$tmp/$d/$(basename "$f")|g" "$f" >"$tmp/$d/$(basename "$f")"
	files+=("$tmp/$d/$(basename "$f")")
done
$check "${files[@]}" >"$tmp/schema.out" 2>&1
agree=0 disagree=()
for f in "${files[@]}"; do
	line=$(grep -F -m1 "$f " "$tmp/schema.out")
	case "$line" in "$f valid") s=valid ;; "$f invalid"*) s=invalid ;; *) s="missing" ;; esac
	if "$sovctl" policy check "$f" >/dev/null 2>&1; then c=valid; else c=invalid; fi
	base=$(basename "$f" .yaml)
	case "$f" in */bad/*) want=invalid ;; *) want=valid ;; esac
	if [ "$c" != "$want" ]; then
		disagree+=("$f: policy check says $c, the suite expects $want")
	elif [ -n "${semantic[$base]:-}" ] && [ "$want" = invalid ]; then
		if [ "$s" = valid ]; then
			agree=$((agree + 1))
		else
			disagree+=("$f: listed as beyond a schema (${semantic[$base]}), but the schema refuses it: ${line#"$f "}; take it off the list")
		fi
	elif [ "$s" = "$c" ]; then
		agree=$((agree + 1))
	else
		disagree+=("$f: policy check $c, schema ${line#"$f "}")
	fi
done
if [ ${#disagree[@]} -eq 0 ]; then
	ok "schema and policy check agree on ${agree} policies (${#semantic[@]} of them beyond a schema, listed)"
else
	notok "schema and policy check agree on every policy" "${disagree[@]}"
fi

# Included files that say 'version: 1' are checked in editors with the
# same schema (docs/policy.md, "Includes"): those of the suite pass it.
frags=()
while IFS= read -r f; do
	grep -q '^version: 1$' "$f" && frags+=("$f")
done < <(find "$top/tests/data/policy/include" -name '*.yaml' ! -path '*/bad/*' | sort)
out=$($check "${frags[@]}" 2>&1)
if [ ${#frags[@]} -ge 2 ] && ! grep -q ' invalid' <<<"$out"; then
	ok "the schema accepts the ${#frags[@]} included files that say version: 1"
else
	notok "the schema accepts included files that say version: 1" "expected at least 2, all valid; got:" "$out"
fi

# Mistakes an editor should flag, each refused by both.
i=0
while IFS='|' read -r what body; do
	i=$((i + 1))
	printf '%b' "$body" >"$tmp/m$i.yaml"
	s=$($check "$tmp/m$i.yaml")
	if "$sovctl" policy check "$tmp/m$i.yaml" >/dev/null 2>&1; then c=valid; else c=invalid; fi
	case "$s" in *" invalid"*) sv=invalid ;; *) sv=valid ;; esac
	if [ "$sv" = invalid ] && [ "$c" = invalid ]; then
		ok "both refuse: $what"
	else
		notok "both refuse: $what" "schema: $s" "policy check: $c"
	fi
done <<'EOF_CASES'
derive: yes (only true/false are booleans)|version: 1\nclasses:\n  c:\n    paths: [/d]\n    allow: []\n    derive: yes\n
version 2|version: 2\n
a zone with no source|version: 1\nzones:\n  eu: {}\n
an upper-case class name|version: 1\nclasses:\n  PII:\n    paths: [/d]\n    allow: []\n
a class named any|version: 1\nclasses:\n  any:\n    paths: [/d]\n    allow: []\n
a relative path|version: 1\nclasses:\n  c:\n    paths: [data]\n    allow: []\n
unknown channel|version: 1\nclasses:\n  c:\n    paths: [/d]\n    allow: []\n    channels: {icmp: allow}\n
a prefix longer than 32|version: 1\nzones:\n  eu:\n    cidrs: [10.0.0.0/33]\n
a leading zero in IPv4|version: 1\nzones:\n  eu:\n    cidrs: [010.0.0.0/8]\n
a range without regions|version: 1\nzones:\n  c:\n    ranges: [{file: /r.json, format: aws}]\n
an unknown range format|version: 1\nzones:\n  c:\n    ranges: [{file: /r.json, format: ibm, regions: [x]}]\n
a misspelt key|version: 1\nclases: {}\n
include as one string, not a list|version: 1\ninclude: zones.yaml\n
EOF_CASES

echo "1..$n"
[ $failed -eq 0 ]
