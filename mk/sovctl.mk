# sovctl: the CLI. One file per command family under tools/sovctl/.
SOVCTL_SRCS	:= $(sort $(wildcard tools/sovctl/*.c))
SOVCTL_OBJS	:= $(SOVCTL_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/sovctl: $(SOVCTL_OBJS) $(BUILD)/libsovjournal.a $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS += $(BUILD)/sovctl

# sovctl's command line (no daemon: a stand-in answers status and watch).
TEST_SCRIPTS	+= tests/sovctl/cli.t
