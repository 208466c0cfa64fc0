# Shared by tests/scenarios/run.sh and tools/bench/enforce.sh (sourced).
# POSIX sh: runs under busybox ash (VM guests), dash and bash.
#
# Sets up the world the enforcement scenarios need (bpffs, cgroup2, two
# network namespaces standing in for an EU and a US peer, servers inside
# them, a labelled data set, a policy), starts and stops sovd, reads its
# events, and undoes all of it in sovt_cleanup.

: "${SOV_TOP:=.}"
: "${SOV_BUILD:=$SOV_TOP/build}"
SOVD=${SOVD:-$SOV_BUILD/sovd}
SOVCTL=${SOVCTL:-$SOV_BUILD/sovctl}
SOVTEST=${SOVTEST:-$SOV_BUILD/tests/sovtest}
SOV_MODE=${SOV_MODE:-auto}
# which build of the kernel programs (sovd --bpf-build: auto|current|5.10)
SOV_BPF_BUILD=${SOV_BPF_BUILD:-auto}
# where the syscall programs attach (sovd --syscall-hooks: auto|raw|tracepoints).
# sovd's default is raw; the suite runs auto, so the per-syscall tracepoints
# are tested wherever they would be chosen (the CI host) and raw elsewhere.
SOV_SC_HOOKS=${SOV_SC_HOOKS:-auto}
# seconds sovd_start waits for the agent start event (the verifier's time)
SOV_START_WAIT=${SOV_START_WAIT:-120}

NS_EU=sovt-eu
NS_US=sovt-us
TCP_PORT=8080
UDP_PORT=9000
LO_PORT=${SOV_LO_PORT:-47080}
LOCKDIR=/tmp/sovt-scenarios.lock

SOVT_MOUNTED=	# mount points this run mounted, newest first
SOVT_NETNS=	# namespaces this run created
SOVT_BG=	# background pids (servers)
SOVT_CGROUPS=	# cgroups this run created, newest first
SOVT_TMP_MADE=	# 1 when this run created SOV_TMP
SOVT_LOCKED=
SOVT_PING_RANGE=	# net.ipv4.ping_group_range to restore
SOVD_PID=
BPFFS=
CG2=

diag() { printf '# %s\n' "$*"; }

# iproute2's ip, never busybox's applet (which has no netns and no veth):
# busybox ash runs its own applets first, so the suite calls ip by path.
find_ip() {
	local d
	for d in $(echo "$PATH" | tr : ' ') /sbin /usr/sbin /bin /usr/bin; do
		if [ -x "$d/ip" ] && "$d/ip" -V 2>/dev/null | grep -q iproute2; then
			echo "$d/ip"
			return 0
		fi
	done
	return 1
}
IP=${IP:-$(find_ip)}
# Indents a file as TAP diagnostics.
diag_file() { [ -f "$1" ] && sed 's/^/#   /' "$1"; }

# The mount point of the first mount of filesystem type $1.
find_mount() {
	awk -v t="$1" '{
		for (i = 7; i <= NF; i++) if ($i == "-") break
		if ($(i + 1) == t) { print $5; exit }
	}' /proc/self/mountinfo
}

# The scenarios reconfigure host networking with fixed names and addresses:
# two runs at once (two engineers, make test twice in parallel) would tear
# down each other's namespaces. A directory is the lock busybox can take.
sovt_lock() {
	local waited=0 holder
	while ! mkdir "$LOCKDIR" 2>/dev/null; do
		holder=$(cat "$LOCKDIR/pid" 2>/dev/null)
		if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then
			rm -rf "$LOCKDIR"
			continue
		fi
		if [ "$waited" -ge 300 ]; then
			echo "lock $LOCKDIR held by pid ${holder:-?} for 300 s" >&2
			return 1
		fi
		[ "$waited" -eq 0 ] && diag "waiting for another scenario run (pid ${holder:-?})"
		sleep 1
		waited=$((waited + 1))
	done
	echo $$ > "$LOCKDIR/pid"
	SOVT_LOCKED=1
}

