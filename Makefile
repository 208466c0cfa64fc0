# sovd: one entry point. `make` builds everything into $(BUILD)/.
#   make            build sovd, sovctl, BPF objects, tests
#   make test       install missing deps, build, run the whole suite (TAP, prove)
#   make demo       run the agent on the built-in example policy
#   make vmtest     the scenario suite on Debian kernels under QEMU
#   make bench      the benchmark suite: fixed names, ratios against the
#                   baseline of the same run, JSON in BENCH_JSON (mk/bench.mk)
#   make fuzz       build the libFuzzer targets
#   make install    install sovd, sovctl, sovd-verify, the man pages, the
#                   completions and the systemd unit under $(PREFIX)
#   make ARCH=arm64 cross-build all of it for arm64 into build-arm64/
# V=1 shows the commands.

# ARCH: the target (x86 or arm64; default the host's). make ARCH=arm64 on
# an x86 host cross-builds into build-arm64/ (mk/cross.mk).
HOST_ARCH	:= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
ARCH		:= $(HOST_ARCH)
ifneq ($(ARCH),$(HOST_ARCH))
BUILD		?= build-$(ARCH)
endif
BUILD		?= build
PREFIX		?= /usr/local
CC		?= gcc
CLANG		?= clang
BPFTOOL		?= bpftool
VMLINUX_BTF	?= /sys/kernel/btf/vmlinux

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS		:= libbpf yaml-0.1 libssl libcrypto zlib json-c libloc
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lyaml -lssl -lcrypto -lz -ljson-c -lloc)

CFLAGS		?= -O2 -g
override CFLAGS	+= -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		   -Iinclude -I. -I$(BUILD) $(PKG_CFLAGS) -MMD -MP
LDLIBS		+= $(PKG_LIBS) -lelf -lpthread

BPF_CFLAGS	:= -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ \
		   -Wall -Werror -Iinclude -Ibpf -I$(BUILD) -MMD -MP

# Filled by the fragments in mk/.
ALL_TARGETS	:=
TEST_PROGS	:=	# TAP-producing unit test binaries (no root needed)
TEST_SCRIPTS	:=	# TAP-producing scripts run by prove (may need root)
BENCH_TARGETS	:=	# benchmark targets run by `make bench`
CLEAN_EXTRA	:=

.PHONY: all
all: build-all

include mk/bpf.mk $(filter-out mk/bpf.mk,$(sort $(wildcard mk/*.mk)))

.PHONY: build-all
build-all: $(ALL_TARGETS)

$(BUILD):
	$(Q)mkdir -p $@

# vmlinux.h is generated from the running kernel's BTF (or VMLINUX_BTF=) and
# rewritten only when its content changed, so BPF objects rebuild only then.
$(BUILD)/vmlinux.h: FORCE | $(BUILD)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "  GEN      $@"; fi

# The syscall numbers of the target ARCH (bpf/rules.h, bpf/sysarch.bpf.h),
# generated from the kernel UAPI headers by the target's preprocessor and,
# like vmlinux.h, rewritten only when their content changed.
$(BUILD)/sov_syscalls.h: tools/gen-syscalls FORCE | $(BUILD)
	$(Q)tools/gen-syscalls $(ARCH) "$(CC)" > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "  GEN      $@"; fi

$(BUILD)/%.o: %.c | $(BUILD) $(BUILD)/sov_syscalls.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Dependencies: tools/install-deps is idempotent; it is run when a package
# is missing. deps: what building and running sovd needs (make demo);
# deps-test adds the test suite's and the VM matrix's (make test, vmtest).
.PHONY: deps deps-test
deps:
	$(Q)tools/install-deps --check >/dev/null 2>&1 || tools/install-deps
deps-test:
	$(Q)tools/install-deps --test --check >/dev/null 2>&1 || tools/install-deps --test

# make vmtest builds first (mk/vmtest.mk); the build directory is the first
# thing that build needs, so the packages come before it.
ifneq ($(filter vmtest vmtest-all,$(MAKECMDGOALS)),)
$(BUILD): | deps-test
endif

.PHONY: test
test: deps-test
	$(Q)$(MAKE) --no-print-directory build-all
	$(Q)tools/run-tests $(BUILD) $(TEST_PROGS) -- $(TEST_SCRIPTS)

.PHONY: demo
demo: deps
	$(Q)$(MAKE) --no-print-directory build-all
	$(Q)SOV_BUILD=$(BUILD) tools/demo

.PHONY: bench
bench: deps
	$(Q)$(MAKE) --no-print-directory build-all
	$(Q)$(MAKE) --no-print-directory bench-suite

# install-files: the copying alone, on a tree already built (what
# tests/sovctl/install.t runs).
.PHONY: install install-files
install: build-all
	$(Q)$(MAKE) --no-print-directory install-files
install-files:
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/sovd
	install -m 0755 $(BUILD)/sovd $(DESTDIR)$(PREFIX)/sbin/sovd
	install -m 0755 $(BUILD)/sovctl $(DESTDIR)$(PREFIX)/bin/sovctl
	install -m 0755 tools/sovd-verify $(DESTDIR)$(PREFIX)/bin/sovd-verify
	install -m 0644 policy/examples/minimal.yaml $(DESTDIR)/etc/sovd/policy.yaml.example
	install -d $(DESTDIR)$(PREFIX)/share/sovd
	install -m 0644 policy/schema.json $(DESTDIR)$(PREFIX)/share/sovd/policy.schema.json
	install -m 0644 docs/openlineage/sovd-facet.schema.json $(DESTDIR)$(PREFIX)/share/sovd/openlineage-sovd-facet.schema.json
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions
	$(BUILD)/sovctl completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sovctl
	$(BUILD)/sovctl completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_sovctl
	install -d $(DESTDIR)$(PREFIX)/share/doc/sovd $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/sovd/
	sed 's|/usr/local/|$(PREFIX)/|g' tools/sovd.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/sovd.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/sovd.service
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5
	for p in $(notdir $(MAN_PAGES)); do \
		sed 's|/usr/local/|$(PREFIX)/|g' $(BUILD)/man/$$p > $(DESTDIR)$(PREFIX)/share/man/man$${p##*.}/$$p && \
		chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man$${p##*.}/$$p || exit 1; \
	done

.PHONY: clean
clean:
	rm -rf $(BUILD) $(CLEAN_EXTRA)

.PHONY: FORCE
FORCE:

# (not the arm64 sysroot's files: mk/cross.mk)
-include $(shell find $(BUILD) -path $(BUILD)/sysroot -prune -o -name '*.d' -type f -print 2>/dev/null)
