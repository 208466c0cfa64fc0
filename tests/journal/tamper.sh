#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Tamper suite: a journal written through libsovjournal (tests/journal/jwriter)
# is changed in every way an attacker or a broken disk could; each change must
# make `sovctl journal verify` exit 1 and name what is wrong. Every verdict on
# an export (and on a journal, bit flips aside) is also asked of the
# standalone verifier tools/sovd-verify, which must agree (same exit status).
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
jwriter=$build/tests/journal/jwriter
jframes="python3 $top/tests/journal/jframes.py"
sv=$top/tools/sovd-verify
python3 -c 'import cryptography' 2>/dev/null || { echo "Bail out! python3-cryptography missing (tools/install-deps --test)"; exit 1; }
tmp=$(mktemp -d /tmp/sov-tamper-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# writer options: several segments, a checkpoint every 100 records
wopts=(--segment-max 32768 --ckpt-records 100 --time-base 1767225600000000000 --step-ns 1000000)
"$sovctl" keygen --out "$tmp/a" --name sovd.test >/dev/null
"$sovctl" keygen --out "$tmp/b" --name sovd.test >/dev/null
"$jwriter" --dir "$tmp/host-a" --key "$tmp/a.key" --host-id host-a --origin sovd.test/host-a \
	"${wopts[@]}" --count 600 || { echo "Bail out! jwriter failed"; exit 1; }
cp "$tmp/host-a/checkpoint" "$tmp/ext-early"
"$jwriter" --dir "$tmp/host-a" --key "$tmp/a.key" --host-id host-a --origin sovd.test/host-a \
	"${wopts[@]}" --time-base 1767225600600000000 --count 400 || { echo "Bail out! jwriter failed"; exit 1; }
# The same journal at an earlier point, as kept off the host.
cp "$tmp/host-a/checkpoint" "$tmp/ext-final"
"$jwriter" --dir "$tmp/host-b" --key "$tmp/a.key" --host-id host-b --origin sovd.test/host-a \
	"${wopts[@]}" --count 1000 >/dev/null
"$jwriter" --dir "$tmp/host-z" --key "$tmp/a.key" --host-id host-a --origin sovd.test/host-a \
	"${wopts[@]}" --count 1000 --compress >/dev/null
"$jwriter" --dir "$tmp/other-key" --key "$tmp/b.key" --host-id host-a --origin sovd.test/host-a \
	"${wopts[@]}" --count 1000 >/dev/null

# Each case is kept (a copy of PATH) for sovd-verify, which runs them all in
# one process at the end (svbatch.py) and must give the same exit status.
ncase=0
svcase() {	# svcase WANT NAME PATH [ARGS]
	local want=$1 name=$2 path=$3 c
	shift 3
	ncase=$((ncase + 1)); c=$tmp/cases/$ncase
	mkdir -p "$c"; cp -a "$path" "$c/"
	(IFS=$'\t'; echo "$want	$name	$c/$(basename "$path")	--pubkey	$tmp/a.pub${1:+	$*}") >>"$tmp/cases.list"
}
# expect_valid NAME PATH [ARGS]; expect_invalid NAME PATH PATTERN [ARGS]
expect_valid() {
	local name=$1 path=$2 out rc
	shift 2
	out=$("$sovctl" journal verify "$path" --pubkey "$tmp/a.pub" "$@" 2>&1); rc=$?
	svcase 0 "$name" "$path" "$@"
	if [ $rc -eq 0 ]; then ok "$name"; else notok "$name" "expected exit 0, got $rc" "$out"; fi
}
expect_invalid() {
	local name=$1 path=$2 pat=$3 out rc
	shift 3
	out=$("$sovctl" journal verify "$path" --pubkey "$tmp/a.pub" "$@" 2>&1); rc=$?
	svcase 1 "$name" "$path" "$@"
	if [ $rc -ne 1 ]; then
		notok "$name" "expected exit 1, got $rc" "$out"
	elif ! grep -qiE -- "$pat" <<<"$out"; then
		notok "$name" "exit 1 but the reason does not match /$pat/" "$out"
	else
		ok "$name: $(grep 'first problem' <<<"$out" | sed 's/^ *first problem: //')"
	fi
}
fresh() { rm -rf "$tmp/w"; cp -a "$tmp/${1:-host-a}" "$tmp/w"; }

expect_valid "pristine journal verifies" "$tmp/host-a"
expect_valid "pristine journal verifies against the checkpoint kept elsewhere" "$tmp/host-a" --checkpoint "$tmp/ext-final"
expect_valid "pristine compressed journal verifies" "$tmp/host-z"
segs=$(ls "$tmp/host-a" | grep -c '^seg-')
[ "$segs" -ge 4 ] && ok "journal has $segs segments" || notok "journal has several segments" "got $segs"

# Bit flips at many offsets of every file, plain and compressed (one bit at a
# time, restored after each verification).
flips() {	# flips NAME FILE VERIFY-PATH
	local r tried bad ex
	r=$($jframes flipall "$2" "${FLIPS:-24}" "$sovctl" journal verify "$3" --pubkey "$tmp/a.pub")
	read -r tried bad ex <<<"$r"
	if [ "$bad" = 0 ]; then ok "$1: $tried bit flips all detected"
	else notok "$1: bit flips detected" "$bad of $tried passed" "$ex"; fi
}
for src in host-a host-z; do
	fresh $src
	for f in $(ls "$tmp/w"); do
		flips "$src/$f" "$tmp/w/$f" "$tmp/w"
	done
done

fresh; $jframes delete "$tmp/w/seg-000001.log" 3
expect_invalid "deleted record" "$tmp/w" "seq .* belongs|deleted"
fresh; $jframes dup "$tmp/w/seg-000001.log" 3
expect_invalid "duplicated record" "$tmp/w" "duplicated"
fresh; $jframes swap "$tmp/w/seg-000002.log" 4
expect_invalid "reordered records" "$tmp/w" "reordered"
fresh; $jframes modify "$tmp/w/seg-000002.log" 4
expect_invalid "modified record with recomputed CRC" "$tmp/w" "modified"
fresh; last=$(ls "$tmp/w" | grep '^seg-' | tail -1); $jframes cut "$tmp/w/$last" 2
expect_invalid "truncated at a record boundary" "$tmp/w" "truncated|stands after"
fresh; truncate -s -7 "$tmp/w/$last"
expect_invalid "truncated mid-frame" "$tmp/w" "torn tail"
fresh; truncate -s 0 "$tmp/w/$last"
expect_invalid "last segment emptied" "$tmp/w" "segment header"
fresh; rm "$tmp/w/seg-000001.log"
expect_invalid "a segment deleted" "$tmp/w" "segment 1 is missing"
fresh; rm "$tmp/w/$last"
expect_invalid "the last segment deleted" "$tmp/w" "truncated"
fresh; mv "$tmp/w/seg-000002.log" "$tmp/w/x"; mv "$tmp/w/seg-000001.log" "$tmp/w/seg-000002.log"; mv "$tmp/w/x" "$tmp/w/seg-000001.log"
expect_invalid "two segments swapped" "$tmp/w" "segment header"
fresh; cp "$tmp/host-b/seg-000002.log" "$tmp/w/seg-000002.log"
expect_invalid "segment of another host swapped in" "$tmp/w" "segment header|another journal"
fresh; rm -rf "$tmp/w"; mkdir "$tmp/w"; cp "$tmp/host-a/"{pubkey,checkpoint} "$tmp/w/"; cp "$tmp/host-b/"seg-* "$tmp/w/"
expect_invalid "all segments of another host" "$tmp/w" "not one of the journal|do not hash|origin"
fresh; rm "$tmp/w/checkpoint"
expect_invalid "published checkpoint deleted" "$tmp/w" "missing"
fresh; touch "$tmp/w/notes.txt"
expect_invalid "an extra file" "$tmp/w" "unexpected file"
fresh; cp "$tmp/other-key/checkpoint" "$tmp/w/checkpoint"
expect_invalid "checkpoint signed by another key" "$tmp/w" "another key|signature"
expect_invalid "journal signed by another key" "$tmp/other-key" "not the key given"
fresh; echo 'sovd.test+00000000+notbase64!' >"$tmp/w/pubkey"
expect_invalid "public key file unparsable (says why)" "$tmp/w" "public key file is damaged: [a-z]"
fresh; cp "$tmp/b.pub" "$tmp/w/pubkey"
expect_invalid "public key file replaced" "$tmp/w" "not the key given"
out=$("$sovctl" journal verify "$tmp/w" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "another key" <<<"$out"; then
	ok "public key file replaced, no --pubkey: checkpoints in the segments fail under it"
else
	notok "public key file replaced, no --pubkey" "exit $rc" "$out"
fi
# A record appended after the final checkpoint is not authenticated; it is
# reported as such (what an attacker can append without the key).
fresh; last=$(ls "$tmp/w" | grep '^seg-' | tail -1)
python3 -c '
import sys
sys.path.insert(0, sys.argv[2])
from jframes import frame
p = sys.argv[1]
rec = b"{\"seq\":1000,\"type\":\"agent\",\"time\":\"2026-01-01T00:00:01.000000000Z\",\"boot_ns\":1,\"host\":\"host-a\",\"boot\":\"x\",\"detail\":\"forged\"}"
open(p, "ab").write(frame("R", rec))
' "$tmp/w/$last" "$top/tests/journal"
out=$("$sovctl" journal verify "$tmp/w" --pubkey "$tmp/a.pub" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "NOT AUTHENTICATED: 1 record(s) after the last checkpoint (seq 1000..1000)" <<<"$out"; then
	ok "a record appended after the last checkpoint is reported as not authenticated"
else
	notok "appended record reported" "exit $rc" "$out"
fi

# Tail truncated and re-signed with the current key: consistent on its own,
# caught by a checkpoint kept elsewhere.
fresh; last=$(ls "$tmp/w" | grep '^seg-' | tail -1); $jframes cut "$tmp/w/$last" 5
rm "$tmp/w/checkpoint"
"$jwriter" --dir "$tmp/w" --key "$tmp/a.key" --host-id host-a --origin sovd.test/host-a --count 0 2>/dev/null
expect_valid "truncated and re-signed journal is self-consistent" "$tmp/w"
expect_invalid "truncated and re-signed journal vs an earlier checkpoint" "$tmp/w" "truncated" --checkpoint "$tmp/ext-final"
"$jwriter" --dir "$tmp/w" --key "$tmp/a.key" --host-id host-a --origin sovd.test/host-a "${wopts[@]}" --count 300 2>/dev/null
expect_invalid "rolled back and rewritten (fork) vs an earlier checkpoint" "$tmp/w" "contradicts|fork" --checkpoint "$tmp/ext-final"
expect_invalid "a checkpoint held elsewhere signed by another key" "$tmp/host-a" "not valid" --checkpoint "$tmp/other-key/checkpoint"

# Exports.
"$sovctl" journal export --journal "$tmp/host-a" --out "$tmp/e.sovj" --since 2026-01-01T00:00:00.2Z \
	--until 2026-01-01T00:00:00.5Z >/dev/null
expect_valid "export verifies" "$tmp/e.sovj"
expect_valid "export verifies against the checkpoint kept elsewhere" "$tmp/e.sovj" --checkpoint "$tmp/ext-final"
"$sovctl" journal export --journal "$tmp/host-a" --out "$tmp/late.sovj" --since 2026-01-01T00:00:00.8Z >/dev/null
expect_invalid "export of a later range cannot prove an older checkpoint" "$tmp/late.sovj" "export again with --checkpoint" --checkpoint "$tmp/ext-early"
"$sovctl" journal export --journal "$tmp/host-a" --out "$tmp/late.sovj" --since 2026-01-01T00:00:00.8Z \
	--checkpoint "$tmp/ext-early" >/dev/null
expect_valid "export made with --checkpoint proves it consistent" "$tmp/late.sovj" --checkpoint "$tmp/ext-early"
cp "$tmp/e.sovj" "$tmp/e2"
FLIPS=150 flips "export" "$tmp/e2" "$tmp/e2"
# The same bit flips through sovd-verify: it must find each one too.
cp "$tmp/e.sovj" "$tmp/e2"
r=$(python3 "$top/tests/journal/svbatch.py" "$top" flipall "$tmp/e2" 60 "$tmp/e2" --pubkey "$tmp/a.pub")
read -r tried nbad ex <<<"$r"
[ "$nbad" = 0 ] && ok "export: $tried bit flips all detected by sovd-verify" ||
	notok "export: bit flips detected by sovd-verify" "$nbad of $tried passed" "$ex"
cp "$tmp/e.sovj" "$tmp/e2"; $jframes delete "$tmp/e2" 3
expect_invalid "export: record deleted" "$tmp/e2" "deleted"
cp "$tmp/e.sovj" "$tmp/e2"; $jframes modify "$tmp/e2" 3
expect_invalid "export: record modified" "$tmp/e2" "modified"
cp "$tmp/e.sovj" "$tmp/e2"; truncate -s -100 "$tmp/e2"
expect_invalid "export: truncated" "$tmp/e2" "past the end|lacks|torn"
cp "$tmp/e.sovj" "$tmp/e2"; $jframes cutkind "$tmp/e2" R
expect_invalid "export: last record and proof cut" "$tmp/e2" "tail of the range"
# Records trimmed from either end of an export's range with the manifest
# rewritten to match: the boundary records (the one just before and just
# after the range) give it away.
trim() {	# trim SRC DST HEAD TAIL drop|promote [since=NS] [until=NS] [dropck]
	python3 - "$top" "$@" <<'PY'
# An attacker's rewrite of a format 3 export: records dropped from either end
# (or the last dropped one made the boundary record), the manifest rewritten
# to match and a new, correct range proof computed from what the export holds
# (the frontier grows by the dropped head leaves; subtrees of the right side
# are rebuilt from the dropped tail leaves and the old right-side hashes).
import importlib.machinery, importlib.util, json, struct, sys
top = sys.argv[1]
sys.path.insert(0, top + "/tests/journal")
from jframes import frame
ld = importlib.machinery.SourceFileLoader("sv", top + "/tools/sovd-verify")
sv = importlib.util.module_from_spec(importlib.util.spec_from_loader("sv", ld))
ld.exec_module(sv)
src, dst, head, tail, mode = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
extra = sys.argv[7:]
buf, off, fr = open(src, "rb").read(), 0, []
while off < len(buf):
    (n,) = struct.unpack_from("<I", buf, off)
    fr.append((chr(buf[off + 4]), buf[off + 8:off + 8 + n]))
    off += 12 + n
man = json.loads(fr[0][1])
ck = [fr[1]]
i = 2
while fr[i][0] == "C":
    if "dropck" not in extra:
        ck += fr[i:i + 2]
    man["checkpoints"] -= "dropck" in extra
    i += 2
assert fr[i][0] == "G"
lo, hi, n = struct.unpack_from("<QQQ", fr[i][1])
hs = [fr[i][1][24 + 32 * j:56 + 32 * j] for j in range((len(fr[i][1]) - 24) // 32)]
nleft = bin(lo).count("1")
items = fr[i + 1:]
known = {(lo + j, 0): sv.leaf_hash(p) for j, (k, p) in enumerate(items)}
at = hi
for h, k in zip(hs[nleft:], sv.right_heights(hi, n)):
    known[(at, k)] = h
    at += 1 << k
def perfect(a, k):
    if (a, k) not in known:
        known[(a, k)] = sv.node_hash(perfect(a, k - 1), perfect(a + (1 << (k - 1)), k - 1))
    return known[(a, k)]
before = items.pop(0) if items and items[0][0] == "B" else None
after = items.pop() if items and items[-1][0] == "A" else None
recs = items
if head:
    before = ("B", recs[head - 1][1]) if mode == "promote" else None
    recs = recs[head:]
if tail:
    after = ("A", recs[-tail][1]) if mode == "promote" else None
    recs = recs[:-tail]
out_items = ([before] if before else []) + recs + ([after] if after else [])
lo2 = sv.seq_of(out_items[0][1])
hi2 = sv.seq_of(out_items[-1][1]) + 1
c = sv.Compact(lo, hs[:nleft])
for s in range(lo, lo2):
    c.append(known[(s, 0)])
right, at = [], hi2
for k in sv.right_heights(hi2, n):
    right.append(perfect(at, k))
    at += 1 << k
man["first"] += head
man["count"] = len(recs)
for a in extra:
    if "=" in a:
        k, v = a.split("=")
        man[k] = None if v == "null" else int(v)
out = frame("M", json.dumps(man, separators=(",", ":")).encode())
for k, p in ck:
    out += frame(k, p)
out += frame("G", struct.pack("<QQQ", lo2, hi2, n) + b"".join(c.hashes + right))
for k, p in out_items:
    out += frame(k, p)
open(dst, "wb").write(out)
PY
}
trim "$tmp/e.sovj" "$tmp/e2" 0 0 drop
expect_valid "export rewritten unchanged by the trimming tool still verifies" "$tmp/e2"
trim "$tmp/e.sovj" "$tmp/e2" 3 0 drop
expect_invalid "export: records and boundary dropped from the head, manifest rewritten" "$tmp/e2" "removed from the head"
trim "$tmp/e.sovj" "$tmp/e2" 0 4 drop
expect_invalid "export: records and boundary dropped from the tail, manifest rewritten" "$tmp/e2" "removed from the tail"
trim "$tmp/e.sovj" "$tmp/e2" 3 0 promote
expect_invalid "export: head records dropped, the last dropped one made the boundary" "$tmp/e2" "not before since.*head"
trim "$tmp/e.sovj" "$tmp/e2" 0 4 promote
expect_invalid "export: tail records dropped, the last dropped one made the boundary" "$tmp/e2" "before until.*tail"
trim "$tmp/e.sovj" "$tmp/e2" 3 4 drop dropck
expect_invalid "export: head, tail and earlier checkpoints dropped (the reviewer's attack)" "$tmp/e2" "removed from the head"
trim "$tmp/e.sovj" "$tmp/e2" 3 0 promote since=null
expect_invalid "export: head trimmed and since made open" "$tmp/e2" "since is open"
# Narrowing the window too makes a consistent export of a smaller window:
# the verifier shows the window it proves, for the auditor to compare.
trim "$tmp/e.sovj" "$tmp/e2" 3 0 promote since=1767225600203000000
out=$("$sovctl" journal verify "$tmp/e2" --pubkey "$tmp/a.pub" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "window: *since 2026-01-01T00:00:00.203000000Z until 2026-01-01T00:00:00.500000000Z" <<<"$out"; then
	ok "export with head and since narrowed together shows the narrowed window"
else
	notok "narrowed export shows its window" "exit $rc" "$out"
fi
out=$("$sovctl" journal verify "$tmp/e.sovj" --pubkey "$tmp/a.pub" 2>&1)
grep -q "window: *since 2026-01-01T00:00:00.200000000Z until 2026-01-01T00:00:00.500000000Z" <<<"$out" &&
	grep -q "seq 200..499" <<<"$out" && ok "verify shows the requested window and seq range" ||
	notok "verify shows the window" "$out"
# Earlier checkpoints removed with the manifest rewritten: every record is
# still proven by the final checkpoint; an auditor holding one catches it.
trim "$tmp/e.sovj" "$tmp/e2" 0 0 drop dropck
expect_valid "export without its earlier checkpoints still proves its records" "$tmp/e2"
expect_invalid "export without its earlier checkpoints vs one kept elsewhere" "$tmp/e2" "no proof linking" --checkpoint "$tmp/ext-early"
# Empty window and open ends.
"$sovctl" journal export --journal "$tmp/host-a" --out "$tmp/e3" --since 2026-01-01T00:00:00.2001Z \
	--until 2026-01-01T00:00:00.2009Z >/dev/null
out=$("$sovctl" journal verify "$tmp/e3" --pubkey "$tmp/a.pub" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "none in the window (it falls before seq 201)" <<<"$out" &&
	ok "empty window: verifies, both boundaries prove nothing was in it" || notok "empty window export" "exit $rc" "$out"
"$sovctl" journal export --journal "$tmp/host-a" --out "$tmp/e3" >/dev/null
expect_valid "export of everything (open ends, no boundary records)" "$tmp/e3"
trim "$tmp/e3" "$tmp/e2" 1 0 drop
expect_invalid "export of everything: first record dropped" "$tmp/e2" "removed from the head"
trim "$tmp/e3" "$tmp/e2" 0 1 drop
expect_invalid "export of everything: last record dropped" "$tmp/e2" "removed from the tail"

# A live journal: a count-triggered checkpoint in the segment that is not
# yet published, records after it and a frame being written. The export is
# proven against the published checkpoint and ignores the rest.
fresh; cp "$tmp/w/checkpoint" "$tmp/pub-before"
"$jwriter" --dir "$tmp/w" --key "$tmp/a.key" --host-id host-a --origin sovd.test/host-a \
	"${wopts[@]}" --time-base 1767225601000000000 --count 150 >/dev/null 2>&1
cp "$tmp/pub-before" "$tmp/w/checkpoint"
last=$(ls "$tmp/w" | grep '^seg-' | tail -1); truncate -s -7 "$tmp/w/$last"
out=$("$sovctl" journal export --journal "$tmp/w" --out "$tmp/live.sovj" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "proven against tree size 1000" <<<"$out"; then
	ok "live journal with an unpublished tail exports against the published checkpoint"
else
	notok "live journal export" "exit $rc" "$out"
fi
expect_valid "export of a live journal verifies" "$tmp/live.sovj" --checkpoint "$tmp/ext-final"
"$sovctl" journal export --journal "$tmp/w" --out "$tmp/live.sovj" --since 2026-01-01T00:00:00.9Z >/dev/null 2>&1
out=$("$sovctl" journal verify "$tmp/live.sovj" --pubkey "$tmp/a.pub" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "seq 900..999" <<<"$out" && grep -q "ends at the checkpoint's last record" <<<"$out" &&
	ok "live export's range ends at the published checkpoint" || notok "live export range" "exit $rc" "$out"

# A segment seal is signed by the same key; as an export's checkpoint it
# must be refused, not read as a tree of "size" bytes.
python3 - "$top/tests/journal" "$tmp/e.sovj" "$tmp/host-z/seg-000000.log.z" "$tmp/e2" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[1])
from jframes import frame
e, z = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
(n,) = struct.unpack_from("<I", e, 0)
seal = z[z.rindex(b"sovd.test/host-a sealed "):]
open(sys.argv[4], "wb").write(e[:12 + n] + frame("C", seal))
PY
expect_invalid "export whose checkpoint is a segment seal" "$tmp/e2" "segment seal"

expect_invalid "export vs a checkpoint of another journal" "$tmp/e.sovj" "contradicts|not valid|no proof" --checkpoint "$tmp/host-b/checkpoint"
"$sovctl" journal verify "$tmp/e.sovj" --pubkey "$tmp/b.pub" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ok "export verified with another key fails" || notok "export verified with another key fails" "exit $rc"
"$sovctl" journal verify "$tmp/nonexistent" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "missing path is a usage error (exit 2)" || notok "missing path exit 2" "exit $rc"

# sovd-verify on every case above: it must agree with sovctl.
while IFS=$'\t' read -r verdict name why; do
	if [ "$verdict" = ok ]; then ok "sovd-verify agrees: $name"; else notok "sovd-verify agrees: $name" "$why"; fi
done < <(python3 "$top/tests/journal/svbatch.py" "$top" cases "$tmp/cases.list" 2>&1)
[ "$ncase" -ge 40 ] && ok "sovd-verify was asked $ncase cases" || notok "sovd-verify cases" "only $ncase"

echo "1..$n"
[ $failed -eq 0 ]
