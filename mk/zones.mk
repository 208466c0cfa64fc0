# Zone sources (policy/zsrc*.c, built into libsovpolicy.a by mk/policy.mk):
# unit tests and the compile benchmark.
include mk/lib.mk

# No archive of their own: the tests link libsovpolicy. Only the
# pure-computation tests run again under ASan/UBSan; the database-walking
# ones take several seconds per walk there.
ZONES_TEST_SRCS	:= $(sort $(wildcard tests/unit/zones/test_*.c))
ZONES_ASAN_TEST_SRCS := tests/unit/zones/test_zsrc_lpm.c tests/unit/zones/test_zsrc_ranges.c
ZONES_DEPS	:= libsovpolicy
$(eval $(call sov_lib,ZONES))

$(BUILD)/zones-bench: $(BUILD)/tools/bench/zones_bench.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(BUILD)/zones-bench

# Compile time, entries and map memory for the EU member states and for
# a million explicit prefixes (docs/zones.md).
.PHONY: bench-zones
bench-zones: $(BUILD)/zones-bench
	$(Q)$(BUILD)/zones-bench

BENCH_TARGETS	+= bench-zones
