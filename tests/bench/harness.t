#!/bin/sh
# make bench's harness, smoke only (a benchmark is not a test: no timing is
# asserted): the JSON writer on made-up results, then the suite's journal
# group with a tiny count, whose JSON must hold its two names with numbers.
: "${SOV_TOP:=.}"
: "${SOV_BUILD:=$SOV_TOP/build}"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { d=$1; shift; if "$@" > /dev/null 2>&1; then ok "$d"; else not_ok "$d" "failed: $*"; fi; }

echo "1..7"
t=$(mktemp -d /tmp/sovbench-t.XXXXXX) || exit 1
trap 'rm -rf "$t"' EXIT
command -v jq > /dev/null || { echo "Bail out! jq is not installed"; exit 1; }

BENCH_RES=$t/res
. "$SOV_TOP/tools/bench/result.sh"
: > "$BENCH_RES"
bench_put with_base ns 1200 1000
bench_put no_base records/s 622000
bench_put own_ratio ns 39 89.6 1.435 'a note, with "quotes"'
bench_null unmeasured ms 'auditd is not installed' > "$t/null.out"
bench_json "$t/a.json"
check "the writer's JSON parses as a list of 4" \
	jq -e 'type == "array" and length == 4' "$t/a.json"
check "every object has exactly name, unit, value, baseline, ratio" \
	jq -e 'all(.[]; keys == ["baseline", "name", "ratio", "unit", "value"])' "$t/a.json"
check "ratio = value / baseline; null without a baseline; a given ratio kept" \
	jq -e '.[0].ratio == 1.2 and .[1].baseline == null and .[1].ratio == null and .[2].ratio == 1.435' "$t/a.json"
if jq -e '.[3].value == null and .[3].ratio == null' "$t/a.json" > /dev/null &&
	grep -q 'unmeasured: not measured: auditd is not installed' "$t/null.out"; then
	ok "an unmeasurable figure is null and its reason printed"
else
	not_ok "an unmeasurable figure is null and its reason printed" "$(cat "$t/null.out")"
fi

if [ ! -x "$SOV_BUILD/journal-bench" ] || [ ! -x "$SOV_BUILD/sovctl" ]; then
	not_ok "suite (journal group) runs" "journal-bench or sovctl not built in $SOV_BUILD"
	not_ok "suite JSON has journal_append and journal_verify as numbers"
	exit 1
fi
if BENCH_QUICK=1 BENCH_ONLY=journal BENCH_JOURNAL_RECORDS=20000 BENCH_JSON=$t/suite.json \
	SOV_BUILD=$SOV_BUILD SOV_TOP=$SOV_TOP sh "$SOV_TOP/tools/bench/suite.sh" > "$t/suite.out" 2>&1; then
	ok "suite (journal group, 20000 records) runs"
else
	not_ok "suite (journal group, 20000 records) runs" "$(cat "$t/suite.out")"
fi
check "suite JSON has journal_append and journal_verify as numbers" \
	jq -e '[.[] | select(.name == "journal_append" or .name == "journal_verify") | .value | numbers] | length == 2' "$t/suite.json"
check "suite JSON has journal_verify_export with its floor as the baseline" \
	jq -e '[.[] | select(.name == "journal_verify_export") | .value, .baseline | numbers] | length == 2' "$t/suite.json"
[ $failed = 0 ]
