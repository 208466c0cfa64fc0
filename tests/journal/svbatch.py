#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs tools/sovd-verify many times in one Python process (its start and
the `cryptography` import cost most of a run), for the agreement checks of
tests/journal/tamper.sh and sovd-verify.sh.

  svbatch.py TOP cases FILE       FILE: one case a line, tab-separated:
                                  WANT-EXIT NAME ARG...; prints per case
                                  "ok<TAB>NAME" or "not ok<TAB>NAME<TAB>why"
  svbatch.py TOP flipall FILE N ARG...
                                  as jframes.py flipall, with sovd-verify ARG...
                                  as the command: "tried undetected [example]"
"""
import contextlib
import importlib.machinery
import importlib.util
import io
import sys


def load(top):
    ld = importlib.machinery.SourceFileLoader("sovd_verify", top + "/tools/sovd-verify")
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader("sovd_verify", ld))
    ld.exec_module(mod)
    return mod


def run(sv, args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            rc = sv.main(args)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue()


def main():
    sv = load(sys.argv[1])
    op = sys.argv[2]
    if op == "cases":
        for line in open(sys.argv[3]):
            f = line.rstrip("\n").split("\t")
            want, name, args = int(f[0]), f[1], f[2:]
            rc, out = run(sv, args)
            if rc == want:
                print("ok\t%s" % name)
            else:
                print("not ok\t%s\tsovd-verify exit %s, sovctl %d: %s" %
                      (name, rc, want, " ".join(out.split())))
        return
    if op == "flipall":
        path, count, args = sys.argv[3], int(sys.argv[4]), sys.argv[5:]
        buf = bytearray(open(path, "rb").read())
        size = len(buf)
        offs = sorted({0, size - 1} | {(i * size) // count for i in range(count)} |
                      {(i * 7919 + 13) % size for i in range(count)})
        bad, example = 0, ""
        for k, off in enumerate(offs):
            orig = buf[off]
            buf[off] ^= 1 << (k % 8)
            open(path, "wb").write(buf)
            rc, out = run(sv, args)
            buf[off] = orig
            if rc != 1 or "first problem" not in out:
                bad += 1
                example = "offset %d: exit %s: %s" % (off, rc, " ".join(out.split()))
        open(path, "wb").write(buf)
        print(len(offs), bad, example)
        return
    sys.exit("unknown op " + op)


if __name__ == "__main__":
    main()
