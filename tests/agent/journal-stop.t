#!/bin/bash
# The journal fails at shutdown (the stop record or the final checkpoint
# find the disk full): sovd must not call that a clean stop. It says
# JOURNAL FAILED, exits 2 and leaves kernel enforcement pinned.
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=${SOVD:-$B/sovd} SOVCTL=$B/sovctl
TAG=jstop
. "$(dirname "$0")/smalljournal.sh"
# The start records are checkpointed; then the disk fills up behind sovd's back.
sleep 1.5
dd if=/dev/zero of="$T/disk/filler" bs=4k 2> /dev/null
[ "$(df --output=avail "$T/disk" | tail -1)" -eq 0 ]; ok $? "the journal's disk is full"
kill -0 "$sovd_pid" 2>/dev/null; ok $? "sovd still runs (nothing was written since)"
kill -TERM "$sovd_pid"
for _ in $(seq 100); do kill -0 "$sovd_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$sovd_pid" 2>/dev/null; then
	rc=running
else
	wait "$sovd_pid"; rc=$?
	sovd_pid=
fi
[ "$rc" = 2 ]; ok $? "SIGTERM with a journal that cannot take the stop record: exit 2 (got $rc)"
grep -q "JOURNAL FAILED" "$T/log"; ok $? "it says JOURNAL FAILED"
[ -e "$PIN/links" ] && [ -n "$(ls "$PIN/links" 2>/dev/null)" ]; ok $? "kernel enforcement stays pinned"
[ $failed -eq 0 ] || sed 's/^/# /' "$T/log" | tail -20
echo "1..$n"
[ $failed -eq 0 ]
