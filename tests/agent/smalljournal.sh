# Sourced by journal-full.t and journal-stop.t: sovd enforcing a one-class
# policy with its journal on a 256 KiB tmpfs, so that a test can fill the
# journal's disk. Set TAG before sourcing; uses B, SOVD, SOVCTL.
T=$(mktemp -d /tmp/sovd-$TAG.XXXXXX)
PIN=/sys/fs/bpf/sovd-$TAG-$$
n=0 failed=0
cleanup() {
	[ -n "${sovd_pid:-}" ] && kill -9 "$sovd_pid" 2>/dev/null
	umount "$T/disk" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }

if [ "$(id -u)" -ne 0 ]; then
	echo "not ok 1 - needs root and BPF (CI runs as root)"; echo "1..1"; exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$T/disk" "$T/data"
mount -t tmpfs -o size=256k tmpfs "$T/disk" || { echo "not ok 1 - mount a small tmpfs"; echo "1..1"; exit 1; }
echo secret > "$T/data/a.csv"
cat > "$T/p.yaml" <<Y
version: 1
zones:
  local: {cidrs: [127.0.0.0/8]}
  nowhere: {cidrs: [127.0.0.2/32]}
classes:
  c1: {paths: [$T/data], allow: [local]}
Y
"$SOVCTL" keygen --out "$T/k" > /dev/null
"$SOVD" --policy "$T/p.yaml" --pin-dir "$PIN" --socket "$T/s" --events /dev/null \
	--journal "$T/disk/journal" --key "$T/k.key" 2> "$T/log" &
sovd_pid=$!
for _ in $(seq 100); do "$SOVCTL" --socket "$T/s" status > /dev/null 2>&1 && break; sleep 0.1; done
"$SOVCTL" --socket "$T/s" status > /dev/null 2>&1; ok $? "sovd starts with its journal on a 256 KiB tmpfs"
