#!/bin/bash
# make bench-journal: append and verification throughput of the journal on
# one core (taskset -c 0), checkpoints every second.
#   tools/bench/journal-bench.sh BUILD [RECORDS]
set -euo pipefail
build=$1
records=${2:-${JOURNAL_BENCH_RECORDS:-5000000}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/sovctl" keygen --out "$tmp/key" --name bench >/dev/null
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
echo "checkpoints every second:"
"${pin[@]}" "$build/journal-bench" "$tmp/journal" "$tmp/key.key" "$records"
start=$(date +%s.%N)
"$build/sovctl" journal verify "$tmp/journal" --pubkey "$tmp/key.pub" >/dev/null
end=$(date +%s.%N)
awk -v n="$records" -v s="$start" -v e="$end" \
	'BEGIN { printf "sovctl journal verify: %.0f records/s (wall, includes process start)\n", n / (e - s) }'
echo "checkpoints every second and every 10000 records (sovd's default):"
# Start from the same state: the first run's gigabyte out of the page cache
# and written back, so its writeback does not land on this run.
rm -rf "$tmp/journal"
sync
"${pin[@]}" "$build/journal-bench" "$tmp/journal" "$tmp/key.key" "$records" 10000 | grep '^append'
