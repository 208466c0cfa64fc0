#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `sovctl journal show` (issue 15): it verifies first and shows only what
# verified (a tampered journal or export: exit 1, nothing shown; records after
# the last checkpoint: not shown), says so with --no-verify, filters by time,
# type, verdict, class and pid, and -o json has "detail" as an object. Records
# carry the agent version. Journals written by tests/journal/jwriter.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
jwriter=$build/tests/journal/jwriter
tmp=$(mktemp -d /tmp/sov-show-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
bail() { echo "Bail out! $*"; exit 1; }
# count NAME WANT ARGS...: `journal show ARGS` exits 0 and prints WANT lines
count() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$sovctl" journal show "$@" 2>"$tmp/err"); rc=$?
	local got
	got=$(grep -c . <<<"$out")
	if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
		ok "$name ($want records)"
	else
		notok "$name" "expected exit 0 and $want lines, got exit $rc and $got lines" \
			"$(head -3 <<<"$out")" "$(cat "$tmp/err")"
	fi
}

"$sovctl" keygen --out "$tmp/k" --name sovd.test >/dev/null || bail "keygen"
# 60 records, one per ms from 2026-01-01T00:00:00Z: seq i is taint when
# i % 3 == 0, else egress, deny when i is odd, allow when even; pid 1000 +
# i % 50; classes pii-eu, and health-de when i is odd.
"$jwriter" --dir "$tmp/j" --key "$tmp/k.key" --host-id h --origin sovd.test/h --ckpt-records 10 \
	--time-base 1767225600000000000 --step-ns 1000000 --count 60 --agent-version 9.9.9-test ||
	bail "jwriter"
K=(--pubkey "$tmp/k.pub")

count "everything" 60 "$tmp/j" "${K[@]}"
count "--since (inclusive)" 30 "$tmp/j" "${K[@]}" --since 2026-01-01T00:00:00.030Z
count "--until (exclusive, as export)" 30 "$tmp/j" "${K[@]}" --until 2026-01-01T00:00:00.030Z
count "--since and --until" 10 "$tmp/j" "${K[@]}" --since 2026-01-01T00:00:00.010Z \
	--until 2026-01-01T00:00:00.020Z
count "--type taint" 20 "$tmp/j" "${K[@]}" --type taint
count "--type egress,taint (a comma list)" 60 "$tmp/j" "${K[@]}" --type egress,taint
count "--verdict deny" 20 "$tmp/j" "${K[@]}" --verdict deny
count "--verdict deny --verdict allow (repeated)" 40 "$tmp/j" "${K[@]}" --verdict deny --verdict allow
count "--class health-de" 30 "$tmp/j" "${K[@]}" --class health-de
count "--class nosuch" 0 "$tmp/j" "${K[@]}" --class nosuch
count "--pid 1001,1002" 4 "$tmp/j" "${K[@]}" --pid 1001,1002
count "filters together: --verdict deny --class health-de --pid 1001" 1 "$tmp/j" "${K[@]}" \
	--verdict deny --class health-de --pid 1001
out=$("$sovctl" journal show "$tmp/j" "${K[@]}" --pid 1001 --type egress -o json)
if grep -q '^{"seq":1,"type":"egress",.*"version":"9.9.9-test",.*"verified":true}$' <<<"$out"; then
	ok "-o json: the record with the agent version and \"verified\":true"
else
	notok "-o json record" "$out"
fi
"$sovctl" journal show "$tmp/j" --pid abc "${K[@]}" >/dev/null 2>&1
[ $? -eq 2 ] && ok "--pid abc: usage error" || notok "--pid abc: usage error"
"$sovctl" journal show "$tmp/j" --since yesterday "${K[@]}" >/dev/null 2>&1
[ $? -eq 2 ] && ok "--since with a bad time: usage error" || notok "--since bad time: usage error"

# detail holding a JSON object (sovd's agent events) is an object in -o json
"$jwriter" --dir "$tmp/d" --key "$tmp/k.key" --host-id h --origin sovd.test/h --count 2 \
	--detail '{"action":"start","kernel_path":"lsm","note":"a \"quoted\" word"}' || bail "jwriter"
"$jwriter" --dir "$tmp/t" --key "$tmp/k.key" --host-id h --origin sovd.test/h --count 1 \
	--detail 'start mode=lsm' || bail "jwriter"
