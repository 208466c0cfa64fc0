# sovd's own command-line and bad-input tests (need root and BPF).
TEST_SCRIPTS	+= tests/agent/cli.t
TEST_SCRIPTS	+= tests/agent/journal-full.t
TEST_SCRIPTS	+= tests/agent/journal-stop.t
TEST_SCRIPTS	+= tests/agent/retain.t
TEST_SCRIPTS	+= tests/agent/apply.t
TEST_SCRIPTS	+= tests/agent/flood.t
TEST_SCRIPTS	+= tests/agent/labelgc.t
TEST_SCRIPTS	+= tests/agent/renumber.t
TEST_SCRIPTS	+= tests/agent/metrics.t
# make bench-metrics: a scrape's cost on sovd's event loop (issue 16,
# docs/performance.md "Metrics: a scrape on the event loop"); needs curl.
.PHONY: bench-metrics
bench-metrics: $(BUILD)/sovd $(BUILD)/sovctl $(BUILD)/tests/sovtest
	$(Q)SOV_BUILD=$(abspath $(BUILD)) bash tools/bench/metrics-scrape.sh
BENCH_TARGETS	+= bench-metrics
TEST_SCRIPTS	+= tests/agent/events-file.t
TEST_SCRIPTS	+= tests/agent/events-schema.t
TEST_SCRIPTS	+= tests/agent/syslog.t

# Unit tests of the agent's own helpers (no root).
AGENT_UNIT_TESTS := $(BUILD)/tests/unit/agent/test_jbuf

$(BUILD)/tests/unit/agent/test_jbuf: $(BUILD)/tests/unit/agent/test_jbuf.o $(BUILD)/agent/jbuf.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

ALL_TARGETS	+= $(AGENT_UNIT_TESTS)
TEST_PROGS	+= $(AGENT_UNIT_TESTS)

# Socket clients for sovd's API and metrics tests.
$(BUILD)/tests/agent/clients: $(BUILD)/tests/agent/clients.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

ALL_TARGETS	+= $(BUILD)/tests/agent/clients
TEST_SCRIPTS	+= tests/agent/sockets.t

# Taint map counting vs collecting (needs root: it creates a BPF map).
$(BUILD)/tests/unit/agent/test_taint: $(BUILD)/tests/unit/agent/test_taint.o \
		$(BUILD)/agent/taint.o $(BUILD)/agent/labels.o $(BUILD)/agent/pipeline.o $(BUILD)/agent/lineage.o $(BUILD)/agent/ndjson.o $(BUILD)/agent/jbuf.o $(BUILD)/agent/mapscan.o $(BUILD)/agent/devices.o \
		$(BUILD)/agent/host.o $(BUILD)/agent/log.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_taint
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_taint
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_taint

# The pipeline's one record and its NDJSON rendering (no root).
$(BUILD)/tests/unit/agent/test_pipeline: $(BUILD)/tests/unit/agent/test_pipeline.o \
		$(BUILD)/agent/pipeline.o $(BUILD)/agent/lineage.o $(BUILD)/agent/mapscan.o $(BUILD)/agent/devices.o $(BUILD)/agent/ndjson.o $(BUILD)/agent/jbuf.o \
		$(BUILD)/agent/host.o $(BUILD)/agent/log.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_pipeline
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_pipeline
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_pipeline

# The sources of derives against the real /proc (no root).
$(BUILD)/tests/unit/agent/test_lineage: $(BUILD)/tests/unit/agent/test_lineage.o \
		$(BUILD)/agent/lineage.o $(BUILD)/agent/jbuf.o $(BUILD)/agent/host.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_lineage
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_lineage
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_lineage

# The executable an event names: the exe cache (no root).
$(BUILD)/tests/unit/agent/test_exe: $(BUILD)/tests/unit/agent/test_exe.o $(BUILD)/agent/host.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ -lpthread

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_exe
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_exe
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_exe

# The API and metrics connection pool over unix sockets (no root).
$(BUILD)/tests/unit/agent/test_conn: $(BUILD)/tests/unit/agent/test_conn.o $(BUILD)/agent/conn.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_conn
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_conn
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_conn

# The journal sink's seq stamp when a checkpoint fails (needs root: tmpfs).
$(BUILD)/tests/unit/agent/test_journal_glue: $(BUILD)/tests/unit/agent/test_journal_glue.o \
		$(BUILD)/agent/journal_glue.o $(BUILD)/agent/jbuf.o $(BUILD)/agent/log.o \
		$(BUILD)/libsovjournal.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_journal_glue
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_journal_glue
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_journal_glue

# RDMA devices sovd finds (issue 10; no root: files written by the test).
$(BUILD)/tests/unit/agent/test_devices: $(BUILD)/tests/unit/agent/test_devices.o \
		$(BUILD)/agent/devices.o $(BUILD)/agent/log.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_devices
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_devices
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_devices

# Self-audit (issue 12): tampering with sovd's links, pins, maps and cgroup
# hooks is detected, journaled and repaired. allow.bpf.o is the foreign
# program it attaches next to sovd's.
$(BUILD)/tests/agent/allow.bpf.o: tests/agent/allow.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -target bpf -Wall -Werror -I$(BUILD) -c $< -o $@
ALL_TARGETS	+= $(BUILD)/tests/agent/allow.bpf.o
TEST_SCRIPTS	+= tests/agent/tamper.t

# Aggregates of allowed flows (issue 14; needs root: it creates BPF maps).
$(BUILD)/tests/unit/agent/test_flows: $(BUILD)/tests/unit/agent/test_flows.o \
		$(BUILD)/agent/flows.o $(BUILD)/agent/pipeline.o $(BUILD)/agent/lineage.o $(BUILD)/agent/mapscan.o $(BUILD)/agent/devices.o \
		$(BUILD)/agent/ndjson.o $(BUILD)/agent/jbuf.o $(BUILD)/agent/host.o $(BUILD)/agent/log.o \
		$(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_flows
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_flows
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_flows
# The policy compile in a child process against the in-process compile
# (agent/compile_child.c; the EU countries where a location database is).
$(BUILD)/tests/unit/agent/test_compile_child: $(BUILD)/tests/unit/agent/test_compile_child.o \
		$(BUILD)/agent/compile_child.o $(BUILD)/libsovpolicy.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_compile_child
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_compile_child
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_compile_child

# sovctl watch's filters and sovd's ring of recent events (issue 16,
# agent/watch.c; no root).
$(BUILD)/tests/unit/agent/test_watch: $(BUILD)/tests/unit/agent/test_watch.o $(BUILD)/agent/watch.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_watch
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_watch
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_watch

# The events file and syslog sinks (issue 16): rotation, the RFC 5424
# message, --syslog forms, real Unix and TCP sockets (no root).
$(BUILD)/tests/unit/agent/test_event_outputs: $(BUILD)/tests/unit/agent/test_event_outputs.o \
		$(BUILD)/agent/events_file.o $(BUILD)/agent/syslog_out.o $(BUILD)/agent/ndjson.o \
		$(BUILD)/agent/jbuf.o $(BUILD)/agent/conn.o $(BUILD)/agent/log.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

AGENT_UNIT_TESTS += $(BUILD)/tests/unit/agent/test_event_outputs
ALL_TARGETS	+= $(BUILD)/tests/unit/agent/test_event_outputs
TEST_PROGS	+= $(BUILD)/tests/unit/agent/test_event_outputs
