#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Validate sovd policy files against policy/schema.json with a real JSON
Schema validator (python3-jsonschema), as an editor's YAML language server
would: YAML 1.2 core scalars (only true/false are booleans, as in sovd).

usage: schema_check.py SCHEMA FILE...
Prints one line per FILE: "FILE valid" or "FILE invalid: REASON".
Exits 2 when the schema itself is not a valid draft-07 schema.
"""
import json
import re
import sys

import jsonschema
import yaml


class Core12Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader resolves YAML 1.1 scalars (yes/no/on/off are
    booleans, 010 is octal); editors and sovd read YAML 1.2 core."""


Core12Loader.yaml_implicit_resolvers = {}
for tag, regexp, first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|false)$", "tf"),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", "-+.0123456789"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    Core12Loader.add_implicit_resolver(tag, re.compile(regexp), list(first))


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    try:
        jsonschema.Draft7Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        print(f"schema: invalid draft-07 schema: {e.message}")
        return 2
    v = jsonschema.Draft7Validator(schema)
    for path in sys.argv[2:]:
        try:
            with open(path, "rb") as f:
                doc = yaml.load(f, Loader=Core12Loader)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            print(f"{path} invalid: yaml: {str(e).splitlines()[0]}")
            continue
        errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errs:
            e = errs[0]
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print(f"{path} invalid: {where}: {e.message}")
        else:
            print(f"{path} valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
