# Zone sources (policy/zsrc*.c, built into libsovpolicy.a by mk/policy.mk):
# unit tests and the compile benchmark.
ZONES_TESTS	:= $(patsubst %.c,$(BUILD)/%,$(sort $(wildcard tests/unit/zones/test_*.c)))

$(ZONES_TESTS): $(BUILD)/%: $(BUILD)/%.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/zones-bench: $(BUILD)/tools/bench/zones_bench.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The pure-computation tests again under ASan/UBSan (SAN_FLAGS, mk/policy.mk);
# the database-walking ones take several seconds per walk there.
ZONES_ASAN_TESTS := $(BUILD)/asan/tests/unit/zones/test_zsrc_lpm \
		    $(BUILD)/asan/tests/unit/zones/test_zsrc_ranges

$(ZONES_ASAN_TESTS:%=%.o): $(BUILD)/asan/%.o: %.c
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(ZONES_ASAN_TESTS): $(BUILD)/asan/%: $(BUILD)/asan/%.o $(BUILD)/asan/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(ZONES_TESTS) $(ZONES_ASAN_TESTS) $(BUILD)/zones-bench
TEST_PROGS	+= $(ZONES_TESTS) $(ZONES_ASAN_TESTS)

# Compile time, entries and map memory for the EU member states and for
# a million explicit prefixes (docs/zones.md).
.PHONY: bench-zones
bench-zones: $(BUILD)/zones-bench
	$(Q)$(BUILD)/zones-bench

BENCH_TARGETS	+= bench-zones
