# sovctl: the CLI. One file per command family under tools/sovctl/.
SOVCTL_SRCS	:= $(sort $(wildcard tools/sovctl/*.c))
SOVCTL_OBJS	:= $(SOVCTL_SRCS:%.c=$(BUILD)/%.o)

# watch's filter is checked by the parser sovd uses (agent/watch.c).
$(BUILD)/sovctl: $(SOVCTL_OBJS) $(BUILD)/agent/watch.o $(BUILD)/libsovjournal.a $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(CURL_LIBS)

# lineage export --url: libcurl, for sovctl only (not sovd). A cross-build
# (whose sysroot has no libcurl, mk/cross.mk) makes a sovctl without --url's
# client: it says so when asked.
ifeq ($(ARCH),$(HOST_ARCH))
CURL_LIBS	:= $(shell pkg-config --libs libcurl 2>/dev/null)
endif
ifneq ($(CURL_LIBS),)
$(BUILD)/tools/sovctl/lineage_ol.o: CFLAGS += -DSOV_HAVE_CURL
endif

ALL_TARGETS += $(BUILD)/sovctl

# The policy language's JSON Schema (policy/schema.json), compiled into
# sovctl for `sovctl policy schema` and installed under share/sovd.
$(BUILD)/policy_schema.h: policy/schema.json | $(BUILD)
	$(call msg,GEN,$@)
	$(Q){ echo 'static const unsigned char policy_schema_json[] = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/tools/sovctl/cmd_policy.o: $(BUILD)/policy_schema.h
# policy test compiles the kernel's decision rules (bpf/rules.h).
$(BUILD)/tools/sovctl/cmd_ptest.o: $(BUILD)/sov_syscalls.h

# The schema against a real JSON Schema validator and `policy check`.
TEST_SCRIPTS	+= tests/policy/schema.t
# policy check lints and options; policy test without a kernel.
TEST_SCRIPTS	+= tests/policy/lint.t tests/policy/ptest.t tests/policy/pdiff.t tests/policy/explain.t

# sovctl's command line (no daemon: a stand-in answers status and watch).
TEST_SCRIPTS	+= tests/sovctl/cli.t tests/sovctl/completion.t
# lineage and its OpenLineage export on a journal jwriter signs (no root).
TEST_SCRIPTS	+= tests/sovctl/lineage.t
