# Kernel programs (bpf/): one object and one skeleton per kernel path, plus
# the probe programs. Included before the other fragments: their
# prerequisites name the skeletons.
BPF_OBJS	:= $(BUILD)/bpf/tracing.bpf.o $(BUILD)/bpf/lsm.bpf.o $(BUILD)/bpf/probe.bpf.o
BPF_SKELS	:= $(BPF_OBJS:$(BUILD)/bpf/%.bpf.o=$(BUILD)/%.skel.h)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(BUILD)/sov_syscalls.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name sov_$(subst -,_,$*) > $@.tmp && mv $@.tmp $@

ALL_TARGETS += $(BPF_SKELS)

# Keep the BPF objects: make would delete them as intermediates.
.SECONDARY: $(BPF_OBJS)

# Unit tests of the decision rules (bpf/rules.h compiled for user space,
# with map mocks): tests/unit/bpf/test_*.c, one binary each, no root, no
# kernel. The scenario suite proves the kernel programs decide the same.
BPF_UNIT_TESTS	:= $(patsubst %.c,$(BUILD)/%,$(sort $(wildcard tests/unit/bpf/test_*.c)))

$(BPF_UNIT_TESTS): $(BUILD)/%: $(BUILD)/%.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

ALL_TARGETS	+= $(BPF_UNIT_TESTS)
TEST_PROGS	+= $(BPF_UNIT_TESTS)
