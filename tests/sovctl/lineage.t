#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# sovctl lineage and lineage export --openlineage (issue 17) on a signed
# journal written by the real writer (tests/journal/jwriter --records): file
# A labelled; P1 reads A and writes B; P2 reads B and writes C, sends to a
# denied and an allowed zone (one flow, then an aggregate of 5). Checks the
# ancestry of C over two generations (text, json, dot through graphviz), the
# class view (the deny, the flows counted), the OpenLineage events against
# the RunEvent schema (tests/data/openlineage) and sovd's facet schema
# (docs/openlineage) with python3-jsonschema, stable run ids, the POST to a
# local HTTP server, a file with no record, and that a tampered record makes
# every command fail loudly. No root.
set -uo pipefail
top=${SOV_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${SOV_BUILD:-$top/build}
SOVCTL=$B/sovctl JW=$B/tests/journal/jwriter
PY=/usr/bin/python3	# Debian's, with python3-jsonschema (pyenv's comes first on PATH)
T=$(mktemp -d /tmp/sovd-lineage.XXXXXX)
srv_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; [ "$1" = 0 ]; }
diag() { sed 's/^/#   /' "$@" | head -40; }

for tool in dot; do
	command -v $tool > /dev/null || { echo "not ok 1 - needs $tool (tools/install-deps --test: graphviz)"; echo "1..1"; exit 1; }
done
$PY -c 'import jsonschema' 2> /dev/null || { echo "not ok 1 - needs python3-jsonschema (tools/install-deps --test)"; echo "1..1"; exit 1; }

mkdir -p "$T/data" "$T/out"
echo secret > "$T/data/a.csv"
echo derived > "$T/out/b.csv"
echo twice > "$T/out/c.csv.gz"
echo plain > "$T/plain.txt"
"$SOVCTL" keygen --out "$T/k" > /dev/null
SHA1=$(printf 'python3\0job.py\0' | sha256sum | cut -d' ' -f1)
SHA2=$(printf 'gzip\0-c\0' | sha256sum | cut -d' ' -f1)

# The records, with the files' real device (the kernel's numbering) and inodes.
$PY - "$T" "$SHA1" "$SHA2" > "$T/records" <<'PY'
import json, os, sys
t, sha1, sha2 = sys.argv[1:4]
def f(p):
    st = os.stat(p)
    return {"path": p, "dev": os.major(st.st_dev) << 20 | os.minor(st.st_dev), "ino": st.st_ino}
A, Bf, C = f(t + "/data/a.csv"), f(t + "/out/b.csv"), f(t + "/out/c.csv.gz")
P1 = {"pid": 101, "comm": "python3", "exe": "/usr/bin/python3"}
P2 = {"pid": 202, "comm": "gzip", "exe": "/usr/bin/gzip"}
def src(x): return {"path": x["path"], "dev": x["dev"], "ino": x["ino"]}
recs = [
    {"type": "agent", "detail": {"action": "start"}},
    dict(P1, type="taint", classes=["pii-eu"], **A),
    dict(P1, type="derive", classes=["pii-eu"], detail={"sources": [src(A)], "cmdline_sha256": sha1}, **Bf),
    dict(P2, type="taint", classes=["pii-eu"], **Bf),
    dict(P2, type="derive", classes=["pii-eu"], detail={"sources": [src(Bf)], "cmdline_sha256": sha2}, **C),
    dict(P2, type="egress", classes=["pii-eu"], verdict="deny", proto="tcp", dst="127.0.0.2", dport=9,
         zone="nowhere", violated=["pii-eu"], hook="connect"),
    dict(P2, type="egress", classes=["pii-eu"], verdict="allow", proto="tcp", dst="127.0.0.1", dport=443,
         zone="local", hook="connect"),
    dict(P2, type="egress", classes=["pii-eu"], verdict="allow", proto="tcp", dst="", dport=0,
         zone="local", hook="connect", detail={"count": 5, "first": "2026-01-01T00:00:00.000000000Z",
                                               "last": "2026-01-01T00:00:01.000000000Z"}),
    {"type": "taint", "pid": 303, "comm": "cat", "exe": "/usr/bin/cat", "classes": ["health-de"],
     "path": "/srv/h.csv", "dev": 1, "ino": 2},
]
for r in recs:
    print(json.dumps(r))
