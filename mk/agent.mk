# Kernel programs (bpf/) and the daemon (agent/).
BPF_OBJS	:= $(BUILD)/bpf/tracing.bpf.o $(BUILD)/bpf/lsm.bpf.o $(BUILD)/bpf/probe.bpf.o
BPF_SKELS	:= $(BPF_OBJS:$(BUILD)/bpf/%.bpf.o=$(BUILD)/%.skel.h)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name sov_$(subst -,_,$*) > $@.tmp && mv $@.tmp $@

SOVD_SRCS	:= $(sort $(wildcard agent/*.c))
SOVD_OBJS	:= $(SOVD_SRCS:%.c=$(BUILD)/%.o)

# Skeletons are generated headers: build them before compiling the agent.
$(SOVD_OBJS): | $(BPF_SKELS)

$(BUILD)/sovd: $(SOVD_OBJS) $(BUILD)/libsovjournal.a $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ALL_TARGETS += $(BPF_SKELS) $(BUILD)/sovd

# Keep the BPF objects: make would delete them as intermediates.
.SECONDARY: $(BPF_OBJS)
