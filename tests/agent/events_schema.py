#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks NDJSON events against the tables of docs/events.md (issue 16).

usage: events_schema.py EVENTS.md EVENTS.ndjson TYPE...

For each TYPE: every field the doc lists for it (the table "Fields of
every event" and the tables of its own sections) appears in at least one
event of that type, unless the doc marks the field optional (its meaning
says "... only" before its first colon, or "**Absent**"); every field of
an event is listed for its type; every value has the documented JSON type.
Each TYPE must have at least one event. Prints TAP-style comments; exit 1
on any mismatch. Called by tests/agent/events-schema.t.
"""
import json
import re
import sys

JSON_TYPES = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array of strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "array of objects": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
}


def parse_doc(path):
    """{section: {field: (json type, optional)}}; section "" is every event's."""
    fields, section = {}, None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("## "):
            section = None
        if line.startswith("### "):
            m = re.match(r"### `(\w+)`", line)
            section = m.group(1) if m else ("" if "every event" in line else None)
            continue
        m = re.match(r"Same fields as `(\w+)`", line)
        if section and m:
            fields.setdefault(section, {}).update(fields.get(m.group(1), {}))
        if section is None or not line.startswith("| `"):
            continue
        cols = [c.strip() for c in line.replace("\\|", "\x00").strip("|").split(" | ")]
        if len(cols) != 3:
            raise SystemExit("events.md: a table row without 3 columns: " + line)
        names, jtype, meaning = cols
        if jtype not in JSON_TYPES:
            raise SystemExit("events.md: unknown type %r in: %s" % (jtype, line))
        optional = "**Absent**" in meaning or re.search(r"\bonly\b", meaning.split(":")[0])
        for name in re.findall(r"`([^`]+)`", names):
            fields.setdefault(section, {})[name] = (jtype, bool(optional))
    return fields


def main():
    doc, events, types = sys.argv[1], sys.argv[2], sys.argv[3:]
    schema = parse_doc(doc)
    common = schema.get("", {})
    if not common:
        raise SystemExit("events.md: no table of the fields of every event")
    seen, bad = {}, 0
    for n, line in enumerate(open(events, encoding="utf-8"), 1):
        ev = json.loads(line)
        t = ev.get("type")
        if t not in types:
            continue
        allowed = dict(common, **schema.get(t, {}))
        for k, v in ev.items():
            if k not in allowed:
                print("# line %d (%s): field %r is not in docs/events.md" % (n, t, k))
                bad += 1
            elif not JSON_TYPES[allowed[k][0]](v):
                print("# line %d (%s): %r is %r, documented as %s" % (n, t, k, v, allowed[k][0]))
                bad += 1
            seen.setdefault(t, set()).add(k)
    for t in types:
        if t not in seen:
            print("# no %s event was produced" % t)
            bad += 1
            continue
        if t not in schema:
            print("# docs/events.md has no section for %s" % t)
            bad += 1
        allowed = dict(common, **schema.get(t, {}))
        missing = [k for k, (_, opt) in allowed.items() if not opt and k not in seen[t]]
        for k in missing:
            print("# %s: documented field %r never appeared" % (t, k))
        bad += len(missing)
        print("# %s: %d fields seen, %d documented (%d optional)" % (
            t, len(seen[t]), len(allowed), sum(1 for _, o in allowed.values() if o)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
