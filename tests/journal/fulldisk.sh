#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Full disk: the writer on a small tmpfs runs out of space. It must fail
# closed (stop accepting records, exit non-zero, say so), the journal on
# disk must still verify, and once space is back a restart continues it.
# Needs root for mount; skipped otherwise.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
jwriter=$build/tests/journal/jwriter
tmp=$(mktemp -d /tmp/sov-full-XXXXXX)
mnt=$tmp/mnt
trap 'mountpoint -q "$mnt" && umount "$mnt"; rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

mkdir "$mnt"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=512k tmpfs "$mnt" 2>/dev/null; then
	echo "1..0 # SKIP needs root to mount a small tmpfs"
	exit 0
fi
"$sovctl" keygen --out "$tmp/k" --name sovd.full >/dev/null
opts=(--dir "$mnt/j" --key "$tmp/k.key" --host-id host-f --origin sovd.full/host-f --ckpt-ms 2 --tick-every 20 --sleep-us 20)
"$jwriter" "${opts[@]}" --count 100000000 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && ok "writer fails closed on a full disk (exit 1)" || notok "writer fails closed" "exit $rc" "$(cat "$tmp/err")"
grep -q "JOURNAL FAILED" "$tmp/err" && ok "it says so loudly" || notok "it says so" "$(cat "$tmp/err")"
grep -q "No space left on device" "$tmp/err" && ok "and why (ENOSPC)" || notok "and why" "$(cat "$tmp/err")"
grep -q "write_errors=[1-9]" "$tmp/err" && ok "the failure is counted" || notok "counted" "$(cat "$tmp/err")"
out=$("$sovctl" journal verify "$mnt/j" --pubkey "$tmp/k.pub" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "the journal on the full disk verifies" || notok "journal verifies" "exit $rc" "$out"
cp "$mnt/j/checkpoint" "$tmp/published"
before=$(sed -n 's/^  records: *\([0-9]*\).*/\1/p' <<<"$out")
[ "${before:-0}" -gt 0 ] && ok "it holds the $before records written before the disk filled" || notok "records kept" "$out"
mount -o remount,size=4m "$mnt"
"$jwriter" "${opts[@]}" --count 100 2>"$tmp/err2"; rc=$?
[ $rc -eq 0 ] && ok "with space back, a restart continues the journal" || notok "restart" "exit $rc" "$(cat "$tmp/err2")"
out=$("$sovctl" journal verify "$mnt/j" --pubkey "$tmp/k.pub" --checkpoint "$tmp/published" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "and it verifies, consistent with the checkpoint from before" || notok "verifies after restart" "exit $rc" "$out"
echo "1..$n"
[ $failed -eq 0 ]
