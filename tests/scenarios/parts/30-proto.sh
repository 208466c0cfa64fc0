# Protocol details of the egress hooks (issue 10): sendto() names of odd
# families, corked UDP, v4-mapped, NAT64 and 6to4 destinations, IPv4 source
# routes and IPv6 routing headers, TCP Fast Open. Sourced by run.sh with the
# main sovd enforcing the test policy (pii-eu allows eu and local). Every
# refusal has its untainted twin, which must reach the peer: the oracle is
# the peer's own server output, so a refused datagram really never arrived.
#
# The part changes a few sysctls (TCP Fast Open on the host; forwarding,
# source routes and segment routing inside the peer namespaces) and adds a
# link between the two peers; all of it is undone at its end, or by the
# EXIT trap if the suite dies on the way.

PROTO_UNDO=		# "NS|PATH|OLD" words, newest first (NS - is the host)
PROTO_ROUTES=		# host routes to delete
PROTO_ADDRS=		# "NS|ADDR" addresses on the peers' loopback to delete
PROTO_XLINK=

# proto_sysctl NS PATH VALUE: sets /proc/sys/PATH in namespace NS (- for
# the host), remembering the old value.
proto_sysctl() {
	local old
	if [ "$1" = - ]; then
		old=$(cat "/proc/sys/$2") && echo "$3" > "/proc/sys/$2"
	else
		old=$("$IP" netns exec "$1" cat "/proc/sys/$2") &&
			"$IP" netns exec "$1" sh -c "echo $3 > /proc/sys/$2"
	fi || return 1
	PROTO_UNDO="$1|$2|$old $PROTO_UNDO"
}

