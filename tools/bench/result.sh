# make bench: results and their JSON (sourced by tools/bench/suite.sh and
# tests/bench/harness.t). POSIX sh + awk.
#
# Results are lines of $BENCH_RES, tab-separated:
#   name  unit  value  baseline  ratio  note
# An empty value, baseline or ratio is JSON null. The ratio is value /
# baseline unless the benchmark gives its own (syscall_added_ns: with /
# without, since its value is a difference).

: "${BENCH_RES:=${TMPDIR:-/tmp}/bench-results.$$}"

# median of the numbers on stdin (empty input: nothing)
bench_median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_put NAME UNIT VALUE [BASELINE [RATIO [NOTE]]]
bench_put() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" "${5:-}" "${6:-}" >> "$BENCH_RES"
}

# bench_null NAME UNIT REASON: a figure this machine cannot measure
bench_null() {
	printf '%s: not measured: %s\n' "$1" "$3"
	bench_put "$1" "$2" "" "" "" "not measured: $3"
}

# bench_table: the results as a table on stdout
bench_table() {
	awk -F '\t' '
	function f(x) { return x == "" ? "-" : sprintf("%.4g", x) }
	function r(v, b, x) {
		if (x != "") return x
		if (v == "" || b == "" || b + 0 == 0) return ""
		return v / b
	}
	BEGIN { printf "%-24s %-10s %12s %12s %8s  %s\n", "name", "unit", "value", "baseline", "ratio", "note" }
	{ printf "%-24s %-10s %12s %12s %8s  %s\n", $1, $2, f($3), f($4), f(r($3, $4, $5)), $6 }' "$BENCH_RES"
}

# bench_json OUT: the results as a JSON list of {name, unit, value, baseline,
# ratio}; a field that is not a number is null.
bench_json() {
	awk -F '\t' '
	function num(x) {
		if (x ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) return sprintf("%.6g", x)
		return "null"
	}
	function str(x) { gsub(/[\\"]/, "\\\\&", x); return "\"" x "\"" }
	BEGIN { printf "[" }
	{
		v = num($3); b = num($4); r = num($5)
		if (r == "null" && v != "null" && b != "null" && b + 0 != 0) r = sprintf("%.6g", v / b)
		printf "%s\n  {\"name\": %s, \"unit\": %s, \"value\": %s, \"baseline\": %s, \"ratio\": %s}",
			(NR > 1 ? "," : ""), str($1), str($2), v, b, r
	}
	END { printf "%s]\n", (NR ? "\n" : "") }' "$BENCH_RES" > "$1.tmp" && mv "$1.tmp" "$1"
}
