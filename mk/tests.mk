# sovd's own command-line and bad-input tests (need root and BPF).
TEST_SCRIPTS	+= tests/agent/cli.t
TEST_SCRIPTS	+= tests/agent/journal-full.t
