#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Retention (docs/journal-format.md section 12): a multi-segment journal
# written through libsovjournal (jwriter) is pruned with `sovctl journal
# prune`; the rest must verify, proofs of kept records must hold against
# checkpoints signed before and after the prune, exports of pruned ranges
# must say so, pruning must wait for an export unless --force, an
# interrupted prune must leave a journal that verifies, and segments
# removed by hand (no prune record) must fail verification. Every
# `sovctl journal verify` here is asked of tools/sovd-verify too (a copy of
# its path, in one process at the end: svbatch.py): same exit status.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
jwriter=$build/tests/journal/jwriter
tmp=$(mktemp -d /tmp/sov-prune-XXXXXX)
[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
# A `sovctl journal verify PATH ARGS` kept for sovd-verify (--checkpoint
# takes one file per flag there).
ncase=0
svcase() {	# svcase WANT NAME PATH [ARGS]
	local want=$1 name=$2 path=$3 c a ck=0 args=()
	shift 3
	ncase=$((ncase + 1)); c=$tmp/cases/$ncase
	mkdir -p "$c"; cp -a "$path" "$c/"
	for a in "$@"; do
		case $a in
		--checkpoint) ck=1 ;;
		--*) ck=0; args+=("$a") ;;
		*) if [ $ck = 1 ]; then args+=(--checkpoint "$a"); else args+=("$a"); fi ;;
		esac
	done
	(IFS=$'\t'; echo "$want	$name	$c/$(basename "$path")${args[*]:+	${args[*]}}") >>"$tmp/cases.list"
}
# check NAME WANT_RC PATTERN CMD...: exit status and a line of its output
check() {
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	if [ "$1" = "$sovctl" ] && [ "$2 $3" = "journal verify" ] && [ "$want" -le 1 ]; then
		svcase "$want" "$name" "${@:4}"
	fi
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq "$want" ] && grep -qE -- "$pat" <<<"$out"; then
		ok "$name"
	else
		notok "$name" "expected exit $want and /$pat/, got exit $rc:" "$(head -c 1500 <<<"$out")"
	fi
}
segs() { ls "$1" | grep -c '^seg-'; }

# 600 records, one a second from 2026-01-01T00:00:00Z, in ~36 sealed
# segments of 8 KiB (compressed), a checkpoint every 50 records.
base=1767225600000000000
"$sovctl" keygen --out "$tmp/k" --name sovd.prune >/dev/null
wopts=(--dir "$tmp/j" --key "$tmp/k.key" --host-id host-p --origin sovd.prune/host-p
       --segment-max 8192 --ckpt-records 50 --step-ns 1000000000 --compress)
"$jwriter" "${wopts[@]}" --time-base $base --count 100 || { echo "Bail out! jwriter failed"; exit 1; }
cp "$tmp/j/checkpoint" "$tmp/small.ckpt"	# tree size 100
"$jwriter" "${wopts[@]}" --time-base $((base + 100000000000)) --count 500 ||
	{ echo "Bail out! jwriter failed"; exit 1; }
cp "$tmp/j/checkpoint" "$tmp/old.ckpt"		# signed before the prune
cp -a "$tmp/j" "$tmp/unpruned"
before=$(segs "$tmp/j")

check "verify before pruning" 0 "records: +600 in $before segment" \
	"$sovctl" journal verify "$tmp/j" --pubkey "$tmp/k.pub"
check "prune without an export is refused" 1 "refused: .*export it first" \
	"$sovctl" journal prune --dir "$tmp/j" --key "$tmp/k.key" --before 200
check "prune by time without an export is refused" 1 "refused" \
	"$sovctl" journal prune --dir "$tmp/j" --key "$tmp/k.key" --before 2026-01-01T00:03:20Z
[ -e "$tmp/j/seg-000000.log.z" ] && ok "refusal removed nothing" ||
	notok "refusal removed nothing" "seg-000000.log.z is gone"
