# sovd's own command-line and bad-input tests (need root and BPF).
TEST_SCRIPTS	+= tests/agent/cli.t
TEST_SCRIPTS	+= tests/agent/journal-full.t

# Unit tests of the agent's own helpers (no root).
AGENT_UNIT_TESTS := $(BUILD)/tests/unit/agent/test_jbuf

$(BUILD)/tests/unit/agent/test_jbuf: $(BUILD)/tests/unit/agent/test_jbuf.o $(BUILD)/agent/jbuf.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

ALL_TARGETS	+= $(AGENT_UNIT_TESTS)
TEST_PROGS	+= $(AGENT_UNIT_TESTS)
