#!/bin/bash
# What a metrics scrape costs sovd's event loop (issue 16, docs/performance.md
# "Metrics"). sovd enforces a policy of NC classes and NZ zones; one process
# holding every class is refused once per zone, which makes NC x NZ series of
# sovd_decisions_total. Then:
#   1. the render time per scrape, from sovd's own counters
#      (sovd_metrics_render_seconds_total / sovd_metrics_scrapes_total), and
#      the body's size, over SCRAPES back-to-back scrapes;
#   2. a flood of FLOOD refused connects (an egress event each), ROUNDS
#      times each way, alternating: without a scraper; with a scraper
#      fetching the same body back to back from another server (python3's
#      http.server: the client's own cost on this machine, the baseline);
#      with that scraper on sovd's port. Each: how long until the events
#      file holds every record (the loop's drain), events lost
#      (sovd_events_lost_total), scrapes sovd answered meanwhile.
# Run as root from the repository, with curl and python3 (SOV_BUILD, default
# build; NC, NZ, SCRAPES, FLOOD, ROUNDS as above):
#   make bench-metrics   or   bash tools/bench/metrics-scrape.sh
set -uo pipefail
B=${SOV_BUILD:-build}
SOVD=$B/sovd SOVCTL=$B/sovctl SOVTEST=$B/tests/sovtest
NC=${NC:-60} NZ=${NZ:-100} SCRAPES=${SCRAPES:-200} FLOOD=${FLOOD:-20000} ROUNDS=${ROUNDS:-3}
T=$(mktemp -d /tmp/sovd-mbench.XXXXXX)
PIN=/sys/fs/bpf/sovd-mbench-$$
PORT=$((20000 + $$ % 12000))
sovd_pid= scraper= web=
cleanup() {
	[ -n "$scraper" ] && kill "$scraper" 2>/dev/null
	[ -n "$web" ] && kill "$web" 2>/dev/null
	[ -n "$sovd_pid" ] && kill -9 "$sovd_pid" 2>/dev/null && wait "$sovd_pid" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
die() { echo "metrics-scrape: $*" >&2; exit 1; }
scrape() { curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics"; }
value() { scrape | awk -v s="$1" '$1 == s { print $2 }'; }
now() { date +%s.%N; }

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/www"
{
	echo "version: 1"
	echo "zones:"
	for z in $(seq 0 $((NZ - 1))); do echo "  z$z: {cidrs: [127.1.$z.0/24]}"; done
	echo "classes:"
	for c in $(seq 0 $((NC - 1))); do
		mkdir -p "$T/d$c" && echo x > "$T/d$c/f"
		echo "  c$c: {paths: [$T/d$c], allow: [z0]}"
	done
} > "$T/p.yaml"
"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --journal none \
	--events "$T/ev" --metrics "127.0.0.1:$PORT" 2> "$T/log" &
sovd_pid=$!
for _ in $(seq 100); do "$SOVCTL" --socket "$T/s" status > /dev/null 2>&1 && break; sleep 0.1; done
"$SOVCTL" --socket "$T/s" status > /dev/null 2>&1 || { cat "$T/log" >&2; die "sovd did not start"; }

reads=() zones=()
for c in $(seq 0 $((NC - 1))); do reads+=("read:$T/d$c/f"); done
for z in $(seq 1 $((NZ - 1))); do zones+=("connects:127.1.$z.1:9:1"); done
"$SOVTEST" "${reads[@]}" "${zones[@]}" > /dev/null
want=$((NC * (NZ - 1)))
for _ in $(seq 50); do
	series=$(scrape | grep -c '^sovd_decisions_total{')
	[ "$series" -ge "$want" ] && break
	sleep 0.1
done
echo "series of sovd_decisions_total: $series (want $want)"

s0=$(value sovd_metrics_scrapes_total) r0=$(value sovd_metrics_render_seconds_total)
t0=$(now)
for _ in $(seq "$SCRAPES"); do scrape > /dev/null; done
t1=$(now)
s1=$(value sovd_metrics_scrapes_total) r1=$(value sovd_metrics_render_seconds_total)
bytes=$(scrape | wc -c)
awk -v s0="$s0" -v s1="$s1" -v r0="$r0" -v r1="$r1" -v t0="$t0" -v t1="$t1" -v b="$bytes" \
	'BEGIN { printf "render: %.0f us per scrape in the loop (%d scrapes), body %d bytes, %.2f ms per scrape with starting curl\n",
		 (r1 - r0) / (s1 - s0) * 1e6, s1 - s0, b, (t1 - t0) / (s1 - s0 - 1) * 1e3 }'

# one scrape as the client sees it: connected, first byte, last byte
for _ in 1 2 3; do
	curl -s -o /dev/null --max-time 10 -w 'client: connect %{time_connect} s, first byte %{time_starttransfer} s, whole body %{time_total} s\n' \
		"http://127.0.0.1:$PORT/metrics"
done

# flood: refused connects of a process holding c1 to zone z1, an event each
scrape > "$T/www/metrics"
WPORT=$((PORT + 1))
(cd "$T/www" && exec python3 -m http.server --bind 127.0.0.1 "$WPORT" > /dev/null 2>&1) &
web=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$WPORT/metrics" && break; sleep 0.1; done
flood() { # flood none|other|sovd: prints "seconds_to_drain lost scrapes missing"
	local lines0 lost0 sc0 t0 t1 want lines
	lines0=$(wc -l < "$T/ev") lost0=$(value sovd_events_lost_total) sc0=$(value sovd_metrics_scrapes_total)
	if [ "$1" != none ]; then
		local p=$PORT
		[ "$1" = other ] && p=$WPORT
		( while :; do curl -s --max-time 10 -o /dev/null "http://127.0.0.1:$p/metrics"; done ) &
		scraper=$!
	fi
	t0=$(now)
	"$SOVTEST" "read:$T/d1/f" "connects:127.1.1.1:9:$FLOOD" > /dev/null
	want=$((lines0 + FLOOD + 1))	# + the taint record
	for _ in $(seq 3000); do
		lines=$(wc -l < "$T/ev")
		[ "$lines" -ge "$want" ] && break
		sleep 0.01
	done
	t1=$(now)
	if [ -n "$scraper" ]; then kill "$scraper"; wait "$scraper" 2>/dev/null; scraper=; fi
	awk -v t0="$t0" -v t1="$t1" -v l="$(value sovd_events_lost_total)" -v l0="$lost0" \
		-v s="$(value sovd_metrics_scrapes_total)" -v s0="$sc0" -v got="$lines" -v want="$want" \
		'BEGIN { printf "%.3f %d %d %d\n", t1 - t0, l - l0, s - s0 - 2, want - got }'
}
echo "flood of $FLOOD refused connects: seconds until every record is written, events lost, scrapes meanwhile, records missing"
for r in $(seq "$ROUNDS"); do
	echo "round $r no scraper:             $(flood none)"
	echo "round $r scraper on python3:     $(flood other)"
	echo "round $r scraper on sovd:        $(flood sovd)"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
