#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The man pages (mk/packaging.mk, tools/gen-man: docs/man/ skeletons filled
# from docs/cli.md and docs/policy.md): each renders without a warning from
# groff (-ww) or man; every option of `sovd --help`'s synopsis is an entry
# of sovd(8)'s OPTIONS; every command of `sovctl --help` has its section in
# sovctl(8), and every option of its `--help` is an entry there; every
# top-level key of the policy's JSON Schema is an entry of sovd-policy(5).
# So neither the binaries nor the docs can drift from the pages. No root.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${SOV_BUILD:-$top/build}
SOVD=$B/sovd SOVCTL=$B/sovctl MAN=$B/man
T=$(mktemp -d /tmp/sovd-man.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; [ "$1" = 0 ]; }
diag() { sed 's/^/#   /' "$@"; }

for tool in groff man python3; do
	command -v $tool > /dev/null || { echo "not ok 1 - needs $tool (tools/install-deps --test)"; echo "1..1"; exit 1; }
done

# render PAGE: plain text, lines long enough that no entry wraps
render() { groff -k -t -man -Tutf8 -P-cbou -rLL=250n "$1" 2> /dev/null; }
# section TEXT-FILE REGEX: the lines under the first heading matching REGEX
# (a .SH at column 0, a .SS at column 3) up to the next heading
section() {
	awk -v re="$2" '
		/^[^ ]/ || /^   [^ ]/ { if (on) exit; if ($0 ~ re) { on = 1; next } }
		on' "$1"
}
# entries FILE: the terms of a definition list (column 7, starting with -)
is_entry() { # is_entry SECTION-FILE OPTION
	grep -Eq -- "^ {7}(-[a-zA-Z], )?$2([ ,]|$)" "$1"
}

for p in sovd.8 sovctl.8 sovd-policy.5; do
	f=$MAN/$p
	[ -s "$f" ]; ok $? "$p was built" || continue
	groff -k -t -man -Tutf8 -ww -z "$f" > "$T/w" 2>&1
	[ ! -s "$T/w" ]; ok $? "$p: groff -ww renders it without a warning" || diag "$T/w"
	MANWIDTH=80 man -l "$f" > /dev/null 2> "$T/w"
	[ ! -s "$T/w" ]; ok $? "$p: man -l renders it at 80 columns without a warning" || diag "$T/w"
	head -3 "$f" | grep -q "^\.TH $(echo "${p%.*}" | tr a-z A-Z) ${p##*.} "
	ok $? "$p: .TH names it, section ${p##*.}"
done

# sovd(8): the options of the usage synopsis are OPTIONS entries; every
# option --help names is somewhere in the page.
render "$MAN/sovd.8" > "$T/sovd.txt"
section "$T/sovd.txt" '^OPTIONS$' > "$T/sovd.opts"
"$SOVD" --help > "$T/sovd.help"
missing=
for o in $(sed '/^$/q' "$T/sovd.help" | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u); do
	is_entry "$T/sovd.opts" "$o" || missing="$missing $o"
done
[ -z "$missing" ]; ok $? "sovd(8): every option of sovd --help's synopsis is an OPTIONS entry${missing:+ (missing:$missing)}"
missing=
for o in $(grep -oE -- '--[a-z0-9][a-z0-9-]*' "$T/sovd.help" | sort -u); do
	grep -Fq -- "$o" "$T/sovd.txt" || missing="$missing $o"
done
[ -z "$missing" ]; ok $? "sovd(8): every option sovd --help names is in the page${missing:+ (missing:$missing)}"
section "$T/sovd.txt" '^SYNOPSIS$' | grep -q 'sovd --policy FILE'
ok $? "sovd(8): SYNOPSIS is the synopsis of docs/cli.md"

# sovctl(8): each command of sovctl --help has a section; each option of
# its --help is an entry of that section (-h/--help: every command's, said
# once under "Global options").
render "$MAN/sovctl.8" > "$T/sovctl.txt"
"$SOVCTL" --help | sed -n '/^commands:/,$p' | sed -n 's/^  sovctl //p' |
	sed 's/\[--socket PATH\] //' | awk '{ c = $1; if ($2 ~ /^[a-z]+$/) c = c " " $2; print c }' |
	sort -u > "$T/cmds"
nc=$(wc -l < "$T/cmds")
[ "$nc" -ge 20 ]; ok $? "sovctl --help lists the commands ($nc)"
nosec= badopt=
while read -r cmd; do
	# a heading "sovctl CMD ..." or "..., sovctl CMD" (sovctl help, sovctl version)
	section "$T/sovctl.txt" "^   (.*, )?sovctl $cmd([ ,]|\$)" > "$T/sec"
	if ! grep -Eq "^   (.*, )?sovctl $cmd([ ,]|\$)" "$T/sovctl.txt"; then
		nosec="$nosec '$cmd'"
		continue
	fi
	# shellcheck disable=SC2086
	"$SOVCTL" $cmd --help 2> /dev/null | sed -n '/^options:/,/^$/p' |
		grep -oE -- '^(  -[a-zA-Z], |      )--[a-z0-9][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' > "$T/opts"
	while read -r o; do
		[ "$o" = --help ] && continue
		is_entry "$T/sec" "$o" || badopt="$badopt '$cmd $o'"
	done < "$T/opts"
done < "$T/cmds"
[ -z "$nosec" ]; ok $? "sovctl(8): a section for every command of sovctl --help${nosec:+ (missing:$nosec)}"
[ -z "$badopt" ]; ok $? "sovctl(8): every option of each command's --help is an entry of its section${badopt:+ (missing:$badopt)}"
section "$T/sovctl.txt" '^ *Global options$' > "$T/glob"
is_entry "$T/glob" --help && is_entry "$T/glob" --socket && is_entry "$T/glob" --version
ok $? "sovctl(8): Global options has --socket, --version, -h/--help"

# sovd-policy(5): the schema's top-level keys are entries of "Top level".
render "$MAN/sovd-policy.5" > "$T/policy.txt"
section "$T/policy.txt" '^Top level$' > "$T/top"
missing=
for k in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["properties"]))' "$top/policy/schema.json"); do
	grep -Eq "^ {7}$k( |$)" "$T/top" || missing="$missing $k"
done
[ -z "$missing" ]; ok $? "sovd-policy(5): every top-level key of policy/schema.json is an entry of Top level${missing:+ (missing:$missing)}"

# gen-man fails on a heading the docs no longer have, rather than leaving a
# section out.
printf '%% X 8\n\n# OPTIONS\n\n@include docs/cli.md "## no such heading" 1\n' > "$T/x.8.md"
"$top/tools/gen-man" "$T/x.8.md" v > "$T/x.8" 2> "$T/err"
rc=$?
[ $rc != 0 ] && grep -q 'no heading "## no such heading" in docs/cli.md' "$T/err"
ok $? "gen-man: a missing heading is an error that names it (exit $rc)" || diag "$T/err"
# and the pages are what gen-man makes of the docs now
for p in sovd.8 sovctl.8 sovd-policy.5; do
	ver=$(sed -n 's/^\.TH [^ ]* [0-9] "[^"]*" "sovd \([^"]*\)".*/\1/p' "$MAN/$p")
	"$top/tools/gen-man" "$top/docs/man/$p.md" "$ver" > "$T/$p" 2> "$T/err"
	cmp -s "$T/$p" "$MAN/$p"; ok $? "$p is current: gen-man of docs/ gives the same bytes (rebuild with make)"
done

echo "1..$n"
[ "$failed" = 0 ]
