#!/bin/bash
# sovd with its journal on a full disk: it fails closed (says so, exits
# non-zero, leaves kernel enforcement pinned) and what is on disk verifies.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=$B/sovd SOVCTL=$B/sovctl SOVTEST=$B/tests/sovtest
TAG=jfull
. "$(dirname "$0")/smalljournal.sh"

# Each refused UDP send of a tainted process is a decision and a record
# (repeated allowed sends are aggregated into one record a second, issue 14:
# they would not fill the disk). 127.0.0.2 is in a zone c1 may not reach.
for _ in 1 2 3 4 5 6 7 8; do
	kill -0 "$sovd_pid" 2>/dev/null || break
	"$SOVTEST" "read:$T/data/a.csv" udp-flood:127.0.0.2:9:2000 > /dev/null 2>&1
	sleep 0.3
done
for _ in $(seq 50); do kill -0 "$sovd_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sovd_pid" 2>/dev/null; then
	ok 1 "sovd stops once the journal cannot be written"
	rc=0
else
	wait "$sovd_pid"; rc=$?
	sovd_pid=
	ok 0 "sovd stops once the journal cannot be written"
fi
[ "$rc" -ne 0 ]; ok $? "it exits non-zero (exit $rc)"
grep -q "JOURNAL FAILED" "$T/log"; ok $? "it says so: JOURNAL FAILED"
[ -e "$PIN/links" ] && [ -n "$(ls "$PIN/links")" ]; ok $? "kernel enforcement stays pinned (fail closed)"
"$SOVCTL" journal verify "$T/disk/journal" --pubkey "$T/k.pub" > "$T/verify" 2>&1
ok $? "the journal on the full disk still verifies"
grep -E "VALID" "$T/verify" | sed 's/^/# /'
echo "1..$n"
[ $failed -eq 0 ]