sovt_tmp_init() {
	if [ -z "${SOV_TMP:-}" ]; then
		SOV_TMP=$(mktemp -d /tmp/sovt.XXXXXX) || return 1
		SOVT_TMP_MADE=1
	fi
	case $SOV_TMP in
	/?*) ;;
	*) echo "SOV_TMP must be an absolute directory, not '$SOV_TMP'" >&2; return 1 ;;
	esac
	mkdir -p "$SOV_TMP" || return 1
	mkdir -p "$SOV_TMP/data" "$SOV_TMP/srv" "$SOV_TMP/act"
}

# bpffs and cgroup2: use what is mounted, mount a private one otherwise.
sovt_mounts() {
	BPFFS=$(find_mount bpf)
	if [ -z "$BPFFS" ]; then
		mkdir -p /sys/fs/bpf
		mount -t bpf bpf /sys/fs/bpf || return 1
		SOVT_MOUNTED="/sys/fs/bpf $SOVT_MOUNTED"
		BPFFS=/sys/fs/bpf
	fi
	CG2=$(find_mount cgroup2)
	if [ -z "$CG2" ]; then
		mkdir -p "$SOV_TMP/cgroup2"
		mount -t cgroup2 cgroup2 "$SOV_TMP/cgroup2" || return 1
		SOVT_MOUNTED="$SOV_TMP/cgroup2 $SOVT_MOUNTED"
		CG2=$SOV_TMP/cgroup2
	fi
}

# One namespace per jurisdiction, joined to the host by a veth pair:
# host 10.x.0.1 / fd00:x::1  <->  namespace 10.x.0.2 / fd00:x::2.
sovt_netns_one() {
	local ns=$1 n=$2
	"$IP" netns del "$ns" 2>/dev/null
	"$IP" link del "$ns-h" 2>/dev/null
	"$IP" netns add "$ns" || return 1
	SOVT_NETNS="$SOVT_NETNS $ns"
	"$IP" link add "$ns-h" type veth peer name "$ns-p" || return 1
	"$IP" link set "$ns-p" netns "$ns" || return 1
	"$IP" addr add "10.$n.0.1/24" dev "$ns-h" || return 1
	"$IP" -6 addr add "fd00:$n::1/64" dev "$ns-h" nodad || return 1
	"$IP" link set "$ns-h" up || return 1
	"$IP" -n "$ns" link set lo up || return 1
	"$IP" -n "$ns" addr add "10.$n.0.2/24" dev "$ns-p" || return 1
	"$IP" -n "$ns" -6 addr add "fd00:$n::2/64" dev "$ns-p" nodad || return 1
	"$IP" -n "$ns" link set "$ns-p" up || return 1
}

sovt_netns() {
	mkdir -p /var/run/netns 2>/dev/null
	sovt_netns_one "$NS_EU" 10 && sovt_netns_one "$NS_US" 20
}

