#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# sovctl's command line, without a daemon: every command and subcommand
# answers --help on stdout with exit 0, refuses an unknown option or a missing
# value with exit 2 and its usage on stderr, takes --opt VALUE and --opt=VALUE
# alike, stops at --; --version names the build's version; status and watch
# show the kernel path from "kernel_path", or from "mode" of an older sovd
# (answered here by a stand-in for sovd's socket).
set -uo pipefail
TOP=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${SOV_BUILD:-$TOP/build}
S=$B/sovctl
JWRITER=$B/tests/journal/jwriter
T=$(mktemp -d /tmp/sovctl-cli.XXXXXX)
fake_pid=
cleanup() {
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

n=0 failed=0
why=()
report() { # NAME: one TAP line from what ${why[@]} holds
	n=$((n + 1))
	if [ ${#why[@]} -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=$((failed + 1))
		printf '#   %s\n' "${why[@]}"
	fi
	why=()
}
match() { # WHAT PATTERN FILE; PATTERN: ERE, EMPTY, or "" for no check
	case $2 in
	'') ;;
	EMPTY) [ ! -s "$3" ] || why+=("expected nothing on $1, got: $(head -c 400 "$3")") ;;
	*) grep -qE -- "$2" "$3" || why+=("expected /$2/ on $1, got: $(head -c 400 "$3")") ;;
	esac
}
# expect NAME WANT_RC STDOUT_PATTERN STDERR_PATTERN CMD...
expect() {
	local name=$1 want=$2 opat=$3 epat=$4 rc
	shift 4
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	[ "$rc" = "$want" ] || why+=("expected exit $want, got $rc" "command: $*")
	match stdout "$opat" "$T/out"
	match stderr "$epat" "$T/err"
	report "$name"
}
bail() { echo "Bail out! $*"; exit 1; }

[ -x "$S" ] || bail "$S is not built"
[ -x "$JWRITER" ] || bail "$JWRITER is not built"

# --- every command and family answers --help and -h ---------------------
# The commands are read from `sovctl --help` (so a new one is tested without
# editing this file), then checked against the list the CLI must have.
"$S" --help > "$T/top" 2>&1 || bail "sovctl --help failed: $(cat "$T/top")"
mapfile -t cmds < <(sed -n '/^commands:/,$p' "$T/top" | grep '^  sovctl ' |
	sed -e 's/^  sovctl //' -e 's/^\[--socket PATH\] //' |
	awk '{ s = ""; for (i = 1; i <= NF && $i ~ /^[a-z]+$/; i++) s = s (s ? " " : "") $i; print s }')
want_cmds="status watch policy check|policy compile|policy apply|keygen|journal verify|journal export|journal show|zone lookup|help|version"
got_cmds=$(IFS='|'; echo "${cmds[*]}")
for c in status watch "policy check" "policy compile" "policy apply" keygen "journal verify" \
	 "journal export" "journal show" "zone lookup" help version; do
	[[ "|$got_cmds|" == *"|$c|"* ]] || why+=("expected '$c' among the commands of sovctl --help")
