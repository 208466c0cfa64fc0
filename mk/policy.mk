# libsovpolicy: YAML policy parser, validator and compiler (policy/).
POLICY_SRCS	:= $(sort $(wildcard policy/*.c))
POLICY_OBJS	:= $(POLICY_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/libsovpolicy.a: $(POLICY_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@; ar rcs $@ $^

ALL_TARGETS	+= $(BUILD)/libsovpolicy.a

# Unit tests (tests/unit/policy/test_*.c), one binary each; they need no root.
POLICY_TEST_SRCS := $(sort $(wildcard tests/unit/policy/test_*.c))
POLICY_TESTS	:= $(patsubst %.c,$(BUILD)/%,$(POLICY_TEST_SRCS))

$(POLICY_TESTS): $(BUILD)/%: $(BUILD)/%.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The same tests, with the library, under AddressSanitizer and
# UndefinedBehaviorSanitizer (any UB report fails the test).
SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
POLICY_ASAN_OBJS := $(POLICY_SRCS:%.c=$(BUILD)/asan/%.o)
POLICY_ASAN_TESTS := $(patsubst %.c,$(BUILD)/asan/%,$(POLICY_TEST_SRCS))

$(POLICY_ASAN_OBJS) $(POLICY_ASAN_TESTS:%=%.o): $(BUILD)/asan/%.o: %.c
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/asan/libsovpolicy.a: $(POLICY_ASAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@; ar rcs $@ $^

$(POLICY_ASAN_TESTS): $(BUILD)/asan/%: $(BUILD)/asan/%.o $(BUILD)/asan/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(POLICY_TESTS) $(POLICY_ASAN_TESTS)
TEST_PROGS	+= $(POLICY_TESTS) $(POLICY_ASAN_TESTS)

# libFuzzer target for the parser, validator, compiler and zone-file reader.
#   make fuzz                   builds $(BUILD)/fuzz/policy_fuzz
#   make fuzz-policy FUZZ_TIME=600   runs it on a copy of the seed corpus
FUZZ_FLAGS	:= -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
FUZZ_TIME	?= 60
POLICY_FUZZ_OBJS := $(POLICY_SRCS:%.c=$(BUILD)/fuzz/%.o) $(BUILD)/fuzz/tests/fuzz/policy_fuzz.o

$(POLICY_FUZZ_OBJS): $(BUILD)/fuzz/%.o: %.c
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CFLAGS) $(FUZZ_FLAGS) -c $< -o $@

$(BUILD)/fuzz/policy_fuzz: $(POLICY_FUZZ_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(CFLAGS) $(FUZZ_FLAGS) -o $@ $^ $(LDLIBS)

.PHONY: fuzz fuzz-policy
fuzz: $(BUILD)/fuzz/policy_fuzz

fuzz-policy: $(BUILD)/fuzz/policy_fuzz
	$(Q)mkdir -p $(BUILD)/fuzz/corpus-policy
	$(Q)$(BUILD)/fuzz/policy_fuzz -jobs=1 -max_total_time=$(FUZZ_TIME) \
		-max_len=4096 -dict=tests/fuzz/policy.dict \
		$(BUILD)/fuzz/corpus-policy tests/fuzz/corpus/policy

# Benchmark, not a test: compile a policy of 1,000,000 prefixes on one core.
$(BUILD)/policy-compile-bench: $(BUILD)/tools/bench/policy-compile.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: bench-policy
bench-policy: $(BUILD)/policy-compile-bench
	$(Q)$(BUILD)/policy-compile-bench

BENCH_TARGETS	+= bench-policy