# Starts "$@" in the background with its output in $log, and waits (5 s)
# for the "ready" line sovtest and enforce print once listening.
sovt_bg_ready() {
	local log=$1 i=0
	shift
	"$@" > "$log" 2>&1 &
	SOVT_BG="$SOVT_BG $!"
	while ! grep -q ready "$log" 2>/dev/null; do
		if [ $i -ge 50 ] || ! kill -0 $! 2>/dev/null; then
			echo "failed to start $*:" >&2
			cat "$log" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# TCP and UDP servers on both address families in each namespace, and a
# TCP listener on the host's loopback.
sovt_servers() {
	local s=$SOV_TMP/srv
	sovt_bg_ready "$s/eu-tcp.log" "$IP" netns exec "$NS_EU" "$SOVTEST" serve-tcp :: $TCP_PORT "$s/eu-tcp.out" 900 &&
	sovt_bg_ready "$s/eu-udp.log" "$IP" netns exec "$NS_EU" "$SOVTEST" serve-udp :: $UDP_PORT "$s/eu-udp.out" 900 &&
	sovt_bg_ready "$s/us-tcp.log" "$IP" netns exec "$NS_US" "$SOVTEST" serve-tcp :: $TCP_PORT "$s/us-tcp.out" 900 &&
	sovt_bg_ready "$s/us-udp.log" "$IP" netns exec "$NS_US" "$SOVTEST" serve-udp :: $UDP_PORT "$s/us-udp.out" 900 &&
	sovt_bg_ready "$s/lo-tcp.log" "$SOVTEST" serve-tcp 127.0.0.1 $LO_PORT "$s/lo-tcp.out" 900
}

# The labelled data set. Everything under data/pii is pii-eu, under data/aud
# "audited"; data/plain is unlabelled; data/out receives derivatives.
sovt_dataset() {
	local d=$SOV_TMP/data
	mkdir -p "$d/pii/sub" "$d/aud" "$d/plain" "$d/out" || return 1
	echo "id,name,iban" > "$d/pii/customers.csv"
	echo "1,Jane Roe,DE00" >> "$d/pii/customers.csv"
	echo "barrier" > "$d/pii/barrier.csv"
	echo "deep" > "$d/pii/sub/deep.csv"
	echo "link source" > "$d/pii/link-src.csv"
	echo "rename source" > "$d/pii/rename-src.csv"
	echo "weights" > "$d/aud/model.bin"
	echo "public" > "$d/plain/readme.txt"
}

# sovt_policy FILE [SCOPE_CGROUP]
sovt_policy() {
	{
		echo "version: 1"
		echo "mode: enforce"
		if [ -n "${2:-}" ]; then
			echo "scope:"
			echo "  cgroups: [\"$2\"]"
		fi
		cat <<EOF
zones:
  eu:
    cidrs: [10.10.0.0/16, "fd00:10::/32"]
  us:
    cidrs: [10.20.0.0/16, "fd00:20::/32"]
  local:
    cidrs: [127.0.0.0/8, "::1/128"]
classes:
  pii-eu:
    paths: ["$SOV_TMP/data/pii", "$SOV_TMP/late-pii/data"]
    allow: [eu, local]
    action: block
  audited:
    paths: ["$SOV_TMP/data/aud"]
    allow: [eu]
    action: audit
EOF
	} > "$1"
}

# sovd_start TAG POLICY PINDIR [ARGS...]: starts sovd with events in
# $SOV_TMP/events-TAG.ndjson and waits (20 s) for its agent start event.
# Sets SOVD_PID, EVENTS, SOVD_LOG.
sovd_start() {
	local tag=$1 policy=$2 pin=$3 i=0
	shift 3
	EVENTS=$SOV_TMP/events-$tag.ndjson
	SOVD_LOG=$SOV_TMP/sovd-$tag.log
	: > "$EVENTS"
	"$SOVD" --policy "$policy" --events "$EVENTS" --pin-dir "$pin" \
		--socket "$SOV_TMP/sovd.sock" --kernel-path "$SOV_MODE" --bpf-build "$SOV_BPF_BUILD" \
		--syscall-hooks "$SOV_SC_HOOKS" "$@" > "$SOVD_LOG" 2>&1 &
	SOVD_PID=$!
	while ! grep -q '"type":"agent".*"action":"start"' "$EVENTS" 2>/dev/null; do
		if ! kill -0 "$SOVD_PID" 2>/dev/null; then
			wait "$SOVD_PID"
			diag "sovd exited with status $? before its start event; its log:"
			diag_file "$SOVD_LOG"
			SOVD_PID=
			return 1
		fi
		if [ $i -ge $((SOV_START_WAIT * 10)) ]; then
			diag "no agent start event after $SOV_START_WAIT s; sovd log:"
			diag_file "$SOVD_LOG"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# sovd_stop [SIGNAL]: signals sovd (default TERM), waits for it (10 s, then
# KILL) and sets SOVD_STATUS to its exit status.
sovd_stop() {
	local sig=${1:-TERM} i=0
	SOVD_STATUS=
	[ -n "$SOVD_PID" ] || return 0
	kill -"$sig" "$SOVD_PID" 2>/dev/null
	while kill -0 "$SOVD_PID" 2>/dev/null; do
		if [ $i -ge 100 ]; then
			diag "sovd did not exit within 10 s of SIG$sig; killing it"
			kill -KILL "$SOVD_PID" 2>/dev/null
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait "$SOVD_PID" 2>/dev/null
	SOVD_STATUS=$?
	SOVD_PID=
}

# Ping sockets for root: the guests' kernels keep the default "1 0" (no
# group may open one); Debian's userland opens them to everyone. Restored
# by sovt_cleanup.
PING_RANGE=/proc/sys/net/ipv4/ping_group_range
sovt_ping_range() {
	SOVT_PING_RANGE=$(cat "$PING_RANGE") || return 1
	echo "0 2147483647" > "$PING_RANGE"
}

# icmp_in_echos NS: the echo requests namespace NS has received (its own
# /proc/net/snmp): the oracle that an ICMP echo never reached the peer.
icmp_in_echos() {
	"$IP" netns exec "$1" cat /proc/net/snmp 2>/dev/null | awk '$1 == "Icmp:" {
		if (!c) { for (i = 2; i <= NF; i++) if ($i == "InEchos") c = i; next }
		print $c; exit
	}'
}

sovt_cleanup() {
	local p cg m
	[ -n "$SOVD_PID" ] && sovd_stop TERM
	if [ -n "$SOVT_PING_RANGE" ]; then
		echo "$SOVT_PING_RANGE" > "$PING_RANGE"
		SOVT_PING_RANGE=
	fi
	for p in $SOVT_BG; do
		kill "$p" 2>/dev/null
	done
	for p in $SOVT_BG; do
		wait "$p" 2>/dev/null
	done
	SOVT_BG=
	# Pins outlive a killed sovd and keep enforcing: removing them is what
	# detaches the programs.
	if [ -n "$BPFFS" ]; then
		for p in "$BPFFS"/sovt-$$-*; do
			[ -e "$p" ] && rm -rf "$p"
		done
	fi
	for p in $SOVT_NETNS; do
		"$IP" netns del "$p" 2>/dev/null
		"$IP" link del "$p-h" 2>/dev/null
	done
	SOVT_NETNS=
	for cg in $SOVT_CGROUPS; do
		rmdir "$cg" 2>/dev/null
	done
	SOVT_CGROUPS=
	for m in $SOVT_MOUNTED; do
		umount "$m" 2>/dev/null
	done
	SOVT_MOUNTED=
	if [ "${SOV_KEEP:-0}" = 1 ]; then
		diag "kept $SOV_TMP"
	elif [ -n "$SOVT_TMP_MADE" ]; then
		rm -rf "$SOV_TMP"
	elif [ -n "${SOV_TMP:-}" ] && [ "$SOV_TMP" != / ]; then
		rm -rf "$SOV_TMP"/* 2>/dev/null
	fi
	if [ -n "$SOVT_LOCKED" ]; then
		rm -rf "$LOCKDIR"
		SOVT_LOCKED=
	fi
}

# sovt_val FILE SED-SCRIPT: the first line `sed -n SED-SCRIPT FILE` prints,
# in SOVT_V ("" if none), without tainting this shell. FILE is often the
# output of a tainted sovtest, a labelled derivative: a `$(sed ... FILE)`
# would hand its bytes to this shell through a pipe, and data read from a
# pipe written by a tainted process taints the reader (issue 11), so every
# later actor forked from here would start tainted. The value comes back
# as the name of an empty file instead, which the shell finds with a glob
# (a directory listing, not data sovd labels). Values are pids, fds and
# inode numbers: no "/".
sovt_val() {
	local d=$SOV_TMP/.val f
	rm -rf "$d"
	mkdir -p "$d"
	sh -c 'v=$(sed -n "$2" "$1" | head -n1); case $v in ""|*/*) ;; *) : > "$3/$v" ;; esac' \
		sh "$1" "$2" "$d"
	SOVT_V=
	for f in "$d"/*; do
		[ -e "$f" ] && SOVT_V=${f##*/}
	done
	rm -rf "$d"
}

# ev_match TYPE PID [FIXED-STRING...]: prints the events in $EVENTS of that
# type and pid containing every string; fails when there are none. The
# contract fixes the key order, so type and pid are adjacent.
ev_match() {
	local t=$1 p=$2 m=$SOV_TMP/.match pat
	shift 2
	grep -F "\"type\":\"$t\",\"pid\":$p," "$EVENTS" > "$m" 2>/dev/null || return 1
	for pat in "$@"; do
		grep -F -- "$pat" "$m" > "$m.2" || return 1
		mv "$m.2" "$m"
	done
	cat "$m"
}

# ev_wait TYPE PID [FIXED-STRING...]: ev_match, retried for up to 5 s
# (events reach the file asynchronously).
ev_wait() {
	local i=0
	while ! ev_match "$@" > /dev/null; do
		[ $i -ge 50 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	ev_match "$@"
}