check "prune with a bad --before is a usage error" 2 "--before takes" \
	"$sovctl" journal prune --dir "$tmp/j" --key "$tmp/k.key" --before 12abc

# An export of the first 150 records moves the marker to seq 150.
check "export seq 0..149" 0 "exported 150 record" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e0" --until 2026-01-01T00:02:30Z
check "the export marker (beside the directory) says 150" 0 "^upto 150$" cat "$tmp/j.exported"
cp -a "$tmp/j" "$tmp/pre"
check "prune --before 200 stops at the export marker" 0 "pruned segments 0\.\.[0-9]+ .*prune record seq 6[0-9][0-9]" \
	"$sovctl" journal prune --dir "$tmp/j" --key "$tmp/k.key" --before 200
first=$("$sovctl" journal verify "$tmp/j" --pubkey "$tmp/k.pub" 2>&1 | sed -n 's/.*pruned: *records 0\.\.\([0-9]*\) removed.*/\1/p')
first=${first:--1}
kept=$((first + 1))
if [ -n "$first" ] && [ "$kept" -gt 0 ] && [ "$kept" -le 150 ] && [ ! -e "$tmp/j/seg-000000.log.z" ]; then
	ok "records 0..$first pruned, none beyond the marker (150)"
else
	notok "records pruned up to the marker" "expected a first kept seq in 1..150, got '${kept}'" "$(ls "$tmp/j")"
fi

check "the pruned journal verifies, with the old checkpoint" 0 "pruned: +records 0\.\.$first removed by prune record seq" \
	"$sovctl" journal verify "$tmp/j" --pubkey "$tmp/k.pub" --checkpoint "$tmp/old.ckpt"
cp "$tmp/j/checkpoint" "$tmp/new.ckpt"
# Whole journal: starts at the first kept record and carries the prune record.
check "an export of a pruned range says so" 0 "records 0\.\.$first of the window were pruned by prune record seq 6[0-9][0-9]" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e1" --checkpoint "$tmp/old.ckpt"
check "that export verifies against the new and the old checkpoint" 0 "PRUNED: +records 0\.\.$first were removed" \
	"$sovctl" journal verify "$tmp/e1" --pubkey "$tmp/k.pub" --checkpoint "$tmp/new.ckpt" "$tmp/old.ckpt"
check "an export of only pruned records holds none, and says so" 0 "exported 0 record.*|pruned by prune record" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e2" --until 2026-01-01T00:00:50Z
check "... and verifies" 0 "PRUNED" "$sovctl" journal verify "$tmp/e2" --pubkey "$tmp/k.pub"
# The pruned export is format 3: X (the prune record) and its I, then G.
kinds=$(python3 "$top/tests/journal/jframes.py" list "$tmp/e1" | awk '{print $2}' | tr -d '\n')
[[ $kinds == MC*XIG[R]* ]] && grep -q '"format":"sovd-journal-export/3"' "$tmp/e1" &&
	ok "a pruned export is format 3: X, I, G, then records ($(head -c 12 <<<"$kinds")...)" ||
	notok "a pruned export is format 3" "frames: $(head -c 60 <<<"$kinds")"
# Tampered pruned exports: the prune record changed (CRC recomputed), the
# X/I pair removed, G's frontier changed: both verifiers refuse each.
python3 - "$top" "$tmp/e1" "$tmp" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/tests/journal")
import struct
from jframes import crc32c
buf = open(sys.argv[2], "rb").read()
fr, off = [], 0
while off + 12 <= len(buf):
    ln = struct.unpack_from("<I", buf, off)[0]
    fr.append((off, chr(buf[off + 4]), off + 12 + ln))
    off += 12 + ln
def put(name, b):
    open(sys.argv[3] + "/" + name, "wb").write(b)
def refr(f, payload):
    h = struct.pack("<I", len(payload)) + buf[f[0] + 4:f[0] + 8] + payload
    return h + struct.pack("<I", crc32c(h))
