#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Independent verifier written from docs/journal-format.md alone (Python
standard library + the `cryptography` package for Ed25519). It shares no code
with libsovjournal; tests/journal/reference.sh checks that both agree.

  refverify.py PATH PUBKEY-FILE [--witness=W.pub...] [--witnesses=N] [CHECKPOINT-FILE...]

A CHECKPOINT-FILE may carry more signature lines than the log's: those by
unknown keys are ignored (signed-note), those by a --witness key are checked
as C2SP tlog-cosignature cosignature/v1 lines, and each file needs N of them
(default: as many as --witness keys).

Exit 0: valid. 1: invalid (reason printed). 3: `cryptography` missing.
"""
import base64
import calendar
import hashlib
import json
import os
import re
import struct
import sys
import time
import zlib

try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.exceptions import InvalidSignature
except ImportError:
    print("python3 cryptography package missing")
    sys.exit(3)


class Invalid(Exception):
    pass


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def frames(buf, where):
    """All frames of buf as (offset, kind, payload); any flaw is invalid."""
    off, out = 0, []
    while off < len(buf):
        if len(buf) - off < 12:
            raise Invalid("%s@%d: incomplete frame" % (where, off))
        (n,) = struct.unpack_from("<I", buf, off)
        if buf[off + 5:off + 8] != b"\0\0\0" or n > 1 << 20 or off + 12 + n > len(buf):
            raise Invalid("%s@%d: bad frame header" % (where, off))
        (crc,) = struct.unpack_from("<I", buf, off + 8 + n)
        if crc != crc32c(buf[off:off + 8 + n]):
            raise Invalid("%s@%d: CRC32C mismatch" % (where, off))
        out.append((off, chr(buf[off + 4]), bytes(buf[off + 8:off + 8 + n])))
        off += 12 + n
    return out


def leaf_hash(rec):
    return hashlib.sha256(b"\x00" + rec).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Compact:
    """RFC 6962 tree over a growing list of leaves, as perfect subtrees."""

    def __init__(self):
        self.size, self.hashes = 0, []

    def append(self, h):
        self.hashes.append(h)
        s = self.size
        while s & 1:
            r = self.hashes.pop()
            self.hashes[-1] = node_hash(self.hashes[-1], r)
            s >>= 1
        self.size += 1

    def root(self):
        if not self.hashes:
            return hashlib.sha256(b"").digest()
        acc = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            acc = node_hash(h, acc)
        return acc


class Key:
    def __init__(self, text, alg=1):
        m = re.fullmatch(r"([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)\n?", text)
        if not m:
            raise Invalid("public key is not name+hash+base64")
        raw = base64.b64decode(m.group(3), validate=True)
        if len(raw) != 33 or raw[0] != alg:
            raise Invalid("public key is not an Ed25519 key of type %d" % alg)
        self.name, self.pub = m.group(1), raw[1:]
        self.hash = hashlib.sha256(self.name.encode() + b"\n" + bytes([alg]) +
                                   self.pub).digest()[:4]
        if self.hash.hex() != m.group(2):
            raise Invalid("public key hash mismatch")
        self.text = "%s+%s+%s\n" % (self.name, self.hash.hex(),
                                     base64.b64encode(raw).decode())
        self.key = Ed25519PublicKey.from_public_bytes(self.pub)


def open_note(key, note):
    """C2SP signed note with checkpoint body -> (origin, size, root)."""
    m = re.fullmatch(rb"([^\n]+)\n(0|[1-9][0-9]*)\n([A-Za-z0-9+/=]{44})\n\n"
                     rb"\xe2\x80\x94 ([^ \n]+) ([A-Za-z0-9+/=]+)\n", note)
    if not m:
        raise Invalid("note is not origin/size/root, blank line, one signature line")
    body = note[:m.start(4) - 5]
    root = base64.b64decode(m.group(3), validate=True)
    if base64.b64encode(root) != m.group(3):
        raise Invalid("note root is not canonical base64")
    sig = base64.b64decode(m.group(5), validate=True)
    if base64.b64encode(sig) != m.group(5) or len(sig) != 68:
        raise Invalid("note signature is not base64 of 68 bytes")
    if m.group(4).decode() != key.name or sig[:4] != key.hash:
        raise Invalid("note signed by another key")
    try:
        key.key.verify(sig[4:], body)
    except InvalidSignature:
        raise Invalid("note signature invalid")
    return m.group(1).decode(), int(m.group(2)), root


def open_cosigned(key, witnesses, note):
    """A checkpoint held off the host: the log's signature line, witness
    cosignatures (c2sp.org/tlog-cosignature, cosignature/v1) and lines by
    unknown keys, ignored. -> (origin, size, root, [(witness, time)])."""
    i = note.find(b"\n\n")
    if i < 0 or not note.endswith(b"\n"):
        raise Invalid("note has no blank line or does not end in a newline")
    body, logline, cos = note[:i + 1], None, []
    for line in note[i + 2:-1].split(b"\n"):
        m = re.fullmatch(rb"\xe2\x80\x94 ([^ \n]+) ([A-Za-z0-9+/=]+)", line)
        if not m:
            raise Invalid("malformed signature line")
        name, sig = m.group(1).decode(), base64.b64decode(m.group(2), validate=True)
        if name == key.name and sig[:4] == key.hash:
            logline = line
        for w in witnesses:
            if name != w.name or sig[:4] != w.hash:
                continue
            if len(sig) != 76:
                raise Invalid("cosignature by %s is not 76 bytes" % name)
            t = struct.unpack(">Q", sig[4:12])[0]
            try:
                w.key.verify(sig[12:], b"cosignature/v1\ntime %d\n" % t + body)
            except InvalidSignature:
                raise Invalid("cosignature by %s invalid" % name)
            if name not in [c[0] for c in cos]:
                cos.append((name, t))
    if logline is None:
        raise Invalid("note not signed by the log key")
    return open_note(key, body + b"\n" + logline + b"\n") + (cos,)


def seq_of(rec):
    m = re.match(rb'\{"seq":(0|[1-9][0-9]*),', rec)
    if not m:
        raise Invalid("record does not start with seq")
    return int(m.group(1))


def time_of(rec):
    m = re.search(rb',"time":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})'
                  rb'\.([0-9]{9})Z"', rec)
    if not m:
        raise Invalid("record has no time")
    t = calendar.timegm(time.strptime(m.group(1).decode(), "%Y-%m-%dT%H:%M:%S"))
    return t * 1000000000 + int(m.group(2))


def verify_dir(path, key, ext):
    names = sorted(os.listdir(path))
    segs = {}
    for n in names:
        if n in ("checkpoint", "pubkey"):
            continue
        m = re.fullmatch(r"seg-([0-9]{6,10})\.log(\.z)?", n)
        if not m or "seg-%06d.log%s" % (int(m.group(1)), m.group(2) or "") != n:
            raise Invalid("unexpected file " + n)
        no = int(m.group(1))
        if no in segs:
            raise Invalid("segment %d twice" % no)
        segs[no] = n
    if sorted(segs) != list(range(len(segs))) or not segs:
        raise Invalid("segments missing")
    if open(os.path.join(path, "pubkey")).read() != key.text:
        raise Invalid("pubkey file is not the given key")
    published = open(os.path.join(path, "checkpoint"), "rb").read()
    origin, psize, proot = open_note(key, published)
    tree, last, seen_pub, notes = Compact(), None, False, {}
    for no in range(len(segs)):
        name = segs[no]
        data = open(os.path.join(path, name), "rb").read()
        if name.endswith(".z"):
            d = zlib.decompressobj()
            plain = d.decompress(data) + d.flush()
            if not d.eof:
                raise Invalid(name + ": zlib stream incomplete")
            stream = data[:len(data) - len(d.unused_data)]
            so, ssize, sroot = open_note(key, d.unused_data)
            if so != origin + " sealed " + name or ssize != len(plain) or \
                    sroot != hashlib.sha256(stream).digest():
                raise Invalid(name + ": seal does not match the compressed bytes")
            data = plain
        fr = frames(data, name)
        hdr = "sovd-journal-segment/1\nsegment %d\nfirst %d\nfrontier%s\n" % (
            no, tree.size, "".join(" " + h.hex() for h in tree.hashes))
        if not fr or fr[0][1] != "H" or fr[0][2] != hdr.encode():
            raise Invalid(name + ": segment header does not continue the journal")
        for off, kind, p in fr[1:]:
            if kind == "R":
                if seq_of(p) != tree.size:
                    raise Invalid("%s@%d: seq %d, expected %d" % (name, off, seq_of(p), tree.size))
                tree.append(leaf_hash(p))
                notes[tree.size] = tree.root() if tree.size in ext else None
            elif kind == "C":
                o, s, r = open_note(key, p)
                if o != origin or s != tree.size or r != tree.root():
                    raise Invalid("%s@%d: checkpoint does not match the records" % (name, off))
                last = s
                seen_pub |= p == published
            else:
                raise Invalid("%s@%d: unexpected frame kind" % (name, off))
    if last is None or not seen_pub or psize > tree.size:
        raise Invalid("published checkpoint missing from the journal or journal truncated")
    for size, root in ext.items():
        if size > tree.size:
            raise Invalid("journal truncated below an external checkpoint")
        have = notes.get(size) if size else hashlib.sha256(b"").digest()
        if have != root:
            raise Invalid("journal contradicts an external checkpoint of size %d" % size)
    return "journal: %d records, last checkpoint %d" % (tree.size, last)


def root_from_inclusion(index, size, leaf, proof):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        raise Invalid("index beyond size")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Invalid("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn:
        raise Invalid("inclusion proof too short")
    return r


def check_consistency(size1, size2, root1, root2, proof):
    """RFC 9162 2.1.4.2 (0 < size1 < size2)."""
    if size1 & (size1 - 1) == 0:
        proof = [root1] + proof
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise Invalid("consistency proof too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn or fr != root1 or sr != root2:
        raise Invalid("consistency proof does not hold")


def proof_of(p):
    if len(p) < 16 or (len(p) - 16) % 32:
        raise Invalid("malformed proof")
    a, b = struct.unpack_from("<QQ", p)
    return a, b, [p[16 + 32 * i:48 + 32 * i] for i in range((len(p) - 16) // 32)]


def verify_export(path, key, ext):
    fr = frames(open(path, "rb").read(), path)
    if len(fr) < 2 or fr[0][1] != "M" or fr[1][1] != "C":
        raise Invalid("export does not start with manifest and checkpoint")
    m = json.loads(fr[0][2])
    origin, n, root = open_note(key, fr[1][2])
    roots, i, count = {n: root}, 2, 0
    while i < len(fr) and fr[i][1] == "C":
        o, s, r = open_note(key, fr[i][2])
        if o != origin or i + 1 >= len(fr) or fr[i + 1][1] != "P":
            raise Invalid("checkpoint without consistency proof")
        a, b, proof = proof_of(fr[i + 1][2])
        if (a, b) != (s, n) or not 0 < s < n or max(roots) > n or \
                (len(roots) > 1 and s <= max(k for k in roots if k != n)):
            raise Invalid("consistency proof for other sizes or out of order")
        check_consistency(s, n, r, root, proof)
        roots[s] = r
        i += 2
    def proven(i, want):
        rec = fr[i][2]
        if i + 1 >= len(fr) or fr[i + 1][1] != "I":
            raise Invalid("record without inclusion proof at %d" % fr[i][0])
        idx, size, proof = proof_of(fr[i + 1][2])
        if seq_of(rec) != want or idx != want or size != n or want >= n:
            raise Invalid("record out of sequence at %d" % fr[i][0])
        if root_from_inclusion(idx, n, leaf_hash(rec), proof) != root:
            raise Invalid("record %d not in the signed tree" % idx)
        return time_of(rec)
    since, until, first = m.get("since"), m.get("until"), 0
    if i < len(fr) and fr[i][1] == "B":
        first = seq_of(fr[i][2]) + 1
        if since is None or proven(i, first - 1) >= since:
            raise Invalid("record before the range is not older than since")
        i += 2
    while i < len(fr) and fr[i][1] == "R":
        proven(i, first + count)
        count += 1
        i += 2
    if i < len(fr) and fr[i][1] == "A":
        if until is None or proven(i, first + count) < until:
            raise Invalid("record after the range is before until")
        i += 2
    elif first + count != n:
        raise Invalid("range ends before the tree does, without the record after it")
    if i != len(fr):
        raise Invalid("unexpected frame at %d" % fr[i][0])
    js = lambda v: "null" if v is None else "%d" % v
    want = ('{"format":"sovd-journal-export/2","origin":%s,"key":%s,"tree_size":%d,'
            '"since":%s,"until":%s,"first":%d,"count":%d,"checkpoints":%d}') % (
        json.dumps(origin), json.dumps(key.text.strip()), n, js(since), js(until), first,
        count, len(roots))
    if fr[0][2] != want.encode():
        raise Invalid("manifest does not match the content")
    for size, r in ext.items():
        if roots.get(size) != r:
            raise Invalid("external checkpoint of size %d not proven" % size)
    return "export: %d records from seq %d, tree size %d" % (count, first, n)


def main():
    path, key = sys.argv[1], Key(open(sys.argv[2]).read())
    wit = [Key(open(a[10:]).read(), 4) for a in sys.argv[3:] if a.startswith("--witness=")]
    need = [int(a[12:]) for a in sys.argv[3:] if a.startswith("--witnesses=")]
    need = need[-1] if need else len(wit)
    try:
        ext = {}
        for f in [a for a in sys.argv[3:] if not a.startswith("--")]:
            _, s, r, cos = open_cosigned(key, wit, open(f, "rb").read())
            for name, t in cos:
                print("cosigned by %s at %d: %s" % (name, t, f))
            if len(cos) < need:
                raise Invalid("%s: %d witness cosignature(s), %d required" % (f, len(cos), need))
            ext[s] = r
        what = verify_dir(path, key, ext) if os.path.isdir(path) else \
            verify_export(path, key, ext)
    except (Invalid, ValueError, KeyError, zlib.error) as e:
        print("INVALID:", e)
        sys.exit(1)
    print("VALID", what)


if __name__ == "__main__":
    main()