PY
"$JW" --dir "$T/j" --key "$T/k.key" --records "$T/records" 2> "$T/err"
ok $? "jwriter writes a signed journal of the records" || diag "$T/err"
L() { "$SOVCTL" lineage --journal "$T/j" --pubkey "$T/k.pub" "$@"; }

# ---- the ancestry of C: C <- P2 <- B <- P1 <- A ----
L "$T/out/c.csv.gz" > "$T/anc" 2> "$T/err"
rc=$?
ok $rc "lineage FILE exits 0 for a derivative" || diag "$T/err"
grep -q "derived .* by pid 202 /usr/bin/gzip (cmdline sha256 ${SHA2:0:16}" "$T/anc" &&
	grep -q "from $T/out/b.csv" "$T/anc" &&
	grep -q "derived .* by pid 101 /usr/bin/python3" "$T/anc" &&
	grep -q "from $T/data/a.csv .*labelled by the policy" "$T/anc"
ok $? "text: C was written by P2 from B, B by P1 from A, A is an origin" || diag "$T/anc"
L -o json "$T/out/c.csv.gz" > "$T/anc.json" 2> "$T/err"
$PY - "$T" "$SHA1" "$SHA2" "$T/anc.json" <<'PY' > "$T/why"
import json, sys
t, sha1, sha2, f = sys.argv[1:5]
j = json.load(open(f))
d = j["derived"]
assert len(d) == 1 and d[0]["pid"] == 202 and d[0]["cmdline_sha256"] == sha2, d
s = d[0]["sources"]
assert [x["path"] for x in s] == [t + "/out/b.csv"], s
d1 = s[0]["derived"]
assert len(d1) == 1 and d1[0]["pid"] == 101 and d1[0]["exe"] == "/usr/bin/python3", d1
assert d1[0]["cmdline_sha256"] == sha1
a = d1[0]["sources"]
assert [x["path"] for x in a] == [t + "/data/a.csv"] and a[0]["origin"] is True, a
assert j["checkpoint"]["tree_size"] == 9, j["checkpoint"]
print("fine")
PY
ok $? "json: two generations, processes, command line hashes, the checkpoint" || diag "$T/why" "$T/anc.json"
L -o dot "$T/out/c.csv.gz" > "$T/anc.dot" 2> "$T/err"
dot -Tsvg "$T/anc.dot" > "$T/anc.svg" 2> "$T/err" && grep -q '<svg' "$T/anc.svg" &&
	grep -q "a.csv" "$T/anc.dot" && grep -q 'pid 202' "$T/anc.dot"
ok $? "dot: graphviz renders the ancestry (A, B, C, P1, P2)" || diag "$T/err" "$T/anc.dot"

L "$T/plain.txt" > "$T/o" 2> "$T/err"
rc=$?
[ $rc = 1 ] && grep -q "has no derive record" "$T/err"
ok $? "a file without a record says so and exits 1 (exit $rc)" || diag "$T/err"

# A reused inode number: the same records dated 2001, before C was born,
# belong to an earlier file under its number.
if [ "$(stat -c %W "$T/out/c.csv.gz")" != 0 ]; then
	"$JW" --dir "$T/jold" --key "$T/k.key" --records "$T/records" --time-base 1000000000000000000 \
		2> "$T/err"
	"$SOVCTL" lineage --journal "$T/jold" --pubkey "$T/k.pub" "$T/out/c.csv.gz" > "$T/o" 2> "$T/err"
	rc=$?
	[ $rc = 1 ] && grep -q "has no derive record" "$T/err"
	ok $? "records older than the file's birth are an earlier file's (a reused inode): none (exit $rc)" ||
		diag "$T/err" "$T/o"
else
	ok 0 "# SKIP the filesystem of $T has no birth time (statx btime)"
fi

# ---- where pii-eu went ----
L --class pii-eu > "$T/cls" 2> "$T/err"
rc=$?
[ $rc = 0 ] && grep -Eq "^  deny +tcp 127.0.0.2:9 zone nowhere by pid 202 /usr/bin/gzip: 1 flow" "$T/cls" &&
	grep -Eq "^  allow +tcp \(aggregated\) zone local .*: 5 flow" "$T/cls" &&
	grep -q "$T/out/c.csv.gz by pid 202" "$T/cls" && grep -q "pid 101 /usr/bin/python3 read $T/data/a.csv" "$T/cls"
