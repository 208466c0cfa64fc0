#!/bin/sh
# The enforcement scenarios on the host kernel, run by `make test` (prove).
# The CI kernel cannot load LSM programs: sovd must choose the tracing path.
: "${SOV_TOP:=.}"
export SOV_MODE="${SOV_MODE:-auto}"
export SOV_EXPECT_MODE="${SOV_EXPECT_MODE:-tracing}"
exec sh "$SOV_TOP/tests/scenarios/run.sh"
