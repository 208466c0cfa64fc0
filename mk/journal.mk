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

# libFuzzer target for the export verifier (untrusted input).
#   make fuzz-journal FUZZ_TIME=600
JOURNAL_FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
		      -fno-sanitize-recover=undefined
JOURNAL_FUZZ_OBJS := $(JOURNAL_SRCS:%.c=$(BUILD)/fuzz/%.o) $(BUILD)/fuzz/tests/journal/fuzz_verify.o

$(JOURNAL_FUZZ_OBJS): $(BUILD)/fuzz/%.o: %.c
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CFLAGS) $(JOURNAL_FUZZ_FLAGS) -c $< -o $@

$(BUILD)/fuzz/journal_fuzz: $(JOURNAL_FUZZ_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(CFLAGS) $(JOURNAL_FUZZ_FLAGS) -o $@ $^ $(LDLIBS)

.PHONY: fuzz-journal
fuzz: $(BUILD)/fuzz/journal_fuzz

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
