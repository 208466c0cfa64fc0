# libsovjournal: signed, tamper-evident journal (agent/journal/).
JOURNAL_SRCS	:= $(sort $(wildcard agent/journal/*.c))
JOURNAL_OBJS	:= $(JOURNAL_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/libsovjournal.a: $(JOURNAL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@; ar rcs $@ $^
