# shellcheck shell=sh
# Part of tests/scenarios/run.sh (sourced with the main sovd enforcing the
# test policy): taint travels over local channels (issue 11,
# bpf/ipc.bpf.h). A writer tainted by the pii file ($F, pii-eu allows [eu,
# local]) writes into a pipe, a FIFO, a Unix socket (stream and datagram,
# socketpair, by path, sendto by name) or a loopback TCP connection; the
# process that reads it was never tainted otherwise: it must be refused
# the US (connect EPERM, its bytes never reach the US peer) and a taint
# event names it with the writer's classes. The false-positive twin: the
# same with an unlabelled writer, and the reader stays clean (US allowed,
# its bytes arrive, no taint event). Then derivation: copy_file_range,
# sendfile and splice of the pii file into a new file label the copy.

IPC_US=$SOV_TMP/srv/us-tcp.out
IPC_DIR=$SOV_TMP/ipc
IPC_PORT=${SOV_IPC_PORT:-47180}
mkdir -p "$IPC_DIR"

# ipc_taint_first KIND: the writer's actions before it writes: read the pii
# file (pii) or an unlabelled one (plain)
ipc_taint_first() {
	if [ "$1" = pii ]; then echo "read:$F"; else echo "read:$D/plain/readme.txt"; fi
}

# ipc_check CASE KIND READER_OUT READER_PID TEXT [PATH]: the reader's
# verdicts. PATH: a fixed string the taint event's path holds.
ipc_check() {
	local c=$1 kind=$2 out=$3 rpid=$4 text=$5 path=$6 saved=$A_OUT
	A_OUT=$out
	if grep -q '^ipc-read\(-ia32\)\{0,1\} ipc-' "$out" || grep -q '^recv ipc-' "$out"; then
		pass "ipc, $c, $kind: the reader reads the writer's data"
	else
		fail "ipc, $c, $kind: the reader reads the writer's data"
		act_diag
	fi
	if [ "$kind" = pii ]; then
		expect_ev "ipc, $c: a taint event names the reader, class pii-eu${path:+ (path $path)}" \
			taint "${rpid:-none}" '"classes":["pii-eu"]' ${path:+"\"path\":\"$path"}
		expect_out "ipc, $c: the reader's connect to the US is refused" "connect $US4 EPERM"
		sleep 0.3
		expect_file_lacks "ipc, $c: the US peer never receives the reader's bytes" \
			"$IPC_US" "$text"
	else
		expect_out "ipc, $c, unlabelled writer: the reader's connect to the US is allowed" \
			"connect $US4 ok"
		sleep 0.3
		expect_file_has "ipc, $c, unlabelled writer: the reader's bytes reach the US" \
			"$IPC_US" "$text"
		expect_no_ev "ipc, $c, unlabelled writer: no taint event for the reader" \
			taint "${rpid:-none}"
	fi
	A_OUT=$saved
}

# the reader's actions after it read: the US oracle
ipc_reader_tail() {
	echo "connect:$US4 write-sock:$1"
}

# ---- a pipe and a Unix socketpair (stream, datagram) between parent and
# child: the child is forked before the parent reads anything (no taint by
# inheritance) and sits in read(); "blocked" sleeps 0.5 s before the
# parent's taint, so the child is in read() before its writer is tainted.
for kind in pii plain; do
	for c in pipe pair dpair blocked; do
		pk=$c
		[ $c = blocked ] && pk=pipe
		text=ipc-$c-$kind-$$
		if [ $c = blocked ]; then pre=sleep:500; else pre=sleep:0; fi
		# shellcheck disable=SC2046
		act ipc-$c-$kind "ipc-fork:$pk" ipc-read $(ipc_reader_tail "$text") join \
			$pre $(ipc_taint_first $kind) "ipc-write:ipc-data-$c" ipc-wait
		sovt_val "$A_OUT" 's/^ipc-fork [a-z]* child=\([0-9][0-9]*\)$/\1/p'
		child=$SOVT_V
		expect_out "ipc, $c, $kind: the writer writes" "ipc-write ipc-data-$c ok"
		case $pk in pipe) p='pipe:[' ;; *) p='socket:[' ;; esac
		ipc_check "$c" $kind "$A_OUT" "$child" "$text" "$p"
	done
done

# ---- the ia32 entry: the same pipe, written and read through int $0x80
# (the IPC programs decode the ia32 table by TS_COMPAT; on the host
# sovtest.static is the non-PIE build whose buffers sit below 4 GiB)
IPC_STATIC=$SOVTEST
[ -x "$SOVTEST.static" ] && IPC_STATIC=$SOVTEST.static
if [ "$("$IPC_STATIC" ia32-probe 2>/dev/null)" = "ia32 yes" ]; then
	for kind in pii plain; do
		text=ipc-ia32-$kind-$$
		IPC_SAVED=$SOVTEST
		SOVTEST=$IPC_STATIC
		# shellcheck disable=SC2046
		act ipc-ia32-$kind "ipc-fork:pipe" ipc-read-ia32 $(ipc_reader_tail "$text") join \
			$(ipc_taint_first $kind) "ipc-write-ia32:ipc-data-ia32" ipc-wait
		SOVTEST=$IPC_SAVED
		sovt_val "$A_OUT" 's/^ipc-fork [a-z]* child=\([0-9][0-9]*\)$/\1/p'
		expect_out "ipc, ia32, $kind: the writer writes through int \$0x80" \
			"ipc-write-ia32 ipc-data-ia32 ok"
		expect_out "ipc, ia32, $kind: the reader reads through int \$0x80" \
			"ipc-read-ia32 ipc-data-ia32"
		ipc_check ia32 $kind "$A_OUT" "$SOVT_V" "$text" 'pipe:['
	done
