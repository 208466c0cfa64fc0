#!/bin/bash
# The kernel matrix (`make vmtest`) as TAP: one test per boot, named by the
# guest's summary line. A failing boot shows the tail of its serial log.
# Runs under tools/run-tests (SOV_BUILD, SOV_TOP set) or from the top
# directory with the default build dir.
set -uo pipefail
top=${SOV_TOP:-$(pwd)}
build=${SOV_BUILD:-$top/build}

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP qemu-system-x86_64 not installed"
	exit 0
fi

out=$build/vmtest/run.out
mkdir -p "$build/vmtest"
"$top/tools/vmtest/run" "$build" "$top" > "$out" 2>&1
rc=$?
results=$build/vmtest/results
if [ ! -s "$results" ]; then
	# The matrix never got to boot (kernel fetch or image build failed).
	echo "1..1"
	echo "not ok 1 - vmtest matrix ran (exit $rc)"
	sed 's/^/# /' "$out" >&2
	exit 1
fi

n=$(wc -l < "$results")
echo "1..$n"
i=0
while IFS=$'\t' read -r name verdict secs log why summary; do
	i=$((i + 1))
	if [ "$verdict" = PASS ]; then
		echo "ok $i - $name: $summary (${secs}s)"
	else
		echo "not ok $i - $name: $summary (${secs}s)"
		# On stderr, so that prove shows it without -v.
		{
			echo "# $name: $why"
			echo "# from $log (failed tests with their first diagnostics, then the end):"
			tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | awk '
				/^not ok / { n = 16 }
				n > 0 && (/^not ok / || /^#/) { print; n--; next }
				{ n = 0 }' | head -n 120 | sed 's/^/#   /'
			echo "#   ..."
			tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | tail -n 8 | sed 's/^/#   /'
			# A kernel that oopsed or panicked: its first report (the tail
			# alone shows only the registers of the last frame).
			tr -d '\r' < "$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | awk '
				!seen && /(BUG:|Oops|Kernel panic|general protection|WARNING:|soft lockup|rcu_sched|hung_task|Out of memory|oom-kill)/ { seen = 1; n = 48; print "#   kernel report:" }
				n > 0 { print "#   " $0; n-- }'
		} >&2
	fi
done < "$results"
[ "$rc" -eq 0 ]