x = [f for f in fr if f[1] == "X"][0]
xi = fr.index(x)
pl = bytearray(buf[x[0] + 8:x[2] - 4])
i = pl.index(b'"forced\\":false')
pl[i:i + 16] = b'"forced\\":true,'[:16]
put("px1", buf[:x[0]] + refr(x, bytes(pl)) + buf[x[2]:])
put("px2", buf[:x[0]] + buf[fr[xi + 1][2]:])
g = fr[xi + 2]
pg = bytearray(buf[g[0] + 8:g[2] - 4])
pg[24] ^= 1
put("px3", buf[:g[0]] + refr(g, bytes(pg)) + buf[g[2]:])
PY
for c in "px1:the prune record changed" "px2:the prune record removed" "px3:the range proof's frontier changed"; do
	check "pruned export, ${c#*:}: refused" 1 "INVALID|first problem" \
		"$sovctl" journal verify "$tmp/${c%%:*}" --pubkey "$tmp/k.pub"
done
r=$(python3 "$top/tests/journal/svbatch.py" "$top" flipall "$tmp/e1" 40 "$tmp/e1" --pubkey "$tmp/k.pub")
read -r tried nbad ex <<<"$r"
[ "$nbad" = 0 ] && ok "pruned export: $tried bit flips all detected by sovd-verify" ||
	notok "pruned export: bit flips detected by sovd-verify" "$nbad of $tried passed" "$ex"
r=$(python3 "$top/tests/journal/jframes.py" flipall "$tmp/e1" 40 "$sovctl" journal verify "$tmp/e1" --pubkey "$tmp/k.pub")
read -r tried nbad ex <<<"$r"
[ "$nbad" = 0 ] && ok "pruned export: $tried bit flips all detected by sovctl" ||
	notok "pruned export: bit flips detected by sovctl" "$nbad of $tried passed" "$ex"
# Proofs of kept records against the checkpoint signed before the prune:
# the same pruned journal, exported as of that checkpoint.
cp -a "$tmp/j" "$tmp/asold"
cp "$tmp/old.ckpt" "$tmp/asold/checkpoint"
check "export of kept records proven against the old checkpoint (size 600)" 0 "proven against tree size 600" \
	"$sovctl" journal export --journal "$tmp/asold" --out "$tmp/e3" --since 2026-01-01T00:05:00Z
check "... verifies" 0 "latest covers tree size 600" \
	"$sovctl" journal verify "$tmp/e3" --pubkey "$tmp/k.pub" --checkpoint "$tmp/old.ckpt"
check "an old-checkpoint export that needs the prune record is refused" 1 "does not cover the prune record" \
	"$sovctl" journal export --journal "$tmp/asold" --out "$tmp/e4"

cp -a "$tmp/unpruned" "$tmp/t0"
printf 'sovd-journal-exported/1\nupto 999x\n' > "$tmp/t0.exported"
check "a damaged export marker counts as no export" 1 "refused: .*reach seq 0" \
	"$sovctl" journal prune --dir "$tmp/t0" --key "$tmp/k.key" --before 200

# Tampering: segments removed by hand, without a prune record.
cp -a "$tmp/unpruned" "$tmp/t1"
rm "$tmp/t1/seg-000000.log.z" "$tmp/t1/seg-000001.log.z"
check "segments 0..1 removed by hand fail verification" 1 "segments 0\.\.1 \(records 0\.\.[0-9]+\) are missing and no prune record removed them" \
	"$sovctl" journal verify "$tmp/t1" --pubkey "$tmp/k.pub"
cp -a "$tmp/j" "$tmp/t2"
firstseg=$(ls "$tmp/t2" | grep '^seg-' | head -1)
rm "$tmp/t2/$firstseg"
check "the first kept segment removed by hand fails verification" 1 "are missing and no prune record removed them" \
	"$sovctl" journal verify "$tmp/t2" --pubkey "$tmp/k.pub"
check "an export of a tampered journal is refused" 1 "does not verify" \
	"$sovctl" journal export --journal "$tmp/t2" --out "$tmp/e5"

