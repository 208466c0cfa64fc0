# Zone sources (policy/zsrc*.c, built into libsovpolicy.a by mk/policy.mk):
# unit tests and the compile benchmark.
ZONES_TESTS	:= $(patsubst %.c,$(BUILD)/%,$(sort $(wildcard tests/unit/zones/test_*.c)))

$(ZONES_TESTS): $(BUILD)/%: $(BUILD)/%.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/zones-bench: $(BUILD)/tools/bench/zones_bench.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(ZONES_TESTS) $(BUILD)/zones-bench
TEST_PROGS	+= $(ZONES_TESTS)

# Compile time, entries and map memory for the EU member states and for
# a million explicit prefixes (docs/zones.md).
.PHONY: bench-zones
bench-zones: $(BUILD)/zones-bench
	$(Q)$(BUILD)/zones-bench

BENCH_TARGETS	+= bench-zones
