#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# docs/journal-format.md is precise enough for an independent verifier:
# tools/sovd-verify, written from it alone (Python standard library and
# `cryptography`), must agree with `sovctl journal verify` on valid and
# tampered journals and exports (format 3, and format 2 from before the
# range proof), and the worked examples in the document must be what the
# writer and the exporter produce.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
jwriter=$build/tests/journal/jwriter
sv=$top/tools/sovd-verify
jframes="python3 $top/tests/journal/jframes.py"
doc=$top/docs/journal-format.md
tmp=$(mktemp -d /tmp/sov-ref-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# The worked example: fixed key, ids and times.
printf 'PRIVATE+KEY+example+c1ca759e+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f\n' >"$tmp/example.key"
printf 'example+c1ca759e+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\n' >"$tmp/example.pub"
chmod 600 "$tmp/example.key"
"$jwriter" --dir "$tmp/ex" --key "$tmp/example.key" --host-id 0123456789abcdef0123456789abcdef \
	--boot-id c3e5ad4b-9cbe-4fd1-8b3b-1b0cf2a3d9e4 --origin sovd.example/0123456789abcdef0123456789abcdef \
	--time-base 1767225600000000000 --step-ns 500000000 --count 2 --detail "start mode=lsm"
sig=$(sed -n 5p "$tmp/ex/checkpoint")
grep -qF -- "$sig" "$doc" && ok "worked example: the documented checkpoint is what the writer signs" ||
	notok "worked example checkpoint" "writer produced: $sig"
size=$(stat -c %s "$tmp/ex/seg-000000.log")
grep -q "seg-000000.log\`, $size bytes" "$doc" && ok "worked example: segment size $size as documented" ||
	notok "worked example segment size" "writer produced $size bytes"
leaf0=$( (printf '\x00'; dd if="$tmp/ex/seg-000000.log" bs=1 skip=281 count=199 2>/dev/null) | sha256sum | cut -c1-64)
grep -q "$leaf0" "$doc" && ok "worked example: leaf hash computed with sha256sum as documented" ||
	notok "worked example leaf hash" "got $leaf0"

if ! python3 -c 'import cryptography' 2>/dev/null; then
	notok "python3-cryptography is installed (tools/install-deps --test)"
	echo "1..$n"
	exit 1
fi

# The worked example of a format 3 export (section 11): six records, the
# window [1 s, 2 s) holds seq 2 and 3, the boundary records are seq 1 and 4.
"$jwriter" --dir "$tmp/ex6" --key "$tmp/example.key" --host-id 0123456789abcdef0123456789abcdef \
	--boot-id c3e5ad4b-9cbe-4fd1-8b3b-1b0cf2a3d9e4 --origin sovd.example/0123456789abcdef0123456789abcdef \
	--time-base 1767225600000000000 --step-ns 500000000 --count 6 --detail "start mode=lsm"
"$sovctl" journal export --journal "$tmp/ex6" --out "$tmp/ex6.sovj" --since 2026-01-01T00:00:01Z \
	--until 2026-01-01T00:00:02Z >/dev/null
size=$(stat -c %s "$tmp/ex6.sovj")
grep -q "ex6.sovj\`, $size bytes" "$doc" && ok "worked example: export of $size bytes as documented" ||
	notok "worked example export size" "exporter produced $size bytes"
layout=$($jframes list "$tmp/ex6.sovj" | awk '{ printf "%s%s@%s/%s", (NR > 1 ? " " : ""), $2, $1, $3 }')
grep -qF -- "$layout" "$doc" && ok "worked example: frames $layout as documented" ||
	notok "worked example export frames" "exporter produced: $layout"
goff=$($jframes list "$tmp/ex6.sovj" | awk '$2 == "G" { print $1 }')
gdump=$(xxd -s "$goff" -l 100 "$tmp/ex6.sovj" | cut -c11-50 | sed 's/ *$//')
missing=0
while read -r line; do grep -qF -- "$line" "$doc" || missing=1; done <<<"$gdump"
[ $missing -eq 0 ] && ok "worked example: the range proof frame's bytes as documented" ||
	notok "worked example range proof bytes" "exporter produced:" "$gdump"
man=$(dd if="$tmp/ex6.sovj" bs=1 skip=8 count=267 2>/dev/null)
grep -qF -- "$man" "$doc" && ok "worked example: the manifest as documented" ||
	notok "worked example manifest" "exporter produced: $man"
root=$("$sv" "$tmp/ex6.sovj" --pubkey "$tmp/example.pub" -o json |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["root"])')
grep -q "$root" "$doc" && ok "worked example: root of size 6 as documented" ||
	notok "worked example root" "got $root"

# agree NAME PATH WANT [CHECKPOINT...]: both verifiers give exit WANT.
agree() {
	local name=$1 path=$2 want=$3 a b
	shift 3
	"$sovctl" journal verify "$path" --pubkey "$pub" ${1:+--checkpoint "$@"} >"$tmp/c.out" 2>&1; a=$?
	"$sv" "$path" --pubkey "$pub" ${1:+--checkpoint "$@"} >"$tmp/r.out" 2>&1; b=$?
	if [ $a -eq "$want" ] && [ $b -eq "$want" ]; then
		ok "$name: both verifiers exit $want ($(head -c 120 "$tmp/r.out" | tr '\n' ' '))"
	else
		notok "$name" "want $want, sovctl $a, sovd-verify $b" "$(cat "$tmp/c.out" "$tmp/r.out")"
	fi
}

pub=$tmp/example.pub
agree "worked example journal" "$tmp/ex" 0
agree "worked example export (format 3)" "$tmp/ex6.sovj" 0
# Format 2 (an inclusion proof per record), written by the exporter before
# format 3: still verified by both.
v2=$top/tests/journal/data/export-v2.sovj
agree "format 2 export" "$v2" 0
cp "$v2" "$tmp/v2"; $jframes flip "$tmp/v2" $(( $(stat -c %s "$v2") / 2 )) 3
agree "format 2 export: a bit flipped" "$tmp/v2" 1
cp "$v2" "$tmp/v2"; $jframes delete "$tmp/v2" 2
agree "format 2 export: a record deleted" "$tmp/v2" 1
python3 - "$top/tests/journal" "$v2" "$tmp/v2" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from jframes import frame, frames
buf = open(sys.argv[2], "rb").read()
out = b""
for off, kind, n in frames(buf):
    p = buf[off + 8:off + 8 + n]
    if kind == "R" and b'"seq":5,' in p:
        p = p.replace(b"lsm", b"LSM")
    out += frame(kind, p)
open(sys.argv[3], "wb").write(out)
PY
agree "format 2 export: a record changed, CRC recomputed" "$tmp/v2" 1
"$sovctl" keygen --out "$tmp/k" --name sovd.ref >/dev/null
pub=$tmp/k.pub
opts=(--key "$tmp/k.key" --host-id host-r --origin sovd.ref/host-r --segment-max 40000 --ckpt-records 97
      --time-base 1767225600000000000 --step-ns 1000000)
"$jwriter" --dir "$tmp/j" "${opts[@]}" --count 700 --compress
cp "$tmp/j/checkpoint" "$tmp/early"
"$jwriter" --dir "$tmp/j" "${opts[@]}" --time-base 1767225600700000000 --count 300 --compress
agree "rotated, compressed journal" "$tmp/j" 0
agree "journal with an earlier checkpoint" "$tmp/j" 0 "$tmp/early"
"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e" --since 2026-01-01T00:00:00.1Z \
	--until 2026-01-01T00:00:00.4Z >/dev/null
agree "export" "$tmp/e" 0
"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e2" --since 2026-01-01T00:00:00.9Z \
	--checkpoint "$tmp/early" >/dev/null
agree "export with a consistency proof from an earlier checkpoint" "$tmp/e2" 0 "$tmp/early"

t() { rm -rf "$tmp/w"; cp -a "$tmp/j" "$tmp/w"; }
t; $jframes modify "$tmp/w/seg-000003.log.z" 0 2>/dev/null || {
	python3 - "$tmp/w/seg-000003.log.z" <<'PY'
import sys, zlib
p = sys.argv[1]
d = zlib.decompressobj(); data = open(p, "rb").read()
plain = bytearray(d.decompress(data) + d.flush())
k = plain.find(b'"comm":"') + 8; plain[k] ^= 0x20
open(p, "wb").write(zlib.compress(bytes(plain), 1) + d.unused_data)
PY
}
agree "sealed segment recompressed with a changed record" "$tmp/w" 1
last=$(ls "$tmp/j" | grep '^seg-' | tail -1)
t; $jframes modify "$tmp/w/$last" 1
agree "record changed, CRC recomputed" "$tmp/w" 1
t; $jframes delete "$tmp/w/$last" 1
agree "record deleted" "$tmp/w" 1
t; rm "$tmp/w/seg-000002.log.z"
agree "segment deleted" "$tmp/w" 1
t; $jframes flip "$tmp/w/seg-000001.log.z" 100 3
agree "bit flip in a sealed segment" "$tmp/w" 1
t; $jframes flip "$tmp/w/seg-000001.log.z" $(( $(stat -c %s "$tmp/w/seg-000001.log.z") - 30 )) 1
agree "bit flip in a seal" "$tmp/w" 1
cp "$tmp/e" "$tmp/e3"; $jframes modify "$tmp/e3" 2
agree "export: record changed" "$tmp/e3" 1
cp "$tmp/e" "$tmp/e3"; $jframes flip "$tmp/e3" 30 2
agree "export: manifest changed" "$tmp/e3" 1
cp "$tmp/e" "$tmp/e3"; $jframes flip "$tmp/e3" $(( $(stat -c %s "$tmp/e3") - 20 )) 0
agree "export: inclusion proof changed" "$tmp/e3" 1
echo "1..$n"
[ $failed -eq 0 ]
