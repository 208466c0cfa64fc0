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

# The same tests, with the library, under AddressSanitizer and
# UndefinedBehaviorSanitizer (any report fails the test).
JOURNAL_SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
		     -fno-sanitize-recover=undefined
JOURNAL_ASAN_OBJS := $(JOURNAL_SRCS:%.c=$(BUILD)/asan/%.o)
JOURNAL_ASAN_TESTS := $(patsubst %.c,$(BUILD)/asan/%,$(JOURNAL_TEST_SRCS))

$(JOURNAL_ASAN_OBJS) $(JOURNAL_ASAN_TESTS:%=%.o): $(BUILD)/asan/%.o: %.c
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(JOURNAL_SAN_FLAGS) -c $< -o $@

$(BUILD)/asan/libsovjournal.a: $(JOURNAL_ASAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@; ar rcs $@ $^

$(JOURNAL_ASAN_TESTS): $(BUILD)/asan/%: $(BUILD)/asan/%.o $(BUILD)/asan/libsovjournal.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(JOURNAL_SAN_FLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(JOURNAL_ASAN_TESTS)
TEST_PROGS	+= $(JOURNAL_ASAN_TESTS)

# The writer the tamper, crash and full-disk scripts drive.
$(BUILD)/tests/journal/jwriter: $(BUILD)/tests/journal/jwriter.o $(BUILD)/libsovjournal.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(JOURNAL_TESTS) $(BUILD)/tests/journal/jwriter $(BUILD)/journal-bench
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
