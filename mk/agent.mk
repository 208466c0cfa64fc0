# The daemon (agent/).
SOVD_SRCS	:= $(sort $(wildcard agent/*.c))
SOVD_OBJS	:= $(SOVD_SRCS:%.c=$(BUILD)/%.o)

# Skeletons are generated headers: build them before compiling the agent.
$(SOVD_OBJS): | $(BPF_SKELS) $(K510_SKELS) $(BUILD)/sov_sc_hooks.h

$(BUILD)/sovd: $(SOVD_OBJS) $(BUILD)/libsovjournal.a $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS += $(BUILD)/sovd