# Interrupted prunes: the record is durable before the first unlink, and
# segments go oldest first, so a crash leaves the record with a suffix of
# the segments it removed. Rebuilt here from the copy taken before.
gone=$(cd "$tmp/pre" && for s in seg-*; do [ -e "$tmp/j/$s" ] || echo "$s"; done)
cp -a "$tmp/j" "$tmp/c1"
for s in $gone; do cp "$tmp/pre/$s" "$tmp/c1/"; done
check "crash before any unlink: verifies, says the prune is unfinished" 0 "still present" \
	"$sovctl" journal verify "$tmp/c1" --pubkey "$tmp/k.pub"
ngone=$(wc -w <<<"$gone")
sv=(python3 "$top/tools/sovd-verify")
check "sovd-verify, crash before any unlink: says so, all $ngone segment(s) still present" 0 \
	"^ +$ngone segment\(s\) it removed are still present \(an interrupted prune" \
	"${sv[@]}" "$tmp/c1" --pubkey "$tmp/k.pub"
check "sovd-verify -o json: pending_segments $ngone" 0 "\"pending_segments\": ?$ngone[,}]" \
	"${sv[@]}" "$tmp/c1" --pubkey "$tmp/k.pub" -o json
cp -a "$tmp/j" "$tmp/c2"
for s in $(tail -n +2 <<<"$gone"); do cp "$tmp/pre/$s" "$tmp/c2/"; done
check "crash after the first unlink: verifies" 0 "VALID" \
	"$sovctl" journal verify "$tmp/c2" --pubkey "$tmp/k.pub"
if [ "$ngone" -gt 1 ]; then
	check "sovd-verify, crash after the first unlink: $((ngone - 1)) segment(s) still present, as sovctl" 0 \
		"^ +$((ngone - 1)) segment\(s\) it removed are still present" \
		"${sv[@]}" "$tmp/c2" --pubkey "$tmp/k.pub"
	check "sovctl says the same count" 0 "^ +$((ngone - 1)) segment\(s\) it removed are still present" \
		"$sovctl" journal verify "$tmp/c2" --pubkey "$tmp/k.pub"
else
	notok "the prune removed more than one segment (the crash-after-first-unlink case needs it)" "gone: $gone"
fi
# Segments the signed prune record removed are still there: the export
# starts at its "before" all the same (X, no B), and verifies.
check "an export of a half-pruned journal starts at the prune point" 0 "were pruned by prune record" \
	"$sovctl" journal export --journal "$tmp/c2" --out "$tmp/c2.sovj"
check "... and verifies" 0 "PRUNED" "$sovctl" journal verify "$tmp/c2.sovj" --pubkey "$tmp/k.pub"
check "the next prune finishes an interrupted one" 0 "pruned segments 0\.\.|pruned segments 1\." \
	"$sovctl" journal prune --dir "$tmp/c1" --key "$tmp/k.key" --before 1
if [ "$(ls "$tmp/c1" | grep '^seg-' | head -1)" = "$(ls "$tmp/j" | grep '^seg-' | head -1)" ]; then
	ok "... down to the same first segment"
else
	notok "... down to the same first segment" "expected $(ls "$tmp/j" | grep '^seg-' | head -1), got $(ls "$tmp/c1" | grep '^seg-' | head -1)"
fi
check "... and the journal verifies" 0 "VALID" "$sovctl" journal verify "$tmp/c1" --pubkey "$tmp/k.pub"

# --force goes beyond the marker (none at all here) and says so in the
# record.
cp -a "$tmp/unpruned" "$tmp/f"
check "prune --force without any export" 0 "pruned segments 0\.\." \
	"$sovctl" journal prune --dir "$tmp/f" --key "$tmp/k.key" --before 100 --force
check "the prune record says forced" 0 '"type":"prune".*"forced\\?":true' \
	"$sovctl" journal show "$tmp/f" -o json --pubkey "$tmp/k.pub"
