#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `sovctl completion bash|zsh` (issue 16): the script is generated from the
# command tables; bash runs it on simulated command lines and offers the
# commands, subcommands, each command's options and an option's values.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
tmp=$(mktemp -d /tmp/sov-compl-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

"$sovctl" completion bash >"$tmp/bash" || notok "completion bash exits 0"
"$sovctl" completion zsh >"$tmp/zsh" || notok "completion zsh exits 0"
if bash -n "$tmp/bash"; then ok "the bash script parses"; else notok "the bash script parses"; fi
if head -1 "$tmp/zsh" | grep -qx '#compdef sovctl' && grep -q bashcompinit "$tmp/zsh"; then
	ok "the zsh script is a #compdef file using bashcompinit"
else
	notok "zsh script header" "$(head -3 "$tmp/zsh")"
fi
"$sovctl" completion fish >/dev/null 2>&1
if [ $? -eq 2 ]; then ok "completion fish: usage error"; else notok "completion fish: exit 2"; fi

# complete LINE: what bash offers for LINE (the cursor at its end; a line
# ending in a space completes an empty word).
complete_line() {
	bash -c '
		source "$1"
		read -ra COMP_WORDS <<<"$2"
		case $2 in *" ") COMP_WORDS+=("") ;; esac
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_sovctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	' sh "$tmp/bash" "$1"
}
check() { # check LINE WORD... : every WORD is offered
	local got missing="" w
	got=$(complete_line "$1")
	shift 0
	for w in "${@:2}"; do
		[[ " $got " == *" $w "* ]] || missing="$missing $w"
	done
	if [ -z "$missing" ]; then ok "'$1' offers ${*:2}"; else notok "'$1' offers ${*:2}" "missing:$missing" "got: $got"; fi
}
check "sovctl " status watch policy journal zone keygen completion
check "sovctl pol" policy
check "sovctl policy " check compile test explain diff schema apply
check "sovctl policy check --" --strict --offline --max-age --locdb --help
check "sovctl --socket /tmp/s policy apply --" --dry-run
check "sovctl journal verify --" --pubkey --checkpoint
check "sovctl status -o " text json
check "sovctl policy test -o j" junit
check "sovctl watch --" --type --verdict --class --zone --pid --comm --dst --port --cgroup --pod --since --no-follow
check "sovctl watch -o " compact json ndjson
got=$(complete_line "sovctl policy check --max-age ")
if [[ " $got " != *" --strict "* ]]; then ok "after an option that takes a value, no options are offered"; else notok "after --max-age: no options" "$got"; fi

# Every command of --help has its options in the script.
missing="" count=0
while read -r cmd; do
	count=$((count + 1))
	grep -qF "\"$cmd\")" "$tmp/bash" || missing="$missing '$cmd'"
done < <("$sovctl" --help | sed -n 's/^  sovctl //p' | sed 's/^\[--socket PATH\] //' |
	sed -n 's/^\([a-z]*\( [a-z]*\)\{0,1\}\)\( .*\)\{0,1\}$/\1/p' | sed 's/ \[.*//; s/ [A-Z].*//')
if [ -z "$missing" ] && [ $count -ge 15 ]; then
	ok "all $count commands of sovctl --help are in the script"
else
	notok "every command is in the script ($count found)" "missing:$missing"
fi

echo "1..$n"
[ $failed -eq 0 ]
