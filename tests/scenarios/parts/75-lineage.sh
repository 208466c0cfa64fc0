# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy and journaling to $SOV_TMP/journal): lineage (issue 17).
#  - a process reads $F (pii-eu) and writes b.out: its derive event and
#    journal record carry sources [$F] and cmdline_sha256, the SHA-256 of
#    its /proc/PID/cmdline (sha256sum of the same arguments, NUL-separated);
#  - a child forked after its parent read $F writes c.out: its derive names
#    $F too (inherited without an event: sovd finds the parent's list);
#  - a fresh process reads b.out and writes d.out: its source is b.out, and
#    `sovctl lineage d.out` on the live journal (verified with the key's
#    public half) names b.out, its writer and $F two generations back.

LN=$SOV_TMP/lin75
rm -rf "$LN"
mkdir -p "$LN"

# ln_sha ARG...: the hex SHA-256 of the arguments as /proc/PID/cmdline has
# them (each followed by a NUL)
ln_sha() {
	printf '%s\0' "$@" | sha256sum | cut -d' ' -f1
}

# ---- one generation: sources and the command line's hash
# The writer stays 2 s after its write: sovd reads /proc/PID/cmdline when it
# handles the derive, and a writer gone by then has cmdline_sha256 "".
"$SOVTEST" pid "read:$F" "write:$LN/b.out:lin-b" sleep:2000 > "$SOV_TMP/act/lin-b.out" 2>&1
A_OUT=$SOV_TMP/act/lin-b.out
sovt_val "$A_OUT" 's/^pid \([0-9][0-9]*\)$/\1/p'
ln_p1=${SOVT_V:-none}
ln_sha1=$(ln_sha "$SOVTEST" pid "read:$F" "write:$LN/b.out:lin-b" sleep:2000)
expect_ev "lineage: the writer's derive event names its source $F" derive "$ln_p1" \
	"\"path\":\"$LN/b.out\"" "\"sources\":[{\"path\":\"$F\","
expect_ev "lineage: and cmdline_sha256 is the SHA-256 of its /proc/PID/cmdline" derive "$ln_p1" \
	"\"path\":\"$LN/b.out\"" "\"cmdline_sha256\":\"$ln_sha1\""

# ---- a child inherits its parent's sources (no fork event)
"$SOVTEST" pid "read:$F" fork "write:$LN/c.out:lin-c" > "$SOV_TMP/act/lin-c.out" 2>&1
ln_i=0
while ! grep -F '"type":"derive"' "$EVENTS" | grep -F "\"path\":\"$LN/c.out\"" |
	grep -Fq "\"sources\":[{\"path\":\"$F\","; do
	[ $ln_i -ge 50 ] && break
	sleep 0.1
	ln_i=$((ln_i + 1))
done
if grep -F '"type":"derive"' "$EVENTS" | grep -F "\"path\":\"$LN/c.out\"" |
	grep -Fq "\"sources\":[{\"path\":\"$F\","; then
	pass "lineage: a forked child's derive names the file its parent read"
else
	fail "lineage: a forked child's derive names the file its parent read"
	grep -F "$LN/c.out" "$EVENTS" | sed 's/^/#   /'
fi

# ---- two generations, and sovctl lineage on the live journal
"$SOVTEST" pid "read:$LN/b.out" "write:$LN/d.out:lin-d" > "$SOV_TMP/act/lin-d.out" 2>&1
A_OUT=$SOV_TMP/act/lin-d.out
sovt_val "$A_OUT" 's/^pid \([0-9][0-9]*\)$/\1/p'
ln_p2=${SOVT_V:-none}
expect_ev "lineage: a reader of the derivative b.out who writes d.out names b.out" derive "$ln_p2" \
	"\"path\":\"$LN/d.out\"" "\"sources\":[{\"path\":\"$LN/b.out\","
# the records are used once a checkpoint signs them (every second)
sleep 1.5
"$SOVCTL" lineage --journal "$SOV_TMP/journal" --pubkey "$SOV_TMP/jkey.pub" "$LN/d.out" \
	> "$SOV_TMP/act/lin-tree.out" 2>&1
ln_rc=$?
if [ $ln_rc = 0 ] && grep -q "by pid $ln_p2 " "$SOV_TMP/act/lin-tree.out" &&
	grep -q "from $LN/b.out " "$SOV_TMP/act/lin-tree.out" &&
	grep -q "by pid $ln_p1 .*(cmdline sha256 $(echo "$ln_sha1" | cut -c1-16)" "$SOV_TMP/act/lin-tree.out" &&
	grep -q "from $F .*an origin" "$SOV_TMP/act/lin-tree.out"; then
	pass "lineage: sovctl lineage d.out on the verified journal: d.out <- b.out <- $F, with the writers"
else
	fail "lineage: sovctl lineage d.out on the verified journal: d.out <- b.out <- $F, with the writers (exit $ln_rc)"
	sed 's/^/#   /' "$SOV_TMP/act/lin-tree.out"
fi