proto_undo() {
	local u ns rest path old r
	for u in $PROTO_UNDO; do
		ns=${u%%|*}
		rest=${u#*|}
		path=${rest%%|*}
		old=${rest#*|}
		if [ "$ns" = - ]; then
			echo "$old" > "/proc/sys/$path"
		else
			"$IP" netns exec "$ns" sh -c "echo $old > /proc/sys/$path" 2>/dev/null
		fi
	done
	PROTO_UNDO=
	for r in $PROTO_ROUTES; do
		"$IP" route del "$r" 2>/dev/null
	done
	PROTO_ROUTES=
	for r in $PROTO_ADDRS; do
		"$IP" -n "${r%%|*}" -6 addr del "${r#*|}/128" dev lo 2>/dev/null
	done
	PROTO_ADDRS=
	if [ -n "$PROTO_XLINK" ]; then
		"$IP" -n "$NS_EU" link del sovt-xe 2>/dev/null
		PROTO_XLINK=
	fi
}
trap 'proto_undo; finish' EXIT

PF=$PII/customers.csv
PU=$UDP_PORT
USO=$SOV_TMP/srv/us-udp.out
EUO=$SOV_TMP/srv/eu-udp.out
UST=$SOV_TMP/srv/us-tcp.out
EUT=$SOV_TMP/srv/eu-tcp.out
if [ "$MODE" = lsm ]; then PHOOK=sendmsg; else PHOOK=skb; fi

# expect_never DESC FILE TEXT: a short wait for the datagram, then it must
# not be there.
expect_never() {
	sleep 0.3
	expect_file_lacks "$1" "$2" "$3"
}
expect_arrived() {
	sleep 0.3
	expect_file_has "$1" "$2" "$3"
}

# ---- sendto() names: AF_UNSPEC on an IPv4 socket is sent as AF_INET
act proto-unspec-u usock:4 "usendto-unspec:10.20.0.2:$PU:unspec-u-$$"
expect_out "names, untainted: sendto() with an AF_UNSPEC name on an IPv4 socket is sent" \
	"usendto-unspec 10.20.0.2:$PU ok"
expect_arrived "names, untainted: the kernel sends an AF_UNSPEC name to its address (the oracle works)" \
	"$USO" "unspec-u-$$"
act proto-unspec usock:4 "read:$PF" "usendto-unspec:10.20.0.2:$PU:unspec-us-$$" \
	"usendto-unspec:10.10.0.2:$PU:unspec-eu-$$"
expect_out "names, tainted: an AF_UNSPEC name for the US is refused with EPERM" \
	"usendto-unspec 10.20.0.2:$PU EPERM"
expect_ev "names, tainted: deny event for the AF_UNSPEC name (zone us, hook sendmsg)" egress "$A_PID" \
	"\"verdict\":\"deny\",\"proto\":\"udp\",\"dst\":\"10.20.0.2\",\"dport\":$PU,\"zone\":\"us\",\"violated\":[\"pii-eu\"],\"hook\":\"sendmsg\""
expect_never "names, tainted: the US peer never receives it" "$USO" "unspec-us-$$"
expect_out "names, tainted: an AF_UNSPEC name for the EU is allowed" "usendto-unspec 10.10.0.2:$PU ok"
expect_arrived "names, tainted: the EU peer receives it" "$EUO" "unspec-eu-$$"

# ---- an AF_INET name on a dual-stack IPv6 socket goes out over IPv4, and
# so does a v4-mapped one
act proto-v4name usock:6 "read:$PF" "usendto:10.20.0.2:$PU:v4name-us-$$" \
	"usendto:[::ffff:10.20.0.2]:$PU:mapped-us-$$" "usendto:10.10.0.2:$PU:v4name-eu-$$"
expect_out "names, tainted: an AF_INET name on an IPv6 socket to the US is refused" \
	"usendto 10.20.0.2:$PU EPERM"
expect_out "names, tainted: a v4-mapped name on a dual-stack socket to the US is refused" \
	"usendto [::ffff:10.20.0.2]:$PU EPERM"
expect_ev "names, tainted: deny event shows the IPv4 address, zone us" egress "$A_PID" \
	"\"verdict\":\"deny\",\"proto\":\"udp\",\"dst\":\"10.20.0.2\",\"dport\":$PU,\"zone\":\"us\""
expect_out "names, tainted: an AF_INET name on an IPv6 socket to the EU is allowed" \
	"usendto 10.10.0.2:$PU ok"
expect_arrived "names, tainted: the EU peer receives it" "$EUO" "v4name-eu-$$"
sleep 0.3
expect_file_lacks "names, tainted: the US peer receives neither" "$USO" "v4name-us-$$"
expect_file_lacks "names, tainted: (nor the v4-mapped one)" "$USO" "mapped-us-$$"

# ---- AF_UNSPEC on an IPv6 socket is no name: the connected peer decides
act proto-unspec6-eu usock:6 "uconnect:[fd00:10::2]:$PU" "read:$PF" \
	"usendto-unspec:[fd00:20::2]:$PU:unspec6-eu-$$"
expect_out "names, IPv6 AF_UNSPEC: a tainted send on a socket connected to the EU is allowed" \
	"usendto-unspec [fd00:20::2]:$PU ok"
expect_arrived "names, IPv6 AF_UNSPEC: it reaches the connected EU peer, not the address named" \
	"$EUO" "unspec6-eu-$$"
act proto-unspec6-us usock:6 "uconnect:[fd00:20::2]:$PU" "read:$PF" \
	"usendto-unspec:[fd00:10::2]:$PU:unspec6-us-$$"
if [ "$MODE" = lsm ]; then
	expect_out "names, IPv6 AF_UNSPEC: naming the EU on a socket connected to the US is refused (LSM path)" \
		"usendto-unspec [fd00:10::2]:$PU EPERM"
fi
expect_ev "names, IPv6 AF_UNSPEC: deny event for the connected US peer (hook $PHOOK)" egress "$A_PID" \
	'"verdict":"deny","proto":"udp","dst":"fd00:20::2"' '"zone":"us"' "\"hook\":\"$PHOOK\""
expect_never "names, IPv6 AF_UNSPEC: the US peer never receives it" "$USO" "unspec6-us-$$"
expect_file_lacks "names, IPv6 AF_UNSPEC: nor does the EU peer named" "$EUO" "unspec6-us-$$"

# ---- corked UDP: a datagram corked to the US before the taint keeps its
# destination, whatever name the flushing send gives
act proto-more-u usock:4 "umore:10.20.0.2:$PU:more-u1-$$" "usend:more-u2-$$"
expect_arrived "cork, untainted: MSG_MORE then send() delivers one datagram to the US (the oracle works)" \
	"$USO" "more-u1-$$more-u2-$$"
act proto-more usock:4 "umore:10.20.0.2:$PU:more-pre-$$" "read:$PF" "usend:more-post-$$"
expect_out "cork, MSG_MORE: corked to the US before the taint" "umore 10.20.0.2:$PU ok"
[ "$MODE" = lsm ] && expect_out "cork, MSG_MORE: the tainted flush is refused with EPERM (LSM path)" \
	"usend more-post-$$ EPERM"
expect_ev "cork, MSG_MORE: deny event for the cork's destination (zone us, hook $PHOOK)" egress "$A_PID" \
	'"verdict":"deny","proto":"udp","dst":"10.20.0.2"' '"zone":"us"' \
	"\"hook\":\"$PHOOK\""
expect_never "cork, MSG_MORE: the US peer never receives the tainted data" "$USO" "more-post-$$"

act proto-more-eu usock:4 "umore:10.20.0.2:$PU:moreeu-pre-$$" "read:$PF" \
	"usendto:10.10.0.2:$PU:moreeu-post-$$"
[ "$MODE" = lsm ] && expect_out "cork, MSG_MORE: a tainted flush naming the EU is refused too (LSM path)" \
	"usendto 10.10.0.2:$PU EPERM"
expect_ev "cork, MSG_MORE: the flush naming the EU is judged by the cork (zone us)" egress "$A_PID" \
	'"verdict":"deny","proto":"udp","dst":"10.20.0.2"' '"zone":"us"'
sleep 0.3
expect_file_lacks "cork, MSG_MORE: the US peer never receives it" "$USO" "moreeu-post-$$"
expect_file_lacks "cork, MSG_MORE: nor the EU peer it named" "$EUO" "moreeu-post-$$"

act proto-cork6 usock:6 ucork:1 "usendto:[fd00:20::2]:$PU:cork6-pre-$$" "read:$PF" \
	"usendto:[fd00:10::2]:$PU:cork6-post-$$" ucork:0
expect_out "cork, UDP_CORK on IPv6: corked to the US before the taint" "usendto [fd00:20::2]:$PU ok"
[ "$MODE" = lsm ] && expect_out "cork, UDP_CORK on IPv6: a tainted send naming the EU is refused (LSM path)" \
	"usendto [fd00:10::2]:$PU EPERM"
expect_ev "cork, UDP_CORK on IPv6: deny event for the cork's destination fd00:20::2" egress "$A_PID" \
	'"verdict":"deny","proto":"udp","dst":"fd00:20::2"' '"zone":"us"' "\"hook\":\"$PHOOK\""
sleep 0.3
# On the LSM path the uncork sends what was corked before the taint (data
# the process had before it read the file); the tainted part never leaves.
expect_file_lacks "cork, UDP_CORK on IPv6: the US peer never receives the tainted data" "$USO" "cork6-post-$$"
expect_file_lacks "cork, UDP_CORK on IPv6: nor the EU peer it named" "$EUO" "cork6-post-$$"

# ---- NAT64 and 6to4 destinations are judged by their IPv4 address. The
# peers answer on those addresses, as a NAT64 gateway or 6to4 router would
# deliver to them.
NAT_US=64:ff9b::a14:2
NAT_EU=64:ff9b::a0a:2
SIX_US=2002:a14:2::1
LOCAL_NAT=64:ff9b:1:a14:2::
proto_addr() {
	"$IP" -n "$1" -6 addr add "$2/128" dev lo nodad || return 1
	PROTO_ADDRS="$1|$2 $PROTO_ADDRS"
	"$IP" -6 route add "$2/128" via "$3" && PROTO_ROUTES="$2/128 $PROTO_ROUTES"
}
if proto_addr "$NS_US" "$NAT_US" fd00:20::2 && proto_addr "$NS_EU" "$NAT_EU" fd00:10::2 &&
	proto_addr "$NS_US" "$SIX_US" fd00:20::2 && proto_addr "$NS_US" "$LOCAL_NAT" fd00:20::2; then
	act proto-nat-u "connect:[$NAT_US]:$TCP_PORT" "send:nat-u-$$" "connect:[$SIX_US]:$TCP_PORT" \
		"send:six-u-$$" "connect:[$LOCAL_NAT]:$TCP_PORT" "send:lnat-u-$$"
	expect_out "nat64, untainted: connect to the US peer by its NAT64 address" \
		"connect [$NAT_US]:$TCP_PORT ok"
	expect_arrived "nat64, untainted: the US peer receives the data (the oracle works)" "$UST" "nat-u-$$"
	expect_file_has "6to4, untainted: the US peer receives data sent to its 6to4 address" "$UST" "six-u-$$"
	expect_file_has "nat64 local-use, untainted: and to a 64:ff9b:1::/48 address" "$UST" "lnat-u-$$"
	act proto-nat "read:$PF" "connect:[$NAT_US]:$TCP_PORT" "send:nat-us-$$" \
		"connect:[$SIX_US]:$TCP_PORT" "send:six-us-$$" "connect:[$LOCAL_NAT]:$TCP_PORT" \
		"send:lnat-us-$$" "connect:[$NAT_EU]:$TCP_PORT" "send:nat-eu-$$"
	expect_out "nat64, tainted: connect to 64:ff9b::10.20.0.2 is refused with EPERM" \
		"connect [$NAT_US]:$TCP_PORT EPERM"
	expect_ev "nat64, tainted: deny event names the NAT64 address and zone us" egress "$A_PID" \
		"\"verdict\":\"deny\",\"proto\":\"tcp\",\"dst\":\"$NAT_US\",\"dport\":$TCP_PORT,\"zone\":\"us\""
	expect_out "6to4, tainted: connect to 2002:a14:2::1 is refused with EPERM" \
		"connect [$SIX_US]:$TCP_PORT EPERM"
	expect_ev "6to4, tainted: deny event in zone us" egress "$A_PID" \
		"\"verdict\":\"deny\",\"proto\":\"tcp\",\"dst\":\"$SIX_US\",\"dport\":$TCP_PORT,\"zone\":\"us\""
	expect_out "nat64 local-use, tainted: connect to 64:ff9b:1::/48 is refused (unknown zone)" \
		"connect [$LOCAL_NAT]:$TCP_PORT EPERM"
	expect_ev "nat64 local-use, tainted: deny event in zone unknown" egress "$A_PID" \
		"\"verdict\":\"deny\",\"proto\":\"tcp\",\"dst\":\"$LOCAL_NAT\",\"dport\":$TCP_PORT,\"zone\":\"unknown\""
	expect_out "nat64, tainted: connect to 64:ff9b::10.10.0.2 (EU) is allowed" \
		"connect [$NAT_EU]:$TCP_PORT ok"
	expect_arrived "nat64, tainted: the EU peer receives the data" "$EUT" "nat-eu-$$"
	sleep 0.3
	for t in nat-us six-us lnat-us; do
		expect_file_lacks "nat64/6to4, tainted: the US peer never receives $t" "$UST" "$t-$$"
	done
else
	fail "nat64: the peers get NAT64 and 6to4 addresses"
fi

# ---- source routes: the packet's header names only the first hop. The
# two peers get a link of their own, forward, and honour source routes
# and segment routing, so a packet routed through one reaches the other.
proto_xlink() {
	local ns n rest dev i
	"$IP" link add sovt-xe netns "$NS_EU" type veth peer name sovt-xu netns "$NS_US" || return 1
	PROTO_XLINK=1
	"$IP" -n "$NS_EU" addr add 10.30.0.1/24 dev sovt-xe &&
	"$IP" -n "$NS_US" addr add 10.30.0.2/24 dev sovt-xu &&
	"$IP" -n "$NS_EU" -6 addr add fd00:30::1/64 dev sovt-xe nodad &&
	"$IP" -n "$NS_US" -6 addr add fd00:30::2/64 dev sovt-xu nodad &&
	"$IP" -n "$NS_EU" link set sovt-xe up && "$IP" -n "$NS_US" link set sovt-xu up &&
	"$IP" -n "$NS_EU" route add 10.20.0.2/32 via 10.30.0.2 &&
	"$IP" -n "$NS_US" route add 10.10.0.2/32 via 10.30.0.1 &&
	"$IP" -n "$NS_EU" -6 route add fd00:20::2/128 via fd00:30::2 &&
	"$IP" -n "$NS_US" -6 route add fd00:10::2/128 via fd00:30::1 || return 1
	for ns in "$NS_EU:sovt-eu-p:sovt-xe" "$NS_US:sovt-us-p:sovt-xu"; do
		n=${ns%%:*}
		rest=${ns#*:}
		for dev in all ${rest%%:*} ${rest#*:}; do
			proto_sysctl "$n" "net/ipv4/conf/$dev/accept_source_route" 1 &&
			proto_sysctl "$n" "net/ipv4/conf/$dev/rp_filter" 0 &&
			proto_sysctl "$n" "net/ipv6/conf/$dev/seg6_enabled" 1 || return 1
		done
		proto_sysctl "$n" net/ipv4/ip_forward 1 &&
		proto_sysctl "$n" net/ipv6/conf/all/forwarding 1 || return 1
	done
	# IPv6 forwards over the new link only once its link-local
	# addresses have left duplicate address detection.
	i=0
	while [ $i -lt 50 ]; do
		[ -z "$("$IP" -n "$NS_EU" -6 addr show dev sovt-xe tentative)" ] &&
			[ -z "$("$IP" -n "$NS_US" -6 addr show dev sovt-xu tentative)" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	diag "the link between the peers still has tentative IPv6 addresses after 5 s"
}
if proto_xlink; then
	# IPv4 LSRR and an IPv6 segment routing header (IPV6_RTHDR). Via the
	# EU to the US: the header names the EU (the tracing path's cgroup_skb
	# reads it); via the US to the EU: the socket names the EU (the LSM
	# path's sendmsg reads that). Judged as the unknown zone either way.
	for c in lsrr:us lsrr:eu lsrrmsg:us lsrrmsg:eu rthdr:us rthdr:eu; do
		how=${c%%:*}
		to=${c#*:}
		case $c in
		lsrr:us) dst=10.20.0.2 hop=10.10.0.2 out=$USO ;;
		lsrr:eu) dst=10.10.0.2 hop=10.20.0.2 out=$EUO ;;
		lsrrmsg:us) dst=10.20.0.2 hop=10.10.0.2 out=$USO ;;
		lsrrmsg:eu) dst=10.10.0.2 hop=10.20.0.2 out=$EUO ;;
		rthdr:us) dst=[fd00:20::2] hop=fd00:10::2 out=$USO ;;
		rthdr:eu) dst=[fd00:10::2] hop=fd00:20::2 out=$EUO ;;
		esac
		fam=4
		[ "$how" = rthdr ] && fam=6
		what="$how to $to via $hop"
		if [ "$how" = lsrrmsg ]; then
			# a source route for one datagram: an IP_RETOPTS control message
			set_u="lsrrmsg:$hop:$how-$to-u-$$"
			set_t="lsrrmsg:$hop:$how-$to-$$"
			set_ok="lsrrmsg $how-$to-u-$$ ok"
			set_no="lsrrmsg $how-$to-$$ EPERM"
			act "proto-$how-$to-u" "usock:$fam" "uconnect:$dst:$PU" "$set_u"
		else
			set_t="usend:$how-$to-$$"
			set_ok="$how $hop ok"
			set_no="usend $how-$to-$$ EPERM"
			act "proto-$how-$to-u" "usock:$fam" "uconnect:$dst:$PU" "$how:$hop" "usend:$how-$to-u-$$"
		fi
		if [ "$how" = rthdr ] && grep -Fqx "rthdr $hop EINVAL" "$A_OUT"; then
			why="this kernel refuses IPV6_RTHDR type 4 (built without segment routing)"
			skip "$what: the routing header is set" "$why"
			skip "$what, tainted: the datagram never arrives" "$why"
			continue
		fi
		expect_out "$what, untainted: the source route is taken" "$set_ok"
		expect_arrived "$what, untainted: the datagram reaches $dst through $hop (the oracle works)" \
			"$out" "$how-$to-u-$$"
		if [ "$how" = lsrrmsg ]; then
			act "proto-$how-$to" "usock:$fam" "uconnect:$dst:$PU" "read:$PF" "$set_t"
		else
			act "proto-$how-$to" "usock:$fam" "uconnect:$dst:$PU" "$how:$hop" "read:$PF" "$set_t"
		fi
		hook=$PHOOK
		if [ "$how" = lsrrmsg ]; then
			# A control message's source route makes the connected
			# socket's send an unconnected one: the tracing path's
			# cgroup/sendmsg4 runs, without an address (0.0.0.0,
			# the unknown zone).
			hook=sendmsg
			expect_out "$what, tainted: the send is refused" "$set_no"
		elif [ "$MODE" = lsm ]; then
			expect_out "$what, tainted: the send is refused (LSM path)" "$set_no"
		fi
		expect_ev "$what, tainted: deny event in zone unknown (hook $hook)" egress "$A_PID" \
			'"verdict":"deny","proto":"udp"' '"zone":"unknown"' "\"hook\":\"$hook\""
		expect_never "$what, tainted: the datagram never arrives" "$out" "$how-$to-$$"
	done
