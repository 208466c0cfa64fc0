# make bench: the issue 14 suite (tools/bench/suite.sh): fixed names, each
# figure beside its baseline measured in the same run, a table on stdout
# and the JSON list in BENCH_JSON. BENCH_QUICK=1 runs it in under 2
# minutes; BENCH_ONLY=REGEX picks groups (enforce loader nft journal
# pipeline policy rss). The older per-area benchmarks stay as
# bench-enforce, bench-journal, ... (BENCH_TARGETS, `make bench-all`).
BENCH_JSON	?= $(BUILD)/bench.json

.PHONY: bench-suite bench-all
bench-suite: $(BUILD)/sovd $(BUILD)/sovctl $(BUILD)/tools/bench/enforce \
		$(BUILD)/journal-bench $(BUILD)/policy-compile-bench
	$(Q)flock /tmp/sovt-host.lock env SOV_BUILD=$(abspath $(BUILD)) SOV_TOP=$(CURDIR) \
		BENCH_JSON=$(abspath $(BENCH_JSON)) sh tools/bench/suite.sh

bench-all: deps
	$(Q)$(MAKE) --no-print-directory build-all
	$(Q)for t in $(BENCH_TARGETS); do $(MAKE) --no-print-directory $$t || exit 1; done

TEST_SCRIPTS	+= tests/bench/harness.t
