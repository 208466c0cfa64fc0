#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tools/install-deps: `make demo` installs only what building and running
# sovd needs (no QEMU, no VM tooling); `make test` and `make vmtest` install
# the test set on top; --check reports per set. A fake dpkg-query stands in
# for the package database, so nothing is installed.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d /tmp/sov-deps-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
deps=$top/tools/install-deps

"$deps" --list > "$tmp/default" 2>&1
"$deps" --test --list > "$tmp/test" 2>&1
vm=$(grep -E '^(qemu|busybox|cpio|libclang-rt|ovmf|seabios|python3-cryptography|python3-jsonschema|ibverbs)' "$tmp/default" | tr '\n' ' ')
if [ -s "$tmp/default" ] && [ -z "$vm" ]; then
	ok "default set: $(wc -l < "$tmp/default") packages, none for QEMU, the VM guests or the fuzzers"
else
	notok "default set has no QEMU/VM/fuzzer packages" "expected none, got: ${vm:-an empty list}"
fi
lack=
for p in gcc clang libbpf-dev bpftool libyaml-dev libssl-dev iproute2; do
	grep -qx "$p" "$tmp/default" || lack="$lack $p"
done
if [ -z "$lack" ]; then
	ok "default set has the build and demo packages (gcc clang libbpf-dev bpftool libyaml-dev libssl-dev iproute2)"
else
	notok "default set has the build and demo packages" "expected them all, got missing:$lack"
fi
extra=$(comm -23 <(sort "$tmp/default") <(sort "$tmp/test") | tr '\n' ' ')
if [ -z "$extra" ]; then
	ok "test set contains the default set"
else
	notok "test set contains the default set" "expected nothing missing, got missing: $extra"
fi
for p in qemu-system-x86 busybox-static cpio libclang-rt-14-dev python3-cryptography python3-jsonschema python3-yaml perl ibverbs-utils ibverbs-providers python3-prometheus-client; do
	if grep -qx "$p" "$tmp/test"; then
		ok "test set has $p"
	else
		notok "test set has $p" "expected $p in: $(tr '\n' ' ' < "$tmp/test")"
	fi
done

# --check per set: a package database where every package but QEMU is
# installed.
mkdir -p "$tmp/bin"
cat > "$tmp/bin/dpkg-query" <<'SH'
#!/bin/sh
eval "p=\${$#}"
[ "$p" = qemu-system-x86 ] && exit 1
printf 'install ok installed'
SH
chmod +x "$tmp/bin/dpkg-query"
out=$(PATH=$tmp/bin:$PATH "$deps" --check 2>&1); rc=$?
if [ $rc -eq 0 ]; then
	ok "--check: default set complete without QEMU (exit 0)"
else
	notok "--check: default set complete without QEMU" "expected exit 0, got $rc: $out"
fi
out=$(PATH=$tmp/bin:$PATH "$deps" --test --check 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q 'qemu-system-x86' <<<"$out" && ! grep -q 'gcc' <<<"$out"; then
	ok "--test --check: exit 1 naming only qemu-system-x86"
else
	notok "--test --check: exit 1 naming only qemu-system-x86" "expected exit 1 and 'qemu-system-x86', got $rc: $out"
fi
# Installing the default set with QEMU missing does nothing (idempotent).
out=$(PATH=$tmp/bin:$PATH "$deps" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'all packages of the default set present' <<<"$out"; then
	ok "default install with only QEMU missing installs nothing"
else
	notok "default install with only QEMU missing installs nothing" "expected exit 0 and 'all packages ... present', got $rc: $out"
fi

# Which set each make goal installs (first command make would run).
for g in demo:--check test:'--test --check' vmtest:'--test --check' deps:--check; do
	goal=${g%%:*} want="tools/install-deps ${g#*:} "
	make -s -n -C "$top" "$goal" > "$tmp/make.out" 2>&1
	first=$(grep -m1 . "$tmp/make.out")
	if [[ $first == "$want"* ]]; then
		ok "make $goal runs '$want' first"
	else
		notok "make $goal runs '$want' first" "expected a line starting '$want', got: $first"
	fi
done

echo "1..$n"
[ "$failed" -eq 0 ]