check "the forced prune verifies" 0 "pruned: +records 0\.\." \
	"$sovctl" journal verify "$tmp/f" --pubkey "$tmp/k.pub"
# A second prune (the whole-journal export above moved the marker) removes
# more; the journal still verifies from there.
check "a second prune" 0 "pruned segments [0-9]+\.\." \
	"$sovctl" journal prune --dir "$tmp/j" --key "$tmp/k.key" --before 400
check "the second prune record is not forced" 0 '"type":"prune".*"forced\\?":false' \
	"$sovctl" journal show "$tmp/j" -o json --pubkey "$tmp/k.pub"
check "the twice-pruned journal verifies with both checkpoints" 0 "pruned: +records 0\.\.3[0-9][0-9] removed" \
	"$sovctl" journal verify "$tmp/j" --pubkey "$tmp/k.pub" --checkpoint "$tmp/old.ckpt" "$tmp/new.ckpt"
check "a checkpoint from before the first kept record cannot be checked, and says why" 1 "predates the prune" \
	"$sovctl" journal verify "$tmp/j" --pubkey "$tmp/k.pub" --checkpoint "$tmp/small.ckpt"
"$jwriter" "${wopts[@]}" --time-base $((base + 700000000000)) --count 100 >/dev/null 2>&1
check "the writer goes on after pruning; the journal verifies" 0 "VALID" \
	"$sovctl" journal verify "$tmp/j" --pubkey "$tmp/k.pub" --checkpoint "$tmp/new.ckpt"

# What sovd --retain does (sov_journal_prune by size and by segment age),
# through jwriter, on a fresh journal of 400 records.
ropts=(--dir "$tmp/r" --key "$tmp/k.key" --host-id host-p --origin sovd.prune/host-p
       --segment-max 8192 --ckpt-records 50 --compress)
"$jwriter" "${ropts[@]}" --count 400 >/dev/null || { echo "Bail out! jwriter failed"; exit 1; }
check "retention by size waits for an export" 0 "held back: exported up to 0" \
	"$jwriter" "${ropts[@]}" --count 0 --retain-bytes 20000
check "retention by age keeps segments younger than the age" 0 "^$" \
	"$jwriter" "${ropts[@]}" --count 0 --retain-age-ns 3600000000000 --retain-force
check "retention by size (unexported allowed) prunes the oldest" 0 "pruned segments 0\.\." \
	"$jwriter" "${ropts[@]}" --count 0 --retain-bytes 20000 --retain-force
total=$(cd "$tmp/r" && cat seg-* | wc -c)
# (plus the prune record and the checkpoint after it, written once the
# cut was chosen)
[ "$total" -le 21024 ] && ok "the segments take at most 20000 bytes + the prune record ($total)" ||
	notok "the segments take at most 20000 bytes + the prune record" "got $total"
check "... and the journal verifies" 0 "pruned: +records 0\.\." \
	"$sovctl" journal verify "$tmp/r" --pubkey "$tmp/k.pub"
sleep 0.1
check "retention by age (0 s) prunes every sealed segment" 0 "pruned segments [0-9]+\.\." \
	"$jwriter" "${ropts[@]}" --count 0 --retain-age-ns 1 --retain-force
check "... leaving one segment that verifies" 0 "in 1 segment" \
	"$sovctl" journal verify "$tmp/r" --pubkey "$tmp/k.pub"

# sovd-verify on every verify above: it must agree with sovctl.
while IFS=$'\t' read -r verdict name why; do
	if [ "$verdict" = ok ]; then ok "sovd-verify agrees: $name"; else notok "sovd-verify agrees: $name" "$why"; fi
done < <(python3 "$top/tests/journal/svbatch.py" "$top" cases "$tmp/cases.list" 2>&1)
[ "$ncase" -ge 15 ] && ok "sovd-verify was asked $ncase cases" || notok "sovd-verify cases" "only $ncase"

echo "1..$n"
[ "$failed" -eq 0 ]