out=$("$sovctl" journal show "$tmp/d" "${K[@]}" -o json | head -1)
if python3 -c 'import json,sys; r = json.loads(sys.argv[1]); assert r["detail"]["note"] == "a \"quoted\" word" and r["verified"] is True' "$out" 2>/dev/null; then
	ok "-o json: detail is a JSON object, not a string"
else
	notok "detail as an object" "$out"
fi
out=$("$sovctl" journal show "$tmp/t" "${K[@]}" -o json)
grep -q '"detail":"start mode=lsm","verified":true}$' <<<"$out" &&
	ok "-o json: a detail that is plain text stays a string" || notok "plain detail" "$out"

# --no-verify: said on stderr and in JSON
out=$("$sovctl" journal show "$tmp/j" --no-verify -o json 2>"$tmp/err"); rc=$?
if [ $rc -eq 0 ] && grep -q "NOT VERIFIED" "$tmp/err" && [ "$(grep -c '"verified":false}$' <<<"$out")" = 60 ]; then
	ok "--no-verify: exit 0, NOT VERIFIED on stderr, \"verified\":false in each record"
else
	notok "--no-verify" "exit $rc" "$(cat "$tmp/err")"
fi

# Tampered: exit 1, nothing shown.
cp -a "$tmp/j" "$tmp/bad"
seg=$tmp/bad/seg-000000.log
off=$(grep -abo '"pid":1001,' "$seg" | head -1 | cut -d: -f1)
printf '9' | dd of="$seg" bs=1 seek=$((off + 9)) conv=notrunc status=none
out=$("$sovctl" journal show "$tmp/bad" "${K[@]}" 2>"$tmp/err"); rc=$?
if [ $rc -eq 1 ] && [ -z "$out" ] && grep -q "INVALID, nothing shown" "$tmp/err"; then
	ok "a modified record: exit 1, nothing shown, says why"
else
	notok "tampered journal" "exit $rc" "$out" "$(cat "$tmp/err")"
fi
"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e.sovj" >/dev/null || bail "export"
count "an export verifies and shows" 60 "$tmp/e.sovj" "${K[@]}"
python3 - "$tmp/e.sovj" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b'"pid":1001,')
b[i + 9] = ord("9")
open(p, "wb").write(bytes(b))
PY
out=$("$sovctl" journal show "$tmp/e.sovj" "${K[@]}" 2>"$tmp/err"); rc=$?
if [ $rc -eq 1 ] && [ -z "$out" ]; then
	ok "a tampered export: exit 1, nothing shown"
else
	notok "tampered export" "exit $rc" "$(head -2 <<<"$out")" "$(cat "$tmp/err")"
fi
# Records after the last checkpoint are not shown (and it is said).
cp -a "$tmp/j" "$tmp/tail"
python3 -c '
import sys
sys.path.insert(0, sys.argv[2])
from jframes import frame
rec = b"{\"seq\":60,\"type\":\"agent\",\"time\":\"2026-01-01T00:00:01.000000000Z\",\"boot_ns\":1,\"host\":\"h\",\"boot\":\"x\",\"detail\":\"forged\"}"
open(sys.argv[1], "ab").write(frame("R", rec))
' "$tmp/tail/seg-000000.log" "$top/tests/journal"
out=$("$sovctl" journal show "$tmp/tail" "${K[@]}" 2>"$tmp/err"); rc=$?
if [ $rc -eq 0 ] && ! grep -q forged <<<"$out" && grep -q "1 record(s) after the last checkpoint .* not shown" "$tmp/err"; then
	ok "a record after the last checkpoint is not shown, and stderr says so"
else
	notok "unauthenticated tail" "exit $rc" "$(tail -2 <<<"$out")" "$(cat "$tmp/err")"
fi

# A journal being written: an incomplete frame at the end of the last
# segment (sovd mid-write) is tolerated; what the checkpoints sign is shown.
cp -a "$tmp/j" "$tmp/live"
printf '\x40\x00\x00\x00R\x00\x00\x00{"seq":60,' >> "$tmp/live/seg-000000.log"
count "a journal with a frame being written at its end: what is signed is shown" 60 \
	"$tmp/live" "${K[@]}"

echo "1..$n"
[ $failed -eq 0 ]
