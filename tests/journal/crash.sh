#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Crash loop: kill -9 the writer at random points (JOURNAL_CRASH_ROUNDS, at
# least 50); some rounds also leave a torn frame behind, as a crash in the
# middle of a write would. After each restart the journal must verify, be
# consistent with the last checkpoint published before the crash (so only
# the unsigned tail can have been lost), and say what recovery dropped.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
jwriter=$build/tests/journal/jwriter
rounds=${JOURNAL_CRASH_ROUNDS:-50}
tmp=$(mktemp -d /tmp/sov-crash-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT

n=0
failed=0

# A SIGKILL can itself leave a partial frame: the kernel stops a multi-page
# write() between pages when a fatal signal is pending. The recovery then
# cuts that tail and the garbage appended after it, so the record must say
# at least the appended bytes (no signed record may be lost: the checks of
# the records kept and of the verification say that).
cut_at_least() {
	local got
	got=$(sed -n 's/.*"type":"recovery".*torn_bytes=\([0-9]*\) .*/\1/p' <<<"$2")
	[ -n "$got" ] && [ "$got" -ge "$1" ]
}
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

"$sovctl" keygen --out "$tmp/k" --name sovd.crash >/dev/null
j=$tmp/j
RANDOM=${JOURNAL_CRASH_SEED:-4242}
prev=0
for ((r = 1; r <= rounds; r++)); do
	opts=(--dir "$j" --key "$tmp/k.key" --host-id host-c --origin sovd.crash/host-c
	      --segment-max 65536 --ckpt-records 300 --ckpt-ms 10 --tick-every 50)
	[ $((r % 4)) -eq 0 ] && opts+=(--compress)
	"$jwriter" "${opts[@]}" --forever 2>>"$tmp/log" &
	pid=$!
	# The first round starts from nothing: on a loaded machine the writer
	# may not have published its first checkpoint within the random delay,
	# and a crash before any checkpoint proves nothing. Wait for one (5 s
	# at most), then crash at a random point.
	for ((w = 0; w < 500; w++)); do
		[ -s "$j/checkpoint" ] && break
		sleep 0.01
	done
	sleep "0.0$((RANDOM % 9 + 1))$((RANDOM % 10))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	pid=
	# The last checkpoint published before the crash: what an auditor
	# could have copied off the host.
	cp "$j/checkpoint" "$tmp/published" 2>/dev/null || { notok "round $r: no checkpoint published"; continue; }
	torn=0
	if [ $((r % 3)) -eq 0 ]; then
		last=$(ls "$j" | grep '^seg-.*\.log$' | tail -1)
		torn=$((RANDOM % 300 + 1))
		head -c $torn /dev/urandom >>"$j/$last"
	fi
	if ! "$jwriter" "${opts[@]}" --count 0 2>>"$tmp/log"; then
		notok "round $r: restart after kill -9" "$(tail -3 "$tmp/log")"
		continue
	fi
	out=$("$sovctl" journal verify "$j" --pubkey "$tmp/k.pub" --checkpoint "$tmp/published" 2>&1); rc=$?
	if [ $rc -ne 0 ]; then
		notok "round $r: journal verifies after restart" "exit $rc" "$out"
		continue
	fi
	size=$(sed -n 2p "$tmp/published")
	records=$(sed -n 's/^  records: *\([0-9]*\).*/\1/p' <<<"$out")
	lastrec=$("$sovctl" journal show "$j" --pubkey "$tmp/k.pub" -o json | tail -1)
	if [ "$records" -lt "$size" ] || [ "$records" -lt "$prev" ]; then
		notok "round $r: records kept" "published checkpoint size $size, previous $prev, now $records"
	elif [ $torn -gt 0 ] && ! cut_at_least "$torn" "$lastrec"; then
		notok "round $r: recovery record says at least the $torn appended bytes were cut" "$lastrec"
	else
		note="$records records"
		[ $torn -gt 0 ] && note+=", cut $torn torn bytes"
		ok "round $r: killed after checkpoint $size, restarted, verified ($note)"
	fi
	prev=$records
done
recoveries=$("$sovctl" journal show "$j" --pubkey "$tmp/k.pub" -o json | grep -c '"type":"recovery"')
[ "$recoveries" -ge $((rounds / 3)) ] && ok "$recoveries recovery records in the journal" ||
	notok "recovery records in the journal" "got $recoveries for $rounds rounds"
echo "1..$n"
[ $failed -eq 0 ]
