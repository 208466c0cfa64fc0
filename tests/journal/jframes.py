#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Byte surgery on journal segments and exports for the tamper tests.

Frames (docs/journal-format.md): u32le length, kind byte, 3 zero bytes,
payload, u32le CRC32C of everything before it. N counts record frames
(kind 'R') from 0.

  jframes.py list FILE              offset kind length per frame
  jframes.py delete FILE N          remove record frame N
  jframes.py dup FILE N             insert a copy of record frame N after it
  jframes.py swap FILE N            swap record frames N and N+1
  jframes.py modify FILE N          change one payload byte, recompute the CRC
  jframes.py cut FILE N             truncate the file where record frame N starts
  jframes.py cutkind FILE KIND      truncate where the last frame of KIND starts
  jframes.py flip FILE OFFSET BIT   flip one bit
  jframes.py flipall FILE N CMD...  flip one bit at N offsets spread over FILE
                                    (and its first and last bytes), one at a
                                    time, restoring it after running CMD each
                                    time; prints "tried undetected [example]"
                                    where undetected counts runs of CMD that
                                    did not exit 1 naming a first problem
"""
import struct
import subprocess
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def frames(buf):
    off, out = 0, []
    while off + 12 <= len(buf):
        (n,) = struct.unpack_from("<I", buf, off)
        if off + 12 + n > len(buf):
            break
        out.append((off, chr(buf[off + 4]), n))
        off += 12 + n
    return out


def frame(kind, payload):
    head = struct.pack("<IB3x", len(payload), ord(kind)) + payload
    return head + struct.pack("<I", crc32c(head))


def main():
    op, path = sys.argv[1], sys.argv[2]
    buf = bytearray(open(path, "rb").read())
    fr = frames(buf)
    recs = [f for f in fr if f[1] == "R"]
    if op == "list":
        for off, kind, n in fr:
            print(off, kind, n)
        return
    if op == "flipall":
        count, cmd = int(sys.argv[3]), sys.argv[4:]
        size = len(buf)
        offs = sorted({0, size - 1} | {(i * size) // count for i in range(count)} |
                      {(i * 7919 + 13) % size for i in range(count)})
        bad, example = 0, ""
        for k, off in enumerate(offs):
            orig = buf[off]
            buf[off] ^= 1 << (k % 8)
            open(path, "wb").write(buf)
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            buf[off] = orig
            if r.returncode != 1 or b"first problem" not in r.stdout:
                bad += 1
                example = "offset %d: exit %d: %s" % (off, r.returncode,
                                                      r.stdout.decode(errors="replace").strip())
        open(path, "wb").write(buf)
        print(len(offs), bad, example)
        return
    if op == "flip":
        off, bit = int(sys.argv[3]), int(sys.argv[4])
        buf[off] ^= 1 << bit
    elif op == "cutkind":
        off = [f for f in fr if f[1] == sys.argv[3]][-1][0]
        del buf[off:]
    else:
        i = int(sys.argv[3])
        off, _, n = recs[i]
        whole = bytes(buf[off:off + 12 + n])
        if op == "delete":
            del buf[off:off + 12 + n]
        elif op == "dup":
            buf[off + 12 + n:off + 12 + n] = whole
        elif op == "swap":
            off2, _, n2 = recs[i + 1]
            assert off2 == off + 12 + n, "frames not adjacent"
            other = bytes(buf[off2:off2 + 12 + n2])
            buf[off:off2 + 12 + n2] = other + whole
        elif op == "modify":
            payload = bytearray(whole[8:8 + n])
            # one letter of the command name: still a well-formed record
            k = payload.find(b'"comm":"') + 8
            assert k >= 8, "record has no comm"
            payload[k] ^= 0x20
            buf[off:off + 12 + n] = frame("R", bytes(payload))
        elif op == "cut":
            del buf[off:]
        else:
            sys.exit("unknown op " + op)
    open(path, "wb").write(buf)


if __name__ == "__main__":
    main()
