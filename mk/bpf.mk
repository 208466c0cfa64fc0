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

# The native syscalls each path's programs name, for their per-syscall
# tracepoints (issue 14, agent/kpath_syscalls.c): from the sources each
# object was built from (its .d file), rewritten only when it changed.
$(BUILD)/sov_sc_hooks.h: tools/gen-sc-hooks $(BUILD)/bpf/tracing.bpf.o $(BUILD)/bpf/lsm.bpf.o $(BUILD)/sov_syscalls.h
	$(Q)tools/gen-sc-hooks $(BUILD)/sov_syscalls.h tracing $(BUILD)/bpf/tracing.bpf.d \
		lsm $(BUILD)/bpf/lsm.bpf.d > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "  GEN      $@"; fi

# The 5.10 build of both kernel paths (bpf/compat.bpf.h): the same source
# with -DSOV_K510, loaded when the kernel lacks bpf_loop(). sovd opens it
# through the current build's skeleton (agent/kpath_*.c), so the two must
# name the same programs, maps and global data: the skeleton of the 5.10
# object, made under the current one's name, must equal it but for the
# ELF bytes, or the build fails.
K510_OBJS	:= $(BUILD)/bpf/tracing-k510.bpf.o $(BUILD)/bpf/lsm-k510.bpf.o
K510_SKELS	:= $(BUILD)/tracing-k510.skel.h $(BUILD)/lsm-k510.skel.h

$(BUILD)/bpf/%-k510.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(BUILD)/sov_syscalls.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DSOV_K510 -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/%-k510.skel.h: $(BUILD)/bpf/%-k510.bpf.o $(BUILD)/%.skel.h
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name sov_$(subst -,_,$*) | $(K510_SKEL_NORM) > $@.same
	$(Q)cat $(BUILD)/$*.skel.h | $(K510_SKEL_NORM) | cmp -s - $@.same || \
		{ echo "$@: the 5.10 build of bpf/$*.bpf.c differs from the current one in programs, maps or globals:"; \
		  cat $(BUILD)/$*.skel.h | $(K510_SKEL_NORM) | diff - $@.same | head -20; rm -f $@.same; exit 1; }
	$(Q)rm -f $@.same
	$(Q)$(BPFTOOL) gen skeleton $< name sov_$(subst -,_,$*)_k510 > $@.tmp && mv $@.tmp $@

# A skeleton without its ELF bytes, and in an order that does not depend on
# the order the compiler emitted the maps in (the global data's structs
# keep their padding fields, so a moved variable still shows).
K510_SKEL_NORM	= sed -e '/_elf_bytes(size_t \*sz)$$/,$$d' -e 's/\[[0-9]*\]/[]/g' | LC_ALL=C sort

ALL_TARGETS += $(K510_SKELS)

# Keep the BPF objects: make would delete them as intermediates.
.SECONDARY: $(BPF_OBJS) $(K510_OBJS)

# Unit tests of the decision rules (bpf/rules.h compiled for user space,
# with map mocks): tests/unit/bpf/test_*.c, one binary each, no root, no
# kernel. The scenario suite proves the kernel programs decide the same.
BPF_UNIT_TESTS	:= $(patsubst %.c,$(BUILD)/%,$(sort $(wildcard tests/unit/bpf/test_*.c)))

$(BPF_UNIT_TESTS): $(BUILD)/%: $(BUILD)/%.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

# the generated list of per-syscall tracepoints it checks
$(BUILD)/tests/unit/bpf/test_sc_hooks.o: | $(BUILD)/sov_sc_hooks.h

ALL_TARGETS	+= $(BPF_UNIT_TESTS)
TEST_PROGS	+= $(BPF_UNIT_TESTS)