ok $? "--class lists the tainted processes, derived files, the deny and the aggregated flows" || diag "$T/cls" "$T/err"
L --class pii-eu -o json > "$T/cls.json" 2> "$T/err"
$PY -c '
import json, sys
j = json.load(open(sys.argv[1]))
e = {(x["verdict"], x["dst"]): x for x in j["egress"]}
assert e[("deny", "127.0.0.2")]["zone"] == "nowhere" and e[("deny", "127.0.0.2")]["violated"] == ["pii-eu"]
assert e[("allow", "")]["flows"] == 5 and e[("allow", "127.0.0.1")]["flows"] == 1
assert len(j["derived"]) == 2 and len(j["tainted"]) == 2
' "$T/cls.json"
ok $? "--class -o json: destinations with zones, verdicts, violated classes and counts" || diag "$T/cls.json"
L --class pii-eu -o dot > "$T/cls.dot" 2> "$T/err" && dot -Tsvg "$T/cls.dot" > /dev/null 2>> "$T/err" &&
	grep -q 'color=red' "$T/cls.dot"
ok $? "--class -o dot: graphviz renders it, the deny in red" || diag "$T/err" "$T/cls.dot"
L --class nosuch > /dev/null 2> "$T/err"
[ $? = 1 ] && grep -q "no verified record carries class nosuch" "$T/err"
ok $? "a class without records says so and exits 1" || diag "$T/err"
L --class pii-eu --since 2100-01-01 > /dev/null 2> "$T/err"
[ $? = 1 ]; ok $? "--since after every record: nothing (exit 1)"

# ---- OpenLineage ----
X() { "$SOVCTL" lineage export --openlineage --journal "$T/j" --pubkey "$T/k.pub" "$@"; }
X > "$T/ol" 2> "$T/err"
ok $? "lineage export --openlineage exits 0" || diag "$T/err"
$PY - "$top" "$T/ol" "$T" <<'PY' > "$T/why" 2>&1
import json, re, sys, urllib.parse
import jsonschema
top, f, t = sys.argv[1:4]
schema = json.load(open(top + "/tests/data/openlineage/runevent.schema.json"))
facet = json.load(open(top + "/docs/openlineage/sovd-facet.schema.json"))
V = jsonschema.Draft202012Validator
V.check_schema(schema); V.check_schema(facet)
ev = [json.loads(l) for l in open(f)]
uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
def uri(u): return urllib.parse.urlparse(u).scheme != ""
def facet_ok(o, d):
    V({"$ref": "#/$defs/" + d, "$defs": facet["$defs"]}).validate(o)
    assert uri(o["_producer"]) and uri(o["_schemaURL"]) and o["_schemaURL"].endswith("#/$defs/" + d)
for e in ev:
    V(schema).validate(e)
    assert uuid.match(e["run"]["runId"]) and rfc3339.match(e["eventTime"]), e
    assert uri(e["producer"]) and uri(e["schemaURL"])
    facet_ok(e["run"]["facets"]["sovd"], "SovdRunFacet")
    for d in e.get("inputs", []): facet_ok(d["inputFacets"]["sovd"], "SovdDatasetFacet")
    for d in e.get("outputs", []): facet_ok(d["outputFacets"]["sovd"], "SovdDatasetFacet")
runs = {}
for e in ev:
    runs.setdefault(e["run"]["runId"], []).append(e)
assert len(runs) == 3, len(runs)                    # P1, P2, cat
for r in runs.values():
    assert [e["eventType"] for e in r] == ["START", "COMPLETE"], r
p2 = [r[1] for r in runs.values() if r[1]["job"]["name"] == "/usr/bin/gzip"][0]
assert p2["job"]["namespace"].startswith("sovd://")
ins = {(d["namespace"].split("://")[0], d["name"]) for d in p2["inputs"]}
assert ("file", t + "/out/b.csv") in ins, ins
outs = {(d["namespace"], d["name"]): d["outputFacets"]["sovd"] for d in p2["outputs"]}
deny = outs[("tcp://127.0.0.2:9", "/")]
assert deny["verdict"] == "deny" and deny["zone"] == "nowhere" and deny["violated"] == ["pii-eu"], deny
assert outs[("sovd-zone://local", "tcp")]["flows"] == 5
assert any(k[1] == t + "/out/c.csv.gz" for k in outs), outs
rf = p2["run"]["facets"]["sovd"]
assert rf["checkpoint"]["tree_size"] == 9 and rf["pid"] == 202 and rf["classes"] == ["pii-eu"]
assert len(rf["cmdline_sha256"]) == 64 and 4 in rf["seq"]
print("fine")
PY
ok $? "every event validates against the RunEvent schema and the sovd facet schema; runs, datasets, verdicts, counts" || diag "$T/why"
X > "$T/ol2" 2> /dev/null
cmp -s "$T/ol" "$T/ol2"; ok $? "a re-export is byte for byte the same (stable run ids)"
X --class health-de > "$T/ol3" 2> /dev/null
[ "$(wc -l < "$T/ol3")" = 2 ] && grep -q '"name":"/usr/bin/cat"' "$T/ol3"
ok $? "--class: only the runs of processes carrying the class" || diag "$T/ol3"

