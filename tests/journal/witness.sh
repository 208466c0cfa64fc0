#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Witnesses (issue 15): a journal written through libsovjournal (jwriter),
# its checkpoint shipped (`journal checkpoint`), cosigned by a minimal witness
# (`journal cosign`, C2SP tlog-cosignature cosignature/v1) and verified with
# the witness's key (`journal verify --witness --witnesses`); a tampered
# cosignature, the wrong witness key, and a checkpoint older than or
# inconsistent with the witness's last one all fail with clear messages. The
# independent Python verifier (tools/sovd-verify) checks the same cosignatures.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
jwriter=$build/tests/journal/jwriter
tmp=$(mktemp -d /tmp/sov-witness-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
# expect NAME RC PATTERN CMD...: exit status RC and PATTERN (ERE) in stdout+stderr
expect() {
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" != "$want" ]; then
		notok "$name" "expected exit $want, got $rc" "command: $*" "$out"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
		notok "$name" "exit $rc but the output does not match /$pat/" "$out"
	else
		ok "$name"
	fi
}
bail() { echo "Bail out! $*"; exit 1; }

origin=sovd.test/host-a
wopts=(--key "$tmp/log.key" --host-id host-a --origin "$origin" --ckpt-records 10
	--time-base 1767225600000000000 --step-ns 1000000)
"$sovctl" keygen --out "$tmp/log" --name "$origin" >/dev/null || bail "keygen"
"$sovctl" keygen --witness --out "$tmp/w1" --name witness.example/w1 >/dev/null || bail "keygen --witness"
"$sovctl" keygen --witness --out "$tmp/w2" --name witness.example/w2 >/dev/null || bail "keygen --witness"
"$jwriter" --dir "$tmp/j" "${wopts[@]}" --count 50 || bail "jwriter"
# A fork: the same key and origin, other records (a host that rewrote its log).
"$jwriter" --dir "$tmp/fork" "${wopts[@]}" --count 120 --time-base 1767225700000000000 || bail "jwriter"
log=(--pubkey "$tmp/log.pub")
W1=(--key "$tmp/w1.key" "${log[@]}")

grep -q "^witness.example/w1+[0-9a-f]\{8\}+B[A-P]" "$tmp/w1.pub" &&
	ok "keygen --witness: a vkey of type 0x04 (base64 of 0x04 || key starts with B[A-P])" ||
	notok "keygen --witness: type 0x04" "$(cat "$tmp/w1.pub")"

# ---- ship, cosign, verify ----
expect "journal checkpoint prints the published checkpoint" 0 "" \
	sh -c "'$sovctl' journal checkpoint --dir '$tmp/j' > '$tmp/c50' && cmp '$tmp/c50' '$tmp/j/checkpoint'"
expect "journal cosign: the first checkpoint of a log is trusted on first use" 0 "first checkpoint" \
	"$sovctl" journal cosign "${W1[@]}" --out "$tmp/c50.w1" "$tmp/c50"
if [ "$(head -c "$(stat -c %s "$tmp/c50")" "$tmp/c50.w1" | cmp - "$tmp/c50" && echo same)" = same ] &&
	[ "$(grep -c '^— ' "$tmp/c50.w1")" = 2 ] && tail -1 "$tmp/c50.w1" | grep -q '^— witness.example/w1 '; then
	ok "the cosigned checkpoint is the checkpoint plus one line by the witness"
else
	notok "cosigned checkpoint shape" "$(cat "$tmp/c50.w1")"
fi
cmp -s "$tmp/w1.state" "$tmp/c50" && ok "the witness's state (w1.state) holds the checkpoint it cosigned" ||
	notok "witness state" "$(cat "$tmp/w1.state" 2>&1)"
b64=$(tail -1 "$tmp/c50.w1" | awk '{print $3}')
t=$(echo "$b64" | base64 -d | head -c 12 | tail -c 8 | od -An -tx1 | tr -d ' \n')
now=$(date +%s)
if [ $((16#$t)) -le "$now" ] && [ $((16#$t)) -ge $((now - 600)) ] && [ "$(echo "$b64" | base64 -d | wc -c)" = 76 ]; then
	ok "the cosignature is key id, a big-endian timestamp (now) and 64 signature bytes (76)"
else
	notok "cosignature layout" "time 0x$t now $now" "$b64"
fi
expect "journal verify --witness --witnesses 1: valid, names the witness and the time" 0 \
	"witness: +witness.example/w1 cosigned .*c50.w1 \(tree size 50\) at 20[0-9-]+T" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c50.w1" \
	--witness "$tmp/w1.pub" --witnesses 1
expect "journal verify -o json: the cosignatures with their time" 0 \
	'"cosignatures":\[\{"witness":"witness.example/w1","checkpoint":"[^"]*c50.w1","size":50,"time":[0-9]+\}\]' \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c50.w1" \
	--witness "$tmp/w1.pub" -o json
expect "journal verify without --witness: the cosignature line is ignored (signed-note)" 0 \
	"1 given checkpoint\(s\) consistent" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c50.w1"
expect "sovd-verify checks the cosignature independently" 0 "cosigned: .* by witness.example/w1 at [0-9]+" \
	python3 "$top/tools/sovd-verify" --pubkey "$tmp/log.pub" --witness "$tmp/w1.pub" --checkpoint "$tmp/c50.w1" "$tmp/j"
expect "sovd-verify without the witness key ignores the line" 0 ": VALID" \
	python3 "$top/tools/sovd-verify" --pubkey "$tmp/log.pub" --checkpoint "$tmp/c50.w1" "$tmp/j"

# An independent signed-note implementation: Go's golang.org/x/mod/sumdb/note
# opens the cosigned checkpoint with the log's key alone, the witness line
# ignored as by an unknown key (tools/install-deps --test installs Go).
gomod=/usr/share/gocode/src/golang.org/x/mod/sumdb/note
if ! command -v go >/dev/null || [ ! -d "$gomod" ]; then
	notok "Go's sumdb/note accepts the cosigned checkpoint" \
		"go or $gomod missing: run tools/install-deps --test (golang-go golang-golang-x-mod-dev)"
elif ! (cd "$tmp" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE="$tmp/gocache" \
	go build -o "$tmp/gonote" "$top/tests/journal/gonote.go") > "$tmp/gobuild" 2>&1; then
	notok "Go's sumdb/note accepts the cosigned checkpoint" "go build failed: $(cat "$tmp/gobuild")"
else
	expect "Go's sumdb/note accepts the cosigned checkpoint with the log's key, ignores the witness" 0 \
		"^VALID verified=1 ignored=1$" "$tmp/gonote" "$tmp/c50.w1" "$tmp/log.pub"
fi

# ---- what must fail ----
python3 - "$tmp/c50.w1" "$tmp/bad" <<'PY'
import base64, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
name, b64 = lines[-2].rsplit(b" ", 1)
sig = bytearray(base64.b64decode(b64))
sig[40] ^= 1                    # a bit of the Ed25519 signature
lines[-2] = name + b" " + base64.b64encode(bytes(sig))
open(sys.argv[2], "wb").write(b"\n".join(lines))
PY
cp "$tmp/bad" "$tmp/bad1"
expect "a tampered cosignature: exit 1, says which witness" 1 \
	'cosignature by witness "witness.example/w1" \(time [0-9]+\) is invalid' \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/bad" --witness "$tmp/w1.pub"
python3 - "$tmp/c50.w1" "$tmp/bad" <<'PY'
import base64, struct, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
name, b64 = lines[-2].rsplit(b" ", 1)
sig = bytearray(base64.b64decode(b64))
struct.pack_into(">Q", sig, 4, struct.unpack_from(">Q", sig, 4)[0] + 3600)
lines[-2] = name + b" " + base64.b64encode(bytes(sig))
open(sys.argv[2], "wb").write(b"\n".join(lines))
PY
expect "a cosignature with its timestamp moved an hour: exit 1" 1 'witness.example/w1.*is invalid' \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/bad" --witness "$tmp/w1.pub"
expect "sovd-verify also refuses the tampered cosignature" 1 "cosignature by witness witness.example/w1 is invalid" \
	python3 "$top/tools/sovd-verify" --pubkey "$tmp/log.pub" --witness "$tmp/w1.pub" --checkpoint "$tmp/bad" "$tmp/j"
expect "the wrong witness key: exit 1, 0 of 1 cosignatures, the line ignored" 1 \
	"has 0 valid cosignature\(s\) by the given witnesses, 1 required \(1 signature line" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c50.w1" --witness "$tmp/w2.pub"
expect "a checkpoint without cosignature, --witnesses 1: exit 1" 1 "0 valid cosignature" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c50" --witness "$tmp/w1.pub"
expect "--witnesses 2 with one --witness: usage error, exit 2" 2 "more than the --witness keys" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c50.w1" --witness "$tmp/w1.pub" \
	--witnesses 2
expect "--witness without --checkpoint: usage error, exit 2" 2 "applies to the checkpoints" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --witness "$tmp/w1.pub"
expect "a log key given as --witness: exit 2, says so" 2 "is a log key, not a witness key" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c50.w1" --witness "$tmp/log.pub"
expect "a witness key as the log's --pubkey: exit 2, says so" 2 "is a witness key" \
	"$sovctl" journal verify "$tmp/j" --pubkey "$tmp/w1.pub"
{ head -4 "$tmp/c50"; echo "— witness.example/w1 not+base64"; sed -n 5p "$tmp/c50"; } > "$tmp/bad"
expect "a malformed extra signature line: exit 1" 1 "signature line .* not base64|malformed" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/bad"

# ---- the witness keeps the log append-only ----
"$jwriter" --dir "$tmp/j" "${wopts[@]}" --count 30 --time-base 1767225600100000000 || bail "jwriter"
"$sovctl" journal checkpoint --dir "$tmp/j" > "$tmp/c80"
expect "cosign a larger checkpoint without a proof: exit 2, says how to get one" 2 \
	"no consistency proof from tree size 50 .*--journal DIR.*--old 50" \
	"$sovctl" journal cosign "${W1[@]}" "$tmp/c80"
expect "cosign with the proof computed from the journal (--journal)" 0 "consistent with tree size 50" \
	"$sovctl" journal cosign "${W1[@]}" --journal "$tmp/j" --out "$tmp/c80.w1" "$tmp/c80"
expect "verify with two cosigned checkpoints" 0 "2 given checkpoint\(s\) consistent" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c50.w1" "$tmp/c80.w1" \
	--witness "$tmp/w1.pub"
expect "the witness refuses a checkpoint older than its last: exit 1" 1 \
	"older than the last one this witness cosigned \(tree size 80" \
	"$sovctl" journal cosign "${W1[@]}" "$tmp/c50"
"$sovctl" journal checkpoint --dir "$tmp/fork" > "$tmp/f120"
expect "the witness refuses a fork (proof from the forked journal): exit 1" 1 \
	"not consistent with the one this witness cosigned \(tree size 80\).*forked" \
	"$sovctl" journal cosign "${W1[@]}" --journal "$tmp/fork" "$tmp/f120"
cmp -s "$tmp/w1.state" "$tmp/c80" && ok "a refusal leaves the witness's state as it was" ||
	notok "state after refusals" "$(cat "$tmp/w1.state")"
"$jwriter" --dir "$tmp/fork80" "${wopts[@]}" --count 80 --time-base 1767225700000000000 || bail "jwriter"
"$sovctl" journal checkpoint --dir "$tmp/fork80" > "$tmp/f80"
expect "the witness refuses another tree of the same size: exit 1" 1 "another root.*forked" \
	"$sovctl" journal cosign "${W1[@]}" "$tmp/f80"

# A witness request (tlog-witness add-checkpoint body) carries its proof.
"$jwriter" --dir "$tmp/j" "${wopts[@]}" --count 25 --time-base 1767225600200000000 || bail "jwriter"
expect "journal checkpoint --old 80: a request with the consistency proof" 0 "" \
	sh -c "'$sovctl' journal checkpoint --dir '$tmp/j' --old 80 > '$tmp/req'"
if head -1 "$tmp/req" | grep -qx "old 80" && tail -n 5 "$tmp/req" | cmp -s - "$tmp/j/checkpoint"; then
	ok "the request is 'old 80', proof lines, a blank line, the checkpoint"
else
	notok "request shape" "$(cat "$tmp/req")"
fi
"$sovctl" journal checkpoint --dir "$tmp/j" --old 50 > "$tmp/req50"
expect "a request from another old size than the witness's: exit 1, says which" 1 \
	"proves consistency from tree size 50, but this witness last cosigned tree size 80; ask again with journal checkpoint --old 80" \
	"$sovctl" journal cosign "${W1[@]}" "$tmp/req50"
python3 - "$tmp/req" "$tmp/bad" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
lines[1] = "A" * 43 + "="        # a wrong hash in the proof
open(sys.argv[2], "w").write("\n".join(lines))
PY
expect "a request with a wrong proof: exit 1" 1 "not consistent" \
	"$sovctl" journal cosign "${W1[@]}" "$tmp/bad"
expect "cosign the request: its proof is checked against the witness's state" 0 \
	"consistent with tree size 80" \
	"$sovctl" journal cosign "${W1[@]}" --out "$tmp/c105.w1" "$tmp/req"
"$sovctl" journal cosign --key "$tmp/w2.key" "${log[@]}" "$tmp/c105.w1" > "$tmp/c105.w12" 2>/dev/null
expect "two witnesses on one checkpoint, --witnesses 2" 0 "2 of 2 required" \
	"$sovctl" journal verify "$tmp/j" "${log[@]}" --checkpoint "$tmp/c105.w12" \
	--witness "$tmp/w1.pub" --witness "$tmp/w2.pub"
"$sovctl" keygen --out "$tmp/other" --name sovd.test/other >/dev/null
"$jwriter" --dir "$tmp/jo" --key "$tmp/other.key" --host-id host-o --origin sovd.test/other --count 3 ||
	bail "jwriter"
expect "cosign with a state file of another log: exit 2" 2 "one state file per log" \
	"$sovctl" journal cosign --key "$tmp/w1.key" --pubkey "$tmp/other.pub" --state "$tmp/w1.state" \
	"$tmp/jo/checkpoint"
expect "cosign with a log key as the witness key: exit 2" 2 "not a witness key" \
	"$sovctl" journal cosign --key "$tmp/log.key" "${log[@]}" "$tmp/c50"
expect "cosign a checkpoint not signed by --pubkey: exit 1" 1 "no signature by key" \
	"$sovctl" journal cosign --key "$tmp/w1.key" --state "$tmp/w1-other.state" "${log[@]}" \
	"$tmp/jo/checkpoint"

# ---- exports ----
expect "export with a cosigned --checkpoint" 0 "^exported" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e.sovj" --checkpoint "$tmp/c50.w1"
expect "the export verifies against the cosigned checkpoint, witness required" 0 \
	"witness: +witness.example/w1" \
	"$sovctl" journal verify "$tmp/e.sovj" "${log[@]}" --checkpoint "$tmp/c50.w1" --witness "$tmp/w1.pub"
expect "export --witness --witnesses 1: the cosignature is checked before anything is written" 0 \
	"^exported" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/ew.sovj" --checkpoint "$tmp/c50.w1" \
	--witness "$tmp/w1.pub" --witnesses 1
rm -f "$tmp/ew.sovj"
expect "export --witness with the wrong witness: exit 1, 0 of 1, nothing written" 1 \
	"not exporting.*0 valid cosignature\(s\) by the given witnesses, 1 required" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/ew.sovj" --checkpoint "$tmp/c50.w1" \
	--witness "$tmp/w2.pub"
[ ! -e "$tmp/ew.sovj" ] && ok "no export written when a witness is missing" ||
	notok "no export file after a missing witness" "$(ls -l "$tmp")"
expect "export with a tampered cosignature and --witness: exit 1" 1 "witness.example/w1.*is invalid" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/ew.sovj" --checkpoint "$tmp/bad1" \
	--witness "$tmp/w1.pub"
expect "export --witness without --checkpoint: usage error, exit 2" 2 "applies to the checkpoints" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/ew.sovj" --witness "$tmp/w1.pub"
expect "export --witnesses 2 with one --witness: usage error, exit 2" 2 "more than the --witness keys" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/ew.sovj" --checkpoint "$tmp/c50.w1" \
	--witness "$tmp/w1.pub" --witnesses 2
expect "show --checkpoint --witness: shows the records once the cosignature verified" 0 '"seq":49' \
	"$sovctl" journal show "$tmp/e.sovj" "${log[@]}" --checkpoint "$tmp/c50.w1" \
	--witness "$tmp/w1.pub" -o json
expect "show --witness with the wrong witness: exit 1, nothing shown" 1 \
	"INVALID, nothing shown.*0 valid cosignature" \
	"$sovctl" journal show "$tmp/e.sovj" "${log[@]}" --checkpoint "$tmp/c50.w1" --witness "$tmp/w2.pub"
expect "show --checkpoint of a fork: exit 1" 1 "INVALID, nothing shown" \
	"$sovctl" journal show "$tmp/j" "${log[@]}" --checkpoint "$tmp/f80"
expect "show --no-verify --witness: usage error, exit 2" 2 "does not go with" \
	"$sovctl" journal show "$tmp/j" --no-verify --checkpoint "$tmp/c50.w1" --witness "$tmp/w1.pub"
"$jwriter" --dir "$tmp/empty" "${wopts[@]}" --count 0 || bail "jwriter"
cp "$tmp/empty/checkpoint" "$tmp/c0"
expect "export --checkpoint of the empty tree: refused, says why (no loop)" 2 \
	"empty tree \(size 0\).*leave it out" \
	"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e0.sovj" --checkpoint "$tmp/c0"
[ ! -e "$tmp/e0.sovj" ] && ok "nothing written for the refused export" || notok "no export file" "$(ls -l "$tmp")"
expect "verify an export with --checkpoint of the empty tree: consistent, no proof needed" 0 \
	"1 given checkpoint\(s\) consistent" \
	"$sovctl" journal verify "$tmp/e.sovj" "${log[@]}" --checkpoint "$tmp/c0"

echo "1..$n"
[ $failed -eq 0 ]
