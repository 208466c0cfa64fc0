#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Library hygiene, read off the built archives with nm:
#  - every global symbol a library defines carries its prefix (libsovjournal:
#    sov_journal_ or sovj_; libsovpolicy: sov_ or sovp_), so linking them
#    into sovd, sovctl or a third program cannot clash on names such as
#    write_all or read_file;
#  - calls between a library's files point one way: no file calls into a
#    file that (directly or through others) calls it back.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
tmp=$(mktemp -d /tmp/sov-libcheck-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

check_lib() {	# archive, prefix regex, prefix text
	local a=$build/$1.a
	if [ ! -f "$a" ]; then
		notok "$1: prefixes" "expected $a (run make), got no file"
		notok "$1: no call cycles between files" "expected $a, got no file"
		return
	fi
	# "T sym" per defined global (text, data, bss, read-only...).
	nm -g --defined-only "$a" | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/defs"
	local total bad
	total=$(wc -l < "$tmp/defs")
	bad=$(grep -v -E "^($2)" "$tmp/defs" | tr '\n' ' ')
	if [ "$total" -gt 0 ] && [ -z "$bad" ]; then
		ok "$1: all $total global symbols start with $3"
	else
		notok "$1: all global symbols start with $3" \
			"expected none without the prefix among $total, got: ${bad:-no symbols at all}"
	fi

	# Member -> member edges: an undefined symbol of one object that
	# another object of the archive defines.
	nm -A -g --defined-only "$a" | awk 'NF == 3 { split($1, f, ":"); print "D", f[2], $3 }' > "$tmp/nm"
	nm -A -u "$a" | awk '{ split($1, f, ":"); print "U", f[2], $NF }' >> "$tmp/nm"
	local cyc
	cyc=$(python3 - "$tmp/nm" <<'PY'
import sys
defs, edges = {}, {}
rows = [l.split() for l in open(sys.argv[1])]
for k, f, s in rows:
    if k == "D":
        defs[s] = f
for k, f, s in rows:
    if k == "U" and s in defs and defs[s] != f:
        edges.setdefault(f, set()).add(defs[s])
# Tarjan's strongly connected components: any of size > 1 is a cycle.
index, low, stack, on, out = {}, {}, [], set(), []
def sc(v):
    index[v] = low[v] = len(index)
    stack.append(v); on.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            sc(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            out.append(" <-> ".join(sorted(comp)))
for v in sorted(set(edges) | {w for s in edges.values() for w in s}):
    if v not in index:
        sc(v)
print("; ".join(out))
PY
)
	if [ -z "$cyc" ]; then
		ok "$1: no call cycles between its files"
	else
		notok "$1: no call cycles between its files" "expected none, got: $cyc"
	fi
}

check_lib libsovjournal 'sov_journal_|sovj_' "sov_journal_ or sovj_"
check_lib libsovpolicy 'sov_|sovp_' "sov_ or sovp_"

# The check itself: a planted unprefixed global and a planted cycle fail.
cat > "$tmp/a.c" <<'C'
int helper_b(void);
int write_all(void) { return helper_b(); }
C
cat > "$tmp/b.c" <<'C'
int write_all(void);
int helper_b(void) { return 1; }
int sovj_b(void) { return write_all(); }
C
if cc -c -o "$tmp/a.o" "$tmp/a.c" && cc -c -o "$tmp/b.o" "$tmp/b.c" &&
   ar rcs "$tmp/libplanted.a" "$tmp/a.o" "$tmp/b.o"; then
	out=$(SOV_BUILD=$tmp build=$tmp; n=0; failed=0; check_lib libplanted 'sovj_' "sovj_")
	if grep -q '^not ok.*start with' <<<"$out" && grep -q 'write_all' <<<"$out" &&
	   grep -q '^not ok.*cycles' <<<"$out" && grep -q 'a.o <-> b.o' <<<"$out"; then
		ok "the check catches a planted unprefixed symbol and a planted cycle"
	else
		notok "the check catches a planted unprefixed symbol and a planted cycle" \
			"expected two 'not ok' naming write_all and a.o <-> b.o, got:" "$out"
	fi
else
	notok "the check catches a planted unprefixed symbol and a planted cycle" \
		"expected the planted archive to build, got a compiler error"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
