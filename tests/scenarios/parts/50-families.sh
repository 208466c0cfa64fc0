# Socket families other than IP that can leave the host (issue 10):
# AF_VSOCK (to the hypervisor and other VMs), AF_TIPC, AF_RDS, AF_SMC,
# AF_KCM... are the channel "other" (bpf/rules.h sov_channel()), refused to
# a tainted process of a block class like a raw socket. AF_VSOCK stands
# for them here: the host has it (virtio-vsock) and the guests load the
# vsock module. Sourced by run.sh with the main sovd enforcing the test
# policy (pii-eu: no channel allowed).

FAM_NOHOOK="tracing path: socket families other than IP pass no cgroup hook (neither sock_create nor cgroup_skb), so sovd cannot refuse them there; it reports their creation by a tainted process (docs/threat-model.md, what sovd cannot stop)"

act fam-untainted sock:vsock poke
if grep -Fqx "sock vsock ok" "$A_OUT"; then
	HAVE_VSOCK=1
	pass "families, untainted: an AF_VSOCK socket is created"
	expect_out "families, untainted: its send gets the family's own answer (not connected)" \
		"poke vsock ENOTCONN"
else
	HAVE_VSOCK=
	skip "families, untainted: an AF_VSOCK socket is created" \
		"this kernel has no AF_VSOCK ($(sed -n 's/^sock vsock //p' "$A_OUT"))"
fi
expect_no_ev "families, untainted: no egress event" egress "$A_PID"

act fam-tainted "read:$F" sock:vsock
if [ "$MODE" = lsm ]; then
	# The LSM hook runs before the family is looked up: refused even
	# where the module is missing.
	expect_out "families, tainted: an AF_VSOCK socket is refused with EPERM" "sock vsock EPERM"
	expect_ev "families, tainted: deny event for it (proto vsock, hook socket)" egress "$A_PID" \
		"$CHAN_DENY,\"proto\":\"vsock\",$CHAN_SOCK" '"sock_family":40,'
elif [ -n "$HAVE_VSOCK" ]; then
	skip "families, tainted: an AF_VSOCK socket is refused with EPERM" "$FAM_NOHOOK"
	expect_ev "families, tainted: the tracing path reports the AF_VSOCK socket it cannot refuse (verdict audit, hook socket)" \
		egress "$A_PID" "\"verdict\":\"audit\",\"proto\":\"vsock\",$CHAN_SOCK" '"sock_family":40,'
else
	skip "families, tainted: an AF_VSOCK socket is refused with EPERM" "$FAM_NOHOOK; and this kernel has no AF_VSOCK"
	skip "families, tainted: the tracing path reports the AF_VSOCK socket" "this kernel has no AF_VSOCK"
fi

if [ -z "$HAVE_VSOCK" ]; then
	skip "families, AF_VSOCK held before the taint: a send after the taint is refused" "this kernel has no AF_VSOCK"
elif [ "$MODE" = lsm ]; then
	act fam-pre sock:vsock "read:$F" poke
	expect_out "families, AF_VSOCK held before the taint: a send after the taint fails with EPERM" \
		"poke vsock EPERM"
	expect_ev "families, AF_VSOCK held before the taint: deny event (proto vsock, hook sendmsg)" \
		egress "$A_PID" "$CHAN_DENY,\"proto\":\"vsock\"" '"hook":"sendmsg"'
else
	skip "families, AF_VSOCK held before the taint: a send after the taint is refused" "$FAM_NOHOOK"
fi