else
	why="this kernel has 32-bit syscall emulation off (ia32_emulation=off): int \$0x80 faults, so the channel does not exist"
	[ "$(uname -m)" = x86_64 ] || why="no ia32 entry on $(uname -m) (int \$0x80 is x86's): the channel does not exist"
	skip "ipc, ia32: a pipe written and read through int \$0x80 taints the reader" "$why"
fi

# ---- a FIFO between unrelated processes
for kind in pii plain; do
	fifo=$IPC_DIR/fifo-$kind
	rm -f "$fifo"
	text=ipc-fifo-$kind-$$
	# shellcheck disable=SC2046
	act_bg ipc-fifo-r-$kind "fifo-r:$fifo" ipc-read $(ipc_reader_tail "$text")
	rbg=$BG_PID
	# shellcheck disable=SC2046
	act ipc-fifo-w-$kind $(ipc_taint_first $kind) "fifo-w:$fifo" ipc-write:ipc-data-fifo
	wait "$rbg"
	expect_out "ipc, fifo, $kind: the writer writes" "ipc-write ipc-data-fifo ok"
	rout=$SOV_TMP/act/ipc-fifo-r-$kind.out
	sovt_val "$rout" 's/^pid \([0-9]*\)$/\1/p'
	# (the FIFO's path while its fd is open, else "": not checked)
	ipc_check fifo $kind "$rout" "$SOVT_V" "$text" ""
	rm -f "$fifo"
done

# ---- Unix sockets by path: stream (the reader accepts), datagram
# connected, datagram sendto by name; the reader binds and is untainted
for kind in pii plain; do
	for c in ustream udgram usendto; do
		sock=$IPC_DIR/$c-$kind.sock
		rm -f "$sock"
		text=ipc-$c-$kind-$$
		case $c in
		ustream) bind=unix-listen wr="unix-connect:$sock ipc-write:ipc-data-$c" ;;
		udgram) bind=udg-bind wr="udg-connect:$sock ipc-write:ipc-data-$c" ;;
		*) bind=udg-bind wr="udg-sendto:$sock:ipc-data-$c" ;;
		esac
		# shellcheck disable=SC2046
		act_bg ipc-$c-r-$kind "$bind:$sock" ipc-read $(ipc_reader_tail "$text")
		rbg=$BG_PID
		rout=$SOV_TMP/act/ipc-$c-r-$kind.out
		# a datagram sent to a name needs the name bound first
		[ $c = ustream ] || wait_line "$rout" "^$bind "
		# shellcheck disable=SC2046,SC2086
		act ipc-$c-w-$kind $(ipc_taint_first $kind) $wr
		wait "$rbg"
		if grep -q " $sock ok\$" "$A_OUT" && ! grep -q 'ipc-write.*E[A-Z]*$' "$A_OUT"; then
			pass "ipc, $c, $kind: the writer sends"
		else
			fail "ipc, $c, $kind: the writer sends"
			act_diag
		fi
		sovt_val "$rout" 's/^pid \([0-9]*\)$/\1/p'
		ipc_check $c $kind "$rout" "$SOVT_V" "$text" 'socket:['
		rm -f "$sock"
	done
done

# ---- loopback TCP: a 127.0.0.1 listener in a separate, untainted process
for kind in pii plain; do
	port=$IPC_PORT
	[ $kind = plain ] && port=$((IPC_PORT + 1))
	text=ipc-tcp-$kind-$$
	# shellcheck disable=SC2046
	act_bg ipc-tcp-r-$kind "listen:127.0.0.1:$port" accept recv $(ipc_reader_tail "$text")
	rbg=$BG_PID
	rout=$SOV_TMP/act/ipc-tcp-r-$kind.out
	wait_line "$rout" '^listen '
	# shellcheck disable=SC2046
	act ipc-tcp-w-$kind $(ipc_taint_first $kind) "connect:127.0.0.1:$port" send:ipc-data-tcp close
	wait "$rbg"
	expect_out "ipc, loopback tcp, $kind: the writer connects to the local listener" \
		"connect 127.0.0.1:$port ok"
	sovt_val "$rout" 's/^pid \([0-9]*\)$/\1/p'
	ipc_check "loopback tcp" $kind "$rout" "$SOVT_V" "$text" 'socket:['
done

# ---- derivation: copy_file_range, sendfile, splice of the pii file into
# a new file label the copy (the copier is tainted by its open of $F); a
# fresh reader of the copy is refused the US
for mode in cfr sendfile splice; do
	dst=$IPC_DIR/copy-$mode.csv
	rm -f "$dst"
	act ipc-copy-$mode "copy-to:$mode:$F:$dst"
	expect_out "ipc, derive by $mode: the copy is made" "copy-to $mode ok"
	expect_ev "ipc, derive by $mode: a derive event names the copy, class pii-eu" \
		derive "$A_PID" '"classes":["pii-eu"]' "\"path\":\"$dst\""
	act ipc-copy-read-$mode "read:$dst" connect:$US4
	expect_out "ipc, derive by $mode: a reader of the copy is refused the US" "connect $US4 EPERM"
	rm -f "$dst"
done
rm -rf "$IPC_DIR"
