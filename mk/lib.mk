# One set of rules for a library, its unit tests, their ASan/UBSan variants
# and its libFuzzer target. A fragment sets variables named after a
# prefix P and calls the template:
#
#	P_LIB		archive stem: makes $(BUILD)/<stem>.a and
#			$(BUILD)/asan/<stem>.a from P_SRCS. Empty: no
#			archive; the tests link P_SRCS's objects directly
#			(e.g. the agent's unit tests).
#	P_SRCS		the library's sources.
#	P_TEST_SRCS	test sources, one TAP binary each: tests/x/test_y.c
#			makes $(BUILD)/tests/x/test_y (added to TEST_PROGS).
#	P_ASAN_TEST_SRCS the tests also built under ASan/UBSan as
#			$(BUILD)/asan/tests/x/test_y (TEST_PROGS; any report
#			fails the test). Unset: all of P_TEST_SRCS; set it
#			empty for none.
#	P_DEPS		archive stems the tests link after P's own, e.g.
#			libsovpolicy (the asan variant links
#			$(BUILD)/asan/<stem>.a).
#	P_FUZZ		libFuzzer binary name: makes $(BUILD)/fuzz/<name>
#			(clang) from P_SRCS and P_FUZZ_SRCS, built by `make fuzz`.
#	P_FUZZ_SRCS	the fuzz harness sources.
#
#	$(eval $(call sov_lib,P))
#
# It defines P_OBJS, P_TESTS and P_ASAN_TESTS and adds the archive and the
# tests to ALL_TARGETS. Fragments included before this one (the Makefile
# includes mk/*.mk in name order) include it themselves; the guard makes
# that harmless.
ifndef SOV_LIB_MK
SOV_LIB_MK	:= 1

SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
FUZZ_FLAGS	:= -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
FUZZ_TIME	?= 60

$(BUILD)/asan/%.o: %.c | $(BUILD)/sov_syscalls.h
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/fuzz/%.o: %.c | $(BUILD)/sov_syscalls.h
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CFLAGS) $(FUZZ_FLAGS) -c $< -o $@

.PHONY: fuzz

define sov_lib
$(1)_OBJS	:= $$($(1)_SRCS:%.c=$$(BUILD)/%.o)
$(1)_ASAN_OBJS	:= $$($(1)_SRCS:%.c=$$(BUILD)/asan/%.o)
$(1)_TESTS	:= $$(patsubst %.c,$$(BUILD)/%,$$($(1)_TEST_SRCS))
ifeq ($$(origin $(1)_ASAN_TEST_SRCS),undefined)
$(1)_ASAN_TEST_SRCS := $$($(1)_TEST_SRCS)
endif
$(1)_ASAN_TESTS	:= $$(patsubst %.c,$$(BUILD)/asan/%,$$($(1)_ASAN_TEST_SRCS))

ifneq ($$($(1)_LIB),)
$(1)_LINK	:= $$(BUILD)/$$($(1)_LIB).a
$(1)_ASAN_LINK	:= $$(BUILD)/asan/$$($(1)_LIB).a

$$(BUILD)/$$($(1)_LIB).a: $$($(1)_OBJS)
	$$(call msg,AR,$$@)
	$$(Q)rm -f $$@; ar rcs $$@ $$^

$$(BUILD)/asan/$$($(1)_LIB).a: $$($(1)_ASAN_OBJS)
	$$(call msg,AR,$$@)
	$$(Q)rm -f $$@; ar rcs $$@ $$^

ALL_TARGETS	+= $$(BUILD)/$$($(1)_LIB).a
else
$(1)_LINK	:= $$($(1)_OBJS)
$(1)_ASAN_LINK	:= $$($(1)_ASAN_OBJS)
endif
$(1)_LINK	+= $$($(1)_DEPS:%=$$(BUILD)/%.a)
$(1)_ASAN_LINK	+= $$($(1)_DEPS:%=$$(BUILD)/asan/%.a)

$$($(1)_TESTS): $$(BUILD)/%: $$(BUILD)/%.o $$($(1)_LINK)
	$$(call msg,LINK,$$@)
	$$(Q)$$(CC) $$(CFLAGS) -o $$@ $$^ $$(LDLIBS)

$$($(1)_ASAN_TESTS): $$(BUILD)/asan/%: $$(BUILD)/asan/%.o $$($(1)_ASAN_LINK)
	$$(call msg,LINK,$$@)
	$$(Q)$$(CC) $$(CFLAGS) $$(SAN_FLAGS) -o $$@ $$^ $$(LDLIBS)

ALL_TARGETS	+= $$($(1)_TESTS) $$($(1)_ASAN_TESTS)
TEST_PROGS	+= $$($(1)_TESTS) $$($(1)_ASAN_TESTS)

ifneq ($$($(1)_FUZZ),)
$$(BUILD)/fuzz/$$($(1)_FUZZ): $$($(1)_SRCS:%.c=$$(BUILD)/fuzz/%.o) $$($(1)_FUZZ_SRCS:%.c=$$(BUILD)/fuzz/%.o)
	$$(call msg,LINK,$$@)
	$$(Q)$$(CLANG) $$(CFLAGS) $$(FUZZ_FLAGS) -o $$@ $$^ $$(LDLIBS)

fuzz: $$(BUILD)/fuzz/$$($(1)_FUZZ)
endif
endef


# The header-only JSON escaper (include/sov/json.h) the libraries and the
# agent share: its unit test, plain and under ASan/UBSan.
JSON_TEST_SRCS	:= $(sort $(wildcard tests/unit/json/test_*.c))
$(eval $(call sov_lib,JSON))

# Prefixed globals and one-way calls in libsovjournal and libsovpolicy.
TEST_SCRIPTS	+= tests/lib/libcheck.sh

# install-deps: the demo set and the test set (tools/install-deps).
TEST_SCRIPTS	+= tests/lib/install-deps.sh

endif