else
	fail "source routes: a forwarding link between the peer namespaces"
fi
proto_undo

# ---- TCP Fast Open: sendto(MSG_FASTOPEN) connects and sends in one call
if proto_sysctl - net/ipv4/tcp_fastopen "$(( $(cat /proc/sys/net/ipv4/tcp_fastopen) | 1 ))"; then
	if [ "$MODE" = lsm ]; then THOOK=sendmsg; else THOOK=connect; fi
	act proto-tfo-u "tfo:$US4:tfo-u-$$"
	expect_out "tfo, untainted: sendto(MSG_FASTOPEN) to the US succeeds" "tfo $US4 ok"
	expect_arrived "tfo, untainted: the US peer receives the data (the oracle works)" "$UST" "tfo-u-$$"
	act proto-tfo "read:$PF" "tfo:$US4:tfo-us-$$" "tfo:$EU4:tfo-eu-$$"
	expect_out "tfo, tainted: sendto(MSG_FASTOPEN) to the US is refused with EPERM" "tfo $US4 EPERM"
	expect_ev "tfo, tainted: deny event (zone us, hook $THOOK)" egress "$A_PID" \
		"\"verdict\":\"deny\",\"proto\":\"tcp\",\"dst\":\"10.20.0.2\",\"dport\":$TCP_PORT,\"zone\":\"us\"" \
		"\"hook\":\"$THOOK\""
	expect_out "tfo, tainted: sendto(MSG_FASTOPEN) to the EU is allowed" "tfo $EU4 ok"
	expect_arrived "tfo, tainted: the EU peer receives the data" "$EUT" "tfo-eu-$$"
	expect_file_lacks "tfo, tainted: the US peer never receives the data" "$UST" "tfo-us-$$"
else
	fail "tfo: net.ipv4.tcp_fastopen allows client Fast Open"
fi
proto_undo
trap finish EXIT
