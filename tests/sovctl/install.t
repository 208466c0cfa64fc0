#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `make install-files DESTDIR=... PREFIX=/usr` (what `make install` runs
# after building everything) installs exactly the expected files
# (binaries, man pages, completions, schema, docs, the systemd unit), with
# the modes wanted, PREFIX put into the unit's and the pages' paths; man
# finds the installed pages through a MANPATH. Runs make in the source tree
# on the build directory under test (already built: nothing is compiled).
# No root.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${SOV_BUILD:-$top/build}
T=$(mktemp -d /tmp/sovd-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; [ "$1" = 0 ]; }
diag() { sed 's/^/#   /' "$@"; }

D=$T/root
# a make of its own: not the jobserver of a make that runs this test
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top" -s BUILD="$B" DESTDIR="$D" PREFIX=/usr install-files \
	> "$T/out" 2>&1
rc=$?
ok $rc "make install DESTDIR=... PREFIX=/usr exits 0 (got $rc)" || diag "$T/out"

(cd "$D" && find . -type f | sed 's|^\./|/|' | sort) > "$T/got"
{
	printf '%s\n' /usr/sbin/sovd /usr/bin/sovctl /usr/bin/sovd-verify \
		/etc/sovd/policy.yaml.example /usr/share/sovd/policy.schema.json \
		/usr/share/sovd/openlineage-sovd-facet.schema.json \
		/usr/share/bash-completion/completions/sovctl /usr/share/zsh/vendor-completions/_sovctl \
		/usr/lib/systemd/system/sovd.service \
		/usr/share/man/man8/sovd.8 /usr/share/man/man8/sovctl.8 /usr/share/man/man5/sovd-policy.5
	for f in "$top"/docs/*.md; do echo "/usr/share/doc/sovd/${f##*/}"; done
} | sort > "$T/want"
diff "$T/want" "$T/got" > "$T/diff"
ok $? "the installed files are exactly the expected $(wc -l < "$T/want")" || diag "$T/diff"

modes=$(stat -c '%a %n' "$D/usr/sbin/sovd" "$D/usr/bin/sovctl" "$D/usr/lib/systemd/system/sovd.service" \
	"$D/usr/share/man/man8/sovd.8" | sed "s|$D||" | tr '\n' ' ')
[ "$modes" = "755 /usr/sbin/sovd 755 /usr/bin/sovctl 644 /usr/lib/systemd/system/sovd.service 644 /usr/share/man/man8/sovd.8 " ]
ok $? "modes: binaries 755, unit and pages 644 (got $modes)"

U=$D/usr/lib/systemd/system/sovd.service
grep -q '^ExecStart=/usr/sbin/sovd ' "$U" && grep -q '^ExecStartPre=/usr/bin/sovctl policy check' "$U" &&
	! grep -q /usr/local/ "$U"
ok $? "the unit's paths are under PREFIX=/usr, none under /usr/local" || grep -n 'Exec\|/usr' "$U" | diag
! grep -q /usr/local/ "$D/usr/share/man/man8/sovd.8"; ok $? "sovd(8) names /usr/share/doc/sovd, not /usr/local"

bash -n "$D/usr/share/bash-completion/completions/sovctl"; ok $? "the bash completion installed parses"
head -1 "$D/usr/share/zsh/vendor-completions/_sovctl" | grep -qx '#compdef sovctl'
ok $? "the zsh completion installed is a #compdef file"

if command -v man > /dev/null; then
	for p in 8:sovd 8:sovctl 5:sovd-policy; do
		MANPATH=$D/usr/share/man MANWIDTH=80 man "${p%%:*}" "${p#*:}" 2> "$T/err" | head -5 > "$T/page"
		grep -q "^NAME" "$T/page" && [ ! -s "$T/err" ]
		ok $? "man ${p%%:*} ${p#*:} finds the installed page" || diag "$T/page" "$T/err"
	done
else
	echo "not ok $((n + 1)) - man is missing (tools/install-deps --test installs man-db)"; n=$((n + 1)); failed=$((failed + 1))
fi

echo "1..$n"
[ "$failed" = 0 ]
