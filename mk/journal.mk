# libsovjournal: signed, tamper-evident journal (agent/journal/), its unit
# tests (plain and ASan/UBSan) and the libFuzzer target for the export
# verifier (untrusted input): mk/lib.mk's template.
include mk/lib.mk

JOURNAL_LIB	:= libsovjournal
JOURNAL_SRCS	:= $(sort $(wildcard agent/journal/*.c))
JOURNAL_TEST_SRCS := $(sort $(wildcard tests/unit/journal/test_*.c))
JOURNAL_FUZZ	:= journal_fuzz
JOURNAL_FUZZ_SRCS := tests/journal/fuzz_verify.c
$(eval $(call sov_lib,JOURNAL))

# The writer the tamper, crash and full-disk scripts drive.
$(BUILD)/tests/journal/jwriter: $(BUILD)/tests/journal/jwriter.o $(BUILD)/libsovjournal.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(BUILD)/tests/journal/jwriter $(BUILD)/journal-bench
TEST_SCRIPTS	+= $(sort $(wildcard tests/journal/*.sh))

# Benchmark, not a test: append and verification throughput on one core.
$(BUILD)/journal-bench: $(BUILD)/tools/bench/journal-bench.o $(BUILD)/libsovjournal.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench-journal
bench-journal: $(BUILD)/journal-bench $(BUILD)/sovctl
	$(Q)tools/bench/journal-bench.sh $(BUILD)

BENCH_TARGETS	+= bench-journal

# Runs the journal fuzzer on a fresh seed export.
#   make fuzz-journal FUZZ_TIME=600
.PHONY: fuzz-journal
fuzz-journal: $(BUILD)/fuzz/journal_fuzz $(BUILD)/tests/journal/jwriter $(BUILD)/sovctl
	$(Q)rm -rf $(BUILD)/fuzz/seed-journal && mkdir -p $(BUILD)/fuzz/corpus-journal $(BUILD)/fuzz/seed-journal
	$(Q)$(BUILD)/sovctl keygen --out $(BUILD)/fuzz/seed-journal/k --name fuzz >/dev/null
	$(Q)$(BUILD)/tests/journal/jwriter --dir $(BUILD)/fuzz/seed-journal/j \
		--key $(BUILD)/fuzz/seed-journal/k.key --count 5 --ckpt-records 2 --detail x
	$(Q)$(BUILD)/sovctl journal export --journal $(BUILD)/fuzz/seed-journal/j \
		--out $(BUILD)/fuzz/seed-journal/export.sovj >/dev/null
	$(Q)rm -rf $(BUILD)/fuzz/seed-journal/j $(BUILD)/fuzz/seed-journal/k.*
	$(Q)$(BUILD)/fuzz/journal_fuzz -jobs=1 -max_total_time=$(FUZZ_TIME) -max_len=8192 \
		$(BUILD)/fuzz/corpus-journal $(BUILD)/fuzz/seed-journal
