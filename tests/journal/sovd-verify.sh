#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tools/sovd-verify on its own: its command line (exit 2 without a key, the
# proven window in text and JSON), witness cosignatures (C2SP
# tlog-cosignature, a witness key made here with `cryptography`), signature
# lines by unknown keys ignored; and `sovctl journal verify`/`export`/`show`
# on a machine without BPF: run as nobody with no capabilities in a user
# namespace of its own, they must work (docs/auditing.md). The agreement
# with sovctl on tampered exports is in tamper.sh and reference.sh.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SOV_BUILD:-$top/build}
sovctl=$build/sovctl
jwriter=$build/tests/journal/jwriter
sv=$top/tools/sovd-verify
tmp=$(mktemp -d /tmp/sov-sv-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
python3 -c 'import cryptography' 2>/dev/null || { echo "Bail out! python3-cryptography missing (tools/install-deps --test)"; exit 1; }

"$sovctl" keygen --out "$tmp/k" --name sovd.sv >/dev/null
"$jwriter" --dir "$tmp/j" --key "$tmp/k.key" --host-id h --origin sovd.sv/h --ckpt-records 50 \
	--time-base 1767225600000000000 --step-ns 1000000 --count 300 || { echo "Bail out! jwriter"; exit 1; }
"$sovctl" journal export --journal "$tmp/j" --out "$tmp/e" --since 2026-01-01T00:00:00.1Z \
	--until 2026-01-01T00:00:00.2Z >/dev/null || { echo "Bail out! export"; exit 1; }

out=$("$sv" "$tmp/e" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "no --pubkey" <<<"$out" && ok "no --pubkey: exit 2, says why" ||
	notok "no --pubkey exits 2" "exit $rc" "$out"
out=$("$sv" "$tmp/e" --insecure-no-key 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "WARNING" <<<"$out" && ok "--insecure-no-key: valid with a warning" ||
	notok "--insecure-no-key" "exit $rc" "$out"
out=$("$sv" "$tmp/nonexistent" --pubkey "$tmp/k.pub" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "missing path: exit 2" || notok "missing path: exit 2" "exit $rc" "$out"
out=$("$sv" "$tmp/e" --pubkey "$tmp/k.pub" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "proven: *100 record(s), seq 100..199, 2026-01-01T00:00:00.100000000Z .. 2026-01-01T00:00:00.199000000Z" <<<"$out" &&
	grep -q "checkpoint: *tree size 300, root [0-9a-f]\{64\}" <<<"$out" &&
	grep -q "window: *since 2026-01-01T00:00:00.100000000Z until 2026-01-01T00:00:00.200000000Z" <<<"$out"; then
	ok "the proven window: checkpoint size and root, first/last seq and time, the window"
else
	notok "proven window printed" "exit $rc" "$out"
fi
root=$("$sv" "$tmp/e" --pubkey "$tmp/k.pub" -o json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["root"], d["first"], d["records"], d["tree_size"])')
want=$(sed -n 3p "$tmp/j/checkpoint" | base64 -d | od -An -tx1 | tr -d ' \n')
[ "$root" = "$want 100 100 300" ] && ok "-o json: root (= the checkpoint's), first, records, tree_size" ||
	notok "-o json" "got $root, want $want 100 100 300"

# Witness cosignatures, made here as a C2SP witness would.
python3 - "$tmp" <<'PY'
import base64, hashlib, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
d = sys.argv[1]
note = open(d + "/j/checkpoint", "rb").read()
body = note[:note.index(b"\n\n") + 1]
def vkey(name, pub, alg):
    kid = hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pub).digest()[:4]
    return kid, "%s+%s+%s\n" % (name, kid.hex(), base64.b64encode(bytes([alg]) + pub).decode())
def cosig(name, priv, t):
    pub = priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    kid, text = vkey(name, pub, 4)
    sig = priv.sign(b"cosignature/v1\ntime %d\n" % t + body)
    line = "\u2014 %s %s\n" % (name, base64.b64encode(kid + struct.pack(">Q", t) + sig).decode())
    return text, line.encode()
w1, w2, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
t1, l1 = cosig("witness.example/w1", w1, 1767225700)
t2, l2 = cosig("witness.example/w2", w2, 1767225701)
_, lo = cosig("witness.example/unknown", other, 1767225702)
open(d + "/w1.pub", "w").write(t1)
open(d + "/w2.pub", "w").write(t2)
open(d + "/ck-w1", "wb").write(note + l1)
open(d + "/ck-w1-unknown", "wb").write(note + lo + l1)
open(d + "/ck-w1w2", "wb").write(note + l1 + l2)
bad = bytearray(l1); bad[-10] ^= 1
open(d + "/ck-w1-bad", "wb").write(note + bytes(bad).replace(b"\n", b"") + b"\n")
PY
ckv() {	# ckv NAME WANT CHECKPOINT [ARGS]
	local name=$1 want=$2 ck=$3 out rc
	shift 3
	out=$("$sv" "$tmp/e" --pubkey "$tmp/k.pub" --checkpoint "$ck" "$@" 2>&1); rc=$?
	[ $rc -eq "$want" ] && ok "$name: exit $want" || notok "$name" "exit $rc, want $want" "$out"
	last=$out
}
ckv "checkpoint cosigned by a witness, --witness given" 0 "$tmp/ck-w1" --witness "$tmp/w1.pub"
grep -q "cosigned: .* by witness.example/w1 at 2026-01-01T00:01:40" <<<"$last" &&
	ok "the cosignature and its time are shown" || notok "cosignature shown" "$last"
ckv "cosigned checkpoint, no --witness: the cosignature is an unknown line, ignored" 0 "$tmp/ck-w1"
ckv "a line by an unknown witness is ignored" 0 "$tmp/ck-w1-unknown" --witness "$tmp/w1.pub"
ckv "two witnesses required, both cosigned" 0 "$tmp/ck-w1w2" --witness "$tmp/w1.pub" --witness "$tmp/w2.pub"
ckv "two witnesses required, one cosigned" 1 "$tmp/ck-w1" --witness "$tmp/w1.pub" --witness "$tmp/w2.pub"
ckv "one of two witnesses required (--witnesses 1)" 0 "$tmp/ck-w1" --witness "$tmp/w1.pub" --witness "$tmp/w2.pub" --witnesses 1
ckv "a cosignature altered" 1 "$tmp/ck-w1-bad" --witness "$tmp/w1.pub"
ckv "--witnesses above the keys given is a usage error" 2 "$tmp/ck-w1" --witness "$tmp/w1.pub" --witnesses 2
ckv "a log key given as --witness is a usage error" 2 "$tmp/ck-w1" --witness "$tmp/k.pub"
out=$("$sv" "$tmp/e" --pubkey "$tmp/w1.pub" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "a witness key as --pubkey: exit 2" || notok "witness key as --pubkey" "exit $rc" "$out"

# Without BPF: nobody, no capabilities, then a user namespace of its own
# (bpf() needs CAP_BPF or CAP_SYS_ADMIN in the initial namespace: refused
# there whatever the sysctl says about unprivileged BPF).
chmod 755 "$tmp"; chmod -R a+rX "$tmp"
mkdir "$tmp/out"; chown nobody "$tmp/out"
nobpf=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all -- unshare --user --)
if ! "${nobpf[@]}" true 2>/dev/null; then
	notok "run as nobody in a user namespace (unshare, setpriv)" "$("${nobpf[@]}" true 2>&1)"
else
	if "${nobpf[@]}" bpftool prog show >/dev/null 2>&1; then
		notok "bpf() is refused in the sandbox" "bpftool prog show worked as nobody"
	else
		ok "bpf() is refused in the sandbox (bpftool prog show fails there)"
	fi
	out=$("${nobpf[@]}" "$sovctl" journal verify "$tmp/j" --pubkey "$tmp/k.pub" 2>&1); rc=$?
	[ $rc -eq 0 ] && ok "without BPF: sovctl journal verify of a journal directory" || notok "verify without BPF" "exit $rc" "$out"
	out=$("${nobpf[@]}" "$sovctl" journal export --journal "$tmp/j" --out "$tmp/out/e" 2>&1); rc=$?
	[ $rc -eq 0 ] && ok "without BPF: sovctl journal export" || notok "export without BPF" "exit $rc" "$out"
	out=$("${nobpf[@]}" "$sovctl" journal verify "$tmp/out/e" --pubkey "$tmp/k.pub" 2>&1); rc=$?
	[ $rc -eq 0 ] && ok "without BPF: sovctl journal verify of an export" || notok "verify export without BPF" "exit $rc" "$out"
	out=$("${nobpf[@]}" "$sv" "$tmp/out/e" --pubkey "$tmp/k.pub" 2>&1); rc=$?
	[ $rc -eq 0 ] && ok "without BPF: sovd-verify" || notok "sovd-verify without BPF" "exit $rc" "$out"
	if command -v strace >/dev/null; then
		strace -f -qq -e trace=bpf,openat,open -o "$tmp/trace" "$sovctl" journal verify "$tmp/out/e" --pubkey "$tmp/k.pub" >/dev/null 2>&1
		if grep -qE 'bpf\(|/sys/fs/bpf|/sys/kernel' "$tmp/trace"; then
			notok "sovctl journal verify makes no bpf() call and opens nothing of /sys" "$(grep -E 'bpf\(|/sys/' "$tmp/trace" | head -3)"
		else
			ok "sovctl journal verify makes no bpf() call and opens nothing under /sys/fs/bpf or /sys/kernel (strace)"
		fi
	else
		echo "# strace not installed: the syscall trace check is left out (the run without capabilities above stands)"
	fi
fi
echo "1..$n"
[ $failed -eq 0 ]
