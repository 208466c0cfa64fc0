# Enforcement scenarios (issue 3's tests): the sovtest actor, the scenario
# suite run on the host (tracing path) and inside the VM guests, and the
# enforcement benchmarks.

# sovtest has no dependencies; the static variant runs in the VM guests,
# which carry no shared libraries for it.
SOVTEST_OBJ	:= $(BUILD)/tests/scenarios/sovtest.o

$(BUILD)/tests/sovtest: $(SOVTEST_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

$(BUILD)/tests/sovtest.static: $(SOVTEST_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -static -o $@ $^

ENFORCE_BENCH_OBJ := $(BUILD)/tools/bench/enforce.o

$(BUILD)/tools/bench/enforce: $(ENFORCE_BENCH_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

ALL_TARGETS	+= $(BUILD)/tests/sovtest $(BUILD)/tests/sovtest.static \
		   $(BUILD)/tools/bench/enforce
TEST_SCRIPTS	+= tests/scenarios/host.t

# make bench-enforce: connect/open/syscall cost with and without sovd.
.PHONY: bench-enforce
bench-enforce: $(BUILD)/sovd $(BUILD)/sovctl $(BUILD)/tests/sovtest $(BUILD)/tools/bench/enforce
	$(Q)SOV_BUILD=$(abspath $(BUILD)) SOV_TOP=$(CURDIR) sh tools/bench/enforce.sh
BENCH_TARGETS	+= bench-enforce

# make bench-sender: BPF run time of the sender hooks (issue 10) per call,
# from kernel.bpf_stats (tracing path).
.PHONY: bench-sender
bench-sender: $(BUILD)/sovd $(BUILD)/tools/bench/enforce
	$(Q)SOV_BUILD=$(abspath $(BUILD)) SOV_TOP=$(CURDIR) sh tools/bench/sender-stats.sh
BENCH_TARGETS	+= bench-sender

# make bench-flows: BPF run time of cgroup/connect4 per allowed connect,
# tainted and not (issue 14, aggregated allowed flows; tracing path).
.PHONY: bench-flows
bench-flows: $(BUILD)/sovd $(BUILD)/tools/bench/enforce $(BUILD)/tests/sovtest
	$(Q)SOV_BUILD=$(abspath $(BUILD)) SOV_TOP=$(CURDIR) sh tools/bench/flows-stats.sh
BENCH_TARGETS	+= bench-flows

# make bench-recv: BPF run time of sys_exit for recvmsg with and without
# SCM_RIGHTS fds (issue 11), from kernel.bpf_stats (tracing path).
.PHONY: bench-recv
bench-recv: $(BUILD)/sovd $(BUILD)/tools/bench/enforce
	$(Q)SOV_BUILD=$(abspath $(BUILD)) SOV_TOP=$(CURDIR) sh tools/bench/recv-stats.sh
BENCH_TARGETS	+= bench-recv

# make bench-procmem: BPF run time of the process/shared memory program
# (issue 11, bpf/procmem.bpf.h) per ignored syscall and per open
.PHONY: bench-procmem
bench-procmem: $(BUILD)/sovd $(BUILD)/tools/bench/enforce
	$(Q)SOV_BUILD=$(abspath $(BUILD)) SOV_TOP=$(CURDIR) sh tools/bench/procmem-stats.sh
BENCH_TARGETS	+= bench-procmem
# make bench-ipc: cost of taint over local channels (issue 11) for
# untainted processes: pipe write+read with and without sovd, and the BPF
# run time of the IPC programs, from kernel.bpf_stats.
.PHONY: bench-ipc
bench-ipc: $(BUILD)/sovd $(BUILD)/tools/bench/enforce
	$(Q)SOV_BUILD=$(abspath $(BUILD)) SOV_TOP=$(CURDIR) sh tools/bench/ipc-stats.sh
BENCH_TARGETS	+= bench-ipc
# make bench-open: BPF run time of sys_exit per open() (issue 11: labels at
# creation, no per-open ancestor walk), from kernel.bpf_stats (tracing path).
.PHONY: bench-open
bench-open: $(BUILD)/sovd $(BUILD)/tools/bench/enforce
	$(Q)SOV_BUILD=$(abspath $(BUILD)) SOV_TOP=$(CURDIR) sh tools/bench/open-stats.sh
BENCH_TARGETS	+= bench-open