done
[ ${#why[@]} -eq 0 ] || why+=("want: $want_cmds" "got:  $got_cmds")
report "sovctl --help lists every command (${#cmds[@]})"

families=$(printf '%s\n' "${cmds[@]}" | awk 'NF == 2 { print $1 }' | sort -u)
for c in "" "${cmds[@]}" $families; do
	for h in --help -h; do
		# shellcheck disable=SC2086 # word splitting of "$c" is the point
		expect "sovctl${c:+ $c} $h: exit 0, usage on stdout, nothing on stderr" 0 \
			"^usage: sovctl .*${c:+$c}" EMPTY "$S" $c $h
		cat "$T/out" >> "$T/allhelp"
	done
done
wide=$(awk 'length > 79' "$T/allhelp")
[ -z "$wide" ] || why+=("expected no help line over 79 columns, got:" "$wide")
report "every --help fits in 80 columns"
expect "sovctl help: the top-level usage" 0 "^usage: sovctl .*COMMAND" EMPTY "$S" help
expect "sovctl help journal verify: that command's usage" 0 "^usage: sovctl journal verify" EMPTY \
	"$S" help journal verify
expect "sovctl help policy: the family's usage" 0 "sovctl policy check" EMPTY "$S" help policy
expect "sovctl help nosuch: exit 2" 2 EMPTY "no command 'nosuch'" "$S" help nosuch
expect "sovctl without a command: exit 2, usage on stderr" 2 EMPTY "^usage: sovctl" "$S"

# --help after other arguments still only prints the usage (permuted).
(cd "$T" && "$S" policy check --help > "$T/out" 2> "$T/err"); rc=$?
[ $rc -eq 0 ] || why+=("expected exit 0, got $rc")
match stdout "^usage: sovctl policy check" "$T/out"
match stderr EMPTY "$T/err"
grep -q "failed to open" "$T/out" "$T/err" && why+=("expected no attempt to open a file named --help")
report "policy check --help prints the usage and opens no file"
(cd "$T" && "$S" policy check -- --help > "$T/out" 2> "$T/err"); rc=$?
[ $rc -eq 1 ] || why+=("expected exit 1, got $rc")
match stderr "^--help: error: failed to open policy" "$T/err"
report "policy check -- --help: after --, --help is a file name"
expect "policy compile FILE --help: the usage, no compile" 0 "^usage: sovctl policy compile" EMPTY \
	"$S" policy compile "$TOP/policy/examples/demo.yaml" --help

# --- unknown options and missing values: exit 2, usage on stderr --------
for c in "" "${cmds[@]}" $families; do
	# shellcheck disable=SC2086
	expect "sovctl${c:+ $c} --no-such-option: exit 2, the cause on stderr" 2 EMPTY \
		"unrecognized option '--no-such-option'" "$S" $c --no-such-option
	match stderr "^usage: sovctl${c:+.* $c}" "$T/err"
	report "sovctl${c:+ $c} --no-such-option: its usage on stderr"
done
expect "status -o without a value: exit 2" 2 EMPTY "option requires an argument -- 'o'" \
	"$S" status -o
match stderr "^usage: sovctl \[--socket PATH\] status" "$T/err"
report "status -o without a value: the usage on stderr"
expect "journal verify --pubkey without a value: exit 2" 2 EMPTY "'--pubkey' requires an argument" \
	"$S" journal verify "$T" --pubkey
expect "keygen without --out: exit 2, names the option" 2 EMPTY "--out PREFIX is required" "$S" keygen
expect "journal export without --journal: exit 2" 2 EMPTY "--journal DIR is required" \
	"$S" journal export --out "$T/x.sovj"
expect "zone lookup with a bad address: exit 2 (unchanged)" 2 EMPTY "'10.1.1.300' is not an IPv4" \
	"$S" zone lookup --policy "$TOP/policy/examples/demo.yaml" 10.1.1.300
expect "policy compile -o yaml: exit 2 (unchanged)" 2 EMPTY "unknown output format 'yaml'" \
	"$S" policy compile "$TOP/policy/examples/demo.yaml" -o yaml

# --- version --------------------------------------------------------------
v=$(sed -n 's/^#define SOV_VERSION "\(.*\)"$/\1/p' "$B/sov_version.h")
[ -n "$v" ] || bail "no SOV_VERSION in $B/sov_version.h"
expect "sovctl --version: 'sovctl $v'" 0 "^sovctl ${v//./\\.}\$" EMPTY "$S" --version
[ "$(cat "$T/out")" = "sovctl $v" ] || why+=("expected exactly 'sovctl $v', got '$(cat "$T/out")'")
report "sovctl --version prints that one line"
expect "sovctl version: 'sovctl $v'" 0 "^sovctl ${v//./\\.}\$" EMPTY "$S" version

# --- --opt=VALUE and --opt VALUE on a real journal ------------------------
expect "keygen --out=PREFIX --name=NAME" 0 "wrote $T/k.key" "" "$S" keygen --out="$T/k" --name=sovd.cli
expect "keygen --out PREFIX --name NAME" 0 "wrote $T/other.key" "" "$S" keygen --out "$T/other" --name sovd.cli
"$JWRITER" --dir "$T/j" --key "$T/k.key" --host-id host-cli --origin sovd.cli/host-cli \
	--ckpt-records 10 --count 50 --time-base 1767225600000000000 --step-ns 1000000 \
	> "$T/jw" 2>&1 || bail "jwriter failed: $(cat "$T/jw")"
expect "journal verify --pubkey=FILE: valid with that key" 0 "VALID" "" \
	"$S" journal verify "$T/j" --pubkey="$T/k.pub"
! grep -q "WARNING" "$T/out" ||
	why+=("expected the key given, not the journal's own: $(cat "$T/out")")
report "journal verify --pubkey=FILE: no warning that the journal's own key was used"
expect "journal verify --pubkey FILE: valid with that key" 0 "VALID" "" \
	"$S" journal verify "$T/j" --pubkey "$T/k.pub"
expect "journal verify --pubkey=OTHER: exit 1, the key is used" 1 "INVALID" "" \
	"$S" journal verify "$T/j" --pubkey="$T/other.pub"
expect "journal verify --pubkey OTHER: exit 1, the key is used" 1 "INVALID" "" \
	"$S" journal verify "$T/j" --pubkey "$T/other.pub"
expect "journal verify --pubkey=FILE -- PATH" 0 "VALID" "" \
	"$S" journal verify --pubkey="$T/k.pub" -- "$T/j"
cp "$T/j/checkpoint" "$T/ck1"
cp "$T/j/checkpoint" "$T/ck2"
expect "journal verify PATH --checkpoint A B: both files are checkpoints" 0 \
	"2 given checkpoint\(s\) consistent" "" \
	"$S" journal verify "$T/j" --pubkey "$T/k.pub" --checkpoint "$T/ck1" "$T/ck2"
expect "journal verify PATH --checkpoint=A --checkpoint B" 0 "2 given checkpoint\(s\) consistent" "" \
	"$S" journal verify "$T/j" --pubkey "$T/k.pub" --checkpoint="$T/ck1" --checkpoint "$T/ck2"
expect "journal verify with two PATHs: exit 2" 2 EMPTY "unexpected argument" \
	"$S" journal verify "$T/j" "$T/j"
for o in --output=json "--output json" "-o json" -ojson; do
	# shellcheck disable=SC2086
	expect "journal verify $o: one JSON object" 0 '^\{"valid":true,"kind":"journal"' EMPTY \
		"$S" journal verify "$T/j" --pubkey="$T/k.pub" $o
done
expect "journal export --journal=DIR --out=FILE --since=TIME" 0 "^exported" "" \
	"$S" journal export --journal="$T/j" --out="$T/e.sovj" --since=2026-01-01T00:00:00.010Z
expect "journal export --journal DIR --out FILE --until TIME" 0 "^exported" "" \
	"$S" journal export --journal "$T/j" --out "$T/e2.sovj" --until 2026-01-01T00:00:00.030Z
expect "journal verify of the export with --output=json: its window" 0 \
	'"kind":"export".*"window":\{"since":1767225600010000000,"until":null\}' "" \
	"$S" journal verify --output=json --pubkey="$T/k.pub" "$T/e.sovj"
for o in --output=json "--output json"; do
	# shellcheck disable=SC2086
	expect "journal show $o: records as JSON" 0 '^\{.*"seq":0' EMPTY \
		"$S" journal show "$T/j" --pubkey "$T/k.pub" $o
done
expect "journal show: text by default" 0 '^0 +2026-01-01T00:00:00' EMPTY \
	"$S" journal show "$T/j" --pubkey="$T/k.pub"
# Exit codes a script can trust (issue 15): nothing authenticated, exit 2.
expect "journal verify without --pubkey: exit 2, says why" 2 EMPTY "no --pubkey.*--insecure-no-key" \
	"$S" journal verify "$T/j"
expect "journal verify --insecure-no-key: exit 0, warns on both streams" 0 "WARNING" "WARNING.*insecure" \
	"$S" journal verify "$T/j" --insecure-no-key
expect "journal show without --pubkey: exit 2, says why" 2 EMPTY "no --pubkey.*--no-verify" \
	"$S" journal show "$T/j"
expect "journal show --no-verify: shown, and said on stderr" 0 '^0 +2026' "NOT VERIFIED" \
	"$S" journal show "$T/j" --no-verify
for o in --output=json "--output json"; do
	# shellcheck disable=SC2086
	expect "policy compile $o: JSON" 0 '^\{' "" "$S" policy compile $o "$TOP/policy/examples/demo.yaml"
done
expect "zone lookup --policy=FILE" 0 "^10\.10\.1\.1 eu$" "" \
	"$S" zone lookup --policy="$TOP/policy/examples/demo.yaml" 10.10.1.1
# IPv6 addresses that embed an IPv4 one are judged as the kernel judges
# them (sov/addr.h): v4-mapped, NAT64 and 6to4 by it, 64:ff9b:1::/48 unknown.
for c in "::ffff:10.20.1.1 us" "64:ff9b::10.10.1.1 eu" "64:ff9b::a14:101 us" \
	"2002:a14:101::1 us" "2002:a0a:101::1 eu" "64:ff9b:1::a0a:101 unknown" "2003:a0a:101::1 unknown"; do
	a=${c% *}
	expect "zone lookup $a: ${c#* }" 0 "^$(echo "$a" | sed 's/\./\\./g') ${c#* }\$" "" \
		"$S" zone lookup --policy "$TOP/policy/examples/demo.yaml" "$a"
done

# --- status and watch against a stand-in for sovd --------------------------
# fake_sovd REPLY_FILE: answers one connection on $T/s with the file's bytes.
fake_sovd() {
	rm -f "$T/s"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c, _ = s.accept(); open(sys.argv[3], "wb").write(c.recv(8192)); c.sendall(open(sys.argv[2], "rb").read()); c.close()
' "$T/s" "$1" "$T/req" &
	fake_pid=$!
	for _ in $(seq 100); do [ -S "$T/s" ] && return 0; sleep 0.05; done
	bail "the stand-in for sovd did not listen on $T/s"
}
settle() { wait "$fake_pid" 2>/dev/null; fake_pid=; }

st='"state":"enforcing","pid":1,"policy":{"path":"/p.yaml","sha256":"ab","generation":2},"journal":"ok"'
echo "{$st,\"kernel_path\":\"lsm\"}" > "$T/st-new"
echo "{$st,\"mode\":\"tracing\"}" > "$T/st-old"
echo "{\"state\":\"enforcing-journal-failed\",\"kernel_path\":\"tracing\"}" > "$T/st-failed"
fake_sovd "$T/st-new"
expect "status: 'kernel path: lsm' from \"kernel_path\"" 0 "^kernel path: lsm$" EMPTY \
	"$S" --socket="$T/s" status
settle
fake_sovd "$T/st-old"
expect "status from an older sovd: 'kernel path: tracing' from \"mode\"" 0 "^kernel path: tracing$" EMPTY \
	"$S" --socket "$T/s" status
settle
fake_sovd "$T/st-new"
expect "status --output=json: sovd's document as it is" 0 '"kernel_path":"lsm"' EMPTY \
	"$S" --socket "$T/s" status --output=json
settle
fake_sovd "$T/st-failed"
expect "status while the journal failed: exit 1 (unchanged)" 1 "^state: +enforcing-journal-failed$" EMPTY \
	"$S" --socket "$T/s" status -o text
settle
expect "status without sovd: exit 2 (unchanged)" 2 EMPTY "cannot reach sovd" "$S" --socket "$T/s" status

ev='"time":"2026-01-01T00:00:00.000000000Z","type":"agent","pid":7,"comm":"sovd","action":"start"'
{ echo "{$ev,\"kernel_path\":\"lsm\"}"; echo "{$ev,\"mode\":\"tracing\"}"
  echo '{"time":"2026-01-01T00:00:01.000000000Z","type":"egress","verdict":"deny","pid":8,"comm":"curl","classes":["pii-eu"],"proto":"tcp","dst":"10.20.0.1","dport":443,"zone":"us"}'
} > "$T/ev"
fake_sovd "$T/ev"
expect "watch: the kernel path of agent events from kernel_path, else mode" 0 \
	"start kernel_path=lsm$" "closed the event stream" "$S" --socket "$T/s" watch -o compact
match stdout "start kernel_path=tracing$" "$T/out"
report "watch: an older sovd's mode shows as the kernel path"
settle
[ "$(cat "$T/req")" = "watch" ] || why+=("a plain watch sends 'watch', got: $(cat "$T/req")")
report "watch without filters sends the plain request (older sovds take it)"

# issue 16: the filter travels to sovd, which applies it; sovctl prints
# what comes (here the stand-in sends everything).
fake_sovd "$T/ev"
expect "watch (stdout not a terminal): sovd's lines as they came (ndjson)" 0 "" \
	"closed the event stream" "$S" --socket "$T/s" watch --type=egress --verdict deny,audit \
	--class 'pii eu' --zone us --pid 8 --comm curl --dst 10.20.0.0/16 --dst fd00::1 --port 443 \
	--cgroup /kubepods.slice --cgroup 1234 --pod 0f2a6c1e-3b7d --since 5
cmp -s "$T/out" "$T/ev" || why+=("expected the stand-in's lines, got: $(head -c 300 "$T/out")")
settle
want='watch type=egress verdict=deny,audit class=pii%20eu zone=us pid=8 comm=curl dst=10.20.0.0/16,fd00::1 port=443 cgroup=/kubepods.slice,1234 pod=0f2a6c1e-3b7d since=5'
[ "$(cat "$T/req")" = "$want" ] || why+=("expected the request: $want" "got: $(cat "$T/req")")
report "watch sends every filter in one request line (repeated options and lists alike)"

fake_sovd "$T/ev"
expect "watch -o json: each event as an indented object" 0 '^  "type": "egress",$' "" \
	"$S" --socket "$T/s" watch -o json
settle
python3 -c '
import json, sys
s = open(sys.argv[1]).read(); d = json.JSONDecoder(); i = n = 0
while s[i:].strip():
	o, j = d.raw_decode(s, i); n += 1; i = j
	while i < len(s) and s[i].isspace(): i += 1
assert n == 3, n
' "$T/out" 2> "$T/py" || why+=("python3 cannot read 3 JSON objects: $(cat "$T/py")")
report "watch -o json: python3 reads the three objects back"

fake_sovd "$T/ev"
expect "watch --since 2 --no-follow: the replay, then exit 0 without a note" 0 "" EMPTY \
	"$S" --socket "$T/s" watch --since 2 --no-follow -o ndjson
settle
[ "$(cat "$T/req")" = "watch since=2 follow=0" ] || why+=("got the request: $(cat "$T/req")")
report "watch --no-follow sends follow=0"

printf 'error\nunknown request\n' > "$T/refused"
fake_sovd "$T/refused"
expect "watch --pod at a sovd without filters: exit 2, says so" 2 EMPTY \
	"sovd refused the watch request: unknown request \(this sovd predates watch filters" \
	"$S" --socket "$T/s" watch --pod abc
settle
printf 'error\nno cgroup with id 99 below the cgroup2 mount\n' > "$T/refused"
fake_sovd "$T/refused"
expect "watch: sovd's refusal is printed, exit 2" 2 EMPTY \
	"sovd refused the watch request: no cgroup with id 99" "$S" --socket "$T/s" watch --cgroup 99
settle

# Bad values: refused before connecting (no sovd at $T/none), exit 2.
for c in "--type egres|unknown event type 'egres'" "--verdict refused|unknown verdict" \
	"--pid 12x|pid '12x' is not a process id" "--port 70000|not a port number" \
	"--dst 10.0.0.0/40|not an address or CIDR" "--dst host.example|not an address or CIDR" \
	"--comm abcdefghijklmnopq|longer than the kernel's 15 bytes" \
	"--cgroup kubepods|neither a path" "--since x|not a number of events" \
	"--class a,,b|an empty value" "--no-follow|--no-follow needs --since" \
	"-o yaml|-o must be compact, json or ndjson"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	expect "watch ${c%%|*}: exit 2 before connecting" 2 EMPTY "${c#*|}" \
		"$S" --socket "$T/none" watch ${c%%|*}
done
long=$(printf 'c%.0s' $(seq 200))
args=()
for _ in $(seq 30); do args+=(--class "$long"); done
expect "watch with a filter longer than sovd takes: exit 2, says so" 2 EMPTY \
	"the filter is too long: sovd takes a request of at most 4224 bytes" \
	"$S" --socket "$T/none" watch "${args[@]}"

echo "1..$n"
[ $failed -eq 0 ]
