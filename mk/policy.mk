# libsovpolicy: YAML policy parser, validator and compiler (policy/), its
# unit tests (plain and ASan/UBSan) and the libFuzzer target for the parser,
# validator, compiler and zone-file reader: mk/lib.mk's template.
include mk/lib.mk

POLICY_LIB	:= libsovpolicy
POLICY_SRCS	:= $(sort $(wildcard policy/*.c))
POLICY_TEST_SRCS := $(sort $(wildcard tests/unit/policy/test_*.c))
POLICY_FUZZ	:= policy_fuzz
POLICY_FUZZ_SRCS := tests/fuzz/policy_fuzz.c
$(eval $(call sov_lib,POLICY))

#   make fuzz                   builds $(BUILD)/fuzz/policy_fuzz (and journal_fuzz)
#   make fuzz-policy FUZZ_TIME=600   runs it on a copy of the seed corpus
.PHONY: fuzz-policy

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
