#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Oracle for the zone-source tests: samples addresses from the location
database's own networks and prints what the database's own lookup
(python3-location) says for each, one "ADDR CC ASN KIND" line per address
(CC "-" and ASN 0 when the database has nothing).

KIND is "nested" for addresses of a network that sits inside a network of
another country (the holes a zone by country must keep), "net" otherwise,
"extra" for addresses given on the command line.

    locdb_oracle.py DB EVERY SEED [ADDR...]
"""
import ipaddress
import random
import sys

import location


def sample(net, rnd):
    n = ipaddress.ip_network(str(net))
    first, last = int(n.network_address), int(n.broadcast_address)
    cls = type(n.network_address)
    return [cls(first), cls(last), cls(rnd.randint(first, last))]


def main():
    path, every, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    db = location.Database(path)
    rnd = random.Random(seed)
    out = []
    stack = []  # (network, country) of the ancestors of the current one
    for i, net in enumerate(db.networks):
        while stack and not net.is_subnet_of(stack[-1][0]):
            stack.pop()
        cc = net.country_code or "-"
        if stack and stack[-1][1] != cc and rnd.random() < 0.02:
            out += [(a, "nested") for a in sample(net, rnd)]
        elif i % every == 0:
            out += [(a, "net") for a in sample(net, rnd)]
        stack.append((net, cc))
    out += [(ipaddress.ip_address(a), "extra") for a in sys.argv[4:]]
    for addr, kind in out:
        hit = db.lookup(str(addr))
        if hit is None:
            print(addr, "-", 0, kind)
        else:
            print(addr, hit.country_code or "-", hit.asn or 0, kind)


if __name__ == "__main__":
    main()
