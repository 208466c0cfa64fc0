# libsovpolicy: YAML policy parser, validator and compiler (policy/).
POLICY_SRCS	:= $(sort $(wildcard policy/*.c))
POLICY_OBJS	:= $(POLICY_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/libsovpolicy.a: $(POLICY_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@; ar rcs $@ $^
