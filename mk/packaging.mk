# Packaging: the man pages, make install's extras, the systemd unit.
#
# Man pages sovd(8), sovctl(8), sovd-policy(5): skeletons under docs/man/
# filled from docs/cli.md and docs/policy.md by tools/gen-man (go-md2man,
# a build dependency: tools/install-deps), so the pages and the docs are
# one source. Built with everything (the suite checks them), installed by
# `make install`.
MAN_PAGES	:= $(BUILD)/man/sovd.8 $(BUILD)/man/sovctl.8 $(BUILD)/man/sovd-policy.5

$(BUILD)/man/%: docs/man/%.md tools/gen-man docs/cli.md docs/policy.md $(BUILD)/sov_version.h
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)tools/gen-man $< '$(VERSION)' > $@.tmp && mv $@.tmp $@

ALL_TARGETS	+= $(MAN_PAGES)

# The pages render without warnings and name every option and command;
# make install's file list.
TEST_SCRIPTS	+= tests/sovctl/man.t tests/sovctl/install.t
# The systemd unit: systemd-analyze security rates it OK or better; sovd
# under its bounding set and NoNewPrivileges says READY=1 only once it
# enforces (agent/notify.c).
TEST_SCRIPTS	+= tests/agent/unit.t tests/agent/notify.t

# agent/notify.c against sockets of its own (no root).
$(BUILD)/tests/unit/agent/test_notify: $(BUILD)/tests/unit/agent/test_notify.o \
		$(BUILD)/agent/notify.o $(BUILD)/agent/log.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_notify
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_notify

# A seccomp filter like SystemCallArchitectures=native, for tests/agent/unit.t.
$(BUILD)/tests/agent/archfilter: $(BUILD)/tests/agent/archfilter.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

ALL_TARGETS	+= $(BUILD)/tests/agent/archfilter