# POST to a local OpenLineage endpoint that checks what arrives.
cat > "$T/srv.py" <<'PY'
import http.server, json, sys
out = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        good = (self.path == "/api/v1/lineage" and
                self.headers["Content-Type"] == "application/json")
        json.loads(body)
        out.write(("%s %s\n" % (self.path, body.decode())) if good else "BAD %s\n" % self.path)
        out.flush()
        self.send_response(201 if good else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
$PY "$T/srv.py" "$T/posted" "$T/port" & srv_pid=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port" 2> /dev/null)
X --url "http://127.0.0.1:$port/api/v1/lineage" > "$T/o" 2> "$T/err"
rc=$?
[ $rc = 0 ] && [ "$(grep -c '^/api/v1/lineage {' "$T/posted")" = 6 ] && ! grep -q '^BAD' "$T/posted" &&
	grep -q "6 of 6 event(s) posted" "$T/err" &&
	diff <(sed 's#^/api/v1/lineage ##' "$T/posted") "$T/ol" > /dev/null
ok $? "--url POSTs each event as application/json to the endpoint, the same events (exit $rc)" || diag "$T/err" "$T/posted"
X --url "http://127.0.0.1:$port/wrong" > "$T/o" 2> "$T/err"
rc=$?
[ $rc = 1 ] && grep -q "HTTP 400" "$T/err"
ok $? "an endpoint that refuses: exit 1 and the status said (exit $rc)" || diag "$T/err"

# ---- exports, bad use ----
"$SOVCTL" journal export --journal "$T/j" --out "$T/e.sovx" > /dev/null 2> "$T/err"
"$SOVCTL" lineage --export "$T/e.sovx" --pubkey "$T/k.pub" "$T/out/c.csv.gz" > "$T/o" 2> "$T/err" &&
	grep -q "from $T/data/a.csv" "$T/o"
ok $? "lineage reads an export file (--export)" || diag "$T/err"
"$SOVCTL" lineage --journal "$T/j" "$T/out/c.csv.gz" > /dev/null 2> "$T/err"
[ $? = 2 ] && grep -q "no --pubkey" "$T/err"
ok $? "without --pubkey: a usage error, as journal show" || diag "$T/err"
"$SOVCTL" lineage --journal "$T/j" --pubkey "$T/k.pub" > /dev/null 2>&1
[ $? = 2 ]; ok $? "neither FILE nor --class: usage error"

# ---- a tampered record: every command fails loudly, shows nothing ----
cp -a "$T/j" "$T/jt"
$PY - "$T/jt" <<'PY'
import glob, sys
f = sorted(glob.glob(sys.argv[1] + "/seg-*.log"))[0]
b = open(f, "rb").read()
assert b.count(b"/usr/bin/gzip") >= 1
open(f, "wb").write(b.replace(b"/usr/bin/gzip", b"/usr/bin/gzap", 1))
PY
"$SOVCTL" lineage --journal "$T/jt" --pubkey "$T/k.pub" "$T/out/c.csv.gz" > "$T/o" 2> "$T/err"
rc=$?
[ $rc = 1 ] && grep -q "INVALID" "$T/err" && [ ! -s "$T/o" ]
ok $? "lineage FILE on a tampered journal: INVALID, exit 1, nothing printed (exit $rc)" || diag "$T/err" "$T/o"
"$SOVCTL" lineage export --openlineage --journal "$T/jt" --pubkey "$T/k.pub" > "$T/o" 2> "$T/err"
rc=$?
[ $rc = 1 ] && grep -q "INVALID" "$T/err" && [ ! -s "$T/o" ]
ok $? "lineage export on a tampered journal: INVALID, exit 1, no event (exit $rc)" || diag "$T/err"

echo "1..$n"
[ $failed -eq 0 ]
