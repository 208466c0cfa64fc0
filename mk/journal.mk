# libsovjournal: signed, tamper-evident journal (agent/journal/).
JOURNAL_SRCS	:= $(sort $(wildcard agent/journal/*.c))
JOURNAL_OBJS	:= $(JOURNAL_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/libsovjournal.a: $(JOURNAL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@; ar rcs $@ $^

ALL_TARGETS	+= $(BUILD)/libsovjournal.a

# Unit tests (tests/unit/journal/test_*.c), one binary each; no root needed.
JOURNAL_TEST_SRCS := $(sort $(wildcard tests/unit/journal/test_*.c))
JOURNAL_TESTS	:= $(patsubst %.c,$(BUILD)/%,$(JOURNAL_TEST_SRCS))

$(JOURNAL_TESTS): $(BUILD)/%: $(BUILD)/%.o $(BUILD)/libsovjournal.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The writer the tamper, crash and full-disk scripts drive.
$(BUILD)/tests/journal/jwriter: $(BUILD)/tests/journal/jwriter.o $(BUILD)/libsovjournal.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(JOURNAL_TESTS) $(BUILD)/tests/journal/jwriter
TEST_PROGS	+= $(JOURNAL_TESTS)
TEST_SCRIPTS	+= $(sort $(wildcard tests/journal/*.sh))

# Benchmark, not a test: append and verification throughput on one core.
$(BUILD)/journal-bench: $(BUILD)/tools/bench/journal-bench.o $(BUILD)/libsovjournal.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench-journal
bench-journal: $(BUILD)/journal-bench $(BUILD)/sovctl
	$(Q)tools/bench/journal-bench.sh $(BUILD)

BENCH_TARGETS	+= bench-journal
